"""Master keys: the keys that wrap (encrypt) every file's data key, kept outside the database.

The vault asks only two things of a master key (:class:`MasterKey`): ``wrap`` and ``unwrap`` a few
hundred bytes with associated data (the blob id). That is Tink's KMS-envelope shape: a Tink KMS
client (``tink.integration.gcpkms``, ``awskms``, …) or an HSM's PKCS#11 AES-GCM gives exactly such
an AEAD, so adding one is a :class:`MasterKeyProvider` of a few lines (see docs/vault.md).

Providers here:

* :class:`LocalFileProvider` (default): Tink AES256_GCM keysets as JSON files in
  ``KOKIN_HOME/keys/`` (folder 0700, files 0600), created on first use. ``CURRENT`` names the key
  that wraps new data keys; older keys stay until rotation has re-wrapped everything under the new
  one, then move to ``keys/retired/`` (still able to unwrap, never to wrap) until destroyed.
* :class:`EnvProvider`: ``KOKIN_MASTER_KEY`` holds a Tink keyset (base64 of its JSON or binary
  form), e.g. from a secret manager; ``KOKIN_MASTER_KEY_OLD`` the previous one(s) during a rotation.

``settings.VAULT_MASTER_KEY_PROVIDER`` chooses: ``""``/``auto`` (env when ``KOKIN_MASTER_KEY`` is
set, else file), ``file``, ``env``, or the dotted path of a callable returning a provider.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tink
from django.conf import settings
from django.utils.module_loading import import_string
from tink import aead, json_proto_keyset_format, proto_keyset_format, secret_key_access

from kokin.formats.files import fsync_dir, write_atomic
from kokin.vault.errors import MasterKeyError

aead.register()

log = logging.getLogger(__name__)

#: the Tink template of a master key: AES-256-GCM, 12-byte random nonce, 16-byte tag
MASTER_KEY_TEMPLATE = aead.aead_key_templates.AES256_GCM
_FILE_KEY_ID = re.compile(r"^mk-[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")


class MasterKey(ABC):
    """One master key. ``key_id`` is recorded with every data key it wraps; it must stay stable and
    name this key alone (for a KMS: the key's URI or version)."""

    key_id: str

    @abstractmethod
    def wrap(self, plaintext: bytes, associated_data: bytes) -> bytes:
        """Encrypt ``plaintext`` (a serialized data keyset) bound to ``associated_data``."""

    @abstractmethod
    def unwrap(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        """Decrypt what :meth:`wrap` made; raise (any exception) if it was altered or the
        associated data differs. Raise :class:`MasterKeyError` when the key is unavailable."""


class TinkAeadMasterKey(MasterKey):
    """A master key backed by any Tink :class:`tink.aead.Aead`: a local keyset or a KMS client's."""

    def __init__(self, key_id: str, primitive: aead.Aead) -> None:
        self.key_id = key_id
        self._primitive = primitive

    def wrap(self, plaintext: bytes, associated_data: bytes) -> bytes:
        return bytes(self._primitive.encrypt(plaintext, associated_data))

    def unwrap(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        return bytes(self._primitive.decrypt(ciphertext, associated_data))

    def __repr__(self) -> str:  # never the key material
        return f"<{type(self).__name__} {self.key_id}>"


@dataclass(frozen=True)
class KeyInfo:
    """What ``kokin keys status`` shows about one key (never its material)."""

    key_id: str
    #: current (wraps new data keys), active (still needed, e.g. mid-rotation) or retired
    state: str
    location: str
    warning: str = ""


class MasterKeyProvider(ABC):
    """Where master keys come from. Implement ``current``, ``get`` and ``list_keys``; ``create`` and
    ``retire`` if the backend can make and retire keys itself (a KMS creating a key version)."""

    name: str = "?"
    #: whether :meth:`create` makes a new key (rotation) or the operator supplies it
    can_create: bool = False

    @abstractmethod
    def current(self) -> MasterKey:
        """The key that wraps new data keys."""

    @abstractmethod
    def get(self, key_id: str) -> MasterKey:
        """The key named ``key_id`` (current, older or retired); :class:`MasterKeyError` if unknown."""

    @abstractmethod
    def list_keys(self) -> list[KeyInfo]:
        """Every key this provider knows, current first."""

    def create(self) -> MasterKey:
        """Make a new key and make it current (the first step of a rotation)."""
        raise MasterKeyError(
            f"マスター鍵の提供元 {self.name} は新しい鍵を作成できません",
            f"the master-key provider {self.name} cannot create keys",
        )

    def retire(self, key_id: str) -> bool:
        """Stop using ``key_id`` (no data key is wrapped by it any more). True if done here; False
        if the operator has to remove it (e.g. from the environment)."""
        return False

    def destroy(self, key_id: str) -> None:
        """Destroy a retired key for good."""
        raise MasterKeyError(
            f"マスター鍵の提供元 {self.name} では鍵 {key_id} を破棄できません (提供元の側で破棄してください)",
            f"the master-key provider {self.name} cannot destroy key {key_id}; destroy it at its source",
        )


# --- keysets ---------------------------------------------------------------------------------------


def new_master_keyset() -> tink.KeysetHandle:
    return tink.new_keyset_handle(MASTER_KEY_TEMPLATE)


def keyset_to_json(handle: tink.KeysetHandle) -> str:
    return str(json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN))


def keyset_from_text(text: str, *, where: str) -> tink.KeysetHandle:
    """A cleartext Tink keyset from JSON, or from base64 of its JSON or binary form."""
    text = text.strip()
    try:
        if text.startswith("{"):
            return json_proto_keyset_format.parse(text, secret_key_access.TOKEN)
        raw = base64.b64decode(text, validate=True)
        if raw.lstrip().startswith(b"{"):
            return json_proto_keyset_format.parse(raw.decode("utf-8"), secret_key_access.TOKEN)
        return proto_keyset_format.parse(raw, secret_key_access.TOKEN)
    except (tink.TinkError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise MasterKeyError(
            f"{where} のマスター鍵を読み取れません (Tink の鍵セットではありません)",
            f"cannot read the master key in {where} (not a Tink keyset)",
        ) from exc


def _primitive(handle: tink.KeysetHandle, *, where: str) -> aead.Aead:
    try:
        return handle.primitive(aead.Aead)
    except tink.TinkError as exc:
        raise MasterKeyError(
            f"{where} の鍵は AEAD の鍵ではありません",
            f"the key in {where} is not an AEAD key",
        ) from exc


# --- files -------------------------------------------------------------------------------------


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` atomically with mode 0600: temp file, fsync, rename, fsync the folder."""
    write_atomic(path, text.encode("utf-8"))
    fsync_dir(path.parent)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the key folder across processes (key creation, retirement)."""
    import fcntl

    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class LocalFileProvider(MasterKeyProvider):
    """Master keys as Tink JSON keysets in a private folder (default ``KOKIN_HOME/keys``)."""

    name = "file"
    can_create = True

    def __init__(self, directory: Path, *, create_if_missing: bool = True) -> None:
        """``create_if_missing=False``: only read and retire keys left from before (the fallback of
        :class:`EnvProvider` after a move from files to the environment)."""
        self.directory = Path(directory)
        self.retired_dir = self.directory / "retired"
        self.create_if_missing = create_if_missing

    # layout
    def _path(self, key_id: str) -> Path:
        return self.directory / f"{key_id}.json"

    def _retired_path(self, key_id: str) -> Path:
        return self.retired_dir / f"{key_id}.json"

    def _current_id(self) -> str | None:
        try:
            text = (self.directory / "CURRENT").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return text or None

    def _ensure_dirs(self) -> None:
        for folder in (self.directory, self.retired_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _load(self, key_id: str, path: Path) -> MasterKey:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("master key file %s has mode %o; it should be 0600", path, mode)
        handle = keyset_from_text(path.read_text(encoding="utf-8"), where=str(path))
        return TinkAeadMasterKey(key_id, _primitive(handle, where=str(path)))

    @staticmethod
    def _check_id(key_id: str) -> None:
        if not _FILE_KEY_ID.match(key_id):
            raise MasterKeyError(
                f"マスター鍵 ID {key_id!r} はこの提供元 (ファイル) の形式ではありません",
                f"master key id {key_id!r} is not a key of this (file) provider",
            )

    # the provider
    def current(self) -> MasterKey:
        key_id = self._current_id()
        if key_id is None:
            if not self.create_if_missing:
                raise MasterKeyError(
                    f"{self.directory} にマスター鍵がありません",
                    f"there is no master key in {self.directory}",
                )
            self._ensure_dirs()
            with _locked(self.directory):
                key_id = self._current_id()
                if key_id is None:
                    return self._create_locked()
        return self.get(key_id)

    def get(self, key_id: str) -> MasterKey:
        self._check_id(key_id)
        for path in (self._path(key_id), self._retired_path(key_id)):
            if path.exists():
                return self._load(key_id, path)
        raise MasterKeyError(
            f"マスター鍵 {key_id} が {self.directory} にありません (バックアップから戻してください)",
            f"master key {key_id} is not in {self.directory} (restore it from the backup)",
        )

    def create(self) -> MasterKey:
        self._ensure_dirs()
        with _locked(self.directory):
            return self._create_locked()

    def _create_locked(self) -> MasterKey:
        key_id = f"mk-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        handle = new_master_keyset()
        _write_private(self._path(key_id), keyset_to_json(handle))
        _write_private(self.directory / "CURRENT", key_id + "\n")
        log.info("created master key %s", key_id)
        return TinkAeadMasterKey(key_id, _primitive(handle, where=key_id))

    def retire(self, key_id: str) -> bool:
        self._check_id(key_id)
        with _locked(self.directory):
            if key_id == self._current_id():
                if self.create_if_missing:
                    raise MasterKeyError(
                        f"現在のマスター鍵 {key_id} は廃止できません",
                        f"the current master key {key_id} cannot be retired",
                    )
                # a fallback behind another provider (files -> environment): its current key goes too
                (self.directory / "CURRENT").unlink()
            source = self._path(key_id)
            if source.exists():
                self.retired_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.replace(source, self._retired_path(key_id))
                fsync_dir(self.directory)
                fsync_dir(self.retired_dir)
        return True

    def destroy(self, key_id: str) -> None:
        """Overwrite and delete a retired key file (on flash storage and journaling file systems the
        overwrite is best effort; the backups of the key must be destroyed too)."""
        self._check_id(key_id)
        path = self._retired_path(key_id)
        if not path.exists():
            raise MasterKeyError(
                f"廃止済みのマスター鍵 {key_id} はありません (現在・使用中の鍵は破棄できません)",
                f"there is no retired master key {key_id} (current or active keys cannot be destroyed)",
            )
        with _locked(self.directory):
            size = path.stat().st_size
            with open(path, "r+b") as fh:
                fh.write(secrets.token_bytes(size))
                fh.flush()
                os.fsync(fh.fileno())
            path.unlink()
            fsync_dir(self.retired_dir)

    def list_keys(self) -> list[KeyInfo]:
        current = self._current_id()
        found: list[KeyInfo] = []
        for state_dir, state in ((self.directory, "active"), (self.retired_dir, "retired")):
            if not state_dir.is_dir():
                continue
            for path in sorted(state_dir.glob("mk-*.json")):
                key_id = path.stem
                mode = path.stat().st_mode & 0o777
                warning = f"mode {mode:o}: should be 600" if mode & 0o077 else ""
                found.append(KeyInfo(key_id, "current" if key_id == current else state, str(path), warning))
        found.sort(key=lambda k: (k.state != "current", k.state == "retired", k.key_id))
        return found


# --- environment -------------------------------------------------------------------------------


class EnvProvider(MasterKeyProvider):
    """The master key from the environment (``KOKIN_MASTER_KEY``), e.g. injected by a secret manager.

    Rotation: put a new keyset (``kokin keys generate``) in ``KOKIN_MASTER_KEY`` and the old one in
    ``KOKIN_MASTER_KEY_OLD`` (several: separated by commas), run ``kokin keys rotate``, then drop
    ``KOKIN_MASTER_KEY_OLD``. Keys of the file provider are still found for unwrapping, so moving
    from files to the environment is the same rotation.
    """

    name = "env"

    def __init__(self, value: str, old: str = "", *, fallback: MasterKeyProvider | None = None) -> None:
        self._current = self._key(value, "KOKIN_MASTER_KEY")
        self._old = [self._key(part, "KOKIN_MASTER_KEY_OLD") for part in old.split(",") if part.strip()]
        self._fallback = fallback

    @staticmethod
    def _key(text: str, where: str) -> MasterKey:
        handle = keyset_from_text(text, where=where)
        key_id = f"env-{handle.keyset_info().primary_key_id:08x}"
        return TinkAeadMasterKey(key_id, _primitive(handle, where=where))

    def current(self) -> MasterKey:
        return self._current

    def get(self, key_id: str) -> MasterKey:
        for key in (self._current, *self._old):
            if key.key_id == key_id:
                return key
        if self._fallback is not None and not key_id.startswith("env-"):
            return self._fallback.get(key_id)
        raise MasterKeyError(
            f"マスター鍵 {key_id} が環境変数 KOKIN_MASTER_KEY / KOKIN_MASTER_KEY_OLD にありません",
            f"master key {key_id} is in neither KOKIN_MASTER_KEY nor KOKIN_MASTER_KEY_OLD",
        )

    def list_keys(self) -> list[KeyInfo]:
        found = [KeyInfo(self._current.key_id, "current", "KOKIN_MASTER_KEY")]
        found += [KeyInfo(k.key_id, "active", "KOKIN_MASTER_KEY_OLD") for k in self._old]
        if self._fallback is not None:
            found += [
                KeyInfo(k.key_id, "retired" if k.state == "retired" else "active", k.location)
                for k in self._fallback.list_keys()
            ]
        return found

    def retire(self, key_id: str) -> bool:
        if self._fallback is not None and not key_id.startswith("env-"):
            return self._fallback.retire(key_id)
        return False

    def destroy(self, key_id: str) -> None:
        if self._fallback is not None and not key_id.startswith("env-"):
            self._fallback.destroy(key_id)
            return
        super().destroy(key_id)


# --- choosing ----------------------------------------------------------------------------------


def key_dir() -> Path:
    return Path(settings.HOME) / "keys"


def get_provider() -> MasterKeyProvider:
    """The configured provider (``settings.VAULT_MASTER_KEY_PROVIDER``), built afresh on each call
    so every process sees a rotation done by another one."""
    choice = settings.VAULT_MASTER_KEY_PROVIDER
    if choice == "auto":
        choice = "env" if os.environ.get("KOKIN_MASTER_KEY", "").strip() else "file"
    if choice == "file":
        return LocalFileProvider(key_dir())
    if choice == "env":
        value = os.environ.get("KOKIN_MASTER_KEY", "")
        if not value.strip():
            raise MasterKeyError(
                "環境変数 KOKIN_MASTER_KEY が設定されていません",
                "the environment variable KOKIN_MASTER_KEY is not set",
            )
        fallback = LocalFileProvider(key_dir(), create_if_missing=False)
        return EnvProvider(value, os.environ.get("KOKIN_MASTER_KEY_OLD", ""), fallback=fallback)
    factory = import_string(choice)
    provider = factory()
    if not isinstance(provider, MasterKeyProvider):
        raise MasterKeyError(
            f"{choice} はマスター鍵の提供元ではありません", f"{choice} did not return a MasterKeyProvider"
        )
    return provider
