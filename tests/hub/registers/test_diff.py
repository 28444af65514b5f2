"""The snapshot diff is a pure rule: no lines for equal snapshots, at least one for any difference, and
every operator or terminal added or removed named in the lines (property tests with hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokin.registers import snapshot
from kokin.registers.diff import changes, equipment_changes, roster_changes

TEXT = st.text(alphabet="あいう課業務AB -", min_size=0, max_size=6)
NAMES = st.text(alphabet="税務国保介護清掃 担当", min_size=1, max_size=6)
USERNAMES = ["u-a", "u-b", "u-c", "u-d"]
ROLES = ["view", "download", "upload", "approve", "manage"]
#: the rule is pure and fast; on a busy shared machine drawing the nested snapshots can be slow
PATIENT = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rosters(draw: Any) -> dict[str, Any]:
    """A roster as :func:`kokin.registers.snapshot.roster` builds it: sorted, one name per username."""
    names = {u: draw(st.sampled_from(["", "甲", "乙", "丙 丁"])) for u in USERNAMES}
    businesses = []
    for code in draw(st.lists(st.sampled_from(["b1", "b2", "b3"]), unique=True).map(sorted)):
        members = draw(st.lists(st.sampled_from(USERNAMES), unique=True).map(sorted))
        operators = [
            {
                "username": u,
                "name": names[u],
                "roles": sorted(draw(st.sets(st.sampled_from(ROLES), min_size=1)), key=ROLES.index),
            }
            for u in members
        ]
        department = draw(st.sampled_from([("d1", "税務課"), ("d2", "国保年金課")]))
        businesses.append(
            {
                "code": code,
                "name": draw(NAMES),
                "department_code": department[0],
                "department": department[1],
                "operators": operators,
            }
        )
    hub_users = draw(st.lists(st.sampled_from(USERNAMES), unique=True, max_size=2).map(sorted))
    hub = [
        {"username": u, "name": names[u], "role": draw(st.sampled_from(["system_admin", "auditor"]))} for u in hub_users
    ]
    responsible = draw(
        st.none()
        | st.fixed_dictionaries(
            {"name": NAMES, "title": TEXT, "contact": TEXT, "since": st.sampled_from(["2025-04-01", "2026-04-01"])}
        )
    )
    return {"responsible": responsible, "businesses": businesses, "hub": hub}


TERMINAL = st.fixed_dictionaries(
    {
        "name": NAMES,
        "kind": st.sampled_from(["terminal", "server"]),
        "place": TEXT,
        "address": st.sampled_from(["", "10.1.2.3", "10.1.2.0/24"]),
        "cert_fingerprint": st.sampled_from(["", "AB" * 32]),
        "owner": TEXT,
        "department": st.sampled_from(["", "税務課"]),
        "registered": st.sampled_from(["2025-04-01", "2026-01-05"]),
    }
)


@st.composite
def equipments(draw: Any) -> dict[str, Any]:
    numbers = draw(st.lists(st.integers(1, 6), unique=True).map(sorted))
    return {"terminals": [{"number": n, **draw(TERMINAL)} for n in numbers]}


@PATIENT
@given(rosters())
def test_an_unchanged_roster_has_no_changes(roster: dict[str, Any]) -> None:
    assert roster_changes(roster, roster) == []


@PATIENT
@given(rosters(), rosters())
def test_two_rosters_differ_exactly_when_there_are_changes(old: dict[str, Any], new: dict[str, Any]) -> None:
    differ = snapshot.canonical(old) != snapshot.canonical(new)
    assert bool(roster_changes(old, new)) == differ


@PATIENT
@given(rosters(), rosters())
def test_every_operator_added_or_removed_is_named(old: dict[str, Any], new: dict[str, Any]) -> None:
    lines = "\n".join(roster_changes(old, new))
    before = {(b["code"], o["username"]) for b in old["businesses"] for o in b["operators"]}
    after = {(b["code"], o["username"]) for b in new["businesses"] for o in b["operators"]}
    for _, username in before ^ after:
        assert f"({username})" in lines


@PATIENT
@given(equipments(), equipments())
def test_two_equipment_registers_differ_exactly_when_there_are_changes(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    lines = equipment_changes(old, new)
    assert bool(lines) == (snapshot.canonical(old) != snapshot.canonical(new))
    assert equipment_changes(new, new) == []
    gone = {t["number"] for t in old["terminals"]} - {t["number"] for t in new["terminals"]}
    for number in gone:
        assert any(line.startswith(f"機器を廃止: 管理番号 {number} ") for line in lines)


@PATIENT
@given(rosters())
def test_the_first_version_lists_everything_as_added(roster: dict[str, Any]) -> None:
    lines = changes("roster", snapshot.EMPTY["roster"], roster)
    added = sum(len(b["operators"]) for b in roster["businesses"])
    assert sum(line.startswith("従事者を追加: ") for line in lines) == added
    assert sum(line.startswith("業務を追加: ") for line in lines) == len(roster["businesses"])
    assert not any("削除" in line or "変更" in line for line in lines)


def test_a_reordered_snapshot_is_no_change() -> None:
    terminals = [
        {"number": n, "name": f"端末{n}", "kind": "terminal", "place": "2階", "address": f"10.0.0.{n}"}
        | {"cert_fingerprint": "", "owner": "", "department": "税務課", "registered": "2025-04-01"}
        for n in (1, 2)
    ]
    assert equipment_changes({"terminals": terminals}, {"terminals": terminals[::-1]}) == []
