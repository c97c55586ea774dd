"""PGP/MIME (RFC 3156): OpenPGP inside mail, built and read with the standard ``email`` package.

Two MIME types carry OpenPGP in mail (RFC 1847 security multiparts):

``multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha512``
    Part 1 is the signed MIME entity, exactly as sent; part 2 (``application/pgp-signature``) is
    a detached signature over part 1's bytes, headers included, with every line ending in CRLF
    (RFC 3156 §5). Anyone can read part 1 without PGP; a PGP-aware client checks the signature.

``multipart/encrypted; protocol="application/pgp-encrypted"``
    Part 1 (``application/pgp-encrypted``) says ``Version: 1``; part 2
    (``application/octet-stream``) is an ASCII-armored OpenPGP message whose plaintext is a whole
    MIME entity, headers and body (RFC 3156 §4). Signing and encrypting together puts the
    signature inside the encrypted message (RFC 3156 §6.2), as GnuPG does.

What stays visible: the outer headers (From, To, Subject, Date) are not encrypted or signed.
RFC 3156 protects the body only.

Signed text is sent quoted-printable (RFC 3156 §3: signed data must survive 7-bit transport and
trailing-space stripping), or base64 when a line starts with "From " (which mailboxes mangle).
"""

from __future__ import annotations

import email
import email.policy
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid
from typing import Any

from mailsec.errors import InputError, MailsecError, VerificationError
from mailsec.openpgp.armor import ArmorLabel, armor, dearmor
from mailsec.openpgp.certs import Certificate, SecretKey
from mailsec.openpgp.encryption import decrypt, encrypt
from mailsec.openpgp.listing import list_packets
from mailsec.openpgp.packets import read_packets
from mailsec.openpgp.signatures import parse_signature
from mailsec.openpgp.signing import sign
from mailsec.openpgp.verifying import Verification, verify
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "MICALG",
    "Delivery",
    "MailPair",
    "PgpMimeKind",
    "PgpMimeResult",
    "Protection",
    "SealedSideBySide",
    "SideBySide",
    "Tamper",
    "canonicalize",
    "check_pair",
    "deliver",
    "encrypt_both",
    "encrypt_message",
    "encrypt_pair",
    "micalg_for",
    "open_pair",
    "protect",
    "read_message",
    "sign_both",
    "sign_message",
    "sign_pair",
    "split_signed",
]

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

_SIGNED_SECTION = "RFC 3156 §5"
_ENCRYPTED_SECTION = "RFC 3156 §4"
_COMBINED_SECTION = "RFC 3156 §6.2"


class PgpMimeKind(enum.Enum):
    """What kind of PGP/MIME message was read."""

    PLAIN = "plain"
    """No PGP/MIME at all: an ordinary message."""
    SIGNED = "signed"
    """multipart/signed: readable by anyone, signature checked (RFC 3156 §5)."""
    ENCRYPTED = "encrypted"
    """multipart/encrypted without a signature (RFC 3156 §4)."""
    ENCRYPTED_SIGNED = "encrypted+signed"
    """multipart/encrypted with a signature inside (RFC 3156 §6.1 or §6.2)."""


@dataclass(frozen=True)
class PgpMimeResult:
    """A PGP/MIME message, opened: its content, the signature outcomes and how it was read."""

    kind: PgpMimeKind
    content: EmailMessage
    """The protected MIME entity: part 1 of a signed message, or the decrypted entity."""
    verifications: tuple[Verification, ...] = ()
    signature_valid: bool | None = None
    """True when a good signature was found, False when signed but not verified, None unsigned."""
    micalg: str | None = None
    steps: Trace = field(default=(), repr=False)
    session_key_algorithm: str | None = None
    """The symmetric cipher of an encrypted message (for example "AES-256"), None if not encrypted."""

    @property
    def text(self) -> str | None:
        """The text/plain body of the content, if there is one."""
        part = self.content.get_body(preferencelist=("plain",))
        if part is None:
            return None
        return str(part.get_content()).replace("\r\n", "\n")


# -- small helpers ----------------------------------------------------------------------------


def canonicalize(data: bytes) -> bytes:
    """Every line ending as CRLF (RFC 3156 §5: what is signed is the canonical form)."""
    return re.sub(rb"\r?\n", b"\r\n", data.replace(b"\r\n", b"\n"))


def micalg_for(signature: bytes) -> str:
    """The ``micalg`` parameter for a detached signature: ``pgp-`` + its hash (RFC 3156 §5)."""
    _label, binary = (
        dearmor(signature) if signature.lstrip().startswith(b"-----") else (None, signature)
    )
    hashes = {parse_signature(p.body).hash_algorithm for p in read_packets(binary) if p.tag == 2}
    if len(hashes) != 1:
        raise InputError("A PGP/MIME signature needs exactly one hash algorithm (RFC 3156 §5).")
    (hash_id,) = hashes
    if hash_id not in MICALG:
        raise InputError(f"The signature uses hash algorithm {hash_id}, which has no micalg name.")
    return MICALG[hash_id]


