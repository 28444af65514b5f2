"""The exchange's API: multipart upload (201 / 422 / 409 / 413 / 403), lists and details, downloads of
the original, a CSV and a password ZIP, all with bearer tokens and the same roles as the pages."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pyzipper
from django.test import Client

from kokin.accounts.models import Business, DataKind, User
from kokin.api.services import create_token
from kokin.audit.models import AuditEntry
from kokin.demo.ward import CONSIGNOR_CODES
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.states import State
from kokin.vault.models import Blob
from support.exchange import collection_file, debit_file, place

UPLOAD = "/api/businesses/zeimu-furikae/files"


def bearer(username: str) -> dict[str, str]:
    _, token = create_token(user=User.objects.get(username=username), name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def send(username: str, data: bytes, *, name: str = "request.dat", **fields: str) -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return Client().post(UPLOAD, {"file": upload, **fields}, **bearer(username))


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def inbound() -> DataKind:
    return DataKind.objects.get(business__code="zeimu-furikae", direction="inbound")


def test_upload_by_api_is_stored_awaiting_approval(ward: Any) -> None:
    data = debit_file(3)
    response = send("zeimu-send", data, name="furikae.dat")
    assert response.status_code == 201, response.content
    out = response.json()
    file = ExchangeFile.objects.get()
    assert out["id"] == str(file.id) and out["state"] == State.AWAITING_APPROVAL and out["records"] == 3
    assert out["sha256"] == hashlib.sha256(data).hexdigest() and out["original_name"] == "furikae.dat"
    assert out["summary"]["by_bank_code"]["0001"]["count"] == 3
    entry = AuditEntry.objects.filter(action="exchange_upload").last()
    assert entry is not None and entry.actor == "zeimu-send" and entry.sha256 == out["sha256"]


def test_upload_by_api_rejects_confirms_and_limits(ward: Any) -> None:
    broken = send("zeimu-send", collection_file("mpn-receipt"))
    assert broken.status_code == 422
    found = broken.json()
    assert found["errors"] == 1 and "形式" in found["issues"][0]["message_ja"]
    assert "nothing was stored" in found["detail"]
    assert send("zeimu-send", debit_file(2)).status_code == 201
    duplicate = send("zeimu-send", debit_file(2))
    assert duplicate.status_code == 409 and duplicate.json()["needs"] == ["duplicate"]
    assert len(duplicate.json()["duplicates"]) == 1 and ExchangeFile.objects.count() == 1
    assert send("zeimu-send", debit_file(2), confirm_duplicate="true").status_code == 201
    ExchangePolicy.objects.create(business=Business.objects.get(code="zeimu-furikae"), max_upload_mb=1)
    big = send("zeimu-send", b"1" * (1024 * 1024 + 100 * 1024))
    assert big.status_code == 413 and "1 MB" in big.json()["detail"]
    assert ExchangeFile.objects.count() == 2 and Blob.objects.count() == 2
    empty = send("zeimu-send", b"")
    assert empty.status_code == 422 and empty.json()["issues"][0]["message_ja"].startswith("ファイルが空です")
    missing = Client().post(UPLOAD, {"kind": "口座振替請求データ"}, **bearer("zeimu-send"))
    assert missing.status_code == 400 and "file" in missing.json()["detail"]


def test_upload_needs_the_upload_role_and_a_token(ward: Any) -> None:
    assert send("zeimu-view", debit_file()).status_code == 403
    assert send("kokuho-send", debit_file()).status_code == 403
    upload = io.BytesIO(debit_file())
    upload.name = "x.dat"
    assert Client().post(UPLOAD, {"file": upload}).status_code == 401
    assert not ExchangeFile.objects.exists()
    assert AuditEntry.objects.filter(action="api_view", outcome="denied", object=f"POST {UPLOAD}").count() == 2


def test_kind_is_required_where_a_business_has_several_outbound_kinds(ward: Any) -> None:
    upload = io.BytesIO(debit_file(header={"consignor_code": CONSIGNOR_CODES["kokuho-furikae"]}))
    upload.name = "x.dat"
    url = "/api/businesses/kokuho-furikae/files"
    response = Client().post(url, {"file": upload}, **bearer("kokuho-send"))
    assert response.status_code == 400 and "口座振替請求データ (国民健康保険)" in response.json()["detail"]
    upload.seek(0)
    later = "口座振替請求データ (後期高齢者医療)"
    response = Client().post(url, {"file": upload, "kind": later}, **bearer("kokuho-send"))
    assert response.status_code == 201 and response.json()["data_kind"] == "口座振替請求データ (後期高齢者医療)"


def test_list_detail_and_downloads_by_api(ward: Any) -> None:
    data = debit_file(5, result=True)
    file = place(inbound(), data)
    client, headers = Client(), bearer("zeimu-get")
    listed = client.get("/api/businesses/zeimu-furikae/files", {"state": "available"}, **headers).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == str(file.id)
    assert client.get(f"/api/files/{file.id}", **headers).json()["summary"]["by_result_code"]["0"]["count"] == 5

    assert client.get(f"/api/files/{file.id}/original", **headers).status_code == 405  # a GET changes nothing
    original = client.post(f"/api/files/{file.id}/original", **headers)
    assert original.status_code == 200 and body(original) == data and original["X-Kokin-SHA256"] == file.sha256
    converted = client.post(f"/api/files/{file.id}/csv?encoding=utf-8-sig", **headers)
    text = body(converted).decode("utf-8-sig")
    assert text.splitlines()[0].startswith('"batch","data_kind","bank_code"') and len(text.splitlines()) == 6
    generated = client.post(f"/api/files/{file.id}/package", **headers)
    password = generated["X-Kokin-Package-Password"]
    assert len(password) >= 16
    with pyzipper.AESZipFile(io.BytesIO(body(generated))) as zf:
        zf.setpassword(password.encode())
        assert zf.read(file.original_name) == data
    typed = client.post(
        f"/api/files/{file.id}/package",
        json.dumps({"password": "Typed-Pass-2026"}),
        content_type="application/json",
        **headers,
    )
    assert typed.status_code == 200 and "X-Kokin-Package-Password" not in typed
    with pyzipper.AESZipFile(io.BytesIO(body(typed))) as zf:
        zf.setpassword(b"Typed-Pass-2026")
        assert zf.read(file.original_name) == data
    short = client.post(
        f"/api/files/{file.id}/package", json.dumps({"password": "short"}), content_type="application/json", **headers
    )
    assert short.status_code == 400 and "12" in short.json()["detail"]
    file.refresh_from_db()
    assert file.state == State.DOWNLOADED and file.download_count == 4


def test_other_business_gets_403_and_unknown_files_404(ward: Any) -> None:
    file = place(inbound())
    headers = bearer("kokuho-send")
    for method, path in (("GET", ""), ("POST", "/original"), ("POST", "/csv")):
        response = Client().generic(method, f"/api/files/{file.id}{path}", **headers)
        assert response.status_code == 403 and "権限" in response.json()["detail"], path
    assert Client().post(f"/api/files/{file.id}/package", **headers).status_code == 403
    assert Client().get("/api/files/not-a-uuid", **headers).status_code == 404
    assert Client().get("/api/files/00000000-0000-4000-8000-000000000000", **headers).status_code == 404
    assert Client().post(f"/api/files/{file.id}/original", **bearer("zeimu-view")).status_code == 403
    file.refresh_from_db()
    assert file.download_count == 0
