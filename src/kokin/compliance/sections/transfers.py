"""ファイルの受渡し: per business and data kind, the files the hub took in from a department (送信, to
the bank), placed for a department (配置, from the bank), refused, downloaded by the department and
collected by the bank in the period.

Where each figure comes from:

* 送信・配置 — the exchanged files (:class:`~kokin.exchange.models.ExchangeFile`) received in the
  period, whatever became of them since (also quarantined ones);
* 受付拒否 — the log's failed ``exchange_upload`` / ``exchange_place`` entries (invalid, too large, not
  scanned), not those that only waited for a confirmation (``confirmation_required``); nothing of a
  refused file is kept but that entry;
* 課の取得 — the log's ``exchange_download`` entries: files (distinct) and downloads;
* 金融機関の取得 — the log's ``exchange_collect`` entries (the bank acknowledged the whole file).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from kokin.accounts.models import Business, DataKind
from kokin.compliance import oplog
from kokin.compliance.sections.base import Column, Context, Section, count
from kokin.exchange.models import ExchangeFile

COLUMNS = (
    Column("業務", 36),
    Column("データ種別", 44),
    Column("送信", 14, numeric=True),
    Column("配置", 14, numeric=True),
    Column("受付拒否", 16, numeric=True),
    Column("課の取得 件 (回)", 24, numeric=True),
    Column("金融機関の取得", 22, numeric=True),
)
NOT_APPLICABLE = "—"
#: a refusal that only asked the operator to confirm (a duplicate, warnings) is not a refused file
NOT_REFUSED = "confirmation_required"


@dataclass
class Figures:
    received: int = 0
    refused: int = 0
    downloads: int = 0
    downloaded: set[uuid.UUID] = field(default_factory=set)
    collected: int = 0

    def add(self, other: Figures) -> None:
        self.received += other.received
        self.refused += other.refused
        self.downloads += other.downloads
        self.downloaded |= other.downloaded
        self.collected += other.collected


def _figures(context: Context) -> tuple[dict[int, Figures], Counter[str]]:
    """Figures per data kind id, and refusals that name only a business (by its code)."""
    period = context.period
    per_kind: dict[int, Figures] = defaultdict(Figures)
    received = (
        ExchangeFile.objects.filter(received_at__gte=period.since, received_at__lt=period.until)
        .values("data_kind")
        .annotate(n=Count("id"))
    )
    for row in received:
        per_kind[row["data_kind"]].received = row["n"]
    business_only: Counter[str] = Counter()
    refused = oplog.entries(period, ("exchange_upload", "exchange_place"), outcome="failure")
    for obj, detail in refused.values_list("object", "detail").iterator(chunk_size=2000):
        where = oplog.mailbox(obj)
        if where is None or oplog.detail_value(detail, "reason") == NOT_REFUSED:
            continue
        code, kind = where
        if kind is None:
            business_only[code] += 1
        else:
            per_kind[kind].refused += 1
    downloads = [
        found
        for obj in oplog.entries(period, ["exchange_download"]).values_list("object", flat=True).iterator()
        if (found := oplog.file_id(obj)) is not None
    ]
    collected = [
        found
        for obj in oplog.entries(period, ["exchange_collect"]).values_list("object", flat=True).iterator()
        if (found := oplog.file_id(obj)) is not None
    ]
    kinds = oplog.kinds_of_files(downloads + collected)
    for file in downloads:
        if file in kinds:
            figures = per_kind[kinds[file]]
            figures.downloads += 1
            figures.downloaded.add(file)
    for file in collected:
        if file in kinds:
            per_kind[kinds[file]].collected += 1
    return per_kind, business_only


def _row(business: str, kind: str, direction: str | None, f: Figures) -> tuple[str, ...]:
    outbound, inbound = direction != DataKind.Direction.INBOUND, direction != DataKind.Direction.OUTBOUND
    return (
        business,
        kind,
        count(f.received) if outbound else NOT_APPLICABLE,
        count(f.received) if inbound else NOT_APPLICABLE,
        count(f.refused),
        f"{count(len(f.downloaded))} ({count(f.downloads)})",
        count(f.collected) if outbound else NOT_APPLICABLE,
    )


def build(context: Context) -> Section:
    per_kind, business_only = _figures(context)
    rows = []
    total_out, total_in = Figures(), Figures()
    kinds = DataKind.objects.select_related("business__department").order_by(
        "business__department__code", "business__code", "pk"
    )
    for kind in kinds:
        figures = per_kind.get(kind.pk, Figures())
        rows.append(_row(kind.business.name, kind.label, kind.direction, figures))
        (total_out if kind.direction == DataKind.Direction.OUTBOUND else total_in).add(figures)
    names = dict(Business.objects.filter(code__in=list(business_only)).values_list("code", "name"))
    for code, refused in sorted(business_only.items()):
        rows.append((names.get(code, code), "(データ種別の指定前に拒否)", "", "", count(refused), "", ""))
        total_out.refused += refused
    totals = Figures()
    totals.add(total_out)
    totals.add(total_in)
    rows.append(
        (
            "合計",
            "",
            count(total_out.received),
            count(total_in.received),
            count(totals.refused),
            f"{count(len(totals.downloaded))} ({count(totals.downloads)})",
            count(total_out.collected),
        )
    )
    notes = [
        "送信: 課がハブに送った金融機関あてのファイル (受付日時が期間内、ウイルス検出で隔離したものを含む)。"
        "配置: 金融機関から届き課の受信箱に置いたファイル。",
        "受付拒否: 検査で受け付けなかったファイル (形式の誤り・大きさの超過・検査不能。重複・警告の確認待ちは除く)。"
        "出典は操作ログ (exchange_upload / exchange_place の失敗)。",
        "課の取得: 課の担当者が取得したファイルの件数、括弧内は取得の回数 (操作ログ exchange_download)。"
        "金融機関の取得: 金融機関が取得を完了したファイル (操作ログ exchange_collect)。",
        "「—」はそのデータ種別の向きにない項目です (送信は課から金融機関へ、配置は金融機関から課へのデータ種別)。",
    ]
    facts = {
        "sent": total_out.received,
        "placed": total_in.received,
        "refused": totals.refused,
        "downloads": totals.downloads,
        "collected": total_out.collected,
    }
    return Section("ファイルの受渡し (業務・データ種別ごと)", COLUMNS, rows, notes, facts=facts)
