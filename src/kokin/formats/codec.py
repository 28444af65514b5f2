"""Record-at-a-time encoding and decoding for any :class:`~kokin.formats.layout.Layout`.

The bulk path (:mod:`kokin.formats.engine`) is for checking and converting whole files; this module
is for building files and for walking a file record by record as Python dicts (``iter_records``).
Decoded values follow one convention everywhere: identifiers stay strings with their zeros, amounts
and counts (``numeric`` fields) are ints, C fields lose their trailing spaces, dummy fields are left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from kokin.formats import kanji
from kokin.formats.errors import FormatError, FormatIssue, Report
from kokin.formats.framing import RecordReader
from kokin.formats.layout import Field, Layout, RecordKind


def encode_field(f: Field, value: Any, charset: frozenset[str], record: int | None = None) -> bytes:
    """One field's bytes; raise :class:`FormatError` naming the field when the value does not fit."""

    def fail(ja: str, en: str) -> FormatError:
        return FormatError(FormatIssue(record, f.name, "build", f"{f.ja}: {ja}", f"{f.name}: {en}", f.start, f.end))

    if f.dummy or value is None:
        if f.type == "N" and not f.dummy and not f.blank_ok:
            raise fail("値がありません", "a value is required")
        return b" " * f.length
    if f.type == "N":
        text = str(value)
        if text.strip() == "" and f.blank_ok:
            return b" " * f.length
        if not text.isascii() or not text.isdigit():
            raise fail(f"「{text}」は数字ではありません", f"'{text}' is not a number")
        if len(text) > f.length:
            raise fail(f"「{text}」は {f.length} 桁を超えています", f"'{text}' has more than {f.length} digits")
        return text.rjust(f.length, "0").encode("ascii")
    text = str(value)
    if f.type == "K":
        try:
            text = kanji.to_field_text(text)
        except kanji.KanjiError as exc:
            raise fail(exc.message_ja, exc.message_en) from exc
    if f.type == "C":
        for i, ch in enumerate(text):
            if ch not in charset:
                raise fail(
                    f"{i + 1}文字目「{ch}」は使えない文字です",
                    f"character {i + 1} '{ch}' is not in the allowed character set",
                )
    try:
        raw = text.encode("cp932")
    except UnicodeEncodeError as exc:
        ch = text[exc.start]
        raise fail(f"「{ch}」は cp932 で表せません", f"'{ch}' cannot be encoded in cp932") from exc
    if len(raw) > f.length:
        raise fail(
            f"{len(raw)} バイトで {f.length} バイトを超えています", f"{len(raw)} bytes is longer than {f.length}"
        )
    if f.type == "K":
        gap = f.length - len(raw)
        return raw + b"\x81\x40" * (gap // 2) + b" " * (gap % 2)
    return raw.ljust(f.length, b" ")


def encode_record(layout: Layout, kind: RecordKind, values: Mapping[str, Any], record: int | None = None) -> bytes:
    out = bytearray()
    for f in kind.fields:
        if f.name == "data_kind":
            out += kind.code.encode("ascii")
            continue
        out += encode_field(f, values.get(f.name), layout.charset, record)
    if len(out) != layout.record_length:
        raise FormatError(f"internal: {kind.name} encoded to {len(out)} bytes")
    return bytes(out)


def decode_record(kind: RecordKind, raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in kind.fields:
        if f.dummy:
            continue
        chunk = raw[f.slice]
        if f.numeric:
            out[f.name] = int(chunk) if chunk.isdigit() else None
        elif f.type == "N":
            out[f.name] = chunk.decode("ascii", "replace")
        else:
            out[f.name] = chunk.decode("cp932", "replace").rstrip(" 　")
    return out


def iter_records(layout: Layout, stream: BinaryIO, *, ebcdic: bool | None = None) -> Iterator[dict[str, Any]]:
    """Yield each record as a dict (``record_number`` and ``record_kind`` added), in constant memory.

    Structural faults (length, separator) raise :class:`FormatError`; use validation to see all faults.
    """
    report = Report()
    reader = RecordReader(
        stream,
        layout.record_length,
        report,
        separators=("crlf", "none"),
        ebcdic=ebcdic,
        first_kind=layout.kinds[0].code.encode("ascii"),
        block_records=4096,
    )
    kinds = {k.code.encode("ascii")[0]: k for k in layout.kinds}
    pos = layout.kind_position - 1
    for block in reader.blocks():
        if report.errors:
            raise FormatError(report.errors)
        for row, number in zip(block.rows, block.numbers, strict=True):
            raw = row.tobytes()
            kind = kinds.get(raw[pos])
            if kind is None:
                raise FormatError(
                    FormatIssue(
                        int(number),
                        "data_kind",
                        "allowed",
                        "データ区分が不正です",
                        "unknown data_kind",
                        pos + 1,
                        pos + 1,
                    )
                )
            rec = decode_record(kind, raw)
            rec["record_number"] = int(number)
            rec["record_kind"] = kind.name
            yield rec
    if report.errors:
        raise FormatError(report.errors)
