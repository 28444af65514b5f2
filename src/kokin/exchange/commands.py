"""``kokin exchange`` (place a file from the bank in an inbox, show or set a business's policy) and
``kokin retention run`` (erase files whose retention has run out, issuing deletion certificates; archive
the operation log's oldest entries and done incidents past their retention).

Exit status: 0 done, 1 the file was refused or an erasure failed, 2 the command was used wrongly.
Every run is logged with the operating-system account as the operator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kokin.django_setup import django_setup


@click.group()
def exchange() -> None:
    """File exchange (ファイル交換): place files from the bank, business settings."""


@exchange.command("place")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--business", "code", required=True, help="業務コード / business code, e.g. zeimu-shuno")
@click.option("--label", default="", help="データ種別 / the inbound data kind's label (if the format has several)")
@click.option("--allow-duplicate", is_flag=True, help="同じ内容のファイルがあっても配置する / place a resend too")
def place(file: Path, code: str, label: str, allow_duplicate: bool) -> None:
    """Validate FILE and store it in the business's inbox for its format (state: available)."""
    django_setup()
    from kokin.accounts.models import Business, DataKind
    from kokin.audit.actor import Actor
    from kokin.exchange import services
    from kokin.formats import detect
    from kokin.formats.names import safe_name

    business = Business.objects.filter(code=code).first()
    if business is None:
        raise click.BadParameter(f"業務 {code} はありません / no business {code}", param_hint="--business")
    with open(file, "rb") as fh:
        detected, _ = detect(fh.read(64 * 1024))
    kinds = list(business.data_kinds.filter(direction=DataKind.Direction.INBOUND).order_by("pk"))
    if label:
        kinds = [k for k in kinds if k.label == label]
    elif detected is not None:
        kinds = [k for k in kinds if k.format == detected] or kinds
    if len(kinds) != 1:
        known = "; ".join(f"{k.label} ({k.format})" for k in business.data_kinds.filter(direction="inbound"))
        raise click.UsageError(
            f"受信データ種別を --label で指定してください: {known} / choose the inbound data kind with --label"
        )
    received = services.received_from_path(file, name=safe_name(file.name))
    outcome = services.place(
        data_kind=kinds[0], received=received, actor=Actor.command(), allow_duplicate=allow_duplicate
    )
    if outcome.file is not None:
        f = outcome.file
        click.echo(f"配置しました / placed: {f.id}  {kinds[0].label}  {f.total_count} 件 / records  SHA-256 {f.sha256}")
        if f.warning_count:
            click.echo(f"警告 {f.warning_count} 件 (明細に表示) / {f.warning_count} warnings (shown on the file)")
        return
    for issue in outcome.checked.issues[:100]:
        click.echo(f"{'ERROR' if issue.severity == 'error' else 'WARNING'} {issue}", err=True)
    if outcome.needs:
        ids = ", ".join(str(d.id) for d in outcome.duplicates)
        click.echo(
            f"同じファイルが保管されています ({ids})。配置するには --allow-duplicate / a copy is kept already ({ids})",
            err=True,
        )
    else:
        report = outcome.checked.report
        click.echo(
            f"受け付けませんでした: エラー {report.error_count} 件。何も保管していません / "
            f"refused: {report.error_count} errors; nothing was stored",
            err=True,
        )
    sys.exit(1)


@exchange.command("policy")
@click.argument("code")
@click.option("--lead-business-days", type=click.IntRange(0, 60), default=None, help="引落日までの銀行営業日数")
@click.option("--after-inspection-days", type=click.IntRange(0, 3650), default=None, help="検収から消去までの日数")
@click.option("--max-days", type=click.IntRange(1, 3650), default=None, help="受信から消去までの最長日数")
@click.option("--max-upload-mb", type=click.IntRange(1, 10_000), default=None, help="送信ファイルの上限 (MB)")
@click.option("--mail/--no-mail", default=None, help="受信をメールで知らせる")
def policy(
    code: str,
    lead_business_days: int | None,
    after_inspection_days: int | None,
    max_days: int | None,
    max_upload_mb: int | None,
    mail: bool | None,
) -> None:
    """Show (and with options, change) business CODE's exchange settings."""
    django_setup()
    from kokin.accounts.models import Business
    from kokin.audit.actor import Actor
    from kokin.exchange.models import ExchangePolicy
    from kokin.exchange.services import set_policy

    business = Business.objects.filter(code=code).first()
    if business is None:
        raise click.BadParameter(f"業務 {code} はありません / no business {code}", param_hint="CODE")
    values = {
        "lead_business_days": lead_business_days,
        "retention_days_after_inspection": after_inspection_days,
        "retention_max_days": max_days,
        "max_upload_mb": max_upload_mb,
        "notify_by_mail": mail,
    }
    if any(v is not None for v in values.values()):
        current = set_policy(business=business, actor=Actor.command(), **values)
    else:
        current = ExchangePolicy.for_business(business)
    click.echo(f"{business} ({business.code})")
    for name in values:
        field = ExchangePolicy._meta.get_field(name)
        click.echo(f"  {field.verbose_name}: {getattr(current, name)}")  # type: ignore[union-attr]


