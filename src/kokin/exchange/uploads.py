"""Receiving an upload: each piece of the body goes straight into an :class:`~kokin.exchange.intake.Intake`
(hashed, encrypted into the vault and checked on a second thread, never held whole in memory or written
as plaintext), and the upload stops as soon as it passes the business's size limit.

Two ways in: a multipart form (the web UI, the API's ``multipart/form-data``), through the upload
handler :class:`IntakeUploadHandler` that a view installs (:func:`install`) before ``request.POST`` or
``request.FILES`` is first touched (and before the CSRF check reads the form, see ``views.upload``);
or a raw body (the API's ``application/octet-stream``), read by :func:`take_body`. A raw body is read
with a limit by :class:`LimitedBody` (also the bank link's tus PATCH bodies).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from kokin.exchange.intake import Intake, Taken

#: multipart boundaries and form fields around the file, allowed on top of the file's own limit
OVERHEAD = 64 * 1024
#: how much of the body is read at a time (Django's multipart default is 64 KiB): large enough that the
#: Python per piece is small next to TLS and hashing, small enough that the pieces in flight (read,
#: queued for the check, being encrypted) stay a megabyte or two
CHUNK = 256 * 1024
#: the form field that carries the file
FILE_FIELD = "file"


class TakenFile(UploadedFile):  # type: ignore[type-arg]
    """The form's view of a file taken in while it arrived: its name and size, and the :class:`Taken`
    (there is no content to read here: the plaintext was never kept)."""

    def __init__(self, name: str, taken: Taken, content_type: str | None, charset: str | None) -> None:
        super().__init__(None, name, content_type, taken.size, charset)
        self.taken = taken


class IntakeUploadHandler(FileUploadHandler):
    """Takes the form's ``file`` field in through an :class:`Intake` that ``start`` opens when the
    file begins, with a byte limit; other file fields are ignored."""

    chunk_size = CHUNK

    def __init__(self, request: HttpRequest, limit: int, start: Callable[[], Intake | None]) -> None:
        super().__init__(request)
        self.limit = limit
        self.start = start
        self.received = 0
        self.too_large = False
        self.intake: Intake | None = None
        self.taken: Taken | None = None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.received = 0
        if field_name == FILE_FIELD and self.intake is None and self.taken is None:
            self.intake = self.start()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.field_name != FILE_FIELD or self.intake is None:
            return None  # a field that is not the file, or a second file: dropped
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            self.intake.abort()
            self.intake = None
            raise StopUpload(connection_reset=True)
        self.intake.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile[Any] | None:
        if self.field_name != FILE_FIELD or self.intake is None:
            return None
        intake, self.intake = self.intake, None
        self.taken = intake.close()
        return TakenFile(self.file_name or "", self.taken, self.content_type, self.charset)

    def upload_interrupted(self) -> None:
        self.discard()

    def discard(self) -> None:
        """Drop whatever was taken in and not kept (the view calls it when the form is refused)."""
        if self.intake is not None:
            self.intake.abort()
            self.intake = None
        if self.taken is not None:
            self.taken.sealed.discard()
            self.taken = None


def install(request: HttpRequest, limit: int, start: Callable[[], Intake | None]) -> IntakeUploadHandler:
    """Make ``request`` take its ``file`` field in through ``start()``'s intake, at most ``limit`` bytes."""
    handler = IntakeUploadHandler(request, limit, start)
    request.upload_handlers = [handler]
    return handler


class LimitedBody:
    """A body read through ``read`` in pieces of at most ``chunk`` bytes, no more than ``limit`` bytes
    in all. It ends early when the body does or the client goes away mid-body (``cut``; ``broken``
    is then the error the read raised); what arrived before is kept by the caller."""

    def __init__(self, read: Callable[[int], bytes], limit: int, *, chunk: int = CHUNK) -> None:
        self.read_piece = read
        self.left = limit
        self.chunk = chunk
        self.cut = False
        self.broken: OSError | ValueError | None = None

    def __iter__(self) -> Iterator[bytes]:
        while self.left > 0:
            try:
                piece = self.read_piece(min(self.chunk, self.left))
            except (OSError, ValueError) as exc:  # the client went away mid-body
                self.cut, self.broken = True, exc
                return
            if not piece:
                self.cut = True
                return
            self.left -= len(piece)
            yield piece


class BodyTooLarge(Exception):
    """A raw body went past the limit (it was not read further; nothing is kept)."""


class BodyCut(Exception):
    """A raw body ended before its Content-Length (the client went away; nothing is kept)."""


def take_body(request: HttpRequest, intake: Intake, limit: int) -> Taken:
    """Read a raw request body (``application/octet-stream``) into ``intake``: at most ``limit`` bytes,
    exactly its Content-Length when it has one."""
    length = declared_length(request)
    body = LimitedBody(request.read, length if length is not None else limit + 1)
    with intake:
        for piece in body:
            if intake.size + len(piece) > limit:
                raise BodyTooLarge
            intake.write(piece)
        if body.broken is not None or (length is not None and body.cut):
            raise BodyCut from body.broken
        return intake.close()


def declared_length(request: HttpRequest) -> int | None:
    """The body's length as the request announces it (Content-Length), None without a valid one."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def drain(request: HttpRequest, limit: int) -> None:
    """Read what is left of a body that will not be kept, so the client, still sending, gets the
    answer rather than a reset connection: at most its Content-Length (or the limit), nothing kept."""
    for _piece in LimitedBody(request.read, min(declared_length(request) or limit, limit + OVERHEAD)):
        pass  # thrown away


def declared_too_large(request: HttpRequest, limit: int) -> bool:
    """Does the request announce a body larger than the limit allows (checked before reading it)?"""
    length = declared_length(request)
    return length is not None and length > limit + OVERHEAD


def sweep(*, older_than: float = 6 * 3600) -> int:
    """Remove temporary upload files a crashed server left behind (a finished request removes its own)."""
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR or "")
    if not settings.FILE_UPLOAD_TEMP_DIR or not folder.is_dir():
        return 0
    removed = 0
    limit = time.time() - older_than
    for path in folder.glob("*.upload*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
