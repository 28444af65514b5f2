"""The bank link in process (Django test client): tus uploads, routing, files for the bank, refusals of
operators, the ``kokin banklink`` commands. The TLS layer is stood in for by the fingerprint that
:mod:`kokin.web.wsgi` would put into the request; tests/hub/banklink/test_live.py does it for real.
"""

from __future__ import annotations

import base64
import hashlib
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client

from kokin.accounts.actors import bank_actor, user_actor
from kokin.accounts.models import Business, DataKind, User
from kokin.audit.models import AuditEntry
from kokin.banklink import accounts, uploads
from kokin.banklink._common import CHUNK
from kokin.banklink.models import BankAccount, BankTransfer, BankUpload, BankUploadPart
from kokin.cli import main as cli
from kokin.exchange import services as exchange
from kokin.exchange.errors import Refused
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats import synth as sample
from kokin.vault.models import Blob
from kokin.vault.services import read_all
from kokin.web.wsgi import FINGERPRINT_KEY
from support.exchange import TEST_ACTOR, debit_file, operator, upload

from ..test_role_matrix import PRINCIPALS

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


class Bank:
    """A bank account and a test client that presents its certificate fingerprint and token."""

    def __init__(self, tmp: Path, name: str = "bank", networks: str = "127.0.0.0/8") -> None:
        made = accounts.create_account(
            name=name,
            networks=networks,
            folder=tmp / name,
            actor=TEST_ACTOR,
            businesses=list(Business.objects.values_list("code", flat=True)),
        )
        self.account = made.account
        self.token = made.token
        self.folder = tmp / name
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {made.token}", FINGERPRINT_KEY: made.account.cert_fingerprint}

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get(path, **{**self.auth, **extra})

    def call(self, method: str, path: str, data: bytes = b"", content_type: str = "", **extra: Any) -> Any:
        return self.client.generic(method, path, data, content_type or "application/octet-stream", **self.auth, **extra)

    def create(self, data: bytes, transfer_id: str, bank_file_id: str, sha256: str | None = None) -> Any:
        meta = {
            "filename": "kekka.dat",
            "transfer_id": transfer_id,
            "bank_file_id": bank_file_id,
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
        }
        header = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
        return self.call(
            "POST", "/banklink/v1/uploads", HTTP_UPLOAD_LENGTH=str(len(data)), HTTP_UPLOAD_METADATA=header, **TUS
        )

    def patch(self, location: str, data: bytes, offset: int) -> Any:
        return self.call(
            "PATCH", location, data, "application/offset+octet-stream", HTTP_UPLOAD_OFFSET=str(offset), **TUS
        )

    def send(self, data: bytes, transfer_id: str, bank_file_id: str, *, chunk: int = 1 << 20) -> Any:
        created = self.create(data, transfer_id, bank_file_id)
        assert created.status_code == 201, created.content
        location = created["Location"]
        offset = int(created["Upload-Offset"])
        answer = created
        while offset < len(data):
            answer = self.patch(location, data[offset : offset + chunk], offset)
            assert answer.status_code == 204, answer.content
            offset = int(answer["Upload-Offset"])
        return answer


@pytest.fixture
def bank(ward: Any, tmp_path: Path) -> Bank:
    return Bank(tmp_path)


def collected_request(records: int = 4) -> ExchangeFile:
    kind = DataKind.objects.get(transfer_id="ZEIMU-FURIKAE-REQ1")
    file = upload(kind, User.objects.get(username="zeimu-send"), debit_file(records))
    exchange.approve(file=file, actor=operator("zeimu-approve"))
    return file


# --- authentication ------------------------------------------------------------------------------


