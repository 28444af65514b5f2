"""A full disk does not take the hub down: a real hub (HTTPS) whose home — blobs, upload temp files and,
on SQLite, the database — is a small tmpfs.

Uploads that do not fit are refused with 507 before any byte of their body is sent (web form, API,
bank link); a disk that fills during a body (a ballast file written once the upload has begun) answers
507 and keeps nothing; a login on a full disk answers at once with the cause, and works again once
there is room; the administrator and the auditor see a warning, and the shortage is logged once.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django_otp.oath import TOTP

from support.live import LiveHub

#: the tmpfs the hub's home lives on: room for the demo ward (some 6 MB) and a few uploads
DISK_MB = 64
MARGIN_MB = 4
#: every answer here must come well within this (the SQLite busy timeout used to be 20 s)
CLIENT_TIMEOUT = 15.0
NO_SPACE = "保存領域が不足しています"
MB = 1024 * 1024
UPLOAD = "/files/upload/zeimu-furikae/"
API_UPLOAD = "/api/businesses/zeimu-furikae/files"
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the CI runs these tests as root)")
    root = tmp_path_factory.mktemp("disk-full")
    home = root / "home"
    home.mkdir(mode=0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0700", "tmpfs", str(home)], check=True)
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


@pytest.fixture(scope="module")
def hub(small_disk: Path) -> Iterator[LiveHub]:
    env = {"KOKIN_BLOB_STORE": "local", "KOKIN_DISK_MARGIN_MB": str(MARGIN_MB), "KOKIN_DISK_WARN_MB": "16"}
    hub = LiveHub(small_disk, env=env)
    try:
        hub.start()
        hub.python(
            "from kokin.accounts.models import User\n"
            "User.objects.filter(username__in=['zeimu-send', 'sysadmin', 'auditor'])"
            ".update(must_change_password=False)\n"
        )
        yield hub
    finally:
        hub.close()


@pytest.fixture(scope="module")
def bank(hub: LiveHub, small_disk: Path) -> tuple[Path, Path, str]:
    return hub.create_bank_account("disk-bank", small_disk / "bank")


@pytest.fixture(scope="module")
def token(hub: LiveHub) -> str:
    return hub.run("token", "create", "--user", "zeimu-send", "--name", "disk").split()[0]


@pytest.fixture(scope="module")
def sender(hub: LiveHub) -> Iterator[httpx.Client]:
    with login(hub, "zeimu-send") as http:
        yield http


def sqlite(hub: LiveHub) -> bool:
    return not hub.database_url


def free(hub: LiveHub) -> int:
    return shutil.disk_usage(hub.home).free


def partials(hub: LiveHub) -> list[Path]:
    """Blob bodies being written (``.part``) and upload temp files left in the hub's home."""
    return [*hub.home.glob("blobs/*/.*.part"), *hub.home.glob("tmp/uploads/*.upload*")]


def blob_files(hub: LiveHub) -> list[Path]:
    return [p for p in hub.home.glob("blobs/*/*") if not p.name.startswith(".")]


class Ballast:
    """A file that takes the disk's free space, all but ``keep`` bytes (removed by :meth:`remove`)."""

    def __init__(self, hub: LiveHub) -> None:
        self.path = hub.home / f"ballast-{uuid.uuid4().hex[:8]}"
        self.hub = hub

    def fill(self, keep: int = 0) -> None:
        size = max(free(self.hub) - keep, 1)
        with open(self.path, "ab") as fh:
            os.posix_fallocate(fh.fileno(), self.path.stat().st_size if self.path.exists() else 0, size)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


@pytest.fixture
def ballast(hub: LiveHub) -> Iterator[Ballast]:
    found = Ballast(hub)
    try:
        yield found
    finally:
        found.remove()


def csrf(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1)


_last_step: dict[str, int] = {}


def totp(username: str, secret: str) -> str:
    """The code an authenticator app would show, for a time step this user has not used yet (a second
    login in the same 30 s takes the next step's code, within the device's tolerance of one step)."""
    compact = "".join(secret.split()).upper()
    counter = TOTP(base64.b32decode(compact + "=" * (-len(compact) % 8)))
    now = counter.t()
    step = max(now, _last_step.get(username, now - 1) + 1)
    if step > now + 1:
        time.sleep(counter.step - time.time() % counter.step + 0.1)
        return totp(username, secret)
    _last_step[username] = step
    counter.drift = step - now
    return f"{counter.token():06d}"


