"""The bank link's HTTP client: mutual TLS, a bearer token, tus uploads and ranged downloads.

One keep-alive HTTP/1.1 connection (httpx) is reused for every request. Bodies stream both ways in
pieces of at most :data:`PIECE_BYTES`, so memory stays small whatever the file size, and the SHA-256 is
computed on the pieces as they pass. Each answer is sorted into the errors of :mod:`kokin.bank.errors`:
what a retry can cure (:class:`TransientError`: connection, timeout, 5xx, an offset mismatch, a digest
mismatch) and what it cannot (:class:`HubRefusal`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import ssl
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from kokin.bank.config import HubConfig, TransferConfig
from kokin.bank.errors import (
    AuthError,
    ConfigError,
    DigestMismatch,
    HubRefusal,
    Interrupted,
    NotFound,
    OffsetMismatch,
    RangeNotSatisfiable,
    TransientError,
)
from kokin.bank.spool import open_private

API = "/banklink/v1"
TUS_VERSION = "1.0.0"
PIECE_BYTES = 1024 * 1024  # read/write size: large enough that Python's per-call cost vanishes


@dataclass(frozen=True)
class UploadStatus:
    offset: int
    length: int | None
    outcome: str | None  # stored | rejected | None while unfinished
    file_id: str | None


@dataclass(frozen=True)
class DownloadResult:
    bytes: int
    sha256: str
    resumed_from: int


def ssl_context(hub: HubConfig) -> ssl.SSLContext:
    """Trust only the hub's CA and present the bank's client certificate (mutual TLS)."""
    assert hub.ca_cert is not None and hub.client_cert is not None and hub.client_key is not None
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(hub.ca_cert))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"CA 証明書を読めません: {exc}", f"cannot load the CA certificate: {exc}", key="hub.ca_cert"
        ) from exc
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(hub.client_cert), str(hub.client_key))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"クライアント証明書と鍵を読めません (対でない可能性): {exc}",
            f"cannot load the client certificate and key (not a pair?): {exc}",
            key="hub.client_cert",
        ) from exc
    return context


def sha256_file(path: Path, *, limit: int | None = None) -> hashlib._Hash:
    """SHA-256 of a file's first ``limit`` bytes (all by default), read in large pieces into one buffer."""
    digest = hashlib.sha256()
    buffer = bytearray(PIECE_BYTES * 4)
    view = memoryview(buffer)
    remaining = limit
    with open(path, "rb", buffering=0) as f:
        while remaining is None or remaining > 0:
            want = len(buffer) if remaining is None else min(len(buffer), remaining)
            n = f.readinto(view[:want])
            if not n:
                break
            digest.update(view[:n])
            if remaining is not None:
                remaining -= n
    return digest


