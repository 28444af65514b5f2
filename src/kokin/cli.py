"""The ``kokin`` command: one group put together from each part's ``commands.py``.

The format commands (``validate``, ``convert``, ``inspect``, ``sample``, ``debit``) run without the
hub; the others set Django up through :func:`kokin.django_setup.django_setup` when they run. Messages
for operators are printed in Japanese and English. Exit status: 0 success (warnings allowed), 1 the
file is invalid (or the check failed), 2 the command was used wrongly.
"""

from __future__ import annotations

import click

from kokin.api import commands as api_commands
from kokin.audit import commands as audit_commands
from kokin.bank import commands as bank_commands
from kokin.banklink import commands as banklink_commands
from kokin.compliance import commands as compliance_commands
from kokin.demo import commands as demo_commands
from kokin.exchange import commands as exchange_commands
from kokin.formats import commands as formats_commands
from kokin.incidents import commands as incidents_commands
from kokin.registers import commands as registers_commands
from kokin.serve import commands as serve_commands
from kokin.training import commands as training_commands
from kokin.vault import commands as vault_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kokin")
def main() -> None:
    """kokin — 公金収納ネットワークサービス (public-funds collection network service)."""


# kokin validate / convert / inspect / sample / debit build (kokin.formats.commands)
for command in (
    formats_commands.validate,
    formats_commands.convert,
    formats_commands.inspect,
    formats_commands.sample,
    formats_commands.debit,
):
    main.add_command(command)
main.add_command(serve_commands.manage)  # kokin manage … (Django's management commands)
main.add_command(serve_commands.hub)  # kokin hub serve (kokin.serve.commands)
main.add_command(demo_commands.demo)  # kokin demo (kokin.demo.commands)
main.add_command(api_commands.token)  # kokin token create / list / revoke (kokin.api.commands)
main.add_command(vault_commands.keys)  # kokin keys status / rotate / generate / destroy-retired (kokin.vault.commands)
main.add_command(audit_commands.audit)  # kokin audit verify / export (kokin.audit.commands)
main.add_command(exchange_commands.exchange)  # kokin exchange place / policy (kokin.exchange.commands)
main.add_command(exchange_commands.retention)  # kokin retention run [--dry-run]
main.add_command(bank_commands.bank)  # kokin bank agent / history / simulate (kokin.bank.commands)
main.add_command(banklink_commands.banklink)  # kokin banklink account … (kokin.banklink.commands)
main.add_command(incidents_commands.incidents)  # kokin incidents mail [--retry] (kokin.incidents.commands)
main.add_command(compliance_commands.compliance)  # kokin compliance report (kokin.compliance.commands)
main.add_command(registers_commands.registers)  # kokin registers show / export / refresh (kokin.registers.commands)
main.add_command(training_commands.training)  # kokin training report / record / status (kokin.training.commands)


if __name__ == "__main__":
    main()
