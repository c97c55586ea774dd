"""Encrypting and decrypting messages (RFC 4880 §5.1, §5.13, §5.14, §11.3).

An encrypted message is one *Public-Key Encrypted Session Key* packet (PKESK, version 3) per
recipient, each holding the same random session key encrypted to that recipient's key
(:mod:`mailsec.openpgp.session`), and one *Symmetric-Key Encrypted Session Key* packet (SKESK) per
password (:mod:`mailsec.openpgp.passwords`), followed by one *Symmetrically Encrypted Integrity
Protected Data* packet (SEIPD, version 1) holding the message encrypted with AES-256 in OpenPGP's
CFB mode (RFC 4880 §5.13). Inside, at the end, a *Modification Detection Code* packet (MDC) carries
the SHA-1 of everything before it; a message that was changed after encryption fails that check,
and its plaintext is never released. The older packet without the MDC (SED, tag 9) is refused
outright: without integrity protection an attacker can change the text.

Decryption goes in three named steps: find the encrypted data and the session key packets
(:func:`_encrypted_parts`), get the session key from a given session key, a password or a secret
key and open the SEIPD packet with it (:func:`open_seipd`), then read what is inside
(:mod:`mailsec.openpgp.contents`) and check its signatures (:mod:`mailsec.openpgp.verifying`).

mailsec writes exactly what GnuPG 2.2 and sqop 0.27 read (PKESK v3, SEIPD v1 with MDC, AES-256) and
never the newer SEIPD v2 / PKESK v6 of RFC 9580, which they cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms

from mailsec.buffers import crypt_in_place, wipe
from mailsec.errors import DecryptionError, InputError
from mailsec.i18n import texts
from mailsec.openpgp import inputs, session
from mailsec.openpgp.armor import ArmorLabel, armor_pieces
from mailsec.openpgp.certs import ENCRYPTION_FLAGS, Certificate, SecretKey
from mailsec.openpgp.constants import PacketTag, SymmetricAlgorithm
from mailsec.openpgp.contents import Budget, LiteralData, literal_parts, read_contents
from mailsec.openpgp.keys import KeyMaterial, UnsupportedAlgorithmError, opaque
from mailsec.openpgp.packets import Packet, encode_length, read_packets
from mailsec.openpgp.passwords import make_skesk, open_skesk, parse_skesk
from mailsec.openpgp.signing import inline_parts
from mailsec.openpgp.verifying import Verification, check_signature
from mailsec.trace import Outcome, Step

__all__ = [
    "CIPHER",
    "CannotEncryptError",
    "Decrypted",
    "decrypt",
    "decrypt_buffer",
    "encrypt",
    "encrypt_buffer",
    "open_seipd",
]

Random = Callable[[int], bytes]

#: The cipher mailsec encrypts with: AES-256, which every recipient of a v4 key with the MDC
#: feature can read (RFC 4880 §9.2, §13.2).
CIPHER = SymmetricAlgorithm.AES256
#: The AES block size, and so the length of the random prefix of the encrypted data (§5.13).
BLOCK = 16
#: The MDC packet's header, as hashed and encrypted: tag 19, length 20 (RFC 4880 §5.14).
MDC_HEADER = b"\xd3\x14"


TEXT = texts(
    {
        "not_cert": "Recipients must be certificates (read them with read_cert()), not {kind}.",
        "unsupported": "Cannot encrypt to {name}: its encryption key uses {algorithm}, which "
        "mailsec does not support.",
        "no_subkey": "it has no valid encryption subkey",
        "cannot": "Cannot encrypt to {name}: {reason}.",
        "no_recipient": "Encryption needs at least one recipient certificate (or a password).",
        "empty_password": "A password for encryption must not be empty.",
        "not_secret": "Decryption needs secret keys (read them with read_key()), not {kind}.",
        "found": "Found {pkesks} public-key and {skesks} password session key packet(s) "
        "(PKESK, SKESK) and a SEIPD v1 packet.",
        "two_data": "The message holds two encrypted data packets; it is malformed.",
        "foreign": "The message holds a {packet}, which does not belong in an encrypted message "
        "(RFC 4880 §11.3). Is it encrypted at all?",
        "no_data": "The message holds no encrypted data packet; it is not encrypted.",
        "sed": "The message uses the old Symmetrically Encrypted Data packet, which has no "
        "integrity protection (RFC 4880 §5.7): anyone could have changed it, so it is refused.",
        "version": "The encrypted data packet is version {version} (or the AEAD packet); mailsec "
        "reads SEIPD version 1 (RFC 4880 §5.13), which GnuPG 2.2 and sqop write.",
        "not_aes": "The session key {key} is not an AES key; give 'ALGORITHM:HEX' with algorithm "
        "7, 8 or 9 (RFC 4880 §9.2).",
        "given_key": "Used the session key that was given.",
        "password": "The password opened the session key (String-to-Key, then the SKESK packet).",
        "skipped": "Skipped a PKESK of version {version} (only version 3 is read).",
        "session_key": "Decrypted the session key with key {key_id} ({algorithm}).",
        "data": "Decrypted the data with {cipher}; the MDC (SHA-1) matches.",
        "compressed": "The content was compressed ({compression}); expanded it.",
        "literal": "Literal data: {size} bytes, format {format!r}, {count} signature(s) inside.",
        "signature": "Signature by key {key_id}: {reason}.",
    }
)
"""Encryption and decryption, in words (see :mod:`mailsec.i18n`). Every failure to decrypt says
the same sentence (:func:`mailsec.openpgp.keys.opaque`): which check failed is not told to
whoever sent the message."""


class CannotEncryptError(InputError):
    """A recipient's certificate has no key that may encrypt."""


