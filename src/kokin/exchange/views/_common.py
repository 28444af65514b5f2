"""What the exchange's pages share: the signed-in user, and the context of a file's page (its summary,
history, downloads and the actions offered)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest

from kokin.accounts.models import User
from kokin.accounts.permissions import Action, can
from kokin.exchange import present, selectors
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State

PAGE_SIZE = 50


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


def _actions(user: User, file: ExchangeFile) -> dict[str, bool]:
    """Which action links the file's page offers to ``user`` (the views check again)."""
    business = file.data_kind.business
    stored = file.state != State.ERASED
    return {
        "download": stored and can(user, Action.DOWNLOAD_FILE, business),
        # the sender of a file never approves it (the service refuses too): no button that only leads there
        "approve": file.state == State.AWAITING_APPROVAL
        and file.uploaded_by_id != user.pk
        and can(user, Action.APPROVE_FILE, business),
        "unapprove": file.state == State.APPROVED
        and file.approved_by_id == user.pk
        and can(user, Action.APPROVE_FILE, business),
        "withdraw": file.state in (State.AWAITING_APPROVAL, State.APPROVED) and can(user, Action.UPLOAD_FILE, business),
        "inspect": file.state == State.DOWNLOADED and can(user, Action.DOWNLOAD_FILE, business),
    }


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def file_context(user: User, file: ExchangeFile) -> dict[str, Any]:
    entries = [h | {"at": _when(h.get("at"))} for h in file.history]
    downloads_done = [h for h in entries if h.get("state") == "download"]
    history = [h | {"label": State(h["state"]).label} for h in entries if h.get("state") in State.values]
    return {
        "file": file,
        "groups": present.groups(file.summary, file.format),
        "batches": present.batch_rows(file.summary),
        "warnings": present.issue_rows(file.warnings, file.format),
        "history": history,
        "downloads": list(reversed(downloads_done)),
        "actions": _actions(user, file),
        "certificate": getattr(file, "certificate", None) if file.state == State.ERASED else None,
        "unmatched_debit_date": present.unmatched_debit_date(file),
        "matched_request": selectors.matched_request(file),
    }
