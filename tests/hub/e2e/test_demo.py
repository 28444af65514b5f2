"""The whole service end to end with real processes over HTTPS: ``kokin demo`` runs the hub, the bank
agent and the bank simulator under one supervisor, as the README's first command does, and both flows
of the seed work for every business of the demo ward:

* collection data (収入済データ): the simulator's files reach every inbound mailbox over the bank link;
* direct debit (口座振替): a request uploaded and approved by two operators is collected by the agent,
  debited by the simulator, and its result comes back into the business's result mailbox, matching
  the request, with its 振替済/振替不能 summary.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kokin.demo.ward import CONSIGNOR_CODES
from kokin.formats import bankdays
from kokin.formats import synth as sample
from support.live import KOKIN, HubFailed, LiveHub

#: every debit-request mailbox of the demo ward, with its sender and approver
REQUESTS = [
    ("ZEIMU-FURIKAE-REQ1", "zeimu-send", "zeimu-approve"),
    ("KOKUHO-FURIKAE-REQ1", "kokuho-send", "kokuho-approve"),
    ("KOKUHO-FURIKAE-REQ2", "kokuho-send", "kokuho-approve"),
    ("KAIGO-FURIKAE-REQ1", "kaigo-send", "kaigo-approve"),
]
DEADLINE = 240.0


class LiveDemo(LiveHub):
    """``kokin demo`` (hub + agent + simulator under honcho) instead of ``kokin hub serve``."""

    def start(self) -> LiveDemo:
        if self.running:
            return self
        self.prepare()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*KOKIN, "demo", "--host", "127.0.0.1", "--port", str(self.port), "--seed", "7"],
                env=self.environ(),
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.wait_ready()
        return self

    def stop(self) -> None:
        # SIGINT as Ctrl-C in a terminal: the supervisor stops hub, agent and simulator and exits
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            super().stop()
        self.process = None

    def files(self) -> list[dict[str, Any]]:
        output = self.python(
            """
import json
from kokin.exchange.models import ExchangeFile
rows = ExchangeFile.objects.select_related("data_kind")
print("JSON", json.dumps([dict(id=str(f.id), transfer_id=f.data_kind.transfer_id, state=f.state, mode=f.mode,
    received_by=f.received_by, count=f.total_count, amount=f.total_amount, summary=f.summary) for f in rows]))
"""
        )
        line = next(x for x in output.splitlines() if x.startswith("JSON "))
        return list(json.loads(line[5:]))

    def transfer_ids(self, *, direction: str, debit: bool) -> list[str]:
        output = self.python(
            f"""
from kokin.accounts.models import DataKind
kinds = DataKind.objects.exclude(transfer_id=None).filter(direction={direction!r})
kinds = kinds.filter(format="zengin-debit") if {debit!r} else kinds.exclude(format="zengin-debit")
print("IDS", " ".join(sorted(k.transfer_id for k in kinds)))
"""
        )
        return next(x for x in output.splitlines() if x.startswith("IDS ")).split()[1:]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    hub = LiveDemo(tmp_path_factory.mktemp("demo"))
    try:
        hub.start()
        yield hub
    except HubFailed:
        print(hub.log())
        raise
    finally:
        hub.close()


def _wait(hub: LiveDemo, done: Any, what: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + DEADLINE
    files: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        files = hub.files()
        if done(files):
            return files
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {DEADLINE:.0f} s; files: {files}\n{hub.log()[-6000:]}")


def test_collection_data_of_every_kind_arrives_over_the_bank_link(demo: LiveDemo) -> None:
    inbound = demo.transfer_ids(direction="inbound", debit=False)
    assert len(inbound) == 10  # 別紙1: 5 for 税務, 3 for 国保, 1 each for 介護 and 清掃

    files = _wait(
        demo,
        lambda fs: {f["transfer_id"] for f in fs if f["state"] == "available"} >= set(inbound),
        "collection data in every inbound mailbox",
    )
    arrived = [f for f in files if f["transfer_id"] in inbound]
    assert all(f["received_by"] == "bank:demo-designated-bank" for f in arrived)
    assert all(f["count"] > 0 and f["amount"] > 0 for f in arrived)


def test_debit_request_of_every_business_comes_back_as_a_matching_result(demo: LiveDemo, tmp_path: Path) -> None:
    debit_date = bankdays.add_business_days(dt.date.today(), 8)
    sent: dict[str, tuple[str, int]] = {}
    for n, (transfer_id, sender, approver) in enumerate(REQUESTS):
        business = transfer_id.rsplit("-", 1)[0].lower()  # each business's own 委託者コード
        header = {"consignor_code": CONSIGNOR_CODES[business]}
        raw, _ = sample.generate("zengin-debit", 150 + 10 * n, seed=100 + n, base_date=debit_date, header=header)
        file_id = demo.approve_debit_request(raw, transfer_id=transfer_id, sender=sender, approver=approver)
        sent[transfer_id] = (file_id, 150 + 10 * n)
    replies = {t: t.replace("-REQ", "-RES") for t in sent}

    def results_back(files: list[dict[str, Any]]) -> bool:
        return {f["transfer_id"] for f in files if f["mode"] == "result"} >= set(replies.values())

    files = _wait(demo, results_back, "a result for every debit request")
    by_id = {f["id"]: f for f in files}
    for transfer_id, (file_id, records) in sent.items():
        assert by_id[file_id]["state"] == "collected", transfer_id
        [result] = [f for f in files if f["transfer_id"] == replies[transfer_id] and f["mode"] == "result"]
        assert result["state"] == "available"
        assert result["count"] == records
        by_code = result["summary"]["by_result_code"]  # 振替結果コード → count and amount
        assert sum(c["count"] for c in by_code.values()) == records
        assert by_code["0"]["count"] > records // 2  # a realistic mix: most debits succeed (振替済)
        assert result["summary"]["request_file"] == file_id  # matched against its request


def test_the_demo_runs_the_checkpoint_process_beside_the_hub(demo: LiveDemo) -> None:
    """The operation log's head is anchored every minute by ``kokin audit checkpoint --every 60``, a
    service of the demo's supervisor; the log of the running demo verifies against its checkpoints."""
    deadline = time.monotonic() + 60
    while "writing an operation-log checkpoint every 60 s" not in demo.log():
        assert time.monotonic() < deadline, demo.log()[-4000:]
        time.sleep(0.5)
    output = demo.run("audit", "verify")
    assert "the chain is intact" in output and "checkpoints signed and matching" in output, output


def test_the_demo_scans_what_arrives_with_its_own_clamd(demo: LiveDemo) -> None:
    """With Debian's clamd installed (CI installs it), the demo runs one under its supervisor and every
    file from the bank link is scanned clean on the way in; the log names the engine."""
    _wait(demo, lambda fs: any(f["state"] == "available" for f in fs), "a collection file")
    output = demo.python(
        """
from kokin.audit.models import AuditEntry
for e in AuditEntry.objects.filter(action="exchange_place", outcome="success"):
    print("SCAN", e.detail.get("scan"), e.detail.get("scan_engine", ""))
"""
    )
    scans = [line.split(" ", 2)[1:] for line in output.splitlines() if line.startswith("SCAN ")]
    assert scans and all(scan == "clean" and engine.startswith("ClamAV") for scan, engine in scans), output
    assert "ウイルス検査 / malware scan: clamd" in demo.log()
