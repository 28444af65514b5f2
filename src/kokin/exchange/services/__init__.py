"""Operations on exchanged files. Each is keyword-only, runs in one transaction and writes its
operation-log entry (also when it is refused). Permission is asked of
:mod:`kokin.accounts.permissions`; the lifecycle rules of :mod:`kokin.exchange.states`.

* :func:`upload` — an operator sends a file to the bank (outbound mailbox); it waits for approval;
* :func:`place` — a file from the bank arrives in an inbound mailbox (``kokin exchange place``, later
  the bank link); the download operators are told (:mod:`.receiving`, :mod:`.notify`);
* :func:`approve`, :func:`withdraw`, :func:`mark_collected` — four-eyes approval and what follows
  (:mod:`.approval`);
* :func:`record_download`, :func:`inspect` — downloads (counted) and 検収 (:mod:`.inspection`);
* :func:`run_retention`, :func:`erase` — crypto-shredding with a deletion certificate (:mod:`.retention`).

What they share (the actor's role, the permission check, the locked row of a change) is in
:mod:`._common`.
"""

from kokin.exchange.services._common import role_on
from kokin.exchange.services.approval import approve, mark_collected, withdraw, withdraw_approval
from kokin.exchange.services.inspection import inspect, record_download
from kokin.exchange.services.receiving import (
    Outcome,
    Received,
    intake_for,
    place,
    received_from_path,
    upload,
    upload_intake,
)
from kokin.exchange.services.retention import erase, run_retention, set_policy

__all__ = [
    "Outcome",
    "Received",
    "approve",
    "erase",
    "inspect",
    "intake_for",
    "mark_collected",
    "place",
    "received_from_path",
    "record_download",
    "role_on",
    "run_retention",
    "set_policy",
    "upload",
    "upload_intake",
    "withdraw",
    "withdraw_approval",
]
