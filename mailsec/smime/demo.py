"""A message from Alice to Bob, end to end: compose, sign, encrypt, change on the way, read.

This is the model behind chapter 05's message lab: one call, :func:`deliver`, does what two mail
programs and the network between them do, and returns everything the lab shows (the message as
it travels, what Bob's S/MIME program concludes, and the steps). It only calls the recipes of
:mod:`mailsec.smime`; nothing here is special to the lab.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from cryptography import x509

from mailsec.errors import DecryptionError, InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_LAB_SUBJECT, MAX_LAB_TEXT
from mailsec.mime import parse as parse_mail
from mailsec.pki.ca import Identity
from mailsec.smime.cms import ContentCipher
from mailsec.smime.damage import SIGNATURE, STRUCTURE, CbcDamage, cbc_damage
from mailsec.smime.inspect import Tampered, flip_byte
from mailsec.smime.messages import (
    Decrypted,
    MessageKind,
    SignatureStatus,
    Verification,
    decrypt_message,
    encrypt_message,
    message_kind,
    sign_message,
    verify_message,
)
from mailsec.trace import Outcome, Step, Trace

__all__ = ["Delivery", "compose", "deliver", "entity_text"]

TEXT = texts(
    {
        "empty": "The message text is empty; type a few words for Bob.",
        "long_subject": "The subject is {length} characters long; a Subject is one header line "
        "of at most {limit} characters (RFC 5322 §2.1.1).",
        "long_text": "The text is {length} characters long; the lab takes up to {limit}.",
        "line_break": "The subject {subject} has a line break; keep it on one line.",
        "changed": "On the way: {where} is changed.",
        "nothing_to_break": "A plain message has no signature or encryption to break; tick Sign "
        "or Encrypt to see a change detected.",
        "marks": {
            "cannot-decrypt": "cannot decrypt",
            "authenticated": "encrypted, integrity checked",
            "not-authenticated": "encrypted, not integrity checked (CBC)",
            "not-encrypted": "not encrypted: anyone on the way can read it",
            "not-signed": "not signed: the sender is not proven",
            "no-signature-found": "no signature found: the change garbled the MIME structure "
            "that carries it",
            "signature-unreadable": "signature unreadable: the change hit the signature itself",
            "signature-damaged": "signed message damaged",
        },
        "signature_lost": "Alice did sign, but the change garbled the part of the message that "
        "says it is signed and where the signature is. Bob's program cannot find the signature, "
        "so nothing proves who sent this or that it is unchanged — and AES-CBC did not notice "
        "the change either.",
        "signature_hit": "The change hit the signature part, so the signature cannot be read. "
        "Bob's program must treat the message as unproven: it shows the text, but not as signed.",
        "uncovered_only": "The change hit only bytes that the signature does not cover and that "
        "Bob's program does not need to find the signature ({where}), so what Bob reads is "
        "exactly what Alice signed: the signature still verifies.",
        "with_reason": "{sentence} ({reason})",
        "writes": "Alice writes a {size}-byte message to Bob.",
        "signs": "Alice's program signs it with the key of {name} (multipart/signed; the "
        "certificate travels with the signature).",
        "encrypted": "Encrypted with {cipher} for {names}; From, To and Subject stay readable.",
        "refused_step": "{reader}'s program: {error}",
        "verified": "signed by {sender}, verified",
        "signature_mark": "signature: {status}",
        "damaged": "The signed message is damaged: {reason}",
        "nist": "NIST SP 800-38A §6.2",
    }
)
"""Bob's program's words (see :mod:`mailsec.i18n`)."""

#: Bob's program's verdicts (the marks beside the message) in English, the source language: for
#: code that compares marks made in English. The lab shows ``TEXT["marks"]``, in its language.
MARKS = TEXT.source["marks"]


def compose(
    *, sender: str, to: str, subject: str, body: str, date: dt.datetime | None = None
) -> bytes:
    """A plain text message built with the :mod:`email` package (CRLF line ends)."""
    if not body.strip():
        raise InputError(TEXT["empty"])
    if len(subject) > MAX_LAB_SUBJECT:
        raise InputError(
            TEXT["long_subject"].format(length=f"{len(subject):,}", limit=MAX_LAB_SUBJECT)
        )
    if len(body) > MAX_LAB_TEXT:
        raise InputError(
            TEXT["long_text"].format(length=f"{len(body):,}", limit=f"{MAX_LAB_TEXT:,}")
        )
    if "\n" in subject or "\r" in subject:
        raise InputError(TEXT["line_break"].format(subject=repr(subject)))
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if date is not None:
        message["Date"] = email.utils.format_datetime(date)
    message.set_content(body)
    return message.as_bytes()


def entity_text(entity: bytes) -> str | None:
    """The readable text of a MIME entity (the first text/plain part), decoded; None if none."""
    parsed = parse_mail(entity)
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                return None
            charset = part.get_content_charset() or "us-ascii"
            try:
                decoded = payload.decode(charset, "replace")
            except LookupError:
                decoded = payload.decode("utf-8", "replace")
            return decoded.replace("\r\n", "\n")
    return None


@dataclass(frozen=True)
class Delivery:
    """What happened to one message between Alice's and Bob's mail programs."""

    sent: bytes
    """The message as Alice's program sent it."""
    received: bytes
    """The message as it arrived (changed if a byte was flipped on the way)."""
    signed: bool
    encrypted: bool
    cipher: ContentCipher | None
    tampered: Tampered | None
    decrypted: Decrypted | None
    verification: Verification | None
    refused: str | None
    """Why Bob's program shows nothing (decryption failed), or None."""
    text: str | None
    """The text Bob's program shows (None when it shows nothing)."""
    marks: tuple[tuple[Outcome, str], ...]
    """Bob's program's verdicts, each with an outcome and words."""
    steps: Trace
    damage: CbcDamage | None = None
    """Where a change under AES-CBC landed in the decrypted message (None otherwise)."""

    @property
    def kind(self) -> MessageKind:
        return message_kind(self.received)


