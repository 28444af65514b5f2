"""The debiting side of the bank simulator: payers' accounts, their balances, and debit results.

An account (bank, branch, type, number) that the simulator has not seen yet is opened from a hash of
(seed, account key): whether it exists, whether its holder stopped debits or never signed a mandate
(口座振替依頼書), its balance and its monthly income. Balances then live in the simulator's state: a
debit takes the amount off, each month between two debit dates adds the income. Result codes
(振替結果コード) follow from that: 2 取引なし, 3 預金者都合による振替停止, 4 口座振替依頼書なし (likelier on
a first debit, 新規コード 1), 8 委託者都合による振替停止 (by the consignor and customer number),
9 その他 (by the record itself), 1 資金不足 when the balance is short, else 0 振替済 — about 97 % 0,
2–3 % 1, each other code under 1 %. Same seed, same earlier requests, same request → same codes.

The result file is the request's bytes with only the result code of each data record and the
trailer's transferred/failed counts and amounts written in (in EBCDIC for an EBCDIC request), as
:doc:`formats.md §1 <formats>` and the hub's matching rule require.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

import numpy as np

from kokin.bank.simulator.draws import text_key, uniform
from kokin.formats.engine import Parsed
from kokin.formats.errors import FormatError, KokinError
from kokin.formats.framing import CP932_TO_EBCDIC
from kokin.formats.kinds import zengin_debit

#: chance per account (or per record for 8 and 9) of each refusal
NO_ACCOUNT = 0.0025
STOPPED_BY_PAYER = 0.003
NO_MANDATE = 0.0015
NO_MANDATE_FIRST_DEBIT = 0.015
STOPPED_BY_CONSIGNOR = 0.0005
OTHER = 0.001
LOW_BALANCE = 0.03  # accounts that often cannot cover a debit
MAX_ISSUES_SHOWN = 5

# salts of the account draws
_EXISTS, _STOPPED, _MANDATE, _LOW, _BALANCE, _INCOME, _CONSIGNOR, _OTHER = range(21, 29)


class Rejection(KokinError):
    """A file that is not a debit request the bank can process; the reason in Japanese and English."""


@dataclass(frozen=True)
class Result:
    raw: bytes
    records: int
    transferred: int
    transferred_amount: int
    failed: int
    failed_amount: int
    codes: dict[str, int]


def account_key(bank: str, branch: str, account_type: str, number: str) -> str:
    return f"{bank}-{branch}-{account_type}-{number}"


def _openings(keys: np.ndarray) -> tuple[list[int], list[int]]:
    """(balance, monthly income) of accounts the bank has not seen, from their hashed keys: most hold
    a few hundred thousand yen, a few per cent live from hand to mouth."""
    low, amount, income = (uniform(keys, salt) for salt in (_LOW, _BALANCE, _INCOME))
    is_low = low < LOW_BALANCE
    balance = np.where(
        is_low, (amount * 20_000).astype(np.int64), 100_000 + (50_000 * np.exp(amount * 4)).astype(np.int64)
    )
    monthly = np.where(is_low, (income * 15_000).astype(np.int64), 150_000 + (income * 300_000).astype(np.int64))
    return balance.tolist(), monthly.tolist()


def debit_month(mmdd: str, today: dt.date) -> int:
    """The month (year × 12 + month) of a debit date given as MMDD: the year that puts it nearest today."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    best: dt.date | None = None
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, min(day, 28) if month == 2 else day)
        except ValueError:
            continue
        if best is None or abs((candidate - today).days) < abs((best - today).days):
            best = candidate
    assert best is not None
    return best.year * 12 + best.month


def result_codes(
    seed: int,
    accounts: MutableMapping[str, list[int]],
    records: Sequence[tuple[str, str, str, str, int, str, str]],
    *,
    consignor: str,
    month: int,
) -> list[str]:
    """The result code of each record ``(bank, branch, type, number, amount, new_code, customer)``,
    debiting ``accounts`` (key → [balance, month of the last debit]) as it goes."""
    keys = [account_key(*r[:4]) for r in records]
    hashed = np.array([text_key(f"{seed}:{k}") for k in keys], dtype=np.uint64)
    exists, stopped, mandate = (uniform(hashed, salt).tolist() for salt in (_EXISTS, _STOPPED, _MANDATE))
    by_consignor = uniform(
        np.array([text_key(f"{seed}:{consignor}:{r[6]}") for r in records], dtype=np.uint64), _CONSIGNOR
    ).tolist()
    other = uniform(
        np.array(
            [text_key(f"{seed}:{k}:{r[4]}:{r[6]}:{month}") for k, r in zip(keys, records, strict=True)], dtype=np.uint64
        ),
        _OTHER,
    ).tolist()
    balances, incomes = _openings(hashed)
    codes = []
    for i, (key, record) in enumerate(zip(keys, records, strict=True)):
        amount, new_code = record[4], record[5]
        if exists[i] < NO_ACCOUNT:
            code = "2"
        elif stopped[i] < STOPPED_BY_PAYER:
            code = "3"
        elif mandate[i] < (NO_MANDATE_FIRST_DEBIT if new_code == "1" else NO_MANDATE):
            code = "4"
        elif by_consignor[i] < STOPPED_BY_CONSIGNOR:
            code = "8"
        elif other[i] < OTHER:
            code = "9"
        else:
            state = accounts.get(key) or [balances[i], month]
            if month > state[1]:  # salaries and pensions came in since the last debit
                state = [state[0] + incomes[i] * min(month - state[1], 12), month]
            code = "1" if state[0] < amount else "0"
            accounts[key] = [state[0] - amount, state[1]] if code == "0" else state
        codes.append(code)
    return codes


