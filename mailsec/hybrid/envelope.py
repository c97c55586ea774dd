"""Hybrid encryption step by step: a content key, the message sealed with it, the key wrapped.

This is the learning layer: each step is a function that returns frozen data (sizes, bytes to
preview, which key protects what) with its explanation trace, so a lab can show the inside of
hybrid encryption. The message format is mailsec's own and is not meant for real mail; S/MIME
(:mod:`mailsec.smime`, RFC 5652/8551) puts the same pieces into CMS structures.

The steps, as CMS does them (RFC 5652 §6, RFC 5083):

1. :func:`new_content_key`: a random 256-bit symmetric key, used for this one message.
2. :func:`seal`: the message encrypted and authenticated with AES-256-GCM under that key (RFC 5116
   §5.2): ciphertext plus a 16-byte tag.
3. :func:`wrap`: the content key encrypted for each recipient's public key: RSA-OAEP (RFC 8017 §7.1),
   or an X25519 key agreement (RFC 7748 §6.1) + HKDF (RFC 5869) + AES key wrap (RFC 3394).
4. :func:`decrypt`: a recipient finds the wrapped key with their key id, unwraps the content key
   with their private key and opens the sealed message. Any failure is one opaque
   :class:`~mailsec.errors.DecryptionError`; plaintext whose tag did not check is never returned.

:func:`encrypt` does steps 1-3 in one call. Randomness is a parameter (``random``, a function that
returns ``n`` random bytes; ``os.urandom`` by default) so tests and notebooks can be repeated.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from mailsec.errors import DecryptionError, InputError
from mailsec.hybrid.envelope_text import TEXT
from mailsec.hybrid.keys import KeyKind, KeyPair, PublicKey
from mailsec.i18n import ngettext
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "CONTENT_KEY_BYTES",
    "KEY_ID_BYTES",
    "NONCE_BYTES",
    "TAG_BYTES",
    "ContentKey",
    "Decryption",
    "Encryption",
    "HybridMessage",
    "Part",
    "Protection",
    "RandomSource",
    "SealedContent",
    "WrapMethod",
    "WrappedKey",
    "decrypt",
    "encrypt",
    "new_content_key",
    "oaep_padding",
    "seal",
    "tamper",
    "unseal",
    "unwrap",
    "wrap",
]

RandomSource = Callable[[int], bytes]
"""Returns ``n`` random bytes; :func:`os.urandom` is the real one."""

#: AES-256: the content key is 32 bytes (RFC 5116 §5.2, AEAD_AES_256_GCM: K_LEN is 32 octets).
CONTENT_KEY_BYTES = 32
#: The GCM nonce is 12 bytes (RFC 5116 §5.2: N_MIN = N_MAX = 12; RFC 5084 §3.2 recommends 12).
NONCE_BYTES = 12
#: The GCM authentication tag is 16 bytes (RFC 5116 §5.2; RFC 5084 §3.2 allows 12-16, 16 is usual).
TAG_BYTES = 16
#: Each entry names its recipient by an 8-byte key id (see :func:`mailsec.hybrid.keys.key_id`).
KEY_ID_BYTES = 8
#: HKDF "info" that ties the key-encryption key to its use (RFC 5869 §3.2).
HKDF_INFO = b"mailsec hybrid learning layer: X25519 + HKDF-SHA256 + AES key wrap"

CITE_CEK = "RFC 5652 §6.3"
CITE_GCM = "RFC 5116 §5.2"
CITE_OAEP = "RFC 8017 §7.1"
CITE_X25519 = "RFC 7748 §6.1"
CITE_HKDF = "RFC 5869 §2"
CITE_KW = "RFC 3394 §2.2"
CITE_RECIPIENTS = "RFC 5652 §6.1"
CITE_AUTH = "RFC 5083 §2"


def oaep_padding() -> padding.OAEP:
    """RSA-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017 §7.1; RFC 8017 Appendix A.2.1)."""
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class WrapMethod(enum.Enum):
    """How the content key is wrapped for one recipient."""

    RSA_OAEP = "RSA-OAEP"
    """RSA-OAEP with SHA-256 under the recipient's RSA public key (RFC 8017 §7.1)."""
    X25519_HKDF_AESKW = "X25519 + HKDF + AES key wrap"
    """A one-time X25519 key agreement (RFC 7748 §6.1), HKDF-SHA256 (RFC 5869) and AES-256 key
    wrap (RFC 3394), the pattern of CMS key agreement (RFC 5652 §6.2.2, RFC 8418)."""

    @property
    def label(self) -> str:
        """The method's name as a learner reads it, in the current language."""
        return str(TEXT["wrap_methods"][self.value])

    @classmethod
    def for_kind(cls, kind: KeyKind) -> WrapMethod:
        if kind is KeyKind.RSA:
            return cls.RSA_OAEP
        if kind is KeyKind.X25519:
            return cls.X25519_HKDF_AESKW
        raise InputError(TEXT["sign_only"].format(kind=kind.value))


