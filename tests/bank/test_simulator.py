"""The bank simulator (``kokin bank simulate``): collection data of every kind, debit results that
match their requests byte for byte, determinism, restart continuity and rejections. No Django.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kokin.bank import simulator
from kokin.bank.commands import bank
from kokin.bank.simulator.calendar import day_index
from kokin.bank.simulator.collect import Collections
from kokin.bank.simulator.population import KindSpec
from kokin.cli import main as kokin_cli
from kokin.formats import FORMATS, detect
from kokin.formats import synth as sample
from kokin.formats.framing import EBCDIC_TO_CP932
from kokin.formats.kinds import zengin_debit

DAY = dt.date(2026, 6, 10)  # a Wednesday around the 10th: 特別徴収 is due, 国保 notices are out
#: the demo ward's mailboxes (kokin.demo.ward.WARD through transfer_id_for), as the lead generates them
WARD: list[dict[str, Any]] = [
    {"transfer_id": "ZEIMU-SHUNO-MPN1", "format": "mpn-receipt", "yearly_volume": 5742,
     "label": "MPN済通収納データ (住民税)"},
    {"transfer_id": "ZEIMU-SHUNO-MPN2", "format": "mpn-receipt", "yearly_volume": 1807,
     "label": "MPN済通収納データ (軽自動車税)"},
    {"transfer_id": "ZEIMU-SHUNO-GEN1", "format": "general-receipt", "yearly_volume": 1430,
     "label": "汎用収納データ (OCR分・手書分)"},
    {"transfer_id": "ZEIMU-SHUNO-SPR1", "format": "special-receipt", "yearly_volume": 182893,
     "label": "特別徴収収納データ (OCR分・手書分)"},
    {"transfer_id": "ZEIMU-SHUNO-SPB1", "format": "special-breakdown", "yearly_volume": 174402,
     "label": "特別徴収納入明細データ"},
    {"transfer_id": "ZEIMU-FURIKAE-REQ1", "format": "zengin-debit", "direction": "outbound",
     "reply": "ZEIMU-FURIKAE-RES1", "label": "口座振替請求データ"},
    {"transfer_id": "KOKUHO-SHUNO-MPN1", "format": "mpn-receipt", "yearly_volume": 3692,
     "label": "MPN済通収納データ (国民健康保険)"},
    {"transfer_id": "KOKUHO-SHUNO-GEN1", "format": "general-receipt", "yearly_volume": 1405,
     "label": "汎用収納データ (国民健康保険)"},
    {"transfer_id": "KOKUHO-SHUNO-GEN2", "format": "general-receipt", "yearly_volume": 12559,
     "label": "汎用収納データ (後期高齢者医療)"},
    {"transfer_id": "KOKUHO-FURIKAE-REQ1", "format": "zengin-debit", "direction": "outbound",
     "reply": "KOKUHO-FURIKAE-RES1"},
    {"transfer_id": "KOKUHO-FURIKAE-REQ2", "format": "zengin-debit", "direction": "outbound",
     "reply": "KOKUHO-FURIKAE-RES2"},
    {"transfer_id": "KAIGO-SHUNO-GEN1", "format": "general-receipt", "yearly_volume": 15515,
     "label": "汎用収納データ (OCR分)"},
    {"transfer_id": "KAIGO-FURIKAE-REQ1", "format": "zengin-debit", "direction": "outbound",
     "reply": "KAIGO-FURIKAE-RES1"},
    {"transfer_id": "SEISO-SHUNO-WASTE1", "format": "general-receipt-waste", "yearly_volume": 669,
     "label": "汎用収納データ (廃棄物処理手数料)"},
]  # fmt: skip
#: the items each collection kind must carry (label first, then the department)
EXPECTED_ITEMS = {
    "ZEIMU-SHUNO-MPN1": {"01"},
    "ZEIMU-SHUNO-MPN2": {"03"},
    "ZEIMU-SHUNO-GEN1": {"01", "03"},
    "ZEIMU-SHUNO-SPR1": {"02"},
    "ZEIMU-SHUNO-SPB1": {"02"},
    "KOKUHO-SHUNO-MPN1": {"11"},
    "KOKUHO-SHUNO-GEN1": {"11"},
    "KOKUHO-SHUNO-GEN2": {"12"},
    "KAIGO-SHUNO-GEN1": {"21"},
    "SEISO-SHUNO-WASTE1": {"31"},
}
COLLECTION_KINDS = [k for k in WARD if k["format"] != "zengin-debit"]


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_config(folder: Path, kinds: Sequence[dict[str, Any]] = WARD, **settings: Any) -> Path:
    values = {"spool": "spool", "scale": "day", "poll_seconds": 0.1, "start_date": DAY.isoformat(), **settings}
    lines = [f"{key} = {_toml(value)}" for key, value in values.items()]
    for kind in kinds:
        lines.append("[[kind]]")
        lines += [f"{key} = {_toml(value)}" for key, value in kind.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "simulator.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_once(config: Path, seed: int = 7, *, advance: bool = False) -> int:
    return simulator.main(config, seed=seed, once=True, advance=advance)


def outbox_files(spool: Path) -> dict[str, bytes]:
    return {str(p.relative_to(spool)): p.read_bytes() for p in sorted((spool / "outbox").rglob("*")) if p.is_file()}


def put_request(spool: Path, transfer_id: str, name: str, raw: bytes) -> Path:
    path = spool / "inbox" / transfer_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def request(records: int, seed: int = 1, **build: Any) -> bytes:
    raw, _ = sample.generate("zengin-debit", records, seed=seed, base_date=dt.date(2026, 6, 26))
    if not build:
        return raw
    batches = zengin_debit.parse(raw).batches()
    header = {**batches[0]["header"], **build.pop("header", {})}
    return zengin_debit.build([{"header": header, "records": batches[0]["records"]}], **build)


def differing(a: bytes, b: bytes) -> list[int]:
    assert len(a) == len(b)
    return [i for i in range(len(a)) if a[i] != b[i]]


def records_of(spool: Path, transfer_id: str, fmt: str) -> list[dict[str, Any]]:
    """The data records of the one file in ``outbox/<transfer_id>/``."""
    [path] = (spool / "outbox" / transfer_id).iterdir()
    records: list[dict[str, Any]] = FORMATS[fmt].parse(path.read_bytes()).batches()[0]["records"]
    return records


@pytest.fixture(scope="module")
def ward_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulated business day of the whole demo ward (collection data only)."""
    folder = tmp_path_factory.mktemp("ward")
    assert run_once(write_config(folder)) == 0
    return folder / "spool"


