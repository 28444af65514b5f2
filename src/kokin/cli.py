"""The ``kokin`` command: format checks and conversions for operators and scripts.

Messages for operators are printed in Japanese and English. Exit status: 0 success (warnings
allowed), 1 the file is invalid, 2 the command was used wrongly.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from kokin.audit import commands as audit_commands
from kokin.bank import commands as bank_commands
from kokin.banklink import commands as banklink_commands
from kokin.exchange import commands as exchange_commands
from kokin.formats import FORMATS, detect
from kokin.formats.errors import ISSUE_LIMIT, FormatError, FormatIssue, Report


def _format_module(name: str) -> Any:
    if name not in FORMATS:
        raise click.BadParameter(f"unknown format '{name}' (known: {', '.join(FORMATS)})", param_hint="--format")
    return FORMATS[name]


def _layout(module: Any, profile: str | None) -> Any:
    if profile is None:
        return module.LAYOUT
    from kokin.formats.profile import load_profile

    return load_profile(profile).layout(module.NAME, module.LAYOUT)


def _print_issue(issue: FormatIssue) -> None:
    label = "ERROR" if issue.severity == "error" else "WARNING"
    click.echo(f"{label} {issue}", err=issue.severity == "error")


def _print_report(report: Report, limit: int | None) -> None:
    issues = report.sorted_issues()
    for issue in issues[:limit] if limit else issues:
        _print_issue(issue)
    shown = len(issues) if not limit else min(limit, len(issues))
    hidden = report.error_count + report.warning_count - shown
    if hidden > 0:
        click.echo(f"... ほか {hidden:,} 件 / {hidden:,} more", err=True)


@contextmanager
def _progress(path: str, enabled: bool) -> Iterator[Any]:
    size = os.path.getsize(path)
    if not enabled or size < 32 * 1024 * 1024 or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=size, unit="B", unit_scale=True, desc=Path(path).name, file=sys.stderr, leave=False)

    class Tracker:
        done = 0

        def update(self, read: int) -> None:
            bar.update(read - self.done)
            self.done = read

    try:
        yield Tracker()
    finally:
        bar.close()


def _fail(exc: FormatError) -> None:
    for issue in exc.issues:
        _print_issue(issue)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kokin")
def main() -> None:
    """kokin — 公金収納ネットワークサービス (public-funds collection network service)."""


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", required=True, help="File format, e.g. zengin-debit.")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), help="Bank profile (TOML).")
@click.option(
    "--mode",
    type=click.Choice(["auto", "request", "result"]),
    default="auto",
    show_default=True,
    help="Request or result file (zengin-debit).",
)
@click.option("--no-master", is_flag=True, help="Do not look bank/branch codes up in the master.")
@click.option("--max-errors", type=int, default=None, help="Print at most this many issues.")
@click.option(
    "--issue-limit",
    type=click.IntRange(1),
    default=ISSUE_LIMIT,
    show_default=True,
    help="List at most this many errors (and warnings); the rest are only counted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(
    file: str,
    fmt: str,
    profile: str | None,
    mode: str,
    no_master: bool,
    max_errors: int | None,
    issue_limit: int,
    as_json: bool,
) -> None:
    """Check FILE; exit 0 when valid (warnings allowed), 1 when invalid. Beyond --issue-limit errors
    (and as many warnings) the issues are counted, not listed: a file full of faults is checked about as
    fast as a clean one."""
    module = _format_module(fmt)
    try:
        layout = _layout(module, profile)
        with _progress(file, not as_json) as progress:
            report = module.validate(
                file, layout=layout, mode=mode, check_master=not no_master, max_issues=issue_limit, progress=progress
            )
    except FormatError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "errors": report.error_count,
                    "warnings": report.warning_count,
                    "issues": [i.as_dict() for i in report.sorted_issues()],
                    "omitted": report.omitted,
                },
                ensure_ascii=False,
            )
        )
    else:
        _print_report(report, max_errors)
        verdict = "OK" if report.ok else "INVALID"
        click.echo(
            f"{verdict}: {file}: エラー {report.error_count} 件, 警告 {report.warning_count} 件 / "
            f"{report.error_count} errors, {report.warning_count} warnings"
        )
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", required=True, help="File format, e.g. zengin-debit.")
@click.option("--to", "target", type=click.Choice(["json", "csv", "xlsx", "parquet"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (JSON goes to stdout without).")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "cp932"]),
    default="utf-8-sig",
    show_default=True,
    help="CSV encoding: UTF-8 with BOM or cp932 (both open in Excel).",
)
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), help="Bank profile (TOML).")
@click.option("--force", is_flag=True, help="Convert even when the file has errors.")
def convert(
    file: str, fmt: str, target: str, output: str | None, encoding: str, profile: str | None, force: bool
) -> None:
    """Convert FILE to JSON, CSV, Excel or Parquet."""
    from kokin.formats import convert as conv

    module = _format_module(fmt)
    try:
        parsed = module.parse(file, layout=_layout(module, profile))
    except FormatError as exc:
        _fail(exc)
        return
    if not parsed.report.ok and not force:
        _print_report(parsed.report, 20)
        click.echo(
            "エラーのあるファイルは変換しません (--force で変換) / the file has errors; use --force to convert",
            err=True,
        )
        sys.exit(1)
    if target != "json" and output is None:
        raise click.UsageError(f"--to {target} needs -o/--output")
    if target == "json":
        doc = conv.to_json_document(parsed)
        if output is None:
            json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            conv.write_atomic(output, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    elif target == "csv":
        conv.write_csv(parsed, output, encoding=encoding)  # type: ignore[arg-type]
    elif target == "xlsx":
        conv.write_xlsx(parsed, output)  # type: ignore[arg-type]
    else:
        conv.write_parquet(parsed, output)  # type: ignore[arg-type]
    if output:
        click.echo(f"{output} を書き出しました / wrote {output}", err=True)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect(file: str, as_json: bool) -> None:
    """Detect FILE's format and print a summary (batches, counts, totals, per result code, per bank)."""
    from kokin.formats import convert as conv

    with open(file, "rb") as fh:
        head = fh.read(4096)
    name, reason = detect(head)
    if name is None:
        click.echo(f"形式を判定できません: {reason} / cannot tell the format", err=True)
        sys.exit(1)
    module = FORMATS[name]
    with _progress(file, not as_json) as progress:
        parsed = module.parse(file, progress=progress)
    summary = module.summary(parsed)
    summary["detected_because"] = reason
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        click.echo(conv.summary_text(summary, parsed))
    sys.exit(0 if parsed.report.ok else 1)


