"""The detection rules' settings: one TOML file named by ``KOKIN_INCIDENT_RULES`` (unset: the defaults).

Pure (no Django): :func:`load` reads the file and returns the :class:`~kokin.incidents.rules.Rules`
with every value it could not take, each as a :class:`Problem` in Japanese and English; the system
check of the app (:mod:`kokin.incidents.checks`) reports them, so a wrong threshold stops the hub at
start instead of quietly running on a default. ::

    dedup_hours = 24                # a raise within this of the last one joins the open incident

    [login_defender]                # failed logins per account and per address
    enabled = true
    threshold = 15
    observation_minutes = 30
    ban_minutes = 30
    ban_increase_percent = 50
    max_ban_minutes = 1440
    ban_memory_hours = 24
    score_failed_password = 1
    score_unknown_account = 2
    score_failed_second_factor = 2
    score_refused = 3

    [mass_download]                 # files or bytes in a window against the business's usual level
    enabled = true
    window_minutes = 15
    files = 20
    megabytes = 200
    factor = 3.0
    baseline_days = 28

    [rare_role]                     # a download or export by a role that rarely does it
    enabled = true
    baseline_days = 90
    min_total = 50
    min_times = 2

    [working_hours]                 # a login outside the department's working hours (off by default)
    enabled = false
    start = "08:00"                 # "HH:MM", local time; end not included ("24:00": the day's end)
    end = "19:00"
    weekdays = [1, 2, 3, 4, 5]      # ISO: 1 Monday ... 7 Sunday
    closed_on_holidays = true       # national holidays and 12/29-1/3

    [working_hours.departments.zeimu]   # a department (by its code) whose hours differ
    start = "07:30"
    end = "21:00"

    [terminal]                      # a login refused at a terminal that is not allowed or registered
    enabled = true
    [audit_verify]                  # a failed check of the operation log or its checkpoints
    enabled = true
    [vault]                         # a failure of the vault or its keys
    enabled = true
    [retention]                     # an erasure before the retention schedule's date
    enabled = true

A department's table starts from the ward-wide hours and changes only what it names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kokin.incidents.hours import Hours
from kokin.incidents.rules import DefenderRule, MassDownloadRule, RareRoleRule, Rules, Switch, WorkingHoursRule

#: check ids: the file cannot be read or parsed; a name that is no rule or setting; a value of the
#: wrong type or out of range
UNREADABLE, UNKNOWN, OUT_OF_RANGE = "kokin.E101", "kokin.E102", "kokin.E103"

#: least and (``None``: no) most of each number; a setting not listed is a flag
BOUNDS: dict[str, tuple[float, float | None]] = {
    "dedup_hours": (0, 24 * 365),
    "threshold": (1, None),
    "observation_minutes": (1, 24 * 60),
    "ban_minutes": (1, 7 * 24 * 60),
    "ban_increase_percent": (0, 1000),
    "max_ban_minutes": (1, 365 * 24 * 60),
    "ban_memory_hours": (0, 24 * 365),
    "score_failed_password": (0, 1000),
    "score_unknown_account": (0, 1000),
    "score_failed_second_factor": (0, 1000),
    "score_refused": (0, 1000),
    "window_minutes": (1, 24 * 60),
    "files": (1, None),
    "megabytes": (1, None),
    "factor": (1, 1000),
    "baseline_days": (1, 366),
    "min_total": (1, None),
    "min_times": (1, None),
}
SECTIONS: dict[str, type[Any]] = {
    "login_defender": DefenderRule,
    "mass_download": MassDownloadRule,
    "rare_role": RareRoleRule,
    "working_hours": WorkingHoursRule,
    "terminal": Switch,
    "audit_verify": Switch,
    "vault": Switch,
    "retention": Switch,
}
HOURS_KEYS = ("start", "end", "weekdays", "closed_on_holidays")


@dataclass(frozen=True)
class Problem:
    """A setting that could not be taken: where, the check id and why (Japanese and English)."""

    id: str
    where: str
    ja: str
    en: str

    def __str__(self) -> str:
        return f"{self.where}: {self.ja} / {self.en}"


def load(path: str | Path | None) -> tuple[Rules, list[Problem]]:
    """The rules of the TOML file at ``path`` (``None`` or empty: the defaults) and what was wrong in it;
    a wrong value keeps its default, so the caller can still run while the check reports it."""
    if not path:
        return Rules(), []
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        why = exc.strerror or str(exc)
        return Rules(), [Problem(UNREADABLE, str(path), f"読み込めません ({why})", f"cannot be read ({why})")]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return Rules(), [Problem(UNREADABLE, str(path), f"TOML として読めません ({exc})", f"is not valid TOML ({exc})")]
    return parse(data, where=str(path))


def parse(data: Mapping[str, Any], *, where: str = "") -> tuple[Rules, list[Problem]]:
    problems: list[Problem] = []
    top: dict[str, Any] = {}
    for name, value in data.items():
        if name == "working_hours" and isinstance(value, Mapping):
            top[name] = _working_hours(value, f"{where}[{name}]", problems)
        elif name in SECTIONS and isinstance(value, Mapping):
            top[name] = _section(SECTIONS[name](), value, f"{where}[{name}]", problems)
        elif name in SECTIONS:
            problems.append(Problem(OUT_OF_RANGE, f"{where}[{name}]", "表 (テーブル) で書きます", "must be a table"))
        elif name == "dedup_hours":
            top[name] = _value(name, value, Rules.dedup_hours, f"{where} {name}", problems)
        else:
            problems.append(_unknown(f"{where} {name}", [*SECTIONS, "dedup_hours"]))
    return Rules(**top), problems


def _section(default: Any, values: Mapping[str, Any], where: str, problems: list[Problem]) -> Any:
    known = {f.name: getattr(default, f.name) for f in dataclasses.fields(default)}
    taken: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            problems.append(_unknown(f"{where} {name}", list(known)))
            continue
        taken[name] = _value(name, value, known[name], f"{where} {name}", problems)
    rule = dataclasses.replace(default, **taken)
    if isinstance(rule, DefenderRule) and rule.max_ban_minutes < rule.ban_minutes:
        problems.append(
            Problem(
                OUT_OF_RANGE,
                f"{where} max_ban_minutes",
                f"ban_minutes ({rule.ban_minutes}) 以上にしてください",
                f"must be at least ban_minutes ({rule.ban_minutes})",
            )
        )
        rule = dataclasses.replace(rule, max_ban_minutes=rule.ban_minutes)
    return rule


def _value(name: str, value: Any, default: Any, where: str, problems: list[Problem]) -> Any:
    """``value`` if it has the default's type and lies in :data:`BOUNDS`, else the default (noted)."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        problems.append(Problem(OUT_OF_RANGE, where, "true か false です", "must be true or false"))
        return default
    wanted = (int, float) if isinstance(default, float) else (int,)
    least, most = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, wanted):
        kind_ja, kind_en = ("数", "a number") if isinstance(default, float) else ("整数", "an integer")
        problems.append(Problem(OUT_OF_RANGE, where, f"{kind_ja}で書いてください ({value!r})", f"must be {kind_en}"))
        return default
    if value < least or (most is not None and value > most):
        span_ja = f"{least:g} 以上" if most is None else f"{least:g} から {most:g} まで"
        span_en = f"at least {least:g}" if most is None else f"from {least:g} to {most:g}"
        problems.append(Problem(OUT_OF_RANGE, where, f"{value} は範囲外です ({span_ja})", f"{value} must be {span_en}"))
        return default
    return value


