"""OpenPGP messages: encrypt, decrypt, sign and verify (RFC 4880 §11.3).

An encrypted message is one *Public-Key Encrypted Session Key* packet (PKESK, version 3) per
recipient, each holding the same random session key encrypted to that recipient's key (and one
*Symmetric-Key Encrypted Session Key* packet, SKESK, per password, see
:mod:`mailsec.openpgp.passwords`), followed by
one *Symmetrically Encrypted Integrity Protected Data* packet (SEIPD, version 1) holding the message
encrypted with AES-256 in OpenPGP's CFB mode (RFC 4880 §5.13). Inside, at the end, a *Modification
Detection Code* packet (MDC) carries the SHA-1 of everything before it; a message that was changed
after encryption fails that check, and its plaintext is never released. The older packet without the
MDC (SED, tag 9) is refused outright: without integrity protection an attacker can change the text.

Signatures are either *detached* (a separate signature block for the data) or *inline*: a One-Pass
Signature packet, the Literal Data packet and the Signature packet, so a reader can hash the data on
its way through (RFC 4880 §5.4). Signing and encrypting together puts that inline structure inside
the encrypted packet.

mailsec writes exactly what GnuPG 2.2 and sqop 0.27 read (PKESK v3, SEIPD v1 with MDC, AES-256) and
never the newer SEIPD v2 / PKESK v6 of RFC 9580, which they cannot read.
"""

from __future__ import annotations

import bz2
import hashlib
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from mailsec.errors import DecryptionError, InputError, VerificationError
from mailsec.openpgp import session
from mailsec.openpgp.armor import ArmorLabel, armor, dearmor, is_armored
from mailsec.openpgp.certs import Certificate, SecretKey
from mailsec.openpgp.cleartext import HASH_NAMES, is_cleartext, read_cleartext
from mailsec.openpgp.constants import (
    CompressionAlgorithm,
    HashAlgorithm,
    KeyFlags,
    PacketTag,
    PublicKeyAlgorithm,
    SignatureType,
    SymmetricAlgorithm,
)
from mailsec.openpgp.keys import KeyMaterial, UnsupportedAlgorithmError
from mailsec.openpgp.packets import Packet, encode_length, encode_packet, read_packets
from mailsec.openpgp.passwords import make_skesk, open_skesk, parse_skesk
from mailsec.openpgp.signatures import Signature, canonical_text, make_signature, parse_signature
from mailsec.trace import Outcome, Step

__all__ = [
    "CannotEncryptError",
    "CannotSignError",
    "Decrypted",
    "LiteralData",
    "Verification",
    "decrypt",
    "encrypt",
    "inline_sign",
    "inline_verify",
    "sign",
    "verify",
]

Random = Callable[[int], bytes]

#: The cipher mailsec encrypts with: AES-256, which every recipient of a v4 key with the MDC
#: feature can read (RFC 4880 §9.2, §13.2).
CIPHER = SymmetricAlgorithm.AES256
#: The hash mailsec signs with (RFC 4880 §9.4); GnuPG 2.2 and sqop both read SHA-512.
SIGNING_HASH = HashAlgorithm.SHA512
#: The deepest nesting of compressed packets read before giving up (a guard against "zip bombs").
MAX_DEPTH = 8
#: The most octets a compressed packet may expand to (a guard against decompression bombs).
MAX_DECOMPRESSED = 1 << 30


class CannotEncryptError(InputError):
    """A recipient's certificate has no key that may encrypt."""


class CannotSignError(InputError):
    """The secret key has no key that may sign."""


@dataclass(frozen=True)
class Verification:
    """The outcome of checking one signature."""

    valid: bool
    key_id: str
    """The key ID the signature names (16 hex digits)."""
    created: datetime | None
    signer_fingerprint: str | None = None
    """The fingerprint of the signer's certificate (its primary key), when a certificate matched."""
    signing_key_fingerprint: str | None = None
    """The fingerprint of the key (primary or subkey) that made the signature."""
    reason: str = ""
    """Why it is valid or not, in a sentence."""
    mode: str = "binary"
    """"binary" or "text" (RFC 4880 §5.2.1)."""
    hash_algorithm: str = ""
    public_key_algorithm: str = ""
    steps: tuple[Step, ...] = field(default=(), repr=False)
    """How the check went, step by step, with the RFC sections."""


@dataclass(frozen=True)
class LiteralData:
    """The Literal Data packet's fields (RFC 4880 §5.9)."""

    format: str
    filename: str
    date: datetime
    data: bytes