@main.command()
@click.option("--format", "fmt", required=True, help="File format, e.g. zengin-debit, mpn-receipt.")
@click.option("--records", type=click.IntRange(0), default=1000, show_default=True, help="Data records.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option("--faults", type=click.IntRange(0), default=0, help="Inject this many documented faults.")
@click.option("--result", is_flag=True, help="zengin-debit: a result file with a realistic mix of result codes.")
@click.option(
    "--date",
    "base_date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The file's date (debit or payment date); default 2026-05-27.",
)
def sample(fmt: str, records: int, seed: int, output: str, faults: int, result: bool, base_date: Any) -> None:
    """Write a realistic, valid sample file (optionally with injected faults)."""
    from kokin.formats import synth as samples
    from kokin.formats.convert import write_atomic

    _format_module(fmt)
    try:
        raw, injected = samples.generate(
            fmt, records, seed=seed, faults=faults, result=result, base_date=base_date.date() if base_date else None
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    write_atomic(output, raw)
    for fault in injected:
        click.echo(f"FAULT record {fault.record}: {fault.field}: {fault.description} ({fault.kind})", err=True)
    click.echo(f"{output}: {fmt} {records:,} 件 / records, seed {seed}, faults {len(injected)}")


@main.group()
def debit() -> None:
    """Direct debit (口座振替) files."""


@debit.command("build")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="CSV of payers (columns in docs/formats/zengin-debit.md).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option("--consignor-code", required=True, help="委託者コード (10 digits).")
@click.option("--consignor-name", required=True, help="委託者名 (normalised to half-width kana).")
@click.option("--debit-date", required=True, help="引落日 MMDD.")
@click.option("--bank-code", required=True, help="The consignor's bank code (取引金融機関).")
@click.option("--branch-code", required=True, help="The consignor's branch code.")
@click.option("--account-type", default="1", show_default=True, help="The consignor's account type.")
@click.option("--account-number", required=True, help="The consignor's account number (7 digits).")
@click.option("--truncate", is_flag=True, help="Cut over-long names to the field (reported).")
@click.option("--allow-unknown-codes", is_flag=True, help="Accept bank/branch codes missing from the master.")
@click.option("--separator", type=click.Choice(["crlf", "none"]), default="crlf", show_default=True)
@click.option("--ebcdic", is_flag=True, help="Write EBCDIC (code_division 1).")
def debit_build(
    source: str,
    output: str,
    consignor_code: str,
    consignor_name: str,
    debit_date: str,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    truncate: bool,
    allow_unknown_codes: bool,
    separator: str,
    ebcdic: bool,
) -> None:
    """Build a debit request file from a CSV of payers."""
    from kokin.formats import debit_csv, zengin_debit
    from kokin.formats.convert import write_atomic

    try:
        records, truncations = debit_csv.rows_to_records(
            debit_csv.read_text(source), truncate=truncate, allow_unknown_codes=allow_unknown_codes
        )
        header = debit_csv.consignor_header(
            dict(
                consignor_code=consignor_code,
                consignor_name=consignor_name,
                debit_date=debit_date,
                bank_code=bank_code,
                branch_code=branch_code,
                account_type=account_type,
                account_number=account_number,
            )
        )
        header["code_division"] = "1" if ebcdic else "0"
        raw = zengin_debit.build([{"header": header, "records": records}], separator=separator)
    except FormatError as exc:
        _fail(exc)
        return
    report = zengin_debit.validate(raw, mode="request")
    if not report.ok:
        _print_report(report, 50)
        sys.exit(1)
    for t in truncations:
        click.echo(
            f"WARNING line {t.line} {t.column}: 「{t.original}」を「{t.value}」に切り詰めました / "
            f"truncated to '{t.value}'",
            err=True,
        )
    write_atomic(output, raw)
    total = sum(r["amount"] for r in records)
    click.echo(f"{output}: {len(records)} 件 {total:,} 円 / {len(records)} records, {total:,} yen")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokin.web.settings")
    import django

    django.setup()


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def manage(ctx: click.Context) -> None:
    """Django management commands (migrate, createsuperuser, check --deploy, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokin.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kokin manage", *ctx.args])


@main.group()
def hub() -> None:
    """The hub service (HTTPS web UI and API)."""


def _prepare_hub() -> None:
    from django.core.management import call_command

    _django()
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
    from kokin.web.server import serve

    _prepare_hub()
    serve(host, port, workers, access_log=access_log)


@main.command()
@click.option("--host", default="localhost", show_default=True)
@click.option("--port", type=int, default=8443, show_default=True)
@click.option("--reset-logins", is_flag=True, help="New initial passwords and TOTP secrets for the demo logins.")
@click.option("--no-serve", is_flag=True, help="Set up only; do not start the server.")
@click.option(
    "--hub-only",
    is_flag=True,
    help="ハブだけを起動 (金融機関側なし) / serve the hub without the bank agent and simulator",
)
@click.option("--seed", type=int, default=1, show_default=True, help="シミュレータの乱数種 / the bank simulator's seed")
def demo(host: str, port: int, reset_logins: bool, no_serve: bool, hub_only: bool, seed: int) -> None:
    """The whole service on one machine: the hub with the demo ward (SQLite, local CA, demo logins) on
    https://localhost:8443, the bank agent and the bank simulator, under one supervisor (Ctrl-C stops all)."""
    _prepare_hub()
    from kokin.web import demo as demo_ward
    from kokin.web.home import home
    from kokin.web.tls import ensure

    files = ensure()
    logins = demo_ward.load(reset_logins=reset_logins)
    click.echo(f"kokin ハブ / hub: https://{host}:{port}/   (データ / data: {home()})")
    click.echo(f"CA 証明書 / CA certificate: {files.ca_cert}  (ブラウザに登録 / import into the browser)")
    if logins:
        click.echo("デモ用ログイン (この表示は一度だけ) / demo logins (shown once):")
        click.echo(f"  {'ID':<16}{'初期パスワード':<22}{'TOTP シークレット (認証アプリに登録)':<40}氏名")
        for login in logins:
            click.echo(f"  {login.username:<16}{login.password:<22}{login.totp_secret:<40}{login.display_name}")
        click.echo(
            "  初回ログイン時にパスワードの変更を求められます / the initial password must be changed at first login"
        )
    else:
        click.echo("デモ用ログインは作成済みです (再発行: kokin demo --reset-logins) / demo logins exist already")
    click.echo("デモ用ファイル / demo files:")
    for line in demo_ward.seed_files(home() / "demo", place_inbound=hub_only):
        click.echo(line)
    if no_serve:
        return
    if hub_only:
        from kokin.web.server import serve

        serve(host, port)
        return
    from kokin.web import supervisor

    side = demo_ward.bank_side(home() / "bank", hub_url=f"https://{host}:{port}", ca_cert=files.ca_cert)
    logs = home() / "logs"
    click.echo(f"金融機関側 / bank side: {side.agent_config.parent}  (spool {side.spool})")
    click.echo(f"ログ / logs: {logs / 'demo.log'}  (アクセスログ / access log: {logs / 'access.log'})")
    click.echo("停止は Ctrl-C / Ctrl-C stops the hub, the agent and the simulator")
    kokin = supervisor.kokin_command()
    code = supervisor.run(
        [
            supervisor.Service(
                "hub",
                [kokin, "hub", "serve", "--host", host, "--port", str(port), "--access-log", str(logs / "access.log")],
            ),
            # the operation log's signed checkpoint, every minute also while nobody writes (docs/audit.md)
            supervisor.Service("checkpoint", [kokin, "audit", "checkpoint", "--every", "60"]),
            supervisor.Service("agent", [kokin, "bank", "agent", "--config", str(side.agent_config)]),
            supervisor.Service(
                "simulator", [kokin, "bank", "simulate", "--config", str(side.simulator_config), "--seed", str(seed)]
            ),
        ],
        log_file=logs / "demo.log",
    )
    raise SystemExit(code)


@main.group()
def token() -> None:
    """API tokens (APIトークン) bound to a user; the same roles apply as in the web UI."""


@token.command("create")
@click.option("--user", "username", required=True, help="利用者 ID / the user the token acts as")
@click.option("--name", required=True, help="用途 / a label, e.g. 'nightly export'")
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True, help="有効日数 / valid for")
def token_create(username: str, name: str, days: int) -> None:
    """Issue a token and print it once (only its SHA-256 is kept)."""
    _django()
    from kokin.accounts.models import User
    from kokin.api.services import create_token

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.BadParameter(f"利用者 {username} はいません / no active user {username}", param_hint="--user")
    row, text = create_token(user=user, name=name, days=days)
    click.echo(text)
    click.echo(
        f"この表示は一度だけです。有効期限 {row.expires:%Y-%m-%d} / shown once; expires {row.expires:%Y-%m-%d}",
        err=True,
    )


@token.command("list")
@click.option("--user", "username", default=None, help="利用者 ID / only this user's tokens")
def token_list(username: str | None) -> None:
    """List tokens (prefix, user, name, expiry, last use, revoked)."""
    _django()
    from kokin.api.models import APIToken

    rows = APIToken.objects.select_related("user").order_by("user__username", "created")
    if username:
        rows = rows.filter(user__username=username)
    for t in rows:
        state = "revoked" if t.revoked else ("expired" if not t.is_usable() else "active")
        click.echo(f"kk_{t.prefix}\t{t.user.username}\t{t.name}\t{t.expires:%Y-%m-%d}\t{t.last_used or '-'}\t{state}")


@token.command("revoke")
@click.argument("prefix")
def token_revoke(prefix: str) -> None:
    """Revoke a token by its prefix (``kk_<prefix>`` as shown by ``kokin token list``)."""
    _django()
    from kokin.api.services import revoke_token

    found = revoke_token(prefix=prefix.removeprefix("kk_").split("_")[0])
    if found is None:
        raise click.BadParameter(f"トークン {prefix} はありません / no token {prefix}", param_hint="PREFIX")
    click.echo(f"失効しました / revoked: kk_{found.prefix} ({found.user.username}, {found.name})")


@main.group()
def keys() -> None:
    """The vault's master keys (マスター鍵): status, rotation (docs/vault.md)."""


@keys.command("status")
def keys_status() -> None:
    """Show the master keys (never their material) and how many files each one wraps."""
    _django()
    from kokin.vault.services import key_status

    status = key_status()
    click.echo(
        f"提供元 / provider: {status.provider}   保管先 / store: {status.store}   方式 / scheme: {status.scheme}"
    )
    click.echo(f"保管ファイル / files: {status.blobs} (消去済み / shredded {status.shredded})")
    for info, count in status.keys:
        warning = f"  !! {info.warning}" if info.warning else ""
        click.echo(f"  {info.state:<8} {info.key_id:<32} {count:>8} files  {info.location}{warning}")
    if status.not_current:
        click.echo(
            f"{status.not_current} 件が現在の鍵以外で暗号化されています (kokin keys rotate) / "
            f"{status.not_current} files are wrapped by an older key (run kokin keys rotate)"
        )


@keys.command("rotate")
def keys_rotate() -> None:
    """New master key; re-wrap every data key under it (file bodies are not re-encrypted)."""
    _django()
    from kokin.audit.services import command_actor
    from kokin.vault.services import rotate_master_key

    result = rotate_master_key(actor=command_actor(), role="コマンド")
    click.echo(f"新しいマスター鍵 / new master key: {result.new_key_id}")
    click.echo(f"再暗号化したデータ鍵 / data keys re-wrapped: {result.rewrapped}")
    for key_id in result.retired:
        click.echo(f"廃止 / retired: {key_id} (keys/retired/ へ移動。バックアップ後に破棄可 / moved; destroy later)")
    for key_id in result.to_remove:
        click.echo(f"不要になった鍵 / no longer needed: {key_id} (KOKIN_MASTER_KEY_OLD から削除 / remove it)")
    for key_id in result.kept:
        click.echo(f"使用中のため保持 / kept, still in use: {key_id} (もう一度実行 / run again)")
    for blob_id, message in result.failed:
        click.echo(f"FAILED {blob_id}: {message}", err=True)
    click.echo("新しい鍵をバックアップしてください / back up the new master key (docs/vault.md)", err=True)
    if not result.ok:
        sys.exit(1)


@keys.command("generate")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="File to write (mode 0600).")
def keys_generate(output: str) -> None:
    """Write a new master keyset, base64, for KOKIN_MASTER_KEY (not printed)."""
    import base64

    from kokin.vault.keys import keyset_to_json, new_master_keyset

    text = base64.b64encode(keyset_to_json(new_master_keyset()).encode("utf-8")).decode("ascii")
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text + "\n")
    click.echo(f"{output}: KOKIN_MASTER_KEY 用の鍵 / a keyset for KOKIN_MASTER_KEY (mode 0600)")


@keys.command("destroy-retired")
@click.argument("key_id")
def keys_destroy_retired(key_id: str) -> None:
    """Destroy a retired master key for good (old database backups become unreadable)."""
    _django()
    from kokin.audit.services import command_actor
    from kokin.vault.errors import VaultError
    from kokin.vault.services import destroy_retired_key

    try:
        destroy_retired_key(key_id, actor=command_actor(), role="コマンド")
    except VaultError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"破棄しました / destroyed: {key_id}")


main.add_command(audit_commands.audit)  # kokin audit verify / export (kokin.audit.commands)
main.add_command(exchange_commands.exchange)  # kokin exchange place / policy (kokin.exchange.commands)
main.add_command(exchange_commands.retention)  # kokin retention run [--dry-run]
main.add_command(bank_commands.bank)  # kokin bank agent / history / simulate (kokin.bank.commands)
main.add_command(banklink_commands.banklink)  # kokin banklink account … (kokin.banklink.commands)


if __name__ == "__main__":
    main()
