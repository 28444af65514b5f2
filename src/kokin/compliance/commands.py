"""``kokin compliance report --month YYYY-MM | --from DATE --to DATE [--pdf FILE]``: make the compliance
report (遵守状況の報告, 別紙3 第16条) for a month or any period, keep it in the hub (encrypted) and write
its PDF (default ``遵守状況報告-<period>.pdf`` in the current folder).

Exit status: 0 written, 1 the PDF could not be written (the report is kept all the same), 2 the
command was used wrongly (a bad month or date, both or neither of --month and --from/--to). The report
is logged (action ``compliance_report``) with the operating-system account that ran the command as
the operator.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kokin.audit.actor import Actor
from kokin.compliance.errors import PeriodError
from kokin.django_setup import django_setup

if TYPE_CHECKING:
    from kokin.compliance.period import Period


@click.group()
def compliance() -> None:
    """遵守状況の報告 (別紙3 第16条) / the compliance report for the ward."""


def period_of(month: str | None, start: str | None, end: str | None) -> Period:
    """The period the options name; :class:`click.BadParameter` / :class:`click.UsageError` in Japanese
    and English otherwise."""
    from kokin.compliance.period import Period, parse_day, parse_month  # Django's timezone, numpy: not for --help

    if month is not None and (start is not None or end is not None):
        raise click.UsageError("--month と --from/--to は一緒に使えません / give --month or --from and --to, not both")
    try:
        if month is not None:
            return parse_month(month)
        if start is None or end is None:
            raise click.UsageError(
                "--month YYYY-MM か、--from YYYY-MM-DD と --to YYYY-MM-DD の両方を指定してください / "
                "give --month YYYY-MM, or both --from YYYY-MM-DD and --to YYYY-MM-DD"
            )
        first = parse_day(start, field="期間の始め (--from)", field_en="start (--from)")
        last = parse_day(end, field="期間の終わり (--to)", field_en="end (--to)")
        return Period(first, last)
    except PeriodError as exc:
        hint = "--month" if month is not None else "--from/--to"
        raise click.BadParameter(str(exc), param_hint=hint) from exc


@compliance.command("report")
@click.option("--month", default=None, help="対象の月 (YYYY-MM) / the month to report on (YYYY-MM)")
@click.option("--from", "start", default=None, help="期間の始め (YYYY-MM-DD、含む) / first day (included)")
@click.option("--to", "end", default=None, help="期間の終わり (YYYY-MM-DD、含む) / last day (included)")
@click.option(
    "--pdf",
    "output",
    type=click.Path(dir_okay=False),
    default=None,
    help="書き出す PDF (既定: 現在のフォルダの 遵守状況報告-<期間>.pdf) / the PDF to write "
    "(default: 遵守状況報告-<period>.pdf here)",
)
def report(month: str | None, start: str | None, end: str | None, output: str | None) -> None:
    """Make the compliance report of a month (--month) or any period (--from, --to), keep it in the hub
    and write its PDF."""
    period = period_of(month, start, end)
    django_setup()
    from kokin.compliance import services
    from kokin.formats.files import write_atomic

    try:
        made = services.make(period=period, actor=Actor.command())
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from exc
    path = Path(output) if output else Path.cwd() / made.report.file_name
    try:
        write_atomic(path, made.pdf)
    except OSError as exc:
        click.echo(
            f"ERROR {path} に書けません ({exc.strerror})。報告はハブに保管しました (番号 {made.report.pk}、"
            f"画面 /compliance/ から取得できます) / cannot write {path} ({exc.strerror}); the report is kept in "
            f"the hub (number {made.report.pk}, download it from /compliance/)",
            err=True,
        )
        sys.exit(1)
    verified = "正常 / OK" if made.report.log_verified else "異常 / NG"
    click.echo(
        f"{path.resolve()}: 遵守状況報告 {period.label} を書きました / wrote the compliance report for "
        f"{period.file_stem} ({len(made.pdf):,} bytes, SHA-256 {made.report.sha256}; 操作ログの検証 / "
        f"log verification: {verified})"
    )