class Part(enum.Enum):
    """A part of a hybrid message that an attacker could change (see :func:`tamper`)."""

    CIPHERTEXT = "ciphertext"
    """The encrypted message body."""
    TAG = "authentication tag"
    """The 16-byte AES-GCM tag that proves the ciphertext was not changed."""
    NONCE = "nonce"
    """The 12-byte AES-GCM nonce."""
    WRAPPED_KEY = "wrapped key"
    """One recipient's wrapped copy of the content key."""
    EPHEMERAL_KEY = "one-time public key"
    """The sender's one-time X25519 public key in an X25519 recipient's entry."""

    @property
    def label(self) -> str:
        """The part's name as a learner reads it, in the current language."""
        return str(TEXT["parts"][self.value])


def _random_bytes(random: RandomSource, n: int, what: str) -> bytes:
    data = random(n)
    if not isinstance(data, bytes) or len(data) != n:
        size = len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__
        raise InputError(TEXT["bad_random"].format(size=size, what=TEXT["randoms"][what], n=n))
    return data


# -- step 1: the content key ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContentKey:
    """The one-time symmetric key that encrypts the message (the CMS content-encryption key)."""

    key: bytes = field(repr=False)
    steps: Trace = ()

    @property
    def bits(self) -> int:
        return len(self.key) * 8


def new_content_key(*, random: RandomSource = os.urandom) -> ContentKey:
    """Make a fresh random 256-bit content key for one message."""
    key = _random_bytes(random, CONTENT_KEY_BYTES, "content key")
    return ContentKey(
        key,
        (
            Step(
                TEXT["cek_step"].format(bits=CONTENT_KEY_BYTES * 8, n=CONTENT_KEY_BYTES),
                section=CITE_CEK,
                data={"bytes": CONTENT_KEY_BYTES},
            ),
        ),
    )


# -- step 2: the message sealed with AES-GCM -----------------------------------------------------


@dataclass(frozen=True)
class SealedContent:
    """The message encrypted with AES-256-GCM: nonce, ciphertext and tag."""

    nonce: bytes
    ciphertext: bytes
    tag: bytes
    steps: Trace = ()


def seal(
    plaintext: bytes, content_key: ContentKey, *, random: RandomSource = os.urandom
) -> SealedContent:
    """Encrypt and authenticate ``plaintext`` with AES-256-GCM under the content key."""
    if not isinstance(plaintext, bytes):
        raise InputError(TEXT["not_bytes"].format(type=type(plaintext).__name__))
    if len(content_key.key) != CONTENT_KEY_BYTES:
        raise InputError(TEXT["cek_size"].format(size=len(content_key.key), n=CONTENT_KEY_BYTES))
    nonce = _random_bytes(random, NONCE_BYTES, "nonce")
    sealed = AESGCM(content_key.key).encrypt(nonce, plaintext, None)
    ciphertext, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    return SealedContent(
        nonce,
        ciphertext,
        tag,
        (
            Step(
                TEXT["nonce_step"].format(n=NONCE_BYTES),
                section=CITE_GCM,
            ),
            Step(
                TEXT["seal_step"].format(
                    plaintext=f"{len(plaintext):,}",
                    ciphertext=f"{len(ciphertext):,}",
                    tag=TAG_BYTES,
                ),
                Outcome.OK,
                section=CITE_GCM,
                data={"plaintext": len(plaintext), "ciphertext": len(ciphertext), "tag": TAG_BYTES},
            ),
        ),
    )


