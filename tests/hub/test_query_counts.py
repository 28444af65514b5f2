"""The list pages and list APIs run a fixed number of SQL queries, however many rows they show.

Each test renders a page with a few rows, adds many more (all still on the first page), renders it again
and asserts the same number of queries: a query per row (an N+1) would make the second count larger.
Each URL is requested once before counting, so what the first request of a session does (its session
row, the user's roles) is not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, Role, RoleAssignment, User
from kokin.api.services import create_token
from kokin.audit.services import record
from kokin.banklink.models import BankAccount, BankTransfer, Direction
from kokin.compliance import services as compliance
from kokin.compliance.period import Period
from kokin.exchange import services
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.incidents.models import Incident
from kokin.incidents.services import raise_incident
from kokin.registers.models import Kind, RegisterVersion
from kokin.training import services as training
from kokin.training.models import Course
from support.exchange import TEST_ACTOR, operator, place, upload

Login = Callable[[str], Client]

FEW, MANY = 3, 25


def queries(client: Client, url: str, **extra: Any) -> int:
    """How many SQL queries one GET of ``url`` runs (it must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def assert_fixed(client: Client, url: str, add: Callable[[int], object], **extra: Any) -> tuple[int, int]:
    """Add ``FEW`` rows, count the queries of ``url``; add rows up to ``MANY``, count again: equal."""
    add(FEW)
    client.get(url, **extra)
    few = queries(client, url, **extra)
    add(MANY - FEW)
    many = queries(client, url, **extra)
    assert many == few, f"{url}: {few} queries with {FEW} rows, {many} with {MANY}"
    return few, many


def _kind(business: str, direction: str) -> DataKind:
    found = DataKind.objects.filter(business__code=business, direction=direction).order_by("pk").first()
    assert found is not None
    return found


def inbound(business: str = "zeimu-shuno") -> Callable[[int], list[ExchangeFile]]:
    kind = _kind(business, DataKind.Direction.INBOUND)
    return lambda n: [place(kind) for _ in range(n)]


def uploaded(business: str = "zeimu-furikae", sender: str = "zeimu-send") -> Callable[[int], list[ExchangeFile]]:
    kind = _kind(business, DataKind.Direction.OUTBOUND)
    user = User.objects.get(username=sender)
    return lambda n: [upload(kind, user) for _ in range(n)]


# --- the exchange's pages ---------------------------------------------------------------------------


def test_the_file_list_runs_the_same_queries_for_3_and_25_files(login_as: Login) -> None:
    assert_fixed(login_as("zeimu-get"), "/files/", inbound())


def test_the_filtered_file_list_runs_the_same_queries_for_3_and_25_files(login_as: Login) -> None:
    business = Business.objects.get(code="zeimu-shuno")
    today = timezone.localdate().isoformat()
    url = f"/files/?business={business.pk}&state=available&direction=inbound&since={today}&until={today}"
    assert_fixed(login_as("zeimu-get"), url, inbound())


def test_the_file_list_of_sent_files_runs_the_same_queries_for_3_and_25_files(login_as: Login) -> None:
    assert_fixed(login_as("zeimu-send"), "/files/?direction=outbound", uploaded())


def test_the_certificate_list_runs_the_same_queries_for_3_and_25_certificates(login_as: Login) -> None:
    add = inbound()

    def erased(n: int) -> None:
        for file in add(n):
            services.erase(file=file, reason="テスト", actor=TEST_ACTOR)

    assert_fixed(login_as("zeimu-view"), "/files/certificates/", erased)


def test_the_quarantine_list_runs_the_same_queries_for_3_and_25_files(login_as: Login) -> None:
    add = inbound()

    def quarantined(n: int) -> None:
        for file in add(n):
            ExchangeFile.objects.filter(pk=file.pk).update(
                state=State.QUARANTINED, summary={**file.summary, "malware": "Eicar-Test-Signature"}
            )
            raise_incident(
                rule="malware", severity="high", subject=f"file:{file.id}", title="ウイルス検出", summary="テスト",
                actor=TEST_ACTOR,
            )  # fmt: skip

    assert_fixed(login_as("auditor"), "/files/quarantine/", quarantined)


# --- the home page, by role -------------------------------------------------------------------------


def test_the_download_operators_home_page_runs_the_same_queries_for_3_and_25_arrivals(login_as: Login) -> None:
    assert_fixed(login_as("zeimu-get"), "/", inbound())


def test_the_senders_home_page_runs_the_same_queries_for_3_and_25_sent_files(login_as: Login) -> None:
    assert_fixed(login_as("zeimu-send"), "/", uploaded())


def test_the_approvers_home_page_runs_the_same_queries_for_3_and_25_waiting_files(login_as: Login) -> None:
    assert_fixed(login_as("zeimu-approve"), "/", uploaded())


def test_the_managers_home_page_runs_the_same_queries_for_few_and_many_operators(login_as: Login) -> None:
    business = Business.objects.get(code="zeimu-shuno")
    made = count(1)

    def operators(n: int) -> None:
        for _ in range(n):
            user = User.objects.create_user(username=f"managed-{next(made)}", department=business.department)
            RoleAssignment.objects.create(user=user, business=business, role=Role.VIEW)

    assert_fixed(login_as("zeimu-manage"), "/", operators)


# --- incidents, the operation log, the bank link -----------------------------------------------------

_numbers = count(1)


def incidents(n: int) -> None:
    for _ in range(n):
        raise_incident(
            rule="test", severity="low", subject=f"subject-{next(_numbers)}", title="テスト", summary="テスト",
            actor=TEST_ACTOR,
        )  # fmt: skip


def test_the_incident_list_runs_the_same_queries_for_3_and_25_incidents(login_as: Login) -> None:
    assert_fixed(login_as("auditor"), "/incidents/?state=all", incidents)
    assert Incident.objects.count() == MANY


def entries(n: int) -> None:
    for i in range(n):
        record(action="test_entry", actor=TEST_ACTOR, object=f"file:{i}", detail={"n": i})


def test_the_audit_search_runs_the_same_queries_for_few_and_many_entries(login_as: Login) -> None:
    auditor = login_as("auditor")
    assert_fixed(auditor, "/audit/", entries)
    assert_fixed(auditor, "/audit/?actor=os:test&object_contains=file", entries)


def test_the_transfer_history_runs_the_same_queries_for_3_and_25_transfers(login_as: Login) -> None:
    now = timezone.now()
    account = BankAccount.objects.create(
        name="count-bank", cert_fingerprint="00" * 32, token_prefix="count", token_sha256="0" * 64,
        allowed_networks="127.0.0.0/8", created=now,
    )  # fmt: skip
    add = inbound()

    def transfers(n: int) -> None:
        for file in add(n):
            BankTransfer.objects.create(
                account=account, direction=Direction.FROM_BANK, file=file, transfer_id="ZEIMU-SHUNO-MPN1",
                filename=file.original_name, started=now, finished=now + dt.timedelta(seconds=1), outcome="stored",
            )  # fmt: skip

    assert_fixed(login_as("auditor"), "/banklink/history/", transfers)


# --- the registers and the compliance reports ------------------------------------------------------


def test_the_register_list_runs_the_same_queries_for_few_and_many_versions(login_as: Login) -> None:
    def versions(n: int) -> None:
        for kind in Kind:
            last = RegisterVersion.objects.filter(kind=kind).order_by("-number").first()
            start = last.number if last else 0
            for number in range(start + 1, start + 1 + n):
                RegisterVersion.objects.create(
                    kind=kind, number=number, snapshot={}, sha256=f"{number:064x}", made_at=timezone.now(),
                    changes=[f"変更 {number}"],
                )  # fmt: skip

    assert_fixed(login_as("sysadmin"), "/registers/", versions)


def test_the_compliance_list_runs_the_same_queries_for_3_and_25_reports(login_as: Login) -> None:
    today = timezone.localdate()
    actor = operator("auditor")

    def reports(n: int) -> None:
        for _ in range(n):
            compliance.make(period=Period(today, today), actor=actor)

    assert_fixed(login_as("auditor"), "/compliance/", reports)


def test_the_training_page_runs_the_same_queries_for_few_and_many_operators(login_as: Login) -> None:
    course = Course.objects.create(code="basics", title="個人情報の取扱い", version="2025年度版")
    business = Business.objects.get(code="zeimu-shuno")
    made = count(1)

    def operators(n: int) -> None:
        users = []
        for _ in range(n):
            user = User.objects.create_user(username=f"count-{next(made)}", department=business.department)
            RoleAssignment.objects.create(user=user, business=business, role=Role.VIEW)
            users.append(user)
        day = timezone.localdate() - dt.timedelta(days=1)
        training.record_training(course=course, completed_on=day, users=users, actor=operator("sysadmin"))

    assert_fixed(login_as("sysadmin"), "/training/", operators)


# --- the API -----------------------------------------------------------------------------------------


def test_the_api_file_list_runs_the_same_queries_for_3_and_25_files(ward: Any) -> None:
    _, token = create_token(user=User.objects.get(username="zeimu-get"), name="count")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert_fixed(Client(), "/api/businesses/zeimu-shuno/files", inbound(), **bearer)
    assert_fixed(Client(), "/api/businesses/zeimu-shuno/files?state=available&direction=inbound", inbound(), **bearer)
