"""The pages that change a file: approve (or withdraw the approval, or send back), withdraw and
inspect (検収). GET shows a confirmation with the file's summary; POST makes the change."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from kokin.accounts import services as accounts
from kokin.accounts.actors import actor_of
from kokin.accounts.permissions import Action
from kokin.audit.services import mark_recorded
from kokin.exchange import selectors, services, stepup
from kokin.exchange.errors import ExchangeError
from kokin.exchange.forms import ReasonForm
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.exchange.views._common import file_context, user_of


def _conflict(request: HttpRequest, file: ExchangeFile, template: str, exc: ExchangeError) -> HttpResponse:
    mark_recorded(request)
    context = file_context(user_of(request), file) | {"error": exc.message_ja, "form": ReasonForm()}
    return render(request, template, context, status=409)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def approve(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = user_of(request)
    file = selectors.file_for(user, file_id, Action.APPROVE_FILE)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                # the sender is refused by the service whatever the amount: no second factor asked first
                why = stepup.reason(request.session, file) if file.uploaded_by_id != user.pk else ""
                if why:
                    messages.info(request, f"{why}、承認の前に第2要素をもう一度確認してください。")
                    back = reverse("exchange:approve", args=[file.id])
                    return redirect(reverse("accounts:step_up") + "?" + urlencode({"next": back}))
                accounts.take_step_up(request.session)
                services.approve(file=file, actor=actor_of(request))
                messages.success(request, "承認しました。金融機関が取得できるようになりました。")
            elif decision == "unapprove" and form.is_valid():
                services.withdraw_approval(file=file, actor=actor_of(request), reason=form.cleaned_data["reason"])
                messages.success(
                    request, "承認を取り消しました。このファイルは再び承認待ちになり、金融機関は取得できません。"
                )
            elif decision == "return" and form.is_valid():
                services.withdraw(file=file, actor=actor_of(request), reason=form.cleaned_data["reason"])
                messages.success(request, "差し戻しました。このファイルは金融機関に送られません。")
            else:
                return render(request, "exchange/approve.html", file_context(user, file) | {"form": form}, status=400)
        except ExchangeError as exc:
            return _conflict(request, file, "exchange/approve.html", exc)
        mark_recorded(request)
        return redirect("exchange:detail", file.id)
    context = file_context(user, file) | {
        "form": ReasonForm(),
        "own_upload": file.uploaded_by_id == user.pk,
        "approvable": file.state == State.AWAITING_APPROVAL,
        "own_approval": file.state == State.APPROVED and file.approved_by_id == user.pk,
        "step_up": stepup.reason(request.session, file),
    }
    return render(request, "exchange/approve.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def withdraw(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = user_of(request)
    file = selectors.file_for(user, file_id, Action.UPLOAD_FILE)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return render(request, "exchange/withdraw.html", file_context(user, file) | {"form": form}, status=400)
        try:
            services.withdraw(file=file, actor=actor_of(request), reason=form.cleaned_data["reason"])
        except ExchangeError as exc:
            return _conflict(request, file, "exchange/withdraw.html", exc)
        mark_recorded(request)
        messages.success(request, "取り下げました。このファイルは金融機関に送られません。")
        return redirect("exchange:detail", file.id)
    context = file_context(user, file) | {
        "form": ReasonForm(),
        "withdrawable": file.state in (State.AWAITING_APPROVAL, State.APPROVED),
    }
    return render(request, "exchange/withdraw.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def inspect(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = user_of(request)
    file = selectors.file_for(user, file_id, Action.DOWNLOAD_FILE)
    if request.method == "POST":
        try:
            file = services.inspect(file=file, actor=actor_of(request))
        except ExchangeError as exc:
            return _conflict(request, file, "exchange/inspect.html", exc)
        mark_recorded(request)
        messages.success(request, "検収済にしました。保存期間の経過後に消去され、消去証明書が発行されます。")
        return redirect("exchange:detail", file.id)
    context = file_context(user, file) | {"inspectable": file.state == State.DOWNLOADED}
    return render(request, "exchange/inspect.html", context)
