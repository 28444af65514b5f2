"""A bare Django app for the benchmark's baseline: one view returning "ok", no middleware, no apps.

``benchmarks/bench_hub.py`` serves it (``python benchmarks/bare_wsgi.py HOST PORT``) with exactly
the hub's gunicorn setup (same TLS, workers and threads: :func:`serve`) so the hub's own cost —
middleware, sessions, permission checks, the operation log — shows as a ratio. It exists only when
``KOKIN_BENCH_BARE=1``; importing it otherwise fails, so it cannot be served by mistake.
"""

from __future__ import annotations

import os
import secrets
from unittest import mock

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.urls import path

if os.environ.get("KOKIN_BENCH_BARE") != "1":
    raise RuntimeError("benchmarks/bare_wsgi.py is the benchmark's baseline; set KOKIN_BENCH_BARE=1 to serve it")

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(50),  # signs nothing here: no sessions, no forms
        ALLOWED_HOSTS=["localhost", "127.0.0.1"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_I18N=False,
    )


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare)]

import django  # noqa: E402 - only after the settings above

django.setup(set_prefix=False)
application = WSGIHandler()


def serve(host: str, port: int) -> None:
    """Serve this app through :func:`kokin.serve.server.serve`: the hub's options, this app."""
    from kokin.serve import server

    with mock.patch.object(server.HubServer, "load", lambda self: application):
        server.serve(host, port)


if __name__ == "__main__":
    import sys

    serve(sys.argv[1], int(sys.argv[2]))
