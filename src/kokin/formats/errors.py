"""The one error vocabulary of every format module.

A fault in a bank file is a :class:`FormatIssue`: the 1-based record number, the field's snake_case
name (or ``length``, ``separator``, ``record_order`` for structural faults), the byte positions, and a
message in Japanese and English. ``severity`` tells an error (the file must not be sent) from a warning
(the operator should look, e.g. a bank code missing from the master).

Functions that cannot go on raise :class:`FormatError`, which carries the issues found so far.

:class:`KokinError` is the base of every error kokin raises, here and in every other part: a message in
Japanese (for the screen) and English (for logs and the API). It lives here, in the lowest layer, because
``kokin.formats`` may import no other part of kokin and ``kokin.bank`` only ``kokin.formats``;
:mod:`kokin.errors` names it for the hub's parts.

A :class:`Report` lists at most ``max_issues`` errors and as many warnings (:data:`ISSUE_LIMIT` when the
format engine checks a file); beyond that it only counts them, exactly, and ``omitted`` says how many
were counted and not listed. So a file full of faults costs about what a clean one does and gives a
report of bounded size.

A :class:`Report` also groups its warnings by field, code and value (:class:`IssueGroup`: how many, and
the first :data:`GROUP_RECORDS` record numbers), listed or only counted: a million records whose branch
code is missing from the master make one line for ``kokin validate``, not a million.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
#: issues listed per severity and file by default (the rest are counted)
ISSUE_LIMIT = 10_000
#: record numbers kept per group of warnings
GROUP_RECORDS = 5
#: groups of warnings kept per report (warnings of further values are counted, in no group)
GROUP_LIMIT = 1_000


@dataclass(frozen=True, slots=True)
class FormatIssue:
    record: int | None
    field: str
    code: str
    message_ja: str
    message_en: str
    start: int | None = None
    end: int | None = None
    severity: Severity = "error"
    #: what ``record`` counts: records of a bank file, or lines of a CSV
    unit: str = "record"
    #: the faulty data record's naming fields as (Japanese label, value), e.g. 顧客番号 and 預金者名
    #: (:mod:`kokin.formats.engine.subjects`); empty for other records and the file as a whole
    subject: tuple[tuple[str, str], ...] = ()
    #: the field's Japanese name in the record's own kind (header, data, trailer), when known
    label: str = ""

    @property
    def subject_text(self) -> str:
        """``顧客番号 …・預金者名 …`` (empty when the issue names no data record)."""
        return "・".join(f"{label} {value}" for label, value in self.subject)

    @property
    def position(self) -> str:
        if self.start is None:
            return ""
        return f" (bytes {self.start}-{self.end})" if self.end != self.start else f" (byte {self.start})"

    def __str__(self) -> str:
        where = f"{self.unit} {self.record}" if self.record is not None else "file"
        return f"{where}: {self.field}{self.position}: {self.message_en} / {self.message_ja}"

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "record": self.record,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "code": self.code,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
        }


class KokinError(Exception):
    """Base class of kokin's errors: ``message_ja`` and ``message_en``; ``str()`` gives both, as
    ``"<ja> / <en>"``. A subclass whose one-line form says more (an HTTP status, a config key) passes
    it as ``as_str``."""

    def __init__(self, message_ja: str, message_en: str, *, as_str: str | None = None) -> None:
        super().__init__(f"{message_ja} / {message_en}" if as_str is None else as_str)
        self.message_ja = message_ja
        self.message_en = message_en


class FormatError(KokinError, ValueError):
    """A file or a value that cannot be read or built; ``issues`` says where and why (the messages
    are those of the first 20 issues, one a line)."""

    def __init__(self, issues: list[FormatIssue] | FormatIssue | str) -> None:
        if isinstance(issues, str):
            issues = FormatIssue(None, "file", "invalid", issues, issues)
        self.issues = [issues] if isinstance(issues, FormatIssue) else list(issues)
        shown = self.issues[:20]
        super().__init__(
            "\n".join(i.message_ja for i in shown),
            "\n".join(i.message_en for i in shown),
            as_str="\n".join(str(i) for i in shown),
        )


@dataclass
class IssueGroup:
    """Warnings of one field, code and value: the first as worded, how many, and the first record numbers."""

    issue: FormatIssue
    count: int = 0
    records: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.count == 1:
            return str(self.issue)
        i = self.issue
        first = ", ".join(f"{r:,}" for r in self.records)
        more = " …" if self.count > len(self.records) else ""
        return (
            f"{self.count:,} {i.unit}s ({first}{more}): {i.field}{i.position}: {i.message_en} / "
            f"{self.count:,} 件 ({'行' if i.unit == 'line' else 'レコード'} {first}{more}): {i.message_ja}"
        )

    def as_dict(self) -> dict[str, object]:
        return {**self.issue.as_dict(), "record": None, "count": self.count, "first_records": self.records}


@dataclass
class Report:
    """What validation found: the first ``max_issues`` errors and warnings (all when None), and the
    count of every one."""

    errors: list[FormatIssue] = field(default_factory=list)
    warnings: list[FormatIssue] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    max_issues: int | None = None
    #: issues by ``code``, listed or not
    by_code: dict[str, int] = field(default_factory=dict)
    #: warnings by field, code and what they say (the value is in the message), listed or not
    warning_groups: dict[tuple[str, str, str], IssueGroup] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, issue: FormatIssue) -> None:
        self.by_code[issue.code] = self.by_code.get(issue.code, 0) + 1
        if issue.severity == "error":
            self.error_count += 1
            bucket = self.errors
        else:
            self.warning_count += 1
            bucket = self.warnings
        if self.max_issues is None or len(bucket) < self.max_issues:
            bucket.append(issue)
        if issue.severity == "warning":
            self.group(issue, 1, [] if issue.record is None else [issue.record])

    def group(self, issue: FormatIssue, n: int, records: list[int]) -> None:
        """Put ``n`` warnings like ``issue`` (same field, code and value), first found at ``records``, in
        their group; :meth:`add` does it for the warnings it lists, the engine for those it only counts.
        Beyond :data:`GROUP_LIMIT` groups a new value is left out (see :attr:`ungrouped`)."""
        key = (issue.field, issue.code, issue.message_en)
        found = self.warning_groups.get(key)
        if found is None:
            if len(self.warning_groups) >= GROUP_LIMIT:
                return
            found = self.warning_groups[key] = IssueGroup(issue)
        found.count += n
        if len(found.records) < GROUP_RECORDS:
            found.records.extend(records[: GROUP_RECORDS - len(found.records)])

    @property
    def groups_full(self) -> bool:
        """No new group of warnings will be kept (:data:`GROUP_LIMIT`)."""
        return len(self.warning_groups) >= GROUP_LIMIT

    @property
    def ungrouped(self) -> int:
        """Warnings counted in no group (beyond :data:`GROUP_LIMIT` values, or found where none is kept)."""
        return self.warning_count - sum(g.count for g in self.warning_groups.values())

    def sorted_groups(self) -> list[IssueGroup]:
        """The groups of warnings by their first record."""
        return sorted(self.warning_groups.values(), key=lambda g: g.records[0] if g.records else 1 << 62)

    def room(self, severity: Severity) -> int | None:
        """How many more issues of ``severity`` will be listed (None: no limit)."""
        if self.max_issues is None:
            return None
        listed = len(self.errors if severity == "error" else self.warnings)
        return max(self.max_issues - listed, 0)

    def listable(self, severity: Severity, code: str, n: int, *, at_most: int | None = None) -> int:
        """Of ``n`` issues of ``severity`` and ``code`` just found, how many to word and :meth:`add` (at
        most ``at_most``); the others are counted here and now."""
        room = self.room(severity)
        take = n if room is None else min(n, room)
        if at_most is not None:
            take = min(take, at_most)
        if n > take:
            self.count(severity, code, n - take)
        return take

    def count(self, severity: Severity, code: str, n: int) -> None:
        """Count ``n`` issues of ``severity`` and ``code`` without listing them (found beyond the limit)."""
        self.by_code[code] = self.by_code.get(code, 0) + n
        if severity == "error":
            self.error_count += n
        else:
            self.warning_count += n

    @property
    def omitted(self) -> int:
        """Issues counted but not listed."""
        return self.error_count + self.warning_count - len(self.errors) - len(self.warnings)

    def sorted_issues(self) -> list[FormatIssue]:
        return sorted(
            self.errors + self.warnings,
            key=lambda i: (i.record if i.record is not None else 1 << 62, i.start or 0, i.severity),
        )
