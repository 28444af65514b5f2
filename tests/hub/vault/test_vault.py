"""The vault: per-file encryption at rest (Tink streaming AEAD), master-key rotation, crypto-shredding,
password-protected export packages.

Every storage test runs on both body stores (local folder and database); the whole module runs on
SQLite and, with ``DATABASE_URL=postgres://…``, on PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import random
import secrets
import shutil
import subprocess
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pyzipper
from click.testing import CliRunner
from django.db import connection

from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.cli import main as cli
from kokin.vault import services
from kokin.vault.errors import BlobShredded, ChecksumMismatch, ExportError, MasterKeyError, TamperedBlob, VaultError
from kokin.vault.export import MIN_TYPED_LENGTH, PASSWORD_ALPHABET, export_zip, generate_password
from kokin.vault.keys import EnvProvider, LocalFileProvider, keyset_to_json, new_master_keyset
from kokin.vault.models import Blob, BlobChunk
from kokin.vault.services import open_blob, read_all, rotate_master_key, shred, store
from kokin.vault.stores import DB_CHUNK, LocalDirStore, get_store

MiB = 1 << 20
#: who acts on the vault in these tests: a name, no role
OPERATOR = Actor(name="test-operator")


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def home(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh KOKIN_HOME for the vault (keys, blobs, exports), with the file master-key provider."""
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    settings.HOME = folder
    settings.VAULT_MASTER_KEY_PROVIDER = "auto"
    settings.VAULT_BLOB_STORE = "local"
    monkeypatch.delenv("KOKIN_MASTER_KEY", raising=False)
    monkeypatch.delenv("KOKIN_MASTER_KEY_OLD", raising=False)
    return folder


@pytest.fixture(params=["local", "database"])
def backend(request: pytest.FixtureRequest, home: Path, settings: Any, db: None) -> str:
    settings.VAULT_BLOB_STORE = request.param
    return str(request.param)


def chunks(size: int, *, seed: int = 1, piece: int = 64 * 1024) -> Iterator[bytes]:
    """``size`` pseudo-random bytes, generated piece by piece (never the whole file at once)."""
    rng = random.Random(seed)
    left = size
    while left > 0:
        n = min(piece, left)
        yield rng.randbytes(n)
        left -= n


def whole(size: int, *, seed: int = 1) -> bytes:
    return b"".join(chunks(size, seed=seed))


def read_in_pieces(blob: Blob, piece: int = 100_000) -> bytes:
    out = bytearray()
    with open_blob(blob) as reader:
        while data := reader.read(piece):
            out += data
    return bytes(out)


def raw_body(blob: Blob) -> bytes:
    """The stored ciphertext, straight from the store."""
    if blob.backend == "local":
        target = get_store("local")
        assert isinstance(target, LocalDirStore)
        return target.path(blob.id).read_bytes()
    rows = BlobChunk.objects.filter(blob_id=blob.id).order_by("seq").values_list("data", flat=True)
    return b"".join(bytes(r) for r in rows)


def put_raw_body(blob: Blob, data: bytes) -> None:
    """Replace the stored ciphertext behind the vault's back (an attacker, or a failing disk)."""
    if blob.backend == "local":
        target = get_store("local")
        assert isinstance(target, LocalDirStore)
        target.path(blob.id).write_bytes(data)
        return
    BlobChunk.objects.filter(blob_id=blob.id).delete()
    for seq, start in enumerate(range(0, max(len(data), 1), DB_CHUNK)):
        BlobChunk.objects.create(blob_id=blob.id, seq=seq, data=data[start : start + DB_CHUNK])


def flip(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def read_until_error(blob: Blob) -> tuple[bytes, TamperedBlob | None]:
    got = bytearray()
    try:
        with open_blob(blob) as reader:
            while data := reader.read(64 * 1024):
                got += data
    except TamperedBlob as exc:
        return bytes(got), exc
    return bytes(got), None


def body_count() -> int:
    """Bodies and partial bodies in both stores."""
    target = get_store("local")
    assert isinstance(target, LocalDirStore)
    files = [p for p in target.root.rglob("*") if p.is_file()] if target.root.exists() else []
    return len(files) + BlobChunk.objects.count()


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 1000, 3 * MiB + 12_345], ids=["empty", "1B", "1kB", "3MiB+"])
def test_round_trip(backend: str, size: int) -> None:
    blob = store(chunks(size))
    expected = whole(size)
    assert blob.size == size
    assert blob.sha256 == hashlib.sha256(expected).hexdigest()
    assert blob.backend == backend
    assert blob.scheme == "tink-aes256-gcm-hkdf-1mb"
    assert read_in_pieces(blob) == expected
    assert read_all(blob.id) == expected
    ciphertext = raw_body(blob)
    assert len(ciphertext) > size  # header and one tag per segment
    if size >= 16:  # (a byte or two may well occur in random ciphertext)
        assert expected[:64] not in ciphertext


