"""消去と消去証明書 (別紙3 第14条): every file erased in the period, with the number of its deletion
certificate (:class:`~kokin.exchange.models.DeletionCertificate`, issued with the erasure)."""

from __future__ import annotations

from collections import Counter

from kokin.compliance.period import when_label
from kokin.compliance.sections.base import Column, Context, Section, count
from kokin.exchange.models import DeletionCertificate

COLUMNS = (
    Column("証明書番号", 28),
    Column("消去日時", 30),
    Column("業務", 28),
    Column("データ種別", 30),
    Column("ファイル名", 26),
    Column("消去の理由", 28),
)


def build(context: Context) -> Section:
    period = context.period
    certificates = DeletionCertificate.objects.filter(erased_at__gte=period.since, erased_at__lt=period.until).order_by(
        "erased_at", "pk"
    )
    rows = []
    per_business: Counter[str] = Counter()
    for cert in certificates.iterator():
        rows.append(
            (
                cert.number,
                when_label(cert.erased_at).replace(" (", "\n("),
                cert.business_label,
                cert.kind_label,
                cert.original_name,
                cert.reason,
            )
        )
        per_business[cert.business_label] += 1
    notes = [f"期間中の消去 {count(len(rows))} 件 (消去証明書 {count(len(rows))} 通)。"]
    if per_business:
        notes.append("業務ごと: " + "、".join(f"{name} {count(n)} 件" for name, n in sorted(per_business.items())))
    notes.append(
        "消去の方法はいずれも暗号消去 (ファイルごとのデータ鍵の破棄と暗号化された本体の削除) です。"
        "各消去証明書 (PDF) は業務の担当者が「消去証明書の一覧」から取得できます。"
    )
    return Section(
        "消去と消去証明書 (第14条)",
        COLUMNS,
        rows,
        notes,
        empty="期間中に消去したファイルはありません。",
        facts={"deletions": len(rows)},
    )
