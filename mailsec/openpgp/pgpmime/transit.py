"""A demonstration for the lab: a PGP/MIME mail is sent, changed in transit, and opened.

:func:`protect` makes the mail as the sender's program sends it (:class:`Protection`: sign,
encrypt, or both); :func:`deliver` changes it on the way as a :class:`Tamper` says (the Subject,
one letter of the signed text, one byte of a packet, with the armor checksum recomputed as an
attacker would) and opens it as the reader's program does, with :func:`~mailsec.openpgp.pgpmime.
read_message`. The :class:`Delivery` says what changed and what the reader saw; what is not
protected (the Subject) arrives changed without a word.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailsec.errors import InputError, MailsecError
from mailsec.i18n import texts
from mailsec.mime import payload_bytes, subparts
from mailsec.openpgp.armor import ArmorLabel, armor, dearmor
from mailsec.openpgp.certs import Certificate, SecretKey
from mailsec.openpgp.constants import PacketTag
from mailsec.openpgp.packets import read_packets
from mailsec.openpgp.pgpmime.build import encrypted_bytes, signed_bytes
from mailsec.openpgp.pgpmime.mime import structure
from mailsec.openpgp.pgpmime.read import PgpMimeResult, read_message, split_signed
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "Delivery",
    "Protection",
    "Tamper",
    "capitalize_first_letter",
    "change_in_transit",
    "deliver",
    "protect",
]

TEXT = texts(
    {
        # The labels of Protection and Tamper, by value (the values are data).
        "protection": {
            "encrypt and sign": "encrypt and sign",
            "encrypt only": "encrypt only",
            "sign only": "sign only",
        },
        "tamper": {
            "nothing: delivered as sent": "nothing: delivered as sent",
            "the Subject header": "the Subject header",
            "one byte of the encrypted session key (PKESK packet)": "one byte of the encrypted "
            "session key (PKESK packet)",
            "one byte of the encrypted data (SEIPD packet)": "one byte of the encrypted data "
            "(SEIPD packet)",
            "one letter of the signed text": "one letter of the signed text",
            "one byte of the signature packet": "one byte of the signature packet",
        },
        "no_packet": "The message has no packet with tag {tag} to change.",
        "subject_replaced": "The Subject header was replaced.",
        "no_letter": "The signed text has no lower-case letter to change; type some text.",
        "letter": "The letter {letter!r} of the signed part became {upper!r}.",
        "byte": "Byte {position} of the OpenPGP data ({what}) changed from 0x{before:02x} to "
        "0x{after:02x}; the armor checksum was recomputed.",
        "encrypted_only": "This mail is encrypted: '{what}' cannot be seen in transit; pick a "
        "change for encrypted mail (the session key, the encrypted data or the Subject).",
        "signed_only": "This mail is only signed, so there is no {what} to change; pick a change "
        "for signed mail (the text, the signature or the Subject).",
        "in_transit": "In transit: {change}",
        "refuses": "The reader's program refuses the mail: {error}",
    }
)
"""What happens on the way, in words (see :mod:`mailsec.i18n`)."""


class Protection(enum.Enum):
    """How the sender protects the mail."""

    ENCRYPT_AND_SIGN = "encrypt and sign"
    """multipart/encrypted with a signature inside (RFC 3156 §6.2)."""
    ENCRYPT = "encrypt only"
    """multipart/encrypted, no signature: private, but anyone could have sent it."""
    SIGN = "sign only"
    """multipart/signed: anyone can read it, nobody can change it unnoticed."""

    @property
    def label(self) -> str:
        """The protection in the current language (the value is data)."""
        return TEXT["protection"][self.value]


class Tamper(enum.Enum):
    """What an attacker on the path changes before the mail arrives."""

    NOTHING = "nothing: delivered as sent"
    SUBJECT = "the Subject header"
    SESSION_KEY = "one byte of the encrypted session key (PKESK packet)"
    CIPHERTEXT = "one byte of the encrypted data (SEIPD packet)"
    TEXT = "one letter of the signed text"
    SIGNATURE = "one byte of the signature packet"

    @property
    def label(self) -> str:
        """The change in the current language (the value is data)."""
        return TEXT["tamper"][self.value]

    def applies_to(self, protection: Protection) -> bool:
        if self in (Tamper.NOTHING, Tamper.SUBJECT):
            return True
        encrypted = protection is not Protection.SIGN
        return encrypted == (self in (Tamper.SESSION_KEY, Tamper.CIPHERTEXT))


#: The packet each change of OpenPGP data hits (RFC 4880 §5.1, §5.13, §5.2).
_TAMPERED_PACKET = {
    Tamper.SESSION_KEY: PacketTag.PKESK,
    Tamper.CIPHERTEXT: PacketTag.SEIPD,
    Tamper.SIGNATURE: PacketTag.SIGNATURE,
}


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
        return signed_bytes(text, sender, headers=headers, now=now)
    sign_with = [sender] if protection is Protection.ENCRYPT_AND_SIGN else []
    return encrypted_bytes(text, [recipient], sign_with=sign_with, headers=headers, now=now)


def _openpgp_part(message: bytes) -> tuple[bytes, bytes]:
    """(the armored OpenPGP data as it appears in ``message``, its binary form)."""
    parsed = structure(message)
    if parsed.get_content_type() == "multipart/signed":
        armored = payload_bytes(structure(split_signed(message)[1]))
    else:
        armored = payload_bytes(subparts(parsed)[1])
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
    raise InputError(TEXT["no_packet"].format(tag=tag))


def change_in_transit(message: bytes, tamper: Tamper) -> tuple[bytes, str]:
    """``message`` as it arrives after ``tamper``, and what was changed, in words."""
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
        return b"\r\n".join(lines) + sep + body, TEXT["subject_replaced"]
    if tamper is Tamper.TEXT:
        changed = capitalize_first_letter(message)
        if changed is None:
            raise InputError(TEXT["no_letter"])
        arrived, letter = changed
        return arrived, TEXT["letter"].format(letter=letter, upper=letter.upper())
    armored, binary = _openpgp_part(message)
    tag = _TAMPERED_PACKET[tamper]
    changed_binary, position = _flip_in_packet(binary, tag)
    label = ArmorLabel.SIGNATURE if tag == PacketTag.SIGNATURE else ArmorLabel.MESSAGE
    # The attacker re-armors with a fresh CRC-24: the checksum only catches accidents.
    rearmored = armor(changed_binary, label).strip()
    return (
        message.replace(armored, rearmored, 1),
        TEXT["byte"].format(
            position=position,
            what=tamper.label,
            before=binary[position],
            after=changed_binary[position],
        ),
    )


def capitalize_first_letter(message: bytes) -> tuple[bytes, str] | None:
    """``message`` (multipart/signed) with the first lower-case letter of its signed part's body
    made upper-case, and that letter; None when the body has no lower-case letter."""
    signed, _signature = split_signed(message)
    head, _sep, body = signed.partition(b"\r\n\r\n")
    index = next((i for i, c in enumerate(body) if 0x61 <= c <= 0x7A), None)
    if index is None:
        return None
    changed = body[:index] + bytes([body[index] - 0x20]) + body[index + 1 :]
    return message.replace(signed, head + b"\r\n\r\n" + changed, 1), chr(body[index])


def deliver(
    message: bytes,
    *,
    tamper: Tamper,
    reader: SecretKey,
    certs: Sequence[Certificate],
    now: datetime | None = None,
) -> Delivery:
    """Change ``message`` in transit as ``tamper`` says, then open it as ``reader``."""
    encrypted = structure(message).get_content_type() == "multipart/encrypted"
    if not tamper.applies_to(Protection.ENCRYPT if encrypted else Protection.SIGN):
        if encrypted:
            raise InputError(TEXT["encrypted_only"].format(what=tamper.label))
        raise InputError(TEXT["signed_only"].format(what=tamper.label))
    arrived, change = change_in_transit(message, tamper)
    _armored, binary = _openpgp_part(arrived)
    steps: list[Step] = []
    if change:
        steps.append(Step(TEXT["in_transit"].format(change=change), Outcome.WARN))
    try:
        result = read_message(arrived, keys=[reader], certs=certs, now=now)
    except MailsecError as exc:
        steps.append(Step(TEXT["refuses"].format(error=exc.message), Outcome.FAIL))
        return Delivery(encrypted, tamper, change, arrived, binary, None, exc.message, tuple(steps))
    steps.extend(result.steps)
    return Delivery(encrypted, tamper, change, arrived, binary, result, None, tuple(steps))
