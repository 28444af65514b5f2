"""The seam to the records kept elsewhere (kokin.compliance.sources): a section whose source keeps no records
yet says 「未導入」; once a source returns its dataclass, the section prints it without any other change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kokin.compliance import sources
from kokin.compliance.period import Period, month
from kokin.compliance.render import render
from kokin.compliance.sections import Context, build_all, equipment, roster, training
from support.compliance import pdf_text


@pytest.fixture
def context(db: None) -> Context:
    return Context(period=month(2026, 11), made_at=timezone.now(), made_by="auditor (監査者)")


def test_a_source_without_records_yet_makes_its_section_say_not_installed(context: Context) -> None:
    for build in (roster.build, training.build, equipment.build):
        section = build(context)
        assert not section.rows and section.empty.startswith("未導入 (")
    assert sources.roster(context.period) is None
    assert sources.training(context.period) is None
    assert sources.equipment(context.period) is None


def test_a_wired_source_is_printed_by_its_section(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    at = timezone.make_aware(dt.datetime(2026, 11, 10, 9, 30))

    def the_roster(period: Period) -> sources.Roster:
        assert period == context.period
        return sources.Roster(
            version="R-12",
            as_of=at,
            entries=[
                sources.RosterEntry("zeimu-get 税務 取得担当", "税務課", "住民税 口座振替: 取得", dt.date(2026, 4, 1))
            ],
            changes=[sources.RosterChange(at, "zeimu-get 税務 取得担当", "役割の変更: 閲覧 → 取得", "zeimu-manage")],
        )

    def the_training(period: Period) -> sources.Training:
        return sources.Training(
            as_of=at,
            records=[sources.TrainingRecord("zeimu-get", "個人情報保護研修", dt.date(2026, 11, 5), None, "誓約未提出")],
        )

    def the_equipment(period: Period) -> sources.Equipment:
        return sources.Equipment("E-3", at, items=[sources.EquipmentItem("SV-01", "サーバー", "電算室", "稼働中")])

    monkeypatch.setattr(sources, "roster", the_roster)
    monkeypatch.setattr(sources, "training", the_training)
    monkeypatch.setattr(sources, "equipment", the_equipment)
    text = pdf_text(render(context, build_all(context)))
    assert "未導入" not in text
    assert "zeimu-get税務取得担当税務課住民税口座振替:取得2026-04-01(令和8年4月1日)" in text
    assert "名簿の版R-12" in text and "期間中の変更1件:" in text and "役割の変更:閲覧→取得(zeimu-manage)" in text
    assert "zeimu-get個人情報保護研修2026-11-05(令和8年11月5日)—誓約未提出" in text
    assert "受講または誓約のないもの1件" in text
    assert "SV-01サーバー電算室稼働中" in text and "台帳の版E-3" in text
