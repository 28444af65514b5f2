"""Benchmark: a 100 MB file up to and down from the HTTPS hub, against nginx on the same loopback.

Run with ``make bench-exchange`` or ``uv run python benchmarks/bench_exchange.py`` (not part of the test
suite; needs Debian's ``nginx`` and ``curl``: ``apt-get install -y nginx curl``). It

1. prepares a throw-away ``KOKIN_HOME`` with ``kokin demo --no-serve`` and two API tokens
   (``kokin token create``: ``zeimu-send`` uploads, ``zeimu-get`` downloads);
2. writes a valid Zengin debit request of ``--mb`` MB (several batches of realistic payers from
   :func:`kokin.formats.synth.generate`, a debit date the hub accepts);
3. starts the real hub (``kokin hub serve``: gunicorn gthread workers, TLS from the hub's own CA) and
   nginx with the hub's own server certificate (same CA, same key, same TLS versions) on another
   loopback port. nginx serves the file with ``GET`` (static file) and takes uploads with ``PUT`` through
   its DAV module: the body goes to ``client_body_temp``, is renamed into the served folder and nginx
   answers 201 — it stores the bytes and checks nothing;
4. runs ``--runs`` rounds of: curl uploads the file to the hub (``POST /api/businesses/zeimu-furikae/files``,
   answered 201 only after the whole file was validated, hashed, encrypted and fsynced) twice: as the
   request body (``application/octet-stream``, the row the bar applies to) and as a multipart form
   (as the web page sends it, shown beside it); curl PUTs it to nginx, curl downloads the stored file
   from the hub (``POST /api/files/{id}/original``, a POST since a download changes the file's state;
   decrypted and SHA-256-checked while streaming) and the same file from nginx. Every downloaded copy
   is checked against the original's SHA-256 after timing;
   before each transfer the page cache is flushed (``sync``) so that no transfer pays for an earlier one's
   writes;
5. prints the best MB/s of each (MB = 10⁶ bytes), the ratios hub ÷ nginx, the hub workers' peak RSS
   (sampled every 10 ms from ``/proc`` during each hub transfer), and the load average.

Client, hub and nginx share this machine's cores; curl is the client for both servers.

Options: ``--mb`` (default 100), ``--runs`` (default 3), ``--keep`` (keep the temporary folder).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

#: bars of the issue: hub ÷ nginx
BAR_DOWNLOAD, BAR_UPLOAD, BAR_MEMORY_MB = 0.5, 0.3, 150
BUSINESS = "zeimu-furikae"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kokin(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kokin.cli", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"kokin {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def token(user: str, env: dict[str, str]) -> str:
    out = kokin("token", "create", "--user", user, "--name", "bench-exchange", "--days", "1", env=env)
    return next(word for word in out.split() if word.startswith("kk_"))


def debit_request(path: Path, megabytes: float) -> str:
    """A valid zengin-debit request of about ``megabytes`` MB: batches of 5,000 realistic payers (four
    seeds, repeated), each with its own trailer, then one end record; returns its SHA-256."""
    from kokin.formats import synth as sample
    from kokin.formats.bankdays import add_business_days

    debit_date = add_business_days(dt.datetime.now(ZoneInfo("Asia/Tokyo")).date(), 6)
    batches = []
    end = b""
    for seed in range(4):
        raw, _ = sample.generate("zengin-debit", 5000, seed=seed, base_date=debit_date)
        batches.append(raw[:-122])
        end = raw[-122:]  # the end record (9), 120 bytes and CR LF
    target = int(megabytes * 1_000_000)
    digest = hashlib.sha256()
    written = 0
    with path.open("wb") as fh:
        i = 0
        while written + len(batches[i % 4]) + len(end) <= target or i == 0:
            fh.write(batches[i % 4])
            digest.update(batches[i % 4])
            written += len(batches[i % 4])
            i += 1
        fh.write(end)
        digest.update(end)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def wait_tls(port: int, ca: Path, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    import ssl

    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=2) as raw,
                context.wrap_socket(raw, server_hostname="localhost"),
            ):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no TLS on port {port} after {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


NGINX_CONF = """
{user}
worker_processes 2;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body_temp;
    proxy_temp_path {root}/proxy_temp;
    fastcgi_temp_path {root}/fastcgi_temp;
    uwsgi_temp_path {root}/uwsgi_temp;
    scgi_temp_path {root}/scgi_temp;
    types {{ application/octet-stream dat; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        root {root}/www;
        location /files/ {{
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
            client_max_body_size 1g;
        }}
    }}
}}
"""


def start_nginx(root: Path, port: int, cert: Path, key: Path) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is not installed: apt-get update && apt-get install -y nginx")
    (root / "www" / "files").mkdir(parents=True, exist_ok=True)
    conf = root / "nginx.conf"
    user = "user root root;" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(user=user, root=root, port=port, cert=cert, key=key))
    log = root / "nginx.log"
    with log.open("wb") as out:
        return subprocess.Popen(
            [nginx, "-c", str(conf), "-p", str(root)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def rss(pid: int) -> int:
    """Resident set size of a process in bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
    return found


