"""The MIME side of PGP/MIME: canonical form, the micalg parameter, and building and parsing entities.

What :mod:`~mailsec.openpgp.pgpmime.build` and :mod:`~mailsec.openpgp.pgpmime.read` share: the
email policy (CRLF line ends, RFC 3156 §5), the canonical form that is signed, the ``micalg`` name
of a signature's hash, and the few steps every message goes through with the standard ``email``
package (a text becomes a 7-bit entity, an outer message gets its headers, raw bytes are parsed).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.mime import parse as parse_mail
from mailsec.openpgp.armor import dearmor
from mailsec.openpgp.constants import PacketTag
from mailsec.openpgp.packets import read_packets
from mailsec.openpgp.signatures import parse_signature

__all__ = [
    "MICALG",
    "POLICY",
    "application_part",
    "as_bytes",
    "as_entity",
    "boundary_for",
    "canonicalize",
    "entity_bytes",
    "micalg_for",
    "outer_message",
    "parse",
    "structure",
]

TEXT = texts(
    {
        "one_hash": "A PGP/MIME signature needs exactly one hash algorithm (RFC 3156 §5).",
        "no_micalg": "The signature uses hash algorithm {hash_id}, which has no micalg name.",
        "body_type": "The message body must be text or an EmailMessage, not {kind}.",
        "eight_bit": "The MIME entity to protect contains 8-bit data; RFC 3156 §3 asks for 7-bit "
        "data. Use a quoted-printable or base64 Content-Transfer-Encoding.",
        "non_ascii": "The message contains characters outside ASCII; a mail message on the wire "
        "is 7-bit text. Paste the raw message as it was sent.",
        "message_type": "Expected a mail message (bytes, text or EmailMessage), not {kind}.",
    }
)
"""PGP/MIME's structure, in words (see :mod:`mailsec.i18n`)."""

#: Lines end in CRLF on the wire and in what is signed (RFC 3156 §5, RFC 5322 §2.1).
POLICY = email.policy.SMTP.clone(max_line_length=76)

#: micalg names of the OpenPGP hash algorithms (RFC 3156 §5, ids from RFC 4880 §9.4).
MICALG: dict[int, str] = {
    1: "pgp-md5",
    2: "pgp-sha1",
    3: "pgp-ripemd160",
    8: "pgp-sha256",
    9: "pgp-sha384",
    10: "pgp-sha512",
    11: "pgp-sha224",
}


def canonicalize(data: bytes) -> bytes:
    """Every line ending as CRLF (RFC 3156 §5: what is signed is the canonical form)."""
    return re.sub(rb"\r?\n", b"\r\n", data.replace(b"\r\n", b"\n"))


def micalg_for(signature: bytes) -> str:
    """The ``micalg`` parameter for a detached signature: ``pgp-`` + its hash (RFC 3156 §5)."""
    _label, binary = (
        dearmor(signature) if signature.lstrip().startswith(b"-----") else (None, signature)
    )
    hashes = {
        parse_signature(bytes(p.body)).hash_algorithm
        for p in read_packets(binary)
        if p.tag == PacketTag.SIGNATURE
    }
    if len(hashes) != 1:
        raise InputError(TEXT["one_hash"])
    (hash_id,) = hashes
    if hash_id not in MICALG:
        raise InputError(TEXT["no_micalg"].format(hash_id=hash_id))
    return MICALG[hash_id]


def as_entity(body: str | EmailMessage) -> EmailMessage:
    """The MIME entity to protect: a text becomes text/plain, UTF-8, 7-bit safe."""
    if isinstance(body, EmailMessage):
        return body
    if not isinstance(body, str):
        raise InputError(TEXT["body_type"].format(kind=type(body).__name__))
    part = EmailMessage(policy=POLICY)
    risky = any(line.startswith("From ") for line in body.splitlines())
    part.set_content(body, charset="utf-8", cte="base64" if risky else "quoted-printable")
    del part["MIME-Version"]  # only the outer message carries it (RFC 2045 §4)
    return part


def entity_bytes(entity: EmailMessage) -> bytes:
    data = entity.as_bytes(policy=POLICY)
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        raise InputError(TEXT["eight_bit"]) from None
    return canonicalize(data)


def outer_message(
    content_type: str, params: Mapping[str, str], headers: Mapping[str, str], now: datetime | None
) -> EmailMessage:
    outer = EmailMessage(policy=POLICY)
    for name, value in headers.items():
        outer[name] = value
    if "Date" not in outer and "From" in outer:  # RFC 5322 §3.6: a message has a Date
        outer["Date"] = format_datetime(now or datetime.now(timezone.utc))
    if "Message-ID" not in outer and "From" in outer:
        domain = str(outer["From"]).rpartition("@")[2].rstrip(">") or "example.org"
        outer["Message-ID"] = make_msgid(domain=domain)
    outer["MIME-Version"] = "1.0"
    outer.set_type(content_type)
    for key, value in params.items():
        outer.set_param(key, value)
    return outer


def structure(data: bytes) -> Message:
    """The MIME structure only, read with the fast compat32 policy (no header objects), within
    the course's bounds on size, header section and nesting (:mod:`mailsec.mime`)."""
    return parse_mail(data)


def parse(data: bytes) -> EmailMessage:
    """The message with header objects (the ``email`` package's default policy), within bounds."""
    message = parse_mail(data, policy=POLICY)
    assert isinstance(message, EmailMessage)
    return message


def as_bytes(message: bytes | str | Message) -> bytes:
    if isinstance(message, Message):
        return message.as_bytes(policy=POLICY)
    if isinstance(message, str):
        try:
            return message.encode("ascii")
        except UnicodeEncodeError:
            raise InputError(TEXT["non_ascii"]) from None
    if isinstance(message, bytes):
        return message
    raise InputError(TEXT["message_type"].format(kind=type(message).__name__))


def boundary_for(content: bytes) -> str:
    """A boundary that does not occur in the content (RFC 2046 §5.1.1)."""
    n = 0
    while True:
        boundary = f"=-=mailsec-pgp-{n:04d}=-="
        if boundary.encode() not in content:
            return boundary
        n += 1


def application_part(
    content: bytes,
    subtype: str,
    *,
    disposition: str | None = None,
    filename: str | None = None,
    description: str | None = None,
) -> EmailMessage:
    """A 7-bit ``application/<subtype>`` part of a security multipart, without MIME-Version (only
    the outer message carries it, RFC 2045 §4); with a file name, also as the ``name`` parameter
    that older mail clients read."""
    part = EmailMessage(policy=POLICY)
    part.set_content(
        content,
        maintype="application",
        subtype=subtype,
        cte="7bit",
        disposition=disposition,
        filename=filename,
    )
    if filename:
        part.set_param("name", filename)
    if description:
        part["Content-Description"] = description
    del part["MIME-Version"]
    return part
