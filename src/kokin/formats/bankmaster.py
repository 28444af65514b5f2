"""Bank and branch master (金融機関・支店コード) from the ``zengin-code`` package.

The package ships the master as JSON (its version suffix is the data date). kokin reads that JSON
directly (importing the package would load it all into objects of its own) into lookup tables sized
for vectorised checks: ``bank_known[code]`` and :meth:`Master.branch_known` (a table of 1,000 entries
per bank that has branches, reached through ``branch_row[bank]``: about 1.1 MB instead of 10 MB over
every possible code). The banks' names are kept; a bank's branch names are read from its JSON file on
the first lookup of one of its branches, so a process that only validates never holds the ~30,000
branch names. Codes missing from the master are warnings: the master can lag a merger.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    name: str
    kana: str  # full width, as in the master


@functools.cache
def _data() -> Path:
    """The package's data folder, found without importing it: ``import zengin_code`` loads the whole
    master into its own objects (~20 MiB)."""
    spec = importlib.util.find_spec("zengin_code")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the zengin-code package is not installed", name="zengin_code")
    return Path(next(iter(spec.submodule_search_locations))) / "source-data" / "data"


@functools.cache
def _branches(bank_code: str) -> dict[str, Bank]:
    """The branches of one bank, read from its JSON file once (empty if it has none)."""
    path = _data() / "branches" / f"{bank_code}.json"
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {code: Bank(code, br["name"], br["kana"]) for code, br in raw.items()}


@dataclass(frozen=True)
class Master:
    version: str
    banks: dict[str, Bank]
    #: ``bank_known[code]``: is the bank (0-9999) in the master
    bank_known: np.ndarray
    #: ``branch_row[bank]``: the bank's row of ``branch_table`` (row 0, all False: no branches)
    branch_row: np.ndarray
    #: ``branch_table[row * 1000 + branch]``: is the branch (0-999) of that row's bank in the master
    branch_table: np.ndarray

    def bank(self, code: str) -> Bank | None:
        return self.banks.get(code)

    def branch(self, bank_code: str, branch_code: str) -> Bank | None:
        if bank_code not in self.banks:
            return None
        return _branches(bank_code).get(branch_code)

    def branch_known(self, bank: np.ndarray, branch: np.ndarray) -> np.ndarray:
        """Vectorised: are the (bank, branch) pairs in the master? Codes must be in 0-9999 and 0-999."""
        key = np.take(self.branch_row, bank)
        key *= 1000
        key += branch
        return np.take(self.branch_table, key)

    @functools.cached_property
    def branches(self) -> dict[tuple[str, str], Bank]:
        """Every branch by (bank code, branch code), all loaded: for the sample generator and tests."""
        return {(code, b): branch for code in self.banks for b, branch in _branches(code).items()}


@functools.cache
def master() -> Master:
    data = _data()
    version = (data / "updated_at").read_text(encoding="utf-8").strip()
    raw_banks = json.loads((data / "banks.json").read_text(encoding="utf-8"))
    banks: dict[str, Bank] = {}
    bank_known = np.zeros(10_000, dtype=np.bool_)
    branch_row = np.zeros(10_000, dtype=np.int64)
    rows: list[np.ndarray] = [np.zeros(1000, dtype=np.bool_)]
    for code, b in raw_banks.items():
        banks[code] = Bank(code, b["name"], b["kana"])
        bank_known[int(code)] = True
        path = data / "branches" / f"{code}.json"
        if not path.is_file():
            continue
        row = np.zeros(1000, dtype=np.bool_)
        # only the codes are kept: the names wait for a lookup (see _branches)
        row[[int(bcode) for bcode in json.loads(path.read_text(encoding="utf-8"))]] = True
        branch_row[int(code)] = len(rows)
        rows.append(row)
    return Master(version, banks, bank_known, branch_row, np.concatenate(rows))
