"""The bank agent's configuration file (TOML), checked once at start so that a mistake names its key.

Relative paths are taken from the configuration file's folder, so that a config and its certificates
can be moved together. See ``docs/bank-agent.md`` for every key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kokin.bank.errors import ConfigError

#: placeholders a job's command may use (``{path}`` …); anything else is refused at load time
JOB_PLACEHOLDERS = (
    "path",
    "name",
    "transfer_id",
    "file_id",
    "bank_file_id",
    "sha256",
    "bytes",
    "outcome",
    "reason",
    "direction",
    "spool",
)
CONVERSIONS = ("ebcdic", "none")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_TRANSFER_ID = re.compile(r"^[A-Z0-9_-]+$")


@dataclass(frozen=True)
class HubConfig:
    url: str
    #: ``None`` only with an ``http://`` loopback URL (a local TLS tunnel such as stunnel does the TLS)
    ca_cert: Path | None
    client_cert: Path | None
    client_key: Path | None
    token_file: Path

    @property
    def tunnelled(self) -> bool:
        return self.url.startswith("http://")

    def token(self) -> str:
        """The bearer token, read on each start so that a rotated token needs no config change."""
        try:
            text = self.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"トークンファイルを読めません: {exc}",
                f"cannot read the token file: {exc}",
                key="hub.token_file",
            ) from exc
        if not text:
            raise ConfigError("トークンファイルが空です", "the token file is empty", key="hub.token_file")
        return text


@dataclass(frozen=True)
class TransferConfig:
    poll_seconds: float = 5.0
    #: bytes per tus PATCH; by default more than any file, so a file goes in one streamed PATCH (the
    #: hub's fast path; a cut still keeps what arrived). Smaller values give resumable steps.
    chunk_bytes: int = 4 * 1024**3
    retries: int = 8
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    timeout_seconds: float = 60.0


@dataclass(frozen=True)
class JobConfig:
    when: str
    outcome: str
    transfer_id: str
    command: tuple[str, ...]
    timeout_seconds: float = 300.0
    index: int = 0


@dataclass(frozen=True)
class AgentConfig:
    path: Path
    hub: HubConfig
    spool_root: Path
    transfer: TransferConfig = field(default_factory=TransferConfig)
    conversion: dict[str, str] = field(default_factory=dict)
    jobs: tuple[JobConfig, ...] = ()

    def conversion_for(self, transfer_id: str) -> str | None:
        """``"ebcdic"`` when the bank's side of this transfer ID is EBCDIC, else ``None``."""
        kind = self.conversion.get(transfer_id)
        return None if kind in (None, "none") else kind


def _table(data: dict[str, Any], key: str, *, required: bool = True) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise ConfigError(f"[{key}] セクションがありません", f"the [{key}] section is missing", key=key)
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] はセクションでなければなりません", f"[{key}] must be a table", key=key)
    return value


def _unknown(section: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    # a misspelt key would silently fall back to a default: refuse it instead
    for key in section:
        if key not in allowed:
            raise ConfigError(
                "不明なキーです",
                f"unknown key (allowed: {', '.join(allowed)})",
                key=f"{prefix}.{key}" if prefix else key,
            )


def _string(section: dict[str, Any], key: str, prefix: str, default: str | None = None) -> str:
    value = section.get(key, default)
    if value is None:
        raise ConfigError("必須のキーがありません", "a required key is missing", key=f"{prefix}.{key}")
    if not isinstance(value, str) or not value:
        raise ConfigError("空でない文字列を指定してください", "must be a non-empty string", key=f"{prefix}.{key}")
    return value


def _number(
    section: dict[str, Any], key: str, prefix: str, default: float, *, integer: bool = False, minimum: float = 0
) -> Any:
    value = section.get(key, default)
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        kind_ja, kind_en = ("整数", "an integer") if integer else ("数値", "a number")
        raise ConfigError(f"{kind_ja}を指定してください", f"must be {kind_en}", key=f"{prefix}.{key}")
    if value < minimum:
        raise ConfigError(f"{minimum} 以上を指定してください", f"must be at least {minimum}", key=f"{prefix}.{key}")
    return value


def _path(base: Path, section: dict[str, Any], key: str, prefix: str, default: str | None = None) -> Path:
    path = Path(_string(section, key, prefix, default)).expanduser()
    return path if path.is_absolute() else base / path


def _command(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list) or not value:
        raise ConfigError(
            "コマンドは空でない文字列の配列で指定してください (シェルは通しません)",
            "the command must be a non-empty array of strings (no shell is involved)",
            key=key,
        )
    if not all(isinstance(part, str) for part in value):
        raise ConfigError("コマンドの要素はすべて文字列です", "every element of the command must be a string", key=key)
    dummy = dict.fromkeys(JOB_PLACEHOLDERS, "x")
    for part in value:
        try:
            part.format_map(dummy)
        except (KeyError, ValueError, IndexError, AttributeError) as exc:
            raise ConfigError(
                f"不明なプレースホルダーまたは書式の誤り: {part!r} (使えるもの: {', '.join(JOB_PLACEHOLDERS)})",
                f"unknown placeholder or bad format in {part!r} (allowed: {', '.join(JOB_PLACEHOLDERS)})",
                key=key,
            ) from exc
    return tuple(value)


def load_config(path: Path) -> AgentConfig:
    """Read and check a configuration file; raise :class:`ConfigError` naming the first faulty key."""
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"設定ファイルを読めません: {exc}", f"cannot read the configuration: {exc}", key="-") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("設定ファイルは UTF-8 で書いてください", "the configuration must be UTF-8", key="-") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TOML の書式の誤り: {exc}", f"TOML syntax error: {exc}", key="-") from exc
    base = path.parent
    _unknown(data, ("hub", "spool", "transfer", "conversion", "job"), "")
    hub = _hub(base, _table(data, "hub"))
    spool_section = _table(data, "spool")
    _unknown(spool_section, ("root",), "spool")
    spool_root = _path(base, spool_section, "root", "spool")
    return AgentConfig(
        path=path,
        hub=hub,
        spool_root=spool_root,
        transfer=_transfer(_table(data, "transfer", required=False)),
        conversion=_conversion(_table(data, "conversion", required=False)),
        jobs=_jobs(data.get("job", [])),
    )


