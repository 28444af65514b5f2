"""The password-protected ZIP form as served, before any script runs: every field is there (the
script only hides the typed-password fields while 自動生成 is chosen), each radio button inside its
label, the advice to send the password by another route, and a copy button the script reveals."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.test import Client

from kokin.accounts.models import DataKind
from support.exchange import place

Login = Callable[..., Client]


def test_zip_form_works_without_script_and_says_to_send_the_password_apart(ward: Any, login_as: Login) -> None:
    file = place(DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1"))
    client = login_as("zeimu-get")
    page = client.get(f"/files/{file.id}/download/").content.decode()
    form = re.search(r'<form [^>]*class="package">(.*?)</form>', page, re.S)
    assert form is not None
    labels = re.findall(r'<label class="choice" for="([^"]+)"><input type="radio" [^>]*id="\1"', form.group(1))
    assert labels == ["id_password_mode_0", "id_password_mode_1"]
    assert 'id="id_password"' in form.group(1) and 'id="id_password_again"' in form.group(1)
    assert "hidden" not in re.search(r'<div class="typed-password"[^>]*>', form.group(1)).group(0)  # type: ignore[union-attr]
    assert "別の経路" in page and "PPAP" in page
    assert 'src="/static/exchange/package.js"' in page

    made = client.post(f"/files/{file.id}/download/", {"as": "zip", "password_mode": "generate"}).content.decode()
    password = re.search(r'<p class="secret password" id="zip-password">(\S{20})</p>', made)
    assert password is not None
    assert (
        '<button type="button" class="secondary copy" data-copy="zip-password" hidden>パスワードをコピー</button>'
        in made
    )
    assert "別の経路" in made


def test_a_typed_password_is_ignored_when_generation_is_chosen(ward: Any, login_as: Login) -> None:
    file = place(DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1"))
    fields = {"as": "zip", "password_mode": "generate", "password": "short", "password_again": "other"}
    made = login_as("zeimu-get").post(f"/files/{file.id}/download/", fields)
    assert made.status_code == 200 and re.search(r'id="zip-password">\S{20}<', made.content.decode())