def unseal(sealed: SealedContent, key: bytes) -> bytes:
    """Check the tag and decrypt; raises :class:`DecryptionError` and returns nothing on failure."""
    if len(key) != CONTENT_KEY_BYTES or len(sealed.nonce) != NONCE_BYTES:
        raise DecryptionError(TEXT["opaque"])
    try:
        # AESGCM.decrypt checks the tag before it hands back any plaintext (RFC 5116 §2.2).
        return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext + sealed.tag, None)
    except InvalidTag:
        raise DecryptionError(TEXT["opaque"]) from None


# -- step 3: the content key wrapped for each recipient -------------------------------------------


@dataclass(frozen=True)
class WrappedKey:
    """One recipient's entry: the content key, encrypted so only that recipient can recover it."""

    recipient: str
    key_id: str
    """The key id of the recipient's public key, so they can find their entry (RFC 5652 §6.2.1)."""
    method: WrapMethod
    protected_by: str
    """Which key protects the content key here, for example ``Bob's RSA-2048 public key``."""
    wrapped: bytes
    ephemeral_public: bytes = b""
    """For X25519: the sender's one-time public key (32 bytes), which the recipient needs."""
    steps: Trace = ()

    @property
    def size(self) -> int:
        return len(self.wrapped) + len(self.ephemeral_public)


def _x25519_kek(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    # Both public keys go into "info" so the derived key belongs to this exchange alone.
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=HKDF_INFO + ephemeral_public + recipient_public,
    ).derive(shared)


def wrap(
    content_key: ContentKey, recipient: PublicKey, *, random: RandomSource = os.urandom
) -> WrappedKey:
    """Encrypt the content key for one recipient's public key."""
    method = WrapMethod.for_kind(recipient.kind)
    who = recipient.owner
    if method is WrapMethod.RSA_OAEP:
        assert isinstance(recipient.key, rsa.RSAPublicKey)
        # OpenSSL draws OAEP's seed itself; cryptography offers no way to pass randomness in.
        wrapped = recipient.key.encrypt(content_key.key, oaep_padding())
        steps: Trace = (
            Step(
                TEXT["oaep_step"].format(
                    who=who, label=recipient.label, size=len(content_key.key), wrapped=len(wrapped)
                ),
                Outcome.OK,
                section=CITE_OAEP,
                data={"wrapped": len(wrapped)},
            ),
        )
        return WrappedKey(who, recipient.key_id, method, recipient.label, wrapped, b"", steps)
    assert isinstance(recipient.key, x25519.X25519PublicKey)
    ephemeral = x25519.X25519PrivateKey.from_private_bytes(
        _random_bytes(random, 32, "one-time X25519 key")
    )
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(recipient.key)
    kek = _x25519_kek(shared, ephemeral_public, recipient.encoded)
    wrapped = aes_key_wrap(kek, content_key.key)
    steps = (
        Step(
            TEXT["x25519_step"].format(who=who),
            Outcome.OK,
            data={"wrapped": len(wrapped), "ephemeral_public": len(ephemeral_public)},
        ),
        Step(
            TEXT["x25519_agree"].format(label=recipient.label),
            section=CITE_X25519,
            depth=1,
        ),
        Step(
            TEXT["x25519_hkdf"],
            section=CITE_HKDF,
            depth=1,
        ),
        Step(
            TEXT["x25519_wrap"].format(wrapped=len(wrapped), ephemeral=len(ephemeral_public)),
            section=CITE_KW,
            depth=1,
        ),
    )
    return WrappedKey(
        who, recipient.key_id, method, recipient.label, wrapped, ephemeral_public, steps
    )


