"""The sections of the compliance report (遵守状況の報告, 別紙3 第16条), in the order they are printed:
one small module, one builder each (``build(context) -> Section``, :mod:`.base`).

To add a section, write its module and put its builder in :data:`BUILDERS`; the PDF numbers the
sections in this order.
"""

from __future__ import annotations

from kokin.compliance.sections import (
    audit_checkpoints,
    audit_verify,
    deletions,
    equipment,
    incidents,
    malware,
    overview,
    roster,
    training,
    transfers,
)
from kokin.compliance.sections.base import Builder, Column, Context, Section

BUILDERS: list[Builder] = [
    overview.build,  # 対象期間・作成日時・作成者
    transfers.build,  # 業務・データ種別ごとの受付・配置・取得
    deletions.build,  # 消去と消去証明書 (第14条)
    incidents.build,  # 事故・インシデント (第15条)
    malware.build,  # マルウェアの検出 (隔離)
    audit_checkpoints.build,  # 操作ログのチェックポイント
    audit_verify.build,  # 操作ログの検証 (作成時)
    roster.build,  # 操作担当者の名簿と変更 (kokin.compliance.sources)
    training.build,  # 研修・誓約の状況 (kokin.compliance.sources)
    equipment.build,  # 機器の台帳 (kokin.compliance.sources)
]


def build_all(context: Context) -> list[Section]:
    return [build(context) for build in BUILDERS]


__all__ = ["BUILDERS", "Builder", "Column", "Context", "Section", "build_all"]