def _unknown(where: str, known: list[str]) -> Problem:
    names = ", ".join(known)
    return Problem(UNKNOWN, where, f"知らない名前です (使えるのは {names})", f"unknown name (known: {names})")


def _working_hours(values: Mapping[str, Any], where: str, problems: list[Problem]) -> WorkingHoursRule:
    default = WorkingHoursRule()
    enabled = default.enabled
    if "enabled" in values:
        enabled = _value("enabled", values["enabled"], default.enabled, f"{where} enabled", problems)
    hours = _hours(default.hours, values, where, problems)
    departments: dict[str, Hours] = {}
    for name in values:
        if name not in (*HOURS_KEYS, "enabled", "departments"):
            problems.append(_unknown(f"{where} {name}", [*HOURS_KEYS, "enabled", "departments"]))
    tables = values.get("departments", {})
    if not isinstance(tables, Mapping):
        problems.append(Problem(OUT_OF_RANGE, f"{where} departments", "表 (テーブル) で書きます", "must be a table"))
        tables = {}
    for code, table in tables.items():
        here = f"{where}.departments.{code}"
        if not isinstance(table, Mapping):
            problems.append(Problem(OUT_OF_RANGE, here, "表 (テーブル) で書きます", "must be a table"))
            continue
        for name in table:
            if name not in HOURS_KEYS:
                problems.append(_unknown(f"{here} {name}", list(HOURS_KEYS)))
        departments[str(code)] = _hours(hours, table, here, problems)
    return WorkingHoursRule(enabled=enabled, hours=hours, departments=departments)


def _hours(base: Hours, values: Mapping[str, Any], where: str, problems: list[Problem]) -> Hours:
    """``base`` with the hours ``values`` names; a wrong value keeps ``base``'s (noted)."""
    taken: dict[str, Any] = {}
    for name in ("start", "end"):
        if name in values:
            moment = _clock(values[name])
            if moment is None:
                problems.append(
                    Problem(
                        OUT_OF_RANGE,
                        f"{where} {name}",
                        f'時刻は "HH:MM" で書きます ({values[name]!r})',
                        'must be a time "HH:MM"',
                    )
                )
            else:
                taken[name] = moment
    if "weekdays" in values:
        days = values["weekdays"]
        if isinstance(days, list) and days and all(type(d) is int and 1 <= d <= 7 for d in days):
            taken["weekdays"] = tuple(sorted(set(days)))
        else:
            problems.append(
                Problem(
                    OUT_OF_RANGE,
                    f"{where} weekdays",
                    f"1 (月) から 7 (日) の数の並びで書きます ({days!r})",
                    "must be a non-empty list of ISO weekdays 1 (Monday) to 7 (Sunday)",
                )
            )
    if "closed_on_holidays" in values:
        taken["closed_on_holidays"] = _value(
            "closed_on_holidays",
            values["closed_on_holidays"],
            base.closed_on_holidays,
            f"{where} closed_on_holidays",
            problems,
        )
    hours = dataclasses.replace(base, **taken)
    if hours.start >= hours.end:
        problems.append(
            Problem(
                OUT_OF_RANGE,
                f"{where} end",
                f"終了 ({hours.end:%H:%M}) は開始 ({hours.start:%H:%M}) より後にします",
                f"end ({hours.end:%H:%M}) must be after start ({hours.start:%H:%M})",
            )
        )
        hours = dataclasses.replace(hours, start=base.start, end=base.end)
    return hours


def _clock(value: Any) -> dt.time | None:
    """A time of day written "HH:MM" (or a TOML local time), None when it is not one."""
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and (m := re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())):
        hour, minute = int(m[1]), int(m[2])
        if (hour, minute) == (24, 0):
            return dt.time.max  # the end of the day
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    return None
