"""``kokin banklink …``: the hub side of the bank link (bank system accounts, transfer history)."""

from __future__ import annotations

import click


@click.group()
def banklink() -> None:
    """金融機関連携 (ハブ側) / the hub side of the bank link."""
