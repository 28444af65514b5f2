"""Bank profiles (銀行別設定): a TOML file that changes layouts without code.

A profile names the bank and, per format, overrides what that bank does differently: positions and
lengths, record length, separators, the allowed characters, blanks in the header's account fields.
Keys are those of :func:`kokin.formats.layout.override`::

    [bank]
    code = "0005"
    name = "サンプル銀行"

    [formats.zengin-debit]
    separators = ["crlf"]
    charset_remove = ",."

    [formats.zengin-debit.records.header.fields.account_type]
    blank_ok = true

A profile with an error is rejected with a message naming the line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from kokin.formats.errors import FormatError, FormatIssue
from kokin.formats.layout import Layout, override

_WORD = re.compile(r"[A-Za-z_][\w-]*")
_TABLE = re.compile(r"^\s*\[+([^\]]+)\]+")
_KEY = re.compile(r'^\s*"?([\w-]+)"?\s*=')


@dataclass(frozen=True)
class Profile:
    path: str
    bank_code: str
    bank_name: str
    formats: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def layout(self, name: str, base: Layout) -> Layout:
        changes = self.formats.get(name)
        if not changes:
            return base
        try:
            return override(base, changes)
        except FormatError as exc:
            raise FormatError([_locate(self.path, issue) for issue in exc.issues]) from exc
        except (TypeError, ValueError, AttributeError) as exc:
            # a value of the wrong kind (a number where a table belongs, a string for a position)
            line = _line_of(_read(self.path), [name])
            raise FormatError(
                f"{self.path}:{line}: [formats.{name}]: invalid value ({exc}) / 設定値が誤っています"
            ) from exc


def _line_of(text: str, words: list[str]) -> int | None:
    """The line where the last of ``words`` appears after the others (best effort)."""
    lines = text.splitlines()
    start = 0
    found = None
    for word in words:
        for i in range(start, len(lines)):
            if word in lines[i] and not lines[i].lstrip().startswith("#"):
                found = start = i
                break
    return None if found is None else found + 1


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _keys(text: str) -> set[str]:
    """The keys and table names a TOML text uses."""
    keys: set[str] = set()
    for line in text.splitlines():
        if m := _TABLE.match(line):
            keys.update(part.strip().strip('"') for part in m.group(1).split("."))
        elif m := _KEY.match(line):
            keys.add(m.group(1))
    return keys


def _locate(path: str, issue: FormatIssue) -> FormatIssue:
    text = _read(path)
    if not text:
        return issue
    words = [w for w in issue.field.replace(".", " ").split() if w not in {"file"}]
    # the message names the key at fault (an attribute, a setting, a record kind), perhaps in words:
    # "record length" is the key record_length; lists in parentheses ("known: ...") are not the fault
    tokens = _WORD.findall(re.sub(r"\(.*?\)", " ", issue.message_en))
    keys = _keys(text)
    for token in [*tokens, *("_".join(pair) for pair in pairwise(tokens))]:
        if token in keys and token not in words:
            words.append(token)
    line = _line_of(text, words) if words else None
    where = f"{path}:{line}" if line else path
    return FormatIssue(
        line,
        issue.field,
        issue.code,
        f"{where}: {issue.message_ja}",
        f"{where}: {issue.message_en}",
        issue.start,
        issue.end,
        issue.severity,
        unit="line" if line else issue.unit,
    )


def load_profile(path: str | Path) -> Profile:
    path = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"{path}: {exc} / プロファイルの書式が誤っています") from exc
    except OSError as exc:
        raise FormatError(f"{path}: {exc.strerror} / プロファイルを開けません") from exc
    unknown = set(data) - {"bank", "formats"}
    if unknown:
        key = sorted(unknown)[0]
        line = _line_of(Path(path).read_text(encoding="utf-8"), [key])
        raise FormatError(f"{path}:{line}: unknown section '{key}' / 不明なセクション「{key}」です")
    for section in ("bank", "formats"):
        if not isinstance(data.get(section, {}), dict):
            line = _line_of(_read(path), [section])
            raise FormatError(
                f"{path}:{line}: '{section}' must be a table / 「{section}」はテーブルでなければなりません"
            )
    bank = data.get("bank", {})
    profile = Profile(path, str(bank.get("code", "")), str(bank.get("name", "")), data.get("formats", {}))
    from kokin.formats import FORMATS

    for name in profile.formats:
        if name not in FORMATS:
            line = _line_of(Path(path).read_text(encoding="utf-8"), [name])
            raise FormatError(f"{path}:{line}: unknown format '{name}' / 不明な形式「{name}」です")
        profile.layout(name, FORMATS[name].LAYOUT)
    return profile
