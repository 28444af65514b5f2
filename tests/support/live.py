"""A real hub for end-to-end tests: ``kokin hub serve`` (gunicorn, HTTPS, its own CA) as a subprocess.

:class:`LiveHub` gives each instance a temporary ``KOKIN_HOME`` (its own CA, keys, secrets and blobs)
and its own database: SQLite in that home by default; when ``DATABASE_URL`` names a PostgreSQL server,
a fresh database on that server created for the hub and dropped by :meth:`LiveHub.close`, so parallel
test workers never share one. The server runs in its own process group, so :meth:`LiveHub.kill` can
SIGKILL gunicorn's master and workers at once (crash tests; :meth:`LiveHub.assert_group_gone` checks
that none of them lives on) and :meth:`LiveHub.restart` brings it back on the same port and data.
Readiness is found by polling, never by sleeping a fixed time.

Typical use (the ``live_hub`` fixture in ``tests/hub/conftest.py`` does the first two lines)::

    hub = LiveHub(tmp_path).start()
    cert, key, token = hub.create_bank_account("bank", tmp_path / "bank")
    file_id = hub.approve_debit_request()          # something for the bank to collect
    with hub.client(cert, key, token) as http:
        http.get("/banklink/v1/files")
    hub.close()
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

#: how long a start may take (migrations, collectstatic and the demo ward on a cold machine)
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
POLL = 0.1
KOKIN = [sys.executable, "-m", "kokin.cli"]
#: the folder holding the test support package (``support``)
TESTS = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_admin(url: str) -> str:
    """The same server's maintenance database, from which databases are created and dropped."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class HubFailed(RuntimeError):
    """The hub did not start, or a command against it failed; carries its output."""


