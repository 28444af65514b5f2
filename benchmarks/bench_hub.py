"""Benchmark: the HTTPS hub under 50 concurrent logged-in clients, against a bare Django view.

Run with ``uv run python benchmarks/bench_hub.py`` (not part of the test suite). It

1. prepares a throw-away ``KOKIN_HOME`` with ``kokin demo --no-serve`` and reads the demo logins it
   prints (initial password and TOTP secret); because each operator may hold only one session, it
   adds bench operators (税務課 口座振替, 送信・取得) until there are ``--clients`` logins;
2. starts the real hub (``kokin hub serve``: gunicorn, TLS from the hub's own CA) and, with
   ``KOKIN_BENCH_BARE=1``, the bare baseline (:mod:`benchmarks.bare_wsgi`: one view, no middleware, no
   apps) with the same gunicorn setup on another port;
3. logs every client in over HTTPS with its own cookie jar — ID + password, TOTP, the forced change of
   the initial password — all clients at once;
4. for ``--seconds`` each, with every client looping: the home page (session), ``GET /api/businesses``
   (bearer token, one per operator), and the bare view; prints p50/p99 latency, requests/s and the
   ratios to the bare view as a Markdown table.

Client and servers share this machine's cores, so the bare view's figure is bounded by the Python
client as much as by the server: the ratio is a floor on the hub's overhead, not an exact figure.

Options: ``--clients N`` (default 50), ``--seconds S`` (default 10), ``--workers W`` (default: the
hub's default of ``kokin hub serve``), ``--keep`` (keep the temporary ``KOKIN_HOME`` with the server logs).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

#: the bare baseline app, run as a script (it configures Django itself)
BARE_WSGI = Path(__file__).with_name("bare_wsgi.py")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Login:
    username: str
    password: str
    totp_secret: str  # base32


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kokin(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kokin.cli", *args], env=env, capture_output=True, text=True, check=True
    )


def parse_demo_logins(output: str) -> list[Login]:
    """The table ``kokin demo`` prints once: ID, initial password, TOTP secret, name."""
    logins = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1].startswith("Kk-") and re.fullmatch(r"[A-Z2-7]{16,}", parts[2]):
            logins.append(Login(parts[0], parts[1], parts[2]))
    return logins


def add_bench_operators(home: Path, count: int) -> tuple[list[Login], dict[str, str]]:
    """Create ``count`` more operators; return their logins and an API token for every operator."""
    script = f"""
import base64, json, secrets
from django_otp.plugins.otp_totp.models import TOTPDevice
from kokin.accounts.models import Business, Department, Role, RoleAssignment, User
from kokin.api.services import create_token
business = Business.objects.get(code="zeimu-furikae")
logins = []
for i in range({count}):
    user = User.objects.create(username=f"bench-{{i:02d}}", display_name=f"ベンチ {{i}}",
                               department=Department.objects.get(code="zeimu"))
    password = "Kk-" + secrets.token_urlsafe(12)
    user.set_password(password)
    user.save()
    for role in (Role.UPLOAD, Role.DOWNLOAD):
        RoleAssignment.objects.create(user=user, business=business, role=role)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    logins.append([user.username, password, base64.b32encode(device.bin_key).decode().rstrip("=")])
