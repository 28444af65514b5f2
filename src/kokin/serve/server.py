"""Run the hub over HTTPS with gunicorn (threaded workers), TLS from the hub's own CA."""

from __future__ import annotations

import contextlib
import os
import ssl
from typing import Any

from gunicorn.app.base import BaseApplication

from kokin import malloc
from kokin.accounts.pki import ensure

#: glibc heaps per worker process (see :mod:`kokin.malloc`)
ARENAS = 2


class HubServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from kokin.web.wsgi import application

        return application


def warm_worker(worker: Any) -> None:
    """gunicorn's ``post_worker_init``: load the URL conf, the bank master and the holiday calendar now,
    so that a worker's first request does not pay for them, then give back the memory that took
    (:func:`kokin.malloc.trim`). Touches no database."""
    import datetime as dt

    from django.urls import Resolver404, resolve

    from kokin.formats import bankdays
    from kokin.formats.bankmaster import master

    with contextlib.suppress(Resolver404):  # a URL conf with no home page: the benchmark's bare app
        resolve("/")
    master()
    bankdays.holiday_name(dt.date.today())
    malloc.trim()


def serve(host: str = "localhost", port: int = 8443, workers: int = 2, threads: int = 8, access_log: str = "-") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokin.web.settings")
    files = ensure()
    # the workers (forked from here) share two heaps among their threads instead of one per thread
    malloc.limit_arenas(ARENAS)
    HubServer(
        {
            "bind": [f"{host}:{port}"],
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "certfile": str(files.server_cert),
            "keyfile": str(files.server_key),
            # mutual TLS: a client certificate is asked for and, when presented, must be one the hub's
            # CA issued (bank link accounts, bound terminals); browsers without one still connect
            "ca_certs": str(files.ca_cert),
            "cert_reqs": ssl.CERT_OPTIONAL,
            "accesslog": access_log,
            "errorlog": "-",
            "graceful_timeout": 10,
            "proc_name": "kokin-hub",
            # several hubs (tests, benchmarks) may run at once: no shared control socket in $HOME
            "control_socket_disable": True,
            "post_worker_init": warm_worker,
        }
    ).run()