@dataclass(frozen=True)
class Decrypted:
    """A decrypted message: the plaintext, the signatures inside, and how it was decrypted."""

    plaintext: bytes
    verifications: tuple[Verification, ...] = ()
    session_key_algorithm: str = ""
    decrypted_with: str = ""
    """The fingerprint of the key whose PKESK opened the message."""
    literal: LiteralData | None = None
    compression: str | None = None
    steps: tuple[Step, ...] = field(default=(), repr=False)
    session_key: tuple[int, bytes] | None = field(default=None, repr=False)
    """The symmetric algorithm number and session key (what ``sop decrypt --session-key-out``
    prints); keep it secret like the plaintext."""

    @property
    def valid_signatures(self) -> tuple[Verification, ...]:
        return tuple(v for v in self.verifications if v.valid)


def _now(now: datetime | None) -> datetime:
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise InputError(f"The time {moment!r} has no time zone; give an aware datetime (UTC).")
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _binary(data: bytes | str, what: str) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"The {what} must be bytes, not {type(data).__name__}.")
    data = bytes(data)
    if not data.strip():
        raise InputError(f"The {what} is empty.")
    return dearmor(data)[1] if is_armored(data) else data


# -- literal data and signing ------------------------------------------------------------------------


def _literal_parts(data: bytes, *, text: bool, created: datetime) -> tuple[bytes, bytes]:
    """A Literal Data packet as (header, data): format, empty file name, date (RFC 4880 §5.9).
    Kept in two parts so a large message is not copied only to be framed. Text ("t") is stored
    with CRLF line endings, as §5.9 asks; GnuPG hashes a text signature's data as stored."""
    if text:
        data = canonical_text(data)
    fields = (b"t" if text else b"b") + b"\x00" + int(created.timestamp()).to_bytes(4, "big")
    length = len(fields) + len(data)
    return bytes([0xC0 | PacketTag.LITERAL_DATA]) + encode_length(length) + fields, data


def _literal_packet(data: bytes, *, text: bool, created: datetime) -> bytes:
    return b"".join(_literal_parts(data, text=text, created=created))


def _parse_literal(body: bytes) -> LiteralData:
    if len(body) < 6 or len(body) < 6 + body[1]:
        raise InputError("The Literal Data packet is too short (RFC 4880 §5.9); it is damaged.")
    name_length = body[1]
    filename = body[2 : 2 + name_length].decode("utf-8", "replace")
    date = int.from_bytes(body[2 + name_length : 6 + name_length], "big")
    return LiteralData(
        format=chr(body[0]),
        filename=filename,
        date=datetime.fromtimestamp(date, tz=timezone.utc),
        data=body[6 + name_length :],
    )


def _signing_key(signer: SecretKey, moment: datetime) -> KeyMaterial:
    if not isinstance(signer, SecretKey):
        raise InputError(
            f"Signing needs a secret key, not a {type(signer).__name__}; read it with read_key()."
        )
    reason = signer.usable_at(moment)
    if reason:
        raise CannotSignError(f"The key cannot sign: {reason}.")
    able = signer.signing_keys(moment)
    keys = [k for k in able if k.secret is not None]
    if able and not keys:
        raise CannotSignError(
            f"The key {signer.fingerprint} may sign, but the secret of its signing key is not in "
            "this export (a GnuPG stub, as --export-secret-subkeys writes); export the full key."
        )
    if not keys:
        raise CannotSignError(
            f"The key {signer.fingerprint} has no secret key that may sign (its key flags do not "
            "allow signing, or the signing subkey expired)."
        )
    return keys[0]


def _document_signature(
    data: bytes, signer: SecretKey, *, text: bool, moment: datetime
) -> Signature:
    key = _signing_key(signer, moment)
    content = canonical_text(data) if text else data
    return make_signature(
        key,
        SignatureType.TEXT if text else SignatureType.BINARY,
        content,
        created=moment,
        hash_algorithm=SIGNING_HASH,
    )


def _one_pass(signature: Signature, key_id: bytes, *, last: bool) -> bytes:
    """A One-Pass Signature packet announcing ``signature`` (RFC 4880 §5.4)."""
    body = bytes([3, signature.type, signature.hash_algorithm, signature.algorithm])
    return encode_packet(PacketTag.ONE_PASS_SIGNATURE, body + key_id + bytes([int(last)]))


