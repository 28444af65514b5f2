"""``kokin training``: the 研修実施報告 as PDF or CSV, recording completed training, and who must
acknowledge the handling rules.

Exit status: 0 done (``status``: nobody is lapsed), 1 ``status`` found operators whose acknowledgement is
missing or lapsed, 2 the command was used wrongly (an unknown course or user, a date in the future; the
message names the option). Recording and each report are logged (``training_record``,
``training_report``) with the operating-system account that ran the command as the operator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path
from typing import Any

import click

from kokin.django_setup import django_setup

#: a training field → the option that gave it
_OPTIONS = {"course": "--course", "completed_on": "--date", "users": "USERNAME"}


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"「{value}」は日付 (YYYY-MM-DD) ではありません / {value!r} is not a date (YYYY-MM-DD)"
        ) from None


@click.group()
def training() -> None:
    """研修・取扱規程の確認 (別紙3 第9条) / training records and the acknowledgement of the handling rules."""


@training.command("report")
@click.option("--from", "start", callback=_date, help="期間の初日 (YYYY-MM-DD、含む) / first day, included")
@click.option("--to", "end", callback=_date, help="期間の末日 (YYYY-MM-DD、含む) / last day, included")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="PDF の出力先 / write the PDF here")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="CSV (UTF-8 BOM 付き) の出力先 / the CSV")
def report(start: dt.date | None, end: dt.date | None, pdf_path: str | None, csv_path: str | None) -> None:
    """Write the 研修実施報告 of a period: per operator, the courses completed and the acknowledgement."""
    if not pdf_path and not csv_path:
        raise click.UsageError("--pdf か --csv を指定してください / give --pdf FILE or --csv FILE")
    if start and end and start > end:
        raise click.BadParameter(
            "--to は --from 以降の日付にしてください / must not be before --from", param_hint="--to"
        )
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.audit.services import record
    from kokin.formats.files import write_atomic
    from kokin.training import report as training_report
    from kokin.training import report_pdf

    built = training_report.build(start, end)
    for kind, path in (("pdf", pdf_path), ("csv", csv_path)):
        if not path:
            continue
        body = report_pdf.render(built) if kind == "pdf" else training_report.as_csv(built)
        write_atomic(path, body)
        digest = hashlib.sha256(body).hexdigest()
        period: dict[str, Any] = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None}
        record(
            action="training_report",
            actor=Actor.command(),
            object=str(Path(path).resolve())[-255:],
            sha256=digest,
            detail={"as": kind, "rows": len(built.rows), **period},
        )
        click.echo(f"{path}: {len(built.rows)} 名 / operators, SHA-256 {digest}")


@training.command("record")
@click.option("--course", "course_code", required=True, help="研修コード / the course's code")
@click.option("--date", "completed_on", required=True, callback=_date, help="受講日 (YYYY-MM-DD) / the day completed")
@click.option("--note", default="", help="備考 / a note")
@click.argument("usernames", metavar="USERNAME...", nargs=-1, required=True)
def record(course_code: str, completed_on: dt.date, note: str, usernames: tuple[str, ...]) -> None:
    """Record that the operators named completed the course on the day."""
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.training import selectors, services
    from kokin.training.errors import TrainingError

    try:
        made = services.record_training(
            course=selectors.course_by_code(course_code),
            completed_on=completed_on,
            users=selectors.users_by_name(usernames),
            actor=Actor.command(),
            note=note,
        )
    except TrainingError as exc:
        raise click.BadParameter(f"{exc.message_ja} / {exc.message_en}", param_hint=_OPTIONS[exc.field]) from None
    click.echo(f"{made[0].course.title} ({completed_on:%Y-%m-%d}): {len(made)} 名を記録しました / recorded {len(made)}")


@training.command("status")
def status() -> None:
    """List the operators whose acknowledgement is missing or lapsed, or due within 30 days."""
    django_setup()
    from django.utils import timezone

    from kokin.training import selectors
    from kokin.training.lapse import SOON_DAYS

    today = timezone.localdate()
    rules = selectors.current_rules(today)
    if rules is None:
        click.echo("施行中の取扱規程はありません / no handling rules in effect")
        return
    click.echo(f"{rules.title} 第{rules.version}版 (施行 / effective {rules.effective_from:%Y-%m-%d})")
    lapsed = soon = 0
    for s in selectors.status(today):
        name = f"{s.user.username}\t{s.user.display_name}"
        if s.lapsed:
            lapsed += 1
            when = timezone.localdate(s.acknowledged_at).isoformat() if s.acknowledged_at else "-"
            click.echo(f"LAPSED\t{name}\t確認日 / acknowledged {when}\t期限 / due {s.due or '-'}")
        elif s.standing.due_within(today):
            soon += 1
            click.echo(f"DUE\t{name}\t期限 / due {s.due}")
    click.echo(
        f"失効・未確認 {lapsed} 名、{SOON_DAYS} 日以内に期限 {soon} 名 / "
        f"{lapsed} lapsed or never acknowledged, {soon} due within {SOON_DAYS} days"
    )
    sys.exit(1 if lapsed else 0)
