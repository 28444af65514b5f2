"""The bank agent's parts without a hub: configuration, spool, jobs, conversion, history."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokin.bank import jobs
from kokin.bank.agent import Agent
from kokin.bank.client import HubClient, header_digests, sha256_file
from kokin.bank.config import JobConfig, load_config
from kokin.bank.conversion import ConversionError, convert_bytes
from kokin.bank.errors import ConfigError
from kokin.bank.history import History, TransferRecord, format_table, print_history
from kokin.bank.spool import Spool, bank_file_id, is_candidate, read_json, safe_component, write_json
from kokin.formats.examples import DEBIT_HEADER
from kokin.formats.kinds import zengin_debit

ROOT = Path(__file__).resolve().parents[2]

BASE = """
[hub]
url = "https://localhost:8443"
ca_cert = "ca.crt"
client_cert = "bank.crt"
client_key = "bank.key"
token_file = "token"
[spool]
root = "spool"
"""


@pytest.fixture
def confdir(tmp_path: Path) -> Path:
    for name in ("ca.crt", "bank.crt", "bank.key"):
        (tmp_path / name).write_text("x")
    (tmp_path / "token").write_text("kb_abc_secret\n")
    return tmp_path


def write_config(folder: Path, text: str) -> Path:
    path = folder / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- configuration -------------------------------------------------------------------------------------


def test_minimal_config_resolves_relative_paths_and_takes_defaults(confdir: Path) -> None:
    config = load_config(write_config(confdir, BASE))
    assert config.hub.url == "https://localhost:8443"
    assert config.hub.ca_cert == confdir / "ca.crt"
    assert config.spool_root == confdir / "spool"
    assert config.hub.token() == "kb_abc_secret"
    assert config.transfer.chunk_bytes == 4 * 1024**3  # the whole file in one streamed PATCH
    assert config.transfer.retries == 8
    assert config.jobs == ()
    assert config.conversion_for("ZEIMU-FURIKAE-REQ1") is None


def test_example_config_is_valid(tmp_path: Path) -> None:
    # the shipped example, beside stand-in certificate files
    text = (ROOT / "examples" / "bank-agent.toml").read_text(encoding="utf-8")
    for name in ("ca.crt", "bank.crt", "bank.key", "token"):
        (tmp_path / name).write_text("kb_x_y")
    config = load_config(write_config(tmp_path, text))
    assert config.conversion_for("ZEIMU-FURIKAE-REQ1") == "ebcdic"
    assert {job.when for job in config.jobs} == {"received", "sent"}
    assert config.transfer.poll_seconds == 5


FULL = (
    BASE
    + """