def unwrap(entry: WrappedKey, keypair: KeyPair) -> bytes:
    """Recover the content key with the recipient's private key; opaque error on any failure."""
    try:
        if entry.method is WrapMethod.RSA_OAEP and isinstance(
            keypair.private_key, rsa.RSAPrivateKey
        ):
            return keypair.private_key.decrypt(entry.wrapped, oaep_padding())
        if entry.method is WrapMethod.X25519_HKDF_AESKW and isinstance(
            keypair.private_key, x25519.X25519PrivateKey
        ):
            ephemeral = x25519.X25519PublicKey.from_public_bytes(entry.ephemeral_public)
            shared = keypair.private_key.exchange(ephemeral)
            kek = _x25519_kek(shared, entry.ephemeral_public, keypair.public.encoded)
            return aes_key_unwrap(kek, entry.wrapped)
    except (ValueError, InvalidUnwrap):
        # One error for every cause: telling "bad padding" from "bad tag" apart helps attackers
        # (Bleichenbacher 1998, Manger 2001).
        raise DecryptionError(TEXT["opaque"]) from None
    raise DecryptionError(TEXT["opaque"])


# -- the whole message ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HybridMessage:
    """What is sent: the sealed message and one wrapped key per recipient. No key in clear."""

    nonce: bytes
    ciphertext: bytes
    tag: bytes
    wrapped_keys: tuple[WrappedKey, ...]

    @property
    def size(self) -> int:
        """Bytes on the wire (without any framing): nonce, ciphertext, tag and every entry."""
        return (
            len(self.nonce)
            + len(self.ciphertext)
            + len(self.tag)
            + sum(entry.size + KEY_ID_BYTES for entry in self.wrapped_keys)
        )

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(entry.recipient for entry in self.wrapped_keys)

    @property
    def sealed(self) -> SealedContent:
        return SealedContent(self.nonce, self.ciphertext, self.tag)

    def entry_for(self, public: PublicKey) -> WrappedKey | None:
        """The wrapped key meant for ``public``, found by key id, or None."""
        return next((e for e in self.wrapped_keys if e.key_id == public.key_id), None)


@dataclass(frozen=True)
class Protection:
    """One line of "which key protects what"."""

    what: str
    protected_by: str
    method: str
    size: int
    """Bytes of the protected result."""


@dataclass(frozen=True)
class Encryption:
    """The result of :func:`encrypt`: the message to send and what went into it."""

    message: HybridMessage
    content_key: ContentKey = field(repr=False)
    """Kept so a lab can show it; a real sender forgets it at once."""
    plaintext_size: int
    steps: Trace

    @property
    def protections(self) -> tuple[Protection, ...]:
        body = Protection(
            TEXT["what_message"].format(size=f"{self.plaintext_size:,}"),
            TEXT["by_content_key"].format(bits=self.content_key.bits),
            "AES-256-GCM",
            len(self.message.ciphertext) + len(self.message.tag),
        )
        keys = tuple(
            Protection(
                TEXT["what_copy"].format(recipient=entry.recipient),
                entry.protected_by,
                entry.method.label,
                entry.size,
            )
            for entry in self.message.wrapped_keys
        )
        return (body, *keys)


def encrypt(
    plaintext: bytes,
    recipients: Sequence[PublicKey],
    *,
    random: RandomSource = os.urandom,
) -> Encryption:
    """Hybrid-encrypt ``plaintext`` for every recipient: one sealed body, one wrapped key each."""
    if not recipients:
        raise InputError(TEXT["no_recipients"])
    ids = [r.key_id for r in recipients]
    if len(set(ids)) != len(ids):
        dupes = sorted({r.owner for r in recipients if ids.count(r.key_id) > 1})
        raise InputError(TEXT["twice"].format(names=", ".join(dupes)))
    for r in recipients:
        WrapMethod.for_kind(r.kind)  # reject signing-only keys before doing any work
    content_key = new_content_key(random=random)
    sealed = seal(plaintext, content_key, random=random)
    entries = tuple(wrap(content_key, r, random=random) for r in recipients)
    steps: list[Step] = [*content_key.steps, *sealed.steps]
    for entry in entries:
        steps.extend(entry.steps)
    steps.append(
        Step(
            ngettext(
                "The message carries the ciphertext, the tag, the nonce and {count} wrapped copy "
                "of the content key. The content key itself is never sent in clear.",
                "The message carries the ciphertext, the tag, the nonce and {count} wrapped "
                "copies of the content key. The content key itself is never sent in clear.",
                len(entries),
            ).format(count=len(entries)),
            Outcome.OK,
            section=CITE_RECIPIENTS,
        )
    )
    message = HybridMessage(sealed.nonce, sealed.ciphertext, sealed.tag, entries)
    return Encryption(message, content_key, len(plaintext), tuple(steps))


