"""Password-protected export packages for the USB hand-off to the business system (seed §5(2),
別紙3 第8条2): an AES-256 encrypted ZIP (WinZip AE-2, made with ``pyzipper``) that 7-Zip, WinZip,
Lhaplus and other archivers open. (Explorer's own "compressed folder" in older Windows knows only
the weak ZipCrypto and cannot open it; that is intended.)

Members are streamed from their readers into a temporary file under ``KOKIN_HOME/tmp`` (mode 0600),
never held whole in memory. File names may be Japanese: they are written in UTF-8 with the ZIP
"language encoding" flag (bit 11) set.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO

from django.conf import settings
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.vault.errors import ExportError

#: letters and digits without the ones easily confused on paper or screen (0 O o 1 I l)
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
#: a generated password: 20 characters of 55 ≈ 115 bits
GENERATED_LENGTH = 20
#: the shortest password an operator may type
MIN_TYPED_LENGTH = 12
COPY_SIZE = 1 << 20


@dataclass
class ExportPackage:
    """The encrypted ZIP on disk and its password (show it once; never store or log it).

    The caller sends ``path`` and then calls :meth:`delete` (or uses the package as a context
    manager, which deletes the file at the end).
    """

    path: Path
    password: str
    password_generated: bool
    sha256: str
    size: int
    members: list[str]

    def open(self) -> BinaryIO:
        return open(self.path, "rb")  # the caller closes it

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> ExportPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password from :data:`PASSWORD_ALPHABET` (``secrets``), at least 16 characters."""
    if length < 16:
        raise ValueError("a generated password has at least 16 characters")
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def check_password(password: str) -> None:
    """A typed password: at least :data:`MIN_TYPED_LENGTH` printable ASCII characters (what every
    archiver encodes the same way; full-width characters would differ between tools)."""
    if len(password) < MIN_TYPED_LENGTH:
        raise ExportError(
            f"パスワードは {MIN_TYPED_LENGTH} 文字以上にしてください (入力は {len(password)} 文字)",
            f"the password must have at least {MIN_TYPED_LENGTH} characters (it has {len(password)})",
        )
    if not all(" " < ch <= "~" for ch in password):
        raise ExportError(
            "パスワードには半角の英数字・記号だけを使ってください (全角文字・空白・制御文字は使えません)",
            "the password may contain printable ASCII letters, digits and symbols only "
            "(no full-width characters, spaces or control characters)",
        )


def check_member_name(name: str) -> str:
    """A safe name inside the ZIP: relative, no ``..``, no control characters, no backslash."""
    bad = ExportError(
        f"ZIP 内のファイル名 {name!r} は使えません (相対パス、.. ・制御文字・\\ なし、255 文字以内)",
        f"file name {name!r} is not allowed in the package (relative, no '..', control characters or "
        "backslashes, at most 255 characters)",
    )
    name = unicodedata.normalize("NFC", name)
    if not name or len(name) > 255 or name.startswith("/") or "\\" in name or ":" in name:
        raise bad
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise bad
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise bad
    return name


def _tmp_dir() -> Path:
    folder = Path(settings.HOME) / "tmp" / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def export_zip(
    members: Iterable[tuple[str, IO[bytes]]],
    password: str | None = None,
    *,
    actor: Actor | None = None,
    object: str = "",
) -> ExportPackage:
    """Write ``members`` — (name inside the ZIP, binary reader) pairs, e.g. from
    :func:`kokin.vault.reading.open_blob` — into an AES-256 encrypted ZIP.

    ``password=None`` generates one (:func:`generate_password`); a typed one is checked
    (:func:`check_password`). A reader that fails (e.g. an :class:`~kokin.vault.errors.TamperedBlob`)
    aborts the package and removes the file. Logged when an operator is involved (never the password).
    """
    import pyzipper  # with PyCryptodome and cffi: loaded by the first package, not by every worker

    generated = password is None
    if password is None:
        password = generate_password()
    else:
        check_password(password)
    fd, tmp = tempfile.mkstemp(prefix="export-", suffix=".zip", dir=_tmp_dir())  # mode 0600
    path = Path(tmp)
    names: list[str] = []
    try:
        with (
            os.fdopen(fd, "w+b") as fh,
            pyzipper.AESZipFile(fh, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf,
        ):
            zf.setpassword(password.encode("ascii"))
            zf.setencryption(pyzipper.WZ_AES, nbits=256)
            stamp = timezone.localtime() if settings.USE_TZ else datetime.now()
            for raw_name, reader in members:
                name = check_member_name(raw_name)
                if name in names:
                    raise ExportError(f"ZIP 内のファイル名 {name} が重複しています", f"file name {name} appears twice")
                names.append(name)
                info = zf.zipinfo_cls(name, date_time=stamp.timetuple()[:6])
                info.compress_type = pyzipper.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                size = getattr(reader, "size", None)
                if isinstance(size, int):
                    info.file_size = size  # lets zipfile choose ZIP64 for a file over 2 GiB
                with zf.open(info, "w") as out:
                    shutil.copyfileobj(reader, out, COPY_SIZE)
        digest = hashlib.sha256()
        with open(path, "rb") as done:
            while chunk := done.read(COPY_SIZE):
                digest.update(chunk)
        package = ExportPackage(
            path=path,
            password=password,
            password_generated=generated,
            sha256=digest.hexdigest(),
            size=path.stat().st_size,
            members=names,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if actor is not None:
        record(
            action="vault_export",
            actor=actor,
            object=object or "export package",
            sha256=package.sha256,
            detail={
                "format": "zip-aes256",
                "members": len(names),
                "size": package.size,
                "password": "generated" if generated else "typed",
            },
        )
    return package
