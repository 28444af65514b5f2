"""File names as senders give them, made safe to keep, show and hand back.

In the hub a name is only a label (files are kept under their id), but it is shown on screens, written
into ZIP packages and sent in ``Content-Disposition``: path parts, control and format characters
are removed and the length is bounded.

>>> safe_name("../../etc/passwd")
'passwd'
>>> safe_name("C:\\\\Users\\\\taro\\\\口座振替\\u0000請求.dat")
'口座振替請求.dat'
>>> safe_name("\\u202etxt.exe")
'txt.exe'
>>> safe_name("..")
'upload.dat'
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 200
FALLBACK = "upload.dat"


def safe_name(raw: str | None, *, fallback: str = FALLBACK) -> str:
    """The last path part of ``raw`` (``/`` or ``\\``), NFC, without control/format characters,
    leading dots or surrounding spaces, at most :data:`MAX_LENGTH` characters (extension kept)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.replace(":", "_").strip().lstrip(".").strip()
    if len(name) > MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        keep_ext = dot and 0 < len(ext) <= 16
        name = stem[: MAX_LENGTH - len(ext) - 1] + "." + ext if keep_ext else name[:MAX_LENGTH]
    return name or fallback