def _entity(body: str | EmailMessage) -> EmailMessage:
    """The MIME entity to protect: a text becomes text/plain, UTF-8, 7-bit safe."""
    if isinstance(body, EmailMessage):
        return body
    if not isinstance(body, str):
        raise InputError(
            f"The message body must be text or an EmailMessage, not {type(body).__name__}."
        )
    part = EmailMessage(policy=POLICY)
    risky = any(line.startswith("From ") for line in body.splitlines())
    part.set_content(body, charset="utf-8", cte="base64" if risky else "quoted-printable")
    del part["MIME-Version"]  # only the outer message carries it (RFC 2045 §4)
    return part


def _entity_bytes(entity: EmailMessage) -> bytes:
    data = entity.as_bytes(policy=POLICY)
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        raise InputError(
            "The MIME entity to protect contains 8-bit data; RFC 3156 §3 asks for 7-bit data. "
            "Use a quoted-printable or base64 Content-Transfer-Encoding."
        ) from None
    return canonicalize(data)


def _outer(
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


def _quick(data: bytes) -> Message:
    """The MIME structure only, read with the fast compat32 policy (no header objects)."""
    return email.message_from_bytes(data, policy=email.policy.compat32)


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=POLICY)
    assert isinstance(message, EmailMessage)
    return message


def _as_bytes(message: bytes | str | Message) -> bytes:
    if isinstance(message, Message):
        return message.as_bytes(policy=POLICY)
    if isinstance(message, str):
        try:
            return message.encode("ascii")
        except UnicodeEncodeError:
            raise InputError(
                "The message contains characters outside ASCII; a mail message on the wire is "
                "7-bit text. Paste the raw message as it was sent."
            ) from None
    if isinstance(message, bytes):
        return message
    raise InputError(
        f"Expected a mail message (bytes, text or EmailMessage), not {type(message).__name__}."
    )


# -- building ---------------------------------------------------------------------------------


