"""``make certs``: a local certificate authority and the gateway's certificate, for ``TLS=1``.

Development only: a deployment's certificates come from cert-manager (deploy/k8s) or the
operator. The authority's certificate (``ca.pem``) is what clients trust (``curl --cacert``,
``SSL_CERT_FILE`` for Python, the browser's authorities); its key stays in the folder, readable by
its owner alone. The gateway's certificate names ``localhost``, ``127.0.0.1``, ``::1`` and the
gateway's host, lives ``LEAF_DAYS`` days, and is made again when it has less than a week left
or no longer names the host. Run again, it keeps what is still good.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 90
RENEW_BEFORE = timedelta(days=7)
KeyPair = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


@dataclass(frozen=True)
class CertificateFiles:
    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def cert(self) -> Path:
        return self.folder / "gateway.pem"

    @property
    def key(self) -> Path:
        return self.folder / "gateway-key.pem"


def ensure(folder: Path, host: str) -> tuple[CertificateFiles, bool]:
    """The authority and a gateway certificate for ``host`` in ``folder``; True when made now."""
    files = CertificateFiles(folder)
    folder.mkdir(parents=True, exist_ok=True)
    authority = _load(files.ca_key, files.ca_cert)
    if authority is None or _expiring(authority[1]):
        authority = _new_authority()
        _write(files.ca_key, files.ca_cert, authority)
    elif _still_good(files, authority[1], host):
        return files, False
    _write(files.key, files.cert, _new_leaf(authority, host))
    return files, True


def _names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    addresses = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    try:
        addresses.add(ipaddress.ip_address(host))
    except ValueError:
        names.append(x509.DNSName(host))
    return names + [x509.IPAddress(address) for address in sorted(addresses, key=str)]


def _new_authority() -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Chiiki development CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _new_leaf(authority: KeyPair, host: str) -> KeyPair:
    ca_key, ca_cert = authority
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=LEAF_DAYS))
        .add_extension(x509.SubjectAlternativeName(_names(host)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _still_good(files: CertificateFiles, ca_cert: x509.Certificate, host: str) -> bool:
    leaf = _load(files.key, files.cert)
    if leaf is None or _expiring(leaf[1]) or leaf[1].issuer != ca_cert.subject:
        return False
    named = leaf[1].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(_names(host)) <= set(named)


def _expiring(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc - datetime.now(UTC) < RENEW_BEFORE


def _load(key_path: Path, cert_path: Path) -> KeyPair | None:
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return None
    return (key, cert) if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _write(key_path: Path, cert_path: Path, pair: KeyPair) -> None:
    key, cert = pair
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem_key)
    key_path.chmod(0o600)  # an older file keeps its mode through O_TRUNC
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
