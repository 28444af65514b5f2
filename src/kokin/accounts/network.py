"""The client's address and certificate, trusting forwarded headers only from configured proxies."""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest

from kokin.accounts import terminals
from kokin.accounts.models import User

CERT_HEADER = "HTTP_X_CLIENT_CERT_FINGERPRINT"
#: the whole client certificate, URL-escaped PEM (nginx ``$ssl_client_escaped_cert``)
CERT_PEM_HEADER = "HTTP_X_CLIENT_CERT"


def _from_proxy(request: HttpRequest) -> bool:
    return request.META.get("REMOTE_ADDR", "") in settings.TRUSTED_PROXIES


def client_ip(request: HttpRequest) -> str:
    if _from_proxy(request):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def _fingerprint_of_escaped_pem(value: str) -> str:
    from kokin.accounts.pki import fingerprint_of_pem

    try:
        return fingerprint_of_pem(unquote(value).encode("ascii"))
    except ValueError:  # not a PEM certificate (UnicodeEncodeError is a ValueError too)
        return ""


def client_cert_fingerprint(request: HttpRequest) -> str:
    """SHA-256 fingerprint (hex, upper case, no colons) of the TLS client certificate, if any.

    Behind a trusted proxy the certificate comes as its fingerprint (``X-Client-Cert-Fingerprint``)
    or as the URL-escaped PEM itself (``X-Client-Cert``), whose SHA-256 is computed here.
    """
    value = str(request.META.get("kokin.client_cert_fingerprint", ""))
    if not value and _from_proxy(request):
        value = str(request.META.get(CERT_HEADER, ""))
        pem = str(request.META.get(CERT_PEM_HEADER, ""))
        if not value and pem:
            value = _fingerprint_of_escaped_pem(pem)
    return value.replace(":", "").upper()


#: why a terminal is refused (``detail["reason"]`` of the ``terminal_denied`` entry)
DEPARTMENT_NETWORK = "department_network"
BOUND_CERTIFICATE = "bound_certificate"
UNREGISTERED_TERMINAL = "unregistered_terminal"


def terminal_refusal(user: User, request: HttpRequest) -> str | None:
    """Why ``user`` may not work from the request's terminal, or ``None`` if they may: outside the
    department's IP ranges, not the operator's bound client certificate, or (with
    ``KOKIN_TERMINAL_REGISTER=on``) no terminal of the equipment register (:mod:`kokin.accounts.terminals`)."""
    department = user.department
    if department is not None and department.allowed_networks.strip():
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return DEPARTMENT_NETWORK
        if not any(address in net for net in department.networks()):
            return DEPARTMENT_NETWORK
    bound = user.client_cert_fingerprint.replace(":", "").upper()
    if bound and bound != client_cert_fingerprint(request):
        return BOUND_CERTIFICATE
    if terminals.enforced() and terminals.registered(client_ip(request), client_cert_fingerprint(request)) is None:
        return UNREGISTERED_TERMINAL
    return None


def terminal_allowed(user: User, request: HttpRequest) -> bool:
    """The department's IP ranges, the operator's bound client certificate and the equipment register."""
    return terminal_refusal(user, request) is None
