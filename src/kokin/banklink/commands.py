"""``kokin banklink …``: the hub side of the bank link (bank system accounts, transfer history)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kokin.django_setup import django_setup

DEFAULT_NETWORKS = "127.0.0.1/32,::1/128"


@click.group()
def banklink() -> None:
    """金融機関連携 (ハブ側) / the hub side of the bank link."""


@banklink.group()
def account() -> None:
    """金融機関システムアカウント / bank system accounts (certificate + token + addresses)."""


def _scope_options(command: Any) -> Any:
    command = click.option(
        "--transfer-id",
        "transfer_ids",
        multiple=True,
        metavar="ID",
        help="担当する転送ファイルID (繰り返し可; 口座振替請求はその結果も) / a transfer ID it serves "
        "(repeatable; a debit request brings its result kind)",
    )(command)
    return click.option(
        "--business",
        "businesses",
        multiple=True,
        metavar="CODE",
        help="担当業務の業務コード (繰り返し可) / a business it serves, by code (repeatable)",
    )(command)


def _echo_scope(businesses: list[str], transfer_ids: list[str]) -> None:
    if not businesses and not transfer_ids:
        click.echo("  担当: なし — どのファイルも扱いません / serves nothing: no file is listed, sent or taken in")
        return
    click.echo(f"  担当業務 / businesses:                {', '.join(businesses) or '-'}")
    click.echo(f"  転送ファイルID / transfer IDs:         {', '.join(transfer_ids) or '-'}")


@account.command("create")
@click.option("--name", required=True, help="アカウント名 / account name (letters, digits, . _ -)")
@click.option(
    "--networks",
    default=DEFAULT_NETWORKS,
    show_default=True,
    help="接続を許可するアドレス範囲 (CIDR, カンマ区切り) / allowed client addresses (CIDR, comma-separated)",
)
@click.option(
    "--out",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="証明書・鍵・トークンの出力先 / folder for the certificate, key and token",
)
@_scope_options
def account_create(
    name: str, networks: str, folder: Path, businesses: tuple[str, ...], transfer_ids: tuple[str, ...]
) -> None:
    """アカウントを作成し、クライアント証明書とトークンを発行 / create an account, issue its certificate and token.

    扱うファイルは --business と --transfer-id で指定したものだけです (指定なしは何も扱いません)。
    The account serves the files of the given businesses and transfer IDs only (none given: nothing).
    """
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.banklink import accounts, selectors

    try:
        made = accounts.create_account(
            name=name,
            networks=networks,
            folder=folder,
            actor=Actor.command(),
            businesses=businesses,
            transfer_ids=transfer_ids,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"金融機関システムアカウント {name} を作成しました / created bank system account {name}")
    click.echo(f"  クライアント証明書 / client certificate: {made.cert}")
    click.echo(f"  秘密鍵 / private key:                   {made.key}")
    click.echo(f"  トークン (0600) / token file (0600):     {made.token_path}")
    click.echo(f"  証明書の SHA-256 / certificate SHA-256:  {made.account.cert_fingerprint}")
    click.echo(f"  接続元 / allowed networks:              {made.account.allowed_networks}")
    _echo_scope(*selectors.scope_of(made.account))
    click.echo("トークン (この表示は一度だけ。ハブには SHA-256 だけが残ります)")
    click.echo("token (shown once; the hub keeps only its SHA-256):")
    click.echo(f"  {made.token}")


@account.command("list")
def account_list() -> None:
    """アカウントの一覧 / list the accounts."""
    django_setup()
    from django.utils import timezone

    from kokin.banklink import selectors
    from kokin.banklink.models import BankAccount

    rows = list(BankAccount.objects.order_by("name"))
    if not rows:
        click.echo("アカウントはありません / no accounts")
        return
    click.echo(
        f"{'名前 name':<24}{'状態 state':<16}{'トークン token':<22}{'最終接続 last seen':<20}{'接続元 networks':<28}"
        "担当 serves"
    )
    for row in rows:
        state = "有効 active" if row.active else "失効 revoked"
        seen = f"{timezone.localtime(row.last_seen):%Y-%m-%d %H:%M}" if row.last_seen else "-"
        businesses, transfer_ids = selectors.scope_of(row)
        serves = ", ".join([*businesses, *transfer_ids]) or "なし none"
        token = f"kb_{row.token_prefix}_…"
        click.echo(f"{row.name:<24}{state:<16}{token:<22}{seen:<20}{row.allowed_networks:<28}{serves}")


@account.command("show")
@click.argument("name")
def account_show(name: str) -> None:
    """アカウントの詳細 (担当業務・転送ファイルID) / one account in full, with what it serves."""
    django_setup()
    from django.utils import timezone

    from kokin.banklink import selectors
    from kokin.banklink.models import BankAccount

    row = BankAccount.objects.filter(name=name).first()
    if row is None:
        raise click.ClickException(f"アカウント {name} はありません / no account named {name}")
    click.echo(f"名前 / name:                           {row.name}")
    click.echo(f"  状態 / state:                        {'有効 active' if row.active else '失効 revoked'}")
    click.echo(f"  トークン / token:                    kb_{row.token_prefix}_…")
    click.echo(f"  証明書の SHA-256 / certificate SHA-256:  {row.cert_fingerprint}")
    click.echo(f"  接続元 / allowed networks:              {row.allowed_networks}")
    seen = f"{timezone.localtime(row.last_seen):%Y-%m-%d %H:%M}" if row.last_seen else "-"
    click.echo(f"  最終接続 / last seen:                {seen}")
    _echo_scope(*selectors.scope_of(row))
    kinds = sorted(k.transfer_id for k in selectors.served_kinds(row) if k.transfer_id)
    click.echo(f"  扱う転送ファイルID (すべて) / every transfer ID served: {', '.join(kinds) or '-'}")


@account.command("scope")
@click.argument("name")
@_scope_options
@click.option("--none", "serve_none", is_flag=True, help="何も扱わないようにする / serve nothing")
def account_scope(name: str, businesses: tuple[str, ...], transfer_ids: tuple[str, ...], serve_none: bool) -> None:
    """担当業務・転送ファイルIDを置き換える / replace the businesses and transfer IDs the account serves."""
    if serve_none == bool(businesses or transfer_ids):
        raise click.UsageError(
            "--business・--transfer-id か --none を指定してください / give --business or --transfer-id, or --none"
        )
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.banklink import accounts, selectors

    try:
        scope = accounts.resolve_scope(businesses=businesses, transfer_ids=transfer_ids)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    found = accounts.set_scope(name=name, scope=scope, actor=Actor.command())
    if found is None:
        raise click.ClickException(f"アカウント {name} はありません / no account named {name}")
    click.echo(f"{name} の担当を変更しました / changed what {name} serves")
    _echo_scope(*selectors.scope_of(found))


@account.command("revoke")
@click.argument("name")
def account_revoke(name: str) -> None:
    """アカウントを失効 (証明書とトークンを無効に) / revoke an account (its certificate and token stop working)."""
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.banklink import accounts

    found = accounts.revoke_account(name=name, actor=Actor.command())
    if found is None:
        raise click.ClickException(f"アカウント {name} はありません / no account named {name}")
    click.echo(f"{name} を失効しました / revoked {name}")


@banklink.command("history")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
def history(limit: int) -> None:
    """転送履歴 (新しい順) / the transfer history, newest first."""
    django_setup()
    from django.utils import timezone

    from kokin.audit.actor import Actor
    from kokin.audit.services import record
    from kokin.banklink import history as transfer_history

    rows = transfer_history.history(limit=limit)
    record(
        action="banklink_history",
        actor=Actor.command(),
        object="banklink",
        detail={"rows": len(rows)},
    )
    if not rows:
        click.echo("転送履歴はありません / no transfers")
        return
    for row in rows:
        click.echo(
            f"{timezone.localtime(row.finished):%Y-%m-%d %H:%M:%S}  {row.get_direction_display():<16} "
            f"{row.account.name:<14} {row.transfer_id:<22} {row.filename:<24} {row.bytes:>12,} B "
            f"{row.duration_ms:>7} ms  再試行 {row.retries}  {row.outcome:<10} {row.reason}"
        )