@dataclass
class Memory:
    """RSS of the hub's gunicorn workers (children of the master), sampled from /proc every 10 ms while
    a transfer runs: the peak of one worker, and how much that worker grew during the transfer."""

    master: int
    workers: list[int] = field(default_factory=list)
    before: int = 0
    peak: int = 0
    peak_growth: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        start = {pid: rss(pid) for pid in self.workers}
        self.before = max(self.before, *start.values(), 0)
        while not self._stop.is_set():
            for pid in self.workers:
                now = rss(pid)
                self.peak = max(self.peak, now)
                self.peak_growth = max(self.peak_growth, now - start[pid])
            self.samples += 1
            time.sleep(0.01)

    def __enter__(self) -> Memory:
        self.workers = children(self.master)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()


#: the two ways of the upload API: the file as the request body (streamed by curl from disk, the
#: options as query parameters), and a multipart form as the web page sends it
RAW_QUERY = "kind=&name=request.dat&confirm_duplicate=true&confirm_warnings=true"
UPLOADS = {
    "hub up": lambda big: ["-X", "POST", "-T", str(big), "-H", "Content-Type: application/octet-stream"],
    "hub up form": lambda big: [
        "-F",
        f"file=@{big};filename=request.dat;type=application/octet-stream",
        "-F",
        "confirm_duplicate=true",
        "-F",
        "confirm_warnings=true",
    ],
}


