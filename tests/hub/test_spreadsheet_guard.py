"""No CSV of the hub runs as a formula in a spreadsheet: the department's download (``?as=csv``), the
validation report of a rejected file and the operation-log export all use :mod:`kokin.formats.cells`.

Runs on SQLite and, with ``DATABASE_URL=postgres://…``, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.test import Client

from kokin.accounts.models import DataKind
from kokin.audit import export
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.exchange import reports
from kokin.formats.errors import FormatIssue
from kokin.formats.kinds import zengin_debit
from support.exchange import DEBIT_HEADER, debit_day, payer, place

Login = Callable[..., Client]
ATTACKS = ["-1-1", "=1+1", "@SUM(A1)", "+1", "\t=1", "\r=1", "-HYPERLINK(G3)"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def rows_of(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_department_csv_download_guards_holder_names_and_keeps_amounts_numeric(login_as: Login, ward: Any) -> None:
    # of the attacks' first characters a Zengin text field takes only "-": those two are what a bank file can carry
    names = ["-1-1", "-HYPERLINK(G3)", "ﾔﾏﾀﾞ ﾀﾛｳ"]
    head = {**DEBIT_HEADER, "debit_date": f"{debit_day():%m%d}"}
    data = zengin_debit.build(
        [{"header": head, "records": [payer(i, holder_name=n) for i, n in enumerate(names)]}], result=True
    )
    kind = DataKind.objects.filter(business__code="zeimu-furikae", direction="inbound").order_by("pk").first()
    assert kind is not None
    file = place(kind, data)
    client = login_as("zeimu-get")
    for encoding in ("cp932", "utf-8-sig"):
        response = client.post(f"/files/{file.id}/download/", {"as": "csv", "encoding": encoding})
        assert response.status_code == 200
        raw = b"".join(response.streaming_content)
        header, *rows = rows_of(raw, encoding)
        holder, amount = header.index("預金者名"), header.index("引落金額")
        assert [r[holder] for r in rows] == ["'-1-1", "'-HYPERLINK(G3)", "ﾔﾏﾀﾞ ﾀﾛｳ"]
        assert [r[amount] for r in rows] == ["1000", "1001", "1002"]
        assert b",1000," in raw  # unquoted: a number for the spreadsheet
        assert not any(cell.startswith(DANGEROUS) for r in rows for cell in r)


def test_validation_report_guards_every_text_cell() -> None:
    issues = [FormatIssue(i + 1, "holder_name", "charset", a, a, 61, 90) for i, a in enumerate(ATTACKS)]
    issues.append(FormatIssue(None, "=file", "-x", "ok", "ok"))
    out = io.BytesIO()
    reports.write_csv(out, issues)
    header, *rows = rows_of(out.getvalue(), "utf-8-sig")
    assert header == reports.HEADER
    assert [r[5] for r in rows[: len(ATTACKS)]] == ["'" + a for a in ATTACKS]
    assert [r[6] for r in rows[: len(ATTACKS)]] == ["'" + a for a in ATTACKS]
    assert [r[1] for r in rows] == [*(str(i + 1) for i in range(len(ATTACKS))), ""]
    assert rows[-1][2:5] == ["'=file", "", "'-x"]
    assert not any(cell.startswith(DANGEROUS) for r in rows for cell in r)


def test_operation_log_export_guards_every_attack_and_reads_back(db: None) -> None:
    for attack in ATTACKS:
        record(action="login_failed", actor=Actor(name=attack), object=attack, outcome="failure")
    out = io.BytesIO()
    export.write_csv(out, AuditEntry.objects.order_by("seq"), encoding="utf-8-sig")
    header, *rows = rows_of(out.getvalue(), "utf-8-sig")
    actor = header.index("操作者")
    assert [r[actor] for r in rows] == ["'" + a for a in ATTACKS]
    assert not any(cell.startswith(DANGEROUS) for r in rows for cell in r)
    assert [r["操作者"] for r in export.read_csv(out.getvalue())] == ATTACKS
