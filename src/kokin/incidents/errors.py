"""The incidents' errors, in Japanese (for the screen) and English (for logs)."""

from __future__ import annotations

from kokin.errors import KokinError


class IncidentError(KokinError):
    """A change the incident's workflow does not allow (a step back or aside, no note)."""
