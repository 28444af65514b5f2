"""The registers' errors, in Japanese (for the screen) and English (for logs and the command line)."""

from __future__ import annotations

from kokin.errors import KokinError


class RegisterError(KokinError):
    """A version that does not exist, or a sign-off that cannot be made (already made, another version)."""
