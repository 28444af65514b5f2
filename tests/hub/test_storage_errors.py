"""The pieces behind a full disk's answers, on real errors: ENOSPC wrapped in Tink's error, SQLite's
"database is locked", and a SQLite transaction left open after a request."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import tink
from django.db import connection
from django.test import Client, RequestFactory
from tink import streaming_aead

from kokin.exchange import space
from kokin.vault.crypto import DATA_KEY_TEMPLATE
from kokin.web import errors


def tink_write_to_a_full_device() -> BaseException:
    """What the vault raises when its disk is full: Tink's encrypting stream over a sink that gets
    ENOSPC (``/dev/full``)."""
    streaming_aead.register()
    primitive = tink.new_keyset_handle(DATA_KEY_TEMPLATE).primitive(streaming_aead.StreamingAead)
    with open("/dev/full", "wb", buffering=0) as sink:
        stream = primitive.new_encrypting_stream(sink, b"test")
        try:
            stream.write(b"x" * (1 << 20))
            stream.close()
        except Exception as exc:
            return exc
    raise AssertionError("writing to /dev/full did not fail")


def test_enospc_wrapped_in_tinks_error_is_a_full_disk() -> None:
    wrapped = tink_write_to_a_full_device()
    assert not isinstance(wrapped, OSError)  # Tink carries the ENOSPC in its message only
    assert space.is_no_space(wrapped)
    assert errors.cause_of(wrapped) is errors.NO_SPACE
    assert not space.is_no_space(ValueError("bad record"))
    assert errors.cause_of(ValueError("bad record")) is None


@pytest.mark.django_db
def test_a_full_disk_in_the_api_is_a_507_json_error_naming_it() -> None:
    request = RequestFactory().post("/api/businesses/zeimu-furikae/files")
    try:
        raise tink_write_to_a_full_device()
    except Exception:
        response = errors.server_error(request)
    assert response.status_code == 507
    assert "保存領域が不足しています" in response.content.decode()


def test_a_locked_sqlite_database_is_a_503_page_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        response = errors.server_error(RequestFactory().post("/accounts/login/"))
    else:
        raise AssertionError("the second writer got the lock")
    finally:
        holder.close()
        waiter.close()
    assert response.status_code == 503 and response["Retry-After"]
    text = response.content.decode()
    assert "データベースが混み合っています" in text and "database is locked" in text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock: PostgreSQL has no database-wide one")
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_transaction_left_open_is_rolled_back_when_the_next_request_starts() -> None:
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    raw.execute("BEGIN IMMEDIATE")  # what a failed write may leave: SQLite's lock held in autocommit mode
    assert raw.in_transaction
    Client().get("/accounts/login/")
    assert connection.connection is None or not connection.connection.in_transaction
