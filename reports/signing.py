"""PAdES signatures on the PDFs the portal issues, and their verification.

Every signed-off report and acceptance package is signed with the portal's certificate
(``REPORT_SIGNING_CERT_FILE`` / ``REPORT_SIGNING_KEY_FILE``, PEM). Without one configured, a
self-signed development certificate is generated once under ``REPORT_SIGNING_DEV_DIR`` and kept:
every worker and every restart must sign with the same key, or yesterday's PDFs would no longer
verify.

Verification trusts the portal's own certificates, and no others: the current one and each one
in the trust store (reports.trust: every certificate the portal has signed with, so that a PDF
signed before a renewal still verifies). Trusting the issuing CA instead would also vouch for every
other certificate that CA ever issued, which says nothing about whether the portal issued the file.
"""

import binascii
import datetime as dt
import fcntl
import functools
import logging
import os
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import parser as asn1_parser
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

FIELD_NAME = "Signature1"
DEV_COMMON_NAME = "运维合同管理平台 报告签章 (开发用)"
DEV_VALID_DAYS = 3650
DEV_CERT_NAME = "dev-signing-cert.pem"
DEV_KEY_NAME = "dev-signing-key.pem"


@dataclass(frozen=True)
class Identity:
    """The portal's signing certificate (asn1crypto), the certificates issued above it, and a
    pyhanko signer holding the key."""

    signer: object
    certificate: object
    chain: tuple = ()


# --- The signing identity ----------------------------------------------------------------------


def signer():
    """The pyhanko ``SimpleSigner`` of the configured (or development) certificate, cached."""
    return _identity().signer


def signing_certificate():
    """The portal's signing certificate (an asn1crypto ``Certificate``)."""
    return _identity().certificate


def key_files() -> tuple[str, str]:
    """The paths of the current certificate (with its chain) and key files."""
    if settings.REPORT_SIGNING_CERT_FILE or settings.REPORT_SIGNING_KEY_FILE:
        return settings.REPORT_SIGNING_CERT_FILE, settings.REPORT_SIGNING_KEY_FILE
    _identity()  # makes the development certificate if there is none yet
    directory = Path(settings.REPORT_SIGNING_DEV_DIR)
    return str(directory / DEV_CERT_NAME), str(directory / DEV_KEY_NAME)


def clear_cache() -> None:
    """Forget the loaded certificate, so that the next use reads the files again."""
    _load_identity.cache_clear()


def _identity() -> Identity:
    return _load_identity(
        settings.REPORT_SIGNING_CERT_FILE,
        settings.REPORT_SIGNING_KEY_FILE,
        settings.REPORT_SIGNING_KEY_PASSPHRASE,
        str(settings.REPORT_SIGNING_DEV_DIR),
    )


@functools.lru_cache(maxsize=4)
def _load_identity(cert_file: str, key_file: str, passphrase: str, dev_dir: str) -> Identity:
    if cert_file or key_file:
        if not (cert_file and key_file):
            raise ImproperlyConfigured(
                "REPORT_SIGNING_CERT_FILE and REPORT_SIGNING_KEY_FILE must be set together "
                "(or both left empty for the development certificate)."
            )
        return _identity_from_files(
            Path(cert_file), Path(key_file), passphrase, "REPORT_SIGNING_CERT_FILE", "REPORT_SIGNING_KEY_FILE"
        )
    directory = Path(dev_dir)
    cert_path, key_path = directory / DEV_CERT_NAME, directory / DEV_KEY_NAME
    if not cert_path.exists():
        _create_dev_certificate(directory)
    return _identity_from_files(cert_path, key_path, "", str(cert_path), str(key_path))


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"{what}: cannot read {str(path)!r} ({exc.strerror or exc}).") from exc


