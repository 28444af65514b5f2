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

SQLite by default; with ``DATABASE_URL`` (PostgreSQL) the hub gets a database of its own for the test,
created and dropped here, and ``KOKIN_BLOB_STORE`` is passed on (``make test`` uses ``database``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from kokin.exchange.bankdays import add_business_days
from kokin.formats import sample

UPLOADS = 20
#: the kill comes as soon as this many uploads have been answered
KILL_AFTER = 5
BATCH_RECORDS = 1000
#: each client sends its body in pieces of this size with a pause between them, so that the small
#: files are answered while the big ones are still on the wire when the kill comes
PIECE = 64 * 1024
PAUSE = 0.02
BUSINESS = "zeimu-furikae"
KOKIN = str(Path(sys.executable).with_name("kokin"))

SETUP = """
import json
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from kokin.accounts.models import User
from kokin.api.services import create_token
from kokin.demo import ward as demo
demo.load()
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@dataclass
class Hub:
    home: Path
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def ca(self) -> Path:
        return self.home / "tls" / "ca.crt"

    def kokin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([KOKIN, *args], env=self.env, capture_output=True, text=True, timeout=240)
        if check:
            assert done.returncode == 0, f"kokin {args[0]}: {done.stdout}\n{done.stderr}"
        return done

    def shell(self, script: str) -> dict[str, Any]:
        out = self.kokin("manage", "shell", "-c", script).stdout
        return dict(json.loads(out.strip().splitlines()[-1]))

    def start(self) -> None:
        log = self.home / "server.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [KOKIN, "hub", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the server is its own process group: master and workers
            )
        context = ssl.create_default_context(cafile=str(self.ca)) if self.ca.exists() else None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kokin hub serve exited:\n{log.read_text(errors='replace')[-4000:]}")
            if context is None and self.ca.exists():
                context = ssl.create_default_context(cafile=str(self.ca))
            try:
                if context is not None:
                    with (
                        socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw,
                        context.wrap_socket(raw, server_hostname="localhost"),
                    ):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"kokin hub serve did not answer:\n{log.read_text(errors='replace')[-4000:]}")

    def group(self) -> list[int]:
        """The processes still in the server's process group."""
        assert self.process is not None
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == self.process.pid and fields[0] != "Z":
                    found.append(int(entry.name))
        return found

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while self.group() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.group(), "a process of the server survived SIGKILL"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def database() -> Iterator[str | None]:
    """``None`` for SQLite (in KOKIN_HOME); with ``DATABASE_URL`` a fresh PostgreSQL database of this
    test's own, dropped afterwards (parallel workers and runs never share one)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        yield None
        return
    import psycopg

    name = f"kokin_crash_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def hub(tmp_path: Path, database: str | None) -> Iterator[Hub]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(
        KOKIN_HOME=str(tmp_path / "home"),
        DJANGO_SETTINGS_MODULE="kokin.web.settings",  # production settings: HTTPS only
        KOKIN_LOG_LEVEL="ERROR",
        HOME=str(tmp_path),
    )
    if os.environ.get("KOKIN_BLOB_STORE"):
        env["KOKIN_BLOB_STORE"] = os.environ["KOKIN_BLOB_STORE"]
    if database:
        env["DATABASE_URL"] = database
    (tmp_path / "home").mkdir()
    server = Hub(tmp_path / "home", env, _free_port())
    try:
        yield server
    finally:
        server.stop()


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


async def _upload_and_kill(hub: Hub, uploads: list[Upload], token: str) -> tuple[int, list[Upload]]:
    """Start every upload at once; SIGKILL the server's whole process group as soon as
    ``KILL_AFTER`` are answered. Returns how many were answered then and the ones still open."""
    answered: list[Upload] = []
    limits = httpx.Limits(max_connections=UPLOADS, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=hub.url, verify=ssl.create_default_context(cafile=str(hub.ca)), limits=limits, timeout=120
    ) as client:
        tasks = [asyncio.create_task(_send(client, u, token, answered)) for u in uploads]
        deadline = time.monotonic() + 120
        while len(answered) < KILL_AFTER and not all(t.done() for t in tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        at_kill = len(answered)
        open_at_kill = [u for u in uploads if u.status is None]
        hub.kill()
        await asyncio.gather(*tasks)
    return at_kill, open_at_kill


def _download(hub: Hub, token: str, file_id: str) -> tuple[str, str]:
    """The SHA-256 of a file downloaded from the hub, and the one the hub announced."""
    digest = hashlib.sha256()
    with (
        httpx.Client(base_url=hub.url, verify=ssl.create_default_context(cafile=str(hub.ca)), timeout=120) as client,
        client.stream("POST", f"/api/files/{file_id}/original", headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        assert r.status_code == 200, r.read()
        for chunk in r.iter_bytes():
            digest.update(chunk)
        return digest.hexdigest(), r.headers["X-Kokin-SHA256"]


def test_uploads_survive_a_kill_of_the_whole_server(hub: Hub) -> None:
    uploads = _files()
    tokens = hub.shell(SETUP)
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
    # ... and on the server's side, requests were cut off while their uploads were being received: their
    # bodies were being encrypted into the vault as they arrived. The local store opens a partial body
    # (.part) as an upload begins; the database store writes a chunk only per MiB of ciphertext, so a
    # small upload cut early may have left none (the client's side above shows the cut either way)
    before = hub.shell(INSPECT)
    if hub.env.get("KOKIN_BLOB_STORE", "local") == "local":
        assert before["partials"], "no upload was being received or checked when the server died"
    else:
        assert not before["partials"], "the database store wrote a body into the local folder"

    hub.start()  # the same KOKIN_HOME (and database), after the crash
    with httpx.Client(base_url=hub.url, verify=ssl.create_default_context(cafile=str(hub.ca)), timeout=60) as client:
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
    hub.shell(AGE)
    hub.kokin("retention", "run")
    state = hub.shell(INSPECT)
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

    verify = hub.kokin("audit", "verify", check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
