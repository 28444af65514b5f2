"""``kokin bank …``: the bank agent, its transfer history and the bank simulator."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def bank() -> None:
    """金融機関側: 連携エージェントと金融機関シミュレータ / the bank agent and the bank simulator."""


@bank.command("agent")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--once", is_flag=True, help="1 回だけ送受信して終了 / one round of sends and receives, then exit")
def agent(config_path: Path, once: bool) -> None:
    """連携エージェント / the bank agent: sends outbox/, receives into inbox/, retries and resumes."""
    from kokin.bank.agent.daemon import main

    raise SystemExit(main(config_path, once=once))


@bank.command("history")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON で出力 / print JSON")
def history(config_path: Path, limit: int, as_json: bool) -> None:
    """転送履歴 / the agent's transfer history."""
    from kokin.bank.history import print_history

    print_history(config_path, limit=limit, as_json=as_json)


@bank.command("simulate")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--once", is_flag=True, help="1 回だけ処理して終了 / one round, then exit")
@click.option(
    "--advance",
    is_flag=True,
    help="先に模擬日を次の営業日 (scale=month なら翌月) に進める / first move to the next business day (or month)",
)
def simulate(config_path: Path, seed: int, once: bool, advance: bool) -> None:
    """金融機関シミュレータ / the bank simulator: collection data into outbox/, debit results for inbox/."""
    from kokin.bank.simulator import main

    raise SystemExit(main(config_path, seed=seed, once=once, advance=advance))
