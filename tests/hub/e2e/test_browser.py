"""A real browser against the real HTTPS hub: Debian's chromium driven by Playwright.

The hub is set up and served exactly as on a fresh machine: ``kokin demo --no-serve`` in a throw-away
``KOKIN_HOME`` (SQLite, the local CA, the demo logins printed once), then ``kokin hub serve``
(gunicorn with TLS) on a free port. Chromium trusts the hub's own certificate through its public key
(``--ignore-certificate-errors-spki-list``), so the pages load as a secure context — which WebAuthn
requires — without turning certificate checks off.

Chromium comes from ``scripts/install-test-tools.sh`` (``apt-get install chromium``). Without
``/usr/bin/chromium`` these tests fail, so a CI machine cannot pass by skipping them; set
``KOKIN_SKIP_BROWSER=1`` to skip them on purpose on a machine where installing it is not possible.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from support.otp import code_from_secret

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEW_PASSWORD = "Browser-Test-Pass-2025"
LOCKED = "アカウントがロックされています"

if os.environ.get("KOKIN_SKIP_BROWSER") == "1":
    pytest.skip("KOKIN_SKIP_BROWSER=1: the real-browser tests are skipped on purpose", allow_module_level=True)


@dataclass(frozen=True)
class Login:
    password: str
    totp_secret: str


@dataclass(frozen=True)
class Hub:
    url: str
    home: Path
    logins: dict[str, Login]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo_logins(output: str) -> dict[str, Login]:
    """The logins ``kokin demo`` prints once: ID, initial password, TOTP secret, name."""
    rows = re.findall(r"^  (\S+)\s+(Kk-\S+)\s+([A-Z2-7]{16,})\s+\S", output, flags=re.MULTILINE)
    return {username: Login(password, secret) for username, password, secret in rows}


def _wait_for_tls(port: int, ca: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kokin hub serve exited early:\n{log.read_text(errors='replace')}")
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=2) as raw,
                context.wrap_socket(raw, server_hostname="localhost"),
            ):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"kokin hub serve did not answer on {port}:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """``kokin demo --no-serve`` then ``kokin hub serve`` over HTTPS, in a fresh KOKIN_HOME."""
    home = tmp_path_factory.mktemp("hub-home")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KOKIN_", "DJANGO_")) and k not in ("DATABASE_URL", "XDG_RUNTIME_DIR")
    }
    env.update(
        KOKIN_HOME=str(home),
        DJANGO_SETTINGS_MODULE="kokin.web.settings",  # production settings: HTTPS only, __Host- cookies
        KOKIN_WEBAUTHN_RP_ID="localhost",
        KOKIN_WEBAUTHN_ORIGIN=f"https://localhost:{port}",
        HOME=str(home),  # gunicorn's control socket goes under HOME; keep parallel runs apart
    )
    kokin = str(Path(sys.executable).with_name("kokin"))
    demo = subprocess.run(
        [kokin, "demo", "--no-serve", "--port", str(port)], env=env, capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    logins = _demo_logins(demo.stdout)
    assert {"zeimu-view", "zeimu-get", "sysadmin"} <= set(logins), demo.stdout
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [kokin, "hub", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_tls(port, home / "tls" / "ca.crt", process, log)
        yield Hub(f"https://localhost:{port}", home, logins)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _spki_sha256(cert: Path) -> str:
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    der = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


@pytest.fixture(scope="module")
def browser(hub: Hub) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/install-test-tools.sh (or set KOKIN_SKIP_BROWSER=1 to skip on purpose)"
        )
    from playwright.sync_api import sync_playwright

    trusted = ",".join(_spki_sha256(hub.home / "tls" / name) for name in ("server.crt", "ca.crt"))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={trusted}"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    context.close()
    assert not problems, f"script errors or CSP violations in the browser: {problems}"


def _submit_password(page: Any, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.card button[type=submit]")


def _first_login(page: Any, hub: Hub, username: str) -> None:
    """Password, TOTP from the printed secret, and the forced change of the initial password."""
    from playwright.sync_api import expect

    login = hub.logins[username]
    page.goto(hub.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    _submit_password(page, username, login.password)
    expect(page).to_have_url(hub.url + "/accounts/verify/")
    expect(page.locator("h1")).to_have_text("本人確認 (第2要素)")
    page.fill("#id_token", code_from_secret(login.totp_secret))
    page.get_by_role("button", name="確認", exact=True).click()
    expect(page).to_have_url(hub.url + "/accounts/password/")
    expect(page.locator("main")).to_contain_text("初期パスワードのままです")
    page.fill("#id_old_password", login.password)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.get_by_role("button", name="変更する").click()
    expect(page).to_have_url(hub.url + "/")


def _logout(page: Any, hub: Hub) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(hub.url + "/accounts/login/")
    expect(page.locator("ul.messages")).to_contain_text("ログアウトしました。")


def test_operator_logs_in_with_password_and_totp_and_is_locked_out_after_five_wrong_passwords(
    hub: Hub, page: Any
) -> None:
    from playwright.sync_api import expect

    _first_login(page, hub, "zeimu-view")
    expect(page.locator("h1")).to_have_text("ホーム")
    expect(page.locator("main h2")).to_have_text("担当業務")
    expect(page.locator("main")).to_contain_text("住民税 口座振替")
    expect(page.locator("ul.messages")).to_contain_text("パスワードを変更しました。")
    assert page.evaluate("window.isSecureContext") is True
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["__Host-kokin-session"]
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Strict"
    _logout(page, hub)

    for attempt in range(1, 6):
        _submit_password(page, "zeimu-view", f"Wrong-Password-{attempt}")
        if attempt < 5:
            expect(page.locator(".errorlist")).to_contain_text("ID またはパスワードが正しくありません。")
    expect(page.locator("h1")).to_have_text(LOCKED)
    page.goto(hub.url + "/accounts/login/")
    _submit_password(page, "zeimu-view", NEW_PASSWORD)
    expect(page.locator("h1")).to_have_text(LOCKED)


def test_operator_registers_a_security_key_and_logs_in_with_it(hub: Hub, page: Any) -> None:
    from playwright.sync_api import expect

    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    _first_login(page, hub, "zeimu-get")
    page.goto(hub.url + "/accounts/security/")
    page.fill("[data-webauthn-name]", "窓口端末のキー")
    page.get_by_role("button", name="セキュリティキーを登録").click()
    expect(page.locator("ul.messages")).to_contain_text("セキュリティキー「窓口端末のキー」を登録しました。")
    expect(page.locator("table.factors")).to_contain_text("窓口端末のキー")
    _logout(page, hub)

    _submit_password(page, "zeimu-get", NEW_PASSWORD)
    expect(page).to_have_url(hub.url + "/accounts/verify/")
    page.get_by_role("button", name="セキュリティキーで確認").click()
    expect(page).to_have_url(hub.url + "/")
    expect(page.locator("h1")).to_have_text("ホーム")
    expect(page.locator("main")).to_contain_text("住民税 口座振替")


def test_operator_downloads_with_the_button_a_post_and_the_file_becomes_downloaded(
    hub: Hub, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from support.exchange import debit_file

    data = debit_file(3, result=True)
    (tmp_path / "result.dat").write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(KOKIN_HOME=str(hub.home), DJANGO_SETTINGS_MODULE="kokin.web.settings", HOME=str(hub.home))
    kokin = str(Path(sys.executable).with_name("kokin"))
    placed = subprocess.run(
        [kokin, "exchange", "place", str(tmp_path / "result.dat"), "--business", "zeimu-furikae"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert placed.returncode == 0, placed.stdout + placed.stderr
    file_id = re.search(r"placed: ([0-9a-f-]{36})", placed.stdout).group(1)  # type: ignore[union-attr]

    _first_login(page, hub, "zeimu-send")
    page.goto(f"{hub.url}/files/{file_id}/download/")  # a GET: the page, the file stays new
    page.goto(f"{hub.url}/files/{file_id}/")
    expect(page.locator("main")).to_contain_text("取得可能 (新着)")
    page.get_by_role("link", name="取得 (ダウンロード)").click()
    with page.expect_download() as caught:
        page.get_by_role("button", name="ダウンロード", exact=True).click()
    saved = Path(caught.value.path())
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    page.goto(f"{hub.url}/files/{file_id}/")
    expect(page.locator("main")).to_contain_text("取得済")
    _logout(page, hub)
