"""``kokin token …``: API tokens bound to a user (create, list, revoke); the same roles apply as in
the web UI."""

from __future__ import annotations

import click

from kokin.django_setup import django_setup


@click.group()
def token() -> None:
    """API tokens (APIトークン) bound to a user; the same roles apply as in the web UI."""


@token.command("create")
@click.option("--user", "username", required=True, help="利用者 ID / the user the token acts as")
@click.option("--name", required=True, help="用途 / a label, e.g. 'nightly export'")
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True, help="有効日数 / valid for")
def token_create(username: str, name: str, days: int) -> None:
    """Issue a token and print it once (only its SHA-256 is kept)."""
    django_setup()
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
    django_setup()
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
    django_setup()
    from kokin.api.services import revoke_token

    found = revoke_token(prefix=prefix.removeprefix("kk_").split("_")[0])
    if found is None:
        raise click.BadParameter(f"トークン {prefix} はありません / no token {prefix}", param_hint="PREFIX")
    click.echo(f"失効しました / revoked: kk_{found.prefix} ({found.user.username}, {found.name})")
