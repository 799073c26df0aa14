"""`gridflow certs` and `gridflow serve --https`: the local CA signs a
localhost certificate that a TLS client trusting only that CA accepts."""
from __future__ import annotations

import ipaddress
import ssl
import subprocess
import sys
import time

import httpx
import pytest

pytest.importorskip("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from server.certs import ensure_certificates  # noqa: E402

from .helpers import ROOT, free_port  # noqa: E402


def test_ca_signs_a_localhost_certificate(tmp_path):
    paths, done = ensure_certificates(tmp_path)
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    leaf = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.issuer == ca.subject
    ca.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes, ec.ECDSA(leaf.signature_hash_algorithm))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days <= 398
    assert paths.key.stat().st_mode & 0o077 == 0, "private key readable by others"
    assert any("certificate authority" in line for line in done)


def test_rerun_keeps_the_ca_and_renew_reissues_only_the_leaf(tmp_path):
    paths, _ = ensure_certificates(tmp_path)
    ca_before, leaf_before = paths.ca_cert.read_bytes(), paths.cert.read_bytes()
    _, done = ensure_certificates(tmp_path)
    assert paths.ca_cert.read_bytes() == ca_before and paths.cert.read_bytes() == leaf_before
    assert any("is valid" in line for line in done)
    ensure_certificates(tmp_path, renew=True)
    assert paths.ca_cert.read_bytes() == ca_before
    assert paths.cert.read_bytes() != leaf_before


def test_corrupt_ca_is_a_clear_error(tmp_path):
    paths, _ = ensure_certificates(tmp_path)
    paths.ca_cert.write_text("not a certificate")
    with pytest.raises(ValueError, match="ca.crt"):
        ensure_certificates(tmp_path)


def test_serve_https_is_trusted_through_the_local_ca(tmp_path):
    certs = tmp_path / "certs"
    port = free_port()
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gridflow", "serve", "--https", "--certs-dir", str(certs),
                             "--port", str(port), "--data", str(tmp_path / "data"), "--log-level", "warning"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (certs / "ca.crt").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        ctx = ssl.create_default_context(cafile=str(certs / "ca.crt"))
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"https://localhost:{port}/health", verify=ctx, timeout=2)
                break
            except httpx.ConnectError:
                time.sleep(0.2)
        assert answer is not None, (tmp_path / "server.log").read_text()
        assert answer.status_code == 200
        manifest = httpx.get(f"https://localhost:{port}/addin/manifest.xml", verify=ctx, timeout=10)
        assert manifest.status_code == 200 and "https://" in manifest.text
        # a client that does not trust the CA refuses the connection
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"https://localhost:{port}/health", timeout=5)
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
