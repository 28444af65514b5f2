"""The client's address and certificate, trusting forwarded headers only from configured proxies."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

from kokin.accounts.models import User

CERT_HEADER = "HTTP_X_CLIENT_CERT_FINGERPRINT"


def _from_proxy(request: HttpRequest) -> bool:
    return request.META.get("REMOTE_ADDR", "") in settings.TRUSTED_PROXIES


def client_ip(request: HttpRequest) -> str:
    if _from_proxy(request):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def client_cert_fingerprint(request: HttpRequest) -> str:
    """SHA-256 fingerprint (hex, upper case, no colons) of the TLS client certificate, if any."""
    value = request.META.get("kokin.client_cert_fingerprint") or (
        request.META.get(CERT_HEADER, "") if _from_proxy(request) else ""
    )
    return str(value).replace(":", "").upper()


def terminal_allowed(user: User, request: HttpRequest) -> bool:
    """The department's IP ranges and the operator's bound client certificate, if set."""
    department = user.department
    if department is not None and department.allowed_networks.strip():
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return False
        if not any(address in net for net in department.networks()):
            return False
    bound = user.client_cert_fingerprint.replace(":", "").upper()
    return not bound or bound == client_cert_fingerprint(request)