def _inline_parts(
    data: bytes, signers: Sequence[SecretKey], *, text: bool, moment: datetime
) -> tuple[bytes, ...]:
    """One-Pass Signature packets, Literal Data, Signature packets (RFC 4880 §5.4, §11.3)."""
    signatures = [_document_signature(data, s, text=text, moment=moment) for s in signers]
    ops = b"".join(
        _one_pass(sig, bytes.fromhex(sig.issuer_key_id or "00" * 8), last=i == len(signatures) - 1)
        for i, sig in enumerate(signatures)
    )
    # Signatures come in the reverse order of their one-pass packets (RFC 4880 §5.4).
    trailer = b"".join(
        encode_packet(PacketTag.SIGNATURE, sig.to_body()) for sig in reversed(signatures)
    )
    return (ops, *_literal_parts(data, text=text, created=moment), trailer)


def _inline(data: bytes, signers: Sequence[SecretKey], *, text: bool, moment: datetime) -> bytes:
    return b"".join(_inline_parts(data, signers, text=text, moment=moment))


def sign(
    data: bytes,
    signer: SecretKey,
    *,
    text: bool = False,
    armor: bool = True,
    now: datetime | None = None,
) -> bytes:
    """A detached signature over ``data`` (RFC 4880 §5.2, type 0x00, or 0x01 with ``text``)."""
    signature = _document_signature(_data(data), signer, text=text, moment=_now(now))
    packet = encode_packet(PacketTag.SIGNATURE, signature.to_body())
    return _armor_if(packet, ArmorLabel.SIGNATURE, armor)


def inline_sign(
    data: bytes,
    signer: SecretKey | Sequence[SecretKey],
    *,
    text: bool = False,
    armor: bool = True,
    now: datetime | None = None,
) -> bytes:
    """A one-pass signed message: One-Pass Signature, Literal Data, Signature (RFC 4880 §11.3)."""
    signers = [signer] if isinstance(signer, SecretKey) else list(signer)
    if not signers:
        raise InputError("Inline signing needs at least one secret key.")
    message = _inline(_data(data), signers, text=text, moment=_now(now))
    return _armor_if(message, ArmorLabel.MESSAGE, armor)


def _data(data: bytes) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"The data must be bytes, not {type(data).__name__}.")
    return bytes(data)


def _armor_if(data: bytes, label: ArmorLabel, wanted: bool) -> bytes:
    return armor(data, label) if wanted else data


# -- checking signatures ----------------------------------------------------------------------------