@contextlib.contextmanager
def login(hub: LiveHub, username: str) -> Iterator[httpx.Client]:
    """A browser-like client logged in with password and TOTP over HTTPS."""
    with hub.client(timeout=CLIENT_TIMEOUT, headers={"Referer": f"{hub.url}/accounts/login/"}) as http:
        page = http.get("/accounts/login/")
        password, secret = hub.logins[username]
        fields = {"csrfmiddlewaretoken": csrf(page.text), "username": username, "password": password}
        answer = http.post("/accounts/login/", data=fields)
        assert answer.status_code == 302, answer.text[:500]
        page = http.get("/accounts/verify/")
        answer = http.post(
            "/accounts/verify/", data={"csrfmiddlewaretoken": csrf(page.text), "token": totp(username, secret)}
        )
        assert answer.status_code == 302 and "verify" not in answer.headers["Location"], answer.text[:500]
        yield http


def raw_request(hub: LiveHub, head: dict[str, str], method: str, path: str, **tls: Any) -> tuple[int, str]:
    """Send only a request's head (no byte of its body) and read the answer: what a hub that refuses an
    upload before its body says."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: close",
        *(f"{k}: {v}" for k, v in head.items()),
    ]
    context = hub.ssl_context(tls.get("cert"), tls.get("key"))
    with (
        socket.create_connection(("127.0.0.1", hub.port), timeout=CLIENT_TIMEOUT) as sock,
        context.wrap_socket(sock, server_hostname="127.0.0.1") as conn,
    ):
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    status = int(received.split(b" ", 2)[1])
    text = received.partition(b"\r\n\r\n")[2].decode("utf-8", errors="replace")
    if text.startswith("{"):  # a JSON error, its Japanese as text
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return status, text


def cookie_header(http: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


def bank_metadata(name: str, length: int) -> dict[str, str]:
    meta = {"filename": f"{name}.dat", "transfer_id": "ZEIMU-SHUNO-GEN1", "bank_file_id": name, "sha256": "0" * 64}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    return {**TUS, "Upload-Length": str(length), "Upload-Metadata": encoded}


def no_space_entries(hub: LiveHub, action: str) -> list[dict[str, Any]]:
    return [e for e in hub.audit(action, last=50) if e["detail"].get("reason") == "no_space"]


def test_uploads_larger_than_the_free_space_are_refused_before_their_body_with_507(
    hub: LiveHub, token: str, sender: httpx.Client, bank: tuple[Path, Path, str]
) -> None:
    too_big = str(free(hub) + MB)  # fits the business's size limit, not the disk
    before = len(blob_files(hub))
    status, body = raw_request(
        hub,
        {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream", "Content-Length": too_big},
        "POST",
        f"{API_UPLOAD}?name=big.dat",
    )
    assert status == 507 and NO_SPACE in body and "nothing was stored" in body
    status, body = raw_request(
        hub,
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": too_big,
        },
        "POST",
        API_UPLOAD,
    )
    assert status == 507 and NO_SPACE in body
    status, body = raw_request(
        hub,
        {
            "Cookie": cookie_header(sender),
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": too_big,
        },
        "POST",
        UPLOAD,
    )
    assert status == 507 and NO_SPACE in body and "何も保管していません" in body
    cert, key, bank_token = bank
    with hub.client(cert, key, bank_token, timeout=CLIENT_TIMEOUT) as http:
        created = http.post("/banklink/v1/uploads", headers=bank_metadata("too-big", int(too_big)))
    assert created.status_code == 507 and created.json()["error"]["ja"].startswith(NO_SPACE)
    assert len(blob_files(hub)) == before and partials(hub) == []
    refusals = no_space_entries(hub, "exchange_upload")
    assert {e["detail"]["via"] for e in refusals} >= {"api", "web"}
    assert all(e["outcome"] == "failure" and e["detail"]["when"] == "declared" for e in refusals)
    assert no_space_entries(hub, "banklink_upload_part")
    assert hub.audit("storage_low"), "the shortage is in the operation log"


def slow_body(hub: LiveHub, ballast: Ballast, pieces: list[bytes]) -> Iterator[bytes]:
    """The body's first piece; then, once the hub has begun writing it into the vault (a ``.part``
    file: the space check passed), a ballast file takes the disk; then the rest."""
    yield pieces[0]
    deadline = time.monotonic() + CLIENT_TIMEOUT
    while not list(hub.home.glob("blobs/*/.*.part")):
        assert time.monotonic() < deadline, "the hub never began writing the upload"
        time.sleep(0.05)
    ballast.fill(keep=2 * MB)  # the rest of the body does not fit; the operation log still does
    yield from pieces[1:]


def test_a_disk_that_fills_during_the_body_answers_507_and_keeps_nothing(
    hub: LiveHub, token: str, sender: httpx.Client, bank: tuple[Path, Path, str], ballast: Ballast
) -> None:
    data = b"1" * (20 * MB)
    pieces = [data[:MB], *(data[i : i + MB] for i in range(MB, len(data), MB))]
    before = len(blob_files(hub))
    with hub.client(token=token, timeout=CLIENT_TIMEOUT) as http:
        answer = http.post(
            f"{API_UPLOAD}?name=filling.dat",
            content=slow_body(hub, ballast, pieces),
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        )
    assert answer.status_code == 507, answer.text
    assert NO_SPACE in answer.json()["detail"]
    assert partials(hub) == [] and len(blob_files(hub)) == before
    ballast.remove()

    form = sender.get(UPLOAD)
    boundary = "kokin-disk-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf(form.text)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="filling.dat"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    answer = sender.post(
        UPLOAD,
        content=slow_body(hub, ballast, [head + pieces[0], *pieces[1:], tail]),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + len(data) + len(tail)),
            "Referer": f"{hub.url}{UPLOAD}",
        },
    )
    assert answer.status_code == 507 and NO_SPACE in answer.text, answer.text[:800]
    assert partials(hub) == [] and len(blob_files(hub)) == before
    ballast.remove()

    cert, key, bank_token = bank
    with hub.client(cert, key, bank_token, timeout=CLIENT_TIMEOUT) as http:
        name = f"filling-{uuid.uuid4().hex[:6]}"
        created = http.post("/banklink/v1/uploads", headers=bank_metadata(name, len(data)))
        assert created.status_code == 201, created.text
        answer = http.patch(
            created.headers["Location"],
            content=slow_body(hub, ballast, pieces),
            headers={
                **TUS,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(len(data)),
            },
        )
        assert answer.status_code == 507 and answer.json()["error"]["ja"].startswith(NO_SPACE), answer.text
        assert answer.headers["Upload-Offset"] == "0"  # nothing of it kept: the bank sends it again
        ballast.remove()
        assert http.head(created.headers["Location"], headers=TUS).headers["Upload-Offset"] == "0"
    assert partials(hub) == [] and len(blob_files(hub)) == before
    assert [e["detail"]["via"] for e in no_space_entries(hub, "exchange_upload") if e["detail"]["when"] == "body"][
        -2:
    ] == ["api", "web"]
    assert any(e["detail"].get("when") == "body" for e in no_space_entries(hub, "banklink_upload_part"))


def test_a_login_on_a_full_disk_answers_with_the_cause_and_works_again_once_there_is_room(
    hub: LiveHub, ballast: Ballast
) -> None:
    ballast.fill(keep=0)
    password, _ = hub.logins["zeimu-send"]
    for _ in range(2):  # a second attempt is not stuck behind the first one's lock
        with hub.client(timeout=CLIENT_TIMEOUT, headers={"Referer": f"{hub.url}/accounts/login/"}) as http:
            page = http.get("/accounts/login/")
            assert page.status_code == 200  # reading still works
            fields = {"csrfmiddlewaretoken": csrf(page.text), "username": "zeimu-send", "password": password}
            answer = http.post("/accounts/login/", data=fields)
        if sqlite(hub):  # the database is on the full disk: the page names the cause
            assert answer.status_code == 507 and NO_SPACE in answer.text, answer.text[:500]
            assert "Server Error" not in answer.text
        else:  # the database is elsewhere: the login goes on
            assert answer.status_code == 302
    ballast.remove()
    with login(hub, "zeimu-send") as http:  # nothing holds the database's write lock
        assert http.get("/").status_code == 200


def test_the_administrator_and_the_auditor_see_a_storage_warning_logged_once(hub: LiveHub, ballast: Ballast) -> None:
    ballast.fill(keep=10 * MB)  # below KOKIN_DISK_WARN_MB (16), above the margin: the hub still works
    logged = len(hub.audit("storage_low", last=100))
    for username in ("sysadmin", "auditor"):
        with login(hub, username) as http:
            for _ in range(3):
                home = http.get("/")
                assert home.status_code == 200
                assert NO_SPACE in home.text and "保存領域の不足" in home.text
    with login(hub, "zeimu-send") as http:
        assert NO_SPACE not in http.get("/").text  # an operator is not the one to act on it
    entries = hub.audit("storage_low", last=100)
    assert entries, "the shortage is in the operation log"
    assert len(entries) <= logged + 1  # at most once in ten minutes, not once per page view
