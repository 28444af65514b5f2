"""The exchange's errors. Every message is in Japanese (for the screen) and English (for logs and the API)."""

from __future__ import annotations

from kokin.errors import KokinError


class ExchangeError(KokinError):
    """Base class; ``str()`` gives the Japanese and the English message."""


class IllegalTransition(ExchangeError):
    """A file was asked to move to a state its lifecycle does not allow from where it is."""

    def __init__(self, current: str, target: str, current_ja: str, target_ja: str) -> None:
        self.current = current
        self.target = target
        super().__init__(
            f"「{current_ja}」のファイルを「{target_ja}」にすることはできません",
            f"a file in state {current} cannot become {target}",
        )


class Quarantined(ExchangeError):
    """The file is quarantined (malware was found): it is never handed out."""

    def __init__(self) -> None:
        super().__init__(
            "このファイルはウイルスが検出されたため隔離されています。取得できません",
            "the file is quarantined (malware was found) and cannot be downloaded",
        )


class Refused(ExchangeError):
    """An operation the rules of the exchange forbid (e.g. approving one's own upload)."""
