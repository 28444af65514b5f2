"""Working hours per department (pure): closed days (weekdays, national holidays, 12/29-1/3), the
hours of a day, and the rules file's ``[working_hours]`` table with its errors."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kokin.incidents.config import OUT_OF_RANGE, UNKNOWN, parse
from kokin.incidents.hours import Hours
from kokin.incidents.rules import WorkingHoursRule

OFFICE = Hours(start=dt.time(8, 30), end=dt.time(17, 15))


def test_an_ordinary_weekday_is_open_within_the_hours_and_closed_outside() -> None:
    monday = dt.date(2026, 12, 7)
    assert OFFICE.outside(dt.datetime.combine(monday, dt.time(8, 30))) == ""
    assert OFFICE.outside(dt.datetime.combine(monday, dt.time(17, 14, 59))) == ""
    assert OFFICE.outside(dt.datetime.combine(monday, dt.time(17, 15))) == "執務時間 (8:30～17:15) の外"
    assert OFFICE.outside(dt.datetime.combine(monday, dt.time(8, 29))) != ""


def test_holidays_weekends_and_the_year_end_are_closed_days() -> None:
    assert OFFICE.closed(dt.date(2026, 11, 3)) == "閉庁日 (祝日: 文化の日)"
    assert OFFICE.closed(dt.date(2026, 12, 12)) == "閉庁日 (土曜日)"
    assert OFFICE.closed(dt.date(2026, 12, 29)) == "閉庁日 (年末年始 12月29日～1月3日)"
    assert OFFICE.closed(dt.date(2027, 1, 4)) == ""
    duty = Hours(weekdays=(1, 2, 3, 4, 5, 6, 7), closed_on_holidays=False)
    assert duty.closed(dt.date(2026, 11, 3)) == "" and duty.closed(dt.date(2026, 12, 29)) == ""


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_a_department_open_every_day_all_day_is_never_outside(moment: dt.datetime) -> None:
    always = Hours(start=dt.time(0, 0), end=dt.time.max, weekdays=tuple(range(1, 8)), closed_on_holidays=False)
    assert always.outside(moment) == ""


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_outside_means_a_closed_day_or_a_time_out_of_the_hours(moment: dt.datetime) -> None:
    reason = OFFICE.outside(moment)
    closed = OFFICE.closed(moment.date())
    within = OFFICE.start <= moment.time() < OFFICE.end
    assert (reason == "") == (not closed and within)
    if closed:
        assert reason == closed


def test_the_rules_file_sets_ward_hours_and_department_hours_on_top_of_them() -> None:
    rules, problems = parse(
        {
            "working_hours": {
                "enabled": True,
                "start": "08:30",
                "end": "17:15",
                "departments": {"zeimu": {"end": "24:00", "weekdays": [1, 2, 3, 4, 5, 6]}},
            }
        }
    )
    assert problems == []
    hours = rules.working_hours
    assert isinstance(hours, WorkingHoursRule) and hours.enabled
    zeimu = hours.departments["zeimu"]
    assert (zeimu.start, zeimu.end, zeimu.weekdays) == (dt.time(8, 30), dt.time.max, (1, 2, 3, 4, 5, 6))
    saturday_evening = dt.datetime(2026, 12, 12, 21, 0)
    assert hours.outside(saturday_evening, "zeimu") == "" and hours.outside(saturday_evening, "kokuho") != ""


def test_bad_working_hours_are_each_named_and_keep_the_default() -> None:
    rules, problems = parse(
        {
            "working_hours": {
                "start": "8時",
                "end": "07:00",
                "weekdays": [0, 8],
                "closed_on_holidays": "yes",
                "lunch": "12:00",
                "departments": {"zeimu": {"start": "25:00", "open": True}, "kokuho": 3},
            }
        }
    )
    where = {(p.id, p.where) for p in problems}
    assert (OUT_OF_RANGE, "[working_hours] start") in where
    assert (OUT_OF_RANGE, "[working_hours] weekdays") in where
    assert (OUT_OF_RANGE, "[working_hours] closed_on_holidays") in where
    assert (UNKNOWN, "[working_hours] lunch") in where
    assert (OUT_OF_RANGE, "[working_hours].departments.zeimu start") in where
    assert (UNKNOWN, "[working_hours].departments.zeimu open") in where
    assert (OUT_OF_RANGE, "[working_hours].departments.kokuho") in where
    assert (OUT_OF_RANGE, "[working_hours] end") in where  # 07:00 is before the default start 08:00
    assert rules.working_hours.hours == Hours()
    assert all(p.ja and p.en for p in problems)


def test_each_switch_rule_can_be_turned_off_and_takes_only_enabled() -> None:
    rules, problems = parse({"terminal": {"enabled": False}, "vault": {"threshold": 3}, "retention": {"enabled": 1}})
    assert rules.terminal.enabled is False
    assert {(p.id, p.where) for p in problems} == {
        (UNKNOWN, "[vault] threshold"),
        (OUT_OF_RANGE, "[retention] enabled"),
    }