@dataclass(frozen=True)
class Decrypted:
    """A decrypted message: the plaintext, the signatures inside, and how it was decrypted."""

    plaintext: bytes | memoryview
    """The content: bytes from :func:`decrypt`, a read-only view from :func:`decrypt_buffer`."""
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


def _cfb(key: bytes) -> Cipher:
    # OpenPGP CFB with a zero IV and no resynchronisation is plain CFB (RFC 4880 §5.13, §13.9).
    return Cipher(algorithms.AES(key), CFB(b"\x00" * BLOCK))


# -- encryption --------------------------------------------------------------------------------------


def _recipient_key(cert: Certificate, moment: datetime) -> KeyMaterial:
    """The key of ``cert`` to encrypt to at ``moment``, or a sentence saying why there is none."""
    if not isinstance(cert, Certificate):
        if isinstance(cert, SecretKey):
            cert = cert.public
        else:
            raise InputError(TEXT["not_cert"].format(kind=type(cert).__name__))
    keys = cert.encryption_keys(moment)
    if not keys and not cert.usable_at(moment):
        unusable = [
            e.key
            for e in cert.subkeys
            if e.binding is not None
            and e.key.public is None
            and (e.binding.key_flags or 0) & ENCRYPTION_FLAGS
        ]
        if unusable:
            raise UnsupportedAlgorithmError(
                TEXT["unsupported"].format(
                    name=cert.display_name, algorithm=unusable[0].algorithm_name
                )
            )
    if not keys:
        reason = cert.usable_at(moment) or TEXT["no_subkey"]
        raise CannotEncryptError(TEXT["cannot"].format(name=cert.display_name, reason=reason))
    # The newest encryption key, as GnuPG chooses (RFC 4880 §5.2.3.21).
    return max(keys, key=lambda k: k.created)


#: Plaintext encrypted at a time: a large message is encrypted (and armored) in pieces this size.
ENCRYPT_BLOCK = 1 << 18


def _seipd(
    session_key: bytes, parts: Sequence[bytes], random: Random
) -> tuple[int, Iterator[bytes]]:
    """A SEIPD v1 packet holding ``parts`` and their MDC, encrypted with ``session_key``: its
    length, and its octets in pieces of about :data:`ENCRYPT_BLOCK` as they are encrypted.

    The random prefix repeats its last two octets so a reader can spot a wrong key early (RFC 4880
    §5.13); the MDC hashes prefix, data and the MDC packet's own header (§5.14). CFB turns every
    octet into one octet, so the packet's length is known before anything is encrypted.
    """
    prefix = random(BLOCK)
    prefix += prefix[-2:]
    body_length = 1 + len(prefix) + sum(len(part) for part in parts) + len(MDC_HEADER) + 20
    header = bytes([0xC0 | PacketTag.SEIPD]) + encode_length(body_length) + b"\x01"

    def pieces() -> Iterator[bytes]:
        yield header
        mdc = hashlib.sha1(prefix)
        encryptor = _cfb(session_key).encryptor()
        yield encryptor.update(prefix)
        for part in parts:
            view = memoryview(part)
            for start in range(0, len(view), ENCRYPT_BLOCK):
                block = view[start : start + ENCRYPT_BLOCK]
                mdc.update(block)
                yield encryptor.update(block)
        mdc.update(MDC_HEADER)
        yield encryptor.update(MDC_HEADER + mdc.digest()) + encryptor.finalize()

    return len(header) - 1 + body_length, pieces()  # the version octet is in both


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
    return bytes(
        encrypt_buffer(
            plaintext,
            recipients,
            sign_with=sign_with,
            armor=armor,
            text=text,
            now=now,
            random=random,
            passwords=passwords,
        )
    )