def _check(
    signature: Signature,
    data: bytes,
    certs: Sequence[Certificate],
    moment: datetime,
) -> Verification:
    """Check one document signature against the given certificates, step by step."""
    key_id = signature.issuer_key_id or "0000000000000000"
    text = signature.type == SignatureType.TEXT
    base = {
        "key_id": key_id,
        "created": signature.created,
        "mode": "text" if text else "binary",
        "hash_algorithm": _name(HashAlgorithm, signature.hash_algorithm),
        "public_key_algorithm": _name(PublicKeyAlgorithm, signature.algorithm),
    }
    steps = [
        Step(
            f"A {signature.type_name.lower()} signature by key {key_id}, "
            f"{base['public_key_algorithm']} over {base['hash_algorithm']}.",
            section="RFC 4880 §5.2.3",
        )
    ]

    def result(
        valid: bool,
        reason: str,
        cert: Certificate | None = None,
        key: KeyMaterial | None = None,
        section: str = "RFC 4880 §5.2.4",
    ) -> Verification:
        steps.append(
            Step(
                reason[:1].upper() + reason[1:] + ".",
                Outcome.OK if valid else Outcome.FAIL,
                section,
            )
        )
        return Verification(
            valid=valid,
            reason=reason,
            signer_fingerprint=cert.fingerprint if cert else None,
            signing_key_fingerprint=key.fingerprint if key else None,
            steps=tuple(steps),
            **base,  # type: ignore[arg-type]
        )

    if signature.type not in (SignatureType.BINARY, SignatureType.TEXT):
        return result(
            False,
            f"this is a {signature.type_name}, not a signature over data",
            section="RFC 4880 §5.2.1",
        )
    wanted = signature.issuer_fingerprint or key_id
    matches = [(c, c.find(wanted)) for c in certs if c.find(wanted) is not None]
    if not matches and signature.issuer_key_id is None:
        matches = [(c, k) for c in certs for k in c.signing_keys(signature.created or moment)]
    if not matches:
        return result(
            False,
            f"no certificate was given for the signing key {key_id}",
            section="RFC 4880 §5.2.3.5",
        )
    steps.append(
        Step(
            f"The issuer {wanted} is in the certificate of {_first_uid(matches[0][0])}.",
            Outcome.OK,
            "RFC 4880 §5.2.3.5",
        )
    )
    if signature.created is None:
        return result(False, "the signature has no creation time", section="RFC 4880 §5.2.3.4")
    if signature.created > moment and (signature.created - moment).total_seconds() > 600:
        return result(
            False,
            f"the signature claims to be made in the future ({signature.created:%Y-%m-%d %H:%M} UTC)",
            section="RFC 4880 §5.2.3.4",
        )
    if signature.expired_at(moment):
        return result(False, "the signature has expired", section="RFC 4880 §5.2.3.10")
    if signature.hash_algorithm in (HashAlgorithm.MD5, HashAlgorithm.SHA1, HashAlgorithm.RIPEMD160):
        return result(
            False,
            f"the signature uses {_name(HashAlgorithm, signature.hash_algorithm)}, which is too weak "
            "to trust for signatures",
            section="RFC 9580 §9.5",
        )
    content = canonical_text(data) if text else data
    if text:
        steps.append(
            Step("Text signature: line endings are hashed as CRLF.", section="RFC 4880 §5.2.1")
        )
    last, section = "", "RFC 4880 §5.2.3.21"
    for cert, key in matches:
        assert key is not None
        unusable = cert.usable_at(signature.created)
        if unusable:
            last, section = unusable, "RFC 4880 §5.2.3.6"
            continue
        if key not in cert.signing_keys(signature.created):
            last = f"the key {key.fingerprint} was not allowed to sign at {signature.created:%Y-%m-%d %H:%M} UTC"
            section = "RFC 4880 §5.2.3.21"
            continue
        steps.append(
            Step(
                f"The key {key.key_id} ({key.algorithm_name}) was valid for signing on "
                f"{signature.created:%Y-%m-%d %H:%M} UTC.",
                Outcome.OK,
                "RFC 4880 §5.2.3.21",
            )
        )
        try:
            good = signature.check(key, content)
        except UnsupportedAlgorithmError as exc:
            last, section = exc.message, "RFC 4880 §9.1"
            continue
        if good:
            return result(True, f"good signature by {_first_uid(cert)}", cert, key)
        last = "the signature does not match the data: the data or the signature was changed"
        if signature.unknown_critical:
            last = f"the signature has critical subpackets mailsec does not know ({signature.unknown_critical})"
            section = "RFC 4880 §5.2.3.1"
        else:
            section = "RFC 4880 §5.2.4"
        return result(False, last, cert, key, section)
    return result(False, last, matches[0][0], matches[0][1], section)


def _first_uid(cert: Certificate) -> str:
    return cert.user_ids[0] if cert.user_ids else cert.fingerprint


def _name(enum_type: type, value: int) -> str:
    try:
        return enum_type(value).title  # type: ignore[no-any-return]
    except ValueError:
        return str(value)


def _certs(certs: Sequence[Certificate] | Certificate, what: str) -> list[Certificate]:
    items = [certs] if isinstance(certs, (Certificate, SecretKey)) else list(certs)
    out = []
    for item in items:
        if isinstance(item, SecretKey):
            out.append(item.public)
        elif isinstance(item, Certificate):
            out.append(item)
        else:
            raise InputError(
                f"The {what} must be certificates (read them with read_cert()), not {type(item).__name__}."
            )
    return out


def verify(
    data: bytes,
    signature: bytes,
    certs: Sequence[Certificate],
    *,
    now: datetime | None = None,
) -> tuple[Verification, ...]:
    """Check a detached signature: returns every signature's outcome, good ones first; raises
    :class:`~mailsec.errors.VerificationError` when none of them is a good signature."""
    moment = _now(now)
    packets = read_packets(_binary(signature, "signature"))
    signatures = [parse_signature(p.body) for p in packets if p.tag == PacketTag.SIGNATURE]
    others = [p for p in packets if p.tag not in (PacketTag.SIGNATURE, PacketTag.MARKER)]
    if others or not signatures:
        raise InputError(
            "This is not a detached signature: it holds "
            + (", ".join(sorted({p.name for p in others})) or "no Signature Packet")
            + ". A detached signature is a block of Signature Packets ('-----BEGIN PGP SIGNATURE-----')."
        )
    results = [_check(s, _data(data), _certs(certs, "certificates"), moment) for s in signatures]
    return _require_good(results)


