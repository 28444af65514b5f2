"""Arrow decoding: the raw fixed-width columns of a parse → Arrow strings.

Identifiers keep their zeros, text loses its trailing spaces, full-width text becomes Unicode; bytes
that are no character (reported by validation already) become U+FFFD or ？. Used by
``Parsed.tables`` the first time it is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kokin.formats import kanji
from kokin.formats.layout import RecordKind

if TYPE_CHECKING:
    import pyarrow as pa


def _fixed_bytes(array: pa.Array | pa.ChunkedArray, width: int) -> np.ndarray:
    """A fixed-width binary Arrow array as an (n × width) uint8 view."""
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    buffer = array.buffers()[1]
    return np.frombuffer(buffer, dtype=np.uint8, count=n * width, offset=array.offset * width).reshape(n, width)


def decode_table(kind: RecordKind, table: pa.Table) -> pa.Table:
    """Raw columns (see :class:`Parsed`) → strings: identifiers as they are, text without trailing spaces."""
    import pyarrow as pa

    fields = {f.name: f for f in kind.fields}
    arrays = {}
    for name in table.column_names:
        f = fields.get(name)
        column = table[name]
        if f is None or f.numeric:
            arrays[name] = column
        elif f.type == "K":
            arrays[name] = decode_wide(_fixed_bytes(column, f.length))
        else:
            arrays[name] = decode_text(_fixed_bytes(column, f.length), strip=f.type != "N")
    return pa.table(arrays)


# cp932 bytes that are characters on their own stay; the others (lead bytes, undefined) become 0x7F,
# which is decoded as U+FFFD: a column of w bytes is always w characters
_SINGLE = bytes(b if (b < 0x80 and b != 0x7F) or 0xA1 <= b <= 0xDF else 0x7F for b in range(256))


def decode_text(col: np.ndarray, *, strip: bool) -> pa.Array:
    """Fixed-width cp932 single-byte columns (n × w) → Arrow strings, trailing spaces removed."""
    import pyarrow as pa

    n, w = col.shape
    if n == 0 or w == 0:
        return pa.array([""] * n, type=pa.string())
    if strip:
        width_index = np.arange(1, w + 1, dtype=np.uint8 if w < 256 else np.int64)
        keep_len = ((col != 32) * width_index).max(axis=1).astype(np.int64)
        raw = col[np.arange(w)[None, :] < keep_len[:, None]] if (keep_len < w).any() else col.ravel()
    else:
        keep_len = np.full(n, w, dtype=np.int64)
        raw = np.ascontiguousarray(col).ravel()
    lengths = keep_len
    data: bytes = raw.tobytes()
    if (raw >= 0x7F).any():
        # trailing spaces are never high bytes: count them over the whole row
        lengths = keep_len + 2 * (col >= 0x7F).sum(axis=1, dtype=np.int64)
        data = data.translate(_SINGLE).decode("cp932").replace("\x7f", "\ufffd").encode("utf-8")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] < 2**31 - 1:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def decode_wide(col: np.ndarray) -> pa.Array:
    """Full-width cp932 columns (n × even w) → Arrow strings, trailing (full- or half-width) spaces removed.

    Faulty characters (already reported by validation) become ？.
    """
    import pyarrow as pa

    n, w = col.shape
    if n == 0 or w == 0:
        return pa.array([""] * n, type=pa.string())
    pairs = np.ascontiguousarray(col).view(">u2")
    pairs = np.where(pairs == 0x2020, 0x8140, np.where(kanji.VALID_PAIRS[pairs], pairs, 0x8148)).astype(">u2")
    text = pairs.tobytes().decode("cp932")
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").reshape(n, w // 2)
    index = np.arange(1, w // 2 + 1, dtype=np.int64)
    keep_len = ((points != 0x3000) * index).max(axis=1)
    keep = index[None, :] <= keep_len[:, None]
    utf8_len = 1 + (points >= 0x80) + (points >= 0x800)
    lengths = (utf8_len * keep).sum(axis=1)
    data = np.ascontiguousarray(points[keep]).tobytes().decode("utf-32-le").encode("utf-8")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())
