"""The training app's error: which field was wrong and why, in Japanese (for the screen) and English."""

from __future__ import annotations

from kokin.errors import KokinError


class TrainingError(KokinError):
    """Input the training records refuse: an unknown course or user, a date in the future, a record made
    twice. ``field`` names the form field (``course``, ``completed_on``, ``users``) the message is about."""

    def __init__(self, field: str, message_ja: str, message_en: str) -> None:
        super().__init__(message_ja, message_en)
        self.field = field
