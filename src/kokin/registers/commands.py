"""``kokin registers show|export|refresh``: the operator roster and the equipment register from the command
line (docs/registers.md).

Exit status: 0 success, 1 nothing to show or write (no version yet), 2 the command was used wrongly
(an unknown register or version number). An export is logged (action ``register_export``) with the
operating-system account that ran the command as the operator.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kokin.django_setup import django_setup

if TYPE_CHECKING:
    from kokin.registers.models import RegisterVersion

KINDS = click.Choice(["roster", "equipment"])


@click.group()
def registers() -> None:
    """届出台帳: 従事者名簿と情報処理機器届出台帳 / the operator roster and the equipment register."""


def _version(kind: str, number: int | None) -> RegisterVersion:
    """The version asked for; exit 1 when the register has none yet, 2 for a number it does not have."""
    from kokin.registers import selectors
    from kokin.registers.errors import RegisterError

    try:
        return selectors.version(kind, number)
    except RegisterError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2 if number is not None else 1)


@registers.command("show")
@click.argument("kind", type=KINDS)
@click.option("--version", "number", type=click.IntRange(min=1), help="版 (既定: 現行) / version (default: current)")
def show(kind: str, number: int | None) -> None:
    """Print a version of the register: heading, table (tab-separated) and changes."""
    django_setup()
    from kokin.registers import report, selectors

    version = _version(kind, number)
    click.echo(report.as_text(report.of(version, selectors.previous(version))), nl=False)


@registers.command("export")
@click.argument("kind", type=KINDS)
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), help="PDF の出力先 / PDF file")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="CSV の出力先 / CSV file")
@click.option("--version", "number", type=click.IntRange(min=1), help="版 (既定: 現行) / version (default: current)")
def export(kind: str, pdf_path: Path | None, csv_path: Path | None, number: int | None) -> None:
    """Write a version of the register as PDF and/or CSV (UTF-8 with BOM, for Excel)."""
    if pdf_path is None and csv_path is None:
        raise click.UsageError("--pdf か --csv を指定してください / give --pdf or --csv (or both)")
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.registers import report, report_csv, report_pdf, selectors, services

    version = _version(kind, number)
    shown = report.of(version, selectors.previous(version))
    actor = Actor.command()
    for path, as_ in ((pdf_path, "pdf"), (csv_path, "csv")):
        if path is None:
            continue
        body = report_pdf.render(version, shown) if as_ == "pdf" else report_csv.render(shown)
        path.write_bytes(body)
        services.exported(version=version, body=body, as_=as_, actor=actor)
        click.echo(
            f"{shown.title} 第{version.number}版を書き出しました / wrote {kind} version {version.number}: {path}"
        )


@registers.command("refresh")
def refresh() -> None:
    """Make the next version of each register that changed since its newest (the first versions of a
    hub that ran before the registers existed)."""
    django_setup()
    from kokin.registers import services

    made = services.refresh_all()
    for version in made:
        click.echo(f"{version} を作成しました / made {version.kind} version {version.number}")
    if not made:
        click.echo("変更はありません / no register changed")
