"""操作ログのチェックポイント: the signed checkpoints of the operation log's head made in the period
(:mod:`kokin.audit.checkpoints`: the number and MAC of the newest entry, signed with the hub's
checkpoint key), as read from the checkpoint file. Only checkpoints whose signature, key and hub check
out (:func:`kokin.audit.anchors.check_lines`) are shown; a bad line is a problem of the verification
(next section). With more than :data:`LIST_ALL` in the period, the last of each day is shown."""

from __future__ import annotations

from django.db.models import Count, Max, Min
from django.utils import timezone

from kokin.audit import anchors, checkpoints
from kokin.audit.models import AuditEntry
from kokin.compliance.period import when_label
from kokin.compliance.sections.base import Column, Context, Section, count

#: up to this many checkpoints in the period are all listed; more, one a day (the day's last)
LIST_ALL = 31
COLUMNS = (
    Column("作成日時", 40),
    Column("連番", 16, numeric=True),
    Column("先頭の記録の MAC (HMAC-SHA256)", 114),
)


def build(context: Context) -> Section:
    period = context.period
    lines = checkpoints.read() or []
    good = anchors.check_lines(lines, anchors.Report(path=checkpoints.file_path()), anchors.local_public_key())
    made = sorted((cp for cp in good if period.contains(cp.taken)), key=lambda cp: (cp.taken, cp.seq))
    shown = made
    if len(made) > LIST_ALL:
        per_day = {timezone.localtime(cp.taken).date(): cp for cp in made}
        shown = [per_day[day] for day in sorted(per_day)]
    rows = [(when_label(cp.taken), count(cp.seq), cp.mac) for cp in shown]
    logged = AuditEntry.objects.filter(at__gte=period.since, at__lt=period.until).aggregate(
        n=Count("seq"), first=Min("seq"), last=Max("seq")
    )
    span = f" (連番 {count(logged['first'])}〜{count(logged['last'])})" if logged["n"] else ""
    notes = [
        f"期間中の操作ログの記録 {count(logged['n'])} 件{span}。",
        f"期間中に作成し署名を確認できたチェックポイント {count(len(made))} 件"
        + (f" (多いため各日の最後の 1 件、{count(len(shown))} 件を示す)。" if shown is not made else "。"),
        "チェックポイントは操作ログの最新の記録の連番と MAC に Ed25519 で署名したもので、データベースの外 "
        "(チェックポイントファイル) に保存します。控えと照合するには kokin audit verify --checkpoint を使います。",
    ]
    return Section(
        "操作ログのチェックポイント",
        COLUMNS,
        rows,
        notes,
        empty="期間中に作成したチェックポイントはありません。",
        facts={"checkpoints": len(made)},
    )