def encrypt_buffer(
    plaintext: bytes,
    recipients: Sequence[Certificate],
    *,
    sign_with: Sequence[SecretKey] = (),
    armor: bool = True,
    text: bool = False,
    now: datetime | None = None,
    random: Random = os.urandom,
    passwords: Sequence[bytes | str] = (),
) -> bytearray:
    """:func:`encrypt`, the message written into one buffer as it is encrypted and returned as
    it is: the command line writes a 10 MB message out without a copy of it in ``bytes``."""
    moment = inputs.moment(now)
    data = inputs.data_bytes(plaintext)
    certs = [recipients] if isinstance(recipients, Certificate) else list(recipients)
    secrets = [inputs.data_bytes(p) for p in passwords]
    if not certs and not secrets:
        raise InputError(TEXT["no_recipient"])
    if any(not p for p in secrets):
        raise InputError(TEXT["empty_password"])
    signers = [sign_with] if isinstance(sign_with, SecretKey) else list(sign_with)
    keys = [_recipient_key(c, moment) for c in certs]

    session_key = random(CIPHER.key_size)
    pkesks = b"".join(session.make_pkesk(k, CIPHER, session_key) for k in keys)
    pkesks += b"".join(make_skesk(p, CIPHER, session_key, random=random) for p in secrets)
    if signers:
        parts = inline_parts(data, signers, text=text, moment=moment)
    else:
        parts = literal_parts(data, text=text, created=moment)
    size, pieces = _seipd(session_key, parts, random)
    message = itertools.chain([pkesks], pieces)
    if armor:
        return armor_pieces(message, len(pkesks) + size, ArmorLabel.MESSAGE)
    out, position = bytearray(len(pkesks) + size), 0
    for piece in message:
        out[position : position + len(piece)] = piece
        position += len(piece)
    return out


# -- decryption --------------------------------------------------------------------------------------


def open_seipd(body: bytes | memoryview, session_key: bytes, algorithm: int) -> memoryview:
    """Decrypt a SEIPD v1 body and check its MDC; returns the inner packets or raises the one
    opaque DecryptionError (RFC 4880 §5.13, §5.14).

    A writable ``body`` (a view into a buffer the caller owns) is decrypted where it lies, so a
    large message is not held twice; when the MDC does not match, the ciphertext is put back (CFB
    encryption of the plaintext with the same key gives it again) so that another key can try.
    Any other ``body`` is decrypted into a copy.
    """
    if len(body) < 1 + BLOCK + 2 + 22:
        raise opaque()
    try:
        cipher = _cfb(session_key)
    except ValueError:
        raise opaque() from None
    if isinstance(body, memoryview) and not body.readonly:
        in_place, plain = True, body[1:]
    else:
        in_place, plain = False, memoryview(bytearray(memoryview(body)[1:]))
    _run_cfb(plain, cipher.decryptor())
    # Everything is decrypted and checked before anything is released.
    if not _intact(plain):
        if in_place:
            _run_cfb(plain, cipher.encryptor())
        else:
            wipe(plain)
        raise opaque()
    return plain[BLOCK + 2 : -22]  # a view: the plaintext is not copied again


def _run_cfb(buffer: memoryview, context: CipherContext) -> None:
    """CFB over ``buffer`` where it lies (CFB gives one octet for one octet: nothing is held)."""
    crypt_in_place(context, buffer)
    if context.finalize():
        raise opaque()


def _intact(plain: memoryview) -> bool:
    """Whether a decrypted SEIPD body is whole: the prefix repeats its last two octets (RFC 4880
    §5.13) and it ends in an MDC packet that matches the SHA-1 of everything before it (§5.14)."""
    # Every check runs every time, so how long a refusal takes does not say which check failed.
    quick = plain[BLOCK - 2 : BLOCK] == plain[BLOCK : BLOCK + 2]
    framed = plain[-22:-20] == MDC_HEADER
    digest = hashlib.sha1(plain[:-20]).digest()
    return hmac.compare_digest(digest, bytes(plain[-20:])) & quick & framed


