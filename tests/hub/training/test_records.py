"""Training records and the 研修実施報告: the administrator records completed training on the page or with
``kokin training record`` (logged), the report lists it per operator with the acknowledgement (PDF read
back with pypdf, CSV parsed), for a period; the auditor reads, operators may not; bad input names the
field."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from kokin.accounts.models import User
from kokin.audit.models import AuditEntry
from kokin.cli import main
from kokin.formats.dates import wareki_text
from kokin.training import selectors
from kokin.training.models import Acknowledgement, Course, TrainingRecord
from support.training import backdate

Login = Callable[..., Client]


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def course(ward: Any) -> Course:
    return Course.objects.create(code="penalties", title="関係法令の罰則と民事上の責任", version="2025年度版")


def pks(*names: str) -> list[int]:
    return [User.objects.get(username=n).pk for n in names]


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF") and re.search(rb"/FontFile[23]", body), "the Japanese font is embedded"
    reader = PdfReader(io.BytesIO(body))
    # pypdf puts a NUL before each character of this CID font
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_administrator_records_training_and_it_is_logged_and_reported(login_as: Login, course: Course) -> None:
    admin = login_as("sysadmin")
    day = today() - dt.timedelta(days=3)
    response = admin.post(
        "/training/",
        {
            "course": course.pk,
            "completed_on": day.isoformat(),
            "users": pks("zeimu-view", "kokuho-send"),
            "note": "集合研修",
        },
    )
    assert response.status_code == 303 and response["Location"] == "/training/"
    made = TrainingRecord.objects.filter(course=course).order_by("user__username")
    assert [(r.user.username, r.completed_on, r.course_version, r.recorded_by) for r in made] == [
        ("kokuho-send", day, "2025年度版", "sysadmin"),
        ("zeimu-view", day, "2025年度版", "sysadmin"),
    ]
    entry = AuditEntry.objects.filter(action="training_record", object="course:penalties").get()
    assert entry.actor == "sysadmin" and entry.role == "システム管理者"
    assert entry.detail == {
        "course": "penalties",
        "version": "2025年度版",
        "completed_on": day.isoformat(),
        "users": ["kokuho-send", "zeimu-view"],  # in the order of the list: department, then ID
        "note": "集合研修",
    }
    page = admin.get("/training/").content.decode()
    assert "関係法令の罰則と民事上の責任" in page and wareki_text(day) in page

    csv_response = admin.get(f"/training/report.csv?from={day.isoformat()}&to={today().isoformat()}")
    assert csv_response.status_code == 200 and csv_response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(csv_response.content)
    view_rows = [r for r in rows if r["利用者ID"] == "zeimu-view"]
    assert [r["研修コード"] for r in view_rows] == ["penalties", "privacy-basics"]  # by day: the demo's is today
    penalties = view_rows[0]
    assert penalties["氏名"] == "税務 閲覧担当" and penalties["所属課"] == "税務課"
    assert penalties["業務・役割"] == "住民税 口座振替: 閲覧 / 住民税・軽自動車税 収納: 閲覧"  # by business code
    assert (penalties["受講日"], penalties["受講日 (和暦)"]) == (day.isoformat(), wareki_text(day))
    assert (penalties["取扱規程の確認日"], penalties["確認した版"], penalties["確認の状態"]) == (
        today().isoformat(),
        "1",
        "有効",
    )
    due = today() + dt.timedelta(days=364)
    assert (penalties["確認の期限"], penalties["期限 (和暦)"]) == (due.isoformat(), wareki_text(due))
    # every operator is listed, trained in the period or not; the administrator and auditor are not
    assert {r["利用者ID"] for r in rows} == {s.user.username for s in selectors.status()}

    pdf_response = admin.get(f"/training/report.pdf?from={day.isoformat()}")
    assert pdf_response.status_code == 200 and pdf_response["Content-Type"] == "application/pdf"
    text = pdf_text(pdf_response.content)
    for expected in (
        "研修実施報告",
        "第9条",
        "税務閲覧担当(zeimu-view)",
        f"受講:{day.isoformat()}({wareki_text(day)})関係法令の罰則と民事上の責任(2025年度版)",
        f"取扱規程の確認:有効確認日{today().isoformat()}({wareki_text(today())})版第1版期限{due.isoformat()}",
    ):
        assert expected in text, expected
    exports = AuditEntry.objects.filter(action="training_report", actor="sysadmin").order_by("seq")
    assert [(e.detail["as"], e.sha256) for e in exports] == [
        ("csv", hashlib.sha256(csv_response.content).hexdigest()),
        ("pdf", hashlib.sha256(pdf_response.content).hexdigest()),
    ]


def test_the_period_filters_the_records_and_the_status_is_as_of_its_last_day(login_as: Login, course: Course) -> None:
    admin = login_as("sysadmin")
    old, recent = today() - dt.timedelta(days=400), today() - dt.timedelta(days=10)
    zeimu = User.objects.get(username="zeimu-get")
    for day in (old, recent):
        TrainingRecord.objects.create(user=zeimu, course=course, course_version="v", completed_on=day, recorded_by="t")
    rows = csv_rows(admin.get(f"/training/report.csv?from={(today() - dt.timedelta(days=30)).isoformat()}").content)
    assert [r["受講日"] for r in rows if r["利用者ID"] == "zeimu-get" and r["研修コード"] == "penalties"] == [
        recent.isoformat()
    ]
    before = (today() - dt.timedelta(days=100)).isoformat()
    rows = csv_rows(admin.get(f"/training/report.csv?to={before}").content)
    mine = [r for r in rows if r["利用者ID"] == "zeimu-get"]
    assert [r["受講日"] for r in mine] == [old.isoformat()]
    # a hundred days ago the rules of today were not in effect yet
    assert mine[0]["確認の状態"] == "取扱規程なし"
    bad = admin.get("/training/report.csv?from=2026-05-01&to=2026-04-01")
    assert bad.status_code == 400 and "期間の末日: 初日より前の日付です。" in bad.content.decode()


def test_the_report_shows_lapsed_and_never_acknowledged_operators(login_as: Login, ward: Any) -> None:
    admin = login_as("sysadmin")
    Acknowledgement.objects.filter(user__username="seiso-get").delete()
    rules = selectors.current_rules()
    assert rules is not None
    rules.effective_from = today() - dt.timedelta(days=800)
    rules.save(update_fields=["effective_from"])
    backdate(User.objects.get(username="kaigo-send"), 400)
    rows = {r["利用者ID"]: r for r in csv_rows(admin.get("/training/report.csv").content)}
    assert rows["seiso-get"]["確認の状態"] == "未確認" and rows["seiso-get"]["確認の期限"] == ""
    lapsed = today() - dt.timedelta(days=400) + dt.timedelta(days=364)
    assert (rows["kaigo-send"]["確認の状態"], rows["kaigo-send"]["確認の期限"]) == ("失効", lapsed.isoformat())
    assert rows["zeimu-view"]["確認の状態"] == "有効"
    status = CliRunner().invoke(main, ["training", "status"])
    assert status.exit_code == 1, status.output
    assert "LAPSED\tseiso-get" in status.output and "LAPSED\tkaigo-send" in status.output
    assert "失効・未確認 2 名" in status.output


def test_training_status_lists_those_due_within_30_days(ward: Any) -> None:
    rules = selectors.current_rules()
    assert rules is not None
    rules.effective_from = today() - dt.timedelta(days=800)
    rules.save(update_fields=["effective_from"])
    backdate(User.objects.get(username="zeimu-view"), 340)
    done = CliRunner().invoke(main, ["training", "status"])
    assert done.exit_code == 0, done.output
    due = today() - dt.timedelta(days=340) + dt.timedelta(days=364)
    assert f"DUE\tzeimu-view\t税務 閲覧担当\t期限 / due {due.isoformat()}" in done.output
    assert "30 日以内に期限 1 名" in done.output


def test_the_auditor_reads_the_report_but_records_nothing_and_operators_are_refused(
    login_as: Login, course: Course
) -> None:
    auditor = login_as("auditor")
    page = auditor.get("/training/")
    assert page.status_code == 200
    assert "閲覧のみです" in page.content.decode() and "研修の受講を記録する" not in page.content.decode()
    assert auditor.get("/training/report.pdf").status_code == 200
    posted = auditor.post(
        "/training/", {"course": course.pk, "completed_on": today().isoformat(), "users": pks("zeimu-view")}
    )
    assert posted.status_code == 403 and not TrainingRecord.objects.filter(course=course).exists()
    operator = login_as("zeimu-manage")
    for page_url in ("/training/", "/training/report.pdf", "/training/report.csv"):
        assert operator.get(page_url).status_code == 403, page_url


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"course": "99999"}, "研修: 選んだ研修はありません"),
        ({"users": ["99999"]}, "受講者: 利用者「99999」はいません。"),
        ({"users": []}, "受講者を 1 人以上選んでください。"),
        ({"completed_on": "2999-01-01"}, "受講日: 2999-01-01 は未来の日付です"),
        ({"completed_on": "2025-02-30"}, "受講日: 日付 (YYYY-MM-DD) ではありません。"),
    ],
)
def test_bad_input_to_the_record_form_names_the_field(
    login_as: Login, course: Course, change: dict[str, Any], field_error: str
) -> None:
    admin = login_as("sysadmin")
    form = {"course": course.pk, "completed_on": today().isoformat(), "users": pks("zeimu-view")} | change
    response = admin.post("/training/", form)
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert not TrainingRecord.objects.filter(course=course).exists()
    assert not AuditEntry.objects.filter(action="training_record", object="course:penalties").exists()


def test_the_same_training_cannot_be_recorded_twice(login_as: Login, course: Course) -> None:
    admin = login_as("sysadmin")
    form = {"course": course.pk, "completed_on": today().isoformat(), "users": pks("zeimu-view")}
    assert admin.post("/training/", form).status_code == 303
    again = admin.post("/training/", form | {"users": pks("zeimu-get", "zeimu-view")})
    assert again.status_code == 200 and "zeimu-view の「関係法令の罰則と民事上の責任」" in again.content.decode()
    assert TrainingRecord.objects.filter(course=course).count() == 1  # all or none: zeimu-get not recorded


def test_the_record_command_records_and_logs(course: Course) -> None:
    day = today() - dt.timedelta(days=1)
    done = CliRunner().invoke(
        main, ["training", "record", "--course", "penalties", "--date", day.isoformat(), "zeimu-view", "seiso-get"]
    )
    assert done.exit_code == 0, done.output
    assert "2 名を記録しました / recorded 2" in done.output
    assert sorted(TrainingRecord.objects.filter(course=course).values_list("user__username", flat=True)) == [
        "seiso-get",
        "zeimu-view",
    ]
    entry = AuditEntry.objects.filter(action="training_record", object="course:penalties").get()
    assert entry.actor.startswith("os:") and entry.role == "コマンド"


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (
            ["--course", "nope", "--date", "2025-04-01", "zeimu-view"],
            "--course",
            "研修コード「nope」の研修はありません",
        ),
        (["--course", "penalties", "--date", "2025-04-01", "nobody"], "USERNAME", "利用者「nobody」はいません"),
        (["--course", "penalties", "--date", "2999-01-01", "zeimu-view"], "--date", "2999-01-01 は未来の日付です"),
        (["--course", "penalties", "--date", "04/01/2025", "zeimu-view"], "--date", "日付 (YYYY-MM-DD) ではありません"),
    ],
)
def test_bad_input_to_the_record_command_names_the_option_in_both_languages(
    course: Course, args: list[str], option: str, message: str
) -> None:
    done = CliRunner().invoke(main, ["training", "record", *args])
    assert done.exit_code == 2, done.output
    assert f"Invalid value for {option}" in done.output or f"Invalid value for '{option}'" in done.output
    assert message in done.output and " / " in done.output
    assert not TrainingRecord.objects.filter(course=course).exists()


def test_the_report_command_writes_the_pdf_and_the_csv_and_logs_them(course: Course, tmp_path: Any) -> None:
    TrainingRecord.objects.create(
        user=User.objects.get(username="kaigo-approve"),
        course=course,
        course_version="2025年度版",
        completed_on=today(),
        recorded_by="t",
    )
    pdf, csv_path = tmp_path / "report.pdf", tmp_path / "report.csv"
    done = CliRunner().invoke(
        main, ["training", "report", "--from", today().isoformat(), "--pdf", str(pdf), "--csv", str(csv_path)]
    )
    assert done.exit_code == 0, done.output
    assert "介護承認担当(kaigo-approve)" in pdf_text(pdf.read_bytes())
    rows = csv_rows(csv_path.read_bytes())
    assert any(r["利用者ID"] == "kaigo-approve" and r["研修コード"] == "penalties" for r in rows)
    logged = AuditEntry.objects.filter(action="training_report").order_by("seq")
    assert [(e.detail["as"], e.sha256) for e in logged] == [
        ("pdf", hashlib.sha256(pdf.read_bytes()).hexdigest()),
        ("csv", hashlib.sha256(csv_path.read_bytes()).hexdigest()),
    ]
    usage = CliRunner().invoke(main, ["training", "report"])
    assert usage.exit_code == 2 and "--pdf か --csv を指定してください" in usage.output
    backwards = CliRunner().invoke(
        main, ["training", "report", "--from", "2026-05-01", "--to", "2026-04-01", "--csv", "x"]
    )
    assert backwards.exit_code == 2 and "--to は --from 以降の日付にしてください" in backwards.output


def test_the_courses_and_rules_are_edited_in_the_admin_and_logged_and_acknowledged_rules_are_fixed(
    login_as: Login, ward: Any
) -> None:
    admin = login_as("sysadmin")
    added = admin.post(
        "/manage/training/course/add/",
        {"code": "incident-drill", "title": "事故対応の訓練", "version": "第1版", "description": "", "active": "on"},
    )
    assert added.status_code == 302, added.content.decode()
    assert AuditEntry.objects.filter(action="admin_add", actor="sysadmin", object__contains="事故対応の訓練").exists()
    rules = selectors.current_rules()
    assert rules is not None
    page = admin.get(f"/manage/training/handlingrules/{rules.pk}/change/").content.decode()
    assert 'name="text"' not in page  # acknowledged: shown, not edited
    assert admin.get(f"/manage/training/handlingrules/{rules.pk}/delete/").status_code == 403
    new = admin.post(
        "/manage/training/handlingrules/add/",
        {"version": "2", "title": "個人情報の取扱規程", "effective_from": today().isoformat(), "text": "改訂した本文"},
    )
    assert new.status_code == 302, new.content.decode()
    assert AuditEntry.objects.filter(action="admin_add", object__contains="第2版").exists()
    assert selectors.must_acknowledge(User.objects.get(username="zeimu-view"))
