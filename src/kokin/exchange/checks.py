"""Checking a received file before anything is stored: its format, every record, and the rules of
the exchange beyond the format (the debit date of a request must be a bank business day far enough
ahead). Reads the file from disk in constant memory: detection looks at the first bytes, the format
engine and the summary stream it block by block.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.conf import settings

from kokin.accounts.models import DataKind
from kokin.formats import FORMATS, bankdays, detect
from kokin.formats.dates import wareki_text
from kokin.formats.engine import Mode
from kokin.formats.errors import FormatError, FormatIssue, Report
from kokin.formats.summary import check_and_summarise

HEAD_SIZE = 64 * 1024


@dataclass
class Checked:
    """What checking found. ``issues`` are the report's errors and warnings plus the exchange's own."""

    format: str
    data_kind: DataKind
    mode: str = ""
    report: Report = field(default_factory=Report)
    summary: dict[str, Any] = field(default_factory=dict)
    detected: str = ""

    @property
    def ok(self) -> bool:
        return self.report.error_count == 0

    @property
    def issues(self) -> list[FormatIssue]:
        return self.report.sorted_issues()

    @property
    def unknown_codes(self) -> int:
        return self.report.by_code.get("unknown_code", 0)

    def first_batch_value(self, name: str) -> str:
        batches = self.summary.get("batch_list") or [{}]
        return str(batches[0].get(name, ""))


def mode_for(data_kind: DataKind) -> Mode:
    """A debit file sent to the bank must be a request, one from the bank a result."""
    if data_kind.format != "zengin-debit":
        return "auto"
    return "request" if data_kind.direction == DataKind.Direction.OUTBOUND else "result"


def encoding_hint(head: bytes) -> str:
    """Why a file that matches no format may not be one: a BOM, NUL bytes, UTF-8 or UTF-16 text."""
    sample = head[:1024]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    alternating = len(sample) >= 4 and (min(odd, even) * 8 < max(odd, even) and max(odd, even) * 3 > len(sample) // 2)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or alternating:
        return "UTF-16 で保存されています。全銀協形式は Shift_JIS (cp932) または EBCDIC の固定長です"
    if head.startswith(b"\xef\xbb\xbf"):
        return "UTF-8 (BOM付き) で保存されています。全銀協形式は Shift_JIS (cp932) または EBCDIC の固定長です"
    if b"\x00" in head:
        return "NUL バイト (0x00) が含まれています。バイナリファイルか、壊れたファイルです"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if any(ord(ch) > 0x7F for ch in text):
        return "UTF-8 の文字が含まれています。全銀協形式は Shift_JIS (cp932) または EBCDIC の固定長です"
    return ""


def _file_issue(code: str, ja: str, en: str) -> FormatIssue:
    return FormatIssue(None, "file", code, ja, en)


def check_file(path: Path, *, data_kind: DataKind, today: dt.date, lead_business_days: int) -> Checked:
    """Check the file at ``path`` for the mailbox ``data_kind`` (see the module docstring)."""
    with open(path, "rb") as fh:
        return check_stream(fh, data_kind=data_kind, today=today, lead_business_days=lead_business_days)


def check_stream(
    stream: BinaryIO, *, data_kind: DataKind, today: dt.date, lead_business_days: int, block_records: int = 16384
) -> Checked:
    """Check a file read once from ``stream`` (a file, or a body as it arrives, see
        :mod:`kokin.exchange.intake`): the first bytes decide the format, then the format engine and the
        summary take the same blocks of ``block_records`` records. Reads ``stream`` to its end only when the
        format is the right one. The report lists ``ISSUE_LIMIT`` (a setting) errors and as many warnings and
    counts the rest, so a file full of faults costs about what a clean one does."""
    checked = Checked(format=data_kind.format, data_kind=data_kind)
    report = checked.report
    report.max_issues = settings.ISSUE_LIMIT
    head = _read_head(stream)
    if not head:
        report.add(_file_issue("empty", "ファイルが空です (0 バイト)", "the file is empty (0 bytes)"))
        return checked
    detected, reason = detect(head)
    checked.detected = detected or ""
    if detected is None:
        hint = encoding_hint(head)
        report.add(
            _file_issue(
                "format",
                f"ファイルの形式を判別できません。{hint or reason.split(' / ')[0]}",
                f"the file's format is not recognised: {reason.split(' / ')[-1]}",
            )
        )
        return checked
    module = FORMATS.get(data_kind.format)
    if module is None:
        report.add(
            _file_issue(
                "format",
                f"データ種別の形式 {data_kind.format} はこのハブにありません",
                f"unknown format {data_kind.format}",
            )
        )
        return checked
    if detected != data_kind.format:
        expected = module.LAYOUT.ja
        found = FORMATS[detected].LAYOUT.ja
        report.add(
            _file_issue(
                "wrong_format",
                f"「{data_kind.label}」の形式 ({expected}) ではありません。このファイルは {found} です",
                f"the mailbox expects {data_kind.format}, the file is {detected}",
            )
        )
        return checked
    try:
        parsed, summary = check_and_summarise(
            cast(BinaryIO, _Resumed(head, stream)),
            module.LAYOUT,
            mode=mode_for(data_kind),
            check_master=True,
            max_issues=settings.ISSUE_LIMIT,
            block_records=block_records,
        )
    except FormatError as exc:
        for issue in exc.issues:
            report.add(issue)
        return checked
    checked.report = parsed.report
    checked.mode = parsed.mode if data_kind.format == "zengin-debit" else ""
    if not checked.ok:
        return checked
    checked.summary = summary
    if data_kind.format == "zengin-debit" and data_kind.direction == DataKind.Direction.OUTBOUND:
        check_debit_dates(checked, today=today, lead_business_days=lead_business_days)
        check_consignor(checked, data_kind.business.consignor_code_list)
    checked.summary["errors"] = checked.report.error_count
    checked.summary["warnings"] = checked.report.warning_count
    checked.summary["mode"] = checked.mode
    return checked


def _read_head(stream: BinaryIO) -> bytes:
    """The first :data:`HEAD_SIZE` bytes (fewer only at the end of the stream)."""
    parts: list[bytes] = []
    wanted = HEAD_SIZE
    while wanted > 0:
        piece = stream.read(wanted)
        if not piece:
            break
        parts.append(piece)
        wanted -= len(piece)
    return b"".join(parts)


class _Resumed(io.RawIOBase):
    """``head`` (already read for detection) followed by the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self.head = memoryview(head)
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        readinto = getattr(self.stream, "readinto", None)
        if readinto is not None:
            return int(readinto(buffer) or 0)
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def check_debit_dates(checked: Checked, *, today: dt.date, lead_business_days: int) -> None:
    """Every batch's 引落日 (MMDD, the next such date from today) must be a bank business day with at
    least ``lead_business_days`` business days between today and it."""
    f = FORMATS["zengin-debit"].LAYOUT.kind("header").field("debit_date")
    for batch in checked.summary.get("batch_list", []):
        raw = str(batch.get("debit_date", ""))
        try:
            date = bankdays.next_occurrence(raw, today=today)
        except ValueError:
            continue  # not a date: the format check has said so already
        batch["debit_date_resolved"] = date.isoformat()
        shown = f"{date:%Y-%m-%d} ({wareki_text(date)})"
        why = bankdays.holiday_name(date)
        if why:
            checked.report.add(
                FormatIssue(
                    batch["record"],
                    f.name,
                    "debit_date_holiday",
                    f"{f.ja} {shown} は銀行の休業日 ({why}) です",
                    f"debit date {date:%Y-%m-%d} is not a bank business day",
                    f.start,
                    f.end,
                )
            )
            continue
        lead = bankdays.business_days_between(today, date)
        if lead < lead_business_days:
            earliest = bankdays.add_business_days(today, lead_business_days)
            checked.report.add(
                FormatIssue(
                    batch["record"],
                    f.name,
                    "debit_date_lead",
                    f"{f.ja} {shown} まで銀行営業日が {lead} 日しかありません。{lead_business_days} 営業日以上先"
                    f" ({earliest:%Y-%m-%d} ({wareki_text(earliest)}) 以降) にしてください",
                    f"debit date {date:%Y-%m-%d} is {lead} business day(s) ahead; at least {lead_business_days} "
                    f"are needed (earliest {earliest:%Y-%m-%d})",
                    f.start,
                    f.end,
                )
            )


