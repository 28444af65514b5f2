"""Building files (:mod:`kokin.formats.build`): the column-wise builder writes the row builder's bytes,
and trailer totals follow the layout's rules for rows and columns alike."""

from __future__ import annotations

import numpy as np
import pytest

from kokin.formats import FORMATS
from kokin.formats import synth as sample
from kokin.formats.build import ColumnBatch, build_columns, trailer_totals
from kokin.formats.errors import FormatError
from kokin.formats.kinds import special_receipt, zengin_debit

COLLECTION = [name for name in FORMATS if name != "zengin-debit"]


@pytest.mark.parametrize("fmt", COLLECTION)
def test_the_column_builder_writes_what_the_row_builder_writes(fmt: str) -> None:
    raw, _ = sample.generate(fmt, 200, seed=3)
    module = FORMATS[fmt]
    [batch] = module.parse(raw).batches()
    records = batch["records"]
    columns = {name: [r[name] for r in records] for name in records[0]}
    assert build_columns(module.LAYOUT, [ColumnBatch(batch["header"], columns, len(records))]) == raw
    assert module.build([batch]) == raw


def test_the_column_builder_names_the_field_a_number_does_not_fit() -> None:
    header = {"municipality_code": "131105", "creation_date": "20260527", "bank_code": "0001", "branch_code": "001"}
    paid = {"assessment_year": "2026", "instalment": "05", "employer_number": "1", "retirement_tax": 0,
            "late_charge": 0, "collecting_bank_code": "0005", "collecting_branch_code": "001",
            "payment_date": "20260511", "slip_kind": "1", "payment_kind": "1"}  # fmt: skip
    columns = {**paid, "amount": np.array([5, 10**10])}
    with pytest.raises(FormatError) as exc:
        build_columns(special_receipt.LAYOUT, [ColumnBatch(header, columns, 2)])
    issue = exc.value.issues[0]
    assert (issue.field, issue.start, issue.end) == ("amount", 28, 37)
    assert issue.message_en == "amount: '10000000000' does not fit 10 digits"


def test_result_totals_count_by_result_code_for_columns_and_scalars() -> None:
    layout = zengin_debit.LAYOUT
    columns = {"amount": np.array([100, 200, 300]), "result_code": ["0", "1", "0"]}
    totals = trailer_totals(layout, columns, 3, result=True)
    assert totals == {
        "total_count": 3,
        "total_amount": 600,
        "transferred_count": 2,
        "transferred_amount": 400,
        "failed_count": 1,
        "failed_amount": 200,
    }
    request = trailer_totals(layout, {"amount": 7, "result_code": "0"}, 2)
    assert (request["total_amount"], request["transferred_count"], request["failed_amount"]) == (14, 0, 0)
