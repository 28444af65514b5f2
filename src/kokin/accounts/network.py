"""The client's address and certificate, trusting forwarded headers only from configured proxies."""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest

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
