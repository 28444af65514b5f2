"""``kokin keys …``: the vault's master keys (status, rotation, a new keyset, destroying a retired
key; docs/vault.md). Key changes are logged with the operating-system account as the operator."""

from __future__ import annotations

import os
import sys

import click

from kokin.django_setup import django_setup


@click.group()
def keys() -> None:
    """The vault's master keys (マスター鍵): status, rotation (docs/vault.md)."""


@keys.command("status")
def keys_status() -> None:
    """Show the master keys (never their material) and how many files each one wraps."""
    django_setup()
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
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.vault.services import rotate_master_key

    result = rotate_master_key(actor=Actor.command())
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
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.vault.errors import VaultError
    from kokin.vault.services import destroy_retired_key

    try:
        destroy_retired_key(key_id, actor=Actor.command())
    except VaultError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"破棄しました / destroyed: {key_id}")
