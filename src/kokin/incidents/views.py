"""The incident pages: the list and one incident (evidence, timeline), for the system administrator and
the auditor at once; the administrator moves an incident on and writes notes (POST), the auditor reads.

Every page a user opens is logged by the operation log's middleware (action ``view``); each change is
logged by its service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from kokin.accounts.actors import actor_of
from kokin.accounts.permissions import Action, can
from kokin.audit.labels import action_label, outcome_label
from kokin.incidents import selectors, services
from kokin.incidents.errors import IncidentError
from kokin.incidents.forms import AdvanceForm, NoteForm
from kokin.incidents.labels import rule_label
from kokin.incidents.models import Incident, State

PAGE_SIZE = 50
STATE_FILTERS = [("open", "未完了"), *State.choices, ("all", "すべて")]


def require(request: HttpRequest, action: Action) -> None:
    if not can(request.user, action):  # type: ignore[arg-type]
        raise PermissionDenied


@require_safe
@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.VIEW_INCIDENTS)
    state = request.GET.get("state", "open")
    page = Paginator(selectors.incidents(state=state), PAGE_SIZE).get_page(request.GET.get("page"))
    for incident in page.object_list:
        incident.rule_label = rule_label(incident.rule)  # type: ignore[attr-defined]
    return render(request, "incidents/list.html", {"page": page, "state": state, "filters": STATE_FILTERS})


def _detail(request: HttpRequest, incident: Incident, status: int = 200, **forms: Any) -> HttpResponse:
    entries = selectors.evidence(incident)
    for entry in entries:
        entry.action_label = action_label(entry.action)  # type: ignore[attr-defined]
        entry.outcome_label = outcome_label(entry.outcome)  # type: ignore[attr-defined]
    following = services.NEXT.get(State(incident.state))
    may_handle = can(request.user, Action.HANDLE_INCIDENTS)  # type: ignore[arg-type]
    context = {
        "incident": incident,
        "rule": rule_label(incident.rule),
        "evidence": entries,
        "missing_evidence": len(incident.evidence) - len(entries),
        "notes": incident.notes.order_by("at", "pk"),
        "files": selectors.files(incident),
        "may_handle": may_handle,
        "next_state": following,
        "advance_form": forms.get("advance_form") or AdvanceForm(initial={"to": following.value if following else ""}),
        "note_form": forms.get("note_form") or NoteForm(),
        "report": selectors.latest_report(incident),
    }
    return render(request, "incidents/detail.html", context, status=status)


@require_safe
@login_required
def detail(request: HttpRequest, number: int) -> HttpResponse:
    require(request, Action.VIEW_INCIDENTS)
    return _detail(request, selectors.incident(number))


@require_POST
@login_required
def advance(request: HttpRequest, number: int) -> HttpResponse:
    """Move the incident one step on; an invalid form (no note, a step the workflow does not allow)
    shows the page again with the reason."""
    require(request, Action.HANDLE_INCIDENTS)
    incident = selectors.incident(number)
    form = AdvanceForm(request.POST)
    if form.is_valid():
        try:
            services.advance(
                incident=incident, to=form.cleaned_data["to"], note=form.cleaned_data["note"], actor=actor_of(request)
            )
        except IncidentError as exc:
            form.add_error(None, exc.message_ja)
        else:
            messages.success(request, f"インシデント {number} を「{State(form.cleaned_data['to']).label}」にしました。")
            return redirect("incidents:detail", number=number)
    return _detail(request, incident, advance_form=form)


@require_POST
@login_required
def add_note(request: HttpRequest, number: int) -> HttpResponse:
    require(request, Action.HANDLE_INCIDENTS)
    incident = selectors.incident(number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(incident=incident, text=form.cleaned_data["text"], actor=actor_of(request))
        except IncidentError as exc:
            form.add_error(None, exc.message_ja)
        else:
            messages.success(request, "経過を記入しました。")
            return redirect("incidents:detail", number=number)
    return _detail(request, incident, note_form=form)
