"""S/MIME 4.0 messages (RFC 8551): sign, encrypt, decrypt and verify whole mail messages.

These are the one-call recipes. They take and return a whole message as bytes (header fields, an
empty line, the body) and keep the outer header fields (From, To, Subject ...) outside the
protected MIME entity, as mail clients do.

Where :mod:`cryptography`'s PKCS #7 functions do the job they are used: detached signing, and
AES-CBC EnvelopedData for RSA recipients (both directions). The rest — signature verification,
AES-GCM AuthEnvelopedData and EC (ECDH) recipients — is :mod:`mailsec.smime.cms`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from typing import TYPE_CHECKING

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from mailsec.errors import DecryptionError, InputError
from mailsec.i18n import texts
from mailsec.pki.ca import PrivateKey
from mailsec.smime import cms as cmslib
from mailsec.smime import enveloped
from mailsec.smime.cms import ContentCipher, KeyTransport, RecipientKind, load_content_info
from mailsec.smime.enveloped import Opened, RandomBytes, build_enveloped_buffer, open_enveloped
from mailsec.smime.mime import (
    CRLF,
    Entity,
    SplitMessage,
    canonical_crlf,
    decode_body,
    decode_body_buffer,
    make_multipart_signed,
    pkcs7_mime_parts,
    split_message,
    split_multipart_signed,
)
from mailsec.smime.signed import SignatureCheck, verify_signed_data
from mailsec.trace import Outcome, Step, Trace

if TYPE_CHECKING:
    from mailsec.pki.validate import CertificateCheck

__all__ = [
    "Decrypted",
    "MessageKind",
    "SignatureStatus",
    "Verification",
    "decrypt_message",
    "decrypt_message_buffer",
    "encrypt_message",
    "message_kind",
    "sign_and_encrypt",
    "sign_message",
    "verify_message",
]

_MICALG = {"sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}
_HASHES: dict[str, hashes.SHA256 | hashes.SHA384 | hashes.SHA512] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
_PKCS7_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")

TEXT = texts(
    {
        "kinds": {
            "signed": "signed (multipart/signed, clear text + smime.p7s)",
            "opaque-signed": "signed (opaque, content inside smime.p7m)",
            "enveloped": "encrypted (EnvelopedData, AES-CBC)",
            "auth-enveloped": "encrypted (AuthEnvelopedData, AES-GCM)",
            "plain": "not S/MIME",
        },
        "statuses": {
            "valid": "signature valid",
            "tampered": "the message was changed after it was signed",
            "no certificate": "the signature carries no signer certificate",
            "expired": "the signer's certificate has expired",
            "not yet valid": "the signer's certificate is not valid yet",
            "untrusted": "the signer's certificate is not from a trusted CA",
            "wrong purpose": "the signer's certificate is not for email",
            "wrong address": "the signer's certificate is for a different address than From:",
            "weak hash": "signed with a broken hash (SHA-1 or MD5): not valid",
        },
        "not_smime_encrypted": "This is not an S/MIME encrypted message: its Content-Type is "
        "{content_type!r}. Give the whole message as it was received.",
        "not_smime_signed": "This is not an S/MIME signed message: its Content-Type is "
        "{content_type!r}. Give the whole message as it was received.",
        "digest": "The digest {digest!r} is not offered; use sha256, sha384 or sha512.",
        "key_mismatch": "The private key does not belong to the certificate; give the key and "
        "certificate of the same person.",
        "recipient_expired": "The certificate of {who} expired on {date}; ask them for their "
        "current certificate before encrypting to them.",
        "recipient_not_yet": "The certificate of {who} is valid only from {date}.",
        "recipient_rsa": "The certificate of {who} does not allow its RSA key to encrypt keys.",
        "recipient_ec": "The certificate of {who} does not allow its EC key to agree on keys.",
        "signed_not_encrypted": "This message is signed, not encrypted; check it with verify "
        "instead.",
        "envelope": "EnvelopedData with {count} recipient(s).",
        "rsa_transport": "RSA key transport: the private key decrypts the content key (done by "
        "cryptography).",
        "encrypted_not_signed": "This message is encrypted; decrypt it first, then verify the "
        "result.",
        "protocol": "The multipart/signed message uses protocol {protocol!r}, not S/MIME "
        "(application/pkcs7-signature).",
        "not_signed_data": "The signature part does not hold a CMS SignedData structure.",
        "signature_part": "The signature (smime.p7s)",
        "signer_certificate": "The signer's certificate",
        "no_from": "The message has no From: header field, so the signer's address is not "
        "compared.",
    }
)
"""What the recipes say (see :mod:`mailsec.i18n`); the messages they write are mail, on the
wire, and stay as they are."""


class MessageKind(enum.Enum):
    """What kind of S/MIME message this is (RFC 8551 §3.2, §3.5)."""

    SIGNED = "signed"
    """multipart/signed: readable by anyone, with a detached signature (smime.p7s)."""
    OPAQUE_SIGNED = "opaque-signed"
    """application/pkcs7-mime; smime-type=signed-data: the content is inside the signature."""
    ENVELOPED = "enveloped"
    """application/pkcs7-mime; smime-type=enveloped-data: AES-CBC, no integrity check."""
    AUTH_ENVELOPED = "auth-enveloped"
    """application/pkcs7-mime; smime-type=authEnveloped-data: AES-GCM, authenticated."""
    PLAIN = "plain"
    """Not an S/MIME message."""

    @property
    def description(self) -> str:
        return str(TEXT["kinds"][self.value])


def message_kind(message: bytes | SplitMessage) -> MessageKind:
    """Classify a message by its Content-Type (and smime-type parameter)."""
    split = split_message(message) if isinstance(message, bytes) else message
    ctype = split.content_type
    if ctype == "multipart/signed":
        return MessageKind.SIGNED
    if ctype in _PKCS7_TYPES:
        smime_type = (split.param("smime-type") or "").lower()
        if smime_type == "signed-data":
            return MessageKind.OPAQUE_SIGNED
        if smime_type == "authenveloped-data":
            return MessageKind.AUTH_ENVELOPED
        if smime_type == "enveloped-data":
            return MessageKind.ENVELOPED
        with cmslib.damaged_input():
            kind = cmslib.content_kind(load_content_info(decode_body(split)))
        return {
            "signed_data": MessageKind.OPAQUE_SIGNED,
            "enveloped_data": MessageKind.ENVELOPED,
            "authenticated_enveloped_data": MessageKind.AUTH_ENVELOPED,
        }.get(kind, MessageKind.PLAIN)
    return MessageKind.PLAIN


def _not_smime(split: SplitMessage, wanted: str) -> InputError:
    """``wanted``: ``encrypted`` or ``signed``."""
    return InputError(TEXT[f"not_smime_{wanted}"].format(content_type=split.content_type))


# -- signing -------------------------------------------------------------------------------------


def sign_message(
    message: bytes,
    *,
    key: PrivateKey,
    certificate: x509.Certificate,
    digest: str = "sha256",
    boundary: str | None = None,
) -> bytes:
    """Sign a message: multipart/signed with a detached CMS signature (RFC 8551 §3.5.3).

    The signature covers the canonical (CRLF) MIME entity and carries the signer's certificate
    (RFC 8551 §2.4.1), so any receiver can check it. RSA keys sign with PKCS #1 v1.5, EC keys
    with ECDSA; the digest is SHA-256 unless ``digest`` says sha384 or sha512.
    """
    if digest not in _HASHES:
        raise InputError(TEXT["digest"].format(digest=digest))
    _check_key_matches(key, certificate)
    split = split_message(message)
    entity = Entity.from_split(split, seven_bit=True)
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(entity.data)
        .add_signer(certificate, key, _HASHES[digest])
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )
    return make_multipart_signed(
        split, entity, signature, micalg=_MICALG[digest], boundary=boundary
    )


def _check_key_matches(key: PrivateKey, certificate: x509.Certificate) -> None:
    public = certificate.public_key()
    same = isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) and (
        key.public_key().public_numbers() == public.public_numbers()
    )
    if not same:
        raise InputError(TEXT["key_mismatch"])


# -- encryption ----------------------------------------------------------------------------------


def encrypt_message(
    message: bytes,
    recipients: Sequence[x509.Certificate],
    *,
    cipher: ContentCipher = ContentCipher.AES256_GCM,
    key_transport: KeyTransport = KeyTransport.RSA_PKCS1V15,
    random_bytes: RandomBytes = os.urandom,
    now: dt.datetime | None = None,
) -> bytes:
    """Encrypt a message for one or more recipients (RFC 8551 §3.3).

    The default is AES-256-GCM in AuthEnvelopedData (``smime-type=authEnveloped-data``), which
    detects any change; AES-CBC EnvelopedData is there for old clients. RSA recipients get the
    content key with PKCS #1 v1.5, which every mail program reads, or with RSA-OAEP
    (``key_transport``), which RFC 8551 §2.3 recommends. The header fields From,
    To, Subject ... stay readable on the outside: only the MIME entity is encrypted.
    ``random_bytes`` supplies the content key, IV and nonce of the hand-built structures (AES-GCM,
    or any EC recipient); AES-CBC for RSA recipients only is made by cryptography, which draws its
    own randomness.

    A recipient certificate that is out of date at ``now`` (default: the current time) or whose
    key may not protect a content key is refused with a sentence that names it: its owner may
    no longer have the key (RFC 8550 §4.4.2, RFC 5280 §4.1.2.5).
    """
    return b"".join(
        encrypt_message_parts(
            message,
            recipients,
            cipher=cipher,
            key_transport=key_transport,
            random_bytes=random_bytes,
            now=now,
        )
    )


def encrypt_message_parts(
    message: bytes,
    recipients: Sequence[x509.Certificate],
    *,
    cipher: ContentCipher = ContentCipher.AES256_GCM,
    key_transport: KeyTransport = KeyTransport.RSA_PKCS1V15,
    random_bytes: RandomBytes = os.urandom,
    now: dt.datetime | None = None,
) -> Iterator[bytes]:
    """:func:`encrypt_message` in pieces to write out one after another (the command line does).

    Everything that can fail is done before this returns; the pieces are the header block and
    the Base64 lines in blocks of about 1 MB, made as they are taken, so the encoded message
    never has to exist whole beside the encrypted one.
    """
    if not recipients:
        raise InputError(enveloped.TEXT["no_recipients"])
    for cert in recipients:
        _check_recipient(cert, now or dt.datetime.now(dt.timezone.utc))
    split = split_message(message)
    all_rsa = all(isinstance(c.public_key(), rsa.RSAPublicKey) for c in recipients)
    der: bytes | bytearray
    if not cipher.authenticated and all_rsa and key_transport is KeyTransport.RSA_PKCS1V15:
        # cryptography does this one itself: AES-CBC with RSA key transport.
        entity = Entity.from_split(split)
        split = dataclasses.replace(split, body=b"")  # only the header fields are needed now
        builder = pkcs7.PKCS7EnvelopeBuilder().set_data(entity.data)
        for cert in recipients:
            builder = builder.add_recipient(cert)
        der = builder.set_content_encryption_algorithm(
            algorithms.AES256 if cipher.key_size == 32 else algorithms.AES128
        ).encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
        del entity
    else:
        # The entity in two pieces, its header fields and its body; a body already canonical is
        # read from the message's own bytes, and the body copy in split is let go.
        body: bytes | memoryview
        head, body = Entity.parts(split)
        if body is split.body:
            body = memoryview(message)[len(message) - len(body) :]
        split = dataclasses.replace(split, body=b"")
        der = build_enveloped_buffer(
            (head, body), recipients, cipher, key_transport=key_transport, random_bytes=random_bytes
        )
        del body
    smime_type = "authEnveloped-data" if cipher.authenticated else "enveloped-data"
    return pkcs7_mime_parts(split, der, smime_type=smime_type)


def _check_recipient(cert: x509.Certificate, now: dt.datetime) -> None:
    from mailsec.pki.validate import certificate_addresses, describe_name

    who = ", ".join(certificate_addresses(cert)) or describe_name(cert.subject)
    if now > cert.not_valid_after_utc:
        date = f"{cert.not_valid_after_utc:%Y-%m-%d}"
        raise InputError(TEXT["recipient_expired"].format(who=who, date=date))
    if now < cert.not_valid_before_utc:
        date = f"{cert.not_valid_before_utc:%Y-%m-%d}"
        raise InputError(TEXT["recipient_not_yet"].format(who=who, date=date))
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # no key usage extension: any use is allowed (RFC 5280 §4.2.1.3)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey) and not usage.key_encipherment:
        raise InputError(TEXT["recipient_rsa"].format(who=who))
    if isinstance(key, ec.EllipticCurvePublicKey) and not usage.key_agreement:
        raise InputError(TEXT["recipient_ec"].format(who=who))


def sign_and_encrypt(
    message: bytes,
    *,
    key: PrivateKey,
    certificate: x509.Certificate,
    recipients: Sequence[x509.Certificate],
    cipher: ContentCipher = ContentCipher.AES256_GCM,
    random_bytes: RandomBytes = os.urandom,
) -> bytes:
    """Sign, then encrypt the signed message (RFC 8551 §3.7: the signature is hidden too)."""
    signed = sign_message(message, key=key, certificate=certificate)
    return encrypt_message(signed, recipients, cipher=cipher, random_bytes=random_bytes)


# -- decryption ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decrypted:
    """A decrypted message."""

    message: bytes | memoryview
    """The outer header fields with the decrypted MIME entity: a readable message (bytes from
    :func:`decrypt_message`, a read-only view from :func:`decrypt_message_buffer`)."""
    entity: bytes | memoryview
    """The decrypted MIME entity alone (content header fields and body)."""
    kind: MessageKind
    cipher: ContentCipher
    recipient_kind: RecipientKind
    steps: Trace

    @property
    def authenticated(self) -> bool:
        """Was the content checked for changes? (AES-GCM yes, AES-CBC no.)"""
        return self.cipher.authenticated


def decrypt_message(message: bytes, *, key: PrivateKey, certificate: x509.Certificate) -> Decrypted:
    """Decrypt an S/MIME message addressed to ``certificate`` with its private ``key``.

    Raises :class:`~mailsec.errors.DecryptionError` (wrong key, not for this recipient, changed
    on the way) or :class:`~mailsec.errors.InputError` (not an encrypted S/MIME message). A
    message that fails its integrity check never yields any of its plaintext.
    """
    opened = decrypt_message_buffer(message, key=key, certificate=certificate)
    plain = bytes(opened.message)
    return dataclasses.replace(opened, message=plain, entity=plain[-len(opened.entity) :])


def decrypt_message_buffer(
    message: bytes, *, key: PrivateKey, certificate: x509.Certificate
) -> Decrypted:
    """:func:`decrypt_message` for a large message, as the command line decrypts: the Base64
    body is decoded into one buffer, with room in front for the outer header fields; the
    content is decrypted where it lies in that buffer and the header fields are written just
    before it, so ``message`` and ``entity`` are read-only views into that one buffer. A 10 MB
    message is then held once beside the text it was read from.
    """
    split = split_message(message)
    kind = message_kind(split)
    if kind is MessageKind.SIGNED or kind is MessageKind.OPAQUE_SIGNED:
        raise InputError(TEXT["signed_not_encrypted"])
    if kind is MessageKind.PLAIN:
        raise _not_smime(split, "encrypted")
    head = b"".join(f + CRLF for f in split.outer) + b"MIME-Version: 1.0" + CRLF
    # The body is decoded from the message's own bytes: the copy in split is let go first.
    body_at = len(message) - len(split.body)
    split = dataclasses.replace(split, body=b"")
    buffer = decode_body_buffer(split, memoryview(message)[body_at:], reserve=len(head))
    der = memoryview(buffer)[len(head) :]
    del split
    # The structure without its large ciphertext, which stays in der (no copy per ASN.1 level).
    hollow = cmslib.load_hollow(der)
    info = hollow.info if hollow is not None else load_content_info(bytes(der))
    _check_key_matches_for_decrypt(key, certificate)
    with cmslib.damaged_input():
        opened = _open(info, der, key, certificate, hollow and hollow.ciphertext)
    content = opened.content
    if hollow is not None and isinstance(content, memoryview) and content.obj is buffer:
        # Decrypted in place, from where the ciphertext started: the header goes just before.
        start = len(head) + hollow.offset
        buffer[start - len(head) : start] = head
        plain = memoryview(buffer)[start - len(head) : start + len(content)].toreadonly()
    else:
        plain = memoryview(head + content).toreadonly()
    entity = plain[len(head) :]
    return Decrypted(plain, entity, kind, opened.cipher, opened.recipient_kind, opened.steps)


def _open(
    info: cms.ContentInfo,
    der: bytes | memoryview,
    key: PrivateKey,
    certificate: x509.Certificate,
    ciphertext: memoryview | None = None,
) -> Opened:
    if (
        cmslib.content_kind(info) == "enveloped_data"
        and isinstance(key, rsa.RSAPrivateKey)
        and all(
            ri.name == "ktri"
            and ri.chosen["key_encryption_algorithm"]["algorithm"].native == "rsaes_pkcs1v15"
            for ri in info["content"]["recipient_infos"]
        )
        and info["content"]["encrypted_content_info"]["content_encryption_algorithm"][
            "algorithm"
        ].native
        in ("aes128_cbc", "aes256_cbc")
    ):
        return _open_with_cryptography(info, der, key, certificate)
    return open_enveloped(info, key, certificate, ciphertext=ciphertext)


def _check_key_matches_for_decrypt(key: PrivateKey, certificate: x509.Certificate) -> None:
    try:
        _check_key_matches(key, certificate)
    except InputError as exc:
        raise DecryptionError(exc.message) from None


def _open_with_cryptography(
    info: cms.ContentInfo,
    der: bytes | memoryview,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
) -> Opened:
    """RSA + AES-CBC EnvelopedData: cryptography's pkcs7_decrypt_der does it (50+, no oracle)."""
    recipients = info["content"]["recipient_infos"]
    if not any(cmslib.names_certificate(ri.chosen["rid"].chosen, certificate) for ri in recipients):
        raise DecryptionError(enveloped.TEXT["not_for_you"].format(count=len(recipients)))
    algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
    cipher = ContentCipher.from_oid_name(algorithm["algorithm"].native)
    try:
        content = pkcs7.pkcs7_decrypt_der(bytes(der), certificate, key, [])
    except ValueError:
        raise DecryptionError(enveloped.TEXT["opaque"]) from None
    steps = (
        Step(TEXT["envelope"].format(count=len(recipients)), section="RFC 5652 §6.1"),
        Step(TEXT["rsa_transport"], Outcome.OK, "RFC 5652 §6.2.1"),
        Step(
            enveloped.TEXT["cbc"].format(cipher=cipher.description),
            Outcome.WARN,
            "RFC 8551 §2.7",
        ),
    )
    return Opened(content, cipher, RecipientKind.KEY_TRANSPORT, len(recipients), steps)