def parse_request(raw: bytes) -> Parsed:
    """The request, checked as the bank's system would before debiting; :class:`Rejection` if it is not one."""
    if not raw.strip(b"\x1a \r\n"):
        raise Rejection("ファイルが空です", "the file is empty")
    try:
        # auto: a file with result codes or result totals reads as a result, and is named so
        parsed = zengin_debit.parse(raw)
    except FormatError as exc:
        raise Rejection(
            f"口座振替請求データとして読めません: {exc}", f"cannot be read as a Zengin debit request: {exc}"
        ) from exc
    if parsed.mode == "result":
        raise Rejection(
            "振替結果コードか振替済・振替不能の合計が入っています (結果データは請求として受け付けません)",
            "result codes or result totals are filled in: a result file is not a request",
        )
    errors = [i for i in parsed.report.sorted_issues() if i.severity == "error"]
    if errors:
        shown_ja = "; ".join(f"レコード {i.record} {i.field}: {i.message_ja}" for i in errors[:MAX_ISSUES_SHOWN])
        shown_en = "; ".join(f"record {i.record} {i.field}: {i.message_en}" for i in errors[:MAX_ISSUES_SHOWN])
        raise Rejection(
            f"口座振替請求データ (全銀協 種別91) の誤り {len(errors)} 件: {shown_ja}",
            f"not a valid Zengin debit request (type 91), {len(errors)} error(s): {shown_en}",
        )
    return parsed


def debit(raw: bytes, *, seed: int, accounts: MutableMapping[str, list[int]], today: dt.date) -> Result:
    """Debit every record of a request and return the result file (the request with codes and totals)."""
    parsed = parse_request(raw)
    tables = parsed.tables
    headers = {int(h["batch"]): h for h in tables["header"].to_pylist()}
    stride = zengin_debit.LAYOUT.record_length + (2 if parsed.convention == "crlf" else 0)
    out = np.frombuffer(raw, dtype=np.uint8).copy()
    ebcdic = parsed.ebcdic
    digits = bytes(range(48, 58)).translate(CP932_TO_EBCDIC) if ebcdic else bytes(range(48, 58))
    data = tables.get("data")
    rows = data.to_pylist() if data is not None else []
    codes: list[str] = []
    for batch, header in sorted(headers.items()):
        mine = [r for r in rows if r["batch"] == batch]
        codes_of_batch = result_codes(
            seed,
            accounts,
            [
                (
                    r["bank_code"],
                    r["branch_code"],
                    r["account_type"],
                    r["account_number"],
                    r["amount"],
                    r["new_code"],
                    r["customer_number"],
                )
                for r in mine
            ],
            consignor=header["consignor_code"],
            month=debit_month(header["debit_date"], today),
        )
        codes += codes_of_batch
        result_at = zengin_debit.DATA.field("result_code").start - 1
        for r, code in zip(mine, codes_of_batch, strict=True):
            out[(r["record_number"] - 1) * stride + result_at] = digits[int(code)]
        done = [r["amount"] for r, c in zip(mine, codes_of_batch, strict=True) if c == "0"]
        failed = [r["amount"] for r, c in zip(mine, codes_of_batch, strict=True) if c != "0"]
        trailer = next(t for t in tables["trailer"].to_pylist() if t["batch"] == batch)
        start = (trailer["record_number"] - 1) * stride
        for name, value in (
            ("transferred_count", len(done)),
            ("transferred_amount", sum(done)),
            ("failed_count", len(failed)),
            ("failed_amount", sum(failed)),
        ):
            f = zengin_debit.TRAILER.field(name)
            text = str(value).zfill(f.length).encode("ascii")
            if ebcdic:
                text = text.translate(CP932_TO_EBCDIC)
            out[start + f.start - 1 : start + f.end] = np.frombuffer(text, dtype=np.uint8)
    result = out.tobytes()
    check = zengin_debit.validate(result, mode="result")
    if not check.ok:  # pragma: no cover - the patch above is the whole result; a fault here is a bug
        raise RuntimeError(f"internal: the result file does not validate: {check.sorted_issues()[:3]}")
    amounts = [r["amount"] for r in rows]
    tally: dict[str, int] = {}
    for code in codes:
        tally[code] = tally.get(code, 0) + 1
    return Result(
        result,
        len(codes),
        sum(1 for c in codes if c == "0"),
        sum(a for a, c in zip(amounts, codes, strict=True) if c == "0"),
        sum(1 for c in codes if c != "0"),
        sum(a for a, c in zip(amounts, codes, strict=True) if c != "0"),
        dict(sorted(tally.items())),
    )
