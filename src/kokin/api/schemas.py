"""Request and response shapes of the API (they make the OpenAPI document)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

#: business codes are slugs; anything else cannot name one (and never reaches the database)
CODE_PATTERN = r"^[-a-zA-Z0-9_]{1,32}$"
#: text filters are matched exactly against the log; NUL cannot be stored, so it cannot match
TEXT_PATTERN = r"^[^\x00]*$"
#: issues an answer lists (an upload's report has all of them)
SHOWN_ISSUES = 100


class Message(Schema):
    detail: str = Field(description="日本語と英語のメッセージ / Japanese and English message")


class Invalid(Schema):
    detail: str | list[dict[str, Any]] = Field(
        description="入力の誤り (項目ごとの一覧、または日本語と英語の文) / what is wrong with the input"
    )


class DepartmentOut(Schema):
    code: str
    name: str


class RoleOut(Schema):
    role: str = Field(description="view | download | upload | approve | manage")
    label: str = Field(description="閲覧・取得・送信・承認・業務管理")


class BusinessRolesOut(Schema):
    code: str
    name: str
    department: DepartmentOut
    roles: list[RoleOut]


class MeOut(Schema):
    username: str
    display_name: str
    department: DepartmentOut | None
    is_system_admin: bool
    is_auditor: bool
    businesses: list[BusinessRolesOut] = Field(description="業務ごとの役割 / roles per business")


class BusinessOut(Schema):
    code: str
    name: str
    department: DepartmentOut
    actions: list[str] = Field(description="この業務で許される操作 / the actions the caller may do here")


class DataKindOut(Schema):
    format: str
    direction: str = Field(description="inbound (金融機関から) | outbound (金融機関へ)")
    direction_label: str
    label: str
    yearly_volume: int


class AuditQuery(Schema):
    since: datetime | None = Field(None, description="この日時以降 (含む) / at or after")
    until: datetime | None = Field(None, description="この日時より前 (含まない) / before")
    actor: str = Field("", max_length=150, pattern=TEXT_PATTERN, description="操作者 ID / operator's ID")
    action: str = Field("", max_length=64, pattern=TEXT_PATTERN, description="操作 / action, e.g. login")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class AuditEntryOut(Schema):
    seq: int
    at: datetime
    actor: str
    role: str
    department: str
    client_ip: str
    cert_fingerprint: str
    action: str
    object: str
    sha256: str
    outcome: str
    detail: dict[str, Any]


class AuditPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditEntryOut]


# --- the file exchange (kokin.api.exchange) -------------------------------------------------------


class FileOut(Schema):
    id: uuid.UUID
    business: str
    data_kind: str = Field(description="データ種別 / the mailbox's label")
    direction: str = Field(description="inbound (金融機関から) | outbound (金融機関へ)")
    state: str = Field(
        description="received | validated | awaiting_approval | approved | collected | withdrawn | "
        "available | downloaded | inspected | erased"
    )
    state_label: str
    original_name: str
    size: int
    sha256: str
    format: str
    mode: str = Field(description="request | result (zengin-debit), otherwise empty")
    received_at: datetime
    records: int = Field(description="データレコード数 / data records")
    total_amount: int
    errors: int
    warnings: int
    debit_date: date | None
    approved_at: datetime | None
    collected_at: datetime | None
    download_count: int
    inspected_at: datetime | None
    erased_at: datetime | None
    retention_due: datetime | None
    summary: dict[str, Any]


class FilePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FileOut]


class FileQuery(Schema):
    state: str = Field("", description="状態で絞り込み / filter by state", pattern=r"^[a-z_]{0,20}$")
    direction: str = Field("", description="inbound | outbound", pattern=r"^(inbound|outbound|)$")
    since: date | None = Field(None, description="受信日 (この日から) / received on or after")
    until: date | None = Field(None, description="受信日 (この日まで) / received on or before")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class IssueOut(Schema):
    severity: str
    record: int | None
    field: str
    start: int | None
    end: int | None
    code: str
    message_ja: str
    message_en: str


class Rejected(Schema):
    detail: str | list[dict[str, Any]] = Field(description="日本語と英語のメッセージ / Japanese and English message")
    errors: int = 0
    warnings: int = 0
    issues: list[IssueOut] = Field([], description=f"先頭 {SHOWN_ISSUES} 件 / the first {SHOWN_ISSUES} issues")
    needs: list[str] = Field([], description="必要な確認 / confirmations needed: duplicate, warnings")
    duplicates: list[str] = Field([], description="重複の疑いのあるファイル ID / ids of earlier files")


class PackageIn(Schema):
    password: str | None = Field(
        None, description="12 文字以上。省略すると生成し X-Kokin-Package-Password で返す / omitted: generated"
    )


class CsvQuery(Schema):
    encoding: str = Field("cp932", pattern=r"^(cp932|utf-8-sig)$", description="cp932 | utf-8-sig")
    headers: str = Field(
        "en",
        pattern=r"^(ja|en)$",
        description="en: field IDs (default) | ja: Japanese labels, names, code meanings and 和暦 beside the codes",
    )
