"""WebAuthn security keys and passkeys (the modern form of the seed's IC card), with py_webauthn.

Two ceremonies, each a pair of JSON endpoints called by ``static/kokin/webauthn.js``:

- registration (security settings, after a recent password entry): ``register/begin`` returns the
  creation options, ``register/complete`` verifies the authenticator's attestation and stores the
  credential as a :class:`~kokin.accounts.models.WebAuthnDevice`;
- authentication (the second step of login): ``authenticate/begin`` returns the request options for
  the operator's own keys, ``authenticate/complete`` verifies the signed assertion and finishes the
  login (:func:`kokin.accounts.login_flow.finish_login`). A failed assertion counts toward the
  lockout like a wrong password.

The challenge lives in the session and is used once. The relying party is ``WEBAUTHN_RP_ID`` and the
expected origin ``WEBAUTHN_ORIGIN`` (a string or a list).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_POST
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from kokin.accounts import login_flow, services
from kokin.accounts.actors import actor_of
from kokin.accounts.models import User, WebAuthnDevice
from kokin.accounts.views import _safe_next, address_limited
from kokin.audit.services import record

SESSION_STATE = "kokin_webauthn"
CEREMONY_SECONDS = 300
DEFAULT_NAME = "セキュリティキー"
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]


def _error(message: str, status: int = 400, redirect: str = "") -> JsonResponse:
    body: dict[str, str] = {"error": message}
    if redirect:
        body["redirect"] = redirect
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def user_handle(user: User) -> bytes:
    """A stable, opaque WebAuthn user handle (no personal data in it)."""
    return salted_hmac("kokin.accounts.passkeys.user_handle", str(user.pk), algorithm="sha256").digest()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    out = []
    for device in WebAuthnDevice.objects.filter(user=user, confirmed=True):
        transports = []
        for t in device.transports:
            try:
                transports.append(AuthenticatorTransport(t))
            except ValueError:
                continue
        credential_id = base64url_to_bytes(device.credential_id)
        out.append(PublicKeyCredentialDescriptor(id=credential_id, transports=transports or None))
    return out


def _start(request: HttpRequest, purpose: str, challenge: bytes) -> None:
    request.session[SESSION_STATE] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "at": int(time.time()),
    }


def _finish(request: HttpRequest, purpose: str) -> bytes | None:
    """The challenge issued for ``purpose`` if it is still fresh (and never again)."""
    state = request.session.pop(SESSION_STATE, None)
    if not isinstance(state, dict) or state.get("purpose") != purpose:
        return None
    if not 0 <= time.time() - int(state.get("at", 0)) <= CEREMONY_SECONDS:
        return None
    return base64url_to_bytes(str(state["challenge"]))


def _payload(request: HttpRequest) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _verified_user(request: HttpRequest) -> User | JsonResponse:
    """The logged-in, second-factor-verified operator who entered the password recently."""
    user = request.user
    if not user.is_authenticated:
        return _error("ログインしてください。", 403, reverse("accounts:login"))
    if not services.is_verified(user):
        return _error("本人確認 (第2要素) が済んでいません。", 403, reverse("accounts:verify"))
    if not services.recently_authenticated(request.session):
        return _error(
            "続けるには、パスワードをもう一度入力してください。",
            403,
            reverse("accounts:reauth") + "?next=" + reverse("accounts:security"),
        )
    return user


@require_POST
def register_begin(request: HttpRequest) -> JsonResponse:
    user = _verified_user(request)
    if isinstance(user, JsonResponse):
        return user
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_name=user.username,
        user_id=user_handle(user),
        user_display_name=user.display_name or user.username,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
        supported_pub_key_algs=ALGORITHMS,
    )
    _start(request, "register", options.challenge)
    return JsonResponse(options_to_json_dict(options))


@require_POST
def register_complete(request: HttpRequest) -> JsonResponse:
    user = _verified_user(request)
    if isinstance(user, JsonResponse):
        return user
    payload = _payload(request)
    challenge = _finish(request, "register")
    if payload is None or challenge is None:
        return _error("登録の手続きが無効か期限切れです。もう一度お試しください。")
    name = " ".join(str(payload.get("name") or "").split())[:64] or DEFAULT_NAME
    credential = payload.get("credential")
    try:
        verified = verify_registration_response(
            credential=credential if isinstance(credential, dict) else {},
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGIN,
            supported_pub_key_algs=ALGORITHMS,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        record(
            action="factor_add",
            actor=actor_of(request),
            object=f"user:{user.username}",
            outcome="failure",
            detail={"factor": "webauthn", "device": name, "reason": str(exc)[:200]},
        )
        return _error("セキュリティキーを登録できませんでした。もう一度お試しください。")
    transports = []
    if isinstance(credential, dict) and isinstance(credential.get("response"), dict):
        transports = [str(t) for t in credential["response"].get("transports") or [] if isinstance(t, str)]
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not spoil an outer transaction
            device = WebAuthnDevice.objects.create(
                user=user,
                name=name,
                confirmed=True,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports[:8],
                aaguid=verified.aaguid,
                backed_up=verified.credential_backed_up,
            )
    except IntegrityError:
        return _error("このセキュリティキーは登録済みです。")
    record(
        action="factor_add",
        actor=actor_of(request),
        object=f"user:{user.username}",
        detail={"factor": "webauthn", "device": device.name, "aaguid": device.aaguid},
    )
    messages.success(request, f"セキュリティキー「{device.name}」を登録しました。")
    return JsonResponse({"ok": True, "redirect": reverse("accounts:security")})


def _login_user(request: HttpRequest) -> User | JsonResponse:
    """The operator between password and second factor (or already verified)."""
    user = request.user
    if not user.is_authenticated:
        return _error("ログインしてください。", 403, reverse("accounts:login"))
    if login_flow.is_locked(request, user.get_username()):
        logout(request)
        return _error("アカウントがロックされています。", 403, reverse("accounts:locked"))
    return user


@require_POST
def authenticate_begin(request: HttpRequest) -> JsonResponse:
    user = _login_user(request)
    if isinstance(user, JsonResponse):
        return user
    allowed = _descriptors(user)
    if not allowed:
        return _error("セキュリティキーが登録されていません。")
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _start(request, "authenticate", options.challenge)
    return JsonResponse(options_to_json_dict(options))


@require_POST
@address_limited
def authenticate_complete(request: HttpRequest) -> JsonResponse:
    user = _login_user(request)
    if isinstance(user, JsonResponse):
        return user
    payload = _payload(request)
    challenge = _finish(request, "authenticate")
    credential = payload.get("credential") if payload else None
    device = None
    if isinstance(credential, dict) and isinstance(credential.get("id"), str):
        device = WebAuthnDevice.objects.filter(user=user, confirmed=True, credential_id=credential["id"]).first()
    reason = ""
    if challenge is None:
        reason = "no fresh challenge"
    elif device is None or not isinstance(credential, dict):
        reason = "unknown credential"
    else:
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=settings.WEBAUTHN_RP_ID,
                expected_origin=settings.WEBAUTHN_ORIGIN,
                credential_public_key=bytes(device.public_key),
                credential_current_sign_count=device.sign_count,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            reason = str(exc)[:200] or type(exc).__name__
    if reason or device is None:
        detail = {"factor": "webauthn", "reason": reason}
        if login_flow.count_failure(request, action="second_factor", detail=detail):
            return _error("アカウントがロックされています。", 403, reverse("accounts:locked"))
        return _error("セキュリティキーで確認できませんでした。もう一度お試しください。")
    device.sign_count = verified.new_sign_count
    device.last_used_at = timezone.now()
    device.save(update_fields=["sign_count", "last_used_at"])
    if services.is_verified(user):  # asked again for one action (the step-up page): back to it
        login_flow.finish_step_up(request, device)
        return JsonResponse({"ok": True, "redirect": _safe_next(request, reverse("home"))})
    login_flow.finish_login(request, device)
    return JsonResponse({"ok": True, "redirect": reverse("home")})