def test_every_request_needs_token_certificate_and_address_and_refusals_are_logged(bank: Bank, tmp_path: Path) -> None:
    assert bank.get("/banklink/v1/files").status_code == 200
    no_token = Client().get("/banklink/v1/files", **{FINGERPRINT_KEY: bank.account.cert_fingerprint})
    assert no_token.status_code == 401 and "WWW-Authenticate" in no_token
    assert no_token.json()["error"]["ja"] and no_token.json()["error"]["en"]
    wrong = bank.get("/banklink/v1/files", HTTP_AUTHORIZATION=bank.auth["HTTP_AUTHORIZATION"][:-2] + "xx")
    assert wrong.status_code == 401
    other = Bank(tmp_path, "other")
    swapped = bank.get("/banklink/v1/files", **{FINGERPRINT_KEY: other.account.cert_fingerprint})
    assert swapped.status_code == 403
    far = bank.get("/banklink/v1/files", REMOTE_ADDR="192.0.2.7")
    assert far.status_code == 403 and "address" in far.json()["error"]["en"]
    accounts.revoke_account(name="bank", actor=TEST_ACTOR)
    assert bank.get("/banklink/v1/files").status_code == 403
    denied = list(AuditEntry.objects.filter(action="banklink_auth").order_by("seq"))
    assert [e.detail["reason"] for e in denied] == ["no_token", "bad_token", "certificate", "address", "inactive"]
    assert all(e.outcome == "denied" for e in denied)
    assert denied[3].client_ip == "192.0.2.7" and denied[4].actor == "bank:bank"


def endpoints_for_refusal() -> list[tuple[str, str]]:
    some = "00000000-0000-0000-0000-000000000000"
    return [
        ("GET", "/banklink/v1/files"),
        ("GET", f"/banklink/v1/files/{some}"),
        ("POST", f"/banklink/v1/files/{some}/ack"),
        ("OPTIONS", "/banklink/v1/uploads"),
        ("POST", "/banklink/v1/uploads"),
        ("HEAD", f"/banklink/v1/uploads/{some}"),
        ("PATCH", f"/banklink/v1/uploads/{some}"),
        ("GET", f"/banklink/v1/uploads/{some}"),
        ("DELETE", f"/banklink/v1/uploads/{some}"),
    ]


