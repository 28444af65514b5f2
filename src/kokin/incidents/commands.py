"""``kokin incidents mail [--retry]``: the incidents whose notification mail was not delivered, and
sending it again.

Exit status: 0 nothing is left unsent, 1 some mail is still not delivered, 2 the command was used
wrongly. Each attempt is logged (action ``incident_mail``) with the operating-system account that ran
the command as the operator.
"""

from __future__ import annotations

import sys

import click

from kokin.django_setup import django_setup


@click.group()
def incidents() -> None:
    """事故・インシデント (別紙3 第15条) / incidents: their notification mail."""


@incidents.command("mail")
@click.option("--retry", is_flag=True, help="未送信・送信失敗のメールを送り直す / send the failed mail again")
def mail(retry: bool) -> None:
    """List the incidents whose mail failed or found nobody; with --retry, send it again."""
    django_setup()
    from kokin.audit.actor import Actor
    from kokin.incidents import mail as incident_mail

    waiting = incident_mail.unsent()
    if not retry:
        for incident in waiting:
            click.echo(
                f"{incident.number}\t{incident.get_mail_status_display()}\t{incident.mail_attempts}\t"
                f"{incident.title}\t{incident.mail_error}"
            )
        click.echo(f"未送信 {len(waiting)} 件 / {len(waiting)} not sent")
        sys.exit(1 if waiting else 0)
    sent, failed = incident_mail.retry(actor=Actor.command())
    click.echo(f"送信 {sent} 件、未送信 {failed} 件 / sent {sent}, not sent {failed}")
    sys.exit(1 if failed else 0)