def _identity_from_files(cert_path: Path, key_path: Path, passphrase: str, cert_what: str, key_what: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    # The certificate file holds the signing certificate first, then any CA certificates above
    # it, which go into each signature so that other readers can build the path to their CA.
    try:
        certs = x509.load_pem_x509_certificates(_read(cert_path, cert_what))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{cert_what}: {str(cert_path)!r} is not a PEM certificate ({exc})."
        ) from exc
    try:
        key = serialization.load_pem_private_key(
            _read(key_path, key_what), password=passphrase.encode() if passphrase else None
        )
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for a plain key
        raise ImproperlyConfigured(
            f"{key_what}: {str(key_path)!r} and REPORT_SIGNING_KEY_PASSPHRASE do not go together ({exc})."
        ) from exc
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{key_what}: {str(key_path)!r} is not a PEM private key, or the passphrase is wrong."
        ) from exc

    cert = certs[0]
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise ImproperlyConfigured(
            f"The private key {str(key_path)!r} does not belong to the certificate {str(cert_path)!r}."
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise ImproperlyConfigured(
            f"The certificate {str(cert_path)!r} may not sign documents: its key usage has neither "
            "digitalSignature nor nonRepudiation."
        )

    certificate = translate_pyca_cryptography_cert_to_asn1(cert)
    chain = tuple(translate_pyca_cryptography_cert_to_asn1(c) for c in certs[1:])
    registry = SimpleCertificateStore()
    registry.register_multiple(chain)
    simple = SimpleSigner(
        signing_cert=certificate,
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=registry,
    )
    return Identity(signer=simple, certificate=certificate, chain=chain)


def _create_dev_certificate(directory: Path) -> None:
    """Generate the development certificate unless another process already has.

    An exclusive lock on a file in the directory makes concurrent workers queue: the first
    writes the key and then the certificate (each to a temporary file renamed into place), the
    others find the certificate when they get the lock and use it.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (directory / DEV_CERT_NAME).exists():
            return
        key_pem, cert_pem = _self_signed_pem(DEV_COMMON_NAME, DEV_VALID_DAYS)
        # The key first: a certificate on disk means its key is there too.
        _write_atomically(directory / DEV_KEY_NAME, key_pem, 0o600)
        _write_atomically(directory / DEV_CERT_NAME, cert_pem, 0o644)
        log.warning(
            "reports: generated a self-signed development signing certificate in %s; "
            "set REPORT_SIGNING_CERT_FILE and REPORT_SIGNING_KEY_FILE in production",
            directory,
        )


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _self_signed_pem(common_name: str, days: int) -> tuple[bytes, bytes]:
    """A new RSA-2048 key and a self-signed certificate for it that may sign documents."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # An hour back: a signature checked on a machine whose clock is a little behind.
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


# --- Signing -------------------------------------------------------------------------------------


def sign_pdf(data: bytes, *, reason: str, location: str = "", name: str = "", record: bool = True) -> bytes:
    """The PDF with an invisible PAdES B-B signature over the whole file, in field Signature1.

    ``record`` puts the certificate into the trust store the first time it signs, so that its PDFs
    still verify after it is renewed (False only where there is no database)."""
    out = BytesIO()
    sign_file(BytesIO(data), out, reason=reason, location=location, name=name, record=record)
    return out.getvalue()


def sign_file(source, out, *, reason: str, location: str = "", name: str = "", record: bool = True) -> None:
    """``sign_pdf`` from one binary file to another (seekable, ``out`` readable too), for a PDF
    too big to hold in memory twice: pyhanko copies the input in chunks, then reads the output
    back in chunks for the digest and writes the signature into it."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=str(reason) or None,
        location=str(location) or None,
        name=str(name) or None,
    )
    writer = IncrementalPdfFileWriter(source)
    signers.sign_pdf(writer, meta, signer=signer(), output=out)
    if record:
        from reports import trust

        trust.record(signing_certificate())


# --- Verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the signature of a PDF says. ``problem`` is empty only when everything holds."""

    signed: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False  # made with one of the portal's signing certificates (current or past)
    covers_whole_file: bool = False
    signer: str = ""
    signed_at: dt.datetime | None = None
    problem: str = ""
    readable: bool = False  # the bytes parse as a PDF (a damaged one does not)
    refused: bool = False  # it would unpack past REPORT_VERIFY_MAX_DECODED_BYTES: not read on
    # The certificate that made the signature, and whether it is the one the portal signs with now.
    certificate: object = None  # reports.trust.CertificateFacts
    current_certificate: bool = False

    @property
    def ok(self) -> bool:
        return (
            self.signed
            and self.intact
            and self.valid
            and self.trusted
            and self.covers_whole_file
            and not self.problem
        )


def looks_like_pdf(data: bytes) -> bool:
    # Readers accept the header anywhere in the first kilobyte.
    return b"%PDF-" in data[:1024]


def _decode_limits():
    """What pyhanko may inflate while it reads an uploaded PDF. Verifying reads the cross-reference
    and object streams and the signature, a few hundred kilobytes for a portal report; a 1 MB file
    whose object stream inflates to 1 GB is a bomb (issue 14), refused at the limit."""
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits

    cap = settings.REPORT_VERIFY_MAX_DECODED_BYTES
    return DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=cap),
        document_budget=DocumentDecodeBudget(base_allowance=cap, max_ratio=0),
    )


def _unpacks_too_far() -> Verification:
    from django.template.defaultfilters import filesizeformat

    limit = filesizeformat(settings.REPORT_VERIFY_MAX_DECODED_BYTES)
    return Verification(
        problem=_("The file unpacks to more than %(max)s when it is read: it is refused.") % {"max": limit},
        refused=True,
    )


