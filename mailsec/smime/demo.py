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
from mailsec.pki.ca import Identity
from mailsec.smime.cms import ContentCipher
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


def compose(
    *, sender: str, to: str, subject: str, body: str, date: dt.datetime | None = None
) -> bytes:
    """A plain text message built with the :mod:`email` package (CRLF line ends)."""
    if not body.strip():
        raise InputError("The message text is empty; type a few words for Bob.")
    if "\n" in subject or "\r" in subject:
        raise InputError(f"The subject {subject!r} has a line break; keep it on one line.")
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
    parsed = email.message_from_bytes(entity, policy=email.policy.compat32)
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
    message = compose(sender=sender, to=to, subject=subject, body=body, date=now)
    steps.append(Step(f"Alice writes a {len(message):,}-byte message to Bob.", section="RFC 5322"))
    if sign:
        message = sign_message(message, key=signer.key, certificate=signer.certificate)
        steps.append(
            Step(
                f"Alice's program signs it with the key of '{signer.name}' "
                "(multipart/signed; the certificate travels with the signature).",
                section="RFC 8551 §3.5.3",
            )
        )
    if encrypt:
        message = encrypt_message(message, [r.certificate for r in recipients], cipher=cipher)
        names = ", ".join(r.name for r in recipients)
        steps.append(
            Step(
                f"Encrypted with {cipher.description} for {names}; From, To and Subject stay readable.",
                section="RFC 8551 §3.3",
            )
        )
    sent = message
    tampered = None
    if flip_at is not None:
        if not (sign or encrypt):
            raise InputError(
                "A plain message has no signature or encryption to break; tick Sign or Encrypt "
                "to see a change detected."
            )
        tampered = flip_byte(message, flip_at)
        message = tampered.message
        steps.append(Step(f"On the way: {tampered.where} is changed.", Outcome.WARN))
    received = message
    marks: list[tuple[Outcome, str]] = []
    decrypted = verification = None
    refused = None
    readable = received
    if encrypt:
        try:
            decrypted = decrypt_message(received, key=reader.key, certificate=reader.certificate)
        except (DecryptionError, InputError) as exc:
            refused = exc.message
            steps.append(Step(f"{reader.name}'s program: {exc.message}", Outcome.FAIL))
            marks.append((Outcome.FAIL, "cannot decrypt"))
            return Delivery(
                sent,
                received,
                sign,
                encrypt,
                cipher,
                tampered,
                None,
                None,
                refused,
                None,
                tuple(marks),
                tuple(steps),
            )
        steps.extend(Step(s.text, s.outcome, s.section, 1) for s in decrypted.steps)
        readable = decrypted.message
        if decrypted.authenticated:
            marks.append((Outcome.OK, "encrypted, integrity checked"))
        else:
            marks.append((Outcome.WARN, "encrypted, not integrity checked (CBC)"))
    else:
        marks.append((Outcome.WARN, "not encrypted: anyone on the way can read it"))
    if message_kind(readable) in (MessageKind.SIGNED, MessageKind.OPAQUE_SIGNED):
        try:
            verification = verify_message(readable, trusted=trusted, now=now)
        except InputError as exc:
            marks.append((Outcome.FAIL, "signed message damaged"))
            steps.append(Step(exc.message, Outcome.FAIL))
            refused = f"The signed message is damaged: {exc.message}"
        else:
            steps.extend(
                Step(s.text, s.outcome, s.section, s.depth + 1) for s in verification.steps
            )
            if verification.status is SignatureStatus.VALID:
                marks.append((Outcome.OK, f"signed by {verification.sender}, verified"))
            else:
                marks.append((Outcome.FAIL, f"signature: {verification.status.description}"))
    else:
        marks.append((Outcome.WARN, "not signed: the sender is not proven"))
    text = None if refused else _readable_text(readable)
    if text is None and decrypted is not None and not refused:
        # AES-CBC changed on the way: the first block is garbage and the MIME header with it,
        # but the program still has "plaintext" — show it as it is, which is the lesson.
        text = decrypted.entity.decode("utf-8", "replace").replace("\r\n", "\n")
    return Delivery(
        sent,
        received,
        sign,
        encrypt,
        cipher if encrypt else None,
        tampered,
        decrypted,
        verification,
        refused,
        text,
        tuple(marks),
        tuple(steps),
    )


def _readable_text(message: bytes) -> str | None:
    try:
        return entity_text(message)
    except Exception:  # a garbled (CBC-changed) entity may not parse: show nothing rather than fail
        return None
