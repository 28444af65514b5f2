"""Declarative fixed-width layouts (固定長レコード様式).

A :class:`Layout` is data: record kinds keyed by the データ区分 byte, each a list of :class:`Field`
with 1-based byte position, length, type (``N`` zero-filled digits, ``C`` single-byte characters,
``K`` full-width double-byte characters), the allowed values and the meaning in Japanese and English.
Trailer totals and record order are data too, so a bank's variant is a profile, not code
(:func:`override`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from kokin.formats.charset import ZENGIN_CHARS
from kokin.formats.errors import FormatError, FormatIssue

FieldType = Literal["N", "C", "K"]


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based, inclusive
    length: int
    type: FieldType
    ja: str
    en: str = ""
    allowed: tuple[str, ...] | None = None
    #: the whole field may be spaces (e.g. header 96–103 at some banks)
    blank_ok: bool = False
    #: amounts and counts become integers when decoded; identifiers stay strings with their zeros
    numeric: bool = False
    #: dummy (ダミー) fields: anything but spaces is a warning, never decoded
    dummy: bool = False
    #: a date check: "mmdd", "yyyymmdd"
    date: str | None = None
    #: a master lookup: "bank" or "branch" (the branch is looked up under the record's bank_code)
    lookup: str | None = None
    #: allowed numeric range per value of another field, e.g. 期別 per 科目コード: {"01": (1, 4)}
    ranges: Mapping[str, tuple[int, int]] | None = None
    range_key: str | None = None
    #: what each allowed value means, in Japanese (預金種目 "1" 普通): decoded beside the code in exports
    codes: Mapping[str, str] | None = None

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    @property
    def slice(self) -> slice:
        return slice(self.start - 1, self.start - 1 + self.length)


#: amounts and counts are decoded into int64: 18 digits always fit (19 do not all)
MAX_NUMERIC_DIGITS = 18


@dataclass(frozen=True)
class RecordKind:
    code: str  # the データ区分 character
    name: str  # header / data / trailer / end
    ja: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Total:
    """A trailer field that must equal an aggregate over the batch's data records.

    ``op`` is ``count`` or ``sum`` (of ``source``); ``where`` restricts the records by a field value
    (``("result_code", "==", "0")``); ``mode`` limits the check to request or result files.
    """

    field: str
    op: Literal["count", "sum"]
    source: str | None = None
    where: tuple[str, Literal["==", "!="], str] | None = None
    mode: Literal["any", "request", "result"] = "any"


@dataclass(frozen=True)
class Layout:
    name: str
    ja: str
    en: str
    record_length: int
    kinds: tuple[RecordKind, ...]
    #: which kind may follow which; "" is the start of the file
    follows: Mapping[str, tuple[str, ...]]
    totals: tuple[Total, ...] = ()
    separators: tuple[str, ...] = ("crlf", "none")
    encoding: str = "cp932"
    charset: frozenset[str] = ZENGIN_CHARS
    #: the data_kind byte position (1-based)
    kind_position: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict)

    def kind(self, name: str) -> RecordKind:
        for k in self.kinds:
            if k.name == name:
                return k
        raise KeyError(name)

    def kind_by_code(self, code: str) -> RecordKind | None:
        for k in self.kinds:
            if k.code == code:
                return k
        return None

    def check(self) -> None:
        """Raise :class:`FormatError` if fields overlap, leave gaps or overrun the record length."""
        problems: list[FormatIssue] = []
        for kind in self.kinds:
            pos = 1
            for f in sorted(kind.fields, key=lambda f: f.start):
                if f.length <= 0:
                    problems.append(_layout_issue(kind, f, "length must be positive", "長さが0以下です"))
                if f.start < pos:
                    problems.append(
                        _layout_issue(
                            kind,
                            f,
                            f"overlaps the field before it (starts at {f.start})",
                            f"前の項目と重なっています (開始位置 {f.start})",
                        )
                    )
                elif f.start > pos:
                    problems.append(
                        _layout_issue(
                            kind,
                            f,
                            f"leaves bytes {pos}-{f.start - 1} undefined",
                            f"{pos}～{f.start - 1} バイト目が未定義です",
                        )
                    )
                if f.numeric and f.length > MAX_NUMERIC_DIGITS:
                    problems.append(
                        _layout_issue(
                            kind,
                            f,
                            f"a numeric field holds at most {MAX_NUMERIC_DIGITS} digits (64-bit integers)",
                            f"数値項目は {MAX_NUMERIC_DIGITS} 桁までです (64 ビット整数)",
                        )
                    )
                if f.type == "K" and f.length % 2:
                    problems.append(
                        _layout_issue(
                            kind,
                            f,
                            "a full-width field needs an even length",
                            "全角項目の長さは偶数でなければなりません",
                        )
                    )
                pos = f.end + 1
            if pos - 1 != self.record_length:
                problems.append(
                    FormatIssue(
                        None,
                        f"{kind.name}",
                        "layout",
                        f"{kind.ja}の項目の長さの合計 {pos - 1} がレコード長 {self.record_length} と一致しません",
                        f"{kind.name} fields add up to {pos - 1} bytes, record length is {self.record_length}",
                    )
                )
        if problems:
            raise FormatError(problems)


def _layout_issue(kind: RecordKind, f: Field, en: str, ja: str) -> FormatIssue:
    return FormatIssue(
        None,
        f"{kind.name}.{f.name}",
        "layout",
        f"{kind.ja} {f.name}: {ja}",
        f"{kind.name} {f.name}: {en}",
        f.start,
        f.end,
    )


#: the record order of the Zengin family: header, data…, trailer, (header, data…, trailer)…, end
ZENGIN_ORDER: Mapping[str, tuple[str, ...]] = {
    "header": ("", "trailer"),
    "data": ("header", "data"),
    "trailer": ("header", "data"),
    "end": ("trailer",),
}


def end_record(record_length: int) -> RecordKind:
    """The end record (データ区分 9) of a Zengin-family layout: ``9`` and spaces."""
    return RecordKind(
        "9",
        "end",
        "エンドレコード",
        (
            Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("9",)),
            Field("dummy", 2, record_length - 1, "C", "ダミー", "dummy", dummy=True),
        ),
    )


_FIELD_KEYS = {
    "start",
    "length",
    "type",
    "allowed",
    "blank_ok",
    "ja",
    "en",
    "numeric",
    "dummy",
    "date",
    "lookup",
    "ranges",
    "range_key",
}


def override(layout: Layout, changes: Mapping[str, Any]) -> Layout:
    """Return ``layout`` changed by a profile's mapping, checked for consistency.

    Keys: ``record_length``, ``separators`` (list of "crlf"/"none"), ``charset_add``,
    ``charset_remove`` (strings of characters), ``charset`` (the whole set as a string), and
    ``records.<kind>.fields.<field>.<attribute>`` for ``start``, ``length``, ``type``, ``allowed``,
    ``blank_ok`` and the other :class:`Field` attributes. A new field needs ``start``, ``length``
    and ``type``; ``drop = true`` removes one. ``date_style = "wareki"`` turns every Western date into
    era code + YYMMDD (see :func:`with_date_style`); ``ebcdic = true`` reads and writes EBCDIC.
    """
    unknown = set(changes) - {
        "record_length",
        "separators",
        "charset",
        "charset_add",
        "charset_remove",
        "records",
        "encoding",
        "date_style",
        "ebcdic",
    }
    if unknown:
        raise FormatError(f"unknown layout setting(s): {', '.join(sorted(unknown))}")
    charset = frozenset(changes.get("charset", "")) or layout.charset
    charset = (charset | frozenset(changes.get("charset_add", ""))) - frozenset(changes.get("charset_remove", ""))
    separators = tuple(changes.get("separators", layout.separators))
    if not separators or set(separators) - {"crlf", "none"}:
        raise FormatError(f"separators must be a non-empty list of 'crlf'/'none', got {separators!r}")
    if "date_style" in changes:
        layout = with_date_style(layout, str(changes["date_style"]))
    kinds = []
    record_changes: Mapping[str, Any] = changes.get("records", {})
    known_kinds = {k.name for k in layout.kinds}
    for name in record_changes:
        if name not in known_kinds:
            raise FormatError(f"unknown record kind '{name}' (known: {', '.join(sorted(known_kinds))})")
    for kind in layout.kinds:
        fields_changes: Mapping[str, Mapping[str, Any]] = record_changes.get(kind.name, {}).get("fields", {})
        fields = {f.name: f for f in kind.fields}
        for fname, attrs in fields_changes.items():
            bad = set(attrs) - _FIELD_KEYS - {"drop"}
            if bad:
                raise FormatError(f"{kind.name}.{fname}: unknown attribute(s) {', '.join(sorted(bad))}")
            if attrs.get("drop"):
                if fname not in fields:
                    raise FormatError(f"{kind.name}.{fname}: unknown field cannot be dropped")
                del fields[fname]
                continue
            values = dict(attrs)
            if "allowed" in values and values["allowed"] is not None:
                values["allowed"] = tuple(str(v) for v in values["allowed"])
            if fname in fields:
                fields[fname] = replace(fields[fname], **values)
            else:
                if not {"start", "length", "type"} <= set(values):
                    raise FormatError(f"{kind.name}.{fname}: a new field needs start, length and type")
                values.setdefault("ja", fname)
                fields[fname] = Field(name=fname, **values)
        kinds.append(replace(kind, fields=tuple(sorted(fields.values(), key=lambda f: f.start))))
    result = replace(
        layout,
        record_length=int(changes.get("record_length", layout.record_length)),
        separators=separators,
        charset=charset,
        encoding=str(changes.get("encoding", layout.encoding)),
        extra={**layout.extra, **({"ebcdic": bool(changes["ebcdic"])} if "ebcdic" in changes else {})},
        kinds=tuple(kinds),
    )
    result.check()
    return result


_WAREKI = {"yyyymmdd": ("wareki", 7), "fiscal_year": ("wareki_year", 3)}
_WESTERN = {"wareki": ("yyyymmdd", 8), "wareki_year": ("fiscal_year", 4)}


def with_date_style(layout: Layout, style: str) -> Layout:
    """Every date field in ``style`` ("wareki" or "western"); later fields move, the last dummy absorbs it."""
    if style not in ("wareki", "western"):
        raise FormatError(f"date_style must be 'wareki' or 'western', got '{style}'")
    table = _WAREKI if style == "wareki" else _WESTERN
    kinds = []
    for kind in layout.kinds:
        shift = 0
        fields = []
        for f in sorted(kind.fields, key=lambda f: f.start):
            new = replace(f, start=f.start + shift)
            if f.date in table:
                date, length = table[f.date]
                shift += length - f.length
                new = replace(new, date=date, length=length)
            fields.append(new)
        if shift:
            last = fields[-1]
            if not last.dummy or last.length - shift <= 0:
                raise FormatError(f"{kind.name}: no trailing dummy field to absorb the date style change")
            fields[-1] = replace(last, length=last.length - shift)
        kinds.append(replace(kind, fields=tuple(fields)))
    return replace(layout, kinds=tuple(kinds))
