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
# the EOF mark: appended raw (0x1A) or as EBCDIC SUB (0x3F), it reads as 0x1A either way
EBCDIC_TO_CP932 = EBCDIC_TO_CP932[:0x1A] + b"\x1a" + EBCDIC_TO_CP932[0x1B:0x3F] + b"\x1a" + EBCDIC_TO_CP932[0x40:]
CP932_TO_EBCDIC = bytes(next((e for e in range(256) if EBCDIC_TO_CP932[e] == b), INVALID_BYTE) for b in range(256))


@dataclass
class Block:
    """Records ``rows`` (k × record_length); ``numbers`` are their 1-based record numbers.

    ``rows`` may be a view into the reader's buffer: use it before asking for the next block.
    """

    rows: np.ndarray
    numbers: np.ndarray
    #: the same records with their separators (k × stride, C-contiguous), for checks over flat bytes
    full: np.ndarray | None = None

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
        keep: bool = False,
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
        #: blocks stay valid after the next one is read (for a caller that holds on to them; the engine
        #: copies what it keeps, so it reads with two buffers in turn and no fresh pages)
        self.keep = keep

    def _issue(self, record: int | None, field: str, code: str, ja: str, en: str, severity: str = "error") -> None:
        self.report.add(FormatIssue(record, field, code, ja, en, severity=severity))  # type: ignore[arg-type]

    def _readinto(self, buf: bytearray, start: int) -> int:
        view = memoryview(buf)[start:]
        n = self.stream.readinto(view)  # type: ignore[attr-defined]
        view.release()
        if n and self.ebcdic:
            buf[start : start + n] = buf[start : start + n].translate(EBCDIC_TO_CP932)
        self.bytes_read += n or 0
        return n or 0

    def blocks(self) -> Iterator[Block]:
        """Yield blocks of records. Unless ``keep`` is set, a block stays valid until the one after next is read."""
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
        capacity = max(chunk + 2 * stride, len(head))
        buf = bytearray(capacity)
        buf[: len(head)] = head
        end = len(head)
        number = 1
        eof = False
        need_more = False
        spare: bytearray | None = None
        while True:
            while not eof and (end < chunk or need_more):
                if end == len(buf):
                    buf.extend(bytes(len(buf)))
                n = self._readinto(buf, end)
                if n == 0:
                    eof = True
                else:
                    end += n
                    need_more = False
            if eof and end and buf[end - 1] == EOF_MARK:
                end -= 1
            if self.convention == "crlf":
                block, used, number = self._cut_crlf(buf, end, number, eof)
            else:
                block, used, number = self._cut_plain(buf, end, number, eof)
            if block is not None and len(block.numbers):
                self.records = int(block.numbers[-1])
                yield block
            rest = end - used
            if eof and rest == 0:
                self.records = number - 1
                return
            need_more = used == 0
            if self.keep:
                fresh = bytearray(max(capacity, rest + stride))
                fresh[:rest] = buf[used:end]
                buf = fresh
            else:
                # two buffers in turn: the block just yielded stays valid while the next is read
                if spare is None or len(spare) < rest + stride:
                    spare = bytearray(max(capacity, rest + stride))
                spare[:rest] = buf[used:end]
                buf, spare = spare, buf
            end = rest

    def _cut_plain(self, buf: bytearray, end: int, number: int, eof: bool) -> tuple[Block | None, int, int]:
        L = self.length
        # until the end of the file is seen, keep the last byte back: it may be the EOF mark
        n = end // L if eof else max(end - 1, 0) // L
        used = n * L
        block = None
        if n:
            rows = np.frombuffer(buf, dtype=np.uint8, count=used).reshape(n, L)
            if buf.find(b"\r", 0, used) != -1 or buf.find(b"\n", 0, used) != -1:
                bad_rows = np.unique(np.flatnonzero(((rows == 13) | (rows == 10)).any(axis=1)))
                for r in bad_rows[: self.report.listable("error", "unexpected_newline", len(bad_rows), at_most=1000)]:
                    self._issue(
                        number + int(r),
                        "separator",
                        "unexpected_newline",
                        "CR/LF 区切りのないファイルの途中に改行があります (レコード長の誤りの可能性)",
                        "a CR or LF inside a file without separators (a record of the wrong length?)",
                    )
            block = Block(rows, np.arange(number, number + n, dtype=np.int64), rows)
            number += n
        if eof and end - used:
            rest = end - used
            self._issue(
                number,
                "length",
                "short_record",
                f"最後のレコードが {rest} バイトしかありません (ファイル長がレコード長 {L} の倍数ではありません)",
                f"the last record has only {rest} bytes (file length is not a multiple of {L})",
            )
            number += 1
            used = end
        return block, used, number

    def _cut_crlf(self, buf: bytearray, end: int, number: int, eof: bool) -> tuple[Block | None, int, int]:
        L = self.length
        stride = L + 2
        n = end // stride
        if n and (eof is False or n * stride == end):
            rows = np.frombuffer(buf, dtype=np.uint8, count=n * stride).reshape(n, stride)
            # a CR or LF inside a record is content here as on the slow path; the engine names it
            if (rows[:, L] == 13).all() and (rows[:, L + 1] == 10).all():
                block = Block(rows[:, :L], np.arange(number, number + n, dtype=np.int64), rows)
                return block, n * stride, number + n
        return self._cut_lines(bytes(buf[:end]), number, eof)

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
            if m.group() != b"\r\n" and m.start() - pos < L:
                continue  # a lone CR or LF inside a record is record content: the engine names it
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
        return Block(rows, np.asarray(numbers, dtype=np.int64), rows), pos, number

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