def _require_good(results: list[Verification]) -> tuple[Verification, ...]:
    ordered = tuple(sorted(results, key=lambda v: not v.valid))
    if not any(v.valid for v in ordered):
        reasons = "; ".join(dict.fromkeys(v.reason for v in ordered)) or "no signature found"
        raise VerificationError(f"No valid signature was found: {reasons}.")
    return ordered


# -- reading the inside of a message ----------------------------------------------------------------


@dataclass
class _Contents:
    literal: LiteralData | None = None
    signatures: list[Signature] = field(default_factory=list)
    one_pass: int = 0
    compression: str | None = None


def _decompress(body: bytes) -> tuple[str, bytes]:
    if not body:
        raise InputError("The Compressed Data packet is empty (RFC 4880 §5.6).")
    algorithm, data = body[0], body[1:]
    try:
        if algorithm == CompressionAlgorithm.UNCOMPRESSED:
            return "uncompressed", data
        if algorithm in (CompressionAlgorithm.ZIP, CompressionAlgorithm.ZLIB):
            engine = zlib.decompressobj(-15 if algorithm == CompressionAlgorithm.ZIP else 15)
            out = engine.decompress(data, MAX_DECOMPRESSED)
            if engine.unconsumed_tail:
                raise InputError("The compressed data expands to more than 1 GiB; refused.")
            return CompressionAlgorithm(algorithm).title, out
        if algorithm == CompressionAlgorithm.BZIP2:
            engine_bz2 = bz2.BZ2Decompressor()
            out = engine_bz2.decompress(data, MAX_DECOMPRESSED)
            if not engine_bz2.eof and not engine_bz2.needs_input:
                raise InputError("The compressed data expands to more than 1 GiB; refused.")
            return "BZip2", out
    except (zlib.error, OSError, ValueError):
        raise InputError("The compressed data is damaged and cannot be expanded.") from None
    raise UnsupportedAlgorithmError(
        f"The message is compressed with algorithm {algorithm}, which mailsec does not know; "
        "it reads ZIP, ZLIB and BZip2 (RFC 4880 §9.3)."
    )


def _read_contents(packets: list[Packet], contents: _Contents, depth: int = 0) -> _Contents:
    """Read a literal message, possibly compressed and signed (RFC 4880 §11.3 grammar)."""
    if depth > MAX_DEPTH:
        raise InputError("The message nests compressed packets too deeply; refused.")
    for packet in packets:
        tag = packet.tag
        if tag == PacketTag.COMPRESSED_DATA:
            name, inner = _decompress(packet.body)
            contents.compression = contents.compression or name
            _read_contents(read_packets(inner), contents, depth + 1)
        elif tag == PacketTag.ONE_PASS_SIGNATURE:
            if len(packet.body) != 13 or packet.body[0] != 3:
                raise InputError(
                    "The One-Pass Signature packet is not version 3 (RFC 4880 §5.4); mailsec "
                    "cannot read it."
                )
            contents.one_pass += 1
        elif tag == PacketTag.SIGNATURE:
            contents.signatures.append(parse_signature(packet.body))
        elif tag == PacketTag.LITERAL_DATA:
            if contents.literal is not None:
                raise InputError("The message holds two Literal Data packets; it is malformed.")
            contents.literal = _parse_literal(packet.body)
        elif tag in (PacketTag.MARKER, PacketTag.PADDING):
            continue
        elif tag in (PacketTag.PKESK, PacketTag.SEIPD, PacketTag.SED, PacketTag.SKESK):
            raise InputError(
                "The message is encrypted; decrypt it (with the recipient's secret key) instead."
            )
        else:
            raise InputError(f"A {packet.name} is not expected inside a message (RFC 4880 §11.3).")
    if depth == 0 and contents.literal is None:
        raise InputError(
            "The message holds no Literal Data packet, so there is no content to read."
        )
    return contents


