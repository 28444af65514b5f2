"""Bank and branch master (金融機関・支店コード) from the ``zengin-code`` package.

The package ships the master as JSON (its version suffix is the data date). kokin reads that JSON
directly (importing the package would load it all into objects of its own) into lookup tables sized
for vectorised checks: ``bank_known[code]`` and :meth:`Master.branch_known` (a table of 1,000 entries
per bank that has branches, reached through ``branch_row[bank]``: about 1.1 MB instead of 10 MB over
every possible code). A bank's row is filled from its JSON file the first time one of its branches is
looked up, so ``kokin validate`` of a file reads the few banks it names, not the ~1,100 files of the
master. The banks' names are kept; a bank's branch names are read from its JSON file on the first
lookup of one of its branches by name, so a process that only validates never holds the ~30,000
branch names. Codes missing from the master are warnings: the master can lag a merger.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
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
    #: (filled per bank on its first lookup, see :meth:`branch_known`)
    branch_table: np.ndarray
    #: ``branch_read[bank]``: is the bank's row filled (True for banks without branches)
    branch_read: np.ndarray

    def bank(self, code: str) -> Bank | None:
        return self.banks.get(code)

    def branch(self, bank_code: str, branch_code: str) -> Bank | None:
        if bank_code not in self.banks:
            return None
        return _branches(bank_code).get(branch_code)

    def branch_known(self, bank: np.ndarray, branch: np.ndarray) -> np.ndarray:
        """Vectorised: are the (bank, branch) pairs in the master? Codes must be in 0-9999 and 0-999."""
        if not np.take(self.branch_read, bank).all():
            self._read_branches(np.unique(bank[~np.take(self.branch_read, bank)]))
        key = np.take(self.branch_row, bank)
        key *= 1000
        key += branch
        return np.take(self.branch_table, key)

    def _read_branches(self, banks: np.ndarray) -> None:
        """Fill the rows of ``banks`` (codes with a branch file) from their JSON files. Filling a row twice
        (two threads) writes the same values."""
        folder = _data() / "branches"
        for code in banks.tolist():
            row = int(self.branch_row[code])
            codes = json.loads((folder / f"{code:04d}.json").read_text(encoding="utf-8"))
            self.branch_table[row * 1000 + np.array([int(c) for c in codes], dtype=np.int64)] = True
            self.branch_read[code] = True

    @functools.cached_property
    def branches(self) -> dict[tuple[str, str], Bank]:
        """Every branch by (bank code, branch code), all loaded: for the sample generator and tests."""
        return {(code, b): branch for code in self.banks for b, branch in _branches(code).items()}


@functools.cache
def master() -> Master:
    data = _data()
    version = (data / "updated_at").read_text(encoding="utf-8").strip()
    raw_banks = json.loads((data / "banks.json").read_text(encoding="utf-8"))
    with_branches = {name.removesuffix(".json") for name in os.listdir(data / "branches") if name.endswith(".json")}
    banks: dict[str, Bank] = {}
    bank_known = np.zeros(10_000, dtype=np.bool_)
    branch_row = np.zeros(10_000, dtype=np.int64)
    branch_read = np.ones(10_000, dtype=np.bool_)  # nothing to read for codes without a branch file
    rows = 1  # row 0: all False
    for code, b in raw_banks.items():
        banks[code] = Bank(code, b["name"], b["kana"])
        bank_known[int(code)] = True
        if code in with_branches:
            # only the codes will be kept, on the bank's first lookup: the names wait (see _branches)
            branch_row[int(code)] = rows
            branch_read[int(code)] = False
            rows += 1
    return Master(version, banks, bank_known, branch_row, np.zeros(rows * 1000, dtype=np.bool_), branch_read)
