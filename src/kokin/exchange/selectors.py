"""Reads of exchanged files and certificates: the one place where they are filtered by permission.

A file is visible to the operators of its business with 閲覧 or any role that includes it
(:data:`kokin.accounts.permissions.ROLE_ACTIONS`); the system administrator and the auditor see none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, User
from kokin.accounts.permissions import Action, businesses_for, can
from kokin.exchange.models import DeletionCertificate, ExchangeFile
from kokin.exchange.states import State

DENIED = "このファイルを操作する権限がありません / you are not allowed to do this with this file"


def _related(files: QuerySet[ExchangeFile]) -> QuerySet[ExchangeFile]:
    return files.select_related(
        "data_kind__business__department", "uploaded_by", "approved_by", "inspected_by", "withdrawn_by"
    )


def files_visible_to(
    user: User,
    *,
    business: Business | None = None,
    data_kind: DataKind | None = None,
    state: str = "",
    direction: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[ExchangeFile]:
    """The files ``user`` may see, newest first, optionally filtered (``until`` is inclusive)."""
    files = ExchangeFile.objects.filter(data_kind__business__in=businesses_for(user, Action.VIEW_FILES))
    if business is not None:
        files = files.filter(data_kind__business=business)
    if data_kind is not None:
        files = files.filter(data_kind=data_kind)
    if state:
        files = files.filter(state=state)
    if direction:
        files = files.filter(direction=direction)
    if since is not None:
        files = files.filter(received_at__gte=_start_of(since))
    if until is not None:
        files = files.filter(received_at__lt=_start_of(until + dt.timedelta(days=1)))
    return _related(files).order_by("-received_at")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def file_for(user: User, file_id: UUID | str, action: Action) -> ExchangeFile:
    """The file, if ``user`` may do ``action`` on it: :class:`Http404` if there is no such file,
    :class:`PermissionDenied` (403) if it belongs to a business where the user may not."""
    try:
        file = _related(ExchangeFile.objects.all()).get(pk=file_id)
    except (ExchangeFile.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("ファイルがありません / no such file") from exc
    if not can(user, action, file.data_kind.business):
        raise PermissionDenied(DENIED)
    return file


def matched_request(file: ExchangeFile) -> ExchangeFile | None:
    """The debit request a result was matched to (``summary["request_file"]``), if it is still stored."""
    request_id = (file.summary or {}).get("request_file")
    if not request_id:
        return None
    try:
        return _related(ExchangeFile.objects.all()).filter(pk=request_id).first()
    except (ValueError, TypeError):
        return None


def new_inbound_for(user: User) -> QuerySet[ExchangeFile]:
    """Files from the bank that arrived and were not downloaded yet, in the user's businesses."""
    return files_visible_to(user, state=State.AVAILABLE, direction=DataKind.Direction.INBOUND)


def files_for_bank() -> QuerySet[ExchangeFile]:
    """For the bank link: files approved for the bank and not collected yet, oldest approval first."""
    return _related(ExchangeFile.objects.filter(state=State.APPROVED, direction=DataKind.Direction.OUTBOUND)).order_by(
        "approved_at"
    )


def upload_kinds(business: Business) -> QuerySet[DataKind]:
    """The outbound mailboxes (data kinds to the bank) of ``business``."""
    return business.data_kinds.filter(direction=DataKind.Direction.OUTBOUND).order_by("label", "pk")


def businesses_where(user: User, action: Action) -> QuerySet[Business]:
    return businesses_for(user, action).order_by("department__code", "code")


def kinds_visible_to(user: User) -> QuerySet[DataKind]:
    return (
        DataKind.objects.filter(business__in=businesses_for(user, Action.VIEW_FILES))
        .select_related("business")
        .order_by("business__code", "direction", "label")
    )


def certificates_visible_to(user: User, **filters: Any) -> QuerySet[DeletionCertificate]:
    """The deletion certificates of the businesses where ``user`` may see files, newest first."""
    return (
        DeletionCertificate.objects.filter(business__in=businesses_for(user, Action.VIEW_FILES), **filters)
        .select_related("business__department")
        .defer("pdf")
        .order_by("-issued_at", "-pk")
    )


def certificate_for(user: User, number: str) -> DeletionCertificate:
    """One certificate (with its PDF): 404 if there is none, 403 if it is another business's."""
    found = DeletionCertificate.objects.select_related("business").filter(number=number).first()
    if found is None:
        raise Http404("消去証明書がありません / no such certificate")
    if not can(user, Action.VIEW_FILES, found.business):
        raise PermissionDenied(DENIED)
    return found