def inline_verify(
    message: bytes,
    certs: Sequence[Certificate],
    *,
    now: datetime | None = None,
) -> tuple[bytes, tuple[Verification, ...]]:
    """Check an inline (one-pass) signed message, or a cleartext-signed one (RFC 4880 §7): returns
    the data and the verifications, good ones first; raises
    :class:`~mailsec.errors.VerificationError` when no good signature is found, so the data is never
    returned without one."""
    moment = _now(now)
    verify_certs = _certs(certs, "certificates")
    if isinstance(message, str):
        message = message.encode("utf-8")
    if isinstance(message, (bytes, bytearray)) and is_cleartext(bytes(message)):
        clear = read_cleartext(bytes(message))
        results = []
        for signature in clear.signatures:
            check = _check(signature, clear.signed, verify_certs, moment)
            announced = HASH_NAMES.get(signature.hash_algorithm, str(signature.hash_algorithm))
            if clear.hashes and announced not in clear.hashes:
                reason = f"the 'Hash:' header does not announce {announced}"
                step = Step(reason[:1].upper() + reason[1:] + ".", Outcome.FAIL, "RFC 4880 §7")
                check = replace(check, valid=False, reason=reason, steps=(*check.steps, step))
            results.append(check)
        return clear.text, _require_good(results)
    contents = _read_contents(read_packets(_binary(message, "signed message")), _Contents())
    assert contents.literal is not None
    if not contents.signatures:
        raise VerificationError("No valid signature was found: the message is not signed.")
    data = contents.literal.data
    results = [_check(s, data, verify_certs, moment) for s in contents.signatures]
    return data, _require_good(results)


# -- encryption --------------------------------------------------------------------------------------


def _cfb(key: bytes) -> Cipher:
    # OpenPGP CFB with a zero IV and no resynchronisation is plain CFB (RFC 4880 §5.13, §13.9).
    return Cipher(algorithms.AES(key), CFB(b"\x00" * 16))


def _recipient_key(cert: Certificate, moment: datetime) -> KeyMaterial:
    if not isinstance(cert, Certificate):
        if isinstance(cert, SecretKey):
            cert = cert.public
        else:
            raise InputError(
                f"Recipients must be certificates (read them with read_cert()), not {type(cert).__name__}."
            )
    keys = cert.encryption_keys(moment)
    if not keys and not cert.usable_at(moment):
        unusable = [
            e.key
            for e in cert.subkeys
            if e.binding is not None
            and e.key.public is None
            and (e.binding.key_flags or 0)
            & (KeyFlags.ENCRYPT_COMMUNICATIONS | KeyFlags.ENCRYPT_STORAGE)
        ]
        if unusable:
            raise UnsupportedAlgorithmError(
                f"Cannot encrypt to {_first_uid(cert)}: its encryption key uses "
                f"{unusable[0].algorithm_name}, which mailsec does not support."
            )
    if not keys:
        reason = cert.usable_at(moment) or "it has no valid encryption subkey"
        raise CannotEncryptError(f"Cannot encrypt to {_first_uid(cert)}: {reason}.")
    # The newest encryption key, as GnuPG chooses (RFC 4880 §5.2.3.21).
    return max(keys, key=lambda k: k.created)


def encrypt(
    plaintext: bytes,
    recipients: Sequence[Certificate],
    *,
    sign_with: Sequence[SecretKey] = (),
    armor: bool = True,
    text: bool = False,
    now: datetime | None = None,
    random: Random = os.urandom,
    passwords: Sequence[bytes | str] = (),
) -> bytes:
    """Encrypt (and optionally sign) ``plaintext`` to every recipient: one PKESK v3 per recipient
    and one SEIPD v1 packet with AES-256 and an MDC (RFC 4880 §5.1, §5.13, §5.14). Each of
    ``passwords`` adds an SKESK v4 packet, so the password opens the message too (§5.3)."""
    moment = _now(now)
    data = _data(plaintext)
    certs = [recipients] if isinstance(recipients, Certificate) else list(recipients)
    secrets = [_data(p) for p in passwords]
    if not certs and not secrets:
        raise InputError("Encryption needs at least one recipient certificate (or a password).")
    if any(not p for p in secrets):
        raise InputError("A password for encryption must not be empty.")
    signers = [sign_with] if isinstance(sign_with, SecretKey) else list(sign_with)
    keys = [_recipient_key(c, moment) for c in certs]

    session_key = random(CIPHER.key_size)
    pkesks = b"".join(session.make_pkesk(k, CIPHER, session_key) for k in keys)
    pkesks += b"".join(make_skesk(p, CIPHER, session_key, random=random) for p in secrets)
    if signers:
        parts = _inline_parts(data, signers, text=text, moment=moment)
    else:
        parts = _literal_parts(data, text=text, created=moment)
    # The random prefix repeats its last two octets so a reader can spot a wrong key early
    # (RFC 4880 §5.13); the MDC hashes prefix, data and the MDC packet's own header (§5.14).
    # The parts are hashed and encrypted one after the other, so the data is copied only once.
    prefix = random(16)
    prefix += prefix[-2:]
    mdc = hashlib.sha1(prefix)
    encryptor = _cfb(session_key).encryptor()
    pieces = [encryptor.update(prefix)]
    for part in parts:
        mdc.update(part)
        pieces.append(encryptor.update(part))
    mdc.update(b"\xd3\x14")
    pieces += [encryptor.update(b"\xd3\x14" + mdc.digest()), encryptor.finalize()]
    body_length = 1 + sum(len(piece) for piece in pieces)
    header = bytes([0xC0 | PacketTag.SEIPD]) + encode_length(body_length) + b"\x01"
    message = b"".join((pkesks, header, *pieces))
    return _armor_if(message, ArmorLabel.MESSAGE, armor)


