"""Cutting a byte stream into fixed-length records, block by block, in constant memory.

A bank file's records are either each followed by CR LF or simply concatenated — one convention per
file; a lone CR or LF is an error; a trailing 0x1A (EOF mark) is ignored. Files whose header says
code_division 1 are EBCDIC (IBM 290, katakana): they are translated to cp932 single bytes on the
way in, so every later check sees one encoding.

:class:`RecordReader` yields :class:`Block` s of up to ``block_records`` records as a 2-D ``uint8``
array. The common case — every record the right length — is a reshape of the buffer with no per-record
Python work; a block with faults is re-cut line by line to name each bad record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import ebcdic as _ebcdic_codecs  # noqa: F401 - registers the cp290 (EBCDIC katakana) codec
import numpy as np

from kokin.formats.errors import FormatIssue, Report

EOF_MARK = 0x1A
INVALID_BYTE = 0xFF  # not a character in cp932: stands for an EBCDIC byte with no cp932 equivalent
_NEWLINE = re.compile(rb"\r\n|\r|\n")


def _ebcdic_table() -> bytes:
    table = bytearray(256)
    for b in range(256):
        try:
            encoded = bytes([b]).decode("cp290").encode("cp932")
        except (UnicodeDecodeError, UnicodeEncodeError):
            encoded = b""
        table[b] = encoded[0] if len(encoded) == 1 else INVALID_BYTE
    return bytes(table)


EBCDIC_TO_CP932 = _ebcdic_table()
CP932_TO_EBCDIC = bytes(next((e for e in range(256) if EBCDIC_TO_CP932[e] == b), INVALID_BYTE) for b in range(256))


@dataclass
class Block:
    """Records ``rows`` (k × record_length); ``numbers`` are their 1-based record numbers.

    ``rows`` may be a view into the reader's buffer: use it before asking for the next block.
    """

    rows: np.ndarray
    numbers: np.ndarray

    @property
    def first(self) -> int:
        return int(self.numbers[0])


class RecordReader:
    def __init__(
        self,
        stream: BinaryIO,
        record_length: int,
        report: Report,
        *,
        separators: tuple[str, ...] = ("crlf", "none"),
        block_records: int = 16384,
        ebcdic: bool | None = None,
        first_kind: bytes = b"1",
    ) -> None:
        self.stream = stream
        self.length = record_length
        self.report = report
        self.separators = separators
        self.block_records = block_records
        self.ebcdic = ebcdic
        self.first_kind = first_kind
        self.convention = "none"
        self.records = 0
        self.bytes_read = 0

    def _read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.bytes_read += len(data)
        if self.ebcdic and data:
            data = data.translate(EBCDIC_TO_CP932)
        return data

    def _issue(self, record: int | None, field: str, code: str, ja: str, en: str, severity: str = "error") -> None:
        self.report.add(FormatIssue(record, field, code, ja, en, severity=severity))  # type: ignore[arg-type]

    def blocks(self) -> Iterator[Block]:
        L = self.length
        head = self.stream.read(max(65536, L + 2))
        self.bytes_read += len(head)
        if not head or head == bytes([EOF_MARK]):
            self._issue(None, "length", "empty", "ファイルが空です", "the file is empty")
            return
        if self.ebcdic is None:
            self.ebcdic = head[:1] == self.first_kind.decode("ascii").encode("cp290") != self.first_kind
        if self.ebcdic:
            head = head.translate(EBCDIC_TO_CP932)
        self.convention = "crlf" if (b"\r" in head or b"\n" in head) else "none"
        if self.convention not in self.separators:
            names = {"crlf": "CR LF 区切り", "none": "区切りなし"}
            self._issue(
                1,
                "separator",
                "convention",
                f"この銀行は{names[self.convention]}のファイルを受け付けません",
                f"this bank does not accept files with {'CR LF' if self.convention == 'crlf' else 'no'} separators",
            )
        stride = L + 2 if self.convention == "crlf" else L
        chunk = stride * self.block_records
        pending = head
        number = 1
        eof = False
        while True:
            while not eof and len(pending) < chunk:
                more = self._read(chunk - len(pending) + stride)
                if not more:
                    eof = True
                else:
                    pending += more
            if eof and pending.endswith(bytes([EOF_MARK])):
                pending = pending[:-1]
            if self.convention == "crlf":
                block, used, number = self._cut_crlf(pending, number, eof)
            else:
                block, used, number = self._cut_plain(pending, number, eof)
            if block is not None and len(block.numbers):
                self.records = int(block.numbers[-1])
                yield block
            pending = pending[used:]
            if eof and not pending:
                self.records = number - 1
                return

    def _cut_plain(self, data: bytes, number: int, eof: bool) -> tuple[Block | None, int, int]:
        L = self.length
        n = len(data) // L
        used = n * L
        block = None
        if n:
            rows = np.frombuffer(data, dtype=np.uint8, count=used).reshape(n, L)
            if b"\r" in data[:used] or b"\n" in data[:used]:
                bad_rows = np.unique(np.flatnonzero(((rows == 13) | (rows == 10)).any(axis=1)))
                for r in bad_rows[:1000]:
                    self._issue(
                        number + int(r),
                        "separator",
                        "unexpected_newline",
                        "CR/LF 区切りのないファイルの途中に改行があります (レコード長の誤りの可能性)",
                        "a CR or LF inside a file without separators (a record of the wrong length?)",
                    )
            block = Block(rows, np.arange(number, number + n, dtype=np.int64))
            number += n
        if eof and len(data) - used:
            rest = len(data) - used
            self._issue(
                number,
                "length",
                "short_record",
                f"最後のレコードが {rest} バイトしかありません (ファイル長がレコード長 {L} の倍数ではありません)",
                f"the last record has only {rest} bytes (file length is not a multiple of {L})",
            )
            number += 1
            used = len(data)
        return block, used, number

    def _cut_crlf(self, data: bytes, number: int, eof: bool) -> tuple[Block | None, int, int]:
        L = self.length
        stride = L + 2
        n = len(data) // stride
        if n and (eof is False or n * stride == len(data)):
            rows = np.frombuffer(data, dtype=np.uint8, count=n * stride).reshape(n, stride)
            if (rows[:, L] == 13).all() and (rows[:, L + 1] == 10).all():
                block = Block(rows[:, :L], np.arange(number, number + n, dtype=np.int64))
                return block, n * stride, number + n
        return self._cut_lines(data, number, eof)

    def _cut_lines(self, data: bytes, number: int, eof: bool) -> tuple[Block | None, int, int]:
        """Cut record by record: the slow path that names each bad record."""
        L = self.length
        if eof:
            end = len(data)
        else:
            end = data.rfind(b"\n") + 1
            if end == 0:
                if len(data) < 4 * 1024 * 1024:
                    return None, 0, number
                end = len(data) - 1  # one huge line: cut it, keeping a possible CR for the next read
        good: list[bytes] = []
        numbers: list[int] = []
        pos = 0
        for m in _NEWLINE.finditer(data, 0, end):
            line = data[pos : m.start()]
            if m.group() != b"\r\n":
                which = "CR" if m.group() == b"\r" else "LF"
                self._issue(
                    number,
                    "separator",
                    "lone_newline",
                    f"レコードの区切りが {which} だけです (CR LF でなければなりません)",
                    f"the record ends with a lone {which}; records must end with CR LF",
                )
            if self._keep(line, number):
                good.append(line)
                numbers.append(number)
            number += 1
            pos = m.end()
        if eof and pos < end:
            line = data[pos:end]
            if len(line) == L:
                self._issue(
                    number,
                    "separator",
                    "missing_final_newline",
                    "最後のレコードの後に CR LF がありません",
                    "the last record is not followed by CR LF",
                    severity="warning",
                )
            if self._keep(line, number):
                good.append(line)
                numbers.append(number)
            number += 1
            pos = end
        if not good:
            return None, pos, number
        rows = np.frombuffer(b"".join(good), dtype=np.uint8).reshape(len(good), L)
        return Block(rows, np.asarray(numbers, dtype=np.int64)), pos, number

    def _keep(self, line: bytes, number: int) -> bool:
        if len(line) == self.length:
            return True
        self._issue(
            number,
            "length",
            "record_length",
            f"レコード長が {len(line)} バイトです ({self.length} バイトでなければなりません)",
            f"the record is {len(line)} bytes long; it must be {self.length}",
        )
        return False
