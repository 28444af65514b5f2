"""``kokin hub serve`` (migrate, collect the static files, serve the hub over HTTPS) and ``kokin
manage`` (Django's management commands on the hub's settings)."""

from __future__ import annotations

import os

import click

from kokin.django_setup import SETTINGS_MODULE, django_setup


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def manage(ctx: click.Context) -> None:
    """Django management commands (migrate, createsuperuser, check --deploy, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kokin manage", *ctx.args])


@click.group()
def hub() -> None:
    """The hub service (HTTPS web UI and API)."""


def prepare_hub() -> None:
    """Set Django up, check the settings, migrate and collect the static files: what the hub needs
    before it serves (``kokin hub serve`` and ``kokin demo``). A wrong setting stops it here, with
    the check's message (:mod:`kokin.web.checks`) and exit status 1."""
    import io

    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        django_setup()
        # warnings go to standard error and the start goes on; "no issues" is not worth a line
        call_command("check", deploy=not settings.DEBUG, stdout=io.StringIO())
    except (ImproperlyConfigured, SystemCheckError) as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


@hub.command("serve")
@click.option("--host", default="localhost", show_default=True)
@click.option("--port", type=int, default=8443, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True)
@click.option(
    "--access-log", default="-", show_default=True, help="アクセスログの出力先 / access log file ('-': stdout)"
)
def hub_serve(host: str, port: int, workers: int, access_log: str) -> None:
    """Migrate and serve the hub over HTTPS."""
    from kokin.serve.server import serve

    prepare_hub()
    serve(host, port, workers, access_log=access_log)
