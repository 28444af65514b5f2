"""Crash test: the real hub (``kokin hub serve``: gunicorn, HTTPS from its own CA) is SIGKILLed, master and
workers at once, while 20 operators upload debit requests through the API; restarted on the same
``KOKIN_HOME`` it must have lost nothing it answered 201 for and show nothing half written.

After the restart:

* every upload answered 201 is listed and downloads with the SHA-256 that was sent; every listed file
  is one that was sent in full;
* after the periodic clean-up as production runs it (``kokin retention run``, which calls
  :func:`kokin.vault.services.sweep` and the upload sweep; the leftovers are first aged past its
  6-hour grace period, as if the cron job ran hours later), no temporary upload, no partial body, no
  body or database chunk without a blob row and no blob row without its file are left, and every file's
  blob decrypts to its size and SHA-256;
* ``kokin audit verify`` finds the operation log intact.

The test fails unless the kill really landed mid-transfer: some uploads must have been answered and
some must have been cut off while their body was still being sent.

The hub is a :class:`~hub.live.LiveHub` of its own (this test kills it): SQLite by default; with
``DATABASE_URL`` (PostgreSQL) a database of its own for the test, created and dropped by the launcher,
and ``KOKIN_BLOB_STORE`` is passed on (``make test`` uses ``database``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from kokin.formats import synth as sample
from kokin.formats.bankdays import add_business_days
from support.live import LiveHub

UPLOADS = 20
#: the kill comes as soon as this many uploads have been answered
KILL_AFTER = 5
BATCH_RECORDS = 1000
#: each client sends its body in pieces of this size with a pause between them, so that the small
#: files are answered while the big ones are still on the wire when the kill comes
PIECE = 64 * 1024
PAUSE = 0.02
BUSINESS = "zeimu-furikae"

#: after the launcher's set-up (migrations and the demo ward): an API token of each operator
TOKENS = """
import json
from kokin.accounts.models import User
from kokin.api.services import create_token
tokens = {name: create_token(user=User.objects.get(username=name), name="crash-test", days=1)[1]
          for name in ("zeimu-send", "zeimu-get")}
print(json.dumps(tokens))
"""

AGE = """
import os, time
from datetime import timedelta
from pathlib import Path
from django.conf import settings
from django.db.models import F
from kokin.vault.models import BlobChunk
past = time.time() - 7 * 3600
for folder in ("tmp", "blobs"):
    for path in (Path(settings.HOME) / folder).rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))
BlobChunk.objects.update(created_at=F("created_at") - timedelta(hours=7))
print("{}")
"""

INSPECT = """
import hashlib, json
from pathlib import Path
from django.conf import settings
from kokin.exchange.models import ExchangeFile
from kokin.vault.models import Blob, BlobChunk
from kokin.vault.services import open_blob
from kokin.vault.stores import LocalDirStore
home = Path(settings.HOME)
local = LocalDirStore(home / "blobs")
files = []
for f in ExchangeFile.objects.all():
    digest, size, error = hashlib.sha256(), 0, ""
    try:
        with open_blob(f.blob_id) as reader:
            while chunk := reader.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except Exception as exc:
        error = repr(exc)
    files.append({"id": str(f.id), "sha256": f.sha256, "size": f.size, "blob": str(f.blob_id),
                  "read_sha256": digest.hexdigest(), "read_size": size, "error": error})
