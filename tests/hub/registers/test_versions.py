"""Versions of the roster and the equipment register made on real changes, once each change is
committed: a role granted, an operator renamed or deactivated, the responsible person changed, a
terminal registered, moved or retired; nothing shown changed, no version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kokin.accounts import grants, terminals
from kokin.accounts.actors import user_actor
from kokin.accounts.models import Business, Department, RoleAssignment, Terminal, User
from kokin.audit.actor import Actor, current_actor
from kokin.audit.models import AuditEntry
from kokin.registers import selectors, services, snapshot
from kokin.registers.errors import RegisterError
from kokin.registers.models import RegisterVersion, ResponsiblePerson

Commit = Callable[..., AbstractContextManager[Any]]
KOKUHO = "国保年金課 国民健康保険料・後期高齢者医療保険料 収納"


@pytest.fixture
def committed(ward: Any, django_capture_on_commit_callbacks: Commit) -> Callable[[], AbstractContextManager[Any]]:
    """A block whose changes are committed as the hub commits them: the callbacks run on leaving it."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def as_admin() -> Iterator[Actor]:
    """Changes made while the system administrator's request is served."""
    actor = user_actor(User.objects.get(username="sysadmin"))
    token = current_actor.set(actor)
    yield actor
    current_actor.reset(token)


def numbers(kind: str) -> list[int]:
    return list(RegisterVersion.objects.filter(kind=kind).order_by("number").values_list("number", flat=True))


def test_the_demo_ward_starts_with_a_first_version_of_each_register(ward: Any) -> None:
    roster = selectors.version("roster")
    equipment = selectors.version("equipment")
    assert (roster.number, equipment.number) == (1, 1)
    assert roster.sha256 == snapshot.digest(roster.snapshot) == snapshot.digest(snapshot.roster())
    assert roster.snapshot["responsible"]["name"] == "デモ 管理責任者"
    assert "従事者を追加: 税務課 住民税 口座振替 — 税務 送信担当 (zeimu-send) 取得・送信" in roster.changes
    assert "システム管理者を追加: システム管理者 (sysadmin)" in roster.changes
    assert len(equipment.snapshot["terminals"]) == Terminal.objects.count() == 5
    assert not roster.signed_off and not equipment.signed_off
    logged = AuditEntry.objects.filter(action="register_version").order_by("seq")
    assert [(e.object, e.sha256) for e in logged] == [
        ("register:roster:1", roster.sha256),
        ("register:equipment:1", equipment.sha256),
    ]


def test_an_approved_role_grant_makes_the_next_roster_version_listing_it(committed: Any, as_admin: Actor) -> None:
    user = User.objects.get(username="zeimu-view")
    business = Business.objects.get(code="zeimu-furikae")
    with committed():
        grant = grants.request_grant(actor=as_admin, user=user, business=business, role="download")
    assert numbers("roster") == [1]  # a request changes no roster
    manager = user_actor(User.objects.get(username="zeimu-manage"))
    token = current_actor.set(manager)  # the 業務管理's request approves it
    try:
        with committed():
            grants.decide(actor=manager, grant_id=grant.pk, approve=True)
    finally:
        current_actor.reset(token)
    assert numbers("roster") == [1, 2]
    latest = selectors.current("roster")
    assert latest is not None and latest.number == 2
    assert latest.changes == [
        "従事者の役割を変更: 税務課 住民税 口座振替 — 税務 閲覧担当 (zeimu-view) 閲覧 → 閲覧・取得"
    ]
    entry = AuditEntry.objects.get(action="register_version", object="register:roster:2")
    assert entry.actor == "zeimu-manage" and entry.detail["changes"] == latest.changes
    assert entry.sha256 == latest.sha256 == snapshot.digest(snapshot.roster())


def test_a_role_added_and_removed_is_listed_each_time(committed: Any) -> None:
    user = User.objects.get(username="zeimu-view")
    business = Business.objects.get(code="kokuho-shuno")
    with committed():
        assignment = RoleAssignment.objects.create(user=user, business=business, role="view")
    with committed():
        RoleAssignment.objects.create(user=user, business=business, role="download")
    with committed():
        assignment.delete()
    changes = [v.changes for v in selectors.versions("roster").filter(number__gt=1).order_by("number")]
    assert changes == [
        [f"従事者を追加: {KOKUHO} — 税務 閲覧担当 (zeimu-view) 閲覧"],
        [f"従事者の役割を変更: {KOKUHO} — 税務 閲覧担当 (zeimu-view) 閲覧 → 閲覧・取得"],
        [f"従事者の役割を変更: {KOKUHO} — 税務 閲覧担当 (zeimu-view) 閲覧・取得 → 取得"],
    ]


def test_a_save_that_changes_nothing_the_roster_shows_makes_no_version(committed: Any) -> None:
    user = User.objects.get(username="zeimu-get")
    with committed():
        user.email = "zeimu-get@example.jp"
        user.save()
        user.set_password("Another-Pass-2025")
        user.save(update_fields=["password"])
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        User.objects.create(username="no-role", display_name="役割なし")  # an account with no role
    with committed():
        assert services.refresh("roster") is None
    assert numbers("roster") == [1]


def test_a_change_rolled_back_makes_no_version(committed: Any) -> None:
    user = User.objects.get(username="zeimu-get")
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        user.display_name = "取り消される名前"
        user.save()
        raise RuntimeError("rolled back")
    assert numbers("roster") == [1]