# -- decryption --------------------------------------------------------------------------------------


def _open_seipd(body: bytes, session_key: bytes, algorithm: int) -> memoryview:
    """Decrypt a SEIPD v1 body and check its MDC; returns the inner packets or raises the one
    opaque DecryptionError (RFC 4880 §5.13, §5.14)."""
    block = 16
    if len(body) < 1 + block + 2 + 22:
        raise DecryptionError()
    try:
        decryptor = Cipher(algorithms.AES(session_key), CFB(b"\x00" * block)).decryptor()
    except ValueError:
        raise DecryptionError() from None
    plain = decryptor.update(memoryview(body)[1:]) + decryptor.finalize()
    # Everything is buffered and checked before anything is released.
    if plain[block - 2 : block] != plain[block : block + 2]:
        raise DecryptionError()
    if plain[-22:-20] != b"\xd3\x14":
        raise DecryptionError()
    digest = hashlib.sha1(memoryview(plain)[:-20]).digest()
    if digest != plain[-20:]:
        raise DecryptionError()
    return memoryview(plain)[block + 2 : -22]  # a view: the plaintext is not copied again


def decrypt(
    message: bytes,
    keys: Sequence[SecretKey],
    *,
    verify_with: Sequence[Certificate] = (),
    now: datetime | None = None,
    session_keys: Sequence[tuple[int, bytes]] = (),
    passwords: Sequence[bytes | str] = (),
) -> Decrypted:
    """Decrypt ``message`` with one of ``keys`` and check the signatures inside against
    ``verify_with``. ``session_keys`` ((algorithm, key) pairs, as ``sop decrypt
    --with-session-key`` gives them) are tried first, then ``passwords`` on the message's SKESK
    packets, then the keys.

    Raises one opaque :class:`~mailsec.errors.DecryptionError` for a wrong key, a changed message,
    a failed MDC or a message without integrity protection; the plaintext is released only after
    its MDC matched. Malformed input raises :class:`~mailsec.errors.InputError`.
    """
    moment = _now(now)
    secret_keys = [keys] if isinstance(keys, SecretKey) else list(keys)
    for item in secret_keys:
        if not isinstance(item, SecretKey):
            raise InputError(
                f"Decryption needs secret keys (read them with read_key()), not {type(item).__name__}."
            )
    verify_certs = _certs(verify_with, "certificates to verify with")
    packets = read_packets(_binary(message, "message"))
    steps: list[Step] = []
    pkesks: list[Packet] = []
    skesks: list[Packet] = []
    encrypted: Packet | None = None
    for packet in packets:
        if packet.tag == PacketTag.PKESK:
            pkesks.append(packet)
        elif packet.tag == PacketTag.SKESK:
            skesks.append(packet)
        elif packet.tag == PacketTag.MARKER:
            continue
        elif packet.tag in (PacketTag.SEIPD, PacketTag.SED, PacketTag.AEAD_ENCRYPTED):
            if encrypted is not None:
                raise InputError("The message holds two encrypted data packets; it is malformed.")
            encrypted = packet
        else:
            raise InputError(
                f"The message holds a {packet.name}, which does not belong in an encrypted "
                "message (RFC 4880 §11.3). Is it encrypted at all?"
            )
    if encrypted is None:
        raise InputError("The message holds no encrypted data packet; it is not encrypted.")
    if encrypted.tag == PacketTag.SED:
        raise DecryptionError(
            "The message uses the old Symmetrically Encrypted Data packet, which has no integrity "
            "protection (RFC 4880 §5.7): anyone could have changed it, so it is refused."
        )
    if encrypted.tag == PacketTag.AEAD_ENCRYPTED or (encrypted.body[:1] != b"\x01"):
        version = encrypted.body[0] if encrypted.body else 0
        raise InputError(
            f"The encrypted data packet is version {version} (or the AEAD packet); mailsec reads "
            "SEIPD version 1 (RFC 4880 §5.13), which GnuPG 2.2 and sqop write."
        )
    steps.append(
        Step(
            f"Found {len(pkesks)} public-key and {len(skesks)} password session key packet(s) "
            "(PKESK, SKESK) and a SEIPD v1 packet.",
            section="RFC 4880 §5.1, §5.13",
        )
    )
    for cipher, session_key in session_keys:
        if (
            cipher not in session.READABLE_CIPHERS
            or len(session_key) != SymmetricAlgorithm(cipher).key_size
        ):
            raise InputError(
                f"The session key {cipher}:{bytes(session_key).hex().upper()} is not an AES key; "
                "give 'ALGORITHM:HEX' with algorithm 7, 8 or 9 (RFC 4880 §9.2)."
            )
        try:
            inner = _open_seipd(encrypted.body, bytes(session_key), cipher)
        except DecryptionError:
            continue
        steps.append(Step("Used the session key that was given.", Outcome.OK, "RFC 4880 §5.1"))
        return _finish(inner, cipher, bytes(session_key), "", steps, verify_certs, moment)
    for packet in skesks if passwords else ():
        skesk = parse_skesk(packet.body)
        for password in passwords:
            opened = open_skesk(skesk, _data(password))
            if opened is None:
                continue
            try:
                inner = _open_seipd(encrypted.body, opened[1], opened[0])
            except DecryptionError:
                continue
            steps.append(
                Step(
                    "The password opened the session key (String-to-Key, then the SKESK packet).",
                    Outcome.OK,
                    "RFC 4880 §3.7.1, §5.3",
                )
            )
            return _finish(inner, opened[0], opened[1], "", steps, verify_certs, moment)
    candidates = [m for k in secret_keys for m in k.decryption_keys()]
    for packet in pkesks:
        pkesk = session.parse_pkesk(packet.body)
        if pkesk is None:
            steps.append(
                Step(
                    f"Skipped a PKESK of version {packet.body[:1].hex() or '?'} (only version 3 is read).",
                    Outcome.WARN,
                    "RFC 4880 §5.1",
                )
            )
            continue
        for material, cipher, session_key in session.open_pkesk(pkesk, candidates):
            try:
                inner = _open_seipd(encrypted.body, session_key, cipher)
            except DecryptionError:
                continue
            steps.append(
                Step(
                    f"Decrypted the session key with key {material.key_id} ({material.algorithm_name}).",
                    Outcome.OK,
                    "RFC 4880 §5.1",
                )
            )
            return _finish(
                inner, cipher, session_key, material.fingerprint, steps, verify_certs, moment
            )
    # One opaque error for a wrong key, a changed message or a failed MDC (no oracle).
    raise DecryptionError()