def verify_pdf(data: bytes) -> Verification:
    """Check the PDF's signature against the portal's certificate; never raises on bad input."""
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not looks_like_pdf(data):
        return Verification(problem=_("The file is not a PDF."))
    try:
        reader = PdfFileReader(BytesIO(data), strict=False, decode_limits=_decode_limits())
        reader.root  # noqa: B018  (reads the trailer and the catalogue: fails on a broken file)
    except PdfDecodeLimitError:
        return _unpacks_too_far()
    except Exception as exc:
        log.info("reports: unreadable PDF submitted for verification: %r", exc)
        return Verification(problem=_("The file is damaged: it cannot be read as a PDF."))
    try:
        signatures = reader.embedded_signatures
    except PdfDecodeLimitError:
        return _unpacks_too_far()
    except Exception as exc:
        log.info("reports: unreadable signature submitted for verification: %r", exc)
        return Verification(
            signed=True,
            readable=True,
            problem=_("The signature in the file is damaged and cannot be checked."),
        )
    if not signatures:
        return Verification(readable=True, problem=_("The PDF carries no digital signature."))

    # The last signature is the one that can cover the whole file; more than one is a problem
    # of its own, since the portal signs each document exactly once.
    embedded = signatures[-1]
    try:
        status, current = _validate(embedded)
    except ImproperlyConfigured:
        raise  # the portal's fault, not the file's
    except PdfDecodeLimitError:
        return _unpacks_too_far()
    except Exception as exc:
        log.info("reports: signature could not be validated: %r", exc)
        return Verification(
            signed=True,
            readable=True,
            problem=_("The signature in the file is damaged and cannot be checked."),
        )
    from pyhanko.sign.validation import SignatureCoverageLevel

    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and _only_signature_outside_range(
        embedded, data
    )
    from reports.trust import facts

    # One of our certificates, but it must have been valid when it signed, not today: a renewed
    # one has often expired since. pyhanko checks no validity period on a trust anchor, and each
    # of ours is one. The time is the one the signature states (a B-B signature carries no
    # timestamp authority's), which only our own keys can state on a trusted signature.
    certificate = facts(status.signing_cert)
    signed_at = status.signer_reported_dt or timezone.now()
    in_validity = certificate.not_before <= signed_at <= certificate.not_after
    if not status.intact:
        problem = _(
            "The document was changed after it was signed: its content no longer matches the signature."
        )
    elif not status.valid:
        problem = _("The signature is not valid: it was not made over this content with this certificate.")
    elif not whole:
        problem = _(
            "The file was changed after it was signed: it holds bytes that the signature does not cover."
        )
    elif len(signatures) > 1:
        problem = _(
            "The file carries %(count)d signatures; a document issued by this portal carries exactly one."
        ) % {"count": len(signatures)}
    elif not status.trusted:
        problem = _("The signature was not made with this portal's signing certificate.")
    elif not in_validity:
        problem = _(
            "The signature is dated %(signed_at)s, outside its certificate's validity "
            "(%(not_before)s – %(not_after)s)."
        ) % {
            "signed_at": f"{status.signer_reported_dt:%Y-%m-%d %H:%M:%S}",
            "not_before": f"{certificate.not_before:%Y-%m-%d %H:%M:%S}",
            "not_after": f"{certificate.not_after:%Y-%m-%d %H:%M:%S}",
        }
    else:
        problem = ""
    return Verification(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted) and in_validity,
        covers_whole_file=whole,
        signer=_subject_name(status.signing_cert),
        signed_at=status.signer_reported_dt,
        problem=problem,
        readable=True,
        certificate=certificate,
        current_certificate=current,
    )


def _validate(embedded):
    """(pyhanko's status, whether the signer's certificate is the current one)."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    identity = _identity()
    # Trusted means made with one of our certificates, so only a signature whose certificate is
    # ours (the current one, or one in the trust store) gets it as a trust anchor. Others are
    # checked for integrity alone, with no anchor at all: an impostor's certificate under our name
    # would otherwise be "chained" to ours by name, and pyhanko fails on a key type that differs
    # instead of reporting an untrusted path.
    current = embedded.signer_cert.dump() == identity.certificate.dump()
    ours = current
    if not current:
        from reports import trust

        ours = trust.lookup(embedded.signer_cert) is not None
    context = ValidationContext(
        trust_roots=[embedded.signer_cert] if ours else [],
        other_certs=list(identity.chain),
        allow_fetching=False,  # no network: there is no one else to ask
        revocation_mode="soft-fail",
    )
    # Either usage marks a certificate meant for signing documents (pyhanko insists on
    # nonRepudiation alone by default, which many issued signing certificates lack).
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    # Whole-file coverage is required, so there are no later revisions to analyse.
    return validate_pdf_signature(embedded, context, key_usage_settings=usage, skip_diff=True), current


def _only_signature_outside_range(embedded, data: bytes) -> bool:
    """Whether the one gap in the signed byte range holds exactly the signature and its padding.

    The gap is the hex-encoded ``/Contents``, which the signature cannot cover. pyhanko reads the
    CMS structure from its start and ignores what follows, so without this check a changed byte in
    the zero padding, or a hex digit changed to its other case, would leave the signature valid.
    """
    _, first_length, second_start, _ = (int(n) for n in embedded.byte_range)
    contents = embedded.pkcs7_content
    try:
        _class, _method, _tag, header, body, trailer = asn1_parser.parse(contents)
    except ValueError:
        return False
    if any(contents[len(header) + len(body) + len(trailer) :]):
        return False
    hexed = binascii.hexlify(contents)
    return data[first_length:second_start] in (b"<" + hexed.upper() + b">", b"<" + hexed + b">")


def _subject_name(cert) -> str:
    subject = cert.subject.native
    name = subject.get("common_name") or subject.get("organization_name")
    if isinstance(name, list):
        name = " ".join(name)
    return name or cert.subject.human_friendly