[transfer]
poll_seconds = 0.5
chunk_bytes = 1048576
retries = 3
backoff_seconds = 0.1
backoff_max_seconds = 2
timeout_seconds = 10
[conversion]
"ZEIMU-FURIKAE-REQ1" = "ebcdic"
"ZEIMU-FURIKAE-RES1" = "none"
[[job]]
when = "received"
outcome = "success"
transfer_id = "*-REQ?"
command = ["sh", "-c", "echo {path} {transfer_id} {file_id} {bank_file_id}"]
timeout_seconds = 30
[[job]]
when = "sent"
outcome = "failure"
command = ["true"]
"""
)


def test_full_config(confdir: Path) -> None:
    config = load_config(write_config(confdir, FULL))
    assert config.transfer.poll_seconds == 0.5
    assert config.transfer.chunk_bytes == 1048576
    assert config.conversion_for("ZEIMU-FURIKAE-REQ1") == "ebcdic"
    assert config.conversion_for("ZEIMU-FURIKAE-RES1") is None
    first, second = config.jobs
    assert (first.when, first.outcome, first.transfer_id, first.timeout_seconds) == (
        "received",
        "success",
        "*-REQ?",
        30,
    )
    assert (second.transfer_id, second.command, second.index) == ("*", ("true",), 1)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda t: t.replace('url = "https://localhost:8443"\n', ""), "hub.url"),
        (lambda t: t.replace("https://localhost:8443", "http://hub.example.jp:8443"), "hub.url"),
        (lambda t: t.replace('ca_cert = "ca.crt"', 'ca_cert = "missing.crt"'), "hub.ca_cert"),
        (lambda t: t.replace('token_file = "token"', "token_file = 3"), "hub.token_file"),
        (lambda t: t.replace("[spool]\nroot", "[spool]\nrooot"), "spool.rooot"),
        (lambda t: t.replace("[spool]", "[spol]"), "spol"),
        (lambda t: t + '[transfer]\nretries = "8"\n', "transfer.retries"),
        (lambda t: t + "[transfer]\nretries = -1\n", "transfer.retries"),
        (lambda t: t + "[transfer]\nchunk_bytes = 1.5\n", "transfer.chunk_bytes"),
        (lambda t: t + "[transfer]\npoll_seconds = true\n", "transfer.poll_seconds"),
        (lambda t: t + "[transfer]\nretry = 3\n", "transfer.retry"),
        (lambda t: t + '[conversion]\n"ZEIMU-FURIKAE-REQ1" = "ascii"\n', "conversion.ZEIMU-FURIKAE-REQ1"),
        (lambda t: t + '[conversion]\n"zeimu" = "ebcdic"\n', "conversion.zeimu"),
        (lambda t: t + '[[job]]\nwhen = "later"\ncommand = ["true"]\n', "job[0].when"),
        (lambda t: t + '[[job]]\nwhen = "sent"\noutcome = "ok"\ncommand = ["true"]\n', "job[0].outcome"),
        (lambda t: t + '[[job]]\nwhen = "sent"\n', "job[0].command"),
        (lambda t: t + '[[job]]\nwhen = "sent"\ncommand = "echo hi"\n', "job[0].command"),
        (lambda t: t + '[[job]]\nwhen = "sent"\ncommand = ["echo", "{paht}"]\n', "job[0].command"),
        (lambda t: t + '[[job]]\nwhen = "sent"\ncommand = ["true"]\ncolour = 1\n', "job[0].colour"),
        (lambda t: t.replace("[hub]", "[hub"), "-"),
    ],
)
def test_config_errors_name_the_key(confdir: Path, change: Any, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(confdir, change(BASE)))
    assert caught.value.key == key
    assert key in str(caught.value)
    assert " / " in str(caught.value)  # Japanese / English


def test_plain_http_only_to_a_local_tls_tunnel(confdir: Path) -> None:
    tunnel = BASE.replace("https://localhost:8443", "http://127.0.0.1:9443")
    tunnel = "\n".join(line for line in tunnel.splitlines() if not line.startswith(("ca_cert", "client_")))
    config = load_config(write_config(confdir, tunnel))
    assert config.hub.tunnelled and config.hub.ca_cert is None
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(confdir, tunnel.replace("127.0.0.1", "hub.example.jp")))
    assert caught.value.key == "hub.url"


def test_empty_token_file_is_a_config_error(confdir: Path) -> None:
    (confdir / "token").write_text("\n")
    config = load_config(write_config(confdir, BASE))
    with pytest.raises(ConfigError) as caught:
        config.hub.token()
    assert caught.value.key == "hub.token_file"


# --- spool ---------------------------------------------------------------------------------------------


def test_scan_outbox_skips_hidden_temporary_and_foreign_names(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.create()
    folder = spool.outbox / "ZEIMU-SHUNO-GEN1"
    folder.mkdir()
    for i, name in enumerate(["B.dat", "A.dat", ".hidden.dat", "C.dat.tmp", "D.part", "E.dat~", "F.filepart"]):
        (folder / name).write_bytes(b"x")
        os.utime(folder / name, (1000 + i, 1000 + i))
    (folder / "sub").mkdir()
    (spool.outbox / "lower-case").mkdir()
    (spool.outbox / "lower-case" / "X.dat").write_bytes(b"x")
    (spool.outbox / "stray.dat").write_bytes(b"x")
    found = spool.scan_outbox()
    assert [(f.transfer_id, f.name, f.bank_file_id) for f in found] == [
        ("ZEIMU-SHUNO-GEN1", "B.dat", "B"),
        ("ZEIMU-SHUNO-GEN1", "A.dat", "A"),
    ]


def test_names_and_state_files(tmp_path: Path) -> None:
    assert bank_file_id("R20260527-0001.dat") == "R20260527-0001"
    assert bank_file_id("NOEXT") == "NOEXT"
    assert not is_candidate(".x") and not is_candidate("a.TMP") and is_candidate("a.dat")
    assert safe_component("../../etc/passwd") == "_.._etc_passwd"
    write_json(tmp_path / "s" / "a.json", {"url": "u", "n": 1})
    assert read_json(tmp_path / "s" / "a.json") == {"url": "u", "n": 1}
    assert read_json(tmp_path / "missing.json") is None
    (tmp_path / "torn.json").write_text("{")
    assert read_json(tmp_path / "torn.json") is None
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["a.json"]  # no temporary left behind


def test_place_replaces_atomically(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.create()
    source = spool.outbox / "A.dat"
    source.write_bytes(b"new")
    (spool.sent / "T").mkdir()
    (spool.sent / "T" / "A.dat").write_bytes(b"old")
    placed = spool.place(source, spool.sent / "T", "A.dat")
    assert placed.read_bytes() == b"new" and not source.exists()


# --- jobs ----------------------------------------------------------------------------------------------


def job(**kw: Any) -> JobConfig:
    values: dict[str, Any] = {"when": "received", "outcome": "success", "transfer_id": "*", "command": ("true",)}
    values.update(kw)
    return JobConfig(**values)


def test_job_matching_by_direction_outcome_and_pattern() -> None:
    every = job(index=0)
    requests = job(transfer_id="*-FURIKAE-REQ?", index=1)
    failures = job(outcome="failure", index=2)
    sent = job(when="sent", index=3)
    configured = [every, requests, failures, sent]
    assert jobs.matching(configured, "received", "success", "ZEIMU-FURIKAE-REQ1") == [every, requests]
    assert jobs.matching(configured, "received", "success", "ZEIMU-FURIKAE-REQ10") == [every]
    assert jobs.matching(configured, "received", "failure", "X") == [failures]
    assert jobs.matching(configured, "sent", "success", "X") == [sent]
    # patterns are case-sensitive, as transfer IDs are
    assert jobs.matching([requests], "received", "success", "zeimu-furikae-req1") == []


def test_job_placeholders_fill_each_argument_without_a_shell() -> None:
    argv = jobs.expand(
        ["cp", "{path}", "/archive/{transfer_id}/{bank_file_id}-{file_id}", "{name}"],
        {"path": "/s/inbox/T/a b;rm.dat", "transfer_id": "T", "file_id": "f1", "bank_file_id": None, "name": "x"},
    )
    assert argv == ("cp", "/s/inbox/T/a b;rm.dat", "/archive/T/-f1", "x")


def test_run_jobs_runs_matching_commands_with_values(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    script = (
        "import sys, os; open(sys.argv[1], 'a')"
        ".write(' '.join(sys.argv[2:]) + ' ' + os.environ['KOKIN_SHA256'] + '\\n')"
    )
    configured = [
        job(command=(sys.executable, "-c", script, str(out), "{path}", "{transfer_id}", "{file_id}"), index=0),
        job(outcome="failure", command=(sys.executable, "-c", script, str(out), "failure"), index=1),
        job(command=(sys.executable, "-c", "import sys; sys.exit(3)"), index=2),
        job(command=(str(tmp_path / "no-such-program"),), index=3),
    ]
    values = {"path": "/p/x.dat", "transfer_id": "T-1", "file_id": "abc", "sha256": "ff"}
    results = jobs.run_jobs(configured, "received", "success", "T-1", values)
    assert [r.returncode for r in results] == [0, 3, None]
    assert out.read_text() == "/p/x.dat T-1 abc ff\n"


def test_job_timeout_stops_it(tmp_path: Path) -> None:
    slow = job(command=(sys.executable, "-c", "import time; time.sleep(30)"), timeout_seconds=0.5)
    (result,) = jobs.run_jobs([slow], "received", "success", "T", {})
    assert result.returncode is None


# --- conversion ----------------------------------------------------------------------------------------

KANA = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝﾞﾟ"
HOLDER = st.text(alphabet=KANA + "ABCXYZ0123456789 ().-/", min_size=1, max_size=30).filter(lambda s: s.strip() != "")


def debit_file(names: list[str], amounts: list[int], *, ebcdic: bool, separator: str, result: bool = False) -> bytes:
    header = {**DEBIT_HEADER, "code_division": "1" if ebcdic else "0"}
    records = [
        {
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "1",
            "account_number": f"{i + 1:07d}",
            "holder_name": name,
            "amount": amount,
            "customer_number": str(i + 1),
            **({"result_code": "0"} if result else {}),
        }
        for i, (name, amount) in enumerate(zip(names, amounts, strict=True))
    ]
    return zengin_debit.build([{"header": header, "records": records}], separator=separator, result=result)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(st.tuples(HOLDER, st.integers(1, 9_999_999_999)), min_size=1, max_size=12),
    separator=st.sampled_from(["crlf", "none"]),
    eof=st.booleans(),
)
def test_conversion_round_trip_is_identity(data: list[tuple[str, int]], separator: str, eof: bool) -> None:
    names = [name for name, _ in data]
    amounts = [amount for _, amount in data]
    sjis = debit_file(names, amounts, ebcdic=False, separator=separator) + (b"\x1a" if eof else b"")
    ebcdic = debit_file(names, amounts, ebcdic=True, separator=separator) + (b"\x1a" if eof else b"")
    # SJIS → EBCDIC gives exactly the file the format engine writes as EBCDIC, and back
    assert convert_bytes(sjis, "ebcdic") == ebcdic
    assert convert_bytes(ebcdic, "sjis") == sjis
    assert convert_bytes(convert_bytes(ebcdic, "sjis"), "ebcdic") == ebcdic
    # both read as the same valid debit request
    from_ebcdic = zengin_debit.parse(convert_bytes(ebcdic, "sjis"))
    assert from_ebcdic.report.ok
    assert from_ebcdic.batches()[0]["records"] == zengin_debit.parse(ebcdic).batches()[0]["records"]


def test_conversion_sets_the_code_division_and_keeps_the_contents() -> None:
    sjis = debit_file(["ﾔﾏﾀﾞ ﾀﾛｳ", "ｽｽﾞｷ ﾊﾅｺ"], [1200, 3400], ebcdic=False, separator="crlf")
    ebcdic = convert_bytes(sjis, "ebcdic")
    assert ebcdic[3:4].decode("cp290") == "1" and sjis[3:4] == b"0"
    assert ebcdic[122:362].decode("cp290") == sjis[122:362].decode("cp932")
    parsed_back = zengin_debit.parse(convert_bytes(ebcdic, "sjis"))
    assert parsed_back.report.ok
    assert [r["holder_name"] for r in parsed_back.batches()[0]["records"]] == ["ﾔﾏﾀﾞ ﾀﾛｳ", "ｽｽﾞｷ ﾊﾅｺ"]


def test_conversion_streams_many_blocks() -> None:
    # more records than one block of the converter, so the block boundaries are crossed
    count = 70_000
    sjis = debit_file(["ﾔﾏﾀﾞ"] * count, [1] * count, ebcdic=False, separator="crlf")
    assert convert_bytes(convert_bytes(sjis, "ebcdic"), "sjis") == sjis


def test_conversion_refuses_what_it_cannot_convert() -> None:
    sjis = debit_file(["ﾔﾏﾀﾞ"], [1200], ebcdic=False, separator="crlf")
    kanji = sjis[: 122 + 50] + "山田".encode("cp932") + sjis[122 + 54 :]
    with pytest.raises(ConversionError) as caught:
        convert_bytes(kanji, "ebcdic")
    assert caught.value.record == 2
    with pytest.raises(ConversionError):
        convert_bytes(b"", "ebcdic")
    with pytest.raises(ConversionError) as caught:
        convert_bytes(sjis, "sjis")  # it is not EBCDIC
    assert caught.value.record == 1
    with pytest.raises(ConversionError) as caught:
        convert_bytes(sjis[:-3], "ebcdic")
    assert "120" in str(caught.value)
    broken = sjis[: 122 + 120] + b"\n\n" + sjis[122 + 122 :]
    with pytest.raises(ConversionError) as caught:
        convert_bytes(broken, "ebcdic")
    assert caught.value.record == 2


# --- client helpers ------------------------------------------------------------------------------------


def test_header_digests_reads_etag_repr_digest_and_digest(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"hello" * 1000)
    digest = sha256_file(path)
    b64 = base64.b64encode(digest.digest()).decode()
    assert header_digests({"ETag": f'"{digest.hexdigest()}"'}) == {digest.hexdigest()}
    assert header_digests({"Repr-Digest": f"sha-512=:AAAA:, sha-256=:{b64}:"}) == {digest.hexdigest()}
    assert header_digests({"Digest": f"SHA-256={b64}"}) == {digest.hexdigest()}
    assert header_digests({}) == set()
    assert sha256_file(path, limit=5).hexdigest() == hashlib.sha256(b"hello").hexdigest()


# --- history -------------------------------------------------------------------------------------------


def record(**kw: Any) -> TransferRecord:
    values: dict[str, Any] = {
        "direction": "send",
        "transfer_id": "ZEIMU-SHUNO-GEN1",
        "file_name": "G0001.dat",
        "hub_file_id": "aefcaec5-d522-40b7-a6d1-888928662f03",
        "bank_file_id": "G0001",
        "bytes": 1212,
        "sha256": "7efab8693f2f" + "0" * 52,
        "started_at": "2026-05-27T09:00:00+09:00",
        "duration_ms": 435,
        "retries": 0,
        "outcome": "stored",
    }
    values.update(kw)
    return TransferRecord(**values)


def test_history_table_and_json(confdir: Path) -> None:
    config = load_config(write_config(confdir, BASE))
    spool = Spool(config.spool_root)
    history = History(spool.history_db)
    history.add(record())
    history.add(record(direction="receive", file_name="受信.dat", bank_file_id=None, outcome="received", retries=2))
    history.add(record(file_name="BAD.dat", outcome="rejected", reason="record 6 length: 長さ / length"))
    history.close()

    out = io.StringIO()
    print_history(config.path, limit=10, out=out)
    lines = out.getvalue().splitlines()
    for header in ("番号", "開始日時", "方向", "転送ファイルID", "ファイル名", "バイト数", "再試行", "結果", "理由"):
        assert header in lines[0]
    assert len(lines) == 2 + 3
    assert "拒否" in lines[2] and "record 6 length" in lines[2]  # newest first
    assert "集信" in lines[3] and "受信.dat" in lines[3]
    assert "配信" in lines[4] and "1,212" in lines[4]

    out = io.StringIO()
    print_history(config.path, limit=2, as_json=True, out=out)
    rows = json.loads(out.getvalue())
    assert [r["outcome"] for r in rows] == ["rejected", "received"]
    assert rows[1]["retries"] == 2 and rows[1]["bank_file_id"] is None


def test_history_when_empty(confdir: Path) -> None:
    config = load_config(write_config(confdir, BASE))
    out = io.StringIO()
    print_history(config.path, out=out)
    assert "no transfers yet" in out.getvalue()
    assert format_table([]).count("\n") == 1  # headers and the rule only


# --- the agent's retries against an in-process tus hub -------------------------------------------------


class FakeHub:
    """Just enough of the bank link for the agent's upload loop, with faults to inject per PATCH."""

    def __init__(self, faults: list[str]) -> None:
        self.faults = faults
        self.uploads: dict[str, dict[str, Any]] = {}
        self.patches = 0

    def _headers(self, upload: dict[str, Any]) -> dict[str, str]:
        headers = {"Upload-Offset": str(len(upload["data"])), "Upload-Length": str(upload["length"])}
        if upload["outcome"]:
            headers.update({"Kokin-Outcome": upload["outcome"], "Kokin-File-Id": "f-" + upload["bank_file_id"]})
        return headers

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/banklink/v1/files":
            return httpx.Response(200, json={"files": []})
        if request.method == "POST" and path == "/banklink/v1/uploads":
            meta = dict(item.split(" ") for item in request.headers["Upload-Metadata"].split(","))
            decoded = {k: base64.b64decode(v).decode() for k, v in meta.items()}
            bank_id = decoded["bank_file_id"]
            self.uploads.setdefault(
                bank_id,
                {
                    "bank_file_id": bank_id,
                    "length": int(request.headers["Upload-Length"]),
                    "sha256": decoded["sha256"],
                    "data": bytearray(),
                    "outcome": None,
                },
            )
            return httpx.Response(201, headers={"Location": f"/banklink/v1/uploads/{bank_id}"})
        upload = self.uploads[path.rsplit("/", 1)[1]]
        if request.method == "HEAD":
            return httpx.Response(200, headers=self._headers(upload))
        if request.method == "GET":
            return httpx.Response(200, json={"errors": []})
        body = request.read()
        self.patches += 1
        fault = self.faults.pop(0) if self.faults else ""
        if fault == "503":
            return httpx.Response(503, json={"error": {"ja": "混雑", "en": "busy"}})
        if int(request.headers["Upload-Offset"]) != len(upload["data"]):
            return httpx.Response(409, json={"error": {"ja": "オフセット不一致", "en": "offset mismatch"}})
        if fault == "cut":
            upload["data"] += body[: len(body) // 2]  # a cut connection keeps what arrived
            raise httpx.RemoteProtocolError("connection cut")
        upload["data"] += body
        if len(upload["data"]) == upload["length"]:
            ok = hashlib.sha256(upload["data"]).hexdigest() == upload["sha256"]
            upload["outcome"] = "stored" if ok else "rejected"
        return httpx.Response(204, headers=self._headers(upload))


def fake_agent(confdir: Path, hub: FakeHub, retries: int = 5) -> Agent:
    text = BASE + f"[transfer]\nchunk_bytes = 1000\nretries = {retries}\nbackoff_seconds = 0\n"
    config = load_config(write_config(confdir, text))
    client = HubClient(config.hub, config.transfer, transport=httpx.MockTransport(hub))
    return Agent(config, client=client)


def test_upload_retries_5xx_and_resumes_after_a_cut(confdir: Path) -> None:
    hub = FakeHub(["", "503", "cut", "", "503"])
    agent = fake_agent(confdir, hub)
    data = os.urandom(4500)
    (agent.spool.outbox / "T-1").mkdir(parents=True)
    (agent.spool.outbox / "T-1" / "B1.dat").write_bytes(data)
    result = agent.run_round()
    agent.close()
    assert (result.sent, result.errors, result.rejected) == (1, 0, 0)
    assert bytes(hub.uploads["B1"]["data"]) == data
    assert (agent.spool.sent / "T-1" / "B1.dat").exists()
    history = History(agent.spool.history_db)
    (row,) = history.latest()
    history.close()
    assert (row.outcome, row.retries, row.hub_file_id) == ("stored", 3, "f-B1")


def test_upload_gives_up_after_its_retries_and_keeps_the_file(confdir: Path) -> None:
    hub = FakeHub(["503"] * 10)
    agent = fake_agent(confdir, hub, retries=2)
    (agent.spool.outbox / "T-1").mkdir(parents=True)
    (agent.spool.outbox / "T-1" / "B2.dat").write_bytes(b"x" * 1500)
    result = agent.run_round()
    agent.close()
    assert result.errors == 1 and hub.patches == 3
    assert (agent.spool.outbox / "T-1" / "B2.dat").exists()
    assert (agent.spool.uploads / "B2.json").exists()  # the next round resumes the same upload


# --- the spool's modes ---------------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Any:
    """The usual umask (files 0644, folders 0755 unless the agent says otherwise)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    """Every folder and file under ``root`` (relative name → permission bits), ``root`` itself as ``.``."""
    found = {".": root.stat().st_mode & 0o777}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = path.lstat().st_mode & 0o777
    return found


def test_a_spool_made_with_open_modes_is_made_private_when_the_agent_starts(tmp_path: Path, umask_022: Any) -> None:
    root = tmp_path / "spool"
    for folder in ("inbox/T-1", "sent/T-1", "failed/T-1", ".agent/uploads", "outbox/T-1"):
        (root / folder).mkdir(parents=True)
    for name in ("inbox/T-1/a.dat", "inbox/T-1/a.dat.json", "sent/T-1/b.dat", ".agent/history.sqlite3"):
        (root / name).write_bytes(b"x")
    (root / "outbox/T-1/c.dat").write_bytes(b"x")
    assert modes(root)["inbox/T-1/a.dat"] == 0o644 and modes(root)["sent"] == 0o755

    Spool(root).create()
    found = modes(root)
    bank_side = {"outbox/T-1", "outbox/T-1/c.dat"}  # the bank's core system's own folder and file
    assert {name: mode for name, mode in found.items() if name in bank_side} == {
        "outbox/T-1": 0o755,
        "outbox/T-1/c.dat": 0o644,
    }
    wrong = {
        name: oct(mode)
        for name, mode in found.items()
        if name not in bank_side and mode != (0o700 if (root / name).is_dir() else 0o600)
    }
    assert wrong == {}


class _CutStream(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Any:
        yield self.data
        raise httpx.ReadError("connection cut")


def test_every_file_the_agent_writes_is_0600_and_every_folder_0700_whatever_the_umask(
    confdir: Path, umask_022: Any
) -> None:
    data = os.urandom(5000)
    uploads = FakeHub([])
    sha = hashlib.sha256(data).hexdigest()
    entry = {"id": "F1", "transfer_id": "T-REQ1", "name": "req.dat", "size": len(data), "sha256": sha}
    cut = {"done": False}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/banklink/v1/files":
            return httpx.Response(200, json={"files": [entry]})
        if path == "/banklink/v1/files/F1":
            etag = {"ETag": f'"{sha}"'}
            if not cut["done"]:  # the first download breaks half-way: a partial file stays behind
                cut["done"] = True
                return httpx.Response(200, headers=etag, stream=_CutStream(data[:2000]))
            start = int(request.headers.get("Range", "bytes=0-")[6:].rstrip("-"))
            headers = {**etag, "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            return httpx.Response(206 if start else 200, headers=headers, stream=httpx.ByteStream(data[start:]))
        if path == "/banklink/v1/files/F1/ack":
            return httpx.Response(200, json={"state": "collected", "file_id": "F1"})
        return uploads(request)

    text = BASE + "[transfer]\nchunk_bytes = 1000\nretries = 0\nbackoff_seconds = 0\n"
    config = load_config(write_config(confdir, text))
    agent = Agent(config, client=HubClient(config.hub, config.transfer, transport=httpx.MockTransport(handler)))
    (agent.spool.outbox / "T-1").mkdir(parents=True)
    (agent.spool.outbox / "T-1" / "B1.dat").write_bytes(b"z" * 1500)  # 0644, as the bank's core system left it
    first = agent.run_round()
    partials = modes(agent.spool.partial)
    second = agent.run_round()
    agent.close()
    assert first.sent == 1 and (agent.spool.inbox / "T-REQ1" / "req.dat").read_bytes() == data, (first, second)
    assert len(partials) == 2 and set(partials.values()) == {0o700, 0o600}, partials  # the cut download's part

    found = modes(agent.spool.root)
    assert found["sent/T-1/B1.dat"] == 0o600 and found[".agent/history.sqlite3"] == 0o600
    assert {"inbox/T-REQ1/req.dat", "inbox/T-REQ1/req.dat.json"} <= set(found)
    wrong = {
        name: oct(mode)
        for name, mode in found.items()
        if name != "outbox/T-1" and mode != (0o700 if (agent.spool.root / name).is_dir() else 0o600)
    }
    assert wrong == {}
