"""The REST API: bearer tokens bound to a user, the same roles as the web UI, every read logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kokin.accounts.models import User
from kokin.accounts.permissions import BUSINESS_ACTIONS, ROLE_ACTIONS
from kokin.api.models import APIToken
from kokin.api.services import authenticate, create_token, revoke_token
from kokin.audit.models import AuditEntry
from kokin.audit.services import verify
from kokin.demo import ward as demo


def bearer(username: str) -> dict[str, str]:
    _, text = create_token(user=User.objects.get(username=username), name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def get(path: str, username: str | None, **params: str) -> tuple[int, object]:
    headers = bearer(username) if username else {}
    response = Client().get(path, params, **headers)
    return response.status_code, response.json()


def test_token_secret_is_not_stored_only_its_sha256(ward) -> None:  # type: ignore[no-untyped-def]
    row, text = create_token(user=User.objects.get(username="zeimu-view"), name="nightly")
    kk, prefix, secret = text.split("_", 2)
    assert kk == "kk" and prefix == row.prefix
    stored = APIToken.objects.filter(pk=row.pk).values().get()
    assert all(secret not in str(value) for value in stored.values())
    assert authenticate(text) == row
    assert authenticate(f"kk_{prefix}_{secret}x") is None
    assert AuditEntry.objects.filter(action="api_token_create", actor="zeimu-view").exists()


def test_expired_and_revoked_tokens_and_inactive_users_are_refused(ward) -> None:  # type: ignore[no-untyped-def]
    user = User.objects.get(username="zeimu-view")
    row, text = create_token(user=user, name="t")
    APIToken.objects.filter(pk=row.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert authenticate(text) is None
    row, text = create_token(user=user, name="t")
    revoke_token(prefix=row.prefix)
    assert authenticate(text) is None
    row, text = create_token(user=user, name="t")
    user.is_active = False
    user.save()
    assert authenticate(text) is None


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer kk_", "Bearer kk_abc_def", "Token kk_a_b", "Bearer x_y_z"])
def test_missing_or_bad_token_gets_401_with_japanese_and_english(ward, header: str) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/api/me", **({"HTTP_AUTHORIZATION": header} if header else {}))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    detail = response.json()["detail"]
    assert "トークン" in detail and "token" in detail


def test_session_login_does_not_reach_the_api(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("zeimu-send")
    assert client.get("/").status_code == 200
    assert client.get("/api/me").status_code == 401


def test_me_lists_roles_per_business(ward) -> None:  # type: ignore[no-untyped-def]
    status, body = get("/api/me", "zeimu-send")
    assert status == 200
    assert isinstance(body, dict)
    assert body["username"] == "zeimu-send" and body["department"] == {"code": "zeimu", "name": "税務課"}
    assert body["businesses"] == [
        {
            "code": "zeimu-furikae",
            "name": "住民税 口座振替",
            "department": {"code": "zeimu", "name": "税務課"},
            "roles": [{"role": "download", "label": "取得"}, {"role": "upload", "label": "送信"}],
        }
    ]


@pytest.mark.parametrize("username", [op[0] for op in demo.OPERATORS])
def test_businesses_lists_exactly_the_role_table_actions(ward, username: str) -> None:  # type: ignore[no-untyped-def]
    roles = next(op[3] for op in demo.OPERATORS if op[0] == username)
    expected = {
        code: sorted(set().union(*(ROLE_ACTIONS[r] for r in role_list)) & BUSINESS_ACTIONS)
        for code, role_list in roles.items()
    }
    status, body = get("/api/businesses", username)
    assert status == 200
    assert isinstance(body, list)
    assert {b["code"]: sorted(b["actions"]) for b in body} == {k: v for k, v in expected.items() if v}


def test_data_kinds_of_own_business(ward) -> None:  # type: ignore[no-untyped-def]
    status, body = get("/api/businesses/zeimu-furikae/data-kinds", "zeimu-send")
    assert status == 200
    assert isinstance(body, list)
    assert {(k["direction"], k["label"]) for k in body} == {
        ("outbound", "口座振替請求データ"),
        ("inbound", "口座振替結果データ"),
    }


def test_other_business_is_403_and_unknown_business_is_404(ward) -> None:  # type: ignore[no-untyped-def]
    status, body = get("/api/businesses/zeimu-furikae/data-kinds", "kokuho-send")
    assert status == 403
    assert isinstance(body, dict) and "権限" in body["detail"] and "not allowed" in body["detail"]
    denied = AuditEntry.objects.filter(action="api_view", outcome="denied", actor="kokuho-send").get()
    assert denied.object == "GET /api/businesses/zeimu-furikae/data-kinds"
    assert get("/api/businesses/no-such-business/data-kinds", "kokuho-send")[0] == 404
    assert get("/api/businesses/%E7%A8%8E/data-kinds", "kokuho-send")[0] == 404


def test_every_data_read_is_logged_with_actor_role_and_ip(ward) -> None:  # type: ignore[no-untyped-def]
    before = AuditEntry.objects.count()
    assert get("/api/businesses/zeimu-furikae/data-kinds", "zeimu-approve")[0] == 200
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and AuditEntry.objects.count() == before + 2  # token creation, then the read
    assert (entry.action, entry.actor, entry.role, entry.client_ip, entry.outcome) == (
        "api_view",
        "zeimu-approve",
        "承認",
        "127.0.0.1",
        "success",
    )
    assert entry.department == "税務課"
    assert list(verify()) == []


def test_audit_entries_for_the_auditor_only_filtered_and_paginated(ward) -> None:  # type: ignore[no-untyped-def]
    for name in ("zeimu-view", "zeimu-get", "zeimu-view"):
        get("/api/me", name)
    assert get("/api/audit/entries", "sysadmin")[0] == 403
    headers = bearer("auditor")
    page = Client().get("/api/audit/entries", {"actor": "zeimu-view", "action": "api_view", "limit": 1}, **headers)
    assert page.status_code == 200
    data = page.json()
    assert data["count"] == 2 and data["limit"] == 1 and len(data["items"]) == 1
    first = data["items"][0]
    second = (
        Client()
        .get("/api/audit/entries", {"actor": "zeimu-view", "action": "api_view", "limit": 1, "offset": 1}, **headers)
        .json()["items"][0]
    )
    assert first["seq"] < second["seq"] and first["object"] == "GET /api/me"
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert Client().get("/api/audit/entries", {"since": later}, **headers).json()["count"] == 0
    assert Client().get("/api/audit/entries", {"until": later}, **headers).json()["count"] > 0


def test_audit_entries_out_of_range_dates_are_422_not_500(ward) -> None:  # type: ignore[no-untyped-def]
    headers = bearer("auditor")
    for since in ("0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-23:00"):
        assert Client().get("/api/audit/entries", {"since": since}, **headers).status_code == 422


def test_openapi_document_is_served_and_there_is_no_cdn_docs_page(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/api/me",
        "/api/businesses",
        "/api/businesses/{code}/data-kinds",
        "/api/audit/entries",
        "/api/businesses/{code}/files",  # the file exchange (kokin.api.exchange)
        "/api/files/{file_id}",
        "/api/files/{file_id}/original",
        "/api/files/{file_id}/csv",
        "/api/files/{file_id}/package",
    }
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert Client().get("/api/docs").status_code == 404


def test_api_needs_no_csrf_token(ward) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/me", **bearer("zeimu-view"))
    assert response.status_code == 405


def test_cli_creates_lists_and_revokes_a_token_shown_once(ward) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from kokin.cli import main

    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "--user", "zeimu-get", "--name", "夜間取得", "--days", "7"])
    assert created.exit_code == 0, created.output
    text = created.stdout.strip()
    assert text.startswith("kk_") and authenticate(text) is not None
    prefix = text.split("_")[1]
    listed = runner.invoke(main, ["token", "list", "--user", "zeimu-get"])
    assert f"kk_{prefix}" in listed.stdout and "active" in listed.stdout and text not in listed.stdout
    assert runner.invoke(main, ["token", "revoke", f"kk_{prefix}"]).exit_code == 0
    assert authenticate(text) is None
    assert runner.invoke(main, ["token", "create", "--user", "nobody", "--name", "x"]).exit_code == 2


def test_control_characters_in_the_path_are_logged_percent_encoded(ward) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/api/businesses/%00%E7%A8%8E/data-kinds", HTTP_AUTHORIZATION="Bearer kk_0_x")
    assert response.status_code == 401
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "api_auth_failure"
    assert entry.object == "GET /api/businesses/%00%E7%A8%8E/data-kinds"
