"""Local HTTPS for the Office add-in: a certificate authority of this machine
and a localhost certificate it signs.

Office loads add-ins (manifest, task pane, custom-functions JS) only from
``https://`` addresses that the machine trusts.  ``gridflow certs`` makes a
CA once (kept, so the trust a user gave it survives re-issuing) and a
short-lived localhost server certificate; ``gridflow serve --https`` uses
them.  The user trusts ``ca.crt`` once with the commands printed by
:func:`trust_instructions`.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

CA_DAYS = 10 * 365
SERVER_DAYS = 397          # browsers refuse server certificates valid for longer than 398 days
RENEW_BEFORE_DAYS = 30
SERVER_NAMES = ("localhost",)
SERVER_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class CertPaths:
    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def cert(self) -> Path:
        return self.folder / "localhost.crt"

    @property
    def key(self) -> Path:
        return self.folder / "localhost.key"


def default_folder() -> Path:
    data = os.environ.get("GRIDFLOW_DATA")
    base = Path(data) if data else Path.home() / ".local" / "share" / "gridflow"
    return base.expanduser() / "certs"


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by its owner only, atomically (temporary file, then rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _load_cert(path: Path):
    from cryptography import x509
    return x509.load_pem_x509_certificate(path.read_bytes())


def _needs_renewal(cert, now: dt.datetime) -> bool:
    return cert.not_valid_after_utc - now < dt.timedelta(days=RENEW_BEFORE_DAYS)


def _make_ca(paths: CertPaths, now: dt.datetime):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "GridFlow local"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"GridFlow local CA ({os.uname().nodename})")])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(paths.ca_key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    _write_public(paths.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _make_server_cert(paths: CertPaths, ca_key, ca_cert, now: dt.datetime, extra_names: tuple[str, ...]):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(n) for n in dict.fromkeys((*SERVER_NAMES, *extra_names))]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(paths.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    _write_public(paths.cert, cert.public_bytes(serialization.Encoding.PEM))
    return cert


def ensure_certificates(folder: str | Path | None = None, *, renew: bool = False,
                        extra_names: tuple[str, ...] = ()) -> tuple[CertPaths, list[str]]:
    """Make the CA (once) and a valid localhost certificate in ``folder``.

    Returns the paths and what was done (lines for the user).  An existing CA
    is kept so a trust already given to it still holds; the server
    certificate is re-issued when missing, expiring within 30 days, or when
    ``renew`` is set."""
    from cryptography.hazmat.primitives import serialization

    paths = CertPaths(Path(folder).expanduser() if folder else default_folder())
    paths.folder.mkdir(parents=True, exist_ok=True)
    now = _now()
    done: list[str] = []
    ca_key = ca_cert = None
    if paths.ca_cert.exists() and paths.ca_key.exists():
        try:
            ca_cert = _load_cert(paths.ca_cert)
            ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
        except ValueError as exc:
            raise ValueError(f"{paths.ca_cert} or {paths.ca_key} is not a PEM certificate/key ({exc}); "
                             f"move them away to make a new CA") from exc
        if _needs_renewal(ca_cert, now):
            ca_key = ca_cert = None
            done.append("the local CA was expiring: made a new one (trust it again)")
    if ca_cert is None:
        ca_key, ca_cert = _make_ca(paths, now)
        renew = True
        done.append(f"made a local certificate authority: {paths.ca_cert}")
    if not renew and paths.cert.exists() and paths.key.exists():
        try:
            current = _load_cert(paths.cert)
            renew = _needs_renewal(current, now) or current.issuer != ca_cert.subject
        except ValueError:
            renew = True
    else:
        renew = True
    if renew:
        _make_server_cert(paths, ca_key, ca_cert, now, extra_names)
        done.append(f"issued the localhost certificate: {paths.cert} (key {paths.key})")
    else:
        done.append(f"the localhost certificate is valid: {paths.cert}")
    return paths, done


def trust_instructions(paths: CertPaths) -> str:
    ca = paths.ca_cert
    return "\n".join([
        "Trust the GridFlow CA once, so Excel and the browser accept https://localhost:",
        f"  Windows (PowerShell, as you):  certutil -user -addstore Root \"{ca}\"",
        f"  macOS:   security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db \"{ca}\"",
        f"  Linux:   sudo cp \"{ca}\" /usr/local/share/ca-certificates/gridflow-local-ca.crt "
        f"&& sudo update-ca-certificates",
        "Then: gridflow serve --https   (serves https://localhost:8000/, the add-in at /addin/manifest.xml)",
    ])
