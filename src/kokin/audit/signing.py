"""The checkpoint signing key (チェックポイント署名鍵): an Ed25519 key kept as a file, never in the database.

Someone with access to the database alone can change the operation log but cannot sign a checkpoint;
an auditor checks checkpoints with the public key (:func:`public_key_pem`), which can be printed and
kept anywhere. The private key is a PKCS#8 PEM file (mode 0600) in ``AUDIT_CHECKPOINT_DIR`` (default
``KOKIN_HOME/audit``), created on first use: written to a temporary file, fsynced, then linked into
place, so two processes starting at once end up with one key.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kokin.formats.files import fsync_dir

log = logging.getLogger(__name__)

KEY_FILE = "checkpoint-key.pem"


def key_path(directory: Path) -> Path:
    return Path(directory) / KEY_FILE


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # unlike a rename, never replaces a key another process made first
        except FileExistsError:
            return
    finally:
        Path(tmp).unlink(missing_ok=True)
    fsync_dir(path.parent)
    log.info("created the operation-log checkpoint key %s", path)


def private_key(directory: Path, *, create: bool = True) -> Ed25519PrivateKey | None:
    """The signing key; made on first use when ``create``, else ``None`` when there is none."""
    path = key_path(directory)
    if not path.exists():
        if not create:
            return None
        _create(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("checkpoint key file %s has mode %o; it should be 0600", path, mode)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 32 hex digits of SHA-256 over its 32 raw bytes."""
    return hashlib.sha256(raw_public(key)).hexdigest()[:32]


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key from its PEM text or the base64 of its 32 raw bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode("ascii")


def valid(key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
