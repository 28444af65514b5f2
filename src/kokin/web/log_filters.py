"""Filters for the hub's log (``LOGGING`` in :mod:`kokin.web.settings`).

Django's ``django.request`` logger writes a refused request (``PermissionDenied`` → 403) as a
warning with the exception's traceback: every refusal then fills the log with a stack that says
nothing (a refusal is the permission check doing its job). :class:`RefusalWithoutTraceback` keeps
the warning as one line, with the refusal's own message, and drops the traceback. Other errors (a 500)
keep theirs.
"""

from __future__ import annotations

import logging


class RefusalWithoutTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            exc = record.exc_info[1]
            reason = " ".join(str(exc or "").split())[:300]
            message = record.getMessage()
            record.msg = f"{message} ({reason})" if reason else message
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
