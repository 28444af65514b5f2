"""The clamd client against a real ClamAV daemon (Debian's clamd) with a signature database made in
the test; the faults of a daemon (gone, silent, talking nonsense) against sockets that behave so."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kokin.scanning.clamd import CHUNK, NotScanned, StreamScan, Verdict, parse_reply, version
from kokin.scanning.daemon import EICAR, EICAR_SIGNATURE, TEST_SIGNATURE, TEST_STRING
from support.clamd import Clamd, running_clamd


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    with running_clamd(tmp_path_factory.mktemp("clamd")) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def small_clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """A daemon whose limits are 1 MiB, to reach them cheaply."""
    with running_clamd(tmp_path_factory.mktemp("clamd-small"), stream_max="1M", scan_max="1M") as daemon:
        yield daemon


def scan(address: str, *pieces: bytes) -> Verdict:
    with StreamScan(address, timeout=30) as stream:
        for piece in pieces:
            stream.feed(piece)
        return stream.verdict()


def test_a_clean_body_fed_in_pieces_is_clean(clamd: Clamd) -> None:
    assert scan(clamd.address, b"1" * 120 * 100, b"2" * 120 * 900, b"") == Verdict(clean=True)


def test_the_test_string_split_across_pieces_and_chunks_is_found_by_name(clamd: Clamd) -> None:
    head = b"0" * (CHUNK - 10)
    verdict = scan(clamd.address, head + TEST_STRING[:15], TEST_STRING[15:] + b"9" * 5000)
    assert verdict == Verdict(clean=False, signature=f"{TEST_SIGNATURE}.UNOFFICIAL")


def test_the_eicar_test_file_is_found(clamd: Clamd) -> None:
    assert scan(clamd.address, EICAR).signature.startswith(EICAR_SIGNATURE)


def test_a_body_over_the_stream_limit_is_not_scanned(small_clamd: Clamd) -> None:
    with pytest.raises(NotScanned) as caught:
        scan(small_clamd.address, *([b"x" * 256 * 1024] * 8))
    assert caught.value.reason == "limit"
    assert "サイズ上限" in caught.value.message_ja or "上限" in caught.value.message_ja


def test_a_body_over_the_scan_limit_is_not_scanned_rather_than_passed(tmp_path: Path) -> None:
    # the stream fits, the file is larger than clamd scans: with AlertExceedsMax it says so
    with running_clamd(tmp_path, stream_max="8M", scan_max="1M") as daemon, pytest.raises(NotScanned) as caught:
        scan(daemon.address, b"x" * 3 * 1024 * 1024)
    assert caught.value.reason == "limit"
    assert "Heuristics.Limits.Exceeded" in caught.value.message_en


def test_the_engine_version_is_reported(clamd: Clamd) -> None:
    assert version(clamd.address, timeout=10).engine.startswith("ClamAV ")


def test_a_daemon_that_is_not_there_is_not_scanned(tmp_path: Path) -> None:
    with pytest.raises(NotScanned) as caught:
        StreamScan(f"unix:{tmp_path / 'no-such.sock'}", timeout=2)
    assert caught.value.reason == "unreachable"
    assert "接続できません" in caught.value.message_ja


def test_a_tcp_port_where_nothing_listens_is_not_scanned() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NotScanned) as caught:
        StreamScan(f"tcp://127.0.0.1:{port}", timeout=2)
    assert caught.value.reason == "unreachable"


def _serve_once(path: Path, answer: bytes | None) -> threading.Thread:
    """A Unix socket that takes one connection, reads what comes, then answers ``answer`` (or stays
    silent) — a daemon gone wrong."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def run() -> None:
        conn, _ = server.accept()
        with conn, server:
            conn.settimeout(5)
            received = b""
            try:
                while not received.endswith(b"\0\0\0\0"):
                    piece = conn.recv(65536)
                    if not piece:
                        break
                    received += piece
                if answer is not None:
                    conn.sendall(answer)
                else:
                    conn.recv(1)  # silent until the client gives up
            except OSError:
                pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_daemon_that_never_answers_times_out(tmp_path: Path) -> None:
    path = tmp_path / "silent.sock"
    thread = _serve_once(path, None)
    with pytest.raises(NotScanned) as caught, StreamScan(f"unix:{path}", timeout=0.5) as stream:
        stream.feed(b"abc")
        stream.verdict()
    assert caught.value.reason == "timeout"
    thread.join(10)


@pytest.mark.parametrize("answer", [b"stream: OKAY\0", b"\0", b"", b"stream:  FOUND\0", b"UNKNOWN COMMAND\0"])
def test_an_answer_that_is_neither_ok_nor_found_is_not_scanned(tmp_path: Path, answer: bytes) -> None:
    path = tmp_path / "odd.sock"
    thread = _serve_once(path, answer)
    with pytest.raises(NotScanned) as caught, StreamScan(f"unix:{path}", timeout=5) as stream:
        stream.feed(b"abc")
        stream.verdict()
    assert caught.value.reason == "reply"
    thread.join(10)


@given(st.binary(max_size=200))
def test_any_answer_is_a_verdict_or_not_scanned_and_only_ok_is_clean(answer: bytes) -> None:
    try:
        verdict = parse_reply(answer)
    except NotScanned:
        return
    assert verdict.clean == (answer.rstrip(b"\0\n") == b"stream: OK")
    assert verdict.clean or verdict.signature
