"""System checks of the ``KOKIN_*`` settings (Django's checks framework, registered by the ``web`` app).

``kokin hub serve`` and ``kokin demo`` run every check before they serve (with the deployment checks
unless ``KOKIN_DEBUG``), and ``kokin manage check [--deploy]`` runs them on demand. An error stops the
start; each message names the variable and its value and says why, in Japanese and English.

==========  ===========================================================================================
kokin.E001  a value the settings could not read (not a number, not a yes/no flag, an unknown log
            level); they used the default instead (:mod:`kokin.web.env`)
kokin.E002  a number out of range
kokin.E003  an unknown choice: blob store, master-key provider, mail backend, terminal register
kokin.E004  a folder that is not absolute, or cannot be created or written (home, checkpoints, archives)
kokin.E005  a malformed list: host names (``KOKIN_ALLOWED_HOSTS``), addresses (``KOKIN_TRUSTED_PROXIES``)
kokin.E006  a malformed address: syslog, mail sender, SMTP host, WebAuthn origin and relying party
kokin.E007  a master key in the environment that cannot be used
kokin.W001  (deploy) a mail backend that delivers nothing: mail to operators would be lost
kokin.W002  (deploy) ``KOKIN_SECURE=0``: cookies and redirects for plain HTTP
kokin.W003  (deploy) the WebAuthn origin is not a host the hub answers to
kokin.W004  (deploy) no malware scan (``KOKIN_CLAMD`` unset): uploads reach departments unscanned
==========  ===========================================================================================
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.module_loading import import_string

from kokin.errors import KokinError

#: a host name or an IP address, as Django's ALLOWED_HOSTS takes them: ``.example.jp`` (and its
#: subdomains), ``*``, ``[::1]``; no scheme, port or path
_HOST = re.compile(
    r"^(\*|\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?|\[[0-9a-f:.]+\])$", re.I
)
_KEY_PROVIDERS = ("auto", "file", "env")
#: mail backends that deliver nothing to anyone
UNDELIVERED = tuple(
    f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "locmem", "dummy", "filebased")
)


def _error(id: str, variable: str, value: object, ja: str, en: str) -> checks.Error:
    return checks.Error(_text(variable, value, ja, en), id=id)


def warning(id: str, variable: str, value: object, ja: str, en: str) -> checks.Warning:
    return checks.Warning(_text(variable, value, ja, en), id=id)


def _text(variable: str, value: object, ja: str, en: str) -> str:
    """``KOKIN_X=value: <Japanese> / <English>``, the value quoted as a shell would need it."""
    return f"{variable}={shlex.quote(str(value))}: {ja} / {en}"


# --- kokin.E001, E002: numbers ----------------------------------------------------------------------


@checks.register("kokin")
def unreadable_values(**kwargs: Any) -> list[checks.CheckMessage]:
    return [
        _error(
            "kokin.E001",
            u.variable,
            u.value,
            f"{u.reason_ja} (既定値に代えて起動はしません)",
            f"{u.reason_en} (the hub does not start on the default instead)",
        )
        for u in settings.ENV_UNREADABLE
    ]


def _minutes(value: timedelta) -> float:
    return value.total_seconds() / 60


def _sqlite_timeout(s: Any) -> float | None:
    options = s.DATABASES["default"].get("OPTIONS", {})
    return options.get("timeout") if s.DATABASES["default"]["ENGINE"].endswith("sqlite3") else None


@dataclass(frozen=True)
class _Range:
    variable: str
    #: the variable's value, read back from the settings (``None``: not in use)
    value: Callable[[Any], float | None]
    least: float
    most: float | None = None


_RANGES = (
    _Range("KOKIN_IDLE_MINUTES", lambda s: s.IDLE_MINUTES, 1),
    _Range("KOKIN_LOCKOUT_LIMIT", lambda s: s.AXES_FAILURE_LIMIT, 1),
    _Range("KOKIN_LOCKOUT_MINUTES", lambda s: _minutes(s.AXES_COOLOFF_TIME), 1),
    _Range("KOKIN_ADDRESS_LIMIT", lambda s: s.ADDRESS_FAILURE_LIMIT, 1),
    _Range("KOKIN_ADDRESS_MINUTES", lambda s: _minutes(s.ADDRESS_COOLOFF), 1),
    _Range("KOKIN_ISSUE_LIMIT", lambda s: s.ISSUE_LIMIT, 1),
    _Range("KOKIN_AUDIT_CHECKPOINT_EVERY", lambda s: s.AUDIT_CHECKPOINT_EVERY, 0),
    _Range("KOKIN_AUDIT_CHECKPOINT_SECONDS", lambda s: s.AUDIT_CHECKPOINT_SECONDS, 1),
    _Range("KOKIN_EMAIL_PORT", lambda s: s.EMAIL_PORT, 1, 65535),
    _Range("KOKIN_ENROLMENT_HOURS", lambda s: s.PASSWORD_RESET_TIMEOUT / 3600, 1),
    _Range("KOKIN_DISK_MARGIN_MB", lambda s: s.DISK_MARGIN_MB, 0),
    _Range("KOKIN_DISK_WARN_MB", lambda s: s.DISK_WARN_MB, 0),
    _Range("KOKIN_SQLITE_TIMEOUT", _sqlite_timeout, 0),
    _Range("KOKIN_CLAMD_TIMEOUT", lambda s: s.CLAMD_TIMEOUT, 1),
    _Range("KOKIN_CLAMD_MAX_AGE_DAYS", lambda s: s.CLAMD_MAX_AGE_DAYS, 1),
    _Range("KOKIN_ACKNOWLEDGEMENT_DAYS", lambda s: s.ACKNOWLEDGEMENT_DAYS, 1),
)


@checks.register("kokin")
def numbers_in_range(**kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for r in _RANGES:
        value = r.value(settings)
        if value is None or (r.least <= value and (r.most is None or value <= r.most)):
            continue
        if r.most is None:
            ja, en = f"{r.least:g} 以上にしてください", f"must be at least {r.least:g}"
        else:
            ja, en = f"{r.least:g} から {r.most:g} までです", f"must be from {r.least:g} to {r.most:g}"
        found.append(_error("kokin.E002", r.variable, int(value) if float(value).is_integer() else value, ja, en))
    return found


# --- kokin.E003: choices --------------------------------------------------------------------------


@checks.register("kokin")
def known_choices(**kwargs: Any) -> list[checks.CheckMessage]:
    from kokin.vault.stores import STORES

    found: list[checks.CheckMessage] = []
    if settings.VAULT_BLOB_STORE not in STORES:
        names = " / ".join(STORES)
        found.append(
            _error(
                "kokin.E003",
                "KOKIN_BLOB_STORE",
                settings.VAULT_BLOB_STORE,
                f"保管先は {names} のいずれかです",
                f"the blob store is one of {names}",
            )
        )
    provider = settings.VAULT_MASTER_KEY_PROVIDER
    if provider not in _KEY_PROVIDERS and not _importable(provider):
        found.append(
            _error(
                "kokin.E003",
                "KOKIN_MASTER_KEY_PROVIDER",
                provider,
                "auto・file・env、または読み込めるマスター鍵提供元のドット区切りパスです",
                "must be auto, file, env or the dotted path of a master-key provider that can be imported",
            )
        )
    if settings.TERMINAL_REGISTER not in ("off", "on"):
        found.append(
            _error(
                "kokin.E003",
                "KOKIN_TERMINAL_REGISTER",
                settings.TERMINAL_REGISTER,
                "off か on です (on: 情報処理機器の台帳に登録された端末からだけログインできます)",
                "must be off or on (on: logins only from a terminal in the equipment register)",
            )
        )
    if not _importable(settings.EMAIL_BACKEND):
        found.append(
            _error(
                "kokin.E003",
                "KOKIN_EMAIL_BACKEND",
                settings.EMAIL_BACKEND,
                "メール送信の実装を読み込めません",
                "the mail backend cannot be imported",
            )
        )
    return found


def _importable(dotted: str) -> bool:
    try:
        return callable(import_string(dotted))
    except ImportError:
        return False


# --- kokin.E004: folders --------------------------------------------------------------------------


@checks.register("kokin")
def writable_folders(**kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for variable, folder in (
        ("KOKIN_HOME", settings.HOME),
        ("KOKIN_AUDIT_CHECKPOINT_DIR", settings.AUDIT_CHECKPOINT_DIR),
        ("KOKIN_ARCHIVE_DIR", settings.ARCHIVE_DIR),
    ):
        reason = _folder_fault(Path(folder))
        if reason:
            found.append(_error("kokin.E004", variable, folder, *reason))
    return found


def _folder_fault(folder: Path) -> tuple[str, str] | None:
    """Why ``folder`` cannot hold the hub's files, or ``None``: it exists or can be made, and is writable."""
    if not folder.is_absolute():
        return (
            "絶対パスで指定してください (プロセスごとに作業フォルダが違います)",
            "must be an absolute path (each process has its own working folder)",
        )
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} はフォルダではありません", f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} に書き込めません", f"{existing} is not writable"
    return None