@exchange.command("rescan")
def rescan() -> None:
    """Scan every waiting file again for malware (after a signature update); a finding is quarantined
    and opens an incident. Exit 1 when something was found or could not be scanned."""
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.exchange import malware
    from kokin.exchange.services import screening

    if not malware.enabled():
        raise click.ClickException("KOKIN_CLAMD が設定されていません / KOKIN_CLAMD is not set: nothing can be scanned")
    count, found, unscanned = screening.rescan(actor=Actor.command())
    click.echo(f"再検査 {count} 件 / rescanned {count} file(s)")
    for file in found:
        click.echo(f"  隔離 / quarantined: {file.id} {file.original_name} ({file.summary.get('malware', '')})")
    for file in unscanned:
        click.echo(f"  検査できず / not scanned: {file.id} {file.original_name}")
    if found or unscanned:
        raise SystemExit(1)


@click.group()
def retention() -> None:
    """Retention (保存期間): erase files whose time is up, with deletion certificates."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="消去せず、対象を表示する / list what would be erased")
def run(dry_run: bool) -> None:
    """Erase (crypto-shred) every file whose retention has run out; one certificate each.

    Schedule it daily, e.g. cron ``15 2 * * * kokin retention run`` (docs/exchange.md).
    """
    django_setup()
    from django.utils import timezone

    from kokin.audit.actor import Actor
    from kokin.exchange import reports, uploads
    from kokin.exchange.services import run_retention
    from kokin.vault.services import sweep

    found = run_retention(actor=Actor.command(), dry_run=dry_run)
    failed = 0
    for due in found:
        f = due.file
        when = f"{timezone.localtime(due.due):%Y-%m-%d %H:%M}"
        what = f"{f.id}  {f.data_kind.business.code}  {f.data_kind.label}  {f.state}  期限 / due {when}"
        if dry_run:
            click.echo(f"消去予定 / would erase: {what}  ({due.reason})")
        elif due.certificate is not None:
            click.echo(f"消去 / erased: {what}  消去証明書 / certificate {due.certificate.number}")
        else:
            failed += 1
            click.echo(f"FAILED {what}: {due.error}", err=True)
    verb = "消去予定" if dry_run else "消去"
    click.echo(
        f"{verb} {len(found) - failed} 件 / {'would erase' if dry_run else 'erased'} {len(found) - failed} files"
    )
    if not dry_run:
        removed = sweep() + reports.sweep() + uploads.sweep()
        if removed:
            click.echo(f"一時ファイル等の掃除 / swept {removed} leftovers")
    failed += _archive_expired(dry_run)
    if failed:
        sys.exit(1)


def _archive_expired(dry_run: bool) -> int:
    """The other retention classes: the operation log's oldest entries and done incidents go to their
    archive files (docs/audit.md); returns how many failed (each stops its own class, not the other)."""
    from kokin.audit import archiving
    from kokin.audit.actor import Actor
    from kokin.incidents import expiry
    from kokin.incidents.errors import IncidentError

    if dry_run:
        click.echo(archiving.describe_due(archiving.due(limit=None), archiving.cut()))
        for number in expiry.due().values_list("number", flat=True):
            click.echo(f"アーカイブして削除予定 / would archive and remove: インシデント / incident {number}")
        return 0
    failed = 0
    try:
        for done in archiving.archive(actor=Actor.command()):
            click.echo(archiving.describe(done))
    except archiving.ArchiveError as exc:
        failed += 1
        click.echo(f"FAILED {exc}", err=True)
    try:
        for expired in expiry.expire(actor=Actor.command()):
            click.echo(expiry.describe(expired))
    except IncidentError as exc:
        failed += 1
        click.echo(f"FAILED {exc}", err=True)
    return failed
