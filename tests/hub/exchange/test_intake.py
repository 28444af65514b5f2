"""Taking a file in while it arrives (:mod:`kokin.exchange.intake`): the API's raw-body upload
(``application/octet-stream``: 201 / 422 / 413 / 411 / 400), the :class:`Intake` itself (pieces of any
size, abort, a wrong format that ends the check early).

The tests that count encrypted bodies run in a private KOKIN_HOME on both body stores (the ``backend``
fixture of ``test_vault``), so parallel workers cannot disturb the counts.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings

from kokin.accounts.models import Business, DataKind
from kokin.audit.models import AuditEntry
from kokin.exchange import services
from kokin.exchange.checks import check_file
from kokin.exchange.intake import Taken
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.states import State
from kokin.formats import FORMATS
from kokin.formats import synth as sample
from kokin.vault.models import Blob
from kokin.vault.services import read_all
from support.exchange import collection_file, debit_day, debit_file

from ..vault import test_vault
from ..vault.test_vault import body_count
from .test_api import UPLOAD, bearer, body

# the vault's fixtures: a private KOKIN_HOME (``home``), and both body stores (``backend``)
home = test_vault.home
backend = test_vault.backend

RAW = "application/octet-stream"
MiB = 1 << 20
#: piece sizes that cut records, CR LF pairs and the check's 64 KiB head anywhere
ODD_PIECES = (1, 7, 65536 + 3, 2, MiB + 5, 4093, 13, 121)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outbound(business: str = "zeimu-furikae") -> DataKind:
    kind = DataKind.objects.filter(business__code=business, direction=DataKind.Direction.OUTBOUND).order_by("pk")
    found = kind.first()
    assert found is not None
    return found


def send_raw(
    username: str,
    data: bytes,
    *,
    business: str = "zeimu-furikae",
    content_length: str | None = None,
    cut_after: int | None = None,
    **query: str,
) -> Any:
    """POST ``data`` as the raw body (``application/octet-stream``), the other fields as query parameters;
    ``content_length`` overrides the Content-Length sent ("" for none); with ``cut_after`` the client goes
    away after that many bytes."""
    url = UPLOAD.replace("zeimu-furikae", business)
    if query:
        url = f"{url}?{urlencode(query)}"
    environ: dict[str, Any] = {
        "CONTENT_TYPE": RAW,  # always (the test client leaves it out with an empty body, a real client does not)
        "CONTENT_LENGTH": str(len(data)) if content_length is None else content_length,
        **bearer(username),
    }
    if cut_after is not None:
        environ["wsgi.input"] = io.BytesIO(data[:cut_after])
    return Client().generic("POST", url, data, **environ)


def pieces(data: bytes, sizes: Sequence[int]) -> Iterator[bytes]:
    """``data`` cut into pieces of the given sizes in turn."""
    at, i = 0, 0
    while at < len(data):
        n = sizes[i % len(sizes)]
        yield data[at : at + n]
        at += n
        i += 1


def last_upload() -> AuditEntry:
    entry = AuditEntry.objects.filter(action="exchange_upload").order_by("-seq").first()
    assert entry is not None
    return entry


def stored() -> tuple[int, int, int]:
    """Files, blob rows and encrypted bodies (with partial ones) now."""
    return ExchangeFile.objects.count(), Blob.objects.count(), body_count()


# --- the API's raw-body upload -------------------------------------------------------------------


def test_raw_body_upload_is_stored_with_the_sent_bytes_hash_and_downloads_back_identical(
    ward: Any, backend: str
) -> None:
    data = debit_file(9000)  # over a megabyte: read in several pieces
    assert len(data) > MiB
    response = send_raw("zeimu-send", data, name="furikae-raw.dat")
    assert response.status_code == 201, response.content
    out = response.json()
    file = ExchangeFile.objects.get()
    assert out["id"] == str(file.id) and out["state"] == State.AWAITING_APPROVAL
    assert out["sha256"] == hashlib.sha256(data).hexdigest() == file.sha256 == file.blob.sha256
    assert out["size"] == len(data) == file.size == file.blob.size and file.blob.backend == backend
    assert out["original_name"] == "furikae-raw.dat" and out["data_kind"] == "口座振替請求データ"
    assert out["records"] == 9000 and out["total_amount"] == sum(1000 + i for i in range(9000))
    assert out["summary"]["by_bank_code"] == {"0001": {"count": 9000, "amount": out["total_amount"]}}
    entry = last_upload()
    assert entry.outcome == "success" and entry.actor == "zeimu-send" and entry.sha256 == out["sha256"]

    auth: Any = bearer("zeimu-send")
    original = Client().post(f"/api/files/{file.id}/original", **auth)
    assert original.status_code == 200 and original["X-Kokin-SHA256"] == out["sha256"]
    assert body(original) == data


@pytest.mark.parametrize(("sent", "kept"), [(None, "upload.dat"), ("../../etc/passwd", "passwd"), ("..", "upload.dat")])
def test_raw_body_upload_name_comes_from_the_query_made_safe(
    ward: Any, backend: str, sent: str | None, kept: str
) -> None:
    data = debit_file(2)
    response = send_raw("zeimu-send", data) if sent is None else send_raw("zeimu-send", data, name=sent)
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == kept == ExchangeFile.objects.get().original_name


def test_raw_body_upload_of_the_same_bytes_again_needs_confirm_duplicate(ward: Any, backend: str) -> None:
    data = debit_file(4)
    first = send_raw("zeimu-send", data)
    assert first.status_code == 201, first.content
    before = stored()
    again = send_raw("zeimu-send", data)
    assert again.status_code == 409 and again.json()["needs"] == ["duplicate"]
    assert again.json()["duplicates"] == [first.json()["id"]] and "nothing was stored" in again.json()["detail"]
    assert stored() == before
    confirmed = send_raw("zeimu-send", data, confirm_duplicate="true")
    assert confirmed.status_code == 201 and confirmed.json()["sha256"] == first.json()["sha256"]
    assert stored() == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_raw_body_upload_that_is_empty_is_422(ward: Any, backend: str) -> None:
    before = stored()
    response = send_raw("zeimu-send", b"")
    assert response.status_code == 422 and response.json()["issues"][0]["message_ja"].startswith("ファイルが空です")
    assert stored() == before


def test_raw_body_upload_that_ends_before_its_content_length_is_400_and_keeps_nothing(ward: Any, backend: str) -> None:
    data = debit_file(9000)
    before = stored()
    response = send_raw("zeimu-send", data, cut_after=MiB + 1000)  # the client went away after a megabyte
    assert response.status_code == 400 and "ended early" in response.json()["detail"]
    assert stored() == before


def test_raw_body_upload_of_a_broken_file_is_422_naming_record_and_field_and_keeps_nothing(
    ward: Any, backend: str
) -> None:
    raw = bytearray(debit_file(3))
    raw[2 * 122 + 80] = ord("X")  # record 3 (the second payer): a letter in the amount (81-90)
    before = stored()
    response = send_raw("zeimu-send", bytes(raw), name="broken.dat")
    assert response.status_code == 422, response.content
    found = response.json()
    assert found["errors"] >= 1 and "nothing was stored" in found["detail"]
    where = {(i["record"], i["field"], i["severity"]) for i in found["issues"]}
    assert (3, "amount", "error") in where, found["issues"]
    first = next(i for i in found["issues"] if i["record"] == 3 and i["field"] == "amount")
    assert (first["start"], first["end"]) == (81, 90) and first["message_ja"]
    assert stored() == before
    entry = last_upload()
    assert entry.outcome == "failure" and entry.detail["reason"] == "invalid"
    assert entry.sha256 == hashlib.sha256(bytes(raw)).hexdigest()


@pytest.mark.parametrize(
    "over",
    [
        pytest.param(1, id="stopped-while-reading"),  # within the multipart allowance: read up to the limit
        pytest.param(200 * 1024, id="announced-too-large"),  # refused from its Content-Length alone
    ],
)
def test_raw_body_upload_over_the_business_limit_is_413_and_keeps_nothing(ward: Any, backend: str, over: int) -> None:
    ExchangePolicy.objects.create(business=Business.objects.get(code="zeimu-furikae"), max_upload_mb=1)
    data = debit_file(10500)[: MiB + over]  # a real debit request, so the check is busy when it stops
    before = stored()
    response = send_raw("zeimu-send", data)
    assert response.status_code == 413, response.content
    assert "1 MB" in response.json()["detail"] and "nothing was stored" in response.json()["detail"]
    assert stored() == before
    entry = last_upload()
    assert entry.outcome == "failure" and entry.detail["reason"] == "too_large" and entry.detail["via"] == "api"


def test_raw_body_upload_exactly_at_the_limit_is_read_and_checked(ward: Any, backend: str) -> None:
    ExchangePolicy.objects.create(business=Business.objects.get(code="zeimu-furikae"), max_upload_mb=1)
    data = debit_file(8000)
    assert len(data) < MiB
    data += b" " * (MiB - len(data))  # trailing spaces up to exactly the limit: not too large, but invalid
    response = send_raw("zeimu-send", data)
    assert response.status_code == 422, response.content


def test_raw_body_upload_needs_a_content_length(ward: Any, backend: str) -> None:
    before = stored()
    response = send_raw("zeimu-send", debit_file(2), name="x.dat", content_length="")
    assert response.status_code == 411 and "Content-Length" in response.json()["detail"]
    assert stored() == before


def test_raw_body_upload_with_a_kind_that_is_not_an_outbound_kind_is_400_naming_the_choices(
    ward: Any, backend: str
) -> None:
    before = stored()
    inbound = "口座振替結果データ (国民健康保険)"  # a kind of the business, but from the bank
    response = send_raw("kokuho-send", debit_file(), business="kokuho-furikae", kind=inbound)
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert "口座振替請求データ (国民健康保険)" in detail and "口座振替請求データ (後期高齢者医療)" in detail
    assert inbound not in detail
    unknown = send_raw("zeimu-send", debit_file(), kind="存在しない種別")
    assert unknown.status_code == 400 and "口座振替請求データ" in unknown.json()["detail"]
    without = send_raw("kokuho-send", debit_file(), business="kokuho-furikae")
    assert without.status_code == 400 and "(後期高齢者医療)" in without.json()["detail"]
    assert stored() == before


# --- the intake itself ---------------------------------------------------------------------------


def test_intake_in_odd_pieces_agrees_with_check_file_and_hashlib(ward: Any, backend: str, tmp_path: Path) -> None:
    kind = outbound()
    # more records than one check block (8192), many banks and branches from the master
    data, _ = sample.generate("zengin-debit", 12_000, seed=5, base_date=debit_day())
    path = tmp_path / "request.dat"
    path.write_bytes(data)
    intake = services.intake_for(kind)
    sizes = []
    for piece in pieces(data, ODD_PIECES):
        intake.write(piece)
        sizes.append(len(piece))
    assert set(ODD_PIECES) <= set(sizes)
    taken = intake.close()

    policy = ExchangePolicy.for_business(kind.business)
    expected = check_file(
        path, data_kind=kind, today=timezone.localdate(), lead_business_days=policy.lead_business_days
    )
    assert expected.ok and taken.checked.ok, [str(i) for i in taken.checked.issues[:5]]
    assert taken.checked.summary == expected.summary
    assert taken.checked.summary["data_records"] == 12_000 and len(taken.checked.summary["by_bank_code"]) > 5
    assert [str(i) for i in taken.checked.issues] == [str(i) for i in expected.issues]
    checked = taken.checked
    assert (checked.format, checked.mode, checked.detected) == ("zengin-debit", "request", "zengin-debit")
    assert taken.sha256 == hashlib.sha256(data).hexdigest() and taken.size == len(data)
    assert not intake.thread.is_alive()
    blob = taken.sealed.save()
    assert read_all(blob) == data


def test_intake_abort_leaves_no_body_and_stops_the_check(ward: Any, backend: str) -> None:
    before = stored()
    data = debit_file(36_000)  # some 4.4 MB
    intake = services.intake_for(outbound())
    written = 0
    for piece in pieces(data, ODD_PIECES):
        intake.write(piece)
        written += len(piece)
        if written > 4 * MiB:  # past Tink's buffering: the database store has written chunks too
            break
    assert body_count() > before[2]  # the partial body is there
    intake.abort()
    assert stored() == before
    assert not intake.thread.is_alive()
    intake.abort()  # again: nothing more to do
    assert stored() == before


@pytest.mark.parametrize(
    ("detected", "code"), [("mpn-receipt", "wrong_format"), ("", "format")], ids=["mpn-receipt", "unrecognised"]
)
def test_intake_reports_a_wrong_format_and_the_writer_never_blocks(
    ward: Any, home: Path, detected: str, code: str
) -> None:
    # some 4 MB that the check gives up on after the first 64 KiB: collection data, or NUL bytes
    data = collection_file("mpn-receipt", 50) * 400 if detected else b"\x00" * (4 * MiB + 11)
    assert len(data) > 4 * MiB
    before = body_count()
    intake = services.intake_for(outbound())
    result: dict[str, Taken] = {}

    def feed() -> None:  # the local store only: the writer's thread never touches the database
        for piece in pieces(data, (65536, 1, 300_001)):
            intake.write(piece)
        result["taken"] = intake.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    writer.join(timeout=60)
    assert not writer.is_alive(), "the writer blocked after the check stopped early"
    taken = result["taken"]
    assert not taken.checked.ok and taken.checked.detected == detected
    (issue,) = taken.checked.report.errors
    assert issue.code == code and issue.record is None and issue.field == "file"
    if detected:
        assert FORMATS[detected].LAYOUT.ja in issue.message_ja and "口座振替請求データ" in issue.message_ja
        assert detected in issue.message_en
    assert taken.size == len(data) and taken.sha256 == hashlib.sha256(data).hexdigest()
    assert body_count() == before + 1
    taken.sealed.discard()
    assert body_count() == before