class _Opened(NamedTuple):
    """An SEIPD packet opened (its MDC checked), and the session key that opened it."""

    inner: memoryview
    cipher: int
    session_key: bytes
    decrypted_with: str
    """The fingerprint of the secret key that gave the session key ("" for a session key or a
    password)."""


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
    result = decrypt_buffer(
        message,
        keys,
        verify_with=verify_with,
        now=now,
        session_keys=session_keys,
        passwords=passwords,
    )
    plaintext = bytes(result.plaintext)
    literal = result.literal and replace(result.literal, data=plaintext)
    return replace(result, plaintext=plaintext, literal=literal)


def decrypt_buffer(
    message: bytes,
    keys: Sequence[SecretKey],
    *,
    verify_with: Sequence[Certificate] = (),
    now: datetime | None = None,
    session_keys: Sequence[tuple[int, bytes]] = (),
    passwords: Sequence[bytes | str] = (),
) -> Decrypted:
    """:func:`decrypt` for a large message: armored text is decoded into a buffer of its own, the
    SEIPD packet is decrypted where it lies there, and the plaintext is a read-only view into
    that buffer rather than bytes. A 10 MB message is then held once beside its armored text,
    which is how the command line decrypts.
    """
    moment = inputs.moment(now)
    secret_keys: list[SecretKey] = [keys] if isinstance(keys, SecretKey) else list(keys)
    for item in secret_keys:
        if not isinstance(item, SecretKey):
            raise InputError(TEXT["not_secret"].format(kind=type(item).__name__))
    verify_certs = inputs.certificates(verify_with, "certificates to verify with")
    budget = Budget()  # one for the whole message: its packets, inside and out (contents.py)
    packets = read_packets(inputs.binary_buffer(message, "message"), budget=budget, views=True)
    pkesks, skesks, encrypted = _encrypted_parts(packets)
    steps = [
        Step(
            TEXT["found"].format(pkesks=len(pkesks), skesks=len(skesks)),
            section="RFC 4880 §5.1, §5.13",
        )
    ]
    opened = (
        _open_with_session_keys(encrypted, session_keys, steps)
        or _open_with_passwords(encrypted, skesks, passwords, steps)
        or _open_with_keys(encrypted, pkesks, secret_keys, steps)
    )
    if opened is None:
        # One opaque error for a wrong key, a changed message or a failed MDC (no oracle).
        raise opaque()
    # The ciphertext is done with: let it go before the plaintext is read, so that a large
    # message is not held three times over (ciphertext, plaintext, literal data).
    del packets, pkesks, skesks, encrypted
    return _finish(opened, steps, verify_certs, moment, budget)


def _encrypted_parts(packets: list[Packet]) -> tuple[list[Packet], list[Packet], Packet]:
    """The PKESK packets, the SKESK packets and the one SEIPD v1 packet of an encrypted message
    (RFC 4880 §11.3); anything else is refused, the unprotected SED packet with a DecryptionError."""
    pkesks: list[Packet] = []
    skesks: list[Packet] = []
    encrypted: Packet | None = None
    for packet in packets:
        if packet.tag == PacketTag.PKESK:
            pkesks.append(replace(packet, body=bytes(packet.body)))
        elif packet.tag == PacketTag.SKESK:
            skesks.append(replace(packet, body=bytes(packet.body)))
        elif packet.tag == PacketTag.MARKER:
            continue
        elif packet.tag in (PacketTag.SEIPD, PacketTag.SED, PacketTag.AEAD_ENCRYPTED):
            if encrypted is not None:
                raise InputError(TEXT["two_data"])
            encrypted = packet
        else:
            raise InputError(TEXT["foreign"].format(packet=packet.name))
    if encrypted is None:
        raise InputError(TEXT["no_data"])
    if encrypted.tag == PacketTag.SED:
        raise DecryptionError(TEXT["sed"])
    if encrypted.tag == PacketTag.AEAD_ENCRYPTED or (encrypted.body[:1] != b"\x01"):
        version = encrypted.body[0] if encrypted.body else 0
        raise InputError(TEXT["version"].format(version=version))
    return pkesks, skesks, encrypted


def _open_with_session_keys(
    encrypted: Packet, session_keys: Sequence[tuple[int, bytes]], steps: list[Step]
) -> _Opened | None:
    """Open the SEIPD packet with a session key the caller gave."""
    for cipher, session_key in session_keys:
        if (
            cipher not in session.READABLE_CIPHERS
            or len(session_key) != SymmetricAlgorithm(cipher).key_size
        ):
            raise InputError(
                TEXT["not_aes"].format(key=f"{cipher}:{bytes(session_key).hex().upper()}")
            )
        step = Step(TEXT["given_key"], Outcome.OK, "RFC 4880 §5.1")
        opened = _try_session_key(encrypted, cipher, bytes(session_key), step, steps)
        if opened is not None:
            return opened
    return None


