"""Approving a debit request: the second factor asked again by amount or by time since the last one,
no approve button for the file's sender, and a request whose 委託者コード is not the business's refused
at upload with the field named."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.models import Business, DataKind, Role, RoleAssignment, User
from kokin.accounts.services import SESSION_FACTOR_AT, SESSION_STEP_UP_AT
from kokin.audit.models import AuditEntry
from kokin.demo.ward import CONSIGNOR_CODES
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats import synth
from kokin.formats.kinds import zengin_debit
from support.exchange import debit_day, debit_file, upload
from support.otp import current_code

Login = Callable[..., Client]
#: three payers of 400,000 yen: 1,200,000 in all, at or above the default threshold
LARGE = 400_000


def outbound() -> DataKind:
    return DataKind.objects.filter(business__code="zeimu-furikae", direction="outbound").order_by("pk").first()  # type: ignore[return-value]


def post_upload(client: Client, data: bytes, **fields: str) -> Any:
    upload = SimpleUploadedFile("request.dat", data, "application/octet-stream")
    return client.post("/files/upload/zeimu-furikae/", {"data_kind": str(outbound().pk), "file": upload, **fields})


def text(response: Any) -> str:
    return str(response.content.decode())


def nothing_stored() -> bool:
    return not ExchangeFile.objects.exists()


def _pending(amount: int = 1000) -> ExchangeFile:
    data = debit_file(3, amount=amount)
    return upload(outbound(), User.objects.get(username="zeimu-send"), data)


def _approve(client: Client, file: ExchangeFile) -> Any:
    return client.post(f"/files/{file.id}/approve/", {"decision": "approve"})


def _step_up_url(file: ExchangeFile) -> str:
    return "/accounts/step-up/?" + urlencode({"next": f"/files/{file.id}/approve/"})


def _state(file: ExchangeFile) -> str:
    file.refresh_from_db()
    return str(file.state)


def _age_last_factor(client: Client, minutes: int) -> None:
    session = client.session
    session[SESSION_FACTOR_AT] = int(time.time()) - minutes * 60
    session.save()


# --- the second factor asked again ---------------------------------------------------------------


def test_a_large_amount_asks_for_the_second_factor_again_and_a_totp_code_lets_it_through(login_as: Login) -> None:
    file = _pending(LARGE)
    assert file.total_amount == 1_200_000
    approver = login_as("zeimu-approve")
    page = text(approver.get(f"/files/{file.id}/approve/"))
    assert "金額 1,200,000 円が 1,000,000 円以上のため" in page

    asked = _approve(approver, file)
    assert asked.status_code == 302 and asked["Location"] == _step_up_url(file)
    assert _state(file) == State.AWAITING_APPROVAL

    step_up = approver.get(asked["Location"])
    assert step_up.status_code == 200 and "第2要素の再確認" in text(step_up)
    wrong = approver.post(asked["Location"], {"token": "000000", "next": f"/files/{file.id}/approve/"})
    assert wrong.status_code == 200 and "確認コードが正しくありません" in text(wrong)
    assert AuditEntry.objects.filter(action="step_up", outcome="failure").count() == 1
    user = User.objects.get(username="zeimu-approve")
    TOTPDevice.objects.get(user=user).throttle_reset()  # django-otp waits a second after a wrong code
    passed = approver.post("/accounts/step-up/", {"token": current_code(user), "next": f"/files/{file.id}/approve/"})
    assert passed.status_code == 302 and passed["Location"] == f"/files/{file.id}/approve/"
    entry = AuditEntry.objects.filter(action="step_up", outcome="success").get()
    assert entry.detail["factor"] == "totp"

    done = _approve(approver, file)
    assert done.status_code == 302 and done["Location"] == f"/files/{file.id}/"
    assert _state(file) == State.APPROVED


def test_a_second_factor_asked_again_is_spent_by_one_large_approval(login_as: Login) -> None:
    first, second = _pending(LARGE), _pending(LARGE + 1)
    approver = login_as("zeimu-approve")
    session = approver.session
    session[SESSION_STEP_UP_AT] = int(time.time())
    session.save()
    assert _approve(approver, first)["Location"] == f"/files/{first.id}/"
    assert _approve(approver, second)["Location"] == _step_up_url(second)
    assert (_state(first), _state(second)) == (State.APPROVED, State.AWAITING_APPROVAL)


def test_a_small_amount_soon_after_login_is_approved_without_asking(login_as: Login) -> None:
    file = _pending()
    approver = login_as("zeimu-approve")
    assert "第2要素 (認証アプリまたはセキュリティキー) の再確認" not in text(approver.get(f"/files/{file.id}/approve/"))
    assert _approve(approver, file)["Location"] == f"/files/{file.id}/"
    assert _state(file) == State.APPROVED and not AuditEntry.objects.filter(action="step_up").exists()


def test_a_small_amount_long_after_the_last_second_factor_asks_again(login_as: Login) -> None:
    file = _pending()
    approver = login_as("zeimu-approve")
    _age_last_factor(approver, 16)
    asked = _approve(approver, file)
    assert asked["Location"] == _step_up_url(file) and _state(file) == State.AWAITING_APPROVAL
    assert "前回の第2要素の確認から 15 分を過ぎたため" in text(approver.get(asked["Location"], follow=True))
    user = User.objects.get(username="zeimu-approve")
    approver.post("/accounts/step-up/", {"token": current_code(user), "next": f"/files/{file.id}/approve/"})
    assert _approve(approver, file)["Location"] == f"/files/{file.id}/" and _state(file) == State.APPROVED


def test_the_amount_and_the_minutes_are_settings(login_as: Login, settings: Any) -> None:
    settings.APPROVAL_REAUTH_MINUTES = 60
    settings.APPROVAL_REAUTH_AMOUNT = 10_000_000
    large, small = _pending(LARGE), _pending()
    approver = login_as("zeimu-approve")
    _age_last_factor(approver, 16)
    assert _approve(approver, large)["Location"] == f"/files/{large.id}/"  # under the raised threshold
    settings.APPROVAL_REAUTH_AMOUNT = 3_000
    assert small.total_amount == 3_000
    assert _approve(approver, small)["Location"] == _step_up_url(small)


def test_the_step_up_page_goes_back_only_to_this_site(login_as: Login) -> None:
    approver = login_as("zeimu-approve")
    user = User.objects.get(username="zeimu-approve")
    response = approver.post("/accounts/step-up/", {"token": current_code(user), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


# --- the sender and the approve button -----------------------------------------------------------


def test_the_sender_of_a_file_sees_no_approve_button_and_is_still_refused(login_as: Login) -> None:
    sender = User.objects.get(username="zeimu-send")
    furikae = Business.objects.get(code="zeimu-furikae")
    file = upload(outbound(), sender, debit_file(3, amount=LARGE))
    RoleAssignment.objects.filter(user=sender, business=furikae, role=Role.UPLOAD).delete()
    RoleAssignment.objects.create(user=sender, business=furikae, role=Role.APPROVE)
    client = login_as("zeimu-send")
    detail = text(client.get(f"/files/{file.id}/"))
    assert f'href="/files/{file.id}/approve/">承認する</a>' not in detail
    others = text(login_as("zeimu-approve").get(f"/files/{file.id}/"))
    assert f'href="/files/{file.id}/approve/">承認する</a>' in others
    # refused by the service, large amount or not: no second factor is asked first
    response = _approve(client, file)
    assert response.status_code == 409 and "自分が送信したファイルは承認できません" in text(response)
    assert _state(file) == State.AWAITING_APPROVAL


# --- the business's 委託者コード ---------------------------------------------------------------------


def test_a_request_with_another_business_s_consignor_code_is_refused_naming_the_field(login_as: Login) -> None:
    kokuho = CONSIGNOR_CODES["kokuho-furikae"]
    response = post_upload(login_as("zeimu-send"), debit_file(3, header={"consignor_code": kokuho}))
    assert response.status_code == 422
    body = " ".join(text(response).split())
    ours = CONSIGNOR_CODES["zeimu-furikae"]
    assert f"委託者コード {kokuho} はこの業務の委託者コードではありません (この業務の委託者コード: {ours})" in body
    assert "<td>委託者コード</td>" in body and "この業務の委託者コードで作ったファイルか" in body
    assert nothing_stored()
    entry = AuditEntry.objects.filter(action="exchange_upload").order_by("-seq").first()
    assert entry is not None and entry.outcome == "failure" and entry.detail["reason"] == "invalid"


def test_a_business_may_have_several_consignor_codes_or_none_checked(login_as: Login) -> None:
    furikae = Business.objects.get(code="zeimu-furikae")
    furikae.consignor_codes = f"{CONSIGNOR_CODES['zeimu-furikae']}, 1310599999"
    furikae.save()
    client = login_as("zeimu-send")
    assert post_upload(client, debit_file(3, header={"consignor_code": "1310599999"})).status_code == 302
    furikae.consignor_codes = ""
    furikae.save()
    assert post_upload(client, debit_file(4, header={"consignor_code": "9999999999"})).status_code == 302


def test_the_demo_sample_request_is_the_tax_division_s_and_is_accepted(login_as: Login) -> None:
    raw, _ = synth.generate("zengin-debit", 20, seed=1, base_date=debit_day())
    header = zengin_debit.parse(raw).batches()[0]["header"]
    assert (header["consignor_code"], header["consignor_name"]) == (CONSIGNOR_CODES["zeimu-furikae"], "ﾃﾞﾓｸ ｾﾞｲﾑｶ")
    response = post_upload(login_as("zeimu-send"), raw, confirm_warnings="on")
    assert response.status_code == 302, text(response)
    assert ExchangeFile.objects.get().state == State.AWAITING_APPROVAL
