"""``entry_recorded``: sent once an operation-log entry is committed, with the entry (``entry=``).

The parts of the hub that watch the log (the detection rules of :mod:`kokin.incidents.watch`) connect
to it in their ``AppConfig.ready``: the log's own layer knows nothing of them. The signal is sent from
``transaction.on_commit``, after the chain's lock is released (a receiver may write entries of its own),
and robustly: a receiver's failure is logged and never undoes or fails the operation already done. An
entry whose transaction rolls back was never recorded and is never sent.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

from kokin.audit.models import AuditEntry

log = logging.getLogger(__name__)

entry_recorded = Signal()


def announce(entry: AuditEntry) -> None:
    for receiver, result in entry_recorded.send_robust(sender=AuditEntry, entry=entry):
        if isinstance(result, Exception):
            log.error(
                "a watcher of the operation log failed on entry %s (%s): %r",
                entry.seq,
                getattr(receiver, "__qualname__", receiver),
                result,
                exc_info=result,
            )
