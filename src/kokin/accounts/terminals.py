"""The equipment register as a login rule (別紙3 第6条1, 第8条1): with ``KOKIN_TERMINAL_REGISTER=on``,
an operator works only from a registered information-processing device (:class:`Terminal`).

A terminal in use is one registered and not retired. A request comes from it when the client's address
is within the terminal's address or range, or when the client certificate's SHA-256 fingerprint is the
terminal's (either suffices: a terminal behind changing addresses is known by its certificate, one
without a certificate by its address). The rule adds to the department's networks and the operator's
bound certificate (:func:`kokin.accounts.network.terminal_refusal`); it replaces neither.

>>> t = Terminal(address="10.1.2.0/24", cert_fingerprint="")
>>> matches(t, "10.1.2.9", ""), matches(t, "10.1.3.9", ""), matches(t, "", "")
(True, False, False)
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from kokin.accounts.models import Terminal, normalise_fingerprint

#: the values of ``KOKIN_TERMINAL_REGISTER`` (checked at start: kokin.E001, kokin.E003)
SETTING_VALUES = ("off", "on")


def enforced() -> bool:
    """Whether logins must come from a registered terminal. Anything but ``off`` counts as on: a
    setting the checks would refuse never opens the door it was meant to close."""
    return str(getattr(settings, "TERMINAL_REGISTER", "off")) != "off"


def in_use() -> QuerySet[Terminal]:
    """The terminals of the register: registered, not retired."""
    return Terminal.objects.filter(retired_at__isnull=True).select_related("department")


def matches(terminal: Terminal, address: str, fingerprint: str) -> bool:
    """Whether a client at ``address`` with the certificate ``fingerprint`` is ``terminal``."""
    certified = terminal.cert_fingerprint and fingerprint
    if certified and normalise_fingerprint(fingerprint) == normalise_fingerprint(terminal.cert_fingerprint):
        return True
    if terminal.address and address:
        try:
            return ipaddress.ip_address(address) in ipaddress.ip_network(terminal.address, strict=False)
        except ValueError:  # not an address (an empty or garbled forwarded header): no match
            return False
    return False


def registered(address: str, fingerprint: str) -> Terminal | None:
    """The terminal in use that a client at ``address`` with the certificate ``fingerprint`` is, if any."""
    return next((t for t in in_use().order_by("pk") if matches(t, address, fingerprint)), None)


def retire(terminal: Terminal) -> Terminal:
    """Take ``terminal`` out of the register now. The change is logged by the model's signal
    (action ``terminal_change``, :mod:`kokin.accounts.signals`) with the actor of the request."""
    if terminal.retired_at is None:
        terminal.retired_at = timezone.now()
        terminal.save(update_fields=["retired_at"])
    return terminal
