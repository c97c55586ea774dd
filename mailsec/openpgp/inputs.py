"""What the one-call recipes accept, checked once: times, data, certificates and armor.

Every recipe (:func:`~mailsec.openpgp.sign`, :func:`~mailsec.openpgp.encrypt`,
:func:`~mailsec.openpgp.decrypt`, :func:`~mailsec.openpgp.generate_key` ...) takes the same kinds of
input, so the rules for them live here: a time must be aware and is kept to whole seconds, data may
be text (UTF-8) or bytes, armored or binary, and a secret key stands for its certificate where a
certificate is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from mailsec.errors import InputError
from mailsec.i18n import gettext, texts
from mailsec.openpgp.armor import ArmorLabel, armor, dearmor, dearmor_buffer, is_armored
from mailsec.openpgp.certs import Certificate, SecretKey

__all__ = ["armor_if", "binary", "binary_buffer", "certificates", "data_bytes", "moment"]

TEXT = texts(
    {
        "naive": "The time {when!r} has no time zone; give an aware datetime (UTC).",
        "not_bytes": "The {what} must be bytes, not {kind}.",
        "empty": "The {what} is empty.",
        "not_certs": "The {what} must be certificates (read them with read_cert()), not {kind}.",
        # What the callers name (the ``what`` of these functions).
        "what": (
            "data",
            "message",
            "signed message",
            "signature",
            "certificates",
            "certificates to verify with",
        ),
    }
)
"""The inputs' errors, in words (see :mod:`mailsec.i18n`)."""


def moment(now: datetime | None) -> datetime:
    """``now`` (or the current time) in UTC, in whole seconds as OpenPGP stores times (RFC 4880
    §3.5); a time without a time zone is refused."""
    when = now or datetime.now(timezone.utc)
    if when.tzinfo is None:
        raise InputError(TEXT["naive"].format(when=when))
    return when.astimezone(timezone.utc).replace(microsecond=0)


def data_bytes(data: bytes | str, what: str = "data") -> bytes:
    """Data to sign or encrypt as bytes: text is encoded as UTF-8."""
    if isinstance(data, str):
        return data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(TEXT["not_bytes"].format(what=gettext(what), kind=type(data).__name__))
    return bytes(data)


def binary(data: bytes | str, what: str) -> bytes:
    """OpenPGP data as binary packets: not empty, and dearmored when it is armored (RFC 4880 §6)."""
    octets = _not_empty(data, what)
    return dearmor(octets)[1] if is_armored(octets) else octets


def binary_buffer(data: bytes | str, what: str) -> bytes | bytearray:
    """:func:`binary`, with armored data decoded into a buffer of its own that the caller may
    change in place; binary data comes back as it was given (read-only)."""
    octets = _not_empty(data, what)
    return dearmor_buffer(octets)[1] if is_armored(octets) else octets


def _not_empty(data: bytes | str, what: str) -> bytes:
    octets = data_bytes(data, what)
    if not octets or octets.isspace():  # nothing but blanks (tested without copying the data)
        raise InputError(TEXT["empty"].format(what=gettext(what)))
    return octets


def armor_if(data: bytes, label: ArmorLabel, wanted: bool) -> bytes:
    """``data`` ASCII-armored with ``label`` when ``wanted``, else as it is."""
    return armor(data, label) if wanted else data


def certificates(certs: Sequence[Certificate] | Certificate, what: str) -> list[Certificate]:
    """The certificates to check or encrypt with; a secret key counts as its certificate."""
    items = [certs] if isinstance(certs, (Certificate, SecretKey)) else list(certs)
    out = []
    for item in items:
        if isinstance(item, SecretKey):
            out.append(item.public)
        elif isinstance(item, Certificate):
            out.append(item)
        else:
            raise InputError(TEXT["not_certs"].format(what=gettext(what), kind=type(item).__name__))
    return out