def test_renaming_and_deactivating_an_operator_make_versions(committed: Any) -> None:
    user = User.objects.get(username="kokuho-approve")
    with committed():
        user.display_name = "国保 承認担当 (改姓)"
        user.save()
    with committed():
        user.is_active = False
        user.save()
    renamed, deactivated = (v.changes for v in selectors.versions("roster").filter(number__gt=1).order_by("number"))
    assert renamed == ["氏名を変更: kokuho-approve 国保 承認担当 → 国保 承認担当 (改姓)"]
    assert deactivated == [
        "従事者を削除: 国保年金課 国保・後期高齢 口座振替 — 国保 承認担当 (改姓) (kokuho-approve) 承認"
    ]


def test_several_saves_in_one_transaction_make_one_version(committed: Any) -> None:
    business = Business.objects.get(code="seiso-shuno")
    with committed():
        for username in ("zeimu-view", "zeimu-get"):
            RoleAssignment.objects.create(user=User.objects.get(username=username), business=business, role="view")
    assert numbers("roster") == [1, 2]
    assert len(selectors.version("roster", 2).changes) == 2


def test_a_new_responsible_person_is_a_new_record_and_a_roster_version(committed: Any, as_admin: Actor) -> None:
    before = ResponsiblePerson.current()
    assert before is not None
    with committed():
        services.appoint(
            name="後任 管理責任者", title="総務部長", contact="03-1111-2222", since=dt.date(2026, 4, 1), actor=as_admin
        )
    assert ResponsiblePerson.objects.count() == 2 and ResponsiblePerson.current() != before
    latest = selectors.version("roster")
    assert latest.changes == [
        "個人情報保護管理責任者を変更: デモ 管理責任者 (情報システム部長) → 後任 管理責任者 (総務部長)"
    ]
    entry = AuditEntry.objects.filter(action="responsible_person").latest("seq")
    assert entry.actor == "sysadmin" and entry.detail["name"] == "後任 管理責任者"
    before.name = "書き換え"
    with pytest.raises(ValidationError, match="新しい登録として"):
        before.save()


def test_terminals_registered_moved_and_retired_make_equipment_versions(committed: Any) -> None:
    with committed():
        made = Terminal.objects.create(
            name="清掃リサイクル課 端末",
            place="清掃事務所 1階",
            address="10.99.5.1",
            department=Department.objects.get(code="seiso"),
        )
    with committed():
        made.place = "清掃事務所 2階"
        made.save()
    with committed():
        terminals.retire(made)
    changes = [v.changes for v in selectors.versions("equipment").filter(number__gt=1).order_by("number")]
    number = made.pk
    assert changes == [
        [f"機器を登録: 管理番号 {number} 清掃リサイクル課 端末 (端末、清掃事務所 1階)"],
        [f"機器の設置場所を変更: 管理番号 {number} 清掃リサイクル課 端末 清掃事務所 1階 → 清掃事務所 2階"],
        [f"機器を廃止: 管理番号 {number} 清掃リサイクル課 端末 (端末、清掃事務所 2階)"],
    ]
    assert numbers("roster") == [1]


def test_a_department_renamed_changes_both_registers(committed: Any) -> None:
    department = Department.objects.get(code="kokuho")
    with committed():
        department.name = "保険年金課"
        department.save()
    assert (numbers("roster"), numbers("equipment")) == ([1, 2], [1, 2])
    assert (
        "業務を変更 (kokuho-shuno): 国保年金課 国民健康保険料・後期高齢者医療保険料 収納 [kokuho] → "
        "保険年金課 国民健康保険料・後期高齢者医療保険料 収納 [kokuho]"
    ) in selectors.version("roster").changes
    number = Terminal.objects.get(name="国保年金課 業務端末").pk
    assert selectors.version("equipment").changes == [
        f"機器の管理する課を変更: 管理番号 {number} 国保年金課 業務端末 国保年金課 → 保険年金課"
    ]


def test_selectors_give_the_current_version_and_those_of_a_period(committed: Any) -> None:
    first = selectors.version("equipment")
    start = timezone.now()
    with committed():
        Terminal.objects.create(name="予備端末", place="倉庫", address="10.99.6.6", owner="システム管理者")
    second = selectors.version("equipment")
    end = timezone.now() + dt.timedelta(seconds=1)
    assert selectors.current("equipment") == second and second.number == first.number + 1
    assert selectors.versions_between("equipment", start, end) == [second]
    assert selectors.versions_between("equipment", first.made_at, end) == [first, second]
    assert selectors.in_force_at("equipment", start) == first
    assert selectors.previous(second) == first and selectors.previous(first) is None
    with pytest.raises(RegisterError) as raised:
        selectors.version("equipment", 9)
    assert raised.value.message_ja == "情報処理機器届出台帳に第9版はありません。"


def test_an_empty_hub_has_no_version_until_refreshed(db: None) -> None:
    assert selectors.current("roster") is None
    with pytest.raises(RegisterError, match="従事者名簿の版はまだありません"):
        selectors.version("roster")
    made = services.refresh_all(actor=Actor.command())
    assert [(v.kind, v.number, v.changes) for v in made] == [("roster", 1, []), ("equipment", 1, [])]
    assert services.refresh_all() == []
