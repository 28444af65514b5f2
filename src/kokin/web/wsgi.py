"""WSGI entry point for gunicorn.

The hub asks every TLS client for a certificate (optional, verified against the hub's CA; see
:mod:`kokin.serve.server`). :func:`with_client_cert` puts the SHA-256 fingerprint of the certificate
the client presented into ``environ["kokin.client_cert_fingerprint"]``, where
:func:`kokin.accounts.network.client_cert_fingerprint` reads it (terminal binding, bank link).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokin.web.settings")

FINGERPRINT_KEY = "kokin.client_cert_fingerprint"


def peer_fingerprint(sock: Any) -> str:
    """The verified client certificate's SHA-256 (hex, upper case), or "" when none was presented."""
    getpeercert = getattr(sock, "getpeercert", None)
    if getpeercert is None:  # plain socket (tests over HTTP, a TLS-terminating proxy in front)
        return ""
    der = getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest().upper() if der else ""


def with_client_cert(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop(FINGERPRINT_KEY, None)  # only the TLS layer may set it
        fingerprint = peer_fingerprint(environ.get("gunicorn.socket"))
        if fingerprint:
            environ[FINGERPRINT_KEY] = fingerprint
        return app(environ, start_response)

    return wrapped


application = with_client_cert(get_wsgi_application())
