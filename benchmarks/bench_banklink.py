"""Benchmark: a 100 MB file over the bank link (hub ↔ bank agent) against OpenSSH ``sftp``, in one run.

Run with ``uv run --frozen python benchmarks/bench_banklink.py`` (``make bench-banklink``). It needs
Debian's openssh-server and openssh-client (``apt-get install -y openssh-server openssh-client``).

* **kokin, hub → agent** (download): a ~100 MB debit request (valid, a debit date ahead) is uploaded and
  approved on a real hub (``kokin hub serve``: gunicorn, HTTPS, encryption at rest); then one round of
  the agent (:class:`kokin.bank.agent.Agent`, in this process) lists it, downloads it over mutual TLS,
  checks its SHA-256 against the hub's digest, writes it atomically into ``inbox/`` and acknowledges it.
* **kokin, agent → hub** (upload): a ~100 MB collection file (general-receipt) is dropped into
  ``outbox/``; one round of the agent hashes it, uploads it with tus, and the hub checks its SHA-256,
  validates every record, stores it encrypted and routes it to its mailbox before it answers.
* **sftp**: an sshd started for this run on a loopback port (its own host key and user key) and
  ``sftp -b`` putting and getting the same two files (connection set-up included, as the agent's round
  includes its listing and acknowledgement).

Each is timed wall-clock after a ``sync`` (no transfer pays for earlier writes), best of ``--repeat``
(default 5); MB/s = 10^6 bytes per second. Bar: kokin ≥ 1.0× sftp
both ways.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.live import LiveHub, free_port  # noqa: E402

from benchmarks.bench_exchange import debit_request  # noqa: E402
from benchmarks.bench_formats import build_collection_file  # noqa: E402

UPLOAD_KIND = ("general-receipt", "ZEIMU-SHUNO-GEN1")


def _synced(sftp: list[str], batch: str) -> float:
    """One timed sftp batch, after the page cache was flushed (as before each kokin transfer)."""
    os.sync()
    return _sftp(sftp, batch)


def _sshd(folder: Path) -> tuple[subprocess.Popen[bytes], list[str]]:
    """An sshd on a free loopback port for this run; returns it and the sftp command line to use."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists() or not shutil.which("sftp"):
        raise SystemExit("openssh-server と openssh-client が必要です / needs openssh-server and openssh-client")
    for name in ("host", "user"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_bytes((folder / "user.pub").read_bytes())
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPasswordAuthentication no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\n"
        f"PidFile {folder / 'sshd.pid'}\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    process = subprocess.Popen([sshd, "-D", "-f", str(config), "-E", str(folder / "sshd.log")])
    user = os.environ.get("USER") or "root"
    command = ["sftp", "-q", "-P", str(port), "-i", str(folder / "user")]
    command += ["-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={folder / 'known_hosts'}"]
    command += ["-o", "BatchMode=yes", f"{user}@127.0.0.1"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        probe = subprocess.run([*command[:1], "-b", "-", *command[1:]], input=b"pwd\n", capture_output=True)
        if probe.returncode == 0:
            return process, command
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"sshd did not start: {(folder / 'sshd.log').read_text()}")


def _sftp(command: list[str], batch: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([command[0], "-b", "-", *command[1:]], input=batch.encode(), check=True, capture_output=True)
    return time.perf_counter() - t0


def _agent(hub: LiveHub, folder: Path) -> tuple[object, Path]:
    from kokin.bank.agent import Agent
    from kokin.bank.config import load_config

    cert, key, _ = hub.create_bank_account("bench-bank", folder / "credentials")
    config = folder / "agent.toml"
    config.write_text(
        f'[hub]\nurl = "{hub.url}"\nca_cert = "{hub.ca_cert}"\nclient_cert = "{cert}"\nclient_key = "{key}"\n'
        f'token_file = "{folder / "credentials" / "token"}"\n[spool]\nroot = "{folder / "spool"}"\n'
        "[transfer]\npoll_seconds = 1\n"
    )
    agent = Agent(load_config(config), stop=threading.Event())
    return agent, folder / "spool"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a bar fails")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kokin-bench-banklink-") as tmp:
        work = Path(tmp)
        down_file = work / "request.dat"
        print("データ作成 / building the files …", flush=True)
        debit_request(down_file, args.megabytes)
        # one collection file per repeat, one record (202 bytes) apart: the hub rightly refuses a file
        # whose bytes it keeps already as a duplicate, whatever its bank file ID
        records = int(args.megabytes * 1_000_000 / 202)
        up_files = [work / f"collection-{n}.dat" for n in range(args.repeat)]
        for n, path in enumerate(up_files):
            build_collection_file(UPLOAD_KIND[0], path, records - n)
        up_file = up_files[0]
        # MB/s with the smallest of them, so the figure never flatters
        size_down, size_up = down_file.stat().st_size, min(p.stat().st_size for p in up_files)
        print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)

        sshd, sftp = _sshd(work)
        try:
            put = min(_synced(sftp, f"put {up_file} {work / 'sftp-up.dat'}\n") for _ in range(args.repeat))
            get = min(_synced(sftp, f"get {down_file} {work / 'sftp-down.dat'}\n") for _ in range(args.repeat))
        finally:
            sshd.terminate()
            sshd.wait()

        hub = LiveHub(work / "hub", workers=2)
        hub.start()
        try:
            agent, spool = _agent(hub, work / "bank")
            downs, ups = [], []
            for n in range(args.repeat):
                hub.approve_debit_request(down_file.read_bytes(), name=f"request-{n}.dat")
                os.sync()  # earlier writes reach the disk before the clock starts, not during the transfer
                t0 = time.perf_counter()
                result = agent.run_round()  # type: ignore[attr-defined]
                downs.append(time.perf_counter() - t0)
                assert result.received == 1 and result.ok, result
                outbox = spool / "outbox" / UPLOAD_KIND[1]
                outbox.mkdir(parents=True, exist_ok=True)
                # a distinct file per repeat: the hub refuses a resend with the same ID as a duplicate
                target = outbox / f"bench-{n}.dat"
                staged = outbox / f".bench-{n}.tmp"
                shutil.copyfile(up_files[n], staged)
                staged.replace(target)
                os.sync()
                t0 = time.perf_counter()
                result = agent.run_round()  # type: ignore[attr-defined]
                ups.append(time.perf_counter() - t0)
                assert result.sent == 1 and result.ok, result
            agent.close()  # type: ignore[attr-defined]
        finally:
            hub.close()
    print(f"runs (s): download {[round(t, 3) for t in downs]}, upload {[round(t, 3) for t in ups]}")

    rows = [
        ("hub → agent (download)", size_down, min(downs), size_down, get),
        ("agent → hub (upload)", size_up, min(ups), size_up, put),
    ]
    print(f"\nload average: {Path('/proc/loadavg').read_text().split()[:3]}, cores: {os.cpu_count()}")
    print(f"{'direction':<24}{'kokin MB/s':>12}{'sftp MB/s':>12}{'ratio':>8}  bar ≥ 1.0×")
    failed = False
    for name, size, seconds, sftp_size, sftp_seconds in rows:
        ours, theirs = size / seconds / 1e6, sftp_size / sftp_seconds / 1e6
        ratio = ours / theirs
        failed |= ratio < 1.0
        print(f"{name:<24}{ours:>12.1f}{theirs:>12.1f}{ratio:>7.2f}×  {'ok' if ratio >= 1.0 else 'below'}")
        print(f"{'':<24}{seconds:>11.2f}s{sftp_seconds:>11.2f}s  ({size / 1e6:.1f} MB)")
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
