"""The bank simulator (金融機関シミュレータ): the designated bank (指定金融機関) and its collecting banks
(収納機関) on one machine, so the whole service runs without a bank.

It shares a spool folder with the bank agent (:mod:`kokin.bank.agent`):

* **collection data** (収入済データ): for each simulated business day (or month, ``scale = "month"``)
  it writes each configured kind's file to ``outbox/<TRANSFER_ID>/<YYYYMMDD>-<TRANSFER_ID>-<n>.dat``,
  built from a synthetic population of payers and their assessments (:mod:`kokin.bank.simulator.collect`);
  the agent uploads it, the file name's stem being the bank's file ID;
* **direct debit** (口座振替): each request the agent delivers into ``inbox/<TRANSFER_ID>/`` is debited
  record by record against the payers' accounts (:mod:`kokin.bank.simulator.debit`); the result goes to
  ``outbox/<reply>/<request stem>-result.dat`` and the request to ``processed/<TRANSFER_ID>/`` (the
  bank's archive); a file that is not a debit request goes to ``rejected/<TRANSFER_ID>/`` with a
  ``.reason.txt``.

Same seed, same config and same inputs give byte-identical files. The simulated date, file numbers,
balances and answered requests are kept in ``<spool>/.simulator/state.json`` so a restart carries on
without reusing a bank file ID. The config is documented in ``docs/bank-simulator.md``.

The package: :mod:`~kokin.bank.simulator.daemon` runs it (``kokin bank simulate``),
:mod:`~kokin.bank.simulator.rounds` does one round, :mod:`~kokin.bank.simulator.config` and
:mod:`~kokin.bank.simulator.state` read the config and keep the state; the collecting side is
:mod:`~kokin.bank.simulator.draws` (hash-based randomness), :mod:`~kokin.bank.simulator.calendar`,
:mod:`~kokin.bank.simulator.population`, :mod:`~kokin.bank.simulator.payments`,
:mod:`~kokin.bank.simulator.records` and :mod:`~kokin.bank.simulator.collect` (the day's files,
encoded column-wise by :func:`kokin.formats.build.build_columns`); :mod:`~kokin.bank.simulator.debit`
answers debits.
"""

from __future__ import annotations

from kokin.bank.simulator.config import Config, ConfigError, load_config
from kokin.bank.simulator.daemon import main
from kokin.bank.simulator.rounds import Simulator

__all__ = ["Config", "ConfigError", "Simulator", "load_config", "main"]
