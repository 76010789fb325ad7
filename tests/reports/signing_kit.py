"""What the signing tests share: a real report-like PDF, and certificates made on the spot (a CA,
certificates it issues, an impostor's self-signed one) written as PEM files where a test
configures the portal with them."""

import datetime as dt
import io
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.template import Context, Template

from reports.pdf import write_pdf
from reports.signing import DEV_COMMON_NAME

SAMPLE = Template(
    '{% extends "reports/pdf/base.html" %}{% block content %}'
    "<h1>{{ title }}</h1><p>本月共处理故障 12 起，全部在约定时限内解决；巡检 30 次，发现问题 2 项。</p>"
    "{% endblock %}"
)


def sample_pdf(title="运维服务月报（2026年6月）") -> bytes:
    """A real WeasyPrint PDF in the reports' frame, with Chinese text."""
    doc = {"code": "A-2026-OM", "title": title, "period_label": "2026-06-01 – 2026-06-30"}
    return write_pdf(SAMPLE.render(Context({"doc": doc, "title": title, "signature": None})))


def make_certificate(common_name, *, issuer=None, ca=False, days=365):
    """(key, certificate): self-signed, or issued by ``issuer`` = (key, certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_key, issuer_name = (issuer[0], issuer[1].subject) if issuer else (key, name)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return key, cert


def write_pem(directory: Path, stem: str, key, certs, passphrase: str = "") -> tuple[Path, Path]:
    """``stem``.crt (the certificates, in order) and ``stem``.key (encrypted if a passphrase)."""
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    return cert_path, key_path


def sign_with(pdf: bytes, key, cert, field_name="Signature1") -> bytes:
    """The PDF signed as the portal signs (PAdES), but with another key and certificate."""
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=SimpleCertificateStore(),
    )
    meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=SigSeedSubFilter.PADES)
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer).getvalue()


def impostor():
    """A self-signed certificate under the very name of the portal's development certificate."""
    return make_certificate(DEV_COMMON_NAME)