# -- verification --------------------------------------------------------------------------------


class SignatureStatus(enum.Enum):
    """The verdict on a signed message."""

    VALID = "valid"
    """The content is unchanged and the signer's certificate is trusted, in date and for From:."""
    TAMPERED = "tampered"
    """The signature does not match: the content was changed after signing."""
    NO_CERTIFICATE = "no certificate"
    """The signature does not carry the signer's certificate (RFC 8551 §2.4.1 requires it)."""
    EXPIRED = "expired"
    """The signer's certificate has expired."""
    NOT_YET_VALID = "not yet valid"
    """The signer's certificate is not valid yet."""
    UNTRUSTED = "untrusted"
    """The signer's certificate does not chain to a trusted CA."""
    WRONG_PURPOSE = "wrong purpose"
    """The signer's certificate is not for email protection."""
    WRONG_ADDRESS = "wrong address"
    """The signer's certificate is for another address than the From: header field."""
    WEAK_HASH = "weak hash"
    """The signature is made over SHA-1 or MD5, whose collisions can be computed."""

    @property
    def description(self) -> str:
        return str(TEXT["statuses"][self.value])


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify_message`."""

    status: SignatureStatus
    signature: SignatureCheck
    certificate_check: CertificateCheck | None
    """The check of the signer's certificate (None if it was not reached)."""
    sender: str | None
    """The From: address of the message, if any."""
    steps: Trace

    @property
    def valid(self) -> bool:
        return self.status is SignatureStatus.VALID

    @property
    def content(self) -> bytes | None:
        """The signed MIME entity, only when the whole verification passed."""
        return self.signature.content if self.valid else None

    @property
    def signer(self) -> x509.Certificate | None:
        return self.signature.signer


def _sender(split: SplitMessage) -> str | None:
    values = split.headers.get_all("From") or []
    addresses = [a for _, a in getaddresses([str(v) for v in values]) if a]
    return addresses[0] if addresses else None


def verify_message(
    message: bytes,
    *,
    trusted: Sequence[x509.Certificate],
    now: dt.datetime | None = None,
) -> Verification:
    """Check a signed message: the signature, the chain to ``trusted``, dates and the From: address.

    Works on the canonical CRLF form whatever line endings the input has (RFC 8551 §3.1.1).
    Returns a :class:`Verification` for any signed message (a bad signature is a result, not an
    exception); raises :class:`~mailsec.errors.InputError` for input that is not a signed message.
    """
    from mailsec.pki.validate import CertificateStatus, check_certificate

    data = canonical_crlf(message)
    split = split_message(data)
    kind = message_kind(split)
    if kind in (MessageKind.ENVELOPED, MessageKind.AUTH_ENVELOPED):
        raise InputError(TEXT["encrypted_not_signed"])
    if kind is MessageKind.SIGNED:
        protocol = (split.param("protocol") or "").lower()
        if protocol not in ("application/pkcs7-signature", "application/x-pkcs7-signature"):
            raise InputError(TEXT["protocol"].format(protocol=protocol))
        content, signature_part = split_multipart_signed(split, data)
        sig_split = split_message(signature_part)
        info = load_content_info(decode_body(sig_split))
    elif kind is MessageKind.OPAQUE_SIGNED:
        content = None
        info = load_content_info(decode_body(split))
    else:
        raise _not_smime(split, "signed")
    if cmslib.content_kind(info) != "signed_data":
        raise InputError(TEXT["not_signed_data"])
    with cmslib.damaged_input(TEXT["signature_part"]):
        signature = verify_signed_data(info, content)
    steps = list(signature.steps)
    sender = _sender(split)
    if signature.signer is None:
        status = SignatureStatus.NO_CERTIFICATE
        return Verification(status, signature, None, sender, tuple(steps))
    if signature.weak_hash is not None:
        return Verification(SignatureStatus.WEAK_HASH, signature, None, sender, tuple(steps))
    if not signature.valid:
        return Verification(SignatureStatus.TAMPERED, signature, None, sender, tuple(steps))
    if sender is None:
        steps.append(Step(TEXT["no_from"], Outcome.WARN, "RFC 8551 §3"))
    with cmslib.damaged_input(TEXT["signer_certificate"]):
        check = check_certificate(
            signature.signer,
            trusted=trusted,
            intermediates=[c for c in signature.certificates if c != signature.signer],
            email=sender,
            now=now,
        )
    steps.extend(Step(s.text, s.outcome, s.section, s.depth + 1, s.data) for s in check.steps)
    status = {
        CertificateStatus.VALID: SignatureStatus.VALID,
        CertificateStatus.EXPIRED: SignatureStatus.EXPIRED,
        CertificateStatus.NOT_YET_VALID: SignatureStatus.NOT_YET_VALID,
        CertificateStatus.UNTRUSTED: SignatureStatus.UNTRUSTED,
        CertificateStatus.WRONG_PURPOSE: SignatureStatus.WRONG_PURPOSE,
        CertificateStatus.WRONG_ADDRESS: SignatureStatus.WRONG_ADDRESS,
    }[check.status]
    return Verification(status, signature, check, sender, tuple(steps))