def _finish(
    inner: memoryview,
    cipher: int,
    session_key: bytes,
    decrypted_with: str,
    steps: list[Step],
    verify_certs: Sequence[Certificate],
    moment: datetime,
) -> Decrypted:
    """Read the packets inside a decrypted (and MDC-checked) SEIPD packet, check signatures."""
    steps.append(
        Step(
            f"Decrypted the data with {SymmetricAlgorithm(cipher).title}; the MDC (SHA-1) matches.",
            Outcome.OK,
            "RFC 4880 §5.13, §5.14",
        )
    )
    contents = _read_contents(read_packets(inner), _Contents())
    literal = contents.literal
    assert literal is not None
    if contents.compression:
        steps.append(
            Step(
                f"The content was compressed ({contents.compression}); expanded it.",
                section="RFC 4880 §5.6",
            )
        )
    steps.append(
        Step(
            f"Literal data: {len(literal.data)} bytes, format {literal.format!r}, "
            f"{len(contents.signatures)} signature(s) inside.",
            section="RFC 4880 §5.9",
        )
    )
    checks = [_check(s, literal.data, verify_certs, moment) for s in contents.signatures]
    results = tuple(sorted(checks, key=lambda v: not v.valid)) if verify_certs else ()
    for result in results:
        steps.append(
            Step(
                f"Signature by key {result.key_id}: {result.reason}.",
                Outcome.OK if result.valid else Outcome.FAIL,
                "RFC 4880 §5.2",
            )
        )
    return Decrypted(
        plaintext=literal.data,
        verifications=results,
        session_key_algorithm=SymmetricAlgorithm(cipher).title,
        decrypted_with=decrypted_with,
        literal=literal,
        compression=contents.compression,
        steps=tuple(steps),
        session_key=(cipher, session_key),
    )
