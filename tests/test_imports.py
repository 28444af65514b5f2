"""What a hub worker imports to validate a file, and the bank master it looks codes up in."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from kokin.formats.bankmaster import _data, master


def test_validation_imports_neither_pyarrow_nor_pandas() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kokin.formats
        from kokin.formats import synth as sample
        raw, _ = sample.generate("zengin-debit", 50, seed=3)
        report = kokin.formats.kinds.zengin_debit.validate(raw)
        assert report.error_count == 0, report.sorted_issues()
        print(sorted(m for m in ("pyarrow", "pandas", "zengin_code") if m in sys.modules))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_master_lookups_match_the_zengin_code_json() -> None:
    data = Path(_data())
    banks = json.loads((data / "banks.json").read_text(encoding="utf-8"))
    m = master()
    assert m.version == (data / "updated_at").read_text(encoding="utf-8").strip()
    for code, branch_code in [("0001", "001"), ("0005", "001"), ("9900", "019"), ("1001", "001")]:
        bank = m.bank(code)
        assert bank is not None
        assert (bank.code, bank.name, bank.kana) == (code, banks[code]["name"], banks[code]["kana"])
        raw = json.loads((data / "branches" / f"{code}.json").read_text(encoding="utf-8"))
        branch = m.branch(code, branch_code)
        assert branch is not None
        expected = raw[branch_code]
        assert (branch.code, branch.name, branch.kana) == (branch_code, expected["name"], expected["kana"])
        assert m.branches[(code, branch_code)] == branch
        # the vectorised check agrees with the JSON for every branch code of the bank
        codes = np.arange(1000)
        known = m.branch_known(np.full(1000, int(code)), codes)
        assert set(np.flatnonzero(known).tolist()) == {int(b) for b in raw}
    assert m.bank("0002") is None and m.branch("0002", "001") is None and m.branch("0001", "999") is None
    assert not m.branch_known(np.array([2, 9999]), np.array([1, 999])).any()
    assert m.bank_known[1] and not m.bank_known[2]
    assert len(m.branches) == sum(
        len(json.loads((data / "branches" / f"{c}.json").read_text(encoding="utf-8")))
        for c in banks
        if (data / "branches" / f"{c}.json").is_file()
    )
