"""WebAuthn security keys and passkeys: registration and login through py_webauthn's real checks.

A software authenticator (an EC P-256 key, a 'none' attestation built with cbor2) answers the hub's
options the way a security key does through ``navigator.credentials``; the JSON it sends is the
JSON ``static/kokin/webauthn.js`` builds.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from axes.models import AccessAttempt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import Client
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from kokin.accounts import services
from kokin.accounts.models import WebAuthnDevice
from kokin.audit.models import AuditEntry
from kokin.demo import ward as demo

Ward = dict[str, demo.Login]
LoginAs = Callable[..., Client]

FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04
FLAG_ATTESTED = 0x40


class SoftAuthenticator:
    """A security key in software: one EC P-256 credential, 'none' attestation, a signature counter."""

    def __init__(self, rp_id: str = "localhost") -> None:
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def authenticator_data(self, *, attested: bool, rp_id: str | None = None) -> bytes:
        flags = FLAG_USER_PRESENT | FLAG_USER_VERIFIED | (FLAG_ATTESTED if attested else 0)
        data = hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags])
        data += self.sign_count.to_bytes(4, "big")
        if attested:
            data += bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + self.cose_key()
        return data

    @staticmethod
    def client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def _ids(self) -> dict[str, str]:
        cid = bytes_to_base64url(self.credential_id)
        return {"id": cid, "rawId": cid, "type": "public-key"}

    def create(self, options: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """What navigator.credentials.create() returns, as webauthn.js serialises it."""
        client_data = self.client_data("webauthn.create", options["challenge"], origin or settings.WEBAUTHN_ORIGIN)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": self.authenticator_data(attested=True)})
        return {
            **self._ids(),
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["usb"],
            },
        }

    def get(self, options: dict[str, Any], origin: str | None = None, rp_id: str | None = None) -> dict[str, Any]:
        """What navigator.credentials.get() returns, as webauthn.js serialises it."""
        self.sign_count += 1
        data = self.authenticator_data(attested=False, rp_id=rp_id)
        client_data = self.client_data("webauthn.get", options["challenge"], origin or settings.WEBAUTHN_ORIGIN)
        signature = self.key.sign(data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            **self._ids(),
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(data),
                "signature": bytes_to_base64url(signature),
                "userHandle": None,
            },
        }


def post_json(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def register(client: Client, authenticator: SoftAuthenticator, name: str = "窓口のキー") -> Any:
    options = post_json(client, "/accounts/webauthn/register/begin/").json()
    return post_json(
        client, "/accounts/webauthn/register/complete/", {"credential": authenticator.create(options), "name": name}
    )


def password_only(ward: Ward, username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": ward[username].password})
    assert response.status_code == 302
    return client


def authenticate(client: Client, authenticator: SoftAuthenticator, **kwargs: Any) -> Any:
    options = post_json(client, "/accounts/webauthn/authenticate/begin/").json()
    return post_json(
        client, "/accounts/webauthn/authenticate/complete/", {"credential": authenticator.get(options, **kwargs)}
    )


@pytest.fixture
def key_of_zeimu_view(login_as: LoginAs) -> SoftAuthenticator:
    authenticator = SoftAuthenticator(settings.WEBAUTHN_RP_ID)
    client = login_as("zeimu-view")
    assert register(client, authenticator).status_code == 200
    client.post("/accounts/logout/")
    return authenticator


def test_registration_options_name_the_relying_party_and_exclude_known_keys(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    options = post_json(client, "/accounts/webauthn/register/begin/").json()
    assert options["rp"] == {"id": settings.WEBAUTHN_RP_ID, "name": settings.WEBAUTHN_RP_NAME}
    assert options["user"]["name"] == "zeimu-view" and options["user"]["displayName"] == "税務 閲覧担当"
    assert len(base64url_to_bytes(options["challenge"])) >= 32
    assert options["excludeCredentials"] == [] and options["attestation"] == "none"
    authenticator = SoftAuthenticator()
    assert register(client, authenticator).status_code == 200
    again = post_json(client, "/accounts/webauthn/register/begin/").json()
    assert [c["id"] for c in again["excludeCredentials"]] == [bytes_to_base64url(authenticator.credential_id)]
    assert again["user"]["id"] == options["user"]["id"]  # one stable, opaque user handle


def test_security_key_registers_and_then_serves_as_the_second_factor(login_as: LoginAs, ward: Ward) -> None:
    client = login_as("zeimu-view")
    authenticator = SoftAuthenticator()
    response = register(client, authenticator, name="  窓口の   キー ")
    assert response.status_code == 200 and response.json() == {"ok": True, "redirect": "/accounts/security/"}
    device = WebAuthnDevice.objects.get(user__username="zeimu-view")
    assert device.name == "窓口の キー" and device.confirmed and device.sign_count == 0
    assert device.credential_id == bytes_to_base64url(authenticator.credential_id) and device.transports == ["usb"]
    assert "セキュリティキー「窓口の キー」を登録しました。" in client.get("/accounts/security/").content.decode()
    added = AuditEntry.objects.get(action="factor_add", actor="zeimu-view")
    assert added.outcome == "success" and added.detail["factor"] == "webauthn"

    client.post("/accounts/logout/")
    fresh = password_only(ward, "zeimu-view")
    page = fresh.get("/accounts/verify/").content.decode()
    assert 'data-webauthn-ceremony="authenticate"' in page and "セキュリティキーで確認" in page
    options = post_json(fresh, "/accounts/webauthn/authenticate/begin/").json()
    assert [c["id"] for c in options["allowCredentials"]] == [device.credential_id]
    assert options["rpId"] == settings.WEBAUTHN_RP_ID
    response = post_json(fresh, "/accounts/webauthn/authenticate/complete/", {"credential": authenticator.get(options)})
    assert response.json() == {"ok": True, "redirect": "/"}
    assert fresh.get("/").status_code == 200
    device.refresh_from_db()
    assert device.sign_count == 1 and device.last_used_at is not None
    entry = AuditEntry.objects.filter(action="second_factor", actor="zeimu-view").latest("seq")
    assert entry.outcome == "success" and entry.detail["factor"] == "webauthn"


def test_registration_from_another_origin_is_refused(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    options = post_json(client, "/accounts/webauthn/register/begin/").json()
    credential = SoftAuthenticator().create(options, origin="https://evil.example")
    response = post_json(client, "/accounts/webauthn/register/complete/", {"credential": credential})
    assert response.status_code == 400
    assert response.json()["error"] == "セキュリティキーを登録できませんでした。もう一度お試しください。"
    assert not WebAuthnDevice.objects.exists()
    entry = AuditEntry.objects.get(action="factor_add", actor="zeimu-view")
    assert entry.outcome == "failure" and "origin" in entry.detail["reason"]


def test_registration_needs_a_recent_password_and_the_second_factor(login_as: LoginAs, ward: Ward) -> None:
    response = post_json(password_only(ward, "zeimu-get"), "/accounts/webauthn/register/begin/")
    assert response.status_code == 403 and response.json()["redirect"] == "/accounts/verify/"
    client = login_as("zeimu-view")
    session = client.session
    session[services.SESSION_AUTH_AT] = int(time.time()) - 3600
    session.save()
    response = post_json(client, "/accounts/webauthn/register/begin/")
    assert response.status_code == 403
    assert response.json()["redirect"] == "/accounts/reauth/?next=/accounts/security/"
    assert Client().post("/accounts/webauthn/register/begin/").status_code == 403


def test_the_same_key_cannot_be_registered_twice(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    authenticator = SoftAuthenticator()
    register(client, authenticator)
    response = register(client, authenticator)
    assert response.status_code == 400 and response.json()["error"] == "このセキュリティキーは登録済みです。"


def test_a_signature_from_another_key_fails_and_counts_toward_the_lockout(
    key_of_zeimu_view: SoftAuthenticator, ward: Ward
) -> None:
    impostor = SoftAuthenticator()
    impostor.credential_id = key_of_zeimu_view.credential_id  # same ID, wrong private key
    client = password_only(ward, "zeimu-view")
    response = authenticate(client, impostor)
    assert response.status_code == 400
    assert response.json()["error"] == "セキュリティキーで確認できませんでした。もう一度お試しください。"
    assert client.get("/")["Location"] == "/accounts/verify/"
    assert AccessAttempt.objects.get(username="zeimu-view").failures_since_start == 1
    entry = AuditEntry.objects.get(action="second_factor", actor="zeimu-view", outcome="failure")
    assert entry.outcome == "failure" and "signature" in entry.detail["reason"]


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"origin": "https://evil.example"}, "origin"),
        ({"rp_id": "evil.example"}, "RP ID"),
    ],
)
def test_an_assertion_for_another_site_fails(
    key_of_zeimu_view: SoftAuthenticator, ward: Ward, tamper: dict[str, str], reason: str
) -> None:
    client = password_only(ward, "zeimu-view")
    assert authenticate(client, key_of_zeimu_view, **tamper).status_code == 400
    assert (
        reason in AuditEntry.objects.get(action="second_factor", actor="zeimu-view", outcome="failure").detail["reason"]
    )


def test_a_challenge_is_used_once(key_of_zeimu_view: SoftAuthenticator, ward: Ward) -> None:
    client = password_only(ward, "zeimu-view")
    options = post_json(client, "/accounts/webauthn/authenticate/begin/").json()
    assertion = key_of_zeimu_view.get(options)
    replayed = dict(assertion)
    other = password_only(ward, "zeimu-view")
    post_json(other, "/accounts/webauthn/authenticate/begin/")
    # the same signed answer in a session that issued a different challenge
    assert post_json(other, "/accounts/webauthn/authenticate/complete/", {"credential": replayed}).status_code == 400
    assert post_json(client, "/accounts/webauthn/authenticate/complete/", {"credential": assertion}).status_code == 200
    again = post_json(client, "/accounts/webauthn/authenticate/complete/", {"credential": assertion})
    assert again.status_code in (400, 403)


def test_a_cloned_key_with_a_stale_counter_is_refused(key_of_zeimu_view: SoftAuthenticator, ward: Ward) -> None:
    WebAuthnDevice.objects.filter(user__username="zeimu-view").update(sign_count=10)
    client = password_only(ward, "zeimu-view")
    assert authenticate(client, key_of_zeimu_view).status_code == 400
    assert (
        "sign count"
        in AuditEntry.objects.get(action="second_factor", actor="zeimu-view", outcome="failure").detail["reason"]
    )


def test_another_operators_key_is_not_accepted(
    key_of_zeimu_view: SoftAuthenticator, login_as: LoginAs, ward: Ward
) -> None:
    own = SoftAuthenticator()
    client = login_as("zeimu-get")
    register(client, own)
    client.post("/accounts/logout/")
    client = password_only(ward, "zeimu-get")
    response = authenticate(client, key_of_zeimu_view)
    assert response.status_code == 400
    assert (
        AuditEntry.objects.get(action="second_factor", actor="zeimu-get", outcome="failure").detail["reason"]
        == "unknown credential"
    )


def test_five_failed_assertions_lock_the_id_and_answer_in_json(
    key_of_zeimu_view: SoftAuthenticator, ward: Ward
) -> None:
    impostor = SoftAuthenticator()
    impostor.credential_id = key_of_zeimu_view.credential_id
    client = password_only(ward, "zeimu-view")
    for _ in range(5):
        response = authenticate(client, impostor)
    assert response.status_code == 403
    assert response.json() == {"error": "アカウントがロックされています。", "redirect": "/accounts/locked/"}
    assert "アカウントがロックされています" in client.get("/accounts/locked/").content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")
    # a genuine key does not get a locked ID in
    late = Client()
    late.post("/accounts/login/", {"username": "zeimu-view", "password": ward["zeimu-view"].password})
    assert post_json(late, "/accounts/webauthn/authenticate/begin/").status_code == 403


def test_authentication_needs_a_password_login_first(key_of_zeimu_view: SoftAuthenticator) -> None:
    response = post_json(Client(), "/accounts/webauthn/authenticate/begin/")
    assert response.status_code == 403 and response.json()["redirect"] == "/accounts/login/"
    assert Client().get("/accounts/webauthn/authenticate/begin/").status_code == 405


def test_removing_a_key_is_logged_and_only_the_owner_can(
    key_of_zeimu_view: SoftAuthenticator, login_as: LoginAs
) -> None:
    device = WebAuthnDevice.objects.get(user__username="zeimu-view")
    assert login_as("zeimu-get").post(f"/accounts/security/keys/{device.pk}/delete/").status_code == 404
    client = login_as("zeimu-view")
    assert client.get(f"/accounts/security/keys/{device.pk}/delete/").status_code == 405
    assert client.post(f"/accounts/security/keys/{device.pk}/delete/")["Location"] == "/accounts/security/"
    assert not WebAuthnDevice.objects.filter(pk=device.pk).exists()
    entry = AuditEntry.objects.get(action="factor_remove", actor="zeimu-view")
    assert entry.detail == {"factor": "webauthn", "device": "窓口のキー"}


def test_pages_wire_the_key_buttons_without_inline_script(key_of_zeimu_view: SoftAuthenticator, ward: Ward) -> None:
    page = password_only(ward, "zeimu-view").get("/accounts/verify/").content.decode()
    assert '<script src="/static/kokin/webauthn.js"></script>' in page
    assert "<script>" not in page and " onclick=" not in page
    assert 'data-begin-url="/accounts/webauthn/authenticate/begin/"' in page
    assert "data-csrf-token=" in page


def test_a_security_key_serves_as_the_second_factor_asked_again_before_a_large_approval(login_as: LoginAs) -> None:
    from kokin.accounts.models import DataKind, User
    from kokin.exchange.models import ExchangeFile
    from kokin.exchange.states import State
    from support.exchange import debit_file, upload

    kind = DataKind.objects.filter(business__code="zeimu-furikae", direction="outbound").order_by("pk").first()
    assert kind is not None
    file = upload(kind, User.objects.get(username="zeimu-send"), debit_file(3, amount=500_000))
    client = login_as("zeimu-approve")
    authenticator = SoftAuthenticator()
    assert register(client, authenticator).status_code == 200
    approve = f"/files/{file.id}/approve/"
    asked = client.post(approve, {"decision": "approve"})
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/step-up/")
    page = client.get(asked["Location"]).content.decode()
    complete = "/accounts/webauthn/authenticate/complete/?next=" + approve
    assert f'data-complete-url="{complete}"' in page
    options = post_json(client, "/accounts/webauthn/authenticate/begin/").json()
    response = post_json(client, complete, {"credential": authenticator.get(options)})
    assert response.json() == {"ok": True, "redirect": approve}
    entry = AuditEntry.objects.filter(action="step_up", actor="zeimu-approve").get()
    assert entry.outcome == "success" and entry.detail["factor"] == "webauthn"
    assert not AuditEntry.objects.filter(action="second_factor", actor="zeimu-approve", detail__factor="webauthn")
    assert client.post(approve, {"decision": "approve"})["Location"] == f"/files/{file.id}/"
    assert ExchangeFile.objects.get(pk=file.id).state == State.APPROVED
