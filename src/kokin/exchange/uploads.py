"""Receiving an upload: straight to a temporary file under ``KOKIN_HOME/tmp/uploads`` (never memory),
its SHA-256 computed on the way, and stopped as soon as it passes the business's size limit.

Django reads a multipart body when ``request.POST`` or ``request.FILES`` is first touched; a view sets
:func:`install` before that (and before the CSRF check reads the form, see ``views.upload``).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest

#: multipart boundaries and form fields around the file, allowed on top of the file's own limit
OVERHEAD = 64 * 1024
#: how much of the body Django's multipart parser reads at a time (its default is 64 KiB): fewer, larger
#: pieces cost less Python per megabyte; the memory held stays a few of them
CHUNK = 1 << 20


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """A temporary-file handler with a byte limit and a running SHA-256 of the file."""

    chunk_size = CHUNK

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False
        self.digest = hashlib.sha256()
        #: the SHA-256 (hex) of the last file received completely
        self.sha256 = ""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        self.digest = hashlib.sha256()
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            self.file.close()
            raise StopUpload(connection_reset=True)
        self.digest.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile[Any] | None:
        self.sha256 = self.digest.hexdigest()
        return super().file_complete(file_size)


def install(request: HttpRequest, limit: int) -> LimitedUploadHandler:
    """Make ``request`` receive its files with a :class:`LimitedUploadHandler` of ``limit`` bytes."""
    handler = LimitedUploadHandler(request, limit)
    request.upload_handlers = [handler]
    return handler


def declared_too_large(request: HttpRequest, limit: int) -> bool:
    """Does the request announce a body larger than the limit allows (checked before reading it)?"""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > limit + OVERHEAD


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
