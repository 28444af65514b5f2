"""The detection rules' arithmetic (pure, with property tests) and their settings: the TOML file, and the
system check that stops the hub on a wrong value (kokin.E101–E103)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from hypothesis import given
from hypothesis import strategies as st

from kokin.incidents import config
from kokin.incidents.rules import MB, DefenderRule, LoginEvent, MassDownloadRule, Rules, usual_level, window_score

rules = st.builds(
    DefenderRule,
    ban_minutes=st.integers(1, 600),
    ban_increase_percent=st.integers(0, 1000),
    max_ban_minutes=st.integers(600, 365 * 24 * 60),
)


def test_scores_follow_the_documented_mapping() -> None:
    rule = DefenderRule()
    assert {e: rule.score(e) for e in LoginEvent} == {
        LoginEvent.FAILED_PASSWORD: 1,
        LoginEvent.UNKNOWN_ACCOUNT: 2,
        LoginEvent.FAILED_SECOND_FACTOR: 2,
        LoginEvent.REFUSED: 3,
    }


def test_fifteen_points_ban_and_fourteen_do_not() -> None:
    rule = DefenderRule()
    assert rule.bans(window_score([(t, 1) for t in range(15)], now=20, since=0))
    assert not rule.bans(window_score([(t, 1) for t in range(14)], now=20, since=0))


@given(rules, st.integers(1, 10_000))
def test_first_ban_is_the_base_and_each_next_is_half_as_long_again_up_to_the_cap(rule: DefenderRule, n: int) -> None:
    length, following = rule.ban_length(n), rule.ban_length(n + 1)
    cap = dt.timedelta(minutes=rule.max_ban_minutes)
    assert rule.ban_length(1) == dt.timedelta(minutes=rule.ban_minutes)
    assert dt.timedelta(minutes=rule.ban_minutes) <= length <= following <= cap
    growth = 1 + rule.ban_increase_percent / 100
    if following < cap:
        # whole seconds: each step is the previous one × growth, to within the rounding of both
        assert math.isclose(following.total_seconds(), length.total_seconds() * growth, abs_tol=1 + growth)


@given(st.integers(2, 10**9))
def test_default_bans_grow_30_45_67_5_and_stop_at_a_day(n: int) -> None:
    rule = DefenderRule()
    assert [rule.ban_length(k).total_seconds() for k in (1, 2, 3, 4)] == [1800, 2700, 4050, 6075]
    assert rule.ban_length(n) <= dt.timedelta(days=1)
    assert rule.ban_length(max(n, 11)) == dt.timedelta(days=1)  # 30 × 1.5^10 min is over a day


@given(st.lists(st.tuples(st.integers(-100, 100), st.integers(0, 5))), st.integers(-50, 50), st.integers(0, 60))
def test_window_score_counts_exactly_the_events_inside_the_window(
    events: list[tuple[int, int]], now: int, width: int
) -> None:
    since = now - width
    inside = window_score(events, now=now, since=since)
    assert inside == sum(s for t, s in events if since <= t <= now)
    assert inside <= window_score(events, now=now, since=since - 10)  # a wider window never counts less


@given(st.lists(st.tuples(st.floats(0, 1e6), st.integers(0, 10**9)), max_size=50), st.floats(60, 3600))
def test_usual_level_is_the_busiest_window(events: list[tuple[float, int]], width: float) -> None:
    files, size = usual_level(events, width=width)
    assert files <= len(events) and size <= sum(s for _, s in events)
    assert (files == 0) == (not events)
    if events:
        assert files >= 1 and size >= max(s for _, s in events)


@given(st.integers(0, 1000), st.integers(0, 10**10), st.integers(0, 500), st.integers(0, 10**10))
def test_mass_download_fires_from_the_fixed_limit_or_three_times_the_usual(
    files: int, size: int, usual_files: int, usual_size: int
) -> None:
    rule = MassDownloadRule()
    fires = rule.exceeds(files=files, size=size, usual=(usual_files, usual_size))
    by_files = files >= max(20, math.ceil(3 * usual_files))
    by_size = size >= max(200 * MB, math.ceil(3 * usual_size))
    assert fires == (by_files or by_size)


def test_a_rules_file_sets_each_rule() -> None:
    found, problems = config.parse(
        {"dedup_hours": 2, "login_defender": {"threshold": 10, "enabled": False}, "mass_download": {"factor": 2}}
    )
    assert problems == []
    assert found == Rules(
        dedup_hours=2,
        login_defender=DefenderRule(threshold=10, enabled=False),
        mass_download=MassDownloadRule(factor=2),
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"login_defender": {"threshold": 0}}, ("kokin.E103", "[login_defender] threshold", "0 は範囲外です")),
        ({"login_defender": {"threshold": "15"}}, ("kokin.E103", "[login_defender] threshold", "整数")),
        ({"login_defender": {"ban_minutes": 60, "max_ban_minutes": 30}}, ("kokin.E103", "max_ban_minutes", "以上")),
        ({"mass_download": {"enabled": "yes"}}, ("kokin.E103", "[mass_download] enabled", "true か false")),
        ({"mass_download": {"factor": 0.5}}, ("kokin.E103", "[mass_download] factor", "範囲外")),
        ({"mass_download": {"file": 20}}, ("kokin.E102", "[mass_download] file", "知らない名前")),
        ({"defender": {}}, ("kokin.E102", " defender", "知らない名前")),
        ({"mass_download": 3}, ("kokin.E103", "[mass_download]", "表")),
    ],
)
def test_a_wrong_setting_is_named_and_keeps_its_default(data: dict[str, Any], problem: tuple[str, str, str]) -> None:
    found, problems = config.parse(data, where="rules.toml")
    assert len(problems) == 1, problems
    assert (problems[0].id, problem[1] in problems[0].where, problem[2] in problems[0].ja) == (problem[0], True, True)
    assert problems[0].en  # and in English
    assert found.login_defender.threshold == 15 and found.mass_download.factor == 3.0


def _check_messages() -> list[tuple[str, str]]:
    return [(m.id or "", m.msg) for m in checks.run_checks(tags=["kokin"]) if (m.id or "").startswith("kokin.E10")]


def test_the_check_stops_the_hub_on_a_wrong_threshold(settings: Any, tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[login_defender]\nthreshold = -1\n", encoding="utf-8")
    settings.INCIDENT_RULES = str(rules_file)
    [(check_id, message)] = _check_messages()
    assert check_id == "kokin.E103"
    assert message.startswith(f"KOKIN_INCIDENT_RULES: {rules_file}[login_defender] threshold: -1 は範囲外です")
    assert "-1 must be at least 1" in message
    rules_file.write_text("[login_defender]\nthreshold = 12\n", encoding="utf-8")
    assert _check_messages() == []  # the edited file is read again


def test_the_check_names_a_missing_or_broken_file(settings: Any, tmp_path: Path) -> None:
    settings.INCIDENT_RULES = str(tmp_path / "missing.toml")
    assert [i for i, _ in _check_messages()] == ["kokin.E101"]
    (tmp_path / "broken.toml").write_text("[login_defender\n", encoding="utf-8")
    settings.INCIDENT_RULES = str(tmp_path / "broken.toml")
    [(check_id, message)] = _check_messages()
    assert check_id == "kokin.E101" and "TOML として読めません" in message and "is not valid TOML" in message
    settings.INCIDENT_RULES = ""
    assert _check_messages() == []