def _hub(base: Path, hub_section: dict[str, Any]) -> HubConfig:
    _unknown(hub_section, ("url", "ca_cert", "client_cert", "client_key", "token_file"), "hub")
    url = _string(hub_section, "url", "hub").rstrip("/")
    parts = urlsplit(url)
    # plain HTTP only to a TLS tunnel on this machine (stunnel in client mode): never over a network
    tunnel = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not (parts.scheme == "https" or tunnel) or not parts.hostname:
        raise ConfigError(
            "https:// で始まる URL を指定してください (http:// はこのマシン上の TLS トンネル宛てのみ)",
            "must be an https:// URL (http:// only to a TLS tunnel on this machine)",
            key="hub.url",
        )
    tls = {
        key: None if tunnel and key not in hub_section else _path(base, hub_section, key, "hub")
        for key in ("ca_cert", "client_cert", "client_key")
    }
    hub = HubConfig(
        url=url,
        ca_cert=tls["ca_cert"],
        client_cert=tls["client_cert"],
        client_key=tls["client_key"],
        token_file=_path(base, hub_section, "token_file", "hub"),
    )
    for key in ("ca_cert", "client_cert", "client_key", "token_file"):
        file = getattr(hub, key)
        if file is not None and not file.is_file():
            raise ConfigError(f"ファイルがありません: {file}", f"no such file: {file}", key=f"hub.{key}")
    return hub


def _transfer(section: dict[str, Any]) -> TransferConfig:
    _unknown(
        section,
        ("poll_seconds", "chunk_bytes", "retries", "backoff_seconds", "backoff_max_seconds", "timeout_seconds"),
        "transfer",
    )
    defaults = TransferConfig()
    return TransferConfig(
        poll_seconds=float(_number(section, "poll_seconds", "transfer", defaults.poll_seconds, minimum=0.01)),
        chunk_bytes=_number(section, "chunk_bytes", "transfer", defaults.chunk_bytes, integer=True, minimum=1),
        retries=_number(section, "retries", "transfer", defaults.retries, integer=True),
        backoff_seconds=float(_number(section, "backoff_seconds", "transfer", defaults.backoff_seconds)),
        backoff_max_seconds=float(_number(section, "backoff_max_seconds", "transfer", defaults.backoff_max_seconds)),
        timeout_seconds=float(_number(section, "timeout_seconds", "transfer", defaults.timeout_seconds, minimum=0.1)),
    )


def _conversion(section: dict[str, Any]) -> dict[str, str]:
    conversion: dict[str, str] = {}
    for transfer_id, kind in section.items():
        key = f"conversion.{transfer_id}"
        if not _TRANSFER_ID.match(transfer_id):
            raise ConfigError(
                "転送ファイルIDは英大文字・数字・-・_ です",
                "a transfer ID is upper-case letters, digits, - and _",
                key=key,
            )
        if kind not in CONVERSIONS:
            raise ConfigError(
                f"{' / '.join(CONVERSIONS)} のいずれかです", f"must be one of {', '.join(CONVERSIONS)}", key=key
            )
        conversion[transfer_id] = kind
    return conversion


def _jobs(raw_jobs: Any) -> tuple[JobConfig, ...]:
    jobs: list[JobConfig] = []
    if not isinstance(raw_jobs, list):
        raise ConfigError("[[job]] の配列で指定してください", "must be an array of tables [[job]]", key="job")
    for index, job in enumerate(raw_jobs):
        prefix = f"job[{index}]"
        if not isinstance(job, dict):
            raise ConfigError("[[job]] はテーブルです", "each [[job]] must be a table", key=prefix)
        _unknown(job, ("when", "outcome", "transfer_id", "command", "timeout_seconds"), prefix)
        when = _string(job, "when", prefix)
        if when not in ("received", "sent"):
            raise ConfigError("received か sent です", "must be received or sent", key=f"{prefix}.when")
        outcome = _string(job, "outcome", prefix, "success")
        if outcome not in ("success", "failure"):
            raise ConfigError("success か failure です", "must be success or failure", key=f"{prefix}.outcome")
        if "command" not in job:
            raise ConfigError("必須のキーがありません", "a required key is missing", key=f"{prefix}.command")
        jobs.append(
            JobConfig(
                when=when,
                outcome=outcome,
                transfer_id=_string(job, "transfer_id", prefix, "*"),
                command=_command(job["command"], f"{prefix}.command"),
                timeout_seconds=float(_number(job, "timeout_seconds", prefix, 300.0, minimum=0.1)),
                index=index,
            )
        )
    return tuple(jobs)