print(json.dumps({
    "files": files,
    "blobs": {str(b.id): b.shredded_at is not None for b in Blob.objects.all()},
    "bodies": [str(i) for i, _ in local.entries()],
    "chunk_blobs": sorted({str(i) for i in BlobChunk.objects.values_list("blob_id", flat=True)}),
    "partials": [str(p) for p in (home / "blobs").rglob(".*.part")],
    "uploads": [str(p) for p in (home / "tmp" / "uploads").glob("*")],
}))
"""


@dataclass
class Upload:
    name: str
    data: bytes
    sha256: str
    sent: int = 0
    status: int | None = None
    answer: dict[str, Any] | None = None
    error: str = ""


def _files() -> list[Upload]:
    """20 valid debit requests of 0.5 to 2.8 MB, all different: 4 + i batches of 1,000 realistic payers
    each (three seeds in turn), a debit date the hub accepts."""
    debit_date = add_business_days(dt.datetime.now(ZoneInfo("Asia/Tokyo")).date(), 6)
    batches, end = [], b""
    for seed in range(3):
        raw, _ = sample.generate("zengin-debit", BATCH_RECORDS, seed=seed, base_date=debit_date)
        batches.append(raw[:-122])
        end = raw[-122:]  # the end record
    uploads = []
    for i in range(UPLOADS):
        data = b"".join(batches[(i + j) % 3] for j in range(4 + i)) + end
        uploads.append(Upload(f"crash-{i:02d}.dat", data, hashlib.sha256(data).hexdigest()))
    return uploads


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LiveHub]:
    """A hub of this test's own (it is killed), production settings (HTTPS only), errors-only logging."""
    server = LiveHub(tmp_path, env={"KOKIN_LOG_LEVEL": "ERROR", "HOME": str(tmp_path)})
    try:
        yield server
    finally:
        server.close()


async def _send(client: httpx.AsyncClient, upload: Upload, token: str, answered: list[Upload]) -> None:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{upload.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        for start in range(0, len(upload.data), PIECE):
            piece = upload.data[start : start + PIECE]
            yield piece
            upload.sent += len(piece)
            await asyncio.sleep(PAUSE)
        yield tail

    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + len(upload.data) + len(tail)),
    }
    try:
        response = await client.post(f"/api/businesses/{BUSINESS}/files", content=body(), headers=headers)
    except httpx.HTTPError as exc:
        upload.error = repr(exc)
        return
    upload.status = response.status_code
    upload.answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    answered.append(upload)


def _receiving(hub: LiveHub) -> bool:
    """Is the server encrypting a body into the local store right now (a partial body is open)?"""
    return any((hub.home / "blobs").rglob(".*.part"))


async def _upload_and_kill(hub: LiveHub, uploads: list[Upload], token: str) -> tuple[int, list[Upload]]:
    """Start every upload at once; SIGKILL the server's whole process group as soon as ``KILL_AFTER``
    are answered and (with the local store) a body is being received. Returns how many were answered
    then and the ones still open."""
    answered: list[Upload] = []
    local = hub.environ().get("KOKIN_BLOB_STORE", "local") == "local"
    limits = httpx.Limits(max_connections=UPLOADS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=hub.url, verify=hub.ssl_context(), limits=limits, timeout=120) as client:
        tasks = [asyncio.create_task(_send(client, u, token, answered)) for u in uploads]
        deadline = time.monotonic() + 120
        while not all(t.done() for t in tasks) and time.monotonic() < deadline:
            if len(answered) >= KILL_AFTER and (not local or _receiving(hub)):
                break
            await asyncio.sleep(0.01)
        at_kill = len(answered)
        open_at_kill = [u for u in uploads if u.status is None]
        hub.kill()
        hub.assert_group_gone()
        await asyncio.gather(*tasks)
    return at_kill, open_at_kill


