"""An upload full of faults: the hub's check lists ``ISSUE_LIMIT`` errors (a setting, 10,000 by
default), counts the rest exactly, and the page and the report CSV stay bounded.

Runs on SQLite and, with ``DATABASE_URL=postgres://…``, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kokin.accounts.models import DataKind
from kokin.exchange.models import ExchangeFile
from kokin.formats.errors import ISSUE_LIMIT
from support.exchange import debit_file

Login = Callable[..., Client]
RECORD = 122


def garbage_upload(n: int) -> bytes:
    """A valid request's header, ``n`` records of 0xFF, its trailer and end record."""
    raw = debit_file(n)
    return raw[:RECORD] + (b"\xff" * 120 + b"\r\n") * n + raw[RECORD + n * RECORD :]


def upload(client: Client, data: bytes) -> Any:
    kind = DataKind.objects.filter(business__code="zeimu-furikae", direction="outbound").order_by("pk").first()
    assert kind is not None
    return client.post(
        "/files/upload/zeimu-furikae/",
        {"data_kind": str(kind.pk), "file": SimpleUploadedFile("ff.dat", data, "application/octet-stream")},
    )


def report_rows(client: Client, response: Any) -> tuple[bytes, list[list[str]]]:
    got = client.get(f"/files/upload/zeimu-furikae/?report={response.context['report_token']}")
    assert got.status_code == 200
    raw = b"".join(got.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_an_upload_full_of_faults_lists_the_limit_and_counts_the_rest(login_as: Login) -> None:
    n = ISSUE_LIMIT + 1500
    client = login_as("zeimu-send")
    response = upload(client, garbage_upload(n))
    assert response.status_code == 422 and not ExchangeFile.objects.exists()
    report = response.context["outcome"].checked.report
    assert report.error_count == n + 2 and len(report.errors) == ISSUE_LIMIT and report.omitted == 1502
    page = " ".join(response.content.decode().split())
    assert f"全 {n + 2} 件" in page and "ほか 1502 件は件数のみ数えています" in page
    raw, rows = report_rows(client, response)
    header, *issues, more = rows
    assert header[:3] == ["重大度", "レコード番号", "項目"]
    assert len(issues) == ISSUE_LIMIT and all(r[0] == "エラー" for r in issues)
    assert more[5:] == ["ほか 1,502 件の誤り・警告 (件数のみ数えています)", "and 1,502 more (counted, not listed)"]
    assert len(raw) < ISSUE_LIMIT * 400  # bounded by the limit, not by the file


def test_the_limit_is_a_setting(login_as: Login, settings: Any) -> None:
    settings.ISSUE_LIMIT = 25
    client = login_as("zeimu-send")
    response = upload(client, garbage_upload(400))
    report = response.context["outcome"].checked.report
    assert (len(report.errors), report.error_count, report.omitted) == (25, 402, 377)
    _, (_, *issues, more) = report_rows(client, response)
    assert len(issues) == 25 and more[6] == "and 377 more (counted, not listed)"


def test_unknown_bank_codes_are_counted_beyond_the_limit(login_as: Login, settings: Any) -> None:
    settings.ISSUE_LIMIT = 5
    response = upload(login_as("zeimu-send"), debit_file(30, bank_code="9899"))
    assert response.status_code == 200 and not ExchangeFile.objects.exists()  # the warnings wait for a yes
    page = " ".join(response.content.decode().split())
    assert "警告が 30 件あります (金融機関マスタにないコード 30 件)" in page
