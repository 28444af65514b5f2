"""The exchange's errors. Every message is in Japanese (for the screen) and English (for logs and the API)."""

from __future__ import annotations


class ExchangeError(Exception):
    """Base class; ``str()`` gives the Japanese and the English message."""

    def __init__(self, message_ja: str, message_en: str) -> None:
        self.message_ja = message_ja
        self.message_en = message_en
        super().__init__(f"{message_ja} / {message_en}")


class IllegalTransition(ExchangeError):
    """A file was asked to move to a state its lifecycle does not allow from where it is."""

    def __init__(self, current: str, target: str, current_ja: str, target_ja: str) -> None:
        self.current = current
        self.target = target
        super().__init__(
            f"「{current_ja}」のファイルを「{target_ja}」にすることはできません",
            f"a file in state {current} cannot become {target}",
        )


class Refused(ExchangeError):
    """An operation the rules of the exchange forbid (e.g. approving one's own upload)."""