def _download(hub: LiveHub, token: str, file_id: str) -> tuple[str, str]:
    """The SHA-256 of a file downloaded from the hub, and the one the hub announced."""
    digest = hashlib.sha256()
    with (
        httpx.Client(base_url=hub.url, verify=hub.ssl_context(), timeout=120) as client,
        client.stream("POST", f"/api/files/{file_id}/original", headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        assert r.status_code == 200, r.read()
        for chunk in r.iter_bytes():
            digest.update(chunk)
        return digest.hexdigest(), r.headers["X-Kokin-SHA256"]


def test_uploads_survive_a_kill_of_the_whole_server(hub: LiveHub) -> None:
    uploads = _files()
    hub.prepare()
    tokens = hub.manage_shell(TOKENS)
    send, get = str(tokens["zeimu-send"]), str(tokens["zeimu-get"])
    hub.start()

    at_kill, open_at_kill = asyncio.run(_upload_and_kill(hub, uploads, send))

    # the kill landed mid-transfer: some uploads were answered, others were still sending their body
    assert at_kill >= 1, [u.error for u in uploads]
    cut = [u for u in open_at_kill if u.status is None]
    assert cut, "every upload was answered before the kill"
    assert all(u.error for u in cut) and any(u.sent for u in cut), [(u.sent, u.error) for u in cut]
    stored = [u for u in uploads if u.status == 201]
    assert all(u.status in (None, 201) for u in uploads), [(u.name, u.status, u.answer) for u in uploads]
    assert len(stored) >= at_kill
    # ... and on the server's side, requests were cut off while their uploads were being received or
    # kept: their bodies were being encrypted into the vault as they arrived. The local store opens a
    # partial body (.part) as an upload begins and commits it once the check is done; a request killed
    # after that, while its file row was being written (on a loaded machine the check of every body may
    # be over), leaves a body that no file refers to. The database store writes a chunk only per MiB of
    # ciphertext, so a small upload cut early may have left none (the client's side shows the cut anyway)
    before = hub.manage_shell(INSPECT)
    if hub.environ().get("KOKIN_BLOB_STORE", "local") == "local":
        kept = {f["blob"] for f in before["files"]}
        unkept = [b for b in {*before["bodies"], *before["blobs"]} if b not in kept]
        assert before["partials"] or unkept, "no upload was being received, checked or kept when the server died"
    else:
        assert not before["partials"], "the database store wrote a body into the local folder"

    hub.start()  # the same KOKIN_HOME (and database), after the crash
    with httpx.Client(base_url=hub.url, verify=hub.ssl_context(), timeout=60) as client:
        page = client.get(
            f"/api/businesses/{BUSINESS}/files", params={"limit": 1000}, headers={"Authorization": f"Bearer {get}"}
        )
    assert page.status_code == 200, page.text
    listed = {item["id"]: item for item in page.json()["items"]}
    sent = {u.sha256 for u in uploads}
    for u in stored:
        assert u.answer is not None
        file_id = str(u.answer["id"])
        assert file_id in listed, f"{u.name} was answered 201 but is not listed after the restart"
        assert listed[file_id]["sha256"] == u.sha256 and listed[file_id]["size"] == len(u.data)
    for file_id, item in listed.items():
        assert item["sha256"] in sent, f"{file_id} is not a file that was sent in full"
        downloaded, announced = _download(hub, get, file_id)
        assert downloaded == announced == item["sha256"], file_id

    # the periodic clean-up, as production runs it, hours after the crash
    hub.manage_shell(AGE)
    hub.run("retention", "run")
    state = hub.manage_shell(INSPECT)
    files = state["files"]
    assert {f["id"] for f in files} == set(listed)
    for f in files:
        assert not f["error"] and f["read_sha256"] == f["sha256"] and f["read_size"] == f["size"], f
    blobs = state["blobs"]
    referenced = {f["blob"] for f in files}
    assert set(blobs) == referenced, "a blob row that no file refers to (stored, then the file row lost)"
    assert not any(blobs.values())
    assert state["uploads"] == [], "temporary uploads left after the sweep"
    assert state["partials"] == [], "partial bodies left after the sweep"
    assert set(state["bodies"]) <= referenced, "encrypted bodies without a blob row left after the sweep"
    assert set(state["chunk_blobs"]) <= referenced, "database chunks without a blob row left after the sweep"
    assert referenced <= set(state["bodies"]) | set(state["chunk_blobs"]), "a file's body is missing"

    hub.run("audit", "verify")  # HubFailed, with its output, unless the log is intact (exit 0)
