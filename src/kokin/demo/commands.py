"""``kokin demo``: the whole service on one machine — the hub with the demo ward, the bank agent and
the bank simulator under one supervisor."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kokin.serve.commands import prepare_hub

if TYPE_CHECKING:
    from kokin.demo import ward
    from kokin.serve import supervisor

BANNER_OFF = """
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  ウイルス検査は無効です: clamd (Debian の clamav-daemon) がありません。アップロードされた
!!  ファイルは検査されずに課へ届きます。デモ専用の状態です (ホーム画面にも表示)。
!!  MALWARE SCANNING IS OFF: no clamd here (apt-get install clamav-daemon). Demo only.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
"""


@click.command()
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
    from kokin.paths import home

    # before the settings are read (and checked): the hub and this process see the demo's clamd
    scanner = [] if hub_only or no_serve else malware_scan(home() / "clamav", home() / "demo")
    mail_folder = demo_mail(home())
    prepare_hub()
    from kokin.accounts.pki import ensure
    from kokin.demo import bankside, ward

    files = ensure()
    logins = ward.load(reset_logins=reset_logins)
    ward.give_addresses()
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
        echo_totp_codes(logins)
    else:
        click.echo("デモ用ログインは作成済みです (再発行: kokin demo --reset-logins) / demo logins exist already")
    click.echo(f"メール / mail: {mail_folder}  (送信されたメールを 1 通 1 ファイルで保存 / one file per mail sent)")
    click.echo("デモ用ファイル / demo files:")
    for line in ward.seed_files(home() / "demo", place_inbound=hub_only):
        click.echo(line)
    if no_serve:
        return
    if hub_only:
        if not os.environ.get("KOKIN_CLAMD"):
            click.echo(BANNER_OFF)
        from kokin.serve.server import serve

        serve(host, port)
        return
    from kokin.serve import supervisor

    side = bankside.bank_side(home() / "bank", hub_url=f"https://{host}:{port}", ca_cert=files.ca_cert)
    logs = home() / "logs"
    click.echo(f"金融機関側 / bank side: {side.agent_config.parent}  (spool {side.spool})")
    click.echo(f"ログ / logs: {logs / 'demo.log'}  (アクセスログ / access log: {logs / 'access.log'})")
    click.echo("停止は Ctrl-C / Ctrl-C stops the hub, the agent and the simulator")
    kokin = supervisor.kokin_command()
    code = supervisor.run(
        [
            *scanner,
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


def demo_mail(folder: Path) -> str:
    """The demo's mail (承認待ち, 到着の通知, 登録リンク) as files in ``mail`` of its home (``./var/mail``),
    read with any text viewer — unless ``KOKIN_EMAIL_BACKEND`` chooses otherwise. Set before the settings are read, so
    the hub the supervisor starts sees it too."""
    if os.environ.get("KOKIN_EMAIL_BACKEND"):
        return f"{os.environ['KOKIN_EMAIL_BACKEND']} (KOKIN_EMAIL_BACKEND)"
    path = folder / "mail"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ["KOKIN_EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    if not os.environ.get("KOKIN_EMAIL_FILE_PATH"):
        os.environ["KOKIN_EMAIL_FILE_PATH"] = str(path)
    return os.environ["KOKIN_EMAIL_FILE_PATH"]


def echo_totp_codes(logins: list[ward.Login]) -> None:
    """Each login's TOTP secret as an ``otpauth://`` URI and a QR code drawn in the terminal, for an
    authenticator app to scan (the same secret as the table's base32 column)."""
    import io

    import segno

    click.echo("認証アプリに登録する URI と QR コード / otpauth URIs and QR codes for an authenticator app:")
    for login in logins:
        click.echo(f"  {login.display_name} ({login.username}): {login.totp_uri}")
        drawn = io.StringIO()
        segno.make(login.totp_uri, error="m").terminal(out=drawn, compact=True, border=2)
        click.echo(drawn.getvalue().rstrip("\n"))


def malware_scan(folder: Path, samples: Path) -> list[supervisor.Service]:
    """The demo's own clamd when this machine has one (its socket becomes ``KOKIN_CLAMD`` for the hub),
    with the test signatures and the official databases if freshclam put any here; a sample file that
    the scan finds (``malware-test.dat``). Without clamd: a loud banner, and no scan."""
    from kokin.scanning import daemon
    from kokin.serve import supervisor

    if os.environ.get("KOKIN_CLAMD"):
        click.echo(f"ウイルス検査 / malware scan: {os.environ['KOKIN_CLAMD']}")
        return []
    binary = daemon.clamd_binary()
    if binary is None:
        click.echo(BANNER_OFF)
        return []
    daemon.write_database(folder / "db")
    official = daemon.link_official(folder / "db")
    config = daemon.write_config(folder)
    os.environ["KOKIN_CLAMD"] = daemon.socket_address(folder)
    samples.mkdir(parents=True, exist_ok=True)
    sample = samples / "malware-test.dat"
    sample.write_bytes(b"this file carries the demo's test signature: " + daemon.TEST_STRING + b"\r\n")
    databases = "テスト用シグネチャ" + (f" + 公式データベース {official} 件" if official else "")
    click.echo(f"ウイルス検査 / malware scan: clamd ({folder}, {databases})")
    click.echo(f"  試験用の検出ファイル / a file the scan finds: {sample}")
    return [supervisor.Service("clamd", [binary, "-c", str(config)])]
