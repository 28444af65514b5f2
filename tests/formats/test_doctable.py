"""The byte tables of docs/formats/*.md are their layouts (:mod:`kokin.formats.doctable`): a layout
change that the docs do not follow fails here; ``python -m kokin.formats.doctable docs/formats/*.md``
rewrites the tables and keeps their notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokin.formats import FORMATS
from kokin.formats.doctable import main, synced
from kokin.formats.layout import override

DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats"
LAYOUTS = {name: module.LAYOUT for name, module in FORMATS.items()}
DOCUMENTED = sorted(p.stem for p in DOCS.glob("*.md") if p.stem in LAYOUTS)


def test_every_format_but_the_waste_variant_has_its_own_page() -> None:
    assert sorted(name for name in LAYOUTS if name != "general-receipt-waste") == DOCUMENTED


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_byte_tables_are_the_layout_and_cover_every_record_kind(name: str) -> None:
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    new, covered = synced(text, LAYOUTS, name)
    assert new == text, f"docs/formats/{name}.md: run python -m kokin.formats.doctable docs/formats/{name}.md"
    assert {kind for layout, kind in covered if layout == name} == {k.name for k in LAYOUTS[name].kinds}


def test_the_waste_variant_is_documented_under_its_own_heading() -> None:
    text = (DOCS / "general-receipt.md").read_text(encoding="utf-8")
    _, covered = synced(text, LAYOUTS, "general-receipt")
    assert ("general-receipt-waste", "data") in covered and ("general-receipt-waste", "trailer") in covered


def test_a_changed_layout_rewrites_its_rows_and_keeps_the_notes(tmp_path: Path) -> None:
    text = (DOCS / "zengin-debit.md").read_text(encoding="utf-8")
    changed = override(
        LAYOUTS["zengin-debit"],
        {
            "records": {
                "data": {
                    "fields": {
                        "customer_number": {"length": 18},
                        "result_code": {"start": 110},
                        "dummy_2": {"start": 111, "length": 10},
                    }
                }
            }
        },
    )
    new, _ = synced(text, {**LAYOUTS, "zengin-debit": changed}, "zengin-debit")
    assert new != text
    assert "| 92–109 | 18 | N | `customer_number` | 顧客番号 | 委託者の管理番号 / the municipality's key |" in new
    assert "| 111–120 | 10 | C | `dummy_2` | ダミー | 空白 / spaces |" in new
    page = tmp_path / "zengin-debit.md"
    page.write_text(text.replace("| 2–5 | 4 |", "| 2–6 | 5 |"), encoding="utf-8")
    assert main(["--check", str(page)]) == 1
    assert main([str(page)]) == 0 and page.read_text(encoding="utf-8") == text
