"""The bank side of the demo: the designated bank's system account on the hub and the configs of
its bank agent and of the bank simulator, written once into a folder for ``kokin demo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kokin.accounts.models import Business, DataKind
from kokin.demo.ward import IN, OUT

BANK_ACCOUNT = "demo-designated-bank"


@dataclass(frozen=True)
class BankSide:
    agent_config: Path
    simulator_config: Path
    spool: Path


def _toml(value: object) -> str:
    """A TOML value: JSON's string escapes are TOML basic-string escapes, numbers are the same."""
    import json

    return json.dumps(value, ensure_ascii=False)


def simulator_kinds() -> list[dict[str, object]]:
    """Every mailbox of the ward that the bank fills or answers, as the simulator's ``[[kind]]`` tables."""
    kinds: list[dict[str, object]] = []
    for kind in DataKind.objects.exclude(transfer_id=None).select_related("reply_kind").order_by("pk"):
        if kind.direction == IN and kind.format != "zengin-debit":
            kinds.append(
                {
                    "transfer_id": kind.transfer_id,
                    "format": kind.format,
                    "yearly_volume": kind.yearly_volume,
                    "label": kind.label,
                }
            )
        elif kind.direction == OUT and kind.reply_kind is not None:
            kinds.append(
                {
                    "transfer_id": kind.transfer_id,
                    "format": kind.format,
                    "direction": "outbound",
                    "reply": kind.reply_kind.transfer_id,
                    "label": kind.label,
                }
            )
    return kinds


def bank_side(folder: Path, *, hub_url: str, ca_cert: Path) -> BankSide:
    """The designated bank's system account on the hub (client certificate + token, loopback only,
    serving every business of the ward) and the configs of its agent and of the simulator, created
    once in ``folder``."""
    from kokin.audit.actor import Actor
    from kokin.banklink.accounts import create_account
    from kokin.banklink.models import BankAccount

    credentials = folder / "credentials"
    spool = folder / "spool"
    if not BankAccount.objects.filter(name=BANK_ACCOUNT).exists() or not (credentials / "token").exists():
        BankAccount.objects.filter(name=BANK_ACCOUNT).delete()
        try:
            create_account(
                name=BANK_ACCOUNT,
                networks="127.0.0.1/32,::1/128",
                folder=credentials,
                actor=Actor.command(),
                businesses=list(Business.objects.order_by("code").values_list("code", flat=True)),
            )
        except ValueError as exc:
            raise RuntimeError(f"bank account: {exc}") from exc
    cert = next(p for p in sorted(credentials.glob("*.crt")) if p.name != "ca.crt")
    agent = folder / "agent.toml"
    agent.write_text(
        "# 連携エージェント (デモ) / the demo bank's agent — written by `kokin demo`\n"
        "[hub]\n"
        f"url = {_toml(hub_url)}\n"
        f"ca_cert = {_toml(str(ca_cert))}\n"
        f"client_cert = {_toml(str(cert))}\n"
        f"client_key = {_toml(str(cert.with_suffix('.key')))}\n"
        f"token_file = {_toml(str(credentials / 'token'))}\n"
        "[spool]\n"
        f"root = {_toml(str(spool))}\n"
        "[transfer]\n"
        "poll_seconds = 3\n",
        encoding="utf-8",
    )
    simulator = folder / "simulator.toml"
    lines = [
        "# 金融機関シミュレータ (デモ) / the demo bank's simulator — written by `kokin demo`",
        f"spool = {_toml(str(spool))}",
        'scale = "day"',
        "poll_seconds = 2",
        "collection_every_seconds = 600",
        "max_records_per_file = 2000",
    ]
    for kind in simulator_kinds():
        lines.append("[[kind]]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in kind.items())
    simulator.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return BankSide(agent, simulator, spool)