def _error_text(response: httpx.Response) -> tuple[str, str, Any]:
    try:
        response.read()  # a streamed answer's body is not read yet
        body = response.json()
    except (ValueError, httpx.HTTPError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return str(error.get("ja", "")), str(error.get("en", "")), body
    text = (
        response.text[:300]
        if response.headers.get("content-type", "").startswith(("text/", "application/json"))
        else ""
    )
    return (
        f"ハブが HTTP {response.status_code} を返しました {text}".strip(),
        (f"the hub answered HTTP {response.status_code} {text}".strip()),
        body,
    )


def _raise_for(response: httpx.Response, expected: tuple[int, ...]) -> None:
    if response.status_code in expected:
        return
    ja, en, body = _error_text(response)
    status = response.status_code
    if status in (401, 403):
        raise AuthError(ja, en, status=status, body=body)
    if status in (404, 410):
        raise NotFound(ja, en, status=status, body=body)
    if status == 416:
        raise RangeNotSatisfiable(ja, en, status=status, body=body)
    if status >= 500 or status in (408, 425, 429):
        raise TransientError(ja, en, status=status, body=body)
    raise HubRefusal(ja, en, status=status, body=body)


def _upload_status(response: httpx.Response) -> UploadStatus:
    try:
        offset = int(response.headers["Upload-Offset"])
    except (KeyError, ValueError) as exc:
        raise TransientError(
            "ハブの応答に Upload-Offset がありません",
            "the hub's answer has no Upload-Offset",
            status=response.status_code,
        ) from exc
    length = response.headers.get("Upload-Length")
    return UploadStatus(
        offset=offset,
        length=int(length) if length and length.isdigit() else None,
        outcome=response.headers.get("Kokin-Outcome") or None,
        file_id=response.headers.get("Kokin-File-Id") or None,
    )


def header_digests(headers: Mapping[str, str]) -> set[str]:
    """The SHA-256 (hex) the hub announces for a file: ETag, Repr-Digest (RFC 9530), Digest (RFC 3230)."""
    found: set[str] = set()
    etag = headers.get("ETag", "").strip().removeprefix("W/").strip('"')
    if len(etag) == 64:
        found.add(etag.lower())
    for name, prefix, sep in (("Repr-Digest", "sha-256=:", ":"), ("Digest", "sha-256=", ",")):
        for part in headers.get(name, "").split(","):
            part = part.strip()
            if part.lower().startswith(prefix):
                value = part[len(prefix) :].split(sep)[0] if sep == ":" else part[len(prefix) :]
                try:
                    found.add(base64.b64decode(value, validate=True).hex())
                except (binascii.Error, ValueError):
                    continue
    return found


class HubClient:
    def __init__(
        self,
        hub: HubConfig,
        transfer: TransferConfig,
        *,
        stop: threading.Event | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``transport`` replaces the network (tests with an in-process hub); TLS is then not set up."""
        self.hub = hub
        self.transfer = transfer
        self.stop = stop or threading.Event()
        self.http = httpx.Client(
            base_url=hub.url,
            transport=transport,
            verify=False if hub.tunnelled or transport is not None else ssl_context(hub),
            http1=True,
            http2=False,
            timeout=httpx.Timeout(transfer.timeout_seconds),
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=2, keepalive_expiry=60),
            headers={
                "Authorization": f"Bearer {hub.token()}",
                "Tus-Resumable": TUS_VERSION,
                "User-Agent": "kokin-bank-agent/1",
                # identity: a Range must count the file's own bytes, not a compressed form
                "Accept-Encoding": "identity",
            },
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError("ハブの応答が時間切れです", f"the hub timed out: {exc!r}") from exc
        except (httpx.TransportError, ssl.SSLError, OSError) as exc:
            raise TransientError("ハブに接続できません", f"cannot reach the hub: {exc!r}") from exc

    # --- files for the bank ---------------------------------------------------------------------------

    def list_files(self) -> list[dict[str, Any]]:
        response = self._request("GET", f"{API}/files")
        _raise_for(response, (200,))
        try:
            files = response.json()["files"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TransientError("ファイル一覧の形式が不正です", "the file list is malformed") from exc
        return list(files)

    def download(self, file_id: str, dest: Path, expected_sha256: str | None = None) -> DownloadResult:
        """Download into ``dest``, continuing from its current length with a Range request.

        The digest is checked against ``expected_sha256`` and the hub's ETag/Repr-Digest; on a mismatch
        the partial file is removed and :class:`DigestMismatch` raised (the caller downloads again).
        """
        offset = dest.stat().st_size if dest.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        url = f"{API}/files/{file_id}"
        try:
            with self.http.stream("GET", url, headers=headers) as response:
                if response.status_code == 416:
                    dest.unlink(missing_ok=True)
                _raise_for(response, (200, 206))
                if response.status_code == 206:
                    start = _content_range_start(response.headers.get("Content-Range", ""))
                    if start != offset:
                        raise TransientError(
                            f"Content-Range の開始位置 {start} が要求 {offset} と違います",
                            f"Content-Range starts at {start}, not at the {offset} asked for",
                        )
                else:
                    offset = 0  # the hub sent the whole file: start over
                announced = header_digests(response.headers)
                digest = sha256_file(dest, limit=offset) if offset else hashlib.sha256()
                received = offset
                # the network hands over ~16 KiB at a time: gather PIECE_BYTES, then write and hash them
                # in one call each
                pending = bytearray()
                # 0600 whatever the umask: the spool holds payers' data; truncated at offset (0: a new start)
                with os.fdopen(open_private(dest), "r+b", buffering=0) as out:
                    out.seek(offset)
                    out.truncate()
                    try:
                        for piece in response.iter_raw():
                            pending += piece
                            received += len(piece)
                            if len(pending) >= PIECE_BYTES:
                                out.write(pending)
                                digest.update(pending)
                                pending.clear()
                            if self.stop.is_set():
                                raise Interrupted()
                    finally:  # what arrived is kept, also when the connection breaks or we stop
                        out.write(pending)
                        digest.update(pending)
                        os.fsync(out.fileno())
        except httpx.TimeoutException as exc:
            raise TransientError("受信中に時間切れになりました", f"timed out while downloading: {exc!r}") from exc
        except (httpx.TransportError, ssl.SSLError) as exc:
            raise TransientError(
                "受信中に接続が切れました", f"the connection broke while downloading: {exc!r}"
            ) from exc
        sha = digest.hexdigest()
        wanted = {s.lower() for s in announced | ({expected_sha256} if expected_sha256 else set())}
        if wanted and wanted != {sha}:
            dest.unlink(missing_ok=True)
            hub = ", ".join(w[:12] for w in sorted(wanted))
            raise DigestMismatch(
                f"SHA-256 が一致しません (受信 {sha[:12]}…、ハブ {hub}…)。破棄して再受信します",
                f"SHA-256 mismatch (received {sha[:12]}…, hub {hub}…): discarded, downloading again",
            )
        return DownloadResult(bytes=received, sha256=sha, resumed_from=offset)

    def ack(self, file_id: str, *, sha256: str, size: int, duration_ms: int, retries: int) -> dict[str, Any]:
        response = self._request(
            "POST",
            f"{API}/files/{file_id}/ack",
            json={"sha256": sha256, "bytes": size, "duration_ms": duration_ms, "retries": retries},
        )
        _raise_for(response, (200,))
        try:
            return dict(response.json())
        except ValueError:
            return {}

    # --- files from the bank: tus 1.0.0 ---------------------------------------------------------------

    def create_upload(self, length: int, metadata: Mapping[str, str]) -> str:
        """POST /uploads; the hub answers with the upload's Location (the existing one for a known bank_file_id)."""
        encoded = ",".join(
            f"{key} {base64.b64encode(value.encode('utf-8')).decode('ascii')}" for key, value in metadata.items()
        )
        response = self._request(
            "POST",
            f"{API}/uploads",
            headers={"Upload-Length": str(length), "Upload-Metadata": encoded, "Content-Length": "0"},
        )
        _raise_for(response, (201, 200))
        location = response.headers.get("Location")
        if not location:
            raise TransientError("ハブの応答に Location がありません", "the hub's answer has no Location")
        return str(urljoin(str(response.url), location))

    def head_upload(self, url: str) -> UploadStatus:
        response = self._request("HEAD", url, headers={"Cache-Control": "no-store"})
        _raise_for(response, (200, 204))
        return _upload_status(response)

    def get_upload(self, url: str) -> dict[str, Any]:
        response = self._request("GET", url)
        _raise_for(response, (200,))
        try:
            return dict(response.json())
        except ValueError:
            return {}

    def delete_upload(self, url: str) -> None:
        response = self._request("DELETE", url)
        _raise_for(response, (204, 200, 404, 410))

    def patch_upload(self, url: str, path: Path, offset: int, size: int) -> UploadStatus:
        """Send ``size`` bytes of ``path`` from ``offset``, streamed from the file (never all in memory)."""
        response = self._request(
            "PATCH",
            url,
            headers={
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
                # an explicit length: the body streams from a generator, but must not go chunked
                "Content-Length": str(size),
            },
            content=_file_pieces(path, offset, size),
        )
        if response.status_code == 409:
            ja, en, body = _error_text(response)
            raise OffsetMismatch(ja, en, status=409, body=body)
        if response.status_code == 460:
            ja, en, body = _error_text(response)
            raise DigestMismatch(
                f"ハブで SHA-256 が一致しませんでした。最初から送り直します ({ja})",
                f"the hub found a SHA-256 mismatch; sending again from the start ({en})",
                status=460,
                body=body,
            )
        _raise_for(response, (204, 200))
        return _upload_status(response)


def _file_pieces(path: Path, offset: int, size: int) -> Iterator[bytes]:
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        remaining = size
        while remaining:
            piece = f.read(min(PIECE_BYTES, remaining))
            if not piece:
                raise TransientError(
                    "送信中にファイルが短くなりました", "the file became shorter while it was being sent"
                )
            remaining -= len(piece)
            yield piece


def _content_range_start(value: str) -> int | None:
    # "bytes 100-199/200"
    try:
        unit, _, rest = value.partition(" ")
        if unit.strip().lower() != "bytes":
            return None
        return int(rest.split("-", 1)[0])
    except ValueError:
        return None