def curl(*args: str) -> tuple[int, float, str]:
    """Run curl; (HTTP status, seconds of the transfer as curl timed it, the body if it printed one)."""
    marker = "\n@@curl@@"
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--http1.1", *args, "--write-out", marker + "%{http_code} %{time_total}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"curl {' '.join(args)} failed: {done.stderr}")
    body, _, tail = done.stdout.rpartition(marker)
    status, seconds = tail.split()
    return int(status), float(seconds), body


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100.0, help="size of the file in MB (10^6 bytes)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, files)")
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("curl is not installed: apt-get install -y curl")

    root = Path(tempfile.mkdtemp(prefix="kokin-bench-exchange-"))
    home = root / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_"))}
    env.update(KOKIN_HOME=str(home), KOKIN_LOG_LEVEL="ERROR", HOME=str(root))
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}")
    print(f"load average at start: {loadavg()}")
    print(f"folder: {root}  database: {env.get('DATABASE_URL', 'SQLite')}  blob store: local")
    kokin("demo", "--no-serve", env=env)
    send, get = token("zeimu-send", env), token("zeimu-get", env)
    big = root / "request.dat"
    began = time.monotonic()
    digest = debit_request(big, args.mb)
    size = big.stat().st_size
    print(f"file: {size:,} bytes, zengin-debit request, SHA-256 {digest[:16]}… ({time.monotonic() - began:.1f} s)")
    shutil.copy(big, root / "nginx-source.dat")

    tls = home / "tls"
    hub_port, nginx_port = free_port(), free_port()
    hub_log = root / "hub.log"
    with hub_log.open("wb") as out:
        hub = subprocess.Popen(
            [sys.executable, "-m", "kokin.cli", "hub", "serve", "--host", "localhost", "--port", str(hub_port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    nginx = None
    try:
        wait_tls(hub_port, tls / "ca.crt", hub, hub_log)
        nginx = start_nginx(root / "nginx", nginx_port, tls / "server.crt", tls / "server.key")
        wait_tls(nginx_port, tls / "ca.crt", nginx, root / "nginx" / "nginx.log")
        hub_url, nginx_url = f"https://localhost:{hub_port}", f"https://localhost:{nginx_port}"
        common = ["--cacert", str(tls / "ca.crt")]
        # warm up: both servers have answered once (imports, TLS)
        curl(*common, "-o", os.devnull, "-H", f"Authorization: Bearer {get}", f"{hub_url}/api/businesses")
        curl(*common, "-o", os.devnull, f"{nginx_url}/files/")

        first = max((rss(pid) for pid in children(hub.pid)), default=0)
        ups: list[Memory] = []
        downs: list[Memory] = []
        times: dict[str, list[float]] = {
            "hub up": [],
            "hub up form": [],
            "nginx up": [],
            "hub down": [],
            "nginx down": [],
        }
        out = root / "download.dat"
        for run in range(args.runs):
            for name, how in UPLOADS.items():
                os.sync()  # the previous runs' dirty pages go to disk first, not during this transfer
                ups.append(Memory(hub.pid))
                with ups[-1]:
                    status, seconds, body = curl(
                        *common,
                        "-H",
                        f"Authorization: Bearer {send}",
                        *how(big),
                        f"{hub_url}/api/businesses/{BUSINESS}/files" + ("?" + RAW_QUERY if name == "hub up" else ""),
                    )
                if status != 201:
                    raise RuntimeError(f"hub upload answered {status}: {body[:2000]}")
                stored = json.loads(body)
                if stored["sha256"] != digest:
                    raise RuntimeError("the hub stored a different SHA-256")
                times[name].append(seconds)

            os.sync()
            status, seconds, body = curl(
                *common, "-T", str(root / "nginx-source.dat"), f"{nginx_url}/files/up-{run}.dat"
            )
            if status != 201:
                raise RuntimeError(f"nginx PUT answered {status}: {body[:500]}")
            times["nginx up"].append(seconds)

            os.sync()
            downs.append(Memory(hub.pid))
            with downs[-1]:
                status, seconds, _ = curl(
                    *common,
                    "-H",
                    f"Authorization: Bearer {get}",
                    "-X",
                    "POST",
                    "-o",
                    str(out),
                    f"{hub_url}/api/files/{stored['id']}/original",
                )
            if status != 200 or sha256_of(out) != digest:
                raise RuntimeError(f"hub download answered {status} or a different SHA-256")
            times["hub down"].append(seconds)

            os.sync()
            status, seconds, _ = curl(*common, "-o", str(out), f"{nginx_url}/files/up-{run}.dat")
            if status != 200 or sha256_of(out) != digest:
                raise RuntimeError(f"nginx download answered {status} or a different SHA-256")
            times["nginx down"].append(seconds)
            out.unlink()
            print(
                f"run {run + 1}: "
                + ", ".join(f"{name} {size / t / 1e6:,.0f} MB/s" for name, t in ((k, v[-1]) for k, v in times.items()))
                + f"  (worker peak MiB: up {ups[-2].peak / 2**20:.0f}, form {ups[-1].peak / 2**20:.0f}, "
                f"down {downs[-1].peak / 2**20:.0f}; load {loadavg().split()[0]})"
            )
    finally:
        for process in (hub, nginx):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (hub, nginx):
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    best = {name: size / min(values) / 1e6 for name, values in times.items()}
    up, down = best["hub up"] / best["nginx up"], best["hub down"] / best["nginx down"]
    form = best["hub up form"] / best["nginx up"]
    mib = 1024 * 1024
    print()
    print(f"{size / 1e6:,.0f} MB file, best of {args.runs} runs, HTTPS on loopback, curl as the client")
    print()
    print("| direction | hub MB/s | nginx MB/s | hub ÷ nginx | bar | holds |")
    print("|---|---:|---:|---:|---:|---|")
    print(
        f"| upload | {best['hub up']:,.0f} | {best['nginx up']:,.0f} | {up:.2f} | ≥ {BAR_UPLOAD} | "
        f"{'yes' if up >= BAR_UPLOAD else 'no'} |"
    )
    print(
        f"| upload, multipart form | {best['hub up form']:,.0f} | {best['nginx up']:,.0f} | {form:.2f} | "
        f"(≥ {BAR_UPLOAD}) | {'yes' if form >= BAR_UPLOAD else 'no'} |"
    )
    print(
        f"| download | {best['hub down']:,.0f} | {best['nginx down']:,.0f} | {down:.2f} | ≥ {BAR_DOWNLOAD} | "
        f"{'yes' if down >= BAR_DOWNLOAD else 'no'} |"
    )
    print()
    peak = max(m.peak for m in ups + downs) / mib
    # a worker's first upload also loads what it imports lazily (URL conf, bank master, holidays):
    # the growth a transfer itself costs is taken from the later runs
    later = (ups[1:] or ups) + (downs[1:] or downs)
    print(
        f"hub workers' RSS (MiB): {first / mib:.0f} at the start, {max(m.before for m in ups) / mib:.0f} "
        f"before an upload (after the lazy imports); peak of one worker: upload {max(m.peak for m in ups) / mib:.0f}, "
        f"download {max(m.peak for m in downs) / mib:.0f}; growth during one transfer (runs 2-): upload "
        f"+{max(m.peak_growth for m in later if m in ups) / mib:.0f}, download "
        f"+{max(m.peak_growth for m in later if m in downs) / mib:.0f}; "
        f"bar < {BAR_MEMORY_MB} MB on the peak: {'yes' if peak * mib < BAR_MEMORY_MB * 1e6 else 'no'}"
    )
    print(f"load average at the end: {loadavg()}")
    return 0 if up >= BAR_UPLOAD and down >= BAR_DOWNLOAD and peak * mib < BAR_MEMORY_MB * 1e6 else 1


if __name__ == "__main__":
    sys.exit(main())
