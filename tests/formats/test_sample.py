"""``kokin sample`` for every kind: valid, realistic, deterministic files, and faults that validation finds."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from kokin.cli import main
from kokin.formats import FORMATS, bankdays, items
from kokin.formats import synth as sample
from kokin.formats.bankmaster import master
from kokin.formats.charset import is_zengin_text
from kokin.formats.dates import fiscal_year_of
from kokin.formats.kanji import VALID_PAIRS

KINDS = [
    "zengin-debit",
    "mpn-receipt",
    "general-receipt",
    "general-receipt-waste",
    "special-receipt",
    "special-breakdown",
]
COLLECTION = KINDS[1:]
BASE = dt.date(2026, 5, 27)


def module(kind: str) -> ModuleType:
    return FORMATS[kind]


def records(kind: str, n: int = 400, seed: int = 0, **options: Any) -> list[dict[str, Any]]:
    raw, _ = sample.generate(kind, n, seed=seed, **options)
    parsed = module(kind).parse(raw)
    assert parsed.report.error_count == 0, [str(i) for i in parsed.report.errors[:5]]
    return [r for batch in parsed.batches() for r in batch["records"]]  # type: ignore[attr-defined]


def day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


# --- valid and deterministic ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("kind", KINDS)
def test_a_sample_is_valid_without_warnings(kind: str, seed: int) -> None:
    raw, faults = sample.generate(kind, 300, seed=seed)
    report = module(kind).validate(raw)
    assert faults == []
    assert (report.error_count, report.warning_count) == (0, 0), [str(i) for i in report.sorted_issues()[:5]]


def test_a_zengin_debit_result_sample_is_valid() -> None:
    raw, _ = sample.generate("zengin-debit", 300, seed=3, result=True)
    parsed = module("zengin-debit").parse(raw)
    assert (parsed.report.error_count, parsed.report.warning_count) == (0, 0)
    assert parsed.mode == "result"


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_bytes_other_seed_other_bytes(kind: str) -> None:
    one, _ = sample.generate(kind, 120, seed=11)
    two, _ = sample.generate(kind, 120, seed=11)
    other, _ = sample.generate(kind, 120, seed=12)
    assert one == two
    assert one != other
    with_faults = sample.generate(kind, 120, seed=11, faults=4)
    assert with_faults == sample.generate(kind, 120, seed=11, faults=4)


@pytest.mark.parametrize("kind", KINDS)
def test_record_counts_and_an_empty_sample(kind: str) -> None:
    assert len(records(kind, 37)) == 37
    raw, _ = sample.generate(kind, 0, seed=1)
    report = module(kind).validate(raw)
    assert report.error_count == 0 and len(raw) == 3 * (module(kind).LAYOUT.record_length + 2)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="no sample generator"):
        sample.generate("no-such-kind", 3)


# --- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6, 13])
@pytest.mark.parametrize("kind", KINDS)
def test_every_injected_fault_is_found_at_its_record_and_field(kind: str, count: int) -> None:
    raw, faults = sample.generate(kind, 80, seed=count, faults=count)
    assert len(faults) == count
    assert len({(f.record, f.field) for f in faults}) == count
    report = module(kind).validate(raw)
    assert not report.ok
    found = {(i.record, i.field) for i in report.errors + report.warnings}
    missing = [f for f in faults if (f.record, f.field) not in found]
    assert missing == [], [str(i) for i in report.sorted_issues()]
    for f in faults:
        assert f.kind in sample.FAULT_KINDS and f.description == sample.FAULT_KINDS[f.kind][1]


@pytest.mark.parametrize("kind", KINDS)
def test_faults_are_found_for_many_seeds_and_counts(kind: str) -> None:
    """Faults must not hide each other (e.g. a result total and a result code together)."""
    for seed in range(12):
        result = kind == "zengin-debit" and seed % 2 == 1
        raw, faults = sample.generate(kind, 40 + 5 * seed, seed=seed, faults=3 * seed + 1, result=result)
        assert len(faults) == 3 * seed + 1
        report = module(kind).validate(raw)
        found = {(i.record, i.field) for i in report.errors + report.warnings}
        assert [f for f in faults if (f.record, f.field) not in found] == [], (seed, faults)


@pytest.mark.parametrize("kind", KINDS)
def test_faults_cover_several_kinds_including_trailer_totals(kind: str) -> None:
    _, faults = sample.generate(kind, 200, seed=5, faults=40)
    kinds = Counter(f.kind for f in faults)
    assert kinds["total"] >= 1 and len(kinds) >= 3, kinds
    for f in faults:
        if f.kind == "total":
            assert f.field.startswith(("total_", "transferred_", "failed_"))


def test_full_width_faults_in_the_breakdown() -> None:
    raw, faults = sample.generate("special-breakdown", 200, seed=2, faults=60)
    kinds = {f.kind for f in faults}
    assert {"kanji", "machine", "split"} <= kinds, kinds
    report = module("special-breakdown").validate(raw)
    by_place = {(i.record, i.field): i for i in report.errors}
    for f in faults:
        if f.kind in ("kanji", "machine", "split"):
            message = by_place[(f.record, f.field)].message_en
            expected = {"kanji": "half-width kana", "machine": "machine-dependent", "split": "split"}[f.kind]
            assert expected in message, message


def test_fewer_faults_only_when_the_file_is_too_small() -> None:
    _, faults = sample.generate("special-receipt", 2, seed=1, faults=10)
    assert 2 <= len(faults) < 10  # two data records and the trailer's totals


# --- realistic content ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", COLLECTION)
def test_payment_dates_are_business_days_before_the_file_date(kind: str) -> None:
    dates = {day(r["payment_date"]) for r in records(kind)}
    assert all(d < BASE and bankdays.is_business_day(d) for d in dates)
    assert all(d.weekday() < 5 for d in dates)
    assert dt.date(2026, 5, 4) not in dates and dt.date(2026, 4, 29) not in dates  # みどりの日, 昭和の日
    assert len(dates) >= 10


def test_the_date_option_moves_every_date() -> None:
    base = dt.date(2026, 10, 15)
    rows = records("general-receipt", 300, base_date=base)
    assert all(day(r["payment_date"]) < base for r in rows)
    assert Counter(r["assessment_year"] for r in rows).most_common(1)[0][0] == "2026"
    raw, _ = sample.generate("general-receipt", 3, base_date=base)
    assert module("general-receipt").parse(raw).batches()[0]["header"]["creation_date"] == "20261015"


@pytest.mark.parametrize("kind", ["mpn-receipt", "general-receipt", "special-receipt", "special-breakdown"])
@pytest.mark.parametrize("base", [BASE, dt.date(2026, 7, 3), dt.date(2027, 1, 20)])
def test_years_instalments_and_payment_kinds_fit_the_payment_date(kind: str, base: dt.date) -> None:
    rows = records(kind, 500, base_date=base)
    years = Counter(int(r["assessment_year"]) for r in rows)
    fy = fiscal_year_of(base)
    recent = years[fy] + years[fy - 1]
    assert recent >= 0.85 * len(rows), years
    assert sum(n for y, n in years.items() if y < fy - 1) > 0 or base.month in (4, 5), years
    assert max(years) <= fy and min(years) >= fy - 6
    for r in rows:
        item = r.get("item_code", "02")
        k, year, paid = int(r["instalment"]), int(r["assessment_year"]), day(r["payment_date"])
        first, last = items.ITEMS[item].instalments
        assert first <= k <= last
        # the instalment was billed before it was paid; a closed year is 滞納繰越分
        assert paid >= sample.first_payable(item, year, k), r
        if "payment_kind" in r:
            assert r["payment_kind"] == ("1" if paid <= dt.date(year + 1, 5, 31) else "2"), r
        if r.get("late_charge"):
            assert paid > sample.due_date(item, year, k), r


def test_special_collection_pays_the_month_after_the_salaries() -> None:
    rows = records("special-receipt", 600)
    on_time = [r for r in rows if r["payment_kind"] == "1" and r["late_charge"] == 0]
    months = Counter(int(r["instalment"]) for r in on_time)
    assert months.most_common(1)[0][0] == 4  # 4月分, due on May 11 2026
    assert sample.due_date("02", 2025, 4) == dt.date(2026, 5, 11)  # May 10 is a Sunday
    assert sample.due_date("02", 2026, 12) == dt.date(2027, 1, 12)  # 1/10 Sunday, 1/11 成人の日


def test_amounts_per_item() -> None:
    for kind in ("mpn-receipt", "general-receipt"):
        for r in records(kind, 500):
            low, high = items.ITEMS[r["item_code"]].amounts
            assert low <= r["amount"] <= high or (kind == "general-receipt" and r["slip_kind"] == "2"), r
            if r["item_code"] == "03":
                assert r["amount"] in sample.LIGHT_VEHICLE_TAX
    special = [r["amount"] for r in records("special-receipt", 500)]
    resident = [r["amount"] for r in records("mpn-receipt", 500) if r["item_code"] == "01"]
    low, high = items.ITEMS["02"].amounts
    assert all(low <= a <= high for a in special)
    assert sorted(special)[len(special) // 2] > 2 * sorted(resident)[len(resident) // 2]  # employers pay more


def test_late_charge_rule() -> None:
    assert sample.late_charge(100_000, 0) == 0
    assert sample.late_charge(100_000, 10) == 0  # 65 yen: under 1,000 yen is not charged
    assert sample.late_charge(100_000, 400) == 9_000  # 30 days at 2.4%, 370 at 8.7%: 9,016, cut to 100 yen
    assert sample.late_charge(1_999, 3_000) == 0


def test_waste_fees_add_up() -> None:
    rows = records("general-receipt-waste", 400)
    for r in rows:
        assert r["item_code"] == "31" and r["instalment"] == "01"
        assert r["amount"] == r["collected_amount"] - r["commission_amount"]
        assert r["billed_amount"] == r["collected_amount"] and 0 < r["commission_amount"] < r["collected_amount"]
        assert r["payer_name"] and is_zengin_text(r["payer_name"])
        assert r["assessment_year"] == str(fiscal_year_of(day(r["payment_date"])))
    assert len({r["payer_name"] for r in rows}) > 100


@pytest.mark.parametrize(
    ("kind", "share", "tolerance"),
    [("special-receipt", 20_872 / 182_893, 0.03), ("general-receipt", 1 / 1_430, 0.004)],
)
def test_handwritten_share_follows_the_seed(kind: str, share: float, tolerance: float) -> None:
    rows = records(kind, 2_000, seed=4)
    handwritten = sum(r["slip_kind"] == "2" for r in rows) / len(rows)
    assert abs(handwritten - share) < tolerance


def test_mpn_numbers_channels_and_item_mix() -> None:
    rows = records("mpn-receipt", 1_000)
    for r in rows:
        number = r["payment_number"]
        assert len(number) == 20 and number == sample.with_check_digit(number[:-1])
        assert number[:4] == r["assessment_year"] and number[4:6] == r["item_code"]
        assert len(r["check_number"]) == 6 and r["check_number"] != "000000"
    assert {r["channel"] for r in rows} == {"1", "2", "3", "4", "9"}
    assert {r["item_code"] for r in rows} == set(sample.VOLUMES["mpn-receipt"])
    assert len({r["payment_number"] for r in rows}) > 990


@pytest.mark.parametrize("kind", COLLECTION)
def test_banks_come_from_the_master_and_vary(kind: str) -> None:
    m = master()
    rows = records(kind, 500)
    bank_field = "agent_bank_code" if kind == "special-breakdown" else "collecting_bank_code"
    banks = Counter(r[bank_field] for r in rows)
    assert all(m.bank(b) for b in banks) and len(banks) >= 8
    branch_field = {"special-breakdown": "handling_branch_code"}.get(kind, "collecting_branch_code")
    if branch_field in rows[0]:
        assert all(m.branch(r[bank_field], r[branch_field]) for r in rows)
        assert len({(r[bank_field], r[branch_field]) for r in rows}) > 200


def test_breakdown_names_and_addresses_are_kanji_and_consistent() -> None:
    m = master()
    rows = records("special-breakdown", 500, seed=9)
    for r in rows:
        for field in ("agent_bank_name", "aggregating_branch_name", "handling_branch_name", "employer_name", "address"):
            raw = r[field].encode("cp932")
            assert r[field] and all(VALID_PAIRS[raw[i] << 8 | raw[i + 1]] for i in range(0, len(raw), 2)), field
        assert r["handling_branch_name"] == m.branches[(r["agent_bank_code"], r["handling_branch_code"])].name
        assert r["agent_bank_name"].endswith(("銀行", "信金", "信組", "金庫")), r["agent_bank_name"]
        assert len(r["postal_code"]) == 7 and "丁目" in r["address"]
    employers = {r["employer_number"] for r in rows}
    assert len(employers) == len(rows)  # one payment per employer in a file
    assert len({r["employer_name"] for r in rows}) > 300
    # the same employer has the same name and address in every file
    again = {
        r["employer_number"]: (r["employer_name"], r["address"]) for r in records("special-breakdown", 500, seed=9)
    }
    assert all(again[r["employer_number"]] == (r["employer_name"], r["address"]) for r in rows)
    assert sample.employer_details(1) == sample.employer_details(1)
    assert sample.employer_number(1) != sample.employer_number(2)


def test_employer_numbers_are_distinct_for_distinct_employers() -> None:
    ids = random.Random(0).sample(range(1, 90_000_001), 5_000)
    assert len({sample.employer_number(i) for i in ids}) == len(ids)


# --- the command line -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_cli_sample_validate_convert_round_trip(kind: str, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / f"{kind}.dat"
    made = runner.invoke(main, ["sample", "--format", kind, "--records", "25", "--seed", "3", "-o", str(path)])
    assert made.exit_code == 0, made.output
    assert f"{kind} 25" in made.output
    checked = runner.invoke(main, ["validate", str(path), "--format", kind])
    assert checked.exit_code == 0, checked.output
    assert "OK" in checked.output and "0 errors, 0 warnings" in checked.output
    converted = runner.invoke(main, ["convert", str(path), "--format", kind, "--to", "json"])
    assert converted.exit_code == 0, converted.output
    doc = json.loads(converted.output)
    assert doc["format"] == kind
    assert [set(b) >= {"header", "records", "trailer"} for b in doc["batches"]] == [True]
    batch = doc["batches"][0]
    assert len(batch["records"]) == 25 and batch["trailer"]["total_count"] == 25
    assert batch["trailer"]["total_amount"] == sum(r["amount"] for r in batch["records"])
    assert all(isinstance(r["amount"], int) for r in batch["records"])


@pytest.mark.parametrize("kind", KINDS)
def test_cli_sample_with_faults_fails_validation_where_it_says(kind: str, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / f"{kind}.dat"
    made = runner.invoke(
        main, ["sample", "--format", kind, "--records", "30", "--seed", "4", "--faults", "3", "-o", str(path)]
    )
    assert made.exit_code == 0, made.output
    reported = [line for line in made.output.splitlines() if line.startswith("FAULT record")]
    assert len(reported) == 3
    checked = runner.invoke(main, ["validate", str(path), "--format", kind, "--json"])
    assert checked.exit_code == 1
    issues = json.loads(checked.output.splitlines()[-1])["issues"]
    places = {(i["record"], i["field"]) for i in issues}
    for line in reported:
        record, field = line.removeprefix("FAULT record ").split(":")[:2]
        assert (int(record), field.strip()) in places, line


def test_cli_same_seed_same_file(tmp_path: Path) -> None:
    runner = CliRunner()
    outputs = []
    for name in ("a.dat", "b.dat"):
        path = tmp_path / name
        args = ["sample", "--format", "special-breakdown", "--records", "10", "--seed", "8", "--date", "2026-11-02"]
        assert runner.invoke(main, [*args, "-o", str(path)]).exit_code == 0
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"20261102" in outputs[0][:200]
