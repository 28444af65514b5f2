"""A version of a register as the written report shows it: its heading items, the table and the changes.

One shape for every output (the page, the PDF, the CSV and ``kokin registers show``), so they cannot
disagree. Dates carry the Japanese era beside the Western date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from kokin.formats.dates import wareki_text
from kokin.registers import diff
from kokin.registers.models import Kind, RegisterVersion

UNSIGNED = "未承認"
#: the clause of the ward's privacy terms (別紙3) each register answers
BASIS = {
    Kind.ROSTER: "別紙3 第4条3・5 (個人情報保護管理責任者及び従事者の氏名の報告。変更するときも同様)",
    Kind.EQUIPMENT: "別紙3 第6条1 (個人情報を取り扱う情報処理機器の届出。追加・変更する場合も同様)",
}
HEADERS = {
    Kind.ROSTER: ["課", "業務", "氏名", "利用者ID", "役割"],
    Kind.EQUIPMENT: [
        "管理番号",
        "機器名",
        "種別",
        "設置場所",
        "IP アドレス・範囲",
        "証明書の指紋 (SHA-256)",
        "管理者",
        "登録日",
    ],
}
NO_OPERATOR = "(従事者なし)"
HUB = "ハブ全体"


def when(value: dt.datetime | None) -> str:
    """2026-05-27 10:15 (令和8年5月27日), local time; "—" for none."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} ({wareki_text(local.date())})"


def day(iso: str) -> str:
    """2025-04-01 (令和7年4月1日) from an ISO date."""
    if not iso:
        return "—"
    return f"{iso} ({wareki_text(dt.date.fromisoformat(iso))})"


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    number: int
    made_at: str
    signed_off: bool
    signed_off_by: str
    signed_off_at: str
    sha256: str
    responsible: str | None  # the roster's responsible person (None for the equipment register)
    headers: list[str]
    rows: list[list[str]]
    changes: list[str]
    previous: int | None  # the number of the version the changes are against

    @property
    def basis(self) -> str:
        return BASIS[Kind(self.kind)]

    @property
    def changes_heading(self) -> str:
        if self.previous is None:
            return "変更 (初版: 空の台帳との比較)"
        return f"前の版 (第{self.previous}版) からの変更"

    def heading_items(self) -> list[tuple[str, str]]:
        """The items above the table, label and value, in the order every output shows them."""
        items = [
            ("表題", self.title),
            ("根拠", self.basis),
            ("版", f"第{self.number}版"),
            ("作成日時", self.made_at),
            ("確認者", self.signed_off_by if self.signed_off else UNSIGNED),
            ("確認日時", self.signed_off_at if self.signed_off else UNSIGNED),
        ]
        if self.responsible is not None:
            items.append(("個人情報保護管理責任者", self.responsible))
        items.append(("内容の SHA-256", self.sha256))
        return items


def of(version: RegisterVersion, previous: RegisterVersion | None = None) -> Report:
    """The report of ``version``; ``previous`` is the version its changes are against, if any."""
    kind = Kind(version.kind)
    signer = version.signed_off_by
    snapshot: dict[str, Any] = version.snapshot
    return Report(
        kind=kind.value,
        title=kind.label,
        number=version.number,
        made_at=when(version.made_at),
        signed_off=version.signed_off,
        signed_off_by=f"{signer.display_name or signer.username} ({signer.username})" if signer else "",
        signed_off_at=when(version.signed_off_at),
        sha256=version.sha256,
        responsible=responsible(snapshot.get("responsible")) if kind == Kind.ROSTER else None,
        headers=HEADERS[kind],
        rows=roster_rows(snapshot) if kind == Kind.ROSTER else equipment_rows(snapshot),
        changes=list(version.changes),
        previous=previous.number if previous is not None else None,
    )


def responsible(entry: dict[str, str] | None) -> str:
    if entry is None:
        return "未登録"
    return f"{entry['name']} ({entry['title']}) 連絡先: {entry['contact']} 就任日: {day(entry['since'])}"


def roster_rows(snapshot: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    for business in snapshot.get("businesses", []):
        operators = business.get("operators", [])
        if not operators:
            rows.append([business["department"], business["name"], NO_OPERATOR, "", ""])
        for operator in operators:
            name = operator["name"] or operator["username"]
            rows.append(
                [
                    business["department"],
                    business["name"],
                    name,
                    operator["username"],
                    diff.role_labels(operator["roles"]),
                ]
            )
    for entry in snapshot.get("hub", []):
        role = diff.HUB_ROLE_LABELS.get(entry["role"], entry["role"])
        rows.append(["—", HUB, entry["name"] or entry["username"], entry["username"], role])
    return rows


def keeper(terminal: dict[str, Any]) -> str:
    owner, department = terminal.get("owner", ""), terminal.get("department", "")
    if owner and department:
        return f"{owner} ({department})"
    return owner or department or "—"


def equipment_rows(snapshot: dict[str, Any]) -> list[list[str]]:
    return [
        [
            str(t["number"]),
            t["name"],
            diff.kind_label(t["kind"]),
            t["place"],
            t["address"] or "—",
            t["cert_fingerprint"] or "—",
            keeper(t),
            day(t["registered"]),
        ]
        for t in snapshot.get("terminals", [])
    ]


def as_text(report: Report) -> str:
    """The report as plain text (``kokin registers show``): heading items, tab-separated table, changes."""
    lines = [f"{label}: {value}" for label, value in report.heading_items()]
    lines += ["", "\t".join(report.headers), *("\t".join(row) for row in report.rows)]
    lines += ["", f"{report.changes_heading}:"]
    lines += [f"- {line}" for line in report.changes] or ["- (なし)"]
    return "\n".join(lines) + "\n"
