"""Character-code conversion between the bank's EBCDIC (IBM 290, katakana) and the hub's Shift_JIS (cp932).

Zengin files are fixed-length records (120 bytes, each optionally followed by CR LF) in one single-byte
character set, so a conversion is a byte translation record by record — the same tables the format
engine reads EBCDIC with (:mod:`kokin.formats.framing`) — plus the header's コード区分 (code_division,
byte 4 of each header record: ``0`` JIS/SJIS, ``1`` EBCDIC) set to say what the file now is.

It streams block by block (a whole number of records at a time), so a file of any size converts in
constant memory. A byte with no counterpart in the other character set (a kanji, a lower-case letter
IBM 290 lacks) stops the conversion and names the record, rather than sending a damaged file.

>>> sjis = b"1910" + b" " * 116 + b"\\r\\n" + b"9" + b" " * 119 + b"\\r\\n"
>>> ebcdic = convert_bytes(sjis, "ebcdic")
>>> ebcdic[:4].decode("cp290"), ebcdic[120:122]
('1911', b'\\r%')
>>> convert_bytes(ebcdic, "sjis") == sjis
True
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from kokin.bank.spool import open_private
from kokin.formats.errors import KokinError
from kokin.formats.framing import CP932_TO_EBCDIC, EBCDIC_TO_CP932, INVALID_BYTE

RECORD_LENGTH = 120
CODE_DIVISION_INDEX = 3  # byte 4 of a header record
HEADER_KIND = "1"
_BLOCK_RECORDS = 65536  # about 8 MB per block: large reads, bounded memory
TARGETS = ("ebcdic", "sjis")


class ConversionError(KokinError):
    """A file that cannot be converted; ``record`` is the 1-based record number when known (``str()``
    names it, the messages do not)."""

    def __init__(self, message_ja: str, message_en: str, record: int | None = None) -> None:
        self.record = record
        where = f"record {record}: " if record else ""
        where_ja = f"{record} 件目のレコード: " if record else ""
        super().__init__(message_ja, message_en, as_str=f"{where_ja}{message_ja} / {where}{message_en}")


@dataclass(frozen=True)
class ConversionResult:
    records: int
    bytes: int
    sha256: str


def _encoding(target: str) -> tuple[bytes, bytes, bytes]:
    """(table source→target, CR LF as the source writes it, the header kind byte in the source)."""
    if target == "ebcdic":
        return CP932_TO_EBCDIC, b"\r\n", HEADER_KIND.encode("ascii")
    if target == "sjis":
        return EBCDIC_TO_CP932, b"\r\n".translate(CP932_TO_EBCDIC), HEADER_KIND.encode("cp290")
    raise ValueError(f"unknown target {target!r}: expected one of {TARGETS}")


def _convert_block(
    chunk: bytes, target: str, table: bytes, stride: int, *, crlf: bool, records_before: int
) -> bytearray:
    """Whole records translated; a byte with no counterpart or a missing CR LF names its record."""
    record_length = stride - 2 if crlf else stride
    target_header = HEADER_KIND.encode("cp290") if target == "ebcdic" else HEADER_KIND.encode("ascii")
    division = ("1".encode("cp290") if target == "ebcdic" else b"0")[0]
    target_crlf = b"\r\n" if target == "sjis" else b"\r\n".translate(CP932_TO_EBCDIC)
    converted = bytearray(chunk.translate(table))
    bad = converted.find(INVALID_BYTE)
    if bad != -1:
        raise ConversionError(
            f"{bad % stride + 1} バイト目 (0x{chunk[bad]:02X}) は変換先の文字コードにありません",
            f"byte {bad % stride + 1} (0x{chunk[bad]:02X}) has no counterpart in the target character set",
            records_before + bad // stride + 1,
        )
    rows = np.frombuffer(converted, dtype=np.uint8).reshape(-1, stride)
    if crlf:
        wrong = np.flatnonzero(
            (rows[:, record_length] != target_crlf[0]) | (rows[:, record_length + 1] != target_crlf[1])
        )
        if len(wrong):
            raise ConversionError(
                "レコードの後に CR LF がありません",
                "a record is not followed by CR LF",
                records_before + int(wrong[0]) + 1,
            )
    # a few header records per file: set their code division in place
    for index in np.flatnonzero(rows[:, 0] == target_header[0]).tolist():
        converted[index * stride + CODE_DIVISION_INDEX] = division
    return converted


def convert_stream(
    source: BinaryIO, out: BinaryIO, target: str, *, record_length: int = RECORD_LENGTH
) -> ConversionResult:
    """Convert a whole Zengin file from ``source`` to ``out``; ``target`` is ``"ebcdic"`` or ``"sjis"``."""
    table, source_crlf, source_header = _encoding(target)

    head = source.read(record_length + 2)
    if not head:
        raise ConversionError("ファイルが空です", "the file is empty")
    if head[:1] != source_header:
        src = "EBCDIC" if target == "sjis" else "Shift_JIS"
        raise ConversionError(
            f"先頭がヘッダーレコード (データ区分 1) ではありません。{src} の全銀協形式ではないようです",
            f"the file does not start with a header record (data kind 1): not a {src} Zengin file",
            1,
        )
    crlf = head[record_length : record_length + 2] == source_crlf
    stride = record_length + 2 if crlf else record_length
    digest = hashlib.sha256()
    written = 0
    records = 0
    pending = bytearray(head)
    block = bytearray(stride * _BLOCK_RECORDS)
    view = memoryview(block)
    eof = False
    while not eof or pending:
        if not eof:
            n = source.readinto(view[: len(block) - len(pending)])  # type: ignore[attr-defined]
            if not n:
                eof = True
            else:
                pending += view[:n]
        whole = len(pending) // stride * stride
        if not eof and whole < len(pending) and len(pending) < len(block):
            continue  # read on until a block of whole records (or the end)
        chunk = bytes(pending[:whole])
        rest = bytes(pending[whole:])
        pending = bytearray(rest) if not eof else bytearray()
        if chunk:
            converted = _convert_block(chunk, target, table, stride, crlf=crlf, records_before=records)
            rows_in = len(converted) // stride
            digest.update(converted)
            out.write(converted)
            written += len(converted)
            records += rows_in
        if eof and rest:
            # only an EOF mark (0x1A, or EBCDIC SUB) may follow the last record
            if len(rest) != 1 or rest.translate(table) != b"\x1a":
                raise ConversionError(
                    f"最後のレコードの長さが {record_length} バイトではありません",
                    f"the last record is not {record_length} bytes long",
                    records + 1,
                )
            tail = rest.translate(table)
            digest.update(tail)
            out.write(tail)
            written += len(tail)
    return ConversionResult(records=records, bytes=written, sha256=digest.hexdigest())


def convert_bytes(data: bytes, target: str) -> bytes:
    out = io.BytesIO()
    convert_stream(io.BytesIO(data), out, target)
    return out.getvalue()


def convert_file(source: Path, target_path: Path, target: str) -> ConversionResult:
    """Convert ``source`` into ``target_path`` (0600, written and fsynced; the caller renames it into place)."""
    fd = open_private(target_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
        result = convert_stream(src, out, target)
        out.flush()
        os.fsync(out.fileno())
    return result
