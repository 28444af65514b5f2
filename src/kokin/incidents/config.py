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
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kokin.incidents.rules import DefenderRule, MassDownloadRule, Rules

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
}
SECTIONS: dict[str, type[DefenderRule] | type[MassDownloadRule]] = {
    "login_defender": DefenderRule,
    "mass_download": MassDownloadRule,
}


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
        if name in SECTIONS and isinstance(value, Mapping):
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