def check_consignor(checked: Checked, expected: list[str]) -> None:
    """Every batch's 委託者コード must be one the business was given (none set: not checked), so a
    request is not sent to the bank for another business."""
    if not expected:
        return
    f = FORMATS["zengin-debit"].LAYOUT.kind("header").field("consignor_code")
    shown = "・".join(expected)
    for batch in checked.summary.get("batch_list", []):
        code = str(batch.get("consignor_code", ""))
        if code in expected:
            continue
        checked.report.add(
            FormatIssue(
                batch["record"],
                f.name,
                "consignor_code",
                f"{f.ja} {code} はこの業務の{f.ja}ではありません (この業務の{f.ja}: {shown})。"
                "別の業務のファイルでないか確かめてください",
                f"consignor code {code} is not this business's (expected {', '.join(expected)})",
                f.start,
                f.end,
            )
        )


def debit_date_of(checked: Checked, today: dt.date) -> dt.date | None:
    """The (first batch's) debit date of a debit file.

    A request's is the next such MMDD from today. A result's is never guessed from an MMDD: it is its
    matched request's debit date (``summary["request_debit_date"]``, set by matching), else unknown."""
    if checked.data_kind.direction == DataKind.Direction.INBOUND:
        known = checked.summary.get("request_debit_date")
        return dt.date.fromisoformat(str(known)) if known else None
    raw = checked.first_batch_value("debit_date")
    if len(raw) != 4 or not raw.isdigit():
        return None
    try:
        return bankdays.next_occurrence(raw, today=today)
    except ValueError:
        return None
