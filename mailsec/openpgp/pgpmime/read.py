"""Reading PGP/MIME messages: check a multipart/signed signature, decrypt a multipart/encrypted one.

:func:`read_message` takes a message as it arrived (bytes, text or a parsed message) and returns a
:class:`PgpMimeResult`: what kind of message it was, the protected entity, the signature outcomes
and the steps, each with its RFC section. :func:`split_signed` cuts the signed part out of the raw
bytes exactly as they were signed (RFC 3156 §5, RFC 2046 §5.1.1).

A signed message whose signature does not verify is still returned (its content was never
secret), with ``signature_valid`` False; an encrypted one that cannot be decrypted raises the one
opaque :class:`~mailsec.errors.DecryptionError`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage, Message

from mailsec.errors import InputError, VerificationError
from mailsec.i18n import texts
from mailsec.mime import param_text, payload_bytes
from mailsec.openpgp.certs import Certificate, SecretKey
from mailsec.openpgp.encryption import decrypt
from mailsec.openpgp.pgpmime.mime import as_bytes, canonicalize, micalg_for, parse, structure
from mailsec.openpgp.verifying import Verification, verify
from mailsec.trace import Outcome, Step, Trace

__all__ = ["PgpMimeKind", "PgpMimeResult", "read_message", "split_signed"]

TEXT = texts(
    {
        "not_signed": "This is a {kind} message, not multipart/signed (RFC 3156 §5).",
        "no_boundary": "The multipart/signed message has no boundary parameter (RFC 2046 §5.1.1).",
        "bad_boundary": "The boundary {boundary!r} holds characters that are not printable ASCII "
        "(RFC 2046 §5.1.1); the message is damaged.",
        "two_parts": "A multipart/signed message has exactly two parts; this one has {count} "
        "(RFC 1847 §2.1).",
        "unprotected": "The message is {kind}: no PGP/MIME protection at all.",
        "missing": "missing",
        "signed_head": "multipart/signed, protocol={protocol}, micalg={micalg}.",
        "not_pgp": "The multipart/signed protocol is {protocol!r}, not 'application/pgp-signature': "
        "this is not a PGP/MIME signature (an S/MIME one uses application/pkcs7-signature).",
        "part2": "Part 2 of the signed message is {kind}, not application/pgp-signature "
        "(RFC 3156 §5).",
        "signed_part": "Signed part: {size} bytes, headers included, lines ending in CRLF.",
        "micalg": "micalg says {micalg} but the signature uses {used}.",
        "not_verified": "Signature not verified: {error}",
        "good": "Good signature from key {key_id}.",
        "good_reason": "Good signature from key {key_id} ({reason}).",
        "needs_key": "Decrypting needs the recipient's secret key; none was given.",
        "encrypted_head": "multipart/encrypted, protocol=application/pgp-encrypted, Version: 1.",
        "session_key": "session key",
        "decrypted": "Decrypted ({cipher}) with key {key_id}; the integrity check (MDC) passed.",
        "inside_signed": "Inside: a multipart/signed entity (signed, then encrypted).",
        "bad_protocol": "The multipart/encrypted protocol is {protocol!r}, not "
        "'application/pgp-encrypted' (RFC 3156 §4).",
        "two_encrypted": "A multipart/encrypted message has two parts; this one has {count} "
        "(RFC 1847 §2.2).",
        "part1": "Part 1 is {kind}, not application/pgp-encrypted (RFC 3156 §4).",
        "version": "Part 1 should say 'Version: 1' (RFC 3156 §4); it says {text!r}.",
        "octets": "Part 2 is {kind}, not application/octet-stream (RFC 3156 §4).",
        "good_inside": "Good signature inside the encrypted message from key {key_id}.",
        "no_cert": "no matching certificate",
        "inside_bad": "Signed inside, but not verified: {reason}.",
        "unsigned": "Not signed: anyone with the recipient's public key could have written this.",
    }
)
"""Reading PGP/MIME, in words (see :mod:`mailsec.i18n`)."""

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


# -- reading ---------------------------------------------------------------------------------


def split_signed(message: bytes | str | Message) -> tuple[bytes, bytes]:
    """The two parts of a multipart/signed message as raw bytes: (signed part, signature part).

    Part 1 is cut out of the raw message between the boundary lines, CRLF canonical; the CRLF
    before a boundary line belongs to the boundary (RFC 2046 §5.1.1).
    """
    raw = canonicalize(as_bytes(message))
    parsed = structure(raw)
    if parsed.get_content_type() != "multipart/signed":
        raise InputError(TEXT["not_signed"].format(kind=parsed.get_content_type()))
    boundary = parsed.get_boundary()
    if not boundary:
        raise InputError(TEXT["no_boundary"])
    if not boundary.isascii() or not boundary.isprintable():
        raise InputError(TEXT["bad_boundary"].format(boundary=boundary))
    delimiter = b"\r\n--" + boundary.encode("ascii")
    head_end = raw.find(b"\r\n\r\n")
    body = b"\r\n" + raw[head_end + 4 :] if head_end >= 0 else b""
    chunks = body.split(delimiter)
    # chunks: preamble, part 1, part 2, closing "--" + epilogue
    parts = [c for c in chunks[1:] if not c.startswith(b"--")]
    if len(parts) != 2:
        raise InputError(TEXT["two_parts"].format(count=len(parts)))
    first, second = (p.split(b"\r\n", 1)[1] if b"\r\n" in p else b"" for p in parts)
    return first, second


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
    raw = canonicalize(as_bytes(message))
    parsed = structure(raw)
    kind = parsed.get_content_type()
    if kind == "multipart/signed":
        return _read_signed(raw, parsed, certs, now, ())
    if kind == "multipart/encrypted":
        return _read_encrypted(parsed, keys, certs, now)
    return PgpMimeResult(
        PgpMimeKind.PLAIN,
        parse(raw),
        steps=(
            Step(
                TEXT["unprotected"].format(kind=kind),
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
    protocol = param_text(parsed, "protocol").lower()
    micalg = str(parsed.get_param("micalg") or "").lower() or None
    steps = [
        *before,
        Step(
            TEXT["signed_head"].format(
                protocol=protocol or TEXT["missing"], micalg=micalg or TEXT["missing"]
            ),
            Outcome.INFO,
            _SIGNED_SECTION,
        ),
    ]
    if protocol != "application/pgp-signature":
        raise InputError(TEXT["not_pgp"].format(protocol=protocol))
    signed, signature_part = split_signed(raw)
    sig_entity = structure(signature_part)
    if sig_entity.get_content_type() != "application/pgp-signature":
        raise InputError(TEXT["part2"].format(kind=sig_entity.get_content_type()))
    signature = payload_bytes(sig_entity)
    content = parse(signed)
    steps.append(
        Step(
            TEXT["signed_part"].format(size=f"{len(signed):,}"),
            Outcome.INFO,
            _SIGNED_SECTION,
        )
    )
    used = micalg_for(signature)
    if micalg and micalg != used:
        steps.append(
            Step(
                TEXT["micalg"].format(micalg=micalg, used=used),
                Outcome.WARN,
                _SIGNED_SECTION,
            )
        )
    try:
        verifications = verify(signed, signature, certs, now=now)
    except VerificationError as exc:
        steps.append(
            Step(TEXT["not_verified"].format(error=exc.message), Outcome.FAIL, _SIGNED_SECTION)
        )
        kind = PgpMimeKind.ENCRYPTED_SIGNED if before else PgpMimeKind.SIGNED
        return PgpMimeResult(kind, content, (), False, used, tuple(steps))
    good = [v for v in verifications if v.valid]
    steps.append(
        Step(
            TEXT["good_reason" if good[0].reason else "good"].format(
                key_id=good[0].key_id, reason=good[0].reason
            ),
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
    """Check the two parts (RFC 3156 §4), decrypt the second, then read what was inside."""
    data = _encrypted_part(parsed)
    if not keys:
        raise InputError(TEXT["needs_key"])
    steps: list[Step] = [
        Step(
            TEXT["encrypted_head"],
            Outcome.INFO,
            _ENCRYPTED_SECTION,
        )
    ]
    # With no certificates given, check against the recipient's own: a signature by anyone else
    # then shows up as "not verified" instead of going unnoticed.
    verify_with = list(certs) or [key.public for key in keys]
    decrypted = decrypt(payload_bytes(data), keys, verify_with=verify_with, now=now)
    steps.append(
        Step(
            TEXT["decrypted"].format(
                cipher=decrypted.session_key_algorithm or TEXT["session_key"],
                key_id=decrypted.decrypted_with or "?",
            ),
            Outcome.OK,
            "RFC 4880 §5.13",
        )
    )
    cipher = decrypted.session_key_algorithm or None
    inner = canonicalize(bytes(decrypted.plaintext))  # bytes from decrypt(): not copied
    content = parse(inner)
    if content.get_content_type() == "multipart/signed":  # sign, then encrypt (RFC 3156 §6.1)
        steps.append(
            Step(
                TEXT["inside_signed"],
                Outcome.INFO,
                "RFC 3156 §6.1",
            )
        )
        signed = _read_signed(inner, content, certs, now, tuple(steps))
        return replace(signed, session_key_algorithm=cipher)
    return _read_decrypted(content, decrypted.verifications, steps, cipher)


def _encrypted_part(parsed: Message) -> Message:
    """The part that holds the encrypted message, once the multipart/encrypted structure is
    checked: the protocol, two parts, 'Version: 1', then application/octet-stream (RFC 3156 §4)."""
    protocol = param_text(parsed, "protocol").lower()
    if protocol != "application/pgp-encrypted":
        raise InputError(TEXT["bad_protocol"].format(protocol=protocol))
    payload = parsed.get_payload()
    parts = list(payload) if isinstance(payload, list) else []
    if len(parts) != 2:
        raise InputError(TEXT["two_encrypted"].format(count=len(parts)))
    control, data = parts
    if control.get_content_type() != "application/pgp-encrypted":
        raise InputError(TEXT["part1"].format(kind=control.get_content_type()))
    control_text = (control.get_payload(decode=True) or b"").decode("ascii", "replace")
    if "Version: 1" not in control_text:
        raise InputError(TEXT["version"].format(text=control_text.strip()))
    if data.get_content_type() != "application/octet-stream":
        raise InputError(TEXT["octets"].format(kind=data.get_content_type()))
    return data


def _read_decrypted(
    content: EmailMessage,
    verifications: tuple[Verification, ...],
    steps: list[Step],
    cipher: str | None,
) -> PgpMimeResult:
    """The result for a decrypted entity that is not multipart/signed: signed inside the
    encrypted message (RFC 3156 §6.2), or not signed at all."""
    if verifications:
        good = [v for v in verifications if v.valid]
        if good:
            steps.append(
                Step(
                    TEXT["good_inside"].format(key_id=good[0].key_id),
                    Outcome.OK,
                    _COMBINED_SECTION,
                )
            )
        else:
            reason = verifications[0].reason or TEXT["no_cert"]
            steps.append(
                Step(TEXT["inside_bad"].format(reason=reason), Outcome.FAIL, _COMBINED_SECTION)
            )
        return PgpMimeResult(
            PgpMimeKind.ENCRYPTED_SIGNED,
            content,
            verifications,
            bool(good),
            None,
            tuple(steps),
            cipher,
        )
    steps.append(
        Step(
            TEXT["unsigned"],
            Outcome.WARN,
            _ENCRYPTED_SECTION,
        )
    )
    return PgpMimeResult(PgpMimeKind.ENCRYPTED, content, (), None, None, tuple(steps), cipher)
