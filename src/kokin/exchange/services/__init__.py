"""Operations on exchanged files. Each is keyword-only, runs in one transaction and writes its
operation-log entry (also when it is refused). Permission is asked of
:mod:`kokin.accounts.permissions`; the lifecycle rules of :mod:`kokin.exchange.states`.

* :func:`upload` — an operator sends a file to the bank (outbound mailbox); it waits for approval
  (:func:`refuse_too_large` logs one refused for its size before it reached the service);
* :func:`place` — a file from the bank arrives in an inbound mailbox (``kokin exchange place``, later
  the bank link); the download operators are told (:mod:`.receiving`, :mod:`.notify`);
* :func:`approve`, :func:`withdraw`, :func:`mark_collected` — four-eyes approval and what follows
  (:mod:`.approval`);
* :func:`record_download`, :func:`inspect` — downloads (counted) and 検収 (:mod:`.inspection`);
* :func:`run_retention`, :func:`erase` — crypto-shredding with a deletion certificate (:mod:`.retention`).

Each takes who does it as one ``actor`` (:class:`~kokin.audit.actor.Actor`, built where the operation
comes in: a page, the API, the bank link, a command) and writes the actor's roles on the business
(:func:`kokin.accounts.actors.role_on`). What they share (a file as it arrived, the permission check,
the locked row of a change) is in :mod:`._common`; keeping a checked file is :mod:`.keeping`.
"""

from kokin.exchange.services._common import Received
from kokin.exchange.services.approval import approve, mark_collected, withdraw, withdraw_approval
from kokin.exchange.services.inspection import inspect, record_download
from kokin.exchange.services.receiving import (
    Outcome,
    intake_for,
    place,
    received_from_path,
    refuse_too_large,
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
    "refuse_too_large",
    "run_retention",
    "set_policy",
    "upload",
    "upload_intake",
    "withdraw",
    "withdraw_approval",
]