def test_file_object_and_matching_checksum(backend: str) -> None:
    data = whole(200_000, seed=7)
    blob = store(io.BytesIO(data), expected_sha256=hashlib.sha256(data).hexdigest().upper())
    assert read_all(blob) == data


class RecordingReader(io.RawIOBase):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.source = chunks(size, piece=4096)
        self.pending = b""
        self.calls: list[int | None] = []

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        self.calls.append(n)
        assert n is not None and n > 0, "store() must never read the whole stream at once"
        while len(self.pending) < n:
            more = next(self.source, b"")
            if not more:
                break
            self.pending += more
        out, self.pending = self.pending[:n], self.pending[n:]
        return out


def test_store_reads_in_chunks(home: Path, db: None) -> None:
    size = 5 * MiB + 3
    reader = RecordingReader(size)
    blob = store(reader)
    sizes = [n for n in reader.calls if n is not None]
    assert len(sizes) == len(reader.calls)
    assert max(sizes) <= MiB
    assert len(sizes) >= size // max(sizes)
    assert blob.size == size


def test_store_memory_stays_small(home: Path, db: None) -> None:
    """32 MiB through store() and open_blob() with a Python-heap peak of a few MiB."""
    size = 32 * MiB
    tracemalloc.start()
    try:
        blob = store(chunks(size, seed=3, piece=256 * 1024))
        _, peak_store = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        with open_blob(blob) as reader:
            while data := reader.read(256 * 1024):
                digest.update(data)
        _, peak_read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.hexdigest() == blob.sha256
    assert peak_store < 8 * MiB, peak_store
    assert peak_read < 8 * MiB, peak_read


# --- no plaintext at rest ----------------------------------------------------------------------


