"""A debit result must match its request (docs/banklink.md): the bank answers the request it collected.

A zengin-debit result is accepted only if an outbound request of the same business — one whose kind
answers to this inbound kind (``DataKind.reply_kind``), or any debit request kind of the business when
none names it — is in state ``collected`` with the same consignor code and debit date (MMDD), and the
two files have the same records byte for byte except:

* the data records' 振替結果コード (byte 112);
* the trailer's transferred/failed counts and amounts (bytes 20–55), which the format engine has
  already checked against the result codes; total count and amount stay as requested, so
  transferred + failed = total follows.

Both files are read in constant memory: the request is decrypted from the vault as it is read, the
result from disk, both cut into records by :class:`kokin.formats.framing.RecordReader` (EBCDIC is
translated to cp932 on the way, so the two may differ in encoding and record separators), and
compared block by block with numpy.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from django.db.models import Q

from kokin.accounts.models import DataKind
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats.errors import FormatIssue, Report
from kokin.formats.framing import RecordReader
from kokin.formats.kinds.zengin_debit import LAYOUT
from kokin.vault.services import open_blob

RECORD = LAYOUT.record_length
_DATA = LAYOUT.kind("data")
_TRAILER = LAYOUT.kind("trailer")
RESULT_COLUMN = _DATA.field("result_code").start - 1
#: trailer bytes the bank fills in (transferred_count … failed_amount), 0-based half-open
TRAILER_RESULT = (_TRAILER.field("transferred_count").start - 1, _TRAILER.field("failed_amount").end)
#: record kinds by their first byte (データ区分)
KINDS = {k.code.encode("ascii")[0]: k for k in LAYOUT.kinds}
BLOCK = 16384


@dataclass
class Match:
    """Whether the result matches a request; if not, why (first differing record and field)."""

    request: ExchangeFile | None = None
    record: int | None = None
    field: str = "file"
    message_ja: str = ""
    message_en: str = ""

    @property
    def ok(self) -> bool:
        return self.request is not None and not self.message_en

    def issue(self) -> FormatIssue:
        return FormatIssue(self.record, self.field, "request_mismatch", self.message_ja, self.message_en)


def candidates(data_kind: DataKind, consignor_code: str, debit_mmdd: str) -> list[ExchangeFile]:
    """Debit requests of the business that the result may answer, any state, newest first."""
    kinds = DataKind.objects.filter(
        business=data_kind.business, format="zengin-debit", direction=DataKind.Direction.OUTBOUND
    ).filter(Q(reply_kind=data_kind) | Q(reply_kind__isnull=True))
    found = ExchangeFile.objects.filter(
        data_kind__in=kinds, consignor_code=consignor_code, debit_date__isnull=False
    ).order_by("-collected_at", "-received_at")
    return [f for f in found if f.debit_date is not None and f"{f.debit_date:%m%d}" == debit_mmdd]


def match_result(
    path: Path, *, data_kind: DataKind, consignor_code: str, debit_mmdd: str, count: int, amount: int
) -> Match:
    """Find the collected request that the result at ``path`` answers and compare them record by record."""
    found = candidates(data_kind, consignor_code, debit_mmdd)
    collected = [f for f in found if f.state == State.COLLECTED]
    if not collected:
        if found:
            states = "、".join(sorted({f.state_label for f in found}))
            return Match(
                message_ja=f"対応する口座振替請求 (委託者コード {consignor_code}、引落日 {debit_mmdd}) は"
                f"まだ金融機関が取得していません ({states})",
                message_en=f"the matching debit request (consignor {consignor_code}, debit date {debit_mmdd}) "
                "has not been collected by the bank",
            )
        return Match(
            message_ja=f"対応する口座振替請求 (委託者コード {consignor_code}、引落日 {debit_mmdd}) がありません",
            message_en=f"no debit request with consignor {consignor_code} and debit date {debit_mmdd}",
        )
    # the request with the same count and total first; the first mismatch is reported of the best one
    collected.sort(key=lambda f: f.total_count != count or f.total_amount != amount)
    first: Match | None = None
    for request in collected:
        result = compare(request, path)
        if result.ok:
            return result
        first = first or result
    assert first is not None
    return first


def _blocks(stream: BinaryIO) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    reader = RecordReader(stream, RECORD, Report(), block_records=BLOCK)
    for block in reader.blocks():
        yield block.rows, block.numbers


def _paired(
    left: Iterator[tuple[np.ndarray, np.ndarray]], right: Iterator[tuple[np.ndarray, np.ndarray]]
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """Equal-length runs of both record streams; the last item has the count of records left over on
    one side (positive: the request has more, negative: the result has more)."""
    empty = (np.empty((0, RECORD), np.uint8), np.empty(0, np.int64))
    a, an = empty
    b, bn = empty
    while True:
        if not len(a):
            a, an = next(left, empty)
        if not len(b):
            b, bn = next(right, empty)
        if not len(a) or not len(b):
            extra = len(a) - len(b)
            yield a[:0], b[:0], (an if len(a) else bn)[:1], extra
            return
        n = min(len(a), len(b))
        yield a[:n], b[:n], an[:n], 0
        a, an, b, bn = a[n:], an[n:], b[n:], bn[n:]


def _field_at(kind_byte: int, column: int) -> tuple[str, str]:
    kind = KINDS.get(kind_byte)
    if kind is None:
        return "data_kind", "データ区分"
    for f in kind.fields:
        if f.start - 1 <= column < f.start - 1 + f.length:
            return f.name, f.ja
    return "record", "レコード"


def compare(request: ExchangeFile, path: Path) -> Match:
    """Compare the request (from the vault) with the result at ``path`` (see the module docstring)."""
    name = request.original_name
    with open_blob(request.blob_id) as raw_request, open(path, "rb") as raw_result:
        left = _blocks(io.BufferedReader(raw_request, 1 << 20))
        right = _blocks(raw_result)
        for a, b, numbers, extra in _paired(left, right):
            if extra:
                number = int(numbers[0]) if len(numbers) else 0
                if extra > 0:
                    return Match(
                        request,
                        number,
                        "record",
                        f"結果にレコード {number} がありません (請求 {name} より短い)",
                        f"record {number} of the request {name} is missing from the result",
                    )
                return Match(
                    request,
                    number,
                    "record",
                    f"結果のレコード {number} は請求 {name} にありません",
                    f"record {number} of the result is not in the request {name}",
                )
            if not len(a):
                continue
            differ = a != b
            kinds = a[:, 0]
            differ[kinds == ord(_DATA.code), RESULT_COLUMN] = False
            differ[kinds == ord(_TRAILER.code), TRAILER_RESULT[0] : TRAILER_RESULT[1]] = False
            bad = np.flatnonzero(differ.any(axis=1))
            if len(bad):
                row = int(bad[0])
                column = int(np.flatnonzero(differ[row])[0])
                number = int(numbers[row])
                if a[row, 0] == ord(_DATA.code) and b[row, 0] != a[row, 0]:
                    return Match(
                        request,
                        number,
                        "record",
                        f"結果にレコード {number} (データレコード) がありません (請求 {name} より少ない)",
                        f"data record {number} of the request {name} is missing from the result",
                    )
                field, label = _field_at(int(a[row, 0]), column)
                return Match(
                    request,
                    number,
                    field,
                    f"レコード {number} の{label} (バイト {column + 1}) が請求 {name} と異なります",
                    f"record {number}: {field} (byte {column + 1}) differs from the request {name}",
                )
    return Match(request)
