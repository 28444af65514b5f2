"""``kokin audit``: check the operation log's hash chain, export it as CSV.

Exit status: 0 done (the chain is intact), 1 the chain is broken, 2 the command was used wrongly.
Both commands are logged themselves (actions ``audit_verify`` and ``audit_export``), with the
operating-system account that ran them as the operator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from pathlib import Path
from typing import IO, Any

import click

#: how many breaks ``verify`` lists before it only counts
SHOW_BREAKS = 1000


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokin.web.settings")
    import django

    django.setup()


@click.group()
def audit() -> None:
    """The operation log (操作ログ): verify the hash chain, export CSV."""


@audit.command("verify")
def verify() -> None:
    """Check every entry's MAC and link; list each edited, deleted, inserted or reordered entry."""
    _django()
    from kokin.audit.services import COMMAND_ROLE, check, command_actor, record

    result = check(keep=SHOW_BREAKS)
    record(
        action="audit_verify",
        actor=command_actor(),
        role=COMMAND_ROLE,
        object="operation log",
        outcome="success" if result.ok else "failure",
        detail={"entries": result.count, "breaks": result.break_count},
    )
    if result.ok:
        click.echo(
            f"OK {result.count} entries: 操作ログは連結しており改ざんはありません / the chain is intact "
            f"(最終 連番 / last entry {result.head_seq}, MAC {result.head_mac[:16]})"
        )
        return
    for found in result.breaks:
        click.echo(f"BROKEN {found}")
    if result.break_count > len(result.breaks):
        more = result.break_count - len(result.breaks)
        click.echo(f"... ほか {more} か所 / {more} more")
    click.echo(
        f"NG: {result.count} 件中 {result.break_count} か所で操作ログの連結が壊れています (改ざんの疑い) / "
        f"the chain is broken at {result.break_count} places in {result.count} entries",
        err=True,
    )
    sys.exit(1)


@audit.command("export")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (YYYY-MM-DD), included.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (YYYY-MM-DD), included.")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "utf-8", "cp932"]),
    default="utf-8-sig",
    show_default=True,
    help="UTF-8 with BOM (opens in Excel), UTF-8, or cp932 (Shift_JIS).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The CSV file to write.")
def export(since: dt.datetime | None, until: dt.datetime | None, encoding: str, output: str) -> None:
    """Write the entries of a period (local days, both included) as CSV with a Japanese header."""
    if since and until and since > until:
        raise click.BadParameter(
            "--until は --since 以降の日付にしてください / must not be before --since", param_hint="--until"
        )
    _django()
    from kokin.audit import selectors
    from kokin.audit.export import Written, write_csv
    from kokin.audit.services import COMMAND_ROLE, command_actor, record
    from kokin.formats.convert import write_atomic

    first, last = (since.date() if since else None), (until.date() if until else None)
    rows = selectors.entries(since=first, until=last).iterator(chunk_size=2000)
    written = Written()

    def write(out: IO[bytes]) -> None:
        nonlocal written
        written = write_csv(out, rows, encoding=encoding)

    write_atomic(output, write)
    with open(output, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    period: dict[str, Any] = {
        "since": first.isoformat() if first else None,
        "until": last.isoformat() if last else None,
    }
    record(
        action="audit_export",
        actor=command_actor(),
        role=COMMAND_ROLE,
        object=str(Path(output).resolve())[-255:],
        sha256=digest,
        detail={"rows": written.rows, "encoding": encoding, "escaped": written.escaped, **period},
    )
    if written.escaped:
        click.echo(
            f"WARNING {written.escaped} 個のセルに {encoding} で表せない文字があり \\uXXXX で書きました / "
            f"{written.escaped} cells had characters {encoding} cannot hold (written as \\uXXXX)",
            err=True,
        )
    click.echo(f"{output}: {written.rows} 件 / entries, SHA-256 {digest}")
