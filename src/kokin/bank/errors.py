"""The errors of the bank side (the agent and the simulator): a faulty configuration, and what the hub
answered.

:class:`ConfigError` is the one configuration error of ``kokin.bank``; ``key`` names the offending key
when there is one (``transfer.retries``, ``job[2].when`` …). The hub's answers are sorted into what a
retry can cure (:class:`TransientError`: connection, timeout, 5xx, an offset mismatch, a digest
mismatch) and what it cannot (:class:`HubRefusal`); :mod:`kokin.bank.client` does the sorting.
"""

from __future__ import annotations

from typing import Any

from kokin.formats.errors import KokinError


class ConfigError(KokinError, ValueError):
    """A configuration that cannot be used; ``key`` names the offending key, if one is to blame."""

    def __init__(self, message_ja: str, message_en: str, *, key: str | None = None) -> None:
        self.key = key
        super().__init__(message_ja, message_en, as_str=f"{key}: {message_ja} / {message_en}" if key else None)


class HubError(KokinError):
    """A request that did not do what was asked. ``message_ja``/``message_en`` explain it; ``status``
    is the HTTP status."""

    def __init__(self, message_ja: str, message_en: str, *, status: int | None = None, body: Any = None) -> None:
        self.status = status
        self.body = body
        super().__init__(
            message_ja, message_en, as_str=f"{message_ja} / {message_en}" + (f" (HTTP {status})" if status else "")
        )


class TransientError(HubError):
    """Worth retrying after a pause: the network, a timeout, the hub busy or restarting."""


class OffsetMismatch(TransientError):
    """409 on PATCH: the hub holds a different offset than we sent from (a cut, or a second sender)."""


class DigestMismatch(TransientError):
    """The bytes received (or sent) do not have the SHA-256 they should: corrupted in transit."""


class RangeNotSatisfiable(TransientError):
    """416: our partial file is longer than the hub's (or the file changed): start the download again."""


class Interrupted(Exception):
    """The agent was asked to stop; what was transferred so far is kept for the next start."""


class HubRefusal(HubError):
    """A definite answer a retry cannot change: 4xx other than the above."""


class AuthError(HubRefusal):
    """401/403: the token, the certificate or the address is refused; nothing will work until fixed."""


class NotFound(HubRefusal):
    """404/410: the file is no longer waiting, or the upload is gone."""
