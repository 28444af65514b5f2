"""One tiny valid batch per kind: a header and a data record that every format check accepts.

The banks and branches are in the master (0001 みずほ 001, 0005 三菱ＵＦＪ 001), the dates are real,
the ward is the demo ward (131105). Tests and examples build on them instead of typing records again.

>>> from kokin.formats import FORMATS
>>> [FORMATS[name].validate(FORMATS[name].build([batch(name, 2)])).ok for name in HEADERS]
[True, True, True, True, True, True]
>>> record("zengin-debit", 1)["customer_number"], record("mpn-receipt", 1)["amount"]
('00000000000000000002', 25001)
"""

from __future__ import annotations

from typing import Any

#: the designated bank and branch of the demo ward, half-width names
DESIGNATED_BANK = {"bank_code": "0001", "bank_name": "ﾐｽﾞﾎ", "branch_code": "001", "branch_name": "ﾄｳｷﾖｳ"}
WARD = {"municipality_code": "131105", "municipality_name": "ﾃﾞﾓｸ ｾﾞｲﾑｶ", "creation_date": "20260527"}
#: a consignor header whose bank (0001 みずほ) and branch (001) are in the master
DEBIT_HEADER: dict[str, Any] = {
    "consignor_code": "1234567890",
    "consignor_name": "ﾃｽﾄｸ ｾﾞｲﾑｶ",
    "debit_date": "0527",
    **DESIGNATED_BANK,
    "account_type": "1",
    "account_number": "1234567",
}
_SLIP = {
    "item_code": "11",
    "assessment_year": "2026",
    "instalment": "03",
    "notice_number": "2026000123",
    "billed_amount": 12500,
    "amount": 12500,
    "late_charge": 0,
    "collecting_bank_code": "0005",
    "collecting_branch_code": "001",
    "payment_date": "20260525",
    "slip_kind": "1",
    "payment_kind": "1",
}
_SPECIAL = {
    "assessment_year": "2026",
    "instalment": "05",
    "employer_number": "12345678",
    "amount": 184500,
    "retirement_tax": 12000,
    "late_charge": 300,
    "collecting_bank_code": "0005",
    "payment_date": "20260511",
}

HEADERS: dict[str, dict[str, Any]] = {
    "zengin-debit": DEBIT_HEADER,
    "mpn-receipt": {
        "collector_number": "13110",
        "collector_name": "ﾃﾞﾓｸ",
        "creation_date": "20260527",
        "report_kind": "2",
        **DESIGNATED_BANK,
    },
    "general-receipt": {**WARD, **DESIGNATED_BANK},
    "general-receipt-waste": {**WARD, **DESIGNATED_BANK},
    "special-receipt": {**WARD, **DESIGNATED_BANK},
    "special-breakdown": {
        "municipality_code": "131105",
        "municipality_name": "デモ区",
        "creation_date": "20260527",
        "bank_code": "0001",
        "bank_name": "みずほ銀行",
        "branch_code": "001",
        "branch_name": "東京営業部",
    },
}
RECORDS: dict[str, dict[str, Any]] = {
    "zengin-debit": {
        **DESIGNATED_BANK,
        "account_type": "1",
        "account_number": "7654321",
        "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "amount": 1000,
        "new_code": "0",
        "customer_number": f"{1:020d}",
        "result_code": "0",
    },
    "mpn-receipt": {
        "item_code": "01",
        "assessment_year": "2026",
        "instalment": "02",
        "payment_number": "1234567890",
        "check_number": "4321",
        "amount": 25000,
        "collecting_bank_code": "0005",
        "payment_date": "20260525",
        "payment_kind": "1",
        "channel": "3",
    },
    "general-receipt": _SLIP,
    "general-receipt-waste": {
        **_SLIP,
        "item_code": "31",
        "instalment": "01",
        "billed_amount": 2000,
        "amount": 1800,
        "collected_amount": 2000,
        "commission_amount": 200,
        "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
    },
    "special-receipt": {**_SPECIAL, "collecting_branch_code": "001", "slip_kind": "2", "payment_kind": "1"},
    "special-breakdown": {
        **_SPECIAL,
        "agent_bank_code": "0005",
        "agent_bank_name": "三菱ＵＦＪ銀行",
        "aggregating_branch_code": "001",
        "aggregating_branch_name": "本店",
        "handling_branch_code": "001",
        "handling_branch_name": "本店",
        "employer_name": "株式会社山田建設",
        "postal_code": "1520001",
        "address": "東京都デモ区中央町一丁目２番３号",
    },
}


def record(kind: str, i: int = 0, **changes: Any) -> dict[str, Any]:
    """The example data record of ``kind``; ``i`` adds to the amount (and for a debit payer changes the
    account and customer numbers), ``changes`` replace values."""
    values = {**RECORDS[kind], "amount": RECORDS[kind]["amount"] + i}
    if kind == "zengin-debit":
        values.update(account_number=f"{7654321 - i:07d}", customer_number=f"{i + 1:020d}")
    return {**values, **changes}


def payer(i: int = 0, **changes: Any) -> dict[str, Any]:
    """One Zengin debit payer (a data record's values); ``i`` varies the amount and the numbers."""
    return record("zengin-debit", i, **changes)


def batch(kind: str, n: int = 1, **changes: Any) -> dict[str, Any]:
    """A batch of ``kind``: the example header and ``n`` data records (amounts +0, +1, …)."""
    return {"header": dict(HEADERS[kind]), "records": [record(kind, i, **changes) for i in range(n)]}