@dataclass(frozen=True)
class Decryption:
    """A successful decryption: the plaintext, who read it and how."""

    reader: str
    plaintext: bytes
    steps: Trace


def decrypt(message: HybridMessage, keypair: KeyPair) -> Decryption:
    """Open ``message`` with ``keypair``; raises one opaque :class:`DecryptionError` on failure.

    The plaintext is returned only after the AES-GCM tag has checked (RFC 5116 §2.2): a changed
    ciphertext, tag, nonce or wrapped key gives the same error and no plaintext at all.
    """
    entry = message.entry_for(keypair.public)
    if entry is None:
        raise DecryptionError(
            TEXT["not_for_reader"].format(label=keypair.public.label, key_id=keypair.public.key_id)
        )
    content_key = unwrap(entry, keypair)
    plaintext = unseal(message.sealed, content_key)
    steps = (
        Step(
            TEXT["found"].format(owner=keypair.owner, key_id=keypair.public.key_id),
            section=CITE_RECIPIENTS,
        ),
        Step(
            TEXT["unwrapped"].format(owner=keypair.owner, method=entry.method.label),
            Outcome.OK,
            section=CITE_OAEP if entry.method is WrapMethod.RSA_OAEP else CITE_KW,
        ),
        Step(
            TEXT["tag_ok"],
            Outcome.OK,
            section=CITE_AUTH,
        ),
        Step(
            TEXT["decrypted"].format(size=f"{len(plaintext):,}"),
            Outcome.OK,
            section=CITE_GCM,
        ),
    )
    return Decryption(keypair.owner, plaintext, steps)


# -- an attacker's view ---------------------------------------------------------------------------


def _flip(data: bytes, index: int, what: str) -> bytes:
    if not data:
        raise InputError(TEXT["empty"].format(what=what))
    if not 0 <= index < len(data):
        raise InputError(
            TEXT["outside"].format(index=index, what=what, size=len(data), last=len(data) - 1)
        )
    changed = bytearray(data)
    changed[index] ^= 0x01  # the smallest change there is: one bit
    return bytes(changed)


def tamper(
    message: HybridMessage, part: Part, *, index: int = 0, recipient: str | None = None
) -> HybridMessage:
    """A copy of ``message`` with one bit of byte ``index`` of ``part`` flipped, as an attacker might.

    ``recipient`` names whose entry to change for :attr:`Part.WRAPPED_KEY` and
    :attr:`Part.EPHEMERAL_KEY`.
    """
    if part is Part.CIPHERTEXT:
        return replace(message, ciphertext=_flip(message.ciphertext, index, part.label))
    if part is Part.TAG:
        return replace(message, tag=_flip(message.tag, index, part.label))
    if part is Part.NONCE:
        return replace(message, nonce=_flip(message.nonce, index, part.label))
    if recipient is None:
        raise InputError(
            TEXT["say_whose"].format(part=part.label, names=", ".join(message.recipients))
        )
    entries = list(message.wrapped_keys)
    position = next((i for i, e in enumerate(entries) if e.recipient == recipient), None)
    if position is None:
        names = ", ".join(message.recipients)
        raise InputError(TEXT["no_entry"].format(recipient=repr(recipient), names=names))
    entry = entries[position]
    if part is Part.WRAPPED_KEY:
        entries[position] = replace(
            entry,
            wrapped=_flip(entry.wrapped, index, TEXT["wrapped_for"].format(recipient=recipient)),
        )
    else:
        if entry.method is not WrapMethod.X25519_HKDF_AESKW:
            raise InputError(
                TEXT["no_ephemeral"].format(recipient=recipient, method=entry.method.label)
            )
        entries[position] = replace(
            entry,
            ephemeral_public=_flip(
                entry.ephemeral_public, index, TEXT["ephemeral_for"].format(recipient=recipient)
            ),
        )
    return replace(message, wrapped_keys=tuple(entries))