def _open_with_passwords(
    encrypted: Packet, skesks: list[Packet], passwords: Sequence[bytes | str], steps: list[Step]
) -> _Opened | None:
    """Open the SEIPD packet with a password: String-to-Key, then an SKESK packet."""
    for packet in skesks if passwords else ():
        skesk = parse_skesk(bytes(packet.body))  # already bytes (_encrypted_parts): not copied
        for password in passwords:
            opened = open_skesk(skesk, inputs.data_bytes(password))
            if opened is None:
                continue
            step = Step(
                TEXT["password"],
                Outcome.OK,
                "RFC 4880 §3.7.1, §5.3",
            )
            result = _try_session_key(encrypted, *opened, step, steps)
            if result is not None:
                return result
    return None


def _open_with_keys(
    encrypted: Packet, pkesks: list[Packet], secret_keys: list[SecretKey], steps: list[Step]
) -> _Opened | None:
    """Open the SEIPD packet with a session key from a PKESK packet and one of the secret keys."""
    candidates = [m for k in secret_keys for m in k.decryption_keys()]
    for packet in pkesks:
        pkesk = session.parse_pkesk(bytes(packet.body))  # already bytes (_encrypted_parts)
        if pkesk is None:
            steps.append(
                Step(
                    TEXT["skipped"].format(version=packet.body[:1].hex() or "?"),
                    Outcome.WARN,
                    "RFC 4880 §5.1",
                )
            )
            continue
        for material, cipher, session_key in session.open_pkesk(pkesk, candidates):
            step = Step(
                TEXT["session_key"].format(
                    key_id=material.key_id, algorithm=material.algorithm_name
                ),
                Outcome.OK,
                "RFC 4880 §5.1",
            )
            opened = _try_session_key(
                encrypted, cipher, session_key, step, steps, decrypted_with=material.fingerprint
            )
            if opened is not None:
                return opened
    return None


def _try_session_key(
    encrypted: Packet,
    cipher: int,
    session_key: bytes,
    step: Step,
    steps: list[Step],
    *,
    decrypted_with: str = "",
) -> _Opened | None:
    """Open the SEIPD packet with one candidate session key; on success, record ``step``. A wrong
    key and a failed MDC look alike here, so the next candidate is simply tried."""
    try:
        inner = open_seipd(encrypted.body, session_key, cipher)
    except DecryptionError:
        return None
    steps.append(step)
    return _Opened(inner, cipher, session_key, decrypted_with)


def _finish(
    opened: _Opened,
    steps: list[Step],
    verify_certs: Sequence[Certificate],
    moment: datetime,
    budget: Budget,
) -> Decrypted:
    """Read the packets inside a decrypted (and MDC-checked) SEIPD packet, check signatures."""
    cipher = SymmetricAlgorithm(opened.cipher)
    steps.append(
        Step(
            TEXT["data"].format(cipher=cipher.title),
            Outcome.OK,
            "RFC 4880 §5.13, §5.14",
        )
    )
    contents = read_contents(opened.inner, budget, views=True)
    literal = contents.literal
    assert literal is not None
    if contents.compression:
        steps.append(
            Step(
                TEXT["compressed"].format(compression=contents.compression),
                section="RFC 4880 §5.6",
            )
        )
    steps.append(
        Step(
            TEXT["literal"].format(
                size=len(literal.data), format=literal.format, count=len(contents.signatures)
            ),
            section="RFC 4880 §5.9",
        )
    )
    checks = [check_signature(s, literal.data, verify_certs, moment) for s in contents.signatures]
    results = tuple(sorted(checks, key=lambda v: not v.valid)) if verify_certs else ()
    for result in results:
        steps.append(
            Step(
                TEXT["signature"].format(key_id=result.key_id, reason=result.reason),
                Outcome.OK if result.valid else Outcome.FAIL,
                "RFC 4880 §5.2",
            )
        )
    return Decrypted(
        plaintext=literal.data,
        verifications=results,
        session_key_algorithm=cipher.title,
        decrypted_with=opened.decrypted_with,
        literal=literal,
        compression=contents.compression,
        steps=tuple(steps),
        session_key=(opened.cipher, opened.session_key),
    )
