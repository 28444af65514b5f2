"""The hub serves its Japanese home page after password + TOTP, and sends strict security headers."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_anonymous_home_redirects_to_login() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_operator_sees_japanese_home_with_businesses_after_two_factors(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("zeimu-send")
    page = client.get("/").content.decode()
    assert "ホーム" in page
    assert "住民税 口座振替" in page
    assert "送信" in page


def test_password_alone_does_not_reach_the_home_page(ward) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.post("/accounts/login/", {"username": "zeimu-view", "password": ward["zeimu-view"].password})
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/"


@pytest.mark.django_db
def test_pages_send_csp_without_inline_script_and_frame_denial() -> None:
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"


def test_demo_places_todays_collection_data_and_writes_a_valid_debit_request(ward, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kokin.accounts.models import DataKind
    from kokin.demo.ward import seed_files
    from kokin.exchange.models import ExchangeFile
    from kokin.formats.kinds import zengin_debit

    lines = seed_files(tmp_path)
    inbound = DataKind.objects.filter(direction=DataKind.Direction.INBOUND).exclude(format="zengin-debit")
    assert ExchangeFile.objects.count() == inbound.count()
    assert all("配置 placed" in line for line in lines[:-1])
    report = zengin_debit.validate(tmp_path / "debit-request.dat", mode="request")
    assert report.ok, report.errors[:3]
    assert seed_files(tmp_path)[-1] == lines[-1]  # a second start places nothing twice
    assert ExchangeFile.objects.count() == inbound.count()
