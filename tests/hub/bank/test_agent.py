"""The bank agent (``kokin bank agent``) against a real hub over HTTPS with mutual TLS.

Each test runs the agent as a subprocess, as the bank would, on its own spool; the hub (one per test
module and xdist worker, see :class:`support.live.LiveHub`) is checked through its database with
``kokin manage shell``. Nothing waits a fixed time: every wait polls with a deadline.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kokin.bank.conversion import convert_bytes
from support.exchange import collection_file
from support.faultproxy import FaultProxy
from support.live import KOKIN, HubFailed, LiveHub

DEADLINE = 120.0
COLLECTION_KIND = "ZEIMU-SHUNO-GEN1"
#: record counts never used twice in a module: the hub refuses a second file with the same contents
_sizes = itertools.count(3)


@dataclass
class Bank:
    cert: Path
    key: Path
    token_file: Path


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    live = LiveHub(tmp_path_factory.mktemp("agent-hub"))
    try:
        live.start()
        yield live
    except HubFailed:
        print(live.log())
        raise
    finally:
        live.close()


@pytest.fixture(scope="module")
def bank(hub: LiveHub, tmp_path_factory: pytest.TempPathFactory) -> Bank:
    folder = tmp_path_factory.mktemp("bank-credentials")
    cert, key, _token = hub.create_bank_account("agent-test-bank", folder)
    return Bank(cert, key, folder / "token")


class AgentRun:
    """One agent's configuration and spool in a test's folder, and ways to run it."""

    def __init__(self, folder: Path, hub: LiveHub, bank: Bank, *, url: str | None = None, extra: str = "") -> None:
        self.folder = folder
        self.spool = folder / "spool"
        self.jobs_log = folder / "jobs.log"
        self.config = folder / "agent.toml"
        job = (
            f'command = [{json.dumps(sys.executable)}, "-c", '
            "\"import sys; open(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\\\n')\", "
            f'{json.dumps(str(self.jobs_log))}, "{{direction}}", "{{outcome}}", "{{transfer_id}}", '
            '"{path}", "{file_id}", "{bank_file_id}"]\n'
        )
        jobs = "".join(
            f'[[job]]\nwhen = "{when}"\noutcome = "{outcome}"\ntransfer_id = "*"\n{job}'
            for when in ("sent", "received")
            for outcome in ("success", "failure")
        )
        self.config.write_text(
            "[hub]\n"
            f"url = {json.dumps(url or hub.url)}\n"
            f"ca_cert = {json.dumps(str(hub.ca_cert))}\n"
            f"client_cert = {json.dumps(str(bank.cert))}\n"
            f"client_key = {json.dumps(str(bank.key))}\n"
            f"token_file = {json.dumps(str(bank.token_file))}\n"
            '[spool]\nroot = "spool"\n'
            "[transfer]\npoll_seconds = 0.2\nretries = 4\nbackoff_seconds = 0.1\nbackoff_max_seconds = 1\n"
            "timeout_seconds = 60\n" + extra + jobs,
            encoding="utf-8",
        )

    def drop(self, transfer_id: str, name: str, data: bytes) -> Path:
        """Put a file into outbox/ as the bank's core system does: written aside, renamed in."""
        folder = self.spool / "outbox" / transfer_id
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
        return folder / name

    def once(self, *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*KOKIN, "bank", "agent", "--config", str(self.config), "--once"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=_env(),
        )
        print(done.stdout, done.stderr)
        return done

    def start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*KOKIN, "bank", "agent", "--config", str(self.config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_env(),
        )

    def history(self) -> list[dict[str, Any]]:
        done = subprocess.run(
            [*KOKIN, "bank", "history", "--config", str(self.config), "--json", "--limit", "100"],
            capture_output=True,
            text=True,
            check=True,
            env=_env(),
        )
        return list(json.loads(done.stdout))

    def jobs(self) -> list[list[str]]:
        if not self.jobs_log.exists():
            return []
        return [line.split(" ") for line in self.jobs_log.read_text(encoding="utf-8").splitlines()]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}