def deliver(
    *,
    subject: str,
    body: str,
    sign: bool,
    encrypt: bool,
    signer: Identity,
    recipients: Sequence[Identity],
    reader: Identity,
    trusted: Sequence[x509.Certificate],
    cipher: ContentCipher = ContentCipher.AES256_GCM,
    flip_at: int | None = None,
    sender: str = "Alice <alice@example.org>",
    to: str = "Bob <bob@example.net>",
    now: dt.datetime | None = None,
) -> Delivery:
    """Compose, optionally sign and encrypt, optionally flip a byte, then read as ``reader``."""
    steps: list[Step] = []
    sent = _send(
        compose(sender=sender, to=to, subject=subject, body=body, date=now),
        sign=sign,
        encrypt=encrypt,
        signer=signer,
        recipients=recipients,
        cipher=cipher,
        steps=steps,
    )
    tampered = damage = None
    received = sent
    if flip_at is not None:
        if not (sign or encrypt):
            raise InputError(TEXT["nothing_to_break"])
        tampered = flip_byte(sent, flip_at)
        received = tampered.message
        steps.append(Step(TEXT["changed"].format(where=tampered.where), Outcome.WARN))
        if encrypt and not cipher.authenticated:
            damage = _cbc_damage(sent, tampered, reader)
            if damage is not None:
                steps.append(Step(damage.describe(), Outcome.WARN, TEXT["nist"]))
    reading = _Reading(sign=sign, damage=damage, steps=steps)
    readable: bytes | None = received
    if encrypt:
        readable = reading.decrypt(received, reader)
    if readable is not None:
        reading.check_signature(readable, trusted=trusted, now=now)
    return Delivery(
        sent,
        received,
        sign,
        encrypt,
        cipher if encrypt else None,
        tampered,
        reading.decrypted,
        reading.verification,
        reading.refused,
        None if readable is None else reading.text(readable),
        tuple(reading.marks),
        tuple(steps),
        damage,
    )


def _send(
    message: bytes,
    *,
    sign: bool,
    encrypt: bool,
    signer: Identity,
    recipients: Sequence[Identity],
    cipher: ContentCipher,
    steps: list[Step],
) -> bytes:
    """Alice's program: sign, then encrypt, as ticked."""
    steps.append(Step(TEXT["writes"].format(size=f"{len(message):,}"), section="RFC 5322"))
    if sign:
        message = sign_message(message, key=signer.key, certificate=signer.certificate)
        steps.append(
            Step(
                TEXT["signs"].format(name=f"'{signer.name}'"),
                section="RFC 8551 §3.5.3",
            )
        )
    if encrypt:
        message = encrypt_message(message, [r.certificate for r in recipients], cipher=cipher)
        names = ", ".join(r.name for r in recipients)
        steps.append(
            Step(
                TEXT["encrypted"].format(cipher=cipher.description, names=names),
                section="RFC 8551 §3.3",
            )
        )
    return message


def _cbc_damage(sent: bytes, tampered: Tampered, reader: Identity) -> CbcDamage | None:
    """Where the changed ciphertext byte lands in what Bob decrypts (None if he cannot decrypt)."""
    if tampered.ciphertext_offset is None:
        return None
    try:
        original = decrypt_message(sent, key=reader.key, certificate=reader.certificate)
    except (DecryptionError, InputError):
        return None
    # decrypt_message gives bytes (not views): bytes() returns them as they are
    return cbc_damage(bytes(original.entity), tampered.ciphertext_offset)