tokens = {{u.username: create_token(user=u, name="bench", days=1)[1] for u in User.objects.all()}}
print(json.dumps({{"logins": logins, "tokens": tokens}}))
"""
    env = {**os.environ, "KOKIN_HOME": str(home)}
    out = kokin("manage", "shell", "-c", script, env=env).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return [Login(*row) for row in data["logins"]], data["tokens"]


def totp(secret_b32: str) -> str:
    """The current RFC 6238 code (SHA-1, 30 s, 6 digits), as an authenticator app shows it."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen(
            [sys.executable, *args], env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_ready(url: str, ca: Path, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, verify=str(ca), timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server at {url} not ready after {timeout} s:\n{log.read_text()[-3000:]}")


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    page = await client.get(path)
    match = CSRF_FIELD.search(page.text)
    if match is None:
        raise RuntimeError(f"no CSRF token on {path} ({page.status_code})")
    referer = str(client.base_url).rstrip("/") + path
    return await client.post(path, data={"csrfmiddlewaretoken": match.group(1), **data}, headers={"Referer": referer})


async def log_in(client: httpx.AsyncClient, login: Login) -> None:
    """ID + password, then TOTP, then the forced change of the initial password."""
    response = await post_form(client, "/accounts/login/", {"username": login.username, "password": login.password})
    if response.status_code != 302:
        raise RuntimeError(f"{login.username}: password step answered {response.status_code}")
    response = await post_form(client, "/accounts/verify/", {"token": totp(login.totp_secret)})
    if response.status_code != 302:
        raise RuntimeError(f"{login.username}: TOTP step answered {response.status_code}")
    home = await client.get("/")
    if home.status_code == 302 and home.headers["location"].startswith("/accounts/password/"):
        new = f"Bench-{secrets.token_urlsafe(12)}-7q!"
        response = await post_form(
            client,
            "/accounts/password/",
            {"old_password": login.password, "new_password1": new, "new_password2": new},
        )
        if response.status_code != 302:
            raise RuntimeError(f"{login.username}: password change answered {response.status_code}")
        home = await client.get("/")
    if home.status_code != 200:
        raise RuntimeError(f"{login.username}: home page answered {home.status_code} {home.headers.get('location')}")


async def hammer(clients: list[tuple[httpx.AsyncClient, dict[str, str]]], path: str, seconds: float) -> Result:
    """Every client requests ``path`` in a loop for ``seconds``; latencies of the 200 answers."""
    result = Result()
    stop = time.monotonic() + seconds

    async def loop(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                response = await client.get(path, headers=headers)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                result.latencies.append(time.perf_counter() - began)
            else:
                result.errors += 1

    began = time.monotonic()
    await asyncio.gather(*(loop(c, h) for c, h in clients))
    result.seconds = time.monotonic() - began
    return result


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()}"


async def run(args: argparse.Namespace) -> int:
    home = Path(tempfile.mkdtemp(prefix="kokin-bench-"))
    env = {**os.environ, "KOKIN_HOME": str(home), "KOKIN_LOG_LEVEL": "ERROR"}
    env.pop("KOKIN_SECURE", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    print(machine())
    print(f"KOKIN_HOME={home}")
    logins = parse_demo_logins(kokin("demo", "--no-serve", env=env).stdout)
    if not logins:
        raise RuntimeError("kokin demo printed no logins")
    extra, tokens = add_bench_operators(home, max(0, args.clients - len(logins)))
    logins = (logins + extra)[: args.clients]
    ca = home / "tls" / "ca.crt"

    hub_port, bare_port = free_port(), free_port()
    serve = ["-m", "kokin.cli", "hub", "serve", "--host", "localhost", "--port", str(hub_port)]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    bare_env = {**env, "KOKIN_BENCH_BARE": "1"}
    hub = start(serve, env, home / "hub.log")
    bare = start([str(BARE_WSGI), "localhost", str(bare_port)], bare_env, home / "bare.log")
    try:
        hub_url, bare_url = f"https://localhost:{hub_port}", f"https://localhost:{bare_port}"
        wait_ready(f"{hub_url}/accounts/login/", ca, hub, home / "hub.log")
        wait_ready(f"{bare_url}/bench/bare", ca, bare, home / "bare.log")
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        sessions = [httpx.AsyncClient(base_url=hub_url, verify=str(ca), limits=limits, timeout=60) for _ in logins]
        began = time.monotonic()
        await asyncio.gather(*(log_in(c, login) for c, login in zip(sessions, logins, strict=True)))
        print(
            f"{len(logins)} clients logged in (password + TOTP + password change) in {time.monotonic() - began:.1f} s"
        )
        api = [httpx.AsyncClient(base_url=hub_url, verify=str(ca), limits=limits, timeout=60) for _ in logins]
        barec = [httpx.AsyncClient(base_url=bare_url, verify=str(ca), limits=limits, timeout=60) for _ in logins]
        cases: list[tuple[str, list[tuple[httpx.AsyncClient, dict[str, str]]], str]] = [
            ("home page `/` (session)", [(c, {}) for c in sessions], "/"),
            (
                "`GET /api/businesses` (token)",
                [(c, {"Authorization": f"Bearer {tokens[who.username]}"}) for c, who in zip(api, logins, strict=True)],
                "/api/businesses",
            ),
            ("bare Django view, no middleware", [(c, {}) for c in barec], "/bench/bare"),
        ]
        results: dict[str, Result] = {}
        for name, clients, path in cases:
            await hammer(clients, path, 1.0)  # warm up: connections, TLS sessions, worker imports
            results[name] = await hammer(clients, path, args.seconds)
        for client in sessions + api + barec:
            await client.aclose()
    finally:
        for process in (hub, bare):
            os.killpg(process.pid, 15)
        for process in (hub, bare):
            process.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)

    base = results[cases[-1][0]]
    base_rps = len(base.latencies) / base.seconds
    base_p50 = percentile(base.latencies, 50)
    print()
    print(f"{args.clients} concurrent clients, {args.seconds:g} s each, HTTPS keep-alive, one connection per client")
    print()
    print("| endpoint | requests | errors | req/s | p50 ms | p99 ms | req/s ÷ bare | p50 × bare |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        if not result.latencies:
            print(f"| {name} | 0 | {result.errors} | — | — | — | — | — |")
            continue
        rps = len(result.latencies) / result.seconds
        p50, p99 = percentile(result.latencies, 50), percentile(result.latencies, 99)
        print(
            f"| {name} | {len(result.latencies):,} | {result.errors} | {rps:,.0f} | {p50 * 1000:.1f} | "
            f"{p99 * 1000:.1f} | {rps / base_rps:.2f} | {p50 / base_p50:.1f} |"
        )
    return 1 if any(r.errors for r in results.values()) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: the hub's default)")
    parser.add_argument("--keep", action="store_true", help="keep KOKIN_HOME (database, server logs)")
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
