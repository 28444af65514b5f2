"""The bank link against a real hub (``kokin hub serve``: gunicorn, HTTPS, mutual TLS with the hub's CA)
with real client certificates: authentication, collection of approved files with ranged resume,
resumable tus uploads (also with the independent ``tuspy`` client), routing and result matching.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kokin.formats import synth as sample
from support.exchange import collection_file, debit_file
from support.live import LiveHub

BANKLINK = "/banklink/v1"
TUS = {"Tus-Resumable": "1.0.0"}
#: the demo ward's inbound collection mailboxes (kokin.demo.ward.transfer_id_for)
COLLECTION_KINDS = {
    "ZEIMU-SHUNO-MPN1": "mpn-receipt",
    "ZEIMU-SHUNO-MPN2": "mpn-receipt",
    "ZEIMU-SHUNO-GEN1": "general-receipt",
    "ZEIMU-SHUNO-SPR1": "special-receipt",
    "ZEIMU-SHUNO-SPB1": "special-breakdown",
    "KOKUHO-SHUNO-MPN1": "mpn-receipt",
    "KOKUHO-SHUNO-GEN1": "general-receipt",
    "KOKUHO-SHUNO-GEN2": "general-receipt",
    "KAIGO-SHUNO-GEN1": "general-receipt",
    "SEISO-SHUNO-WASTE1": "general-receipt-waste",
}


class Bank:
    def __init__(
        self, hub: LiveHub, name: str, folder: Path, networks: str = "127.0.0.1/32,::1/128", **scope: Any
    ) -> None:
        self.hub = hub
        self.name = name
        self.cert, self.key, self.token = hub.create_bank_account(name, folder, networks=networks, **scope)

    def http(self, **kw: Any) -> httpx.Client:
        return self.hub.client(self.cert, self.key, self.token, **kw)

    def create(self, http: httpx.Client, data: bytes, transfer_id: str, bank_file_id: str, sha: str = "") -> Any:
        meta = {
            "filename": f"{bank_file_id}.dat",
            "transfer_id": transfer_id,
            "bank_file_id": bank_file_id,
            "sha256": sha or hashlib.sha256(data).hexdigest(),
        }
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
        return http.post(
            f"{BANKLINK}/uploads", headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": encoded}
        )

    def patch(self, http: httpx.Client, location: str, data: bytes, offset: int) -> Any:
        headers = {**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
        return http.patch(location, content=data, headers=headers)

    def send(self, data: bytes, transfer_id: str, bank_file_id: str, chunk: int = 4096) -> Any:
        with self.http() as http:
            created = self.create(http, data, transfer_id, bank_file_id)
            assert created.status_code == 201, created.text
            location = created.headers["Location"]
            offset = int(created.headers["Upload-Offset"])
            answer = created
            while offset < len(data):
                answer = self.patch(http, location, data[offset : offset + chunk], offset)
                assert answer.status_code == 204, answer.text
                offset = int(answer.headers["Upload-Offset"])
            return answer, http.get(location).json()


_count = iter(range(1_000_000))


@pytest.fixture
def bank(live_hub: LiveHub, tmp_path: Path) -> Bank:
    return Bank(live_hub, f"bank{next(_count)}-{tmp_path.name[-8:]}".replace("_", "-"), tmp_path / "bank")


def foreign_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed client certificate the hub's CA did not issue."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intruder")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "intruder.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "intruder.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "intruder.crt", folder / "intruder.key"


# --- authentication ------------------------------------------------------------------------------


def test_auth_matrix_over_mutual_tls_each_refusal_answered_and_logged(
    live_hub: LiveHub, bank: Bank, tmp_path: Path
) -> None:
    before = {e["seq"] for e in live_hub.audit("banklink_auth", last=500)}
    with bank.http() as http:
        assert http.get(f"{BANKLINK}/files").status_code == 200
    with live_hub.client(None, None, bank.token) as http:  # no certificate
        assert http.get(f"{BANKLINK}/files").status_code == 403
    other = Bank(live_hub, f"{bank.name}-other", tmp_path / "other")
    with live_hub.client(other.cert, other.key, bank.token) as http:  # another account's certificate
        refused = http.get(f"{BANKLINK}/files")
        assert refused.status_code == 403 and "certificate" in refused.json()["error"]["en"]
    with live_hub.client(bank.cert, bank.key, bank.token[:-3] + "abc") as http:  # a wrong token
        assert http.get(f"{BANKLINK}/files").status_code == 401
    with live_hub.client(bank.cert, bank.key) as http:  # no token
        assert http.get(f"{BANKLINK}/files").status_code == 401
    far = Bank(live_hub, f"{bank.name}-far", tmp_path / "far", networks="192.0.2.0/24")
    with far.http() as http:  # an address outside the account's allow-list
        assert http.get(f"{BANKLINK}/files").status_code == 403
    cert, key = foreign_certificate(tmp_path / "intruder")
    with live_hub.client(cert, key, bank.token) as http, pytest.raises(httpx.TransportError):
        http.get(f"{BANKLINK}/files")  # the TLS handshake refuses a certificate the CA did not issue
    live_hub.run("banklink", "account", "revoke", other.name)
    with other.http() as http:
        assert http.get(f"{BANKLINK}/files").status_code == 403
    new = [e for e in live_hub.audit("banklink_auth", last=500) if e["seq"] not in before]
    assert [e["detail"]["reason"] for e in new] == [
        "no_certificate",
        "certificate",
        "bad_token",
        "no_token",
        "address",
        "inactive",
    ]
    assert all(e["outcome"] == "denied" and e["client_ip"] == "127.0.0.1" for e in new)
    assert new[1]["cert_fingerprint"] and new[1]["actor"] == f"bank:{bank.name}"


# --- files for the bank --------------------------------------------------------------------------


def test_collect_an_approved_request_resuming_with_range_then_ack(live_hub: LiveHub, bank: Bank) -> None:
    file_id = live_hub.approve_debit_request(records=200)
    with bank.http() as http:
        listed = {f["id"]: f for f in http.get(f"{BANKLINK}/files").json()["files"]}
        entry = listed[file_id]
        assert entry["transfer_id"] == "ZEIMU-FURIKAE-REQ1" and entry["reply_transfer_id"] == "ZEIMU-FURIKAE-RES1"
        got = b""
        with http.stream("GET", f"{BANKLINK}/files/{file_id}") as response:  # the line is cut after 5000 bytes
            assert response.status_code == 200 and response.headers["ETag"] == f'"{entry["sha256"]}"'
            for chunk in response.iter_bytes(1000):
                got += chunk
                if len(got) >= 5000:
                    break
        rest = http.get(
            f"{BANKLINK}/files/{file_id}", headers={"Range": f"bytes={len(got)}-", "If-Range": f'"{entry["sha256"]}"'}
        )
        assert rest.status_code == 206
        assert rest.headers["Content-Range"] == f"bytes {len(got)}-{entry['size'] - 1}/{entry['size']}"
        data = got + rest.content
        digest = hashlib.sha256(data)
        assert digest.hexdigest() == entry["sha256"] and len(data) == entry["size"]
        assert rest.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"
        bad = http.get(f"{BANKLINK}/files/{file_id}", headers={"Range": f"bytes={entry['size']}-"})
        assert bad.status_code == 416
        body = {"sha256": entry["sha256"], "bytes": len(data), "duration_ms": 40, "retries": 1}
        assert http.post(f"{BANKLINK}/files/{file_id}/ack", json=body).json() == {
            "state": "collected",
            "file_id": file_id,
        }
        assert http.post(f"{BANKLINK}/files/{file_id}/ack", json=body).status_code == 200
        assert file_id not in {f["id"] for f in http.get(f"{BANKLINK}/files").json()["files"]}
    assert bank.name in live_hub.run("banklink", "history", "--limit", "200")
    collected = [e for e in live_hub.audit("exchange_collect", last=50) if e["object"] == f"file:{file_id}"]
    assert len(collected) == 1 and collected[0]["actor"] == f"bank:{bank.name}"


MALFORMED_RANGES: list[str | bytes] = [
    "bytes=" + "9" * 5000 + "-",  # a start of 5,000 digits (Python's int() refuses more than 4,300)
    "bytes=" + "9" * 5000 + "-" + "9" * 2000,
    "bytes=9999999999999999999999-",
    "bytes=7-3",  # reversed
    "bytes=0-1,5-9",  # several ranges
    "bytes=--5",  # negative
    "bytes=-0",
    "bytes=abc-",
    "lines=0-9",
    "garbage",
    b"bytes=\xb9-",  # a Latin-1 superscript one
]


def test_every_malformed_or_unsatisfiable_range_is_416_with_the_size(live_hub: LiveHub, bank: Bank) -> None:
    file_id = live_hub.approve_debit_request(records=7)
    with bank.http() as http:
        size = next(f["size"] for f in http.get(f"{BANKLINK}/files").json()["files"] if f["id"] == file_id)
        for header in [*MALFORMED_RANGES, f"bytes={size}-", f"bytes={size + 10}-{size + 20}"]:
            answer = http.get(f"{BANKLINK}/files/{file_id}", headers={"Range": header})
            assert answer.status_code == 416, (header[:40], answer.status_code, answer.text[:200])
            assert answer.headers["Content-Range"] == f"bytes */{size}"
            assert answer.json()["error"]["en"] == "the requested range cannot be served"
        # a last position or suffix of thousands of digits means "to the end" (RFC 9110 §14.1.2)
        whole = http.get(f"{BANKLINK}/files/{file_id}", headers={"Range": "bytes=0-" + "9" * 5000})
        assert whole.status_code == 206 and whole.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
        tail = http.get(f"{BANKLINK}/files/{file_id}", headers={"Range": "bytes=-" + "9" * 5000})
        assert tail.status_code == 206 and tail.content == whole.content


def _listed(bank: Bank) -> dict[str, str]:
    """The files the bank is offered: id → transfer ID."""
    with bank.http() as http:
        answer = http.get(f"{BANKLINK}/files")
        assert answer.status_code == 200, answer.text
        return {f["id"]: f["transfer_id"] for f in answer.json()["files"]}


def test_each_bank_account_sees_and_collects_only_the_files_of_the_businesses_it_serves(
    live_hub: LiveHub, tmp_path: Path
) -> None:
    zeimu = Bank(live_hub, f"scope-zeimu-{tmp_path.name[-6:]}", tmp_path / "zeimu", businesses=["zeimu-furikae"])
    kokuho = Bank(live_hub, f"scope-kokuho-{tmp_path.name[-6:]}", tmp_path / "kokuho", businesses=["kokuho-furikae"])
    nothing = Bank(live_hub, f"scope-none-{tmp_path.name[-6:]}", tmp_path / "none", businesses=[])
    zeimu_file = live_hub.approve_debit_request(records=8)
    kokuho_file = live_hub.approve_debit_request(
        records=9, transfer_id="KOKUHO-FURIKAE-REQ1", sender="kokuho-send", approver="kokuho-approve"
    )

    zeimu_sees, kokuho_sees = _listed(zeimu), _listed(kokuho)
    assert zeimu_file in zeimu_sees and kokuho_file not in zeimu_sees
    assert kokuho_file in kokuho_sees and zeimu_file not in kokuho_sees
    assert set(zeimu_sees.values()) <= {"ZEIMU-FURIKAE-REQ1"}
    assert set(kokuho_sees.values()) <= {"KOKUHO-FURIKAE-REQ1", "KOKUHO-FURIKAE-REQ2"}
    assert _listed(nothing) == {}  # an account that serves nothing is offered nothing

    before = {e["seq"] for e in live_hub.audit("banklink_download", last=500)}
    with zeimu.http() as http:
        assert http.get(f"{BANKLINK}/files/{zeimu_file}").status_code == 200
        # another business's file is answered exactly as a file that does not exist
        theirs = http.get(f"{BANKLINK}/files/{kokuho_file}")
        unknown = http.get(f"{BANKLINK}/files/00000000-0000-4000-8000-000000000000")
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json() == unknown.json()
        assert http.get(f"{BANKLINK}/files/{kokuho_file}", headers={"Range": "bytes=0-9"}).status_code == 404
        ack = http.post(f"{BANKLINK}/files/{kokuho_file}/ack", json={"sha256": "0" * 64})
        assert ack.status_code == 404
        # and no upload into another business's mailbox: as unknown as a transfer ID that does not exist
        data = collection_file("general-receipt", 3)
        refused = zeimu.create(http, data, "KOKUHO-SHUNO-GEN1", f"scope-{tmp_path.name[-6:]}")
        assert refused.status_code == 400 and "unknown transfer ID" in refused.json()["error"]["en"]
    with nothing.http() as http:
        assert http.get(f"{BANKLINK}/files/{zeimu_file}").status_code == 404
    with kokuho.http() as http:
        assert http.get(f"{BANKLINK}/files/{kokuho_file}").status_code == 200

    denied = [
        e for e in live_hub.audit("banklink_download", last=500) if e["seq"] not in before and e["outcome"] == "denied"
    ]
    assert [(e["actor"], e["object"], e["detail"]["reason"]) for e in denied] == [
        (f"bank:{zeimu.name}", f"file:{kokuho_file}", "out_of_scope"),
        (f"bank:{zeimu.name}", f"file:{kokuho_file}", "out_of_scope"),
        (f"bank:{nothing.name}", f"file:{zeimu_file}", "out_of_scope"),
    ]
    (ack_denied,) = [e for e in live_hub.audit("banklink_ack", last=50) if e["outcome"] == "denied"][-1:]
    assert (ack_denied["actor"], ack_denied["object"]) == (f"bank:{zeimu.name}", f"file:{kokuho_file}")
    upload_denied = [e for e in live_hub.audit("banklink_upload_create", last=50) if e["outcome"] == "denied"][-1]
    assert (upload_denied["actor"], upload_denied["object"]) == (f"bank:{zeimu.name}", "transfer_id:KOKUHO-SHUNO-GEN1")
    assert (
        live_hub.python(
            f"from kokin.exchange.models import ExchangeFile; print(ExchangeFile.objects.get(pk={kokuho_file!r}).state)"
        ).strip()
        == "approved"
    )  # the refused ack changed nothing


def test_an_account_serving_a_transfer_id_serves_that_mailbox_and_its_result_kind(
    live_hub: LiveHub, tmp_path: Path
) -> None:
    bank = Bank(
        live_hub,
        f"scope-tid-{tmp_path.name[-6:]}",
        tmp_path / "tid",
        businesses=[],
        transfer_ids=["KAIGO-FURIKAE-REQ1"],
    )
    kaigo_file = live_hub.approve_debit_request(
        records=6, transfer_id="KAIGO-FURIKAE-REQ1", sender="kaigo-send", approver="kaigo-approve"
    )
    zeimu_file = live_hub.approve_debit_request(records=10)
    seen = _listed(bank)
    assert kaigo_file in seen and zeimu_file not in seen and set(seen.values()) == {"KAIGO-FURIKAE-REQ1"}
    data = debit_file(6)
    with bank.http() as http:
        result = bank.create(http, data, "KAIGO-FURIKAE-RES1", f"tid-{tmp_path.name[-6:]}")
        assert result.status_code == 201, result.text  # the request's result kind comes with it
        assert http.delete(result.headers["Location"], headers=TUS).status_code == 204
        other = bank.create(http, data, "KAIGO-SHUNO-GEN1", f"tid2-{tmp_path.name[-6:]}")
        assert other.status_code == 400
    shown = live_hub.run("banklink", "account", "show", bank.name)
    assert "KAIGO-FURIKAE-REQ1" in shown and "KAIGO-FURIKAE-RES1" in shown


# --- files from the bank -------------------------------------------------------------------------


def _cut_patch(hub: LiveHub, bank: Bank, location: str, data: bytes, offset: int, declared: int) -> None:
    """A PATCH announcing ``declared`` bytes whose connection dies after ``data``."""
    context = hub.ssl_context(bank.cert, bank.key)
    with (
        socket.create_connection(("127.0.0.1", hub.port)) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        head = (
            f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\nAuthorization: Bearer {bank.token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {declared}\r\n\r\n"
        )
        tls.sendall(head.encode("ascii") + data)
        # the body stops here: the end of the stream, without the rest of the body. Not a bare close:
        # with the server's unread TLS session tickets in our buffer, close() sends a reset, which may
        # drop what was sent before the server read it (a race on a freshly started worker)
        socket.socket.shutdown(tls, socket.SHUT_WR)
        tls.settimeout(30)
        with contextlib.suppress(OSError):
            while tls.recv(65536):  # the server's answer, until it closes
                pass


def wait_offset(http: httpx.Client, location: str, at_least: int) -> int:
    """The server's offset once the cut PATCH's part is recorded (polled, the server finishes it after the cut)."""
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        offset = int(http.head(location, headers=TUS).headers["Upload-Offset"])
        if offset >= at_least:
            return offset
        time.sleep(0.05)
    raise AssertionError(f"the offset never reached {at_least}")


def test_tus_upload_in_chunks_resumes_after_a_cut_connection(live_hub: LiveHub, bank: Bank) -> None:
    data = sample.generate("mpn-receipt", 300, seed=11)[0]
    with bank.http() as http:
        created = bank.create(http, data, "ZEIMU-SHUNO-MPN1", "cut-1")
        location = created.headers["Location"]
        assert bank.patch(http, location, data[:10_000], 0).headers["Upload-Offset"] == "10000"
        _cut_patch(live_hub, bank, location, data[10_000:30_000], 10_000, len(data) - 10_000)
        offset = wait_offset(http, location, 30_000)
        assert offset == 30_000  # what arrived before the cut is kept
        assert bank.patch(http, location, data[:5], 0).status_code == 409  # not the server's offset
        last = bank.patch(http, location, data[offset:], offset)
        assert last.status_code == 204 and last.headers["Kokin-Outcome"] == "stored"
        status = http.get(location).json()
        assert status["outcome"] == "stored" and status["offset"] == len(data) == status["length"]


def test_a_whole_file_patch_cut_in_the_middle_keeps_what_arrived_and_resumes(live_hub: LiveHub, bank: Bank) -> None:
    data = sample.generate("mpn-receipt", 3000, seed=13)[0]
    temp = live_hub.home / "tmp" / "uploads"
    with bank.http() as http:
        created = bank.create(http, data, "ZEIMU-SHUNO-MPN1", "cut-whole-1")
        location = created.headers["Location"]
        # the whole file announced in one PATCH (the agent's way), the connection dies after 40,000 bytes
        _cut_patch(live_hub, bank, location, data[:40_000], 0, len(data))
        offset = wait_offset(http, location, 40_000)
        assert offset == 40_000
        assert not list(temp.glob("banklink-*"))  # the plaintext of the cut PATCH is gone
        last = bank.patch(http, location, data[offset:], offset)
        assert last.status_code == 204 and last.headers["Kokin-Outcome"] == "stored"
        status = http.get(location).json()
        assert status["outcome"] == "stored" and status["offset"] == len(data)
        whole = bank.create(http, data[::-1], "ZEIMU-SHUNO-MPN1", "whole-1")  # not a valid file: rejected
        answer = bank.patch(http, whole.headers["Location"], data[::-1], 0)
        assert answer.status_code == 204 and answer.headers["Kokin-Outcome"] == "rejected"
    assert not list(temp.glob("banklink-*"))


def test_resend_with_the_same_bank_file_id_stores_one_file_other_content_409_wrong_sha_460(bank: Bank) -> None:
    data = sample.generate("general-receipt", 50, seed=12)[0]
    answer, status = bank.send(data, "ZEIMU-SHUNO-GEN1", "idem-1")
    assert answer.headers["Kokin-Outcome"] == "stored"
    with bank.http() as http:
        again = bank.create(http, data, "ZEIMU-SHUNO-GEN1", "idem-1")
        assert again.status_code == 201 and again.headers["Location"].endswith(status["id"])
        assert again.headers["Upload-Offset"] == str(len(data)) and again.headers["Kokin-File-Id"] == status["file_id"]
        other = bank.create(http, data[:-1] + b" ", "ZEIMU-SHUNO-GEN1", "idem-1")
        assert other.status_code == 409
        wrong = bank.create(http, data, "ZEIMU-SHUNO-GEN1", "sha-1", sha="0" * 64)
        answer = bank.patch(http, wrong.headers["Location"], data, 0)
        assert answer.status_code == 460 and answer.headers["Upload-Offset"] == "0"
        deleted = bank.create(http, data, "ZEIMU-SHUNO-GEN1", "del-1")
        bank.patch(http, deleted.headers["Location"], data[:100], 0)
        assert http.delete(deleted.headers["Location"], headers=TUS).status_code == 204
        assert http.head(deleted.headers["Location"], headers=TUS).status_code == 404


def test_each_collection_kind_is_routed_to_its_mailbox(live_hub: LiveHub, bank: Bank) -> None:
    stored = {}
    for n, (transfer_id, fmt) in enumerate(COLLECTION_KINDS.items()):
        data = sample.generate(fmt, 8, seed=1000 + n)[0]
        _, status = bank.send(data, transfer_id, f"route-{transfer_id}")
        assert status["outcome"] == "stored", status["errors"][:3]
        stored[status["file_id"]] = transfer_id
    code = (
        "from kokin.exchange.models import ExchangeFile\n"
        f"for f in ExchangeFile.objects.filter(pk__in={list(stored)!r}).select_related('data_kind'):\n"
        "    print('KIND', f.id, f.data_kind.transfer_id)\n"
    )
    found = dict(line.split()[1:] for line in live_hub.python(code).splitlines() if line.startswith("KIND "))
    assert found == stored


def test_a_debit_result_is_stored_only_if_it_matches_the_collected_request(live_hub: LiveHub, bank: Bank) -> None:
    file_id = live_hub.approve_debit_request(records=6)
    rejected_early, _ = bank.send(debit_file(6, result=True), "ZEIMU-FURIKAE-RES1", "early-1")
    assert rejected_early.headers["Kokin-Outcome"] == "rejected"  # the bank has not collected it yet
    with bank.http() as http:
        data = http.get(f"{BANKLINK}/files/{file_id}").content
        http.post(f"{BANKLINK}/files/{file_id}/ack", json={"sha256": hashlib.sha256(data).hexdigest()})
    _, wrong = bank.send(debit_file(6, result=True, amount=777), "ZEIMU-FURIKAE-RES1", "res-wrong")
    assert wrong["outcome"] == "rejected"
    assert wrong["errors"][0]["record"] == 2 and wrong["errors"][0]["field"] == "amount"
    assert "record 2: amount" in wrong["errors"][0]["message_en"]
    _, right = bank.send(debit_file(6, result=True), "ZEIMU-FURIKAE-RES1", "res-right")
    assert right["outcome"] == "stored" and right["file_id"]


def test_an_independent_tus_client_tuspy_uploads_to_the_hub(
    live_hub: LiveHub, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from tusclient.client import TusClient

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(live_hub.ca_cert))  # requests verifies against the hub's CA
    data = collection_file("special-receipt", 40)
    client = TusClient(
        f"{live_hub.url}{BANKLINK}/uploads",
        headers={"Authorization": f"Bearer {bank.token}"},
        client_cert=(str(bank.cert), str(bank.key)),
    )
    uploader = client.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=1024,
        metadata={
            "filename": "tokucho.dat",
            "transfer_id": "ZEIMU-SHUNO-SPR1",
            "bank_file_id": "tuspy-1",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    uploader.upload()
    assert uploader.offset == len(data)
    with bank.http() as http:
        status = http.get(uploader.url).json()
    assert status["outcome"] == "stored" and status["filename"] == "tokucho.dat"


# --- a hub killed in the middle of an upload ------------------------------------------------------


@pytest.fixture
def own_hub(tmp_path: Path) -> Iterator[LiveHub]:
    hub = LiveHub(tmp_path / "hub")
    try:
        yield hub.start()
    finally:
        hub.close()


def test_an_upload_resumes_after_the_hub_is_killed_and_restarted(own_hub: LiveHub, tmp_path: Path) -> None:
    bank = Bank(own_hub, "survivor", tmp_path / "bank")
    data = sample.generate("general-receipt", 200, seed=21)[0]
    with bank.http() as http:
        location = bank.create(http, data, "KOKUHO-SHUNO-GEN1", "crash-1").headers["Location"]
        bank.patch(http, location, data[:20_000], 0)
    own_hub.kill()
    own_hub.start()
    with bank.http() as http:
        offset = int(http.head(location, headers=TUS).headers["Upload-Offset"])
        assert offset == 20_000
        last = bank.patch(http, location, data[offset:], offset)
        assert last.headers["Kokin-Outcome"] == "stored"