class _Reading:
    """Bob's program reading what arrived: decrypt, then check the signature, noting verdicts."""

    def __init__(self, *, sign: bool, damage: CbcDamage | None, steps: list[Step]) -> None:
        self.sign = sign
        self.damage = damage
        self.steps = steps
        self.marks: list[tuple[Outcome, str]] = []
        self.decrypted: Decrypted | None = None
        self.verification: Verification | None = None
        self.refused: str | None = None

    def decrypt(self, received: bytes, reader: Identity) -> bytes | None:
        """The decrypted message, or None when Bob's program cannot decrypt it."""
        try:
            self.decrypted = decrypt_message(
                received, key=reader.key, certificate=reader.certificate
            )
        except (DecryptionError, InputError) as exc:
            self.refused = exc.message
            self.steps.append(
                Step(
                    TEXT["refused_step"].format(reader=reader.name, error=exc.message),
                    Outcome.FAIL,
                )
            )
            self.marks.append((Outcome.FAIL, TEXT["marks"]["cannot-decrypt"]))
            return None
        self.steps.extend(Step(s.text, s.outcome, s.section, 1) for s in self.decrypted.steps)
        if self.decrypted.authenticated:
            self.marks.append((Outcome.OK, TEXT["marks"]["authenticated"]))
        else:
            self.marks.append((Outcome.WARN, TEXT["marks"]["not-authenticated"]))
        return bytes(self.decrypted.message)  # bytes from decrypt_message: not copied

    def check_signature(
        self, readable: bytes, *, trusted: Sequence[x509.Certificate], now: dt.datetime | None
    ) -> None:
        if self.decrypted is None:
            self.marks.append((Outcome.WARN, TEXT["marks"]["not-encrypted"]))
        try:
            signed = message_kind(readable) in (MessageKind.SIGNED, MessageKind.OPAQUE_SIGNED)
        except InputError:
            signed = False  # the header fields are garbled: no program can tell what this is
        if not signed:
            self._unsigned()
            return
        try:
            self.verification = verify_message(readable, trusted=trusted, now=now)
        except InputError as exc:
            self._damaged(exc.message)
            return
        self.steps.extend(
            Step(s.text, s.outcome, s.section, s.depth + 1) for s in self.verification.steps
        )
        if self.verification.status is SignatureStatus.VALID:
            self.marks.append(
                (Outcome.OK, TEXT["verified"].format(sender=self.verification.sender))
            )
            if self.damage is not None:
                where = "; ".join(r.description for r in self.damage.regions)
                self.steps.append(
                    Step(
                        TEXT["uncovered_only"].format(where=where), Outcome.INFO, "RFC 8551 §3.5.3"
                    )
                )
        else:
            status = self.verification.status.description
            self.marks.append((Outcome.FAIL, TEXT["signature_mark"].format(status=status)))

    def _unsigned(self) -> None:
        if self.sign and self.damage is not None:
            self.marks.append((Outcome.FAIL, TEXT["marks"]["no-signature-found"]))
            self.steps.append(Step(TEXT["signature_lost"], Outcome.FAIL, "RFC 1847 §2.1"))
        else:
            self.marks.append((Outcome.WARN, TEXT["marks"]["not-signed"]))

    def _damaged(self, reason: str) -> None:
        """The message says it is signed, but its signature part cannot be read."""
        if self.damage is None:
            self.marks.append((Outcome.FAIL, TEXT["marks"]["signature-damaged"]))
            self.steps.append(Step(reason, Outcome.FAIL))
            self.refused = TEXT["damaged"].format(reason=reason)
        elif self.damage.touches & SIGNATURE and not self.damage.touches & STRUCTURE:
            self.marks.append((Outcome.FAIL, TEXT["marks"]["signature-unreadable"]))
            hit = TEXT["with_reason"].format(sentence=TEXT["signature_hit"], reason=reason)
            self.steps.append(Step(hit, Outcome.FAIL, "RFC 8551 §3.5.3"))
        else:
            self.marks.append((Outcome.FAIL, TEXT["marks"]["no-signature-found"]))
            lost = TEXT["with_reason"].format(sentence=TEXT["signature_lost"], reason=reason)
            self.steps.append(Step(lost, Outcome.FAIL, "RFC 1847 §2.1"))

    def text(self, readable: bytes) -> str | None:
        """The text Bob's program shows; None when it shows nothing."""
        if self.refused:
            return None
        text = _readable_text(readable)
        if text is None and self.decrypted is not None:
            # AES-CBC changed on the way: the MIME header may be garbage, but the program still
            # has "plaintext" — show it as it is, which is the lesson.
            text = bytes(self.decrypted.entity).decode("utf-8", "replace").replace("\r\n", "\n")
        return text


def _readable_text(message: bytes) -> str | None:
    try:
        return entity_text(message)
    except Exception:  # a garbled (CBC-changed) entity may not parse: show nothing rather than fail
        return None
