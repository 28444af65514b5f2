"""A debit result is stored from the bank link only if it answers a request the bank collected
(:mod:`kokin.exchange.matching`, ``place(require_request=True)``); without the flag, as in
``kokin exchange place`` and the demo, results are placed as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kokin.accounts.actors import bank_actor
from kokin.accounts.models import DataKind, User
from kokin.exchange import services
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats.kinds import zengin_debit
from support.exchange import DEBIT_HEADER, debit_day, operator, payer, received, upload

RECORDS = 5


def kinds() -> tuple[DataKind, DataKind]:
    out = DataKind.objects.get(transfer_id="ZEIMU-FURIKAE-REQ1")
    assert out.reply_kind is not None
    return out, out.reply_kind


def debit(
    date: dt.date, *, result: bool, codes: dict[int, str] | None = None, drop: bool = False, **changed: Any
) -> bytes:
    """A request (or result) of ``RECORDS`` payers; ``codes`` gives payer i a result code; ``changed``
    maps ``"<field>_<i>"`` to a new value for payer i."""
    rows = []
    for i in range(RECORDS):
        values = payer(i, result_code=(codes or {}).get(i, "0"))
        for key, value in changed.items():
            name, _, index = key.rpartition("_")
            if int(index) == i:
                values[name] = value
        rows.append(values)
    if drop:
        rows = rows[: RECORDS - 1]
    header = {**DEBIT_HEADER, "debit_date": f"{date:%m%d}"}
    return zengin_debit.build([{"header": header, "records": rows}], result=result)


def request_in(state: str, date: dt.date) -> ExchangeFile:
    out, _ = kinds()
    file = upload(out, User.objects.get(username="zeimu-send"), debit(date, result=False))
    if state in (State.APPROVED, State.COLLECTED):
        services.approve(file=file, actor=operator("zeimu-approve"))
    if state == State.COLLECTED:
        services.mark_collected(file, actor=bank_actor("test"))
    file.refresh_from_db()
    assert file.state == state
    return file


def place_result(data: bytes, *, require_request: bool = True) -> services.Outcome:
    _, inbound = kinds()
    incoming = received(data, "kekka.dat")
    try:
        return services.place(
            data_kind=inbound, received=incoming, actor=bank_actor("test"), require_request=require_request
        )
    finally:
        incoming.path.unlink(missing_ok=True)


def reason(outcome: services.Outcome) -> tuple[int | None, str, str]:
    issue = next(i for i in outcome.checked.report.errors if i.code == "request_mismatch")
    return issue.record, issue.field, f"{issue.message_ja} / {issue.message_en}"


def test_result_with_other_result_codes_matching_a_collected_request_is_stored(ward: Any) -> None:
    date = debit_day()
    request = request_in(State.COLLECTED, date)
    outcome = place_result(debit(date, result=True, codes={1: "1", 3: "2"}))
    assert outcome.file is not None and outcome.file.state == State.AVAILABLE
    assert outcome.file.summary["request_file"] == str(request.id)


def test_result_with_a_changed_amount_is_rejected_naming_record_and_field(ward: Any) -> None:
    date = debit_day()
    request_in(State.COLLECTED, date)
    outcome = place_result(debit(date, result=True, amount_2=99999))
    assert outcome.file is None and outcome.rejected
    record, field, text = reason(outcome)
    assert (record, field) == (4, "amount")  # header is record 1, payer 2 is record 4
    assert "レコード 4 の引落金額" in text and "record 4: amount" in text


def test_result_with_a_changed_name_is_rejected(ward: Any) -> None:
    date = debit_day()
    request_in(State.COLLECTED, date)
    outcome = place_result(debit(date, result=True, holder_name_1="ｽｽﾞｷ ﾊﾅｺ"))
    assert outcome.file is None
    assert reason(outcome)[:2] == (3, "holder_name")
    assert not ExchangeFile.objects.filter(direction="inbound").exists()


def test_result_with_a_record_missing_is_rejected(ward: Any) -> None:
    date = debit_day()
    request_in(State.COLLECTED, date)
    outcome = place_result(debit(date, result=True, drop=True))
    assert outcome.file is None
    record, field, text = reason(outcome)
    assert record == RECORDS + 1 and field == "record" and "missing" in text


def test_result_for_a_request_the_bank_has_not_collected_is_rejected(ward: Any) -> None:
    date = debit_day()
    request_in(State.APPROVED, date)
    outcome = place_result(debit(date, result=True))
    assert outcome.file is None
    assert "まだ金融機関が取得していません" in reason(outcome)[2]


def test_result_without_any_request_is_rejected(ward: Any) -> None:
    outcome = place_result(debit(debit_day(), result=True))
    assert outcome.file is None
    assert f"no debit request with consignor {DEBIT_HEADER['consignor_code']}" in reason(outcome)[2]


def test_result_with_another_debit_date_finds_no_request(ward: Any) -> None:
    date = debit_day()
    request_in(State.COLLECTED, date)
    outcome = place_result(debit(debit_day(10), result=True))
    assert outcome.file is None and "no debit request" in reason(outcome)[2]


def test_place_without_the_flag_stores_a_result_with_no_request_as_before(ward: Any) -> None:
    outcome = place_result(debit(debit_day(), result=True), require_request=False)
    assert outcome.file is not None


@pytest.mark.parametrize("separator", ["none"])
def test_a_result_with_other_separators_still_matches(ward: Any, separator: str) -> None:
    date = debit_day()
    request_in(State.COLLECTED, date)
    header = {**DEBIT_HEADER, "debit_date": f"{date:%m%d}"}
    rows = [payer(i) for i in range(RECORDS)]
    data = zengin_debit.build([{"header": header, "records": rows}], result=True, separator=separator)
    assert place_result(data).file is not None
