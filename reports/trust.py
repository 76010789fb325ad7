"""The trust store of the portal's signing certificates (reports.models.SigningCertificate).

A PDF is signed once, at sign-off, and never re-signed; after the certificate is renewed, the PDFs
signed before must still verify. So verification trusts every certificate the portal has signed
with, each recorded here the first time it signs, and those an operator adds (a certificate used
before this store existed). Only certificates: the keys stay in their files.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from reports.models import SigningCertificate


class TrustStoreError(Exception):
    pass


@dataclass(frozen=True)
class CertificateFacts:
    fingerprint: str
    subject: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime


def facts(certificate) -> CertificateFacts:
    """What identifies an asn1crypto certificate to a person: subject, serial, validity."""
    validity = certificate["tbs_certificate"]["validity"]
    return CertificateFacts(
        fingerprint=hashlib.sha256(certificate.dump()).hexdigest(),
        subject=certificate.subject.human_friendly,
        serial=format(certificate.serial_number, "X"),
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
    )


def _pem(certificate) -> str:
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", certificate.dump()).decode("ascii")


def record(certificate, source=SigningCertificate.Source.SIGNED) -> tuple[SigningCertificate, bool]:
    """The store's row for the certificate, made now if it is not there yet: (row, created)."""
    known = facts(certificate)
    existing = SigningCertificate.objects.filter(fingerprint=known.fingerprint).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return SigningCertificate.objects.create(
                fingerprint=known.fingerprint,
                pem=_pem(certificate),
                subject=known.subject[:500],
                serial=known.serial,
                not_before=known.not_before,
                not_after=known.not_after,
                source=source,
            ), True
    except IntegrityError:  # another worker recorded it in between
        return SigningCertificate.objects.get(fingerprint=known.fingerprint), False


def add_pem(data: bytes) -> list[tuple[SigningCertificate, bool]]:
    """Add the certificate(s) of a PEM file; refuses a private key and anything not a certificate."""
    from cryptography import x509
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1

    if b"PRIVATE KEY" in data:
        raise TrustStoreError("the file holds a private key: the trust store takes certificates only.")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise TrustStoreError(f"not a PEM certificate ({exc}).") from exc
    return [
        record(translate_pyca_cryptography_cert_to_asn1(cert), SigningCertificate.Source.ADDED)
        for cert in certs
    ]


def lookup(certificate) -> SigningCertificate | None:
    return SigningCertificate.objects.filter(
        fingerprint=hashlib.sha256(certificate.dump()).hexdigest()
    ).first()


def load(row: SigningCertificate):
    """The asn1crypto certificate of a row."""
    from asn1crypto import pem, x509

    _type, _headers, der = pem.unarmor(row.pem.encode("ascii"))
    return x509.Certificate.load(der)


# --- Backup and restore (called by om_portal.backup through ReportsConfig) ----------------------

BACKUP_DIR = "signing"


def backup_files(folder, *, include_key: bool) -> dict:
    """Write the trust store's certificates (and the current chain; the current key only when the
    operator asks) under ``folder/signing``; returns the manifest's section.

    The current certificate is recorded first, so that a backup made before it ever signed still
    carries it. The rows also travel in the database dump; the PEM files are there for a person
    (and an installation) to pick up without restoring the database.
    """
    from pathlib import Path

    from reports import signing

    current = signing.signing_certificate()
    record(current)
    target = Path(folder) / BACKUP_DIR
    (target / "trust").mkdir(parents=True, exist_ok=True)
    fingerprints = []
    for row in SigningCertificate.objects.all():
        (target / "trust" / f"{row.fingerprint}.pem").write_text(row.pem)
        fingerprints.append(row.fingerprint)
    cert_path, key_path = signing.key_files()
    (target / "current-cert.pem").write_bytes(Path(cert_path).read_bytes())
    section = {"certificates": fingerprints, "current": facts(current).fingerprint, "key": include_key}
    if include_key:
        (target / "current-key.pem").write_bytes(Path(key_path).read_bytes())
        section["warning"] = (
            f"The backup holds the signing private key ({target / 'current-key.pem'}): whoever has it "
            "can sign PDFs as this portal. Keep it off the machine, encrypted, and apart from other copies."
        )
    return section


def restore_files(folder, section: dict) -> list[str]:
    """Put the trust store back (any certificate of the backup the restored database lacks), and a
    backed-up development key where this installation has none yet; returns what is still missing."""
    from pathlib import Path

    from django.conf import settings

    from reports import signing

    source = Path(folder) / BACKUP_DIR
    for path in sorted((source / "trust").glob("*.pem")):
        if not SigningCertificate.objects.filter(fingerprint=path.stem).exists():
            add_pem(path.read_bytes())
    if section.get("key") and not settings.REPORT_SIGNING_CERT_FILE and not settings.REPORT_SIGNING_KEY_FILE:
        # The development certificate: the restored portal goes on signing with the same key.
        dev = Path(settings.REPORT_SIGNING_DEV_DIR)
        if not (dev / signing.DEV_CERT_NAME).exists():
            dev.mkdir(mode=0o700, parents=True, exist_ok=True)
            signing._write_atomically(
                dev / signing.DEV_KEY_NAME, (source / "current-key.pem").read_bytes(), 0o600
            )
            signing._write_atomically(
                dev / signing.DEV_CERT_NAME, (source / "current-cert.pem").read_bytes(), 0o644
            )
            signing.clear_cache()
    known = set(SigningCertificate.objects.values_list("fingerprint", flat=True))
    return [
        f"signing certificate {fingerprint}: not in the restored trust store"
        for fingerprint in section.get("certificates", [])
        if fingerprint not in known
    ]
