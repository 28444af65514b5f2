"""The demo prints each login's TOTP secret as an ``otpauth://`` URI and a terminal QR code, so a newcomer
scans it with an authenticator app instead of typing a base32 secret."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import click
import segno
from click.testing import CliRunner
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.demo import ward as demo
from kokin.demo.commands import echo_totp_codes
from support.otp import code_from_secret


def printed(logins: list[demo.Login]) -> str:
    @click.command()
    def show() -> None:
        echo_totp_codes(logins)

    result = CliRunner().invoke(show)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_each_login_gets_an_otpauth_uri_whose_secret_the_device_accepts(ward: dict[str, demo.Login]) -> None:
    output = printed(list(ward.values()))
    uris = {line.split(": ", 1)[1] for line in output.splitlines() if ": otpauth://" in line}
    assert len(uris) == len(ward)
    for uri in uris:
        parts = urlsplit(uri)
        query = parse_qs(parts.query)
        issuer, username = unquote(parts.path.lstrip("/")).split(":")
        assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
        assert issuer == "kokin" and query["issuer"] == ["kokin"]
        assert query["secret"] == [ward[username].totp_secret]
        device = TOTPDevice.objects.get(user__username=username)
        assert device.verify_token(code_from_secret(query["secret"][0]))


def test_each_uri_is_followed_by_its_qr_code_drawn_in_blocks(ward: dict[str, demo.Login]) -> None:
    login = ward["zeimu-send"]
    lines = printed([login]).splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(login.totp_uri))
    qr = segno.make(login.totp_uri, error="m")
    drawn = lines[at + 1 :]
    # compact drawing: two modules per line, a border of 2 around the symbol
    assert len(drawn) == (qr.symbol_size(border=2)[1] + 1) // 2
    assert all(set(line) <= set("█▀▄ ") for line in drawn) and "▄" in "".join(drawn)