@pytest.mark.parametrize("username", PRINCIPALS)
def test_operators_of_every_role_are_refused_on_the_bank_link(username: str, login_as: Any) -> None:
    from kokin.api.services import create_token

    if username == "anonymous":
        clients = [(Client(), {})]
    else:
        _, token = create_token(user=User.objects.get(username=username), name="banklink refusal")
        clients = [(login_as(username), {}), (Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"})]
    for client, headers in clients:
        for method, path in endpoints_for_refusal():
            response = client.generic(method, path, **headers)
            assert response.status_code == 401, (method, path, response.status_code)


def test_a_bank_account_can_do_nothing_in_the_operator_ui_or_api(bank: Bank) -> None:
    assert bank.get("/api/me").status_code == 401
    for page in ("/", "/files/", "/audit/", "/manage/"):
        response = bank.get(page)
        to_login = response.status_code == 302 and "/login/" in response["Location"]
        assert to_login or response.status_code == 403, page


# --- files for the bank --------------------------------------------------------------------------


def test_files_list_download_range_and_idempotent_ack(bank: Bank) -> None:
    file = collected_request()
    data = read_all(file.blob)
    listed = bank.get("/banklink/v1/files").json()["files"]
    assert [f["id"] for f in listed] == [str(file.id)]
    entry = listed[0]
    assert entry["transfer_id"] == "ZEIMU-FURIKAE-REQ1" and entry["reply_transfer_id"] == "ZEIMU-FURIKAE-RES1"
    assert entry["sha256"] == file.sha256 and entry["records"] == 4 and entry["debit_date"]
    whole = bank.get(f"/banklink/v1/files/{file.id}")
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == data
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert whole["ETag"] == f'"{file.sha256}"' and whole["Repr-Digest"] == f"sha-256=:{digest}:"
    assert whole["Digest"] == f"SHA-256={digest}" and whole["Accept-Ranges"] == "bytes"
    assert whole["Kokin-Transfer-Id"] == "ZEIMU-FURIKAE-REQ1"
    part = bank.get(f"/banklink/v1/files/{file.id}", HTTP_RANGE="bytes=130-249")
    assert part.status_code == 206 and b"".join(part.streaming_content) == data[130:250]
    assert part["Content-Range"] == f"bytes 130-249/{len(data)}" and part["Content-Length"] == "120"
    tail = bank.get(f"/banklink/v1/files/{file.id}", HTTP_RANGE="bytes=300-")
    assert b"".join(tail.streaming_content) == data[300:]
    assert bank.get(f"/banklink/v1/files/{file.id}", HTTP_RANGE=f"bytes={len(data)}-").status_code == 416

    def ack(sha: str) -> Any:
        body = f'{{"sha256": "{sha}", "bytes": {len(data)}, "duration_ms": 12, "retries": 1}}'.encode()
        return bank.call("POST", f"/banklink/v1/files/{file.id}/ack", body, "application/json")

    assert ack("0" * 64).status_code == 409
    file.refresh_from_db()
    assert file.state == State.APPROVED
    assert ack(file.sha256).json()["state"] == "collected"
    assert ack(file.sha256).status_code == 200  # again: idempotent
    file.refresh_from_db()
    assert file.state == State.COLLECTED and file.collected_by == "bank:bank"
    assert bank.get("/banklink/v1/files").json()["files"] == []
    assert bank.get(f"/banklink/v1/files/{file.id}").status_code == 404
    rows = list(BankTransfer.objects.order_by("pk").values_list("direction", "outcome", "retries", "duration_ms"))
    assert rows == [("to_bank", "failed", 1, 12), ("to_bank", "collected", 1, 12)]


def test_an_approval_cannot_be_withdrawn_once_the_bank_began_to_fetch_the_file(bank: Bank) -> None:
    file = collected_request()
    approver = User.objects.get(username="zeimu-approve")
    part = bank.get(f"/banklink/v1/files/{file.id}", HTTP_RANGE="bytes=0-119")
    assert part.status_code == 206
    with pytest.raises(Refused) as err:
        exchange.withdraw_approval(file=file, actor=user_actor(approver), reason="引落日の誤り")
    assert "金融機関がファイルの取得を始めているため" in err.value.message_ja
    file.refresh_from_db()
    assert file.state == State.APPROVED and file.approved_by == approver
    denied = AuditEntry.objects.filter(action="approval_withdraw").latest("seq")
    assert denied.outcome == "denied" and denied.object == f"file:{file.id}"


# --- files from the bank (tus) -------------------------------------------------------------------


def collection(kind: DataKind, records: int = 30) -> bytes:
    return sample.generate(kind.format, records, seed=kind.pk + 7)[0]


def test_options_announce_tus_1_0_0_with_creation_and_termination(bank: Bank) -> None:
    response = bank.call("OPTIONS", "/banklink/v1/uploads")
    assert response.status_code == 204 and response["Tus-Version"] == "1.0.0"
    assert response["Tus-Extension"] == "creation,termination" and int(response["Tus-Max-Size"]) > 0
    assert response["Tus-Resumable"] == "1.0.0"


def test_upload_in_several_chunks_is_checked_and_routed_by_transfer_id(bank: Bank) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1")
    data = collection(kind)
    created = bank.create(data, kind.transfer_id or "", "B-0001")
    assert created.status_code == 201 and created["Upload-Offset"] == "0"
    location = created["Location"]
    assert re.fullmatch(r"/banklink/v1/uploads/[0-9a-f-]{36}", location)
    first = bank.patch(location, data[:1000], 0)
    assert first.status_code == 204 and first["Upload-Offset"] == "1000" and "Kokin-Outcome" not in first
    head = bank.call("HEAD", location, **TUS)
    assert head["Upload-Offset"] == "1000" and head["Upload-Length"] == str(len(data))
    assert head["Cache-Control"] == "no-store"
    # parts are kept encrypted in the vault
    part = BankUploadPart.objects.get()
    assert part.size == 1000 and data[:1000] not in Path(part.blob.backend).as_posix().encode()
    assert read_all(part.blob) == data[:1000]
    wrong = bank.patch(location, data[2000:3000], 2000)
    assert wrong.status_code == 409 and wrong["Upload-Offset"] == "1000"
    bank.patch(location, data[1000:2000], 1000)
    last = bank.patch(location, data[2000:], 2000)
    assert last.status_code == 204 and last["Kokin-Outcome"] == "stored"
    file = ExchangeFile.objects.get(pk=last["Kokin-File-Id"])
    assert file.data_kind == kind and file.state == State.AVAILABLE and read_all(file.blob) == data
    assert file.received_by == "bank:bank"
    assert not BankUploadPart.objects.exists()  # the parts are shredded once the file is stored
    status = bank.get(location).json()
    assert status["outcome"] == "stored" and status["file_id"] == str(file.id) and status["offset"] == len(data)
    transfer = BankTransfer.objects.get()
    assert (transfer.direction, transfer.outcome, transfer.bytes, transfer.bank_file_id) == (
        "from_bank",
        "stored",
        len(data),
        "B-0001",
    )
    actions = list(AuditEntry.objects.filter(action__startswith="banklink_upload").values_list("action", flat=True))
    assert actions == ["banklink_upload_create", *["banklink_upload_part"] * 3, "banklink_upload_finish"]


def test_the_same_bank_file_id_twice_stores_one_file_and_other_content_is_409(bank: Bank) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-GEN1")
    data = collection(kind)
    bank.send(data, kind.transfer_id or "", "B-7")
    again = bank.create(data, kind.transfer_id or "", "B-7")
    assert again.status_code == 201 and again["Upload-Offset"] == str(len(data))
    assert again["Kokin-Outcome"] == "stored" and ExchangeFile.objects.count() == 1
    other = bank.create(data + b"", kind.transfer_id or "", "B-7", sha256="a" * 64)
    assert other.status_code == 409 and "bank_file_id" in other.json()["error"]["en"]


def test_a_wrong_sha256_answers_460_and_the_upload_starts_again_at_zero(bank: Bank) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-SPR1")
    data = collection(kind)
    created = bank.create(data, kind.transfer_id or "", "B-460", sha256=hashlib.sha256(b"other").hexdigest())
    answer = bank.patch(created["Location"], data, 0)
    assert answer.status_code == 460 and answer["Upload-Offset"] == "0"
    assert "SHA-256" in answer.json()["error"]["ja"]
    assert bank.call("HEAD", created["Location"], **TUS)["Upload-Offset"] == "0"
    assert not ExchangeFile.objects.exists() and not BankUploadPart.objects.exists()
    assert BankTransfer.objects.get().outcome == "failed"


def test_termination_drops_an_unfinished_upload_with_its_parts(bank: Bank) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-SPB1")
    data = collection(kind)
    created = bank.create(data, kind.transfer_id or "", "B-del")
    bank.patch(created["Location"], data[:500], 0)
    blob = BankUploadPart.objects.get().blob_id
    assert bank.call("DELETE", created["Location"], **TUS).status_code == 204
    assert bank.call("HEAD", created["Location"], **TUS).status_code == 404
    assert Blob.objects.get(pk=blob).shredded_at is not None and not BankUpload.objects.exists()
    assert BankTransfer.objects.get().outcome == "cancelled"


def test_tus_requests_need_tus_resumable_and_valid_metadata(bank: Bank) -> None:
    missing = bank.call("POST", "/banklink/v1/uploads", HTTP_UPLOAD_LENGTH="10")
    assert missing.status_code == 412 and missing["Tus-Version"] == "1.0.0"
    no_meta = bank.call("POST", "/banklink/v1/uploads", HTTP_UPLOAD_LENGTH="10", **TUS)
    assert no_meta.status_code == 400 and "bank_file_id" in no_meta.json()["error"]["en"]
    outbound = bank.create(b"x" * 10, "ZEIMU-FURIKAE-REQ1", "B-out")
    assert outbound.status_code == 400 and "to the bank" in outbound.json()["error"]["en"]
    assert bank.create(b"x" * 10, "NO-SUCH-ID", "B-none").status_code == 400


def test_every_collection_kind_is_routed_to_its_mailbox(bank: Bank) -> None:
    kinds = DataKind.objects.filter(direction="inbound").exclude(format="zengin-debit").order_by("pk")
    for kind in kinds:
        answer = bank.send(collection(kind, 5), kind.transfer_id or "", f"route-{kind.pk}")
        assert answer["Kokin-Outcome"] == "stored", bank.get(answer.wsgi_request.path).json()
        assert ExchangeFile.objects.get(pk=answer["Kokin-File-Id"]).data_kind == kind
    assert ExchangeFile.objects.filter(direction="inbound").count() == kinds.count()


def test_a_broken_file_is_rejected_with_its_errors(bank: Bank) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1")
    answer = bank.send(collection(kind)[:-40], kind.transfer_id or "", "B-broken")
    assert answer["Kokin-Outcome"] == "rejected" and "Kokin-File-Id" not in answer
    status = bank.get(answer.wsgi_request.path).json()
    assert status["outcome"] == "rejected" and status["errors"][0]["message_en"]
    assert BankTransfer.objects.get().outcome == "rejected"


def test_a_debit_result_is_stored_only_if_it_matches_the_collected_request(bank: Bank) -> None:
    request = collected_request(4)
    data = read_all(request.blob)
    bank.call(
        "POST",
        f"/banklink/v1/files/{request.id}/ack",
        f'{{"sha256": "{request.sha256}"}}'.encode(),
        "application/json",
    )
    debit_date = request.debit_date
    assert debit_date is not None
    wrong = debit_file(4, debit_date=debit_date, result=True, holder_name="ｻﾄｳ ｼﾞﾛｳ")
    rejected = bank.send(wrong, "ZEIMU-FURIKAE-RES1", "R-1")
    assert rejected["Kokin-Outcome"] == "rejected"
    reason = bank.get(rejected.wsgi_request.path).json()["errors"][0]
    assert reason["record"] == 2 and reason["field"] == "holder_name"
    result = data.replace(b"\r\n8", b"\r\n8")  # same bytes: every result code 0
    right = debit_file(4, debit_date=debit_date, result=True)
    assert right[:240] == result[:240]
    stored = bank.send(right, "ZEIMU-FURIKAE-RES1", "R-2")
    assert stored["Kokin-Outcome"] == "stored"
    file = ExchangeFile.objects.get(pk=stored["Kokin-File-Id"])
    assert file.summary["request_file"] == str(request.id)


# --- commands ------------------------------------------------------------------------------------


def test_account_commands_create_list_revoke_and_history(ward: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "agent"
    made = runner.invoke(cli, ["banklink", "account", "create", "--name", "shinkin", "--out", str(out)])
    assert made.exit_code == 0, made.output
    token = (out / "token").read_text().strip()
    assert stat.S_IMODE((out / "token").stat().st_mode) == 0o600
    assert token in made.output and "一度だけ" in made.output and "shown once" in made.output
    assert (out / "shinkin.crt").exists() and (out / "shinkin.key").exists()
    account = BankAccount.objects.get(name="shinkin")
    # kb_<prefix>_<secret>: the secret is URL-safe base64 and may itself contain "_"
    _, prefix, secret = token.split("_", 2)
    assert prefix == account.token_prefix and len(secret) >= 32 and secret not in str(account.__dict__)
    assert runner.invoke(cli, ["banklink", "account", "create", "--name", "shinkin", "--out", str(out)]).exit_code == 1
    listed = runner.invoke(cli, ["banklink", "account", "list"])
    assert "shinkin" in listed.output and "有効 active" in listed.output
    revoked = runner.invoke(cli, ["banklink", "account", "revoke", "shinkin"])
    assert revoked.exit_code == 0 and not BankAccount.objects.get(name="shinkin").active
    assert runner.invoke(cli, ["banklink", "account", "revoke", "nobody"]).exit_code == 1
    history = runner.invoke(cli, ["banklink", "history", "--limit", "5"])
    assert history.exit_code == 0 and "no transfers" in history.output
    logged = set(AuditEntry.objects.filter(action__startswith="banklink_").values_list("action", flat=True))
    assert {"banklink_account_create", "banklink_account_revoke", "banklink_history"} <= logged
    assert AuditEntry.objects.get(action="banklink_account_create").actor.startswith("os:")


# --- the transfer history page -------------------------------------------------------------------


@pytest.mark.parametrize("username", PRINCIPALS)
def test_transfer_history_page_is_for_the_system_administrator_and_the_auditor(
    username: str, login_as: Any, tmp_path: Path
) -> None:
    bank = Bank(tmp_path, "hist")
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1")
    bank.send(collection(kind), "ZEIMU-SHUNO-MPN1", "H-1")
    client = Client() if username == "anonymous" else login_as(username)
    response = client.get("/banklink/history/")
    if username in ("sysadmin", "auditor"):
        page = response.content.decode()
        assert response.status_code == 200 and "転送履歴" in page and "ZEIMU-SHUNO-MPN1" in page and "hist" in page
        assert 'title="stored">受信済 (保管)</span>' in page  # the outcome by its name, the code in the title
        assert AuditEntry.objects.filter(action="banklink_history", actor=username).exists()
    else:
        assert response.status_code in (302, 403)


# --- one PATCH for the whole file (the agent's usual case) ---------------------------------------


@pytest.fixture
def uploads_dir(settings: Any, tmp_path: Path) -> Path:
    """The folder of the transient plaintext files, this test's own (so that it can be checked empty)."""
    folder = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _leftovers(folder: Path) -> list[Path]:
    """The temp files left in ``folder`` (none when it was never made)."""
    return list(folder.iterdir()) if folder.exists() else []


def _spy_place(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what :func:`kokin.exchange.services.place` is given (the temp file, as it is then)."""
    seen: list[dict[str, Any]] = []
    real = exchange.place

    def spy(**kwargs: Any) -> exchange.Outcome:
        path = kwargs["received"].path
        mode = stat.S_IMODE(path.stat().st_mode) if path is not None else None
        seen.append({"path": path, "mode": mode, "blob": kwargs.get("blob"), "checked": kwargs.get("checked")})
        return real(**kwargs)

    monkeypatch.setattr(exchange, "place", spy)
    return seen


def test_a_whole_file_in_one_patch_is_stored_in_the_blob_it_was_received_into(
    bank: Bank, uploads_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-GEN1")
    data = collection(kind, 400)
    seen = _spy_place(monkeypatch)
    created = bank.create(data, kind.transfer_id or "", "ONE-1")
    answer = bank.patch(created["Location"], data, 0)
    assert answer.status_code == 204 and answer["Kokin-Outcome"] == "stored"
    file = ExchangeFile.objects.get(pk=answer["Kokin-File-Id"])
    assert file.sha256 == hashlib.sha256(data).hexdigest() == file.blob.sha256
    assert read_all(file.blob) == data and file.size == len(data)
    # checked while it arrived, with no plaintext copy on disk (collection data is not matched against a
    # request); the part's blob became the file's (not encrypted twice)
    (call,) = seen
    assert call["path"] is None and call["checked"] is not None and call["checked"].ok
    assert call["checked"].summary["data_records"] == file.total_count
    assert call["blob"] is not None and call["blob"].pk == file.blob_id
    assert _leftovers(uploads_dir) == []
    part_entry = AuditEntry.objects.get(action="banklink_upload_part")
    assert part_entry.detail["blob"] == str(file.blob_id) and part_entry.detail["bytes"] == len(data)
    placed = AuditEntry.objects.get(action="exchange_place")
    assert (placed.actor, placed.role) == (f"bank:{bank.account.name}", "金融機関")  # the bank, not a command
    assert Blob.objects.filter(shredded_at__isnull=True).count() == 1 and not BankUploadPart.objects.exists()
    actions = list(AuditEntry.objects.filter(action__startswith="banklink_upload").values_list("action", flat=True))
    assert actions == ["banklink_upload_create", "banklink_upload_part", "banklink_upload_finish"]
    transfer = BankTransfer.objects.get()
    assert (transfer.outcome, transfer.bytes, transfer.sha256, transfer.file_id) == (
        "stored",
        len(data),
        file.sha256,
        file.id,
    )
    # a resend is still recognised by its bank_file_id
    again = bank.create(data, kind.transfer_id or "", "ONE-1")
    assert again["Kokin-Outcome"] == "stored" and again["Kokin-File-Id"] == str(file.id)


def test_a_whole_file_rejected_or_with_a_wrong_sha256_leaves_no_blob_and_no_temp_file(
    bank: Bank, uploads_dir: Path
) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1")
    broken = collection(kind)[:-40]
    created = bank.create(broken, kind.transfer_id or "", "ONE-BAD")
    answer = bank.patch(created["Location"], broken, 0)
    assert answer.status_code == 204 and answer["Kokin-Outcome"] == "rejected"
    data = collection(kind)
    other = bank.create(data, kind.transfer_id or "", "ONE-460", sha256=hashlib.sha256(b"other").hexdigest())
    mismatch = bank.patch(other["Location"], data, 0)
    assert mismatch.status_code == 460 and mismatch["Upload-Offset"] == "0"
    assert not ExchangeFile.objects.exists() and not BankUploadPart.objects.exists()
    assert Blob.objects.count() == 2 and not Blob.objects.filter(shredded_at__isnull=True).exists()
    assert _leftovers(uploads_dir) == []
    assert sorted(BankTransfer.objects.values_list("outcome", flat=True)) == ["failed", "rejected"]


def _reader(data: bytes, *, cut_after: int) -> Any:
    """A request body that breaks (the client went away) after ``cut_after`` bytes."""
    state = {"at": 0}

    def read(size: int) -> bytes:
        if state["at"] >= cut_after:
            raise OSError("connection reset by peer")
        chunk = data[state["at"] : min(state["at"] + size, cut_after)]
        state["at"] += len(chunk)
        return chunk

    return read


def test_a_whole_file_patch_cut_in_the_middle_keeps_what_arrived_and_resumes(bank: Bank, uploads_dir: Path) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-GEN1")
    data = collection(kind, 12_000)  # about 2.4 MB, several reads
    assert len(data) > 2 * CHUNK
    location = bank.create(data, kind.transfer_id or "", "ONE-CUT")["Location"]
    upload = BankUpload.objects.get()
    cut_at = CHUNK + 12_345
    kept = uploads.write_part(
        account=bank.account,
        actor=bank_actor(bank.account.name),
        upload=upload,
        offset=0,
        content_length=len(data),
        read=_reader(data, cut_after=cut_at),
    )
    assert kept.offset == cut_at and kept.outcome == "incomplete" and kept.retries == 1
    part = BankUploadPart.objects.get()
    assert (part.start, part.size) == (0, cut_at) and read_all(part.blob) == data[:cut_at]
    assert _leftovers(uploads_dir) == []
    assert bank.call("HEAD", location, **TUS)["Upload-Offset"] == str(cut_at)
    # the rest, as a resume does: the parts are put together as before
    last = bank.patch(location, data[cut_at:], cut_at)
    assert last.status_code == 204 and last["Kokin-Outcome"] == "stored"
    file = ExchangeFile.objects.get(pk=last["Kokin-File-Id"])
    assert read_all(file.blob) == data and file.sha256 == hashlib.sha256(data).hexdigest()
    assert not BankUploadPart.objects.exists() and Blob.objects.filter(shredded_at__isnull=True).count() == 1
    assert _leftovers(uploads_dir) == []


def test_a_whole_file_patch_whose_finishing_fails_is_finished_later_from_its_part(
    bank: Bank, uploads_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-SPR1")
    data = collection(kind)
    location = bank.create(data, kind.transfer_id or "", "ONE-CRASH")["Location"]
    real = exchange.place

    def broken(**kwargs: Any) -> exchange.Outcome:
        raise RuntimeError("the server fell over while checking")

    monkeypatch.setattr(exchange, "place", broken)
    with pytest.raises(RuntimeError):
        bank.patch(location, data, 0)
    assert _leftovers(uploads_dir) == []  # no plaintext left behind
    upload = BankUpload.objects.get()
    assert upload.offset == len(data) and upload.outcome == "incomplete" and upload.finishing_since is None
    monkeypatch.setattr(exchange, "place", real)
    head = bank.call("HEAD", location, **TUS)  # the next request finishes it, from the kept part
    assert head["Kokin-Outcome"] == "stored"
    file = ExchangeFile.objects.get(pk=head["Kokin-File-Id"])
    assert read_all(file.blob) == data and not BankUploadPart.objects.exists()
    assert _leftovers(uploads_dir) == []


# --- what an account serves ----------------------------------------------------------------------


def test_account_create_takes_businesses_and_transfer_ids_and_show_list_and_scope_tell_them(
    ward: Any, tmp_path: Path
) -> None:
    runner = CliRunner()
    create = ["banklink", "account", "create", "--name", "chigin", "--out", str(tmp_path / "chigin")]
    unknown = runner.invoke(cli, [*create, "--business", "zeimu-shuno", "--business", "no-such"])
    assert unknown.exit_code == 1 and "no-such" in unknown.output
    assert not BankAccount.objects.filter(name="chigin").exists()  # nothing made, no certificate issued
    made = runner.invoke(
        cli,
        [*create, "--business", "zeimu-shuno", "--business", "kokuho-furikae", "--transfer-id", "KAIGO-FURIKAE-REQ1"],
    )
    assert made.exit_code == 0, made.output
    account = BankAccount.objects.get(name="chigin")
    assert sorted(account.businesses.values_list("code", flat=True)) == ["kokuho-furikae", "zeimu-shuno"]
    assert list(account.data_kinds.values_list("transfer_id", flat=True)) == ["KAIGO-FURIKAE-REQ1"]
    created = AuditEntry.objects.get(action="banklink_account_create", object="bank:chigin")
    assert created.detail["businesses"] == ["kokuho-furikae", "zeimu-shuno"]
    assert created.detail["transfer_ids"] == ["KAIGO-FURIKAE-REQ1"]

    listed = runner.invoke(cli, ["banklink", "account", "list"]).output
    assert "kokuho-furikae, zeimu-shuno, KAIGO-FURIKAE-REQ1" in listed
    shown = runner.invoke(cli, ["banklink", "account", "show", "chigin"])
    assert shown.exit_code == 0 and "KAIGO-FURIKAE-RES1" in shown.output and "ZEIMU-SHUNO-MPN1" in shown.output

    assert runner.invoke(cli, ["banklink", "account", "scope", "chigin"]).exit_code == 2  # say what, or --none
    narrowed = runner.invoke(cli, ["banklink", "account", "scope", "chigin", "--business", "seiso-shuno"])
    assert narrowed.exit_code == 0, narrowed.output
    assert list(account.businesses.values_list("code", flat=True)) == ["seiso-shuno"]
    assert not account.data_kinds.exists()
    changed = AuditEntry.objects.get(action="banklink_account_scope", object="bank:chigin")
    assert changed.detail["businesses"] == ["seiso-shuno"]
    assert changed.detail["before"] == {
        "businesses": ["kokuho-furikae", "zeimu-shuno"],
        "transfer_ids": ["KAIGO-FURIKAE-REQ1"],
    }
    cleared = runner.invoke(cli, ["banklink", "account", "scope", "chigin", "--none"])
    assert cleared.exit_code == 0 and "serves nothing" in cleared.output and not account.businesses.exists()


def test_an_account_created_without_businesses_serves_nothing(ward: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["banklink", "account", "create", "--name", "empty", "--out", str(tmp_path / "e")])
    assert made.exit_code == 0 and "serves nothing" in made.output
    assert not BankAccount.objects.get(name="empty").businesses.exists()
    bank = Bank(tmp_path, "empty-too")
    bank.account.businesses.clear()  # as made without --business
    file = collected_request()
    assert bank.get("/banklink/v1/files").json() == {"files": []}
    assert bank.get(f"/banklink/v1/files/{file.id}").status_code == 404
    ack = bank.call(
        "POST", f"/banklink/v1/files/{file.id}/ack", b'{"sha256": "%s"}' % file.sha256.encode(), "application/json"
    )
    assert ack.status_code == 404
    data = sample.generate("general-receipt", 3, seed=11)[0]
    assert bank.create(data, "ZEIMU-SHUNO-GEN1", "empty-1").status_code == 400
    file.refresh_from_db()
    assert file.state == State.APPROVED


def test_the_migration_lets_existing_accounts_keep_every_business_they_reached(ward: Any, tmp_path: Path) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("kokin.banklink.migrations.0002_account_scope")
    assert any(
        getattr(op, "code", None) is migration.every_business_they_reached for op in migration.Migration.operations
    )
    made = accounts.create_account(name="before", networks="127.0.0.1/32", folder=tmp_path / "b", actor=TEST_ACTOR)
    assert not made.account.businesses.exists()  # as every account was before the migration
    migration.every_business_they_reached(apps, None)
    every = sorted(Business.objects.values_list("code", flat=True))
    assert sorted(made.account.businesses.values_list("code", flat=True)) == every and every


def test_the_demo_banks_account_serves_every_business_of_the_demo_ward(ward: Any, tmp_path: Path) -> None:
    from kokin.demo import bankside as demo

    demo.bank_side(tmp_path / "bank", hub_url="https://127.0.0.1:8443", ca_cert=tmp_path / "ca.crt")
    account = BankAccount.objects.get(name=demo.BANK_ACCOUNT)
    every = sorted(Business.objects.values_list("code", flat=True))
    assert sorted(account.businesses.values_list("code", flat=True)) == every and len(every) == 7