def wait_for(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def hub_json(hub: LiveHub, code: str) -> Any:
    output = hub.python(code)
    line = next(x for x in output.splitlines() if x.startswith("JSON "))
    return json.loads(line[5:])


def uploads(hub: LiveHub, bank_file_id: str) -> list[dict[str, Any]]:
    """The hub's uploads of one bank file ID, with the file each stored."""
    return list(
        hub_json(
            hub,
            f"""
import json
from kokin.banklink.models import BankUpload
rows = BankUpload.objects.filter(bank_file_id={bank_file_id!r}).select_related("file", "file__data_kind")
print("JSON", json.dumps([dict(outcome=u.outcome, offset=u.offset, length=u.length, transfer_id=u.transfer_id,
    file_id=str(u.file_id) if u.file_id else None, state=u.file.state if u.file else None,
    mailbox=u.file.data_kind.transfer_id if u.file else None, errors=u.errors) for u in rows]))
""",
        )
    )


def files_with_sha(hub: LiveHub, sha256: str) -> list[dict[str, Any]]:
    return list(
        hub_json(
            hub,
            f"""
import json
from kokin.exchange.models import ExchangeFile
rows = ExchangeFile.objects.filter(sha256={sha256!r}).select_related("data_kind")
print("JSON", json.dumps([dict(id=str(f.id), state=f.state, mailbox=f.data_kind.transfer_id) for f in rows]))
""",
        )
    )


def file_state(hub: LiveHub, file_id: str) -> str:
    return str(
        hub_json(
            hub,
            f"""
import json
from kokin.exchange.models import ExchangeFile
print("JSON", json.dumps(ExchangeFile.objects.get(pk={file_id!r}).state))
""",
        )
    )


def collection(records: int | None = None) -> bytes:
    return collection_file("general-receipt", records or next(_sizes))


def sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


# --- sending ------------------------------------------------------------------------------------------


def test_collection_file_arrives_in_its_mailbox_and_moves_to_sent(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    agent = AgentRun(tmp_path, hub, bank)
    data = collection()
    agent.drop(COLLECTION_KIND, "C-SEND-0001.dat", data)

    done = agent.once()
    assert done.returncode == 0, done.stdout
    assert "配信完了 / sent" in done.stdout

    assert (agent.spool / "sent" / COLLECTION_KIND / "C-SEND-0001.dat").read_bytes() == data
    assert not (agent.spool / "outbox" / COLLECTION_KIND / "C-SEND-0001.dat").exists()
    (upload,) = uploads(hub, "C-SEND-0001")
    assert upload["outcome"] == "stored" and upload["mailbox"] == COLLECTION_KIND
    (stored,) = files_with_sha(hub, sha(data))
    assert (stored["id"], stored["mailbox"]) == (upload["file_id"], COLLECTION_KIND)
    assert not list((agent.spool / ".agent" / "uploads").iterdir())  # no upload state left behind

    (row,) = agent.history()
    assert row["direction"] == "send" and row["outcome"] == "stored"
    assert (row["transfer_id"], row["file_name"], row["bank_file_id"]) == (
        COLLECTION_KIND,
        "C-SEND-0001.dat",
        "C-SEND-0001",
    )
    assert (row["bytes"], row["sha256"], row["hub_file_id"]) == (len(data), sha(data), upload["file_id"])
    sent_path = str(agent.spool.resolve() / "sent" / COLLECTION_KIND / "C-SEND-0001.dat")
    assert agent.jobs() == [["sent", "stored", COLLECTION_KIND, sent_path, upload["file_id"], "C-SEND-0001"]]


def test_resend_of_the_same_file_is_recognised_and_not_stored_twice(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    agent = AgentRun(tmp_path, hub, bank)
    data = collection()
    agent.drop(COLLECTION_KIND, "C-RESEND-0001.dat", data)
    assert agent.once().returncode == 0

    # the bank's core system sends the same file again (same bank file ID)
    agent.drop(COLLECTION_KIND, "C-RESEND-0001.dat", data)
    done = agent.once()
    assert done.returncode == 0, done.stdout
    assert "再送を認識" in done.stdout and "resend recognised" in done.stdout

    assert len(uploads(hub, "C-RESEND-0001")) == 1
    assert len(files_with_sha(hub, sha(data))) == 1
    assert [r["outcome"] for r in agent.history()] == ["duplicate", "stored"]
    assert (agent.spool / "sent" / COLLECTION_KIND / "C-RESEND-0001.dat").exists()


def test_rejected_file_goes_to_failed_with_the_hubs_reason(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    agent = AgentRun(tmp_path, hub, bank)
    broken = collection()[:-5]  # the last record is five bytes short
    agent.drop(COLLECTION_KIND, "C-BAD-0001.dat", broken)

    done = agent.once()
    assert done.returncode == 1, done.stdout
    assert "配信拒否 / rejected" in done.stdout

    failed = agent.spool / "failed" / COLLECTION_KIND
    assert (failed / "C-BAD-0001.dat").read_bytes() == broken
    reason = json.loads((failed / "C-BAD-0001.dat.reason.json").read_text(encoding="utf-8"))
    assert reason["outcome"] == "rejected" and reason["bank_file_id"] == "C-BAD-0001"
    assert reason["errors"] and reason["errors"][0]["field"] == "length"
    assert reason["errors"][0]["message_ja"] and reason["errors"][0]["message_en"]
    (upload,) = uploads(hub, "C-BAD-0001")
    assert upload["outcome"] == "rejected" and upload["file_id"] is None

    (row,) = agent.history()
    assert row["outcome"] == "rejected" and "length" in row["reason"]
    ((direction, outcome, transfer_id, path, *_),) = agent.jobs()
    assert (direction, outcome, transfer_id) == ("sent", "rejected", COLLECTION_KIND)
    assert path.endswith("failed/ZEIMU-SHUNO-GEN1/C-BAD-0001.dat")


def test_unknown_transfer_id_is_refused_into_failed(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    agent = AgentRun(tmp_path, hub, bank)
    agent.drop("NO-SUCH-KIND1", "X-0001.dat", collection())
    done = agent.once()
    assert done.returncode == 1
    reason = json.loads((agent.spool / "failed" / "NO-SUCH-KIND1" / "X-0001.dat.reason.json").read_text("utf-8"))
    assert reason["outcome"] == "refused" and reason["errors"][0]["status"] == 400


# --- receiving ----------------------------------------------------------------------------------------


def _as_result(request_ebcdic: bytes) -> bytes:
    """What the bank's core system returns for a request: every payer debited (result code 0 is the
    request's already), the trailer's transferred totals set — edited in EBCDIC, as the bank would."""
    stride = 122
    records = [request_ebcdic[i : i + stride] for i in range(0, len(request_ebcdic), stride)]
    out = []
    for rec in records:
        text = rec[:120].decode("cp290")
        if text[0] == "8":
            count, amount = text[1:7], text[7:19]
            text = text[:19] + count + amount + "0" * 6 + "0" * 12 + text[55:]
        out.append(text.encode("cp290") + rec[120:])
    return b"".join(out)


def test_approved_debit_request_is_received_converted_acked_and_answered(
    tmp_path: Path, hub: LiveHub, bank: Bank
) -> None:
    agent = AgentRun(
        tmp_path,
        hub,
        bank,
        extra='[conversion]\n"ZEIMU-FURIKAE-REQ1" = "ebcdic"\n"ZEIMU-FURIKAE-RES1" = "ebcdic"\n',
    )
    file_id = hub.approve_debit_request(records=4, name="zeimu-request.dat")

    done = agent.once()
    assert done.returncode == 0, done.stdout
    inbox = agent.spool / "inbox" / "ZEIMU-FURIKAE-REQ1"
    data = (inbox / "zeimu-request.dat").read_bytes()
    sidecar = json.loads((inbox / "zeimu-request.dat.json").read_text(encoding="utf-8"))
    assert sidecar["id"] == file_id and sidecar["reply_transfer_id"] == "ZEIMU-FURIKAE-RES1"
    assert sidecar["records"] == 4 and sidecar["amount"] > 0 and sidecar["conversion"] == "ebcdic"
    # EBCDIC on the bank's side, code division 1; the hub's SJIS bytes are what the SHA-256 covers
    assert data[:4].decode("cp290") == "1911"
    assert sha(convert_bytes(data, "sjis")) == sidecar["sha256"] == sidecar["sha256"].lower()
    assert sha(data) == sidecar["local_sha256"]
    assert not list((agent.spool / ".agent" / "partial").iterdir())
    assert not list((agent.spool / ".agent" / "acks").iterdir())
    assert file_state(hub, file_id) == "collected"
    (row,) = agent.history()
    assert (row["direction"], row["outcome"], row["hub_file_id"]) == ("receive", "received", file_id)
    assert agent.jobs()[0][:3] == ["received", "received", "ZEIMU-FURIKAE-REQ1"]

    # the bank answers in EBCDIC; the agent converts it back and the hub matches it to the request
    agent.drop("ZEIMU-FURIKAE-RES1", "R-0001.dat", _as_result(data))
    done = agent.once()
    assert done.returncode == 0, done.stdout
    (upload,) = uploads(hub, "R-0001")
    assert upload["outcome"] == "stored" and upload["mailbox"] == "ZEIMU-FURIKAE-RES1", upload

    # nothing is downloaded twice
    done = agent.once()
    assert "集信開始" not in done.stdout


def test_corrupted_download_is_refused_and_downloaded_again(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    # the fault proxy plays the bank's TLS tunnel so that a flipped byte gets past TLS to the agent
    tls = hub.ssl_context(bank.cert, bank.key)
    file_id = hub.approve_debit_request(records=3000, name="big-request.dat")
    with FaultProxy(("127.0.0.1", hub.port), upstream_tls=tls) as proxy:
        proxy.faults.corrupt_at = 200_000
        agent = AgentRun(tmp_path, hub, bank, url=f"http://127.0.0.1:{proxy.port}")
        done = agent.once()
    assert done.returncode == 0, done.stdout
    assert proxy.faults.done == ["corrupt"]
    assert "SHA-256 mismatch" in done.stdout
    sidecar = json.loads((agent.spool / "inbox" / "ZEIMU-FURIKAE-REQ1" / "big-request.dat.json").read_text("utf-8"))
    assert sha((agent.spool / "inbox" / "ZEIMU-FURIKAE-REQ1" / "big-request.dat").read_bytes()) == sidecar["sha256"]
    (row,) = agent.history()
    assert row["outcome"] == "received" and row["retries"] == 1
    assert file_state(hub, file_id) == "collected"


def test_cut_download_resumes_with_a_range(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    tls = hub.ssl_context(bank.cert, bank.key)
    file_id = hub.approve_debit_request(records=3001, name="cut-request.dat")
    with FaultProxy(("127.0.0.1", hub.port), upstream_tls=tls) as proxy:
        proxy.faults.cut_after = 150_000
        agent = AgentRun(tmp_path, hub, bank, url=f"http://127.0.0.1:{proxy.port}")
        done = agent.once()
    assert done.returncode == 0, done.stdout
    assert proxy.faults.done == ["cut"]
    assert "download resumed at byte" in done.stdout
    sidecar = json.loads((agent.spool / "inbox" / "ZEIMU-FURIKAE-REQ1" / "cut-request.dat.json").read_text("utf-8"))
    assert sha((agent.spool / "inbox" / "ZEIMU-FURIKAE-REQ1" / "cut-request.dat").read_bytes()) == sidecar["sha256"]
    assert file_state(hub, file_id) == "collected"


def test_upload_cut_in_the_middle_is_resumed_on_the_same_upload(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    tls = hub.ssl_context(bank.cert, bank.key)
    data = collection(10_000 + next(_sizes))  # about 2 MB
    with FaultProxy(("127.0.0.1", hub.port), upstream_tls=tls) as proxy:
        proxy.faults.cut_upload_after = 1_200_000
        agent = AgentRun(tmp_path, hub, bank, url=f"http://127.0.0.1:{proxy.port}", extra="chunk_bytes = 524288\n")
        agent.drop(COLLECTION_KIND, "C-CUT-0001.dat", data)
        done = agent.once()
    assert done.returncode == 0, done.stdout
    assert proxy.faults.done == ["cut_up"]
    assert "retry 1 of" in done.stdout
    (upload,) = uploads(hub, "C-CUT-0001")
    assert upload["outcome"] == "stored"
    (row,) = agent.history()
    assert row["outcome"] == "stored" and row["retries"] >= 1


def test_hub_restarted_in_the_middle_of_a_download_loses_nothing(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    # the proxy slows the download down so that the hub can be killed and started again in its middle
    file_id = hub.approve_debit_request(records=20_000, name="restart-request.dat")  # about 2.4 MB
    partial = tmp_path / "spool" / ".agent" / "partial" / f"{file_id}.part"
    with FaultProxy(("127.0.0.1", hub.port)) as proxy:
        proxy.faults.throttle = 400_000
        agent = AgentRun(tmp_path, hub, bank, url=f"https://127.0.0.1:{proxy.port}")
        process = agent.start()
        try:
            wait_for(lambda: partial.exists() and partial.stat().st_size > 200_000, "a download half-way")
            hub.kill()
            assert proxy.drop_connections() >= 1
            kept = partial.stat().st_size
            hub.start()
            proxy.faults.throttle = None
            target = agent.spool / "inbox" / "ZEIMU-FURIKAE-REQ1" / "restart-request.dat"
            wait_for(lambda: file_state(hub, file_id) == "collected", "the acknowledgement after the restart")
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=60)[0]
    print(output)
    assert 0 < kept < target.stat().st_size
    assert "download resumed at byte" in output  # from what it had, not from the start
    sidecar = json.loads(target.with_name(target.name + ".json").read_text("utf-8"))
    assert sha(target.read_bytes()) == sidecar["sha256"]
    assert not partial.exists()
    received = [row for row in agent.history() if row["outcome"] == "received"]
    assert len(received) == 1 and received[0]["sha256"] == sidecar["sha256"]
    assert len(hub.audit("exchange_collect", last=100)) == len(
        {e["object"] for e in hub.audit("exchange_collect", last=100)}
    )  # acknowledged once per file


# --- crash and shutdown -------------------------------------------------------------------------------


def _upload_offset(agent: AgentRun, hub: LiveHub, bank: Bank, bank_file_id: str) -> tuple[int, int] | None:
    """The hub's offset and length of the agent's upload, once the agent has recorded its URL."""
    state = agent.spool / ".agent" / "uploads" / f"{bank_file_id}.json"
    try:
        url = json.loads(state.read_text(encoding="utf-8")).get("url")
    except (OSError, ValueError):
        return None
    if not url:
        return None
    with hub.client(
        bank.cert, bank.key, bank.token_file.read_text().strip(), headers={"Tus-Resumable": "1.0.0"}
    ) as http:
        info = http.get(url).json()
    return int(info["offset"]), int(info["length"])


def _big_collection() -> bytes:
    return collection(150_000 + next(_sizes))  # about 30 MB


def test_agent_killed_in_the_middle_of_an_upload_resumes_without_a_duplicate(
    tmp_path: Path, hub: LiveHub, bank: Bank
) -> None:
    # small PATCHes so that there is a middle to kill the agent in
    agent = AgentRun(tmp_path, hub, bank, extra="chunk_bytes = 131072\n")
    data = _big_collection()
    agent.drop(COLLECTION_KIND, "C-KILL-0001.dat", data)

    process = agent.start()
    try:
        killed_at, _length = wait_for(
            lambda: (o := _upload_offset(agent, hub, bank, "C-KILL-0001")) and 0 < o[0] < o[1] and o,
            "an upload half-way",
        )
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(30)
    assert (agent.spool / "outbox" / COLLECTION_KIND / "C-KILL-0001.dat").exists()

    done = agent.once()
    assert done.returncode == 0, done.stdout
    assert "配信再開 / resuming upload" in done.stdout
    # it went on from where the hub had got to, not from the start
    resumed_at = int(re.search(r"resuming upload: \S+ at ([0-9,]+) of", done.stdout).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert resumed_at >= killed_at
    (upload,) = uploads(hub, "C-KILL-0001")
    assert upload["outcome"] == "stored" and upload["length"] == len(data)
    assert len(files_with_sha(hub, sha(data))) == 1
    assert (agent.spool / "sent" / COLLECTION_KIND / "C-KILL-0001.dat").read_bytes() == data
    (row,) = agent.history()
    assert row["outcome"] == "stored" and row["bytes"] == len(data)


def test_sigterm_stops_after_the_current_chunk_and_keeps_the_upload_resumable(
    tmp_path: Path, hub: LiveHub, bank: Bank
) -> None:
    agent = AgentRun(tmp_path, hub, bank, extra="chunk_bytes = 131072\n")
    data = _big_collection()
    agent.drop(COLLECTION_KIND, "C-TERM-0001.dat", data)

    process = agent.start()
    try:
        wait_for(
            lambda: (o := _upload_offset(agent, hub, bank, "C-TERM-0001")) and 0 < o[0] < o[1], "an upload half-way"
        )
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    print(output)
    assert process.returncode == 0
    assert "停止要求" in output and "stop requested" in output and "upload interrupted, resumable" in output
    assert (agent.spool / ".agent" / "uploads" / "C-TERM-0001.json").exists()

    done = agent.once()
    assert done.returncode == 0, done.stdout
    assert "resuming upload" in done.stdout
    (upload,) = uploads(hub, "C-TERM-0001")
    assert upload["outcome"] == "stored"
    assert len(files_with_sha(hub, sha(data))) == 1


def test_history_command_prints_a_table(tmp_path: Path, hub: LiveHub, bank: Bank) -> None:
    agent = AgentRun(tmp_path, hub, bank)
    agent.drop(COLLECTION_KIND, "C-HIST-0001.dat", collection())
    agent.drop(COLLECTION_KIND, "C-HIST-0002.dat", collection()[:-1])
    agent.once()
    done = subprocess.run(
        [*KOKIN, "bank", "history", "--config", str(agent.config)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    lines = done.stdout.splitlines()
    assert "転送ファイルID" in lines[0] and "結果" in lines[0]
    assert sum("C-HIST-000" in line for line in lines) == 2
    assert any("登録済" in line for line in lines) and any("拒否" in line for line in lines)


# --- the spool's modes --------------------------------------------------------------------------------


def test_after_a_run_every_spool_folder_is_0700_and_every_file_0600_with_umask_022(
    tmp_path: Path, hub: LiveHub, bank: Bank
) -> None:
    previous = os.umask(0o022)  # the agent (a subprocess) inherits it
    try:
        agent = AgentRun(
            tmp_path,
            hub,
            bank,
            extra='[conversion]\n"ZEIMU-FURIKAE-REQ1" = "ebcdic"\n"ZEIMU-FURIKAE-RES1" = "ebcdic"\n',
        )
        file_id = hub.approve_debit_request(records=3, name="modes-request.dat")
        agent.drop(COLLECTION_KIND, "C-MODES-0001.dat", collection())  # 0644 in a 0755 folder, as the bank leaves it
        agent.drop(COLLECTION_KIND, "C-MODES-0002.dat", collection()[:-5])  # rejected: to failed/ with its reason
        done = agent.once()
        assert "配信完了 / sent" in done.stdout and "配信拒否 / rejected" in done.stdout, done.stdout
        assert file_state(hub, file_id) == "collected"
    finally:
        os.umask(previous)
    spool = agent.spool
    seen = {p.relative_to(spool).as_posix(): stat.S_IMODE(p.lstat().st_mode) for p in [spool, *spool.rglob("*")]}
    for name in (
        "sent/ZEIMU-SHUNO-GEN1/C-MODES-0001.dat",
        "failed/ZEIMU-SHUNO-GEN1/C-MODES-0002.dat",
        "failed/ZEIMU-SHUNO-GEN1/C-MODES-0002.dat.reason.json",
        "inbox/ZEIMU-FURIKAE-REQ1/modes-request.dat",
        "inbox/ZEIMU-FURIKAE-REQ1/modes-request.dat.json",
        ".agent/history.sqlite3",
        ".agent/lock",
    ):
        assert seen.get(name) == 0o600, (name, seen.get(name))
    bank_made = {f"outbox/{COLLECTION_KIND}"}  # the bank's core system's folder (the agent only reads it)
    wrong = {
        name: oct(mode)
        for name, mode in seen.items()
        if name not in bank_made and mode != (0o700 if (spool / name).is_dir() else 0o600)
    }
    assert wrong == {}
