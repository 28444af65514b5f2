"""The hub's own certificate authority: a server certificate for HTTPS and client certificates (mTLS).

Files live in ``KOKIN_HOME/tls`` (keys 0600). A fresh machine gets a CA and a server certificate for
localhost on first start; import ``ca.crt`` into the browser (or pass it to curl with ``--cacert``) to
trust the hub. Client certificates for terminals and the bank agent are issued with
:func:`issue_client_cert`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kokin.paths import home


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _name(common: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kokin"), x509.NameAttribute(NameOID.COMMON_NAME, common)]
    )


def _load(cert: Path, key: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return certificate, private


def ensure(hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")) -> TlsFiles:
    """Create the CA and the server certificate if they are missing; return their paths."""
    folder = home() / "tls"
    folder.mkdir(mode=0o700, exist_ok=True)
    files = TlsFiles(folder / "ca.crt", folder / "ca.key", folder / "server.crt", folder / "server.key")
    now = dt.datetime.now(dt.UTC)
    if not files.ca_cert.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("kokin local CA"))
            .issuer_name(_name("kokin local CA"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_key(files.ca_key, key)
        files.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if not files.server_cert.exists():
        _issue(files, hosts[0], files.server_cert, files.server_key, server_hosts=hosts)
    return files


def _issue(
    files: TlsFiles, common: str, cert_path: Path, key_path: Path, *, server_hosts: tuple[str, ...] = ()
) -> x509.Certificate:
    ca_cert, ca_key = _load(files.ca_cert, files.ca_key)
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if server_hosts:
        names: list[x509.GeneralName] = []
        for host in server_hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert


def issue_client_cert(common: str, folder: Path) -> tuple[Path, Path, str]:
    """A client certificate signed by the hub's CA; returns (cert, key, SHA-256 fingerprint)."""
    files = ensure()
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{common}.crt", folder / f"{common}.key"
    cert = _issue(files, common, cert_path, key_path)
    return cert_path, key_path, fingerprint(cert)


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex().upper()


def fingerprint_of_pem(pem: bytes) -> str:
    return fingerprint(x509.load_pem_x509_certificate(pem))