# --- kokin.E005, E006: hosts and addresses --------------------------------------------------------


@checks.register("kokin")
def well_formed_lists(**kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = [
        _error(
            "kokin.E005",
            "KOKIN_ALLOWED_HOSTS",
            ",".join(settings.ALLOWED_HOSTS),
            f"{host!r} はホスト名でも IP アドレスでもありません (スキーム・ポート・パスは書きません)",
            f"{host!r} is neither a host name nor an IP address (no scheme, port or path)",
        )
        for host in settings.ALLOWED_HOSTS
        if not _HOST.match(host)
    ]
    for proxy in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            found.append(
                _error(
                    "kokin.E005",
                    "KOKIN_TRUSTED_PROXIES",
                    ",".join(settings.TRUSTED_PROXIES),
                    f"{proxy!r} は IP アドレスではありません (ネットワークではなくアドレスを 1 つずつ)",
                    f"{proxy!r} is not an IP address (one address each, not a network)",
                )
            )
    return found


@checks.register("kokin")
def well_formed_addresses(**kwargs: Any) -> list[checks.CheckMessage]:
    return [_error("kokin.E006", variable, value, ja, en) for variable, value, ja, en in _address_faults()]


def _address_faults() -> Iterator[tuple[str, object, str, str]]:
    syslog = settings.AUDIT_CHECKPOINT_SYSLOG
    if syslog and not syslog.startswith("/"):
        host, _, port = syslog.rpartition(":")
        if not (host and port.isdigit() and 1 <= int(port) <= 65535):
            yield (
                "KOKIN_AUDIT_SYSLOG",
                syslog,
                "ソケットのパス (/dev/log) か ホスト:ポート (UDP) です",
                "must be a socket path (/dev/log) or host:port (UDP)",
            )
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    try:
        validate_email(sender)
    except ValidationError:
        yield ("KOKIN_EMAIL_FROM", settings.DEFAULT_FROM_EMAIL, "メールアドレスではありません", "not a mail address")
    if not _HOST.match(settings.EMAIL_HOST) or settings.EMAIL_HOST == "*":
        yield ("KOKIN_EMAIL_HOST", settings.EMAIL_HOST, "ホスト名ではありません", "not a host name")
    if settings.CLAMD and not _clamd_address_ok(settings.CLAMD):
        yield (
            "KOKIN_CLAMD",
            settings.CLAMD,
            "unix:/ソケットのパス か tcp://ホスト:ポート です",
            "must be unix:/path/to/socket or tcp://host:port",
        )
    yield from _webauthn_faults()


def _clamd_address_ok(address: str) -> bool:
    if address.startswith("unix:"):
        return address[len("unix:") :].startswith("/")
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    return bool(address.startswith("tcp://") and _HOST.match(host.strip("[]") or "-")) and port.isdigit()


def _webauthn_faults() -> Iterator[tuple[str, object, str, str]]:
    rp_id = settings.WEBAUTHN_RP_ID
    if not _HOST.match(rp_id) or rp_id.startswith((".", "*", "[")):
        yield ("KOKIN_WEBAUTHN_RP_ID", rp_id, "ホスト名ではありません", "not a host name")
        return
    for origin in origins():
        parts = urlsplit(origin)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if not parts.hostname or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
            yield (
                "KOKIN_WEBAUTHN_ORIGIN",
                origin,
                "https://ホスト[:ポート] の形です (http はこのマシンだけ)",
                "must be https://host[:port] (http only for this machine)",
            )
        elif parts.path or parts.query or parts.fragment:
            yield (
                "KOKIN_WEBAUTHN_ORIGIN",
                origin,
                "オリジンにはパスを付けません (末尾の / も)",
                "an origin has no path (not even a trailing /)",
            )
        elif parts.hostname != rp_id and not parts.hostname.endswith("." + rp_id):
            yield (
                "KOKIN_WEBAUTHN_RP_ID",
                rp_id,
                f"{origin} のホストかその上位ドメインでなければパスキーが使えません",
                f"passkeys fail unless it is the host of {origin} or a domain above it",
            )


def origins() -> list[str]:
    origin = settings.WEBAUTHN_ORIGIN
    return [origin] if isinstance(origin, str) else list(origin)


# --- kokin.E007: the master key ---------------------------------------------------------------------


@checks.register("kokin")
def usable_master_key(**kwargs: Any) -> list[checks.CheckMessage]:
    from kokin.vault.keys import EnvProvider

    value = os.environ.get("KOKIN_MASTER_KEY", "")
    provider = settings.VAULT_MASTER_KEY_PROVIDER
    if provider == "env" and not value.strip():
        return [
            _error(
                "kokin.E007",
                "KOKIN_MASTER_KEY_PROVIDER",
                provider,
                "KOKIN_MASTER_KEY が設定されていません",
                "KOKIN_MASTER_KEY is not set",
            )
        ]
    if provider not in ("auto", "env") or not value.strip():
        return []
    try:
        EnvProvider(value, os.environ.get("KOKIN_MASTER_KEY_OLD", ""))
    except KokinError as exc:
        # the key itself is a secret: the message names the variable, never the value
        return [checks.Error(f"KOKIN_MASTER_KEY: {exc.message_ja} / {exc.message_en}", id="kokin.E007")]
    return []
