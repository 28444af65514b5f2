"""Bank and branch master (金融機関・支店コード) from the ``zengin-code`` package.

The package ships the master as JSON (its version suffix is the data date). kokin reads that JSON
directly, once, into lookup tables sized for vectorised checks: ``bank_known[code]`` and
``branch_known[bank * 1000 + branch]``. Codes missing from the master are warnings: the master can
lag a merger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    kana: str  # full width, as in the master


@dataclass(frozen=True)
class Master:
    version: str
    banks: dict[str, Bank]
    branches: dict[tuple[str, str], Bank]
    bank_known: np.ndarray
    branch_known: np.ndarray

    def bank(self, code: str) -> Bank | None:
        return self.banks.get(code)

    def branch(self, bank_code: str, branch_code: str) -> Bank | None:
        return self.branches.get((bank_code, branch_code))


@cache
def master() -> Master:
    data = resources.files("zengin_code") / "source-data" / "data"
    version = (data / "updated_at").read_text(encoding="utf-8").strip()
    raw_banks = json.loads((data / "banks.json").read_text(encoding="utf-8"))
    banks: dict[str, Bank] = {}
    branches: dict[tuple[str, str], Bank] = {}
    bank_known = np.zeros(10_000, dtype=np.bool_)
    branch_known = np.zeros(10_000_000, dtype=np.bool_)
    for code, b in raw_banks.items():
        banks[code] = Bank(code, b["name"], b["kana"])
        bank_known[int(code)] = True
        path = data / "branches" / f"{code}.json"
        if not path.is_file():
            continue
        for bcode, br in json.loads(path.read_text(encoding="utf-8")).items():
            branches[(code, bcode)] = Bank(bcode, br["name"], br["kana"])
            branch_known[int(code) * 1000 + int(bcode)] = True
    return Master(version, banks, branches, bank_known, branch_known)