# -- collection data -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", COLLECTION_KINDS, ids=lambda k: k["transfer_id"])
def test_every_collection_kind_validates_and_matches_its_config(ward_day: Path, kind: dict[str, Any]) -> None:
    tid, fmt = kind["transfer_id"], kind["format"]
    [path] = sorted((ward_day / "outbox" / tid).iterdir())
    assert path.name == f"{DAY:%Y%m%d}-{tid}-1.dat"
    raw = path.read_bytes()
    assert detect(raw[:4096])[0] == fmt
    result = CliRunner().invoke(kokin_cli, ["validate", str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output
    parsed = FORMATS[fmt].parse(raw)
    [batch] = parsed.batches()
    assert batch["header"]["creation_date"] == f"{DAY:%Y%m%d}"
    records = batch["records"]
    assert records, "a business day's file is never empty (min_records_per_file = 1)"
    assert {r["item_code"] for r in records} <= EXPECTED_ITEMS[tid]
    assert all(r["payment_date"] < f"{DAY:%Y%m%d}" for r in records)  # reported after they were paid
    assert all(r["collecting_bank_code"] in {c for c, _ in sample.BANK_WEIGHTS} for r in records)


def test_a_business_day_has_the_volumes_of_the_seed(ward_day: Path) -> None:
    counts = {k["transfer_id"]: len(records_of(ward_day, k["transfer_id"], k["format"])) for k in COLLECTION_KINDS}
    # 182,893 a year, most paid in the days before the 10th: about a thousand on the 10th
    assert 500 < counts["ZEIMU-SHUNO-SPR1"] < 3_000
    assert counts["ZEIMU-SHUNO-SPB1"] < counts["ZEIMU-SHUNO-SPR1"]
    assert counts["SEISO-SHUNO-WASTE1"] < 20


def test_breakdown_rows_are_the_special_receipt_payments_of_agent_banks(ward_day: Path) -> None:
    receipts = FORMATS["special-receipt"].parse(next((ward_day / "outbox" / "ZEIMU-SHUNO-SPR1").iterdir()).read_bytes())
    breakdown = FORMATS["special-breakdown"].parse(
        next((ward_day / "outbox" / "ZEIMU-SHUNO-SPB1").iterdir()).read_bytes()
    )
    by_payment = {
        (r["employer_number"], r["assessment_year"], r["instalment"]): r for r in receipts.batches()[0]["records"]
    }
    rows = breakdown.batches()[0]["records"]
    assert 0.9 < len(rows) / len(by_payment) <= 1.0
    for row in rows:
        paid = by_payment[(row["employer_number"], row["assessment_year"], row["instalment"])]
        for name in ("amount", "retirement_tax", "late_charge", "payment_date"):
            assert row[name] == paid[name], name
        assert row["agent_bank_code"] == paid["collecting_bank_code"]
        assert row["handling_branch_code"] == paid["collecting_branch_code"]
        assert row["employer_name"] and row["address"]
    detailed = sum(by_payment[(r["employer_number"], r["assessment_year"], r["instalment"])]["amount"] for r in rows)
    assert breakdown.batches()[0]["trailer"]["total_amount"] == detailed


def test_each_instalment_is_paid_once_with_its_assessed_amount(tmp_path: Path) -> None:
    kinds = [k for k in COLLECTION_KINDS if k["transfer_id"] in ("KOKUHO-SHUNO-GEN2", "ZEIMU-SHUNO-SPR1")]
    config = write_config(tmp_path, kinds, scale="month", start_date="2026-07-31")
    for advance in (False, True, True):
        assert run_once(config, advance=advance) == 0
    spool = tmp_path / "spool"
    notices: Counter[str] = Counter()
    billed: dict[tuple[str, str], set[int]] = {}
    for path in sorted((spool / "outbox" / "KOKUHO-SHUNO-GEN2").iterdir()):
        for r in FORMATS["general-receipt"].parse(path.read_bytes()).batches()[0]["records"]:
            notices[r["notice_number"]] += 1
            if r["instalment"] != "01":  # the 1st instalment carries the year's remainder (端数)
                billed.setdefault((r["notice_number"][-8:], r["assessment_year"]), set()).add(r["billed_amount"])
            assert r["amount"] <= r["billed_amount"]
    assert len(notices) > 2_000
    assert max(notices.values()) == 1
    assert all(len(amounts) == 1 for amounts in billed.values())
    employer_months: Counter[tuple[str, str, str]] = Counter()
    for path in sorted((spool / "outbox" / "ZEIMU-SHUNO-SPR1").iterdir()):
        for r in FORMATS["special-receipt"].parse(path.read_bytes()).batches()[0]["records"]:
            employer_months[(r["employer_number"], r["assessment_year"], r["instalment"])] += 1
    assert len(employer_months) > 30_000 and max(employer_months.values()) == 1


def test_the_column_builder_writes_what_the_format_library_writes(ward_day: Path) -> None:
    for kind in COLLECTION_KINDS:
        raw = next((ward_day / "outbox" / kind["transfer_id"]).iterdir()).read_bytes()
        module = FORMATS[kind["format"]]
        batches = module.parse(raw).batches()
        assert module.build(batches) == raw, kind["transfer_id"]


def test_a_hundred_thousand_record_month_takes_seconds() -> None:
    spec = KindSpec("BIG-SHUNO-SPR1", "special-receipt", 1_200_000)
    started = time.perf_counter()
    collections = Collections(3, [spec])
    [built] = collections.build(day_index(dt.date(2026, 5, 28)), day_index(dt.date(2026, 6, 26)), {}, {})
    elapsed = time.perf_counter() - started
    assert built.records > 90_000
    assert elapsed < 30, f"{built.records:,} records took {elapsed:.1f} s"
    assert FORMATS["special-receipt"].validate(built.raw).ok


# -- direct debit --------------------------------------------------------------------------------------


def debit_once(folder: Path, raw: bytes, *, name: str = "req-0001.dat", seed: int = 7) -> tuple[Path, bytes]:
    config = write_config(folder, [k for k in WARD if k["format"] == "zengin-debit"])
    spool = folder / "spool"
    put_request(spool, "KOKUHO-FURIKAE-REQ2", name, raw)
    assert run_once(config, seed) == 0
    result = spool / "outbox" / "KOKUHO-FURIKAE-RES2" / f"{Path(name).stem}-result.dat"
    return spool, result.read_bytes()


def result_positions(raw: bytes, stride: int) -> set[int]:
    """Bytes a bank may change: each data record's result code and the trailer's result totals."""
    allowed: set[int] = set()
    text = raw.translate(EBCDIC_TO_CP932) if raw[:1] != b"1" else raw
    for start in range(0, len(text) - 119, stride):
        kind = text[start : start + 1]
        if kind == b"2":
            allowed.add(start + 111)
        elif kind == b"8":
            allowed.update(range(start + 19, start + 55))
    return allowed


@pytest.mark.parametrize(
    "build",
    [{}, {"separator": "none", "eof_mark": True}, {"eof_mark": True}],
    ids=["crlf", "no-separator-eof", "crlf-eof"],
)
def test_result_is_the_request_but_result_codes_and_trailer_totals(tmp_path: Path, build: dict[str, Any]) -> None:
    raw = request(400, **build)
    spool, result = debit_once(tmp_path, raw)
    stride = 120 if build.get("separator") == "none" else 122
    assert set(differing(raw, result)) <= result_positions(raw, stride)
    assert result[:120] == raw[:120] and result[-1:] == raw[-1:]
    parsed = zengin_debit.parse(result, mode="result")
    assert parsed.report.ok and parsed.mode == "result"
    trailer = parsed.batches()[0]["trailer"]
    assert trailer["transferred_count"] + trailer["failed_count"] == 400
    assert trailer["transferred_amount"] + trailer["failed_amount"] == trailer["total_amount"]
    assert (spool / "processed" / "KOKUHO-FURIKAE-REQ2" / "req-0001.dat").read_bytes() == raw
    assert not any((spool / "inbox" / "KOKUHO-FURIKAE-REQ2").iterdir())


def test_ebcdic_request_gets_an_ebcdic_result(tmp_path: Path) -> None:
    raw = request(300, header={"code_division": "1"})
    assert raw[:1] == "1".encode("cp290")
    _, result = debit_once(tmp_path, raw)
    assert result[:1] == raw[:1] and set(differing(raw, result)) <= result_positions(raw, 122)
    parsed = zengin_debit.parse(result, mode="result")
    assert parsed.ebcdic and parsed.report.ok
    assert parsed.batches()[0]["trailer"]["transferred_count"] > 280


def test_a_large_request_gets_a_realistic_mix_of_result_codes(tmp_path: Path) -> None:
    _, result = debit_once(tmp_path, request(20_000, seed=4))
    codes = Counter(r["result_code"] for r in zengin_debit.parse(result).batches()[0]["records"])
    share = {code: codes[code] / 20_000 for code in "0123489"}
    assert share["0"] > 0.95
    assert 0.01 < share["1"] < 0.05
    assert all(0 < share[code] < 0.01 for code in "234"), codes
    assert all(share[code] < 0.01 for code in "89"), codes


def test_results_depend_on_the_seed_and_the_request_only(tmp_path: Path) -> None:
    raw = request(3_000, seed=9)
    _, first = debit_once(tmp_path / "a", raw)
    _, again = debit_once(tmp_path / "b", raw)
    _, other_seed = debit_once(tmp_path / "c", raw, seed=8)
    assert first == again
    assert first != other_seed


def test_an_answered_request_is_not_debited_twice_and_result_ids_are_never_reused(tmp_path: Path) -> None:
    config = write_config(tmp_path, [k for k in WARD if k["format"] == "zengin-debit"])
    spool = tmp_path / "spool"
    raw = request(50)
    put_request(spool, "ZEIMU-FURIKAE-REQ1", "debit.dat", raw)
    assert run_once(config) == 0
    put_request(spool, "ZEIMU-FURIKAE-REQ1", "debit.dat", raw)  # the same file delivered again
    put_request(spool, "ZEIMU-FURIKAE-REQ1", "debit.dat.json", b'{"reply_transfer_id": "ZEIMU-FURIKAE-RES1"}')
    assert run_once(config) == 0
    assert [p.name for p in (spool / "outbox" / "ZEIMU-FURIKAE-RES1").iterdir()] == ["debit-result.dat"]
    assert sorted(p.name for p in (spool / "processed" / "ZEIMU-FURIKAE-REQ1").iterdir()) == [
        "debit-2.dat",
        "debit-2.dat.json",
        "debit.dat",
    ]
    put_request(spool, "ZEIMU-FURIKAE-REQ1", "debit.dat", request(60, seed=2))  # a new request, the same name
    assert run_once(config) == 0
    assert sorted(p.name for p in (spool / "outbox" / "ZEIMU-FURIKAE-RES1").iterdir()) == [
        "debit-result-2.dat",
        "debit-result.dat",
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not a bank file\r\n", "the record is 15 bytes long"),
        (b"", "the file is empty"),
        (lambda: request(5).replace(b"\r\n8000005", b"\r\n8000006", 1), "total_count"),
        (lambda: sample.generate("zengin-debit", 5, result=True, seed=3)[0], "a result file is not a request"),
        (lambda: sample.generate("mpn-receipt", 5)[0], "not a valid Zengin debit request"),
    ],
    ids=["garbage", "empty", "bad-total", "result", "other-format"],
)
def test_a_malformed_request_is_rejected_with_a_reason(
    tmp_path: Path, raw: bytes | Callable[[], bytes], reason: str
) -> None:
    config = write_config(tmp_path, [k for k in WARD if k["format"] == "zengin-debit"])
    spool = tmp_path / "spool"
    put_request(spool, "KAIGO-FURIKAE-REQ1", "bad.dat", raw() if callable(raw) else raw)
    assert run_once(config) == 0
    why = (spool / "rejected" / "KAIGO-FURIKAE-REQ1" / "bad.dat.reason.txt").read_text(encoding="utf-8")
    ja, en = why.splitlines()
    assert reason in en and ja
    assert (spool / "rejected" / "KAIGO-FURIKAE-REQ1" / "bad.dat").exists()
    assert not any((spool / "outbox").rglob("*.dat"))


def test_a_request_for_an_unknown_mailbox_without_reply_is_rejected(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    spool = tmp_path / "spool"
    put_request(spool, "SOMETHING-ELSE", "r.dat", request(3))
    assert run_once(config) == 0
    assert "no reply mailbox" in (spool / "rejected" / "SOMETHING-ELSE" / "r.dat.reason.txt").read_text()


def test_the_sidecar_names_the_reply_of_an_unconfigured_request(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    spool = tmp_path / "spool"
    put_request(spool, "X-DEBIT", "r.dat", request(3))
    put_request(spool, "X-DEBIT", "r.dat.json", json.dumps({"reply_transfer_id": "X-RESULT"}).encode())
    assert run_once(config) == 0
    assert (spool / "outbox" / "X-RESULT" / "r-result.dat").exists()
    assert (spool / "processed" / "X-DEBIT" / "r.dat.json").exists()


# -- determinism, state and the command ----------------------------------------------------------------


def test_same_seed_config_and_inputs_give_byte_identical_outputs(tmp_path: Path) -> None:
    runs = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        config = write_config(folder)
        put_request(folder / "spool", "ZEIMU-FURIKAE-REQ1", "r.dat", request(500))
        assert run_once(config) == 0
        assert run_once(config, advance=True) == 0
        runs.append(outbox_files(folder / "spool"))
    assert runs[0] == runs[1]
    assert len(runs[0]) == 2 * len(COLLECTION_KINDS) + 1
    folder = tmp_path / "other-seed"
    folder.mkdir()
    assert run_once(write_config(folder), seed=8) == 0
    other = outbox_files(folder / "spool")
    assert all(other[name] != runs[0][name] for name in other)


def test_a_restart_carries_on_without_reusing_a_bank_file_id(tmp_path: Path) -> None:
    kinds = [k for k in COLLECTION_KINDS if k["transfer_id"] in ("ZEIMU-SHUNO-MPN1", "SEISO-SHUNO-WASTE1")]
    config = write_config(tmp_path, kinds)
    spool = tmp_path / "spool"
    assert run_once(config) == 0
    first = outbox_files(spool)
    assert run_once(config) == 0  # the same simulated day: nothing new
    assert outbox_files(spool) == first
    for path in (spool / "outbox").rglob("*.dat"):  # the agent uploads and moves them away
        path.unlink()
    assert run_once(config, advance=True) == 0
    second = outbox_files(spool)
    assert sorted(second) == [
        "outbox/SEISO-SHUNO-WASTE1/20260611-SEISO-SHUNO-WASTE1-1.dat",
        "outbox/ZEIMU-SHUNO-MPN1/20260611-ZEIMU-SHUNO-MPN1-1.dat",
    ]
    state = json.loads((spool / ".simulator" / "state.json").read_text(encoding="utf-8"))
    assert state["period"] == {"first": "2026-06-11", "last": "2026-06-11"} and state["produced"] is True
    # the state file alone decides: the same files come out of a fresh spool that replays the steps
    replay = tmp_path / "replay"
    replay.mkdir()
    replay_config = write_config(replay, kinds)
    assert run_once(replay_config) == 0 and run_once(replay_config, advance=True) == 0
    assert {k: v for k, v in outbox_files(replay / "spool").items() if "20260611" in k} == second


def test_month_scale_covers_the_month_up_to_the_simulated_day(tmp_path: Path) -> None:
    kinds = [k for k in COLLECTION_KINDS if k["transfer_id"] == "KAIGO-SHUNO-GEN1"]
    assert run_once(write_config(tmp_path, kinds, scale="month", start_date="2026-06-30")) == 0
    [path] = (tmp_path / "spool" / "outbox" / "KAIGO-SHUNO-GEN1").iterdir()
    records = FORMATS["general-receipt"].parse(path.read_bytes()).batches()[0]["records"]
    dates = {r["payment_date"] for r in records}
    assert min(dates) < "20260610" and max(dates) <= "20260630"
    assert 500 < len(records) < 3_000  # 15,515 a year, about a twelfth of it


def test_once_via_the_cli_does_one_round_and_exits_0(tmp_path: Path) -> None:
    config = write_config(tmp_path, COLLECTION_KINDS[:2])
    result = CliRunner().invoke(bank, ["simulate", "--config", str(config), "--seed", "3", "--once"])
    assert result.exit_code == 0, result.output
    assert "収入済データ作成 ZEIMU-SHUNO-MPN1" in result.output
    assert "collection data ZEIMU-SHUNO-MPN2" in result.output
    assert len(list((tmp_path / "spool" / "outbox").rglob("*.dat"))) == 2


def test_a_config_error_is_reported_and_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"transfer_id": "X-1", "format": "nope", "yearly_volume": 3}])
    result = CliRunner().invoke(bank, ["simulate", "--config", str(config), "--once"])
    assert result.exit_code == 1
    assert "format 'nope' is not one of" in result.output


def test_sigterm_stops_the_loop_cleanly(tmp_path: Path) -> None:
    config = write_config(tmp_path, COLLECTION_KINDS[:1])
    process = subprocess.Popen(
        [sys.executable, "-m", "kokin.cli", "bank", "simulate", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # wait until the first round is done
            if b"collection data for" in line:
                break
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "stop signal received" in out.decode()


def test_the_example_config_is_the_demo_ward() -> None:
    config = simulator.load_config(Path(__file__).resolve().parents[2] / "examples" / "bank-simulator.toml")
    assert [k.transfer_id for k in config.collections] == [k["transfer_id"] for k in COLLECTION_KINDS]
    assert {d.transfer_id: d.reply for d in config.debits} == {
        k["transfer_id"]: k["reply"] for k in WARD if k["format"] == "zengin-debit"
    }
    assert config.spool.parts[-3:] == ("var", "bank", "spool")