def _found_in_files(folder: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {n!r}" for n in needles if n in data]
    return hits


def _found_in_database(needles: list[bytes]) -> list[str]:
    texts = [n.decode("latin-1") for n in needles] + [n.decode("utf-8", "ignore") for n in needles]
    texts = [t for t in texts if t]
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        raw = bytes(value)
                        hits += [f"{table}: {n!r}" for n in needles if n in raw]
                    elif value is not None:
                        text = value if isinstance(value, str) else repr(value)
                        hits += [f"{table}: {t!r}" for t in texts if t in text]
    return hits


def test_no_plaintext_at_rest(backend: str, home: Path, tmp_path: Path) -> None:
    marker = f"KOKIN-MARKER-{secrets.token_hex(12)}"
    record_text = f"ﾔﾏﾀﾞ ﾀﾛｳ 1234567 {marker}\r\n"
    plaintext = record_text.encode("cp932") * 5000 + whole(300_000)  # ~0.6 MB over several segments
    needles = [marker.encode("ascii"), "ﾔﾏﾀﾞ ﾀﾛｳ 1234567".encode("cp932"), "ﾔﾏﾀﾞ ﾀﾛｳ".encode()]
    blob = store(io.BytesIO(plaintext), actor=OPERATOR)
    with open_blob(blob.id, actor=OPERATOR) as reader:
        package = export_zip([("口座振替結果.txt", reader)], actor=OPERATOR)
    assert package.path.is_relative_to(home)

    assert read_all(blob) == plaintext  # it is there, and readable
    assert _found_in_files(home, needles) == []
    assert _found_in_database(needles) == []

    # the scans do find plaintext where there is some (so the two checks above mean something)
    control = home / "control.bin"
    control.write_bytes(b"xx" + plaintext[:200])
    assert _found_in_files(home, needles)
    control.unlink()
    record(action="test_control", actor=Actor(name="test"), detail={"marker": marker})
    assert _found_in_database(needles)
    package.delete()


# --- integrity ---------------------------------------------------------------------------------


def test_corrupted_body_byte_is_refused(backend: str) -> None:
    plaintext = whole(2 * MiB + 500_000, seed=11)
    blob = store(io.BytesIO(plaintext))
    good = raw_body(blob)
    for offset in (0, 5, 30, MiB // 2, MiB + 100, len(good) // 2, len(good) - 17, len(good) - 1):
        put_raw_body(blob, flip(good, offset))
        got, error = read_until_error(blob)
        assert error is not None, f"flipped byte {offset} went unnoticed"
        assert str(blob.id) in str(error)
        assert "完全性" in str(error) and "integrity check failed" in str(error)
        # never wrong data: what was returned before the error is the true start of the file
        assert got == plaintext[: len(got)]
        assert len(got) < len(plaintext)
    put_raw_body(blob, good)
    assert read_all(blob) == plaintext


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_corrupted_wrapped_key_is_refused(backend: str, where: str) -> None:
    blob = store(io.BytesIO(b"0123456789" * 1000))
    wrapped = bytes(blob.wrapped_key)
    offset = {"first": 0, "middle": len(wrapped) // 2, "last": len(wrapped) - 1}[where]
    Blob.objects.filter(pk=blob.pk).update(wrapped_key=flip(wrapped, offset))
    with pytest.raises(TamperedBlob) as caught:
        open_blob(blob)
    message = str(caught.value)
    assert str(blob.id) in message
    assert "データ鍵" in message and "wrapped data key" in message


def test_truncated_body_is_refused(backend: str) -> None:
    plaintext = whole(3 * MiB, seed=5)
    blob = store(io.BytesIO(plaintext))
    good = raw_body(blob)
    for length in (0, 10, 100, MiB, 2 * MiB, len(good) - 1000, len(good) - 16, len(good) - 1):
        put_raw_body(blob, good[:length])
        got, error = read_until_error(blob)
        assert error is not None, f"body cut to {length} bytes went unnoticed"
        assert str(blob.id) in str(error)
        assert got == plaintext[: len(got)] and len(got) < len(plaintext)
    put_raw_body(blob, good + b"\x00")  # a byte appended
    assert read_until_error(blob)[1] is not None


def test_missing_body_is_refused(backend: str) -> None:
    blob = store(io.BytesIO(b"abc"))
    get_store(backend).delete(blob.id)
    with pytest.raises(TamperedBlob, match="missing"):
        open_blob(blob)


def test_body_of_another_blob_is_refused(backend: str) -> None:
    """Bodies are bound to their blob id (associated data): swapping two is noticed."""
    first = store(io.BytesIO(b"first file " * 100))
    second = store(io.BytesIO(b"second file " * 100))
    put_raw_body(second, raw_body(first))
    assert read_until_error(second)[1] is not None


def test_wrapped_key_of_another_blob_is_refused(backend: str) -> None:
    first = store(io.BytesIO(b"first file " * 100))
    second = store(io.BytesIO(b"second file " * 100))
    Blob.objects.filter(pk=second.pk).update(wrapped_key=bytes(first.wrapped_key))
    with pytest.raises(TamperedBlob):
        open_blob(second)


def test_altered_record_is_refused(backend: str) -> None:
    """A recorded SHA-256 or size changed in the database is caught at the end of reading."""
    blob = store(io.BytesIO(b"payload " * 1000))
    Blob.objects.filter(pk=blob.pk).update(sha256="0" * 64)
    assert read_until_error(blob)[1] is not None
    Blob.objects.filter(pk=blob.pk).update(sha256=blob.sha256, size=blob.size - 1)
    assert read_until_error(blob)[1] is not None


# --- refusals leave nothing --------------------------------------------------------------------


def test_expected_sha256_mismatch_stores_nothing(backend: str, home: Path) -> None:
    data = whole(MiB + 7)
    wrong = hashlib.sha256(b"something else").hexdigest()
    before = (Blob.objects.count(), body_count())
    with pytest.raises(ChecksumMismatch) as caught:
        store(io.BytesIO(data), expected_sha256=wrong, actor=OPERATOR)
    assert wrong in str(caught.value) and "保管していません" in str(caught.value)
    assert (Blob.objects.count(), body_count()) == before
    entry = AuditEntry.objects.filter(action="vault_store").latest("seq")
    assert entry.outcome == "failure" and entry.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(ValueError):
        store(io.BytesIO(data), expected_sha256="not-a-digest")


def test_failed_upload_stores_nothing(backend: str, home: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield from chunks(2 * MiB)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store(broken())
    assert Blob.objects.count() == 0
    assert body_count() == 0


# --- shredding ---------------------------------------------------------------------------------


def test_shred(backend: str, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    blob = store(io.BytesIO(whole(MiB + 1)))
    keep = store(io.BytesIO(b"another file"))
    with django_capture_on_commit_callbacks(execute=True):
        shred(blob, actor=OPERATOR, reason="retention")
    row = Blob.objects.get(pk=blob.pk)
    assert bytes(row.wrapped_key) == b""
    assert row.shredded_at is not None
    if backend == "local":
        target = get_store("local")
        assert isinstance(target, LocalDirStore)
        assert not target.path(blob.id).exists()
    else:
        assert not BlobChunk.objects.filter(blob_id=blob.id).exists()
    with pytest.raises(BlobShredded) as caught:
        open_blob(blob)
    assert str(blob.id) in str(caught.value) and "消去済み" in str(caught.value)
    entry = AuditEntry.objects.get(action="vault_shred")
    assert entry.object == f"blob:{blob.id}" and entry.detail["method"] == "crypto-shredding"
    with django_capture_on_commit_callbacks(execute=True):
        shred(blob.id)  # again: nothing more to do, no second entry
    assert AuditEntry.objects.filter(action="vault_shred").count() == 1
    assert read_all(keep) == b"another file"


def test_sweep_removes_orphans(backend: str, home: Path) -> None:
    blob = store(io.BytesIO(b"kept"))
    orphan = get_store(backend).create(uuid.uuid4())
    orphan.write(b"ciphertext of an upload whose row was never written")
    orphan.commit()
    assert services.sweep() == 0  # too recent: could be an upload in progress
    old = time.time() - 7 * 3600
    if backend == "local":
        for path in (home / "blobs").rglob("*"):
            if path.is_file():
                os.utime(path, (old, old))
    else:
        from datetime import UTC, datetime

        BlobChunk.objects.update(created_at=datetime.fromtimestamp(old, UTC))
    assert services.sweep() == 1
    assert read_all(blob) == b"kept"
    package = export_zip([("a.txt", io.BytesIO(b"a"))])  # left behind by a crashed download
    os.utime(package.path, (old, old))
    assert services.sweep() == 1 and not package.path.exists()


def test_unknown_scheme_is_refused(backend: str) -> None:
    blob = store(io.BytesIO(b"data"))
    Blob.objects.filter(pk=blob.pk).update(scheme="future-scheme")
    with pytest.raises(VaultError, match="future-scheme"):
        open_blob(blob)


# --- master keys -------------------------------------------------------------------------------


def test_master_key_file_is_private(home: Path, db: None) -> None:
    blob = store(io.BytesIO(b"x"))
    keys = home / "keys"
    assert (keys.stat().st_mode & 0o777) == 0o700
    key_file = keys / f"{blob.master_key_id}.json"
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert (keys / "CURRENT").read_text().strip() == blob.master_key_id
    assert b"primaryKeyId" in key_file.read_bytes()  # a Tink JSON keyset
    assert bytes(blob.wrapped_key) not in key_file.read_bytes()


def test_rotate(backend: str, home: Path) -> None:
    contents = [whole(n, seed=n) for n in (0, 5000, 2 * MiB + 3)]
    blobs = [store(io.BytesIO(c)) for c in contents]
    gone = store(io.BytesIO(b"to be shredded"))
    shred(gone)
    old_key = blobs[0].master_key_id
    assert {b.master_key_id for b in blobs} == {old_key}
    old_file = home / "keys" / f"{old_key}.json"
    assert old_file.exists()
    bodies = [raw_body(b) for b in blobs]
    wrapped = [bytes(b.wrapped_key) for b in blobs]

    result = rotate_master_key(actor=Actor(name="test-admin"))

    assert result.ok and result.rewrapped == 3
    assert result.new_key_id != old_key
    assert result.retired == [old_key]
    assert not old_file.exists()
    assert (home / "keys" / "retired" / f"{old_key}.json").exists()
    assert (home / "keys" / "CURRENT").read_text().strip() == result.new_key_id
    for blob, content, body, before in zip(blobs, contents, bodies, wrapped, strict=True):
        row = Blob.objects.get(pk=blob.pk)
        assert row.master_key_id == result.new_key_id
        assert bytes(row.wrapped_key) != before
        assert raw_body(row) == body  # the body was not re-encrypted
        assert read_all(row) == content
    assert bytes(Blob.objects.get(pk=gone.pk).wrapped_key) == b""
    entry = AuditEntry.objects.get(action="keys_rotate")
    assert entry.detail["rewrapped"] == 3 and entry.detail["new_key"] == result.new_key_id

    # new files go under the new key; a second rotation retires the first new key
    assert store(io.BytesIO(b"later")).master_key_id == result.new_key_id
    again = rotate_master_key()
    assert again.rewrapped == 4 and again.retired == [result.new_key_id]
    status = services.key_status()
    assert status.not_current == 0
    assert [(info.state, n) for info, n in status.keys if info.state == "current"] == [("current", 4)]


def test_rotate_keeps_a_key_still_needed(home: Path, db: None) -> None:
    good = store(io.BytesIO(b"good"))
    bad = store(io.BytesIO(b"bad"))
    Blob.objects.filter(pk=bad.pk).update(wrapped_key=flip(bytes(bad.wrapped_key), 40))
    result = rotate_master_key()
    assert not result.ok
    assert [blob_id for blob_id, _ in result.failed] == [str(bad.id)]
    assert result.kept == [good.master_key_id] and result.retired == []
    assert (home / "keys" / f"{good.master_key_id}.json").exists()
    assert read_all(good) == b"good"


def test_destroy_retired_key(home: Path, db: None) -> None:
    blob = store(io.BytesIO(b"data"))
    old = blob.master_key_id
    with pytest.raises(MasterKeyError):
        services.destroy_retired_key(old)  # still current and in use
    rotate_master_key()
    services.destroy_retired_key(old)
    assert not (home / "keys" / "retired" / f"{old}.json").exists()
    assert read_all(blob) == b"data"
    provider = LocalFileProvider(home / "keys")
    with pytest.raises(MasterKeyError, match="restore"):
        provider.get(old)
    with pytest.raises(MasterKeyError):
        provider.get("../../etc/passwd")


def test_env_master_key_and_its_rotation(home: Path, db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from_file = store(io.BytesIO(b"under the file key"))
    first = base64.b64encode(keyset_to_json(new_master_keyset()).encode()).decode()
    monkeypatch.setenv("KOKIN_MASTER_KEY", first)
    from_env = store(io.BytesIO(b"under the env key"))
    assert from_env.master_key_id.startswith("env-")
    assert read_all(from_file) == b"under the file key"  # file keys still unwrap (migration)

    result = rotate_master_key()  # file -> env: re-wraps the file blob, retires the file key
    assert result.rewrapped == 1 and result.retired == [from_file.master_key_id]

    second = base64.b64encode(keyset_to_json(new_master_keyset()).encode()).decode()
    monkeypatch.setenv("KOKIN_MASTER_KEY", second)
    with pytest.raises(MasterKeyError, match="KOKIN_MASTER_KEY_OLD"):
        read_all(from_env)
    monkeypatch.setenv("KOKIN_MASTER_KEY_OLD", first)
    result = rotate_master_key()
    assert result.ok and result.rewrapped == 2
    assert result.to_remove == [from_env.master_key_id]
    monkeypatch.delenv("KOKIN_MASTER_KEY_OLD")
    assert read_all(from_env) == b"under the env key"
    assert read_all(from_file) == b"under the file key"


def test_env_master_key_must_be_a_keyset(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MasterKeyError, match="KOKIN_MASTER_KEY"):
        EnvProvider(base64.b64encode(b"not a key").decode())


def test_keys_commands(home: Path, db: None) -> None:
    store(io.BytesIO(b"data"))
    runner = CliRunner()
    status = runner.invoke(cli, ["keys", "status"])
    assert status.exit_code == 0, status.output
    assert "current" in status.output and "file" in status.output
    rotated = runner.invoke(cli, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "data keys re-wrapped: 1" in rotated.output
    assert AuditEntry.objects.get(action="keys_rotate").actor.startswith("os:")
    out = home / "new-master-key.b64"
    generated = runner.invoke(cli, ["keys", "generate", "-o", str(out)])
    assert generated.exit_code == 0, generated.output
    assert (out.stat().st_mode & 0o777) == 0o600
    assert EnvProvider(out.read_text()).current().key_id.startswith("env-")


# --- export packages ---------------------------------------------------------------------------


def test_export_zip_round_trip(home: Path, db: None) -> None:
    data = whole(MiB + 99, seed=2)
    blob = store(io.BytesIO(data))
    with open_blob(blob) as reader:
        package = export_zip(
            [("口座振替結果_税務課.dat", reader), ("README.txt", io.BytesIO(b"hello"))],
            actor=OPERATOR,
        )
    with package:
        assert len(package.password) >= 16 and package.password_generated
        assert (package.path.stat().st_mode & 0o777) == 0o600
        assert package.sha256 == hashlib.sha256(package.path.read_bytes()).hexdigest()
        with pyzipper.AESZipFile(package.path) as zf:
            zf.setpassword(package.password.encode())
            assert zf.namelist() == ["口座振替結果_税務課.dat", "README.txt"]
            assert zf.read("口座振替結果_税務課.dat") == data
            assert zf.read("README.txt") == b"hello"
            info = zf.getinfo("口座振替結果_税務課.dat")
            assert info.flag_bits & 0x800  # names in UTF-8
            assert info.flag_bits & 0x1  # encrypted
        with zipfile.ZipFile(package.path) as plain:
            assert {i.compress_type for i in plain.infolist()} == {99}  # WinZip AES, not ZipCrypto
        with pyzipper.AESZipFile(package.path) as zf:
            zf.setpassword(b"wrong-password-123")
            with pytest.raises(RuntimeError):
                zf.read("README.txt")
        entry = AuditEntry.objects.get(action="vault_export")
        assert entry.sha256 == package.sha256
        assert package.password not in repr(entry.detail)
    assert not package.path.exists()


def test_export_zip_typed_password(home: Path) -> None:
    with export_zip([("a.txt", io.BytesIO(b"a"))], "Kokin-Typed-42!") as package:
        assert package.password == "Kokin-Typed-42!" and not package.password_generated
        with pyzipper.AESZipFile(package.path) as zf:
            zf.setpassword(b"Kokin-Typed-42!")
            assert zf.read("a.txt") == b"a"
    with pytest.raises(ExportError) as caught:
        export_zip([("a.txt", io.BytesIO(b"a"))], "short-pw")
    assert str(MIN_TYPED_LENGTH) in str(caught.value) and "文字以上" in str(caught.value)
    with pytest.raises(ExportError, match="ASCII"):
        export_zip([("a.txt", io.BytesIO(b"a"))], "パスワードパスワードパスワード")
    assert not list((home / "tmp" / "exports").iterdir())


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs.txt", "a\\b.txt", "a\x00b", "a/../b", "", "C:x", "a\u202eb"])
def test_export_zip_refuses_bad_names(home: Path, name: str) -> None:
    with pytest.raises(ExportError):
        export_zip([(name, io.BytesIO(b"a"))])
    assert not list((home / "tmp" / "exports").iterdir())


def test_export_zip_refuses_duplicates_and_failed_readers(home: Path, db: None) -> None:
    with pytest.raises(ExportError):
        export_zip([("a.txt", io.BytesIO(b"a")), ("a.txt", io.BytesIO(b"b"))])
    blob = store(io.BytesIO(whole(2 * MiB)))
    put_raw_body(blob, flip(raw_body(blob), MiB + 50))
    with pytest.raises(TamperedBlob), open_blob(blob) as reader:
        export_zip([("broken.dat", reader)])
    assert not list((home / "tmp" / "exports").iterdir())


def test_generated_password() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) >= 16
        assert set(password) <= set(PASSWORD_ALPHABET)
    assert not set("0O1lIo") & set(PASSWORD_ALPHABET)
    assert set("".join(passwords)) == set(PASSWORD_ALPHABET)  # every character is used
    with pytest.raises(ValueError):
        generate_password(12)


SEVEN_ZIP = shutil.which("7z") or shutil.which("7zz")


@pytest.mark.skipif(SEVEN_ZIP is None, reason="7-Zip (7z / 7zz) is not installed")
def test_export_zip_opens_in_7zip(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    with export_zip([("収納データ/汎用収納.csv", io.BytesIO("ﾔﾏﾀﾞ ﾀﾛｳ,1000\r\n".encode("cp932")))]) as package:
        listing = subprocess.run(
            [str(SEVEN_ZIP), "l", "-slt", f"-p{package.password}", str(package.path)], capture_output=True, text=True
        )
        assert listing.returncode == 0, listing.stdout + listing.stderr
        assert "AES-256" in listing.stdout and "収納データ/汎用収納.csv" in listing.stdout
        out = tmp_path / "out"
        extract = subprocess.run(
            [str(SEVEN_ZIP), "x", f"-p{package.password}", f"-o{out}", str(package.path)],
            capture_output=True,
            text=True,
        )
        assert extract.returncode == 0, extract.stdout + extract.stderr
        assert (out / "収納データ" / "汎用収納.csv").read_bytes() == "ﾔﾏﾀﾞ ﾀﾛｳ,1000\r\n".encode("cp932")
        wrong = subprocess.run(
            [str(SEVEN_ZIP), "t", "-pWrongPassword1234", str(package.path)], capture_output=True, text=True
        )
        assert wrong.returncode != 0
