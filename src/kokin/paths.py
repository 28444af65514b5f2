"""Where the hub keeps what must not be in the repository: secrets, the database, TLS files, blobs.

``KOKIN_HOME`` chooses the folder (default: ``$XDG_DATA_HOME/kokin``, i.e. ``~/.local/share/kokin``).
Secrets are generated on first start with mode 0600 and never printed.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


def home() -> Path:
    default = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "kokin"
    path = Path(os.environ.get("KOKIN_HOME", default)).resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def server_secrets() -> dict[str, str]:
    """The Django secret key and the operation-log key, created once and kept in ``secrets.json``."""
    path = home() / "secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    values = {"django_secret_key": secrets.token_urlsafe(50), "audit_key": secrets.token_hex(32)}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(values, fh)
    os.replace(tmp, path)
    return values
