"""What a bank system account may reach (担当範囲): the one place the bank link's scoping is done.

An account serves the mailboxes (data kinds) of its businesses and the mailboxes it names by transfer
ID, together with the result kind of a debit request it names; nothing else. An account that names
neither serves nothing (fail closed).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kokin.accounts.models import DataKind
from kokin.banklink.models import BankAccount
from kokin.exchange import selectors as exchange_selectors
from kokin.exchange.models import ExchangeFile


def served_kinds(account: BankAccount) -> QuerySet[DataKind]:
    """The mailboxes ``account`` serves, in both directions."""
    named = account.data_kinds.all()
    return DataKind.objects.filter(
        Q(business__in=account.businesses.all())
        | Q(pk__in=named.values("pk"))
        | Q(pk__in=named.exclude(reply_kind=None).values("reply_kind"))
    )


def serves(account: BankAccount, kind: DataKind) -> bool:
    return served_kinds(account).filter(pk=kind.pk).exists()


def files_for_bank(account: BankAccount) -> QuerySet[ExchangeFile]:
    """Approved outbound files not collected yet, of the mailboxes ``account`` serves, oldest approval first."""
    return exchange_selectors.files_for_bank().filter(data_kind__in=served_kinds(account))


def scope_of(account: BankAccount) -> tuple[list[str], list[str]]:
    """The account's business codes and transfer IDs, sorted, as the commands show them."""
    businesses = sorted(account.businesses.values_list("code", flat=True))
    transfer_ids = sorted(t for t in account.data_kinds.values_list("transfer_id", flat=True) if t)
    return businesses, transfer_ids
