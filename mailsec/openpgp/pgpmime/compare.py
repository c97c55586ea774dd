"""PGP/MIME next to S/MIME on the same message, for the lab that compares them.

:func:`sign_pair` signs one text both ways (RFC 3156 §5, RFC 8551 §3.5.3) and :func:`check_pair`
checks both, optionally after one letter was changed in transit; :func:`encrypt_pair` and
:func:`open_pair` do the same for encryption (RFC 3156 §4, RFC 8551 §3.3). Each pair carries facts
side by side (what each standard puts in the mail, what the reader needs beforehand), which
:mod:`mailsec.render.openpgp` draws as a table. :func:`sign_both` and :func:`encrypt_both` do both
steps in one call. The S/MIME side comes from :mod:`mailsec.smime`, imported when first used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailsec.errors import InputError, MailsecError
from mailsec.i18n import texts
from mailsec.mime import payload_bytes, subparts
from mailsec.openpgp.certs import Certificate, SecretKey
from mailsec.openpgp.constants import PacketTag
from mailsec.openpgp.listing import list_packets
from mailsec.openpgp.pgpmime.build import encrypted_bytes, signed_bytes
from mailsec.openpgp.pgpmime.mime import POLICY, as_entity, parse, structure
from mailsec.openpgp.pgpmime.read import PgpMimeResult, read_message, split_signed
from mailsec.openpgp.pgpmime.transit import Tamper, capitalize_first_letter, change_in_transit

__all__ = [
    "MailPair",
    "SealedSideBySide",
    "SideBySide",
    "Wire",
    "check_pair",
    "encrypt_both",
    "encrypt_pair",
    "open_pair",
    "sign_both",
    "sign_pair",
]

TEXT = texts(
    {
        "empty_sign": "The text is empty: type a few words to sign.",
        "empty_encrypt": "The text is empty: type a few words to encrypt.",
        "micalg": "Hash named in micalg",
        "signature_part": "Signature part",
        "pgp_signature_size": "{size} bytes, ASCII-armored OpenPGP packet",
        "smime_signature_size": "{size} bytes, base64 CMS SignedData",
        "whole": "Whole mail",
        "bytes": "{size} bytes",
        "carries": "Carries the signer's key",
        "pgp_carries": "No: only its key ID and fingerprint",
        "smime_carries": "Yes: the signer's certificate travels with the signature",
        "reader_needs": "The reader needs beforehand",
        "pgp_reader_needs": "The sender's public key, and a reason to believe it is hers (web "
        "of trust)",
        "smime_reader_needs": "Only the root CA certificate in the trust store",
        "not_signed": "These mails are encrypted, not signed: open them with open_pair().",
        "not_encrypted": "These mails are signed, not encrypted: check them with check_pair().",
        "result": "Result here",
        "good": "good signature",
        "not_verified": "NOT verified",
        # The S/MIME verdict in a word, by mailsec.smime.SignatureStatus value.
        "smime_status": {
            "valid": "valid",
            "tampered": "tampered",
            "no certificate": "no certificate",
            "expired": "expired",
            "not yet valid": "not yet valid",
            "untrusted": "untrusted",
            "wrong purpose": "wrong purpose",
            "wrong address": "wrong address",
            "weak hash": "weak hash",
        },
        "itself": "The message itself",
        "pgp_itself": "{cipher} in a SEIPD packet with an MDC (RFC 4880 §5.13)",
        "smime_itself": "{cipher} in CMS (RFC 5083, RFC 5084)",
        "key_copy": "Bob's copy of the message key",
        "pgp_key_copy": "{count} PKESK packet: {algorithms} (RFC 4880 §5.1, RFC 6637)",
        "alice_needs": "Alice needs beforehand",
        "pgp_alice_needs": "Bob's OpenPGP public key, and a reason to believe it is his",
        "smime_alice_needs": "Bob's certificate (from a signed mail of his, or a directory)",
        "decrypted": "decrypted",
        "refused": "refused",
    }
)
"""The facts side by side, in words (see :mod:`mailsec.i18n`)."""


class Wire(str):
    """A fact as it is on the wire (a header field name, a Content-Type, a micalg name): data,
    shown as code and never translated."""


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


@dataclass(frozen=True)
class MailPair:
    """The same text as a PGP/MIME mail and as an S/MIME mail, as sent, with facts about both."""

    text: str
    encrypted: bool
    pgp: bytes
    smime: bytes
    facts: tuple[tuple[str, str, str], ...]
    """(aspect, PGP/MIME, S/MIME) facts that do not depend on what happens in transit."""


def _capitalized(message: bytes) -> bytes:
    """The signed mail with one letter of its text changed (as it was, if it has none)."""
    changed = capitalize_first_letter(message)
    return message if changed is None else changed[0]


def _plain_message(text: str, headers: Mapping[str, str]) -> bytes:
    message = as_entity(text)
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
        raise InputError(TEXT["empty_sign"])
    pgp = signed_bytes(text, pgp_key, headers=headers, now=now)
    smime = smime_sign(_plain_message(text, headers), key=smime_key, certificate=smime_certificate)
    _pgp_signed, pgp_sig = split_signed(pgp)
    _smime_signed, smime_sig = split_signed(smime)
    facts = (
        (
            Wire("Content-Type"),
            Wire("multipart/signed; protocol=application/pgp-signature"),
            Wire("multipart/signed; protocol=application/pkcs7-signature"),
        ),
        (
            TEXT["micalg"],
            Wire(structure(pgp).get_param("micalg")),
            Wire(structure(smime).get_param("micalg")),
        ),
        (
            TEXT["signature_part"],
            TEXT["pgp_signature_size"].format(size=f"{len(pgp_sig):,}"),
            TEXT["smime_signature_size"].format(size=f"{len(smime_sig):,}"),
        ),
        (
            TEXT["whole"],
            TEXT["bytes"].format(size=f"{len(pgp):,}"),
            TEXT["bytes"].format(size=f"{len(smime):,}"),
        ),
        (TEXT["carries"], TEXT["pgp_carries"], TEXT["smime_carries"]),
        (TEXT["reader_needs"], TEXT["pgp_reader_needs"], TEXT["smime_reader_needs"]),
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
        raise InputError(TEXT["not_signed"])
    pgp, smime = pair.pgp, pair.smime
    if change_text:
        pgp = _capitalized(pgp)
        smime = _capitalized(smime)
    pgp_result = read_message(pgp, certs=pgp_certs, now=now)
    smime_result = smime_verify(smime, trusted=smime_trusted, now=now)
    rows = (
        *pair.facts,
        (
            TEXT["result"],
            TEXT["good" if pgp_result.signature_valid else "not_verified"],
            TEXT["smime_status"].get(smime_result.status.value, smime_result.status.value),
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
        raise InputError(TEXT["empty_encrypt"])
    pgp = encrypted_bytes(text, [pgp_recipient.public], sign_with=(), headers=headers, now=now)
    smime = smime_encrypt(_plain_message(text, headers), [smime_certificate])
    pgp_sent = read_message(pgp, keys=[pgp_recipient], now=now)
    smime_sent = smime_decrypt(smime, key=smime_key, certificate=smime_certificate)
    _control, pgp_data = subparts(structure(pgp))
    pkesks = [
        p.fields.get("algorithm", "?")
        for p in list_packets(payload_bytes(pgp_data))
        if p.tag == PacketTag.PKESK
    ]
    facts = (
        (
            Wire("Content-Type"),
            Wire("multipart/encrypted; protocol=application/pgp-encrypted"),
            Wire(f"application/pkcs7-mime; smime-type={structure(smime).get_param('smime-type')}"),
        ),
        (
            TEXT["itself"],
            TEXT["pgp_itself"].format(cipher=pgp_sent.session_key_algorithm or "?"),
            TEXT["smime_itself"].format(cipher=smime_sent.cipher.value),
        ),
        (
            TEXT["key_copy"],
            TEXT["pgp_key_copy"].format(count=len(pkesks), algorithms=", ".join(pkesks)),
            smime_sent.recipient_kind.description,
        ),
        (
            TEXT["whole"],
            TEXT["bytes"].format(size=f"{len(pgp):,}"),
            TEXT["bytes"].format(size=f"{len(smime):,}"),
        ),
        (TEXT["alice_needs"], TEXT["pgp_alice_needs"], TEXT["smime_alice_needs"]),
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
        raise InputError(TEXT["not_encrypted"])
    pgp, smime = pair.pgp, pair.smime
    if change_ciphertext:
        pgp, _ = change_in_transit(pgp, Tamper.CIPHERTEXT)
        smime = flip_byte(smime, 7).message
    pgp_text = pgp_refusal = smime_text = smime_refusal = None
    try:
        pgp_text = read_message(pgp, keys=[pgp_recipient], now=now).text
    except MailsecError as exc:
        pgp_refusal = exc.message
    try:
        opened = smime_decrypt(smime, key=smime_key, certificate=smime_certificate)
        smime_text = parse(bytes(opened.entity)).get_content().replace("\r\n", "\n")
    except MailsecError as exc:
        smime_refusal = exc.message
    rows = (
        *pair.facts,
        (
            TEXT["result"],
            TEXT["decrypted" if pgp_text is not None else "refused"],
            TEXT["decrypted" if smime_text is not None else "refused"],
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