class LiveHub:
    def __init__(
        self,
        root: Path,
        *,
        database_url: str | None = None,
        workers: int = 2,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.root = Path(root)
        self.home = self.root / "home"
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.port = free_port()
        self.workers = workers
        self.log_path = self.root / "hub.log"
        self.process: subprocess.Popen[bytes] | None = None
        #: the server's process group (its master's pid), kept after a kill for :meth:`assert_group_gone`
        self.group_id: int | None = None
        self._extra_env = dict(env or {})
        self._own_database = ""
        self._server_url = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
        self.database_url = ""
        self._prepared = False
        #: demo logins printed by ``kokin demo`` (username → (initial password, TOTP secret))
        self.logins: dict[str, tuple[str, str]] = {}

    # --- environment ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_cert(self) -> Path:
        return self.home / "tls" / "ca.crt"

    def environ(self) -> dict[str, str]:
        """The environment of every process of this hub (server and commands)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
        env.update(
            {
                "KOKIN_HOME": str(self.home),
                "DJANGO_SETTINGS_MODULE": "kokin.web.settings",
                "KOKIN_SECURE": "1",
                "KOKIN_ALLOWED_HOSTS": "localhost,127.0.0.1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env.pop("DATABASE_URL", None)
        env.update(self._extra_env)
        return env

    def _create_database(self) -> None:
        if not self._server_url or self.database_url:
            return
        if not self._server_url.startswith(("postgres://", "postgresql://")):
            self.database_url = self._server_url
            return
        import psycopg

        name = f"kokin_live_{secrets.token_hex(6)}"
        with psycopg.connect(_postgres_admin(self._server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._own_database = name
        self.database_url = _with_database(self._server_url, name)

    def _drop_database(self) -> None:
        if not self._own_database:
            return
        import psycopg

        with psycopg.connect(_postgres_admin(self._server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._own_database}" WITH (FORCE)')
        self._own_database = ""

    # --- commands -------------------------------------------------------------------------------

    def run(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 300,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Run ``kokin ARGS…`` against this hub's home and database (``env`` added to its environment);
        returns its output (stdout and stderr). :class:`HubFailed` on a non-zero exit when ``check``."""
        done = subprocess.run(
            [*KOKIN, *args],
            env={**self.environ(), **(env or {})},
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )
        output = done.stdout + done.stderr
        if check and done.returncode != 0:
            raise HubFailed(f"kokin {shlex.join(args)} exited {done.returncode}:\n{output}")
        return output

    def python(self, code: str) -> str:
        """Run Python in the hub's Django (``kokin manage shell -c``); returns what it printed. The code
        may import the test support (``support.*``, in ``tests/``): only these commands see it, never
        the server."""
        path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)
        return self.run("manage", "shell", "--no-imports", "-c", code, env={"PYTHONPATH": path})

    def manage_shell(self, code: str) -> Any:
        """Run Python as :meth:`python` does; the last line it printed that starts with ``{`` or ``[``,
        parsed as JSON (so logging on stderr cannot get in the way)."""
        import json

        output = self.python(code)
        last = next((x for x in reversed(output.splitlines()) if x.startswith(("{", "["))), None)
        if last is None:
            raise HubFailed(f"no JSON in the output:\n{output}")
        return json.loads(last)

    def prepare(self) -> None:
        """Migrate, collect static files and load the demo ward (``kokin demo --no-serve``), once."""
        if self._prepared:
            return
        self._create_database()
        output = self.run("demo", "--no-serve")
        for line in output.splitlines():
            parts = line.split()
            if len(parts) >= 3 and re.fullmatch(r"[a-z]+-[a-z]+|sysadmin|auditor", parts[0]):
                self.logins[parts[0]] = (parts[1], parts[2])
        self._prepared = True

    # --- the server -----------------------------------------------------------------------------

    def start(self) -> LiveHub:
        """Prepare (first time) and start the server; returns once it answers over HTTPS."""
        if self.running:
            return self
        self.prepare()
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it; closed below
        try:
            self.process = subprocess.Popen(
                [
                    *KOKIN,
                    "hub",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.environ(),
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: kill() reaches master and workers
            )
        finally:
            log.close()
        self.group_id = self.process.pid
        self.wait_ready()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise HubFailed(f"the hub exited while starting:\n{self.log()}")
            try:
                with httpx.Client(verify=self.ssl_context(), timeout=2) as http:
                    if http.get(f"{self.url}/accounts/login/").status_code == 200:
                        return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(POLL)
        raise HubFailed(f"the hub did not answer within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the group), SIGKILL if it does not end in time."""
        if self.process is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the whole process group at once (a power cut, as far as the hub can tell)."""
        if self.process is None:
            return
        self._signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        self._reap()

    def _reap(self) -> None:
        # workers are in the same group; make sure none outlives its master (SIGKILL leaves them orphaned)
        self._signal(signal.SIGKILL)
        self.process = None

    def group(self) -> list[int]:
        """The live (not zombie) processes still in the server's last process group."""
        if self.group_id is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == self.group_id and fields[0] != "Z":
                    found.append(int(entry.name))
        return found

    def assert_group_gone(self, timeout: float = 30) -> None:
        """Fail unless every process of the server's group is gone within ``timeout`` (after a kill,
        orphaned workers must not live on)."""
        deadline = time.monotonic() + timeout
        while self.group() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.group(), "a process of the server survived SIGKILL"

    def restart(self) -> LiveHub:
        """Stop if running and start again on the same port with the same home and database."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the server and drop the database created for it."""
        self.stop()
        self._drop_database()

    def __enter__(self) -> LiveHub:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # --- helpers for the bank link --------------------------------------------------------------

    def create_bank_account(
        self,
        name: str,
        folder: Path,
        *,
        networks: str = "127.0.0.1/32,::1/128",
        businesses: Sequence[str] | None = None,
        transfer_ids: Sequence[str] = (),
    ) -> tuple[Path, Path, str]:
        """``kokin banklink account create``: a client certificate issued by this hub's CA and a
        token, written into ``folder``; returns (certificate, key, token). The account serves
        ``businesses`` (by default every business of the demo ward) and ``transfer_ids``."""
        folder = Path(folder)
        if businesses is None:  # asked of the hub: this process may have no Django set up (a benchmark)
            codes = "print('CODES', *Business.objects.values_list('code', flat=True))"
            output = self.python("from kokin.accounts.models import Business\n" + codes)
            businesses = next(x for x in output.splitlines() if x.startswith("CODES")).split()[1:]
        scope = [
            *(a for c in businesses for a in ("--business", c)),
            *(a for t in transfer_ids for a in ("--transfer-id", t)),
        ]
        self.run("banklink", "account", "create", "--name", name, "--networks", networks, "--out", str(folder), *scope)
        return folder / f"{name}.crt", folder / f"{name}.key", (folder / "token").read_text(encoding="ascii").strip()

    def client(
        self, cert: Path | None = None, key: Path | None = None, token: str | None = None, **kw: Any
    ) -> httpx.Client:
        """An HTTPS client of this hub that trusts its CA, with a client certificate and a bearer token."""
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(
            base_url=self.url,
            verify=self.ssl_context(cert, key),
            headers=headers,
            timeout=kw.pop("timeout", 30),
            **kw,
        )

    def ssl_context(self, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
        """Trusts this hub's CA; presents ``cert`` (with ``key``) when asked for a client certificate."""
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if cert is not None and key is not None:
            context.load_cert_chain(str(cert), str(key))
        return context

    def approve_debit_request(
        self,
        data: bytes | None = None,
        *,
        transfer_id: str = "ZEIMU-FURIKAE-REQ1",
        sender: str = "zeimu-send",
        approver: str = "zeimu-approve",
        records: int = 5,
        name: str = "request.dat",
    ) -> str:
        """A debit request uploaded by ``sender`` and approved by ``approver`` (through the exchange's
        services, as the web UI does), so the bank has something to collect; returns the file id.
        Without ``data`` a valid request of ``records`` records (a debit date far enough ahead)."""
        path = ""
        if data is not None:
            spool = self.root / f"request-{secrets.token_hex(4)}.dat"
            spool.write_bytes(data)
            path = str(spool)
        code = f"""
from pathlib import Path
from kokin.accounts.actors import user_actor
from kokin.accounts.models import DataKind, User
from kokin.exchange import services
from support.exchange import debit_file, upload
kind = DataKind.objects.get(transfer_id={transfer_id!r})
path = {path!r}
codes = kind.business.consignor_code_list  # a request with the business's own 委託者コード
header = {{"consignor_code": codes[0]}} if codes else None
data = Path(path).read_bytes() if path else debit_file({records}, header=header)
file = upload(kind, User.objects.get(username={sender!r}), data, name={name!r})
services.approve(file=file, actor=user_actor(User.objects.get(username={approver!r})))
print("FILE", file.id)
"""
        output = self.python(code)
        found = re.search(r"^FILE ([0-9a-f-]{36})$", output, re.M)
        if found is None:
            raise HubFailed(f"no file id in the output:\n{output}")
        return found.group(1)

    def audit(self, action: str, *, last: int = 20) -> list[dict[str, Any]]:
        """The last operation-log entries of ``action`` (newest last) as dicts."""
        import json

        code = f"""
import json
from kokin.audit.models import AuditEntry
rows = list(AuditEntry.objects.filter(action={action!r}).order_by("-seq")[:{last}])
print("JSON", json.dumps([dict(seq=e.seq, actor=e.actor, action=e.action, object=e.object, outcome=e.outcome,
    client_ip=e.client_ip, cert_fingerprint=e.cert_fingerprint, sha256=e.sha256, detail=e.detail)
    for e in reversed(rows)], ensure_ascii=False))
"""
        output = self.python(code)
        line = next(x for x in output.splitlines() if x.startswith("JSON "))
        return list(json.loads(line[5:]))


@contextlib.contextmanager
def live_hub(root: Path, **kw: Any) -> Iterator[LiveHub]:
    """A started :class:`LiveHub`, closed (server stopped, database dropped) at the end."""
    hub = LiveHub(root, **kw)
    try:
        yield hub.start()
    finally:
        hub.close()
