"""The expiry date of a DER certificate, read without verifying it.

``ssl`` hands over the peer's certificate as DER even when verification is off, but decodes it
only when verified. The expiry is a few bytes deep in the DER, so a small reader suffices:
Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
signature, issuer, validity SEQUENCE { notBefore, notAfter }, ... }, ... } (RFC 5280 §4.1).
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["certificate_not_after"]

_SEQUENCE, _UTC_TIME, _GENERALIZED_TIME, _VERSION = 0x30, 0x17, 0x18, 0xA0


def _element(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at ``pos``."""
    tag, length = der[pos], der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(der[pos : pos + count], "big")
        pos += count
    if pos + length > len(der):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _children(der: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    children = []
    while start < end:
        child = _element(der, start)
        children.append(child)
        start = child[2]
    return children


def _time(tag: int, text: str) -> datetime:
    if tag == _UTC_TIME:  # YYMMDDHHMMSSZ, 1950-2049
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:  # YYYYMMDDHHMMSSZ
        raise ValueError("validity is not a time")
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)


def certificate_not_after(der: bytes) -> datetime:
    """The certificate's notAfter in UTC; ValueError if ``der`` is not a certificate."""
    try:
        tag, start, end = _element(der, 0)
        if tag != _SEQUENCE:
            raise ValueError("not a DER sequence")
        tag, start, end = _element(der, start)  # tbsCertificate
        if tag != _SEQUENCE:
            raise ValueError("no tbsCertificate")
        fields = _children(der, start, end)
        if fields and fields[0][0] == _VERSION:
            fields = fields[1:]
        tag, start, end = fields[3]  # serialNumber, signature, issuer, validity
        if tag != _SEQUENCE:
            raise ValueError("no validity")
        _not_before, (tag, start, end) = _children(der, start, end)[:2]
        return _time(tag, der[start:end].decode("ascii"))
    except (IndexError, UnicodeDecodeError) as error:
        raise ValueError(f"malformed certificate: {error}") from error