def sign_message(
    body: str | EmailMessage,
    signer: SecretKey,
    *,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """A multipart/signed message: ``body`` and a detached signature over it (RFC 3156 §5)."""
    return _parse(_signed_bytes(body, signer, headers=headers, now=now))


def _signed_bytes(
    body: str | EmailMessage,
    signer: SecretKey,
    *,
    headers: Mapping[str, str] | None,
    now: datetime | None,
) -> bytes:
    """:func:`sign_message` as the bytes on the wire (no parsing back: the labs' fast path)."""
    entity = _entity(body)
    signed = _entity_bytes(entity)
    signature = sign(signed, signer, text=True, armor=True, now=now)
    boundary = _boundary(signed + signature)
    outer = _outer(
        "multipart/signed",
        {"protocol": "application/pgp-signature", "micalg": micalg_for(signature)},
        headers or {},
        now,
    )
    outer.set_boundary(boundary)
    sig_part = EmailMessage(policy=POLICY)
    sig_part.set_content(
        signature,
        maintype="application",
        subtype="pgp-signature",
        cte="7bit",
        disposition="attachment",
        filename="signature.asc",
    )
    sig_part.set_param("name", "signature.asc")
    del sig_part["MIME-Version"]
    outer.attach(_parse(signed))
    outer.attach(sig_part)
    data = outer.as_bytes(policy=POLICY)
    # The generator must keep part 1 byte for byte, or the signature would not verify.
    if split_signed(data)[0] != signed:
        raise AssertionError("the email generator changed the signed part")  # pragma: no cover
    return data


def encrypt_message(
    body: str | EmailMessage,
    recipients: Sequence[Certificate],
    *,
    sign_with: Sequence[SecretKey] = (),
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """A multipart/encrypted message for ``recipients`` (RFC 3156 §4), signed inside when
    ``sign_with`` is given (RFC 3156 §6.2)."""
    return _parse(_encrypted_bytes(body, recipients, sign_with=sign_with, headers=headers, now=now))


def _encrypted_bytes(
    body: str | EmailMessage,
    recipients: Sequence[Certificate],
    *,
    sign_with: Sequence[SecretKey] = (),
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> bytes:
    """:func:`encrypt_message` as the bytes on the wire (the labs' fast path)."""
    if not recipients:
        raise InputError("Encrypting needs at least one recipient's certificate (public key).")
    entity = _entity(body)
    ciphertext = encrypt(
        _entity_bytes(entity), recipients, sign_with=sign_with, armor=True, now=now
    )
    outer = _outer(
        "multipart/encrypted", {"protocol": "application/pgp-encrypted"}, headers or {}, now
    )
    control = EmailMessage(policy=POLICY)
    control.set_content(
        b"Version: 1\r\n", maintype="application", subtype="pgp-encrypted", cte="7bit"
    )
    control["Content-Description"] = "PGP/MIME version identification"
    data = EmailMessage(policy=POLICY)
    data.set_content(
        ciphertext,
        maintype="application",
        subtype="octet-stream",
        cte="7bit",
        disposition="inline",
        filename="encrypted.asc",
    )
    data.set_param("name", "encrypted.asc")
    data["Content-Description"] = "OpenPGP encrypted message"
    for part in (control, data):
        del part["MIME-Version"]
        outer.attach(part)
    return outer.as_bytes(policy=POLICY)


def _boundary(content: bytes) -> str:
    """A boundary that does not occur in the content (RFC 2046 §5.1.1)."""
    n = 0
    while True:
        boundary = f"=-=mailsec-pgp-{n:04d}=-="
        if boundary.encode() not in content:
            return boundary
        n += 1


# -- reading ----------------------------------------------------------------------------------


def split_signed(message: bytes | str | Message) -> tuple[bytes, bytes]:
    """The two parts of a multipart/signed message as raw bytes: (signed part, signature part).

    Part 1 is cut out of the raw message between the boundary lines, CRLF canonical; the CRLF
    before a boundary line belongs to the boundary (RFC 2046 §5.1.1).
    """
    raw = canonicalize(_as_bytes(message))
    parsed = _quick(raw)
    if parsed.get_content_type() != "multipart/signed":
        raise InputError(
            f"This is a {parsed.get_content_type()} message, not multipart/signed (RFC 3156 §5)."
        )
    boundary = parsed.get_boundary()
    if not boundary:
        raise InputError(
            "The multipart/signed message has no boundary parameter (RFC 2046 §5.1.1)."
        )
    if not boundary.isascii() or not boundary.isprintable():
        raise InputError(
            f"The boundary {boundary!r} holds characters that are not printable ASCII "
            "(RFC 2046 §5.1.1); the message is damaged."
        )
    delimiter = b"\r\n--" + boundary.encode("ascii")
    head_end = raw.find(b"\r\n\r\n")
    body = b"\r\n" + raw[head_end + 4 :] if head_end >= 0 else b""
    chunks = body.split(delimiter)
    # chunks: preamble, part 1, part 2, closing "--" + epilogue
    parts = [c for c in chunks[1:] if not c.startswith(b"--")]
    if len(parts) != 2:
        raise InputError(
            f"A multipart/signed message has exactly two parts; this one has {len(parts)} "
            "(RFC 1847 §2.1)."
        )
    return tuple(p.split(b"\r\n", 1)[1] if b"\r\n" in p else b"" for p in parts)  # type: ignore[return-value]


def read_message(
    message: bytes | str | Message,
    *,
    keys: Sequence[SecretKey] = (),
    certs: Sequence[Certificate] = (),
    now: datetime | None = None,
) -> PgpMimeResult:
    """Open a PGP/MIME message: check a signature with ``certs``, decrypt with ``keys``.

    A signed message whose signature does not verify is returned with ``signature_valid`` False
    (its content was never secret). An encrypted message that cannot be decrypted, or fails its
    integrity check, raises :class:`~mailsec.errors.DecryptionError` and nothing is returned.
    """
    raw = canonicalize(_as_bytes(message))
    parsed = _quick(raw)
    kind = parsed.get_content_type()
    if kind == "multipart/signed":
        return _read_signed(raw, parsed, certs, now, ())
    if kind == "multipart/encrypted":
        return _read_encrypted(parsed, keys, certs, now)
    return PgpMimeResult(
        PgpMimeKind.PLAIN,
        _parse(raw),
        steps=(
            Step(
                f"The message is {kind}: no PGP/MIME protection at all.",
                Outcome.WARN,
                "RFC 3156 §1",
            ),
        ),
    )


def _read_signed(
    raw: bytes,
    parsed: Message,
    certs: Sequence[Certificate],
    now: datetime | None,
    before: Trace,
) -> PgpMimeResult:
    protocol = (parsed.get_param("protocol") or "").lower()
    micalg = str(parsed.get_param("micalg") or "").lower() or None
    steps = [
        *before,
        Step(
            f"multipart/signed, protocol={protocol or 'missing'}, micalg={micalg or 'missing'}.",
            Outcome.INFO,
            _SIGNED_SECTION,
        ),
    ]
    if protocol != "application/pgp-signature":
        raise InputError(
            f"The multipart/signed protocol is {protocol!r}, not 'application/pgp-signature': "
            "this is not a PGP/MIME signature (an S/MIME one uses application/pkcs7-signature)."
        )
    signed, signature_part = split_signed(raw)
    sig_entity = _quick(signature_part)
    if sig_entity.get_content_type() != "application/pgp-signature":
        raise InputError(
            f"Part 2 of the signed message is {sig_entity.get_content_type()}, not "
            "application/pgp-signature (RFC 3156 §5)."
        )
    signature = sig_entity.get_payload(decode=True) or b""
    content = _parse(signed)
    steps.append(
        Step(
            f"Signed part: {len(signed):,} bytes, headers included, lines ending in CRLF.",
            Outcome.INFO,
            _SIGNED_SECTION,
        )
    )
    used = micalg_for(signature)
    if micalg and micalg != used:
        steps.append(
            Step(
                f"micalg says {micalg} but the signature uses {used}.",
                Outcome.WARN,
                _SIGNED_SECTION,
            )
        )
    try:
        verifications = verify(signed, signature, certs, now=now)
    except VerificationError as exc:
        steps.append(Step(f"Signature not verified: {exc.message}", Outcome.FAIL, _SIGNED_SECTION))
        kind = PgpMimeKind.ENCRYPTED_SIGNED if before else PgpMimeKind.SIGNED
        return PgpMimeResult(kind, content, (), False, used, tuple(steps))
    good = [v for v in verifications if v.valid]
    steps.append(
        Step(
            f"Good signature from key {good[0].key_id}"
            + (f" ({good[0].reason})" if good[0].reason else "")
            + ".",
            Outcome.OK,
            _SIGNED_SECTION,
        )
    )
    kind = PgpMimeKind.ENCRYPTED_SIGNED if before else PgpMimeKind.SIGNED
    return PgpMimeResult(kind, content, verifications, True, used, tuple(steps))


def _read_encrypted(
    parsed: Message,
    keys: Sequence[SecretKey],
    certs: Sequence[Certificate],
    now: datetime | None,
) -> PgpMimeResult:
    protocol = (parsed.get_param("protocol") or "").lower()
    if protocol != "application/pgp-encrypted":
        raise InputError(
            f"The multipart/encrypted protocol is {protocol!r}, not 'application/pgp-encrypted' "
            "(RFC 3156 §4)."
        )
    payload = parsed.get_payload()
    parts = list(payload) if isinstance(payload, list) else []
    if len(parts) != 2:
        raise InputError(
            f"A multipart/encrypted message has two parts; this one has {len(parts)} (RFC 1847 §2.2)."
        )
    control, data = parts
    if control.get_content_type() != "application/pgp-encrypted":
        raise InputError(
            f"Part 1 is {control.get_content_type()}, not application/pgp-encrypted (RFC 3156 §4)."
        )
    control_text = (control.get_payload(decode=True) or b"").decode("ascii", "replace")
    if "Version: 1" not in control_text:
        raise InputError(
            f"Part 1 should say 'Version: 1' (RFC 3156 §4); it says {control_text.strip()!r}."
        )
    if data.get_content_type() != "application/octet-stream":
        raise InputError(
            f"Part 2 is {data.get_content_type()}, not application/octet-stream (RFC 3156 §4)."
        )
    if not keys:
        raise InputError("Decrypting needs the recipient's secret key; none was given.")
    steps: list[Step] = [
        Step(
            "multipart/encrypted, protocol=application/pgp-encrypted, Version: 1.",
            Outcome.INFO,
            _ENCRYPTED_SECTION,
        )
    ]
    # With no certificates given, check against the recipient's own: a signature by anyone else
    # then shows up as "not verified" instead of going unnoticed.
    verify_with = list(certs) or [key.public for key in keys]
    decrypted = decrypt(
        data.get_payload(decode=True) or b"", keys, verify_with=verify_with, now=now
    )
    steps.append(
        Step(
            f"Decrypted ({decrypted.session_key_algorithm or 'session key'}) with key "
            f"{decrypted.decrypted_with or '?'}; the integrity check (MDC) passed.",
            Outcome.OK,
            "RFC 4880 §5.13",
        )
    )
    inner = canonicalize(decrypted.plaintext)
    content = _parse(inner)
    if content.get_content_type() == "multipart/signed":  # sign, then encrypt (RFC 3156 §6.1)
        steps.append(
            Step(
                "Inside: a multipart/signed entity (signed, then encrypted).",
                Outcome.INFO,
                "RFC 3156 §6.1",
            )
        )
        signed = _read_signed(inner, content, certs, now, tuple(steps))
        return replace(signed, session_key_algorithm=decrypted.session_key_algorithm or None)
    if decrypted.verifications:
        good = [v for v in decrypted.verifications if v.valid]
        if good:
            steps.append(
                Step(
                    f"Good signature inside the encrypted message from key {good[0].key_id}.",
                    Outcome.OK,
                    _COMBINED_SECTION,
                )
            )
        else:
            reason = decrypted.verifications[0].reason or "no matching certificate"
            steps.append(
                Step(f"Signed inside, but not verified: {reason}.", Outcome.FAIL, _COMBINED_SECTION)
            )
        return PgpMimeResult(
            PgpMimeKind.ENCRYPTED_SIGNED,
            content,
            decrypted.verifications,
            bool(good),
            None,
            tuple(steps),
            decrypted.session_key_algorithm or None,
        )
    steps.append(
        Step(
            "Not signed: anyone with the recipient's public key could have written this.",
            Outcome.WARN,
            _ENCRYPTED_SECTION,
        )
    )
    return PgpMimeResult(
        PgpMimeKind.ENCRYPTED,
        content,
        (),
        None,
        None,
        tuple(steps),
        decrypted.session_key_algorithm or None,
    )


# -- a demonstration for the lab: send, change in transit, open ---------------------------------


class Protection(enum.Enum):
    """How the sender protects the mail."""

    ENCRYPT_AND_SIGN = "encrypt and sign"
    """multipart/encrypted with a signature inside (RFC 3156 §6.2)."""
    ENCRYPT = "encrypt only"
    """multipart/encrypted, no signature: private, but anyone could have sent it."""
    SIGN = "sign only"
    """multipart/signed: anyone can read it, nobody can change it unnoticed."""


class Tamper(enum.Enum):
    """What an attacker on the path changes before the mail arrives."""

    NOTHING = "nothing: delivered as sent"
    SUBJECT = "the Subject header"
    SESSION_KEY = "one byte of the encrypted session key (PKESK packet)"
    CIPHERTEXT = "one byte of the encrypted data (SEIPD packet)"
    TEXT = "one letter of the signed text"
    SIGNATURE = "one byte of the signature packet"

    def applies_to(self, protection: Protection) -> bool:
        if self in (Tamper.NOTHING, Tamper.SUBJECT):
            return True
        encrypted = protection is not Protection.SIGN
        return encrypted == (self in (Tamper.SESSION_KEY, Tamper.CIPHERTEXT))


@dataclass(frozen=True)
class Delivery:
    """A mail after its trip: what arrived, its OpenPGP packets, and how opening it went."""

    encrypted: bool
    tamper: Tamper
    change: str
    """What was changed, in words ("" when nothing was)."""
    message: bytes
    """The mail as it arrived."""
    openpgp_data: bytes
    """The OpenPGP part as it arrived (the encrypted message or the detached signature)."""
    result: PgpMimeResult | None
    """How the reader's program opened it; None when it refused."""
    refusal: str | None
    """The reader's program's message when it refused the mail."""
    steps: Trace = field(default=(), repr=False)

    @property
    def trustworthy(self) -> bool:
        """Opened, and (when signed) the signature is good."""
        return self.result is not None and self.result.signature_valid is not False


def protect(
    protection: Protection,
    text: str,
    *,
    sender: SecretKey,
    recipient: Certificate,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> bytes:
    """The mail as the sender's program sends it, as bytes."""
    if protection is Protection.SIGN:
        return _signed_bytes(text, sender, headers=headers, now=now)
    sign_with = [sender] if protection is Protection.ENCRYPT_AND_SIGN else []
    return _encrypted_bytes(text, [recipient], sign_with=sign_with, headers=headers, now=now)


def _openpgp_part(message: bytes) -> tuple[bytes, bytes]:
    """(the armored OpenPGP data as it appears in ``message``, its binary form)."""
    parsed = _quick(message)
    if parsed.get_content_type() == "multipart/signed":
        armored = _quick(split_signed(message)[1]).get_payload(decode=True) or b""
    else:
        armored = parsed.get_payload()[1].get_payload(decode=True) or b""
    return armored.strip(), dearmor(armored)[1]


def _flip_in_packet(binary: bytes, tag: int) -> tuple[bytes, int]:
    """Flip the lowest bit of a byte near the end of the first packet with ``tag``."""
    for packet in read_packets(binary):
        if packet.tag == tag:
            start = packet.offset + packet.header_length
            position = start + max(0, len(packet.body) - 8)
            changed = bytearray(binary)
            changed[position] ^= 0x01
            return bytes(changed), position
    raise InputError(f"The message has no packet with tag {tag} to change.")


def _change(message: bytes, tamper: Tamper) -> tuple[bytes, str]:
    if tamper is Tamper.NOTHING:
        return message, ""
    if tamper is Tamper.SUBJECT:
        head, sep, body = message.partition(b"\r\n\r\n")
        if b"\r\nSubject: " in b"\r\n" + head:
            lines = [
                b"Subject: URGENT: pay the invoice today" if line.startswith(b"Subject: ") else line
                for line in head.split(b"\r\n")
            ]
        else:
            lines = [*head.split(b"\r\n"), b"Subject: URGENT: pay the invoice today"]
        return b"\r\n".join(lines) + sep + body, "The Subject header was replaced."
    if tamper is Tamper.TEXT:
        signed, _ = split_signed(message)
        head, _sep, body = signed.partition(b"\r\n\r\n")
        index = next((i for i, c in enumerate(body) if 0x61 <= c <= 0x7A), None)
        if index is None:
            raise InputError("The signed text has no lower-case letter to change; type some text.")
        changed_body = body[:index] + bytes([body[index] - 0x20]) + body[index + 1 :]
        letter = chr(body[index])
        return (
            message.replace(signed, head + b"\r\n\r\n" + changed_body, 1),
            f"The letter {letter!r} of the signed part became {letter.upper()!r}.",
        )
    armored, binary = _openpgp_part(message)
    tag = {Tamper.SESSION_KEY: 1, Tamper.CIPHERTEXT: 18, Tamper.SIGNATURE: 2}[tamper]
    changed, position = _flip_in_packet(binary, tag)
    label = ArmorLabel.SIGNATURE if tag == 2 else ArmorLabel.MESSAGE
    # The attacker re-armors with a fresh CRC-24: the checksum only catches accidents.
    rearmored = armor(changed, label).strip()
    return (
        message.replace(armored, rearmored, 1),
        f"Byte {position} of the OpenPGP data ({tamper.value}) changed from "
        f"0x{binary[position]:02x} to 0x{changed[position]:02x}; the armor checksum was recomputed.",
    )


def deliver(
    message: bytes,
    *,
    tamper: Tamper,
    reader: SecretKey,
    certs: Sequence[Certificate],
    now: datetime | None = None,
) -> Delivery:
    """Change ``message`` in transit as ``tamper`` says, then open it as ``reader``."""
    encrypted = _quick(message).get_content_type() == "multipart/encrypted"
    if not tamper.applies_to(Protection.ENCRYPT if encrypted else Protection.SIGN):
        if encrypted:
            raise InputError(
                f"This mail is encrypted: '{tamper.value}' cannot be seen in transit; pick a "
                "change for encrypted mail (the session key, the encrypted data or the Subject)."
            )
        raise InputError(
            f"This mail is only signed, so there is no {tamper.value} to change; pick a change "
            "for signed mail (the text, the signature or the Subject)."
        )
    arrived, change = _change(message, tamper)
    _armored, binary = _openpgp_part(arrived)
    steps: list[Step] = []
    if change:
        steps.append(Step(f"In transit: {change}", Outcome.WARN))
    try:
        result = read_message(arrived, keys=[reader], certs=certs, now=now)
    except MailsecError as exc:
        steps.append(Step(f"The reader's program refuses the mail: {exc.message}", Outcome.FAIL))
        return Delivery(encrypted, tamper, change, arrived, binary, None, exc.message, tuple(steps))
    steps.extend(result.steps)
    return Delivery(encrypted, tamper, change, arrived, binary, result, None, tuple(steps))


# -- PGP/MIME next to S/MIME on the same message --------------------------------------------------


@dataclass(frozen=True)
class SideBySide:
    """The same text signed with PGP/MIME and with S/MIME, and how a reader checks each."""

    text: str
    changed: bool
    """Whether one letter of the signed text was changed in transit (in both)."""
    pgp_message: bytes
    smime_message: bytes
    pgp: PgpMimeResult
    smime: Any
    """The :class:`mailsec.smime.Verification` of the S/MIME message."""
    rows: tuple[tuple[str, str, str], ...]
    """(aspect, PGP/MIME, S/MIME) facts about these two messages."""

    @property
    def pgp_valid(self) -> bool:
        return self.pgp.signature_valid is True

    @property
    def smime_valid(self) -> bool:
        return bool(self.smime.valid)


def _change_letter(message: bytes, signed: bytes) -> bytes:
    head, _sep, body = signed.partition(b"\r\n\r\n")
    index = next((i for i, c in enumerate(body) if 0x61 <= c <= 0x7A), None)
    if index is None:
        return message
    return message.replace(
        signed,
        head + b"\r\n\r\n" + body[:index] + bytes([body[index] - 0x20]) + body[index + 1 :],
        1,
    )


@dataclass(frozen=True)
class MailPair:
    """The same text as a PGP/MIME mail and as an S/MIME mail, as sent, with facts about both."""

    text: str
    encrypted: bool
    pgp: bytes
    smime: bytes
    facts: tuple[tuple[str, str, str], ...]
    """(aspect, PGP/MIME, S/MIME) facts that do not depend on what happens in transit."""


def _plain_message(text: str, headers: Mapping[str, str]) -> bytes:
    message = _entity(text)
    for name, value in headers.items():
        message[name] = value
    return message.as_bytes(policy=POLICY)


def sign_pair(
    text: str,
    *,
    pgp_key: SecretKey,
    smime_key: Any,
    smime_certificate: Any,
    headers: Mapping[str, str],
    now: datetime | None = None,
) -> MailPair:
    """Sign ``text`` both ways: PGP/MIME (RFC 3156 §5) and S/MIME (RFC 8551 §3.5.3)."""
    from mailsec.smime import sign_message as smime_sign

    if not text.strip():
        raise InputError("The text is empty: type a few words to sign.")
    pgp = _signed_bytes(text, pgp_key, headers=headers, now=now)
    smime = smime_sign(_plain_message(text, headers), key=smime_key, certificate=smime_certificate)
    _pgp_signed, pgp_sig = split_signed(pgp)
    _smime_signed, smime_sig = split_signed(smime)
    facts = (
        (
            "Content-Type",
            "multipart/signed; protocol=application/pgp-signature",
            "multipart/signed; protocol=application/pkcs7-signature",
        ),
        (
            "Hash named in micalg",
            str(_quick(pgp).get_param("micalg")),
            str(_quick(smime).get_param("micalg")),
        ),
        (
            "Signature part",
            f"{len(pgp_sig):,} bytes, ASCII-armored OpenPGP packet",
            f"{len(smime_sig):,} bytes, base64 CMS SignedData",
        ),
        ("Whole mail", f"{len(pgp):,} bytes", f"{len(smime):,} bytes"),
        (
            "Carries the signer's key",
            "No: only its key ID and fingerprint",
            "Yes: the signer's certificate travels with the signature",
        ),
        (
            "The reader needs beforehand",
            "The sender's public key, and a reason to believe it is hers (web of trust)",
            "Only the root CA certificate in the trust store",
        ),
    )
    return MailPair(text, False, pgp, smime, facts)


def check_pair(
    pair: MailPair,
    *,
    pgp_certs: Sequence[Certificate],
    smime_trusted: Sequence[Any],
    change_text: bool = False,
    now: datetime | None = None,
) -> SideBySide:
    """Optionally change one letter of both signed mails, then check both signatures.

    ``pgp_certs`` are the OpenPGP certificates the reader already has; ``smime_trusted`` are the
    root certificates the reader's program trusts.
    """
    from mailsec.smime import verify_message as smime_verify

    if pair.encrypted:
        raise InputError("These mails are encrypted, not signed: open them with open_pair().")
    pgp, smime = pair.pgp, pair.smime
    if change_text:
        pgp = _change_letter(pgp, split_signed(pgp)[0])
        smime = _change_letter(smime, split_signed(smime)[0])
    pgp_result = read_message(pgp, certs=pgp_certs, now=now)
    smime_result = smime_verify(smime, trusted=smime_trusted, now=now)
    rows = (
        *pair.facts,
        (
            "Result here",
            "good signature" if pgp_result.signature_valid else "NOT verified",
            smime_result.status.value,
        ),
    )
    return SideBySide(pair.text, change_text, pgp, smime, pgp_result, smime_result, rows)


def sign_both(
    text: str,
    *,
    pgp_key: SecretKey,
    pgp_certs: Sequence[Certificate],
    smime_key: Any,
    smime_certificate: Any,
    smime_trusted: Sequence[Any],
    headers: Mapping[str, str],
    change_text: bool = False,
    now: datetime | None = None,
) -> SideBySide:
    """Sign ``text`` both ways, optionally change it, and check both (:func:`sign_pair`, then
    :func:`check_pair`). The S/MIME signature carries the signer's certificate; the OpenPGP one
    carries only a key ID and fingerprint."""
    pair = sign_pair(
        text,
        pgp_key=pgp_key,
        smime_key=smime_key,
        smime_certificate=smime_certificate,
        headers=headers,
        now=now,
    )
    return check_pair(
        pair, pgp_certs=pgp_certs, smime_trusted=smime_trusted, change_text=change_text, now=now
    )


@dataclass(frozen=True)
class SealedSideBySide:
    """The same text encrypted for Bob with PGP/MIME and with S/MIME, and how Bob opens each."""

    text: str
    changed: bool
    """Whether one byte of the encrypted data was changed in transit (in both)."""
    pgp_message: bytes
    smime_message: bytes
    pgp_text: str | None
    """What Bob's PGP program shows; None when it refused the mail."""
    smime_text: str | None
    pgp_refusal: str | None
    smime_refusal: str | None
    rows: tuple[tuple[str, str, str], ...]

    @property
    def pgp_opened(self) -> bool:
        return self.pgp_text is not None

    @property
    def smime_opened(self) -> bool:
        return self.smime_text is not None


def encrypt_pair(
    text: str,
    *,
    pgp_recipient: SecretKey,
    smime_key: Any,
    smime_certificate: Any,
    headers: Mapping[str, str],
    now: datetime | None = None,
) -> MailPair:
    """Encrypt ``text`` for one person both ways (RFC 3156 §4, RFC 8551 §3.3).

    The recipient's secret keys are needed here too: the facts about the ciphers come from
    opening the mails as sent (OpenPGP hides its cipher inside the encrypted session key).
    """
    from mailsec.smime import decrypt_message as smime_decrypt
    from mailsec.smime import encrypt_message as smime_encrypt

    if not text.strip():
        raise InputError("The text is empty: type a few words to encrypt.")
    pgp = _encrypted_bytes(text, [pgp_recipient.public], sign_with=(), headers=headers, now=now)
    smime = smime_encrypt(_plain_message(text, headers), [smime_certificate])
    pgp_sent = read_message(pgp, keys=[pgp_recipient], now=now)
    smime_sent = smime_decrypt(smime, key=smime_key, certificate=smime_certificate)
    _control, pgp_data = _quick(pgp).get_payload()
    pkesks = [
        p.fields.get("algorithm", "?")
        for p in list_packets(pgp_data.get_payload(decode=True) or b"")
        if p.tag == 1
    ]
    facts = (
        (
            "Content-Type",
            "multipart/encrypted; protocol=application/pgp-encrypted",
            f"application/pkcs7-mime; smime-type={_quick(smime).get_param('smime-type')}",
        ),
        (
            "The message itself",
            f"{pgp_sent.session_key_algorithm or '?'} in a SEIPD packet with an MDC "
            "(RFC 4880 §5.13)",
            f"{smime_sent.cipher.value} in CMS (RFC 5083, RFC 5084)",
        ),
        (
            "Bob's copy of the message key",
            f"{len(pkesks)} PKESK packet: {', '.join(pkesks)} (RFC 4880 §5.1, RFC 6637)",
            smime_sent.recipient_kind.description,
        ),
        ("Whole mail", f"{len(pgp):,} bytes", f"{len(smime):,} bytes"),
        (
            "Alice needs beforehand",
            "Bob's OpenPGP public key, and a reason to believe it is his",
            "Bob's certificate (from a signed mail of his, or a directory)",
        ),
    )
    return MailPair(text, True, pgp, smime, facts)


def open_pair(
    pair: MailPair,
    *,
    pgp_recipient: SecretKey,
    smime_key: Any,
    smime_certificate: Any,
    change_ciphertext: bool = False,
    now: datetime | None = None,
) -> SealedSideBySide:
    """Optionally flip one byte of both ciphertexts, then decrypt both as the recipient."""
    from mailsec.smime import decrypt_message as smime_decrypt
    from mailsec.smime.inspect import flip_byte

    if not pair.encrypted:
        raise InputError("These mails are signed, not encrypted: check them with check_pair().")
    pgp, smime = pair.pgp, pair.smime
    if change_ciphertext:
        pgp, _ = _change(pgp, Tamper.CIPHERTEXT)
        smime = flip_byte(smime, 7).message
    pgp_text = pgp_refusal = smime_text = smime_refusal = None
    try:
        pgp_text = read_message(pgp, keys=[pgp_recipient], now=now).text
    except MailsecError as exc:
        pgp_refusal = exc.message
    try:
        opened = smime_decrypt(smime, key=smime_key, certificate=smime_certificate)
        smime_text = _parse(opened.entity).get_content().replace("\r\n", "\n")
    except MailsecError as exc:
        smime_refusal = exc.message
    rows = (
        *pair.facts,
        (
            "Result here",
            "decrypted" if pgp_text is not None else "refused",
            "decrypted" if smime_text is not None else "refused",
        ),
    )
    return SealedSideBySide(
        pair.text,
        change_ciphertext,
        pgp,
        smime,
        pgp_text,
        smime_text,
        pgp_refusal,
        smime_refusal,
        rows,
    )


def encrypt_both(
    text: str,
    *,
    pgp_recipient: SecretKey,
    smime_key: Any,
    smime_certificate: Any,
    headers: Mapping[str, str],
    change_ciphertext: bool = False,
    now: datetime | None = None,
) -> SealedSideBySide:
    """Encrypt ``text`` for one person both ways, optionally flip one byte of each ciphertext,
    and decrypt both with that person's keys (:func:`encrypt_pair`, then :func:`open_pair`)."""
    pair = encrypt_pair(
        text,
        pgp_recipient=pgp_recipient,
        smime_key=smime_key,
        smime_certificate=smime_certificate,
        headers=headers,
        now=now,
    )
    return open_pair(
        pair,
        pgp_recipient=pgp_recipient,
        smime_key=smime_key,
        smime_certificate=smime_certificate,
        change_ciphertext=change_ciphertext,
        now=now,
    )
