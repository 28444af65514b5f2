"""Revenue items (科目・税目) of the demo ward and their instalment ranges (期別).

科目コード are the municipality's own; these are kokin's defaults, used by the collection layouts,
the sample generator and the simulator. A bank profile or a ward can add its own.

>>> ITEMS["11"].ja, ITEMS["11"].instalments
('国民健康保険料', (1, 10))
>>> instalment_ranges()["01"]
(1, 4)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RevenueItem:
    code: str
    ja: str
    en: str
    department: str
    #: allowed 期別 (instalment numbers); 特別徴収 uses the payment month 1–12
    instalments: tuple[int, int]
    #: a plausible amount range per instalment (yen), for sample data
    amounts: tuple[int, int]


ITEMS: dict[str, RevenueItem] = {
    item.code: item
    for item in (
        RevenueItem("01", "住民税(普通徴収)", "resident tax (ordinary)", "税務課", (1, 4), (2_000, 250_000)),
        RevenueItem(
            "02", "住民税(特別徴収)", "resident tax (special collection)", "税務課", (1, 12), (5_000, 3_000_000)
        ),
        RevenueItem("03", "軽自動車税", "light vehicle tax", "税務課", (1, 1), (2_000, 12_900)),
        RevenueItem("11", "国民健康保険料", "national health insurance", "国保年金課", (1, 10), (1_000, 120_000)),
        RevenueItem("12", "後期高齢者医療保険料", "late-stage elderly medical", "国保年金課", (1, 9), (1_000, 80_000)),
        RevenueItem("21", "介護保険料", "long-term care insurance", "介護保険課", (1, 10), (1_500, 30_000)),
        RevenueItem("31", "廃棄物処理手数料", "waste disposal fee", "清掃リサイクル課", (1, 1), (400, 50_000)),
    )
}


def instalment_ranges() -> dict[str, tuple[int, int]]:
    """科目コード → (first, last) 期別, as layouts use it for range checks."""
    return {code: item.instalments for code, item in ITEMS.items()}
