"""Digital signatures for sender authentication and tamper detection (learning layer).

The sender signs with their private key; anyone with the sender's public key can check the
signature. A valid signature shows two things at once: the message is exactly what was signed
(tamper detection) and it was signed by the holder of that private key (sender authentication).
It does not hide the message: signing and encrypting are separate steps.

- RSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 8017 §8.1; salt length as RFC 4056 §3
  recommends for CMS).
- Ed25519 (RFC 8032 §5.1), which hashes internally with SHA-512 and needs no parameters.

:func:`verify_signature` returns a :class:`SignatureCheck` (a result, valid or not, with its trace);
:meth:`SignatureCheck.require_valid` turns an invalid one into a
:class:`~mailsec.errors.VerificationError` for callers that want an exception.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from mailsec.errors import InputError, VerificationError
from mailsec.hybrid.keys import KeyKind, KeyPair, PublicKey
from mailsec.i18n import texts
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "Signature",
    "SignatureAlgorithm",
    "SignatureCheck",
    "pss_padding",
    "sign",
    "verify_signature",
]

TEXT = texts(
    {
        "cannot_sign": "A {kind} key cannot sign: it is for key agreement only. Use an RSA or "
        "Ed25519 key.",
        "hash_used": {
            "RSA-PSS (SHA-256)": "it signs the message's SHA-256 hash (RFC 8017 §9.1.1)",
            "Ed25519": "it hashes the message with SHA-512 inside (RFC 8032 §5.1.6)",
        },
        "algorithms": {"RSA-PSS (SHA-256)": "RSA-PSS (SHA-256)", "Ed25519": "Ed25519"},
        "fips": "FIPS 180-4 §6.2",
        "not_bytes": "The message must be bytes, not {type}; encode text first, for example "
        "text.encode('utf-8').",
        "fingerprint": "Took the SHA-256 fingerprint of the message ({size} bytes), to show what "
        "is signed: any change to the message changes it.",
        "signed": "Signed it with {owner}'s private key ({algorithm}; {hash}): a {size}-byte "
        "signature that only that private key can make.",
        "require": "The signature does not verify with {key}: the message was changed after "
        "signing, or someone else signed it.",
        "wrong_algorithm": "The signature says {algorithm}, but {key} is for {expected}: it cannot "
        "have made this signature.",
        "same": "Took the SHA-256 fingerprint of the message as received: the same as when it was "
        "signed.",
        "different": "Took the SHA-256 fingerprint of the message as received: different from the "
        "one that was signed — the message was changed.",
        "invalid": "The signature does not verify with {key}: the message or the signature was "
        "changed, or it was not made with {owner}'s private key.",
        "valid": "The signature verifies with {key}: the message is unchanged and was signed with "
        "{owner}'s private key. (Whether that key really is {owner}'s is what certificates "
        "answer.)",
    }
)
"""The signatures' words (see :mod:`mailsec.i18n`)."""

CITE_PSS = "RFC 8017 §8.1"
CITE_ED25519 = "RFC 8032 §5.1"


def pss_padding() -> padding.PSS:
    """RSA-PSS padding: MGF1-SHA-256 and a salt as long as the hash (RFC 8017 §9.1, RFC 4056 §3)."""
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


class SignatureAlgorithm(enum.Enum):
    """The signature schemes of the learning layer."""

    RSA_PSS = "RSA-PSS (SHA-256)"
    """RSA with the probabilistic signature scheme (RFC 8017 §8.1)."""
    ED25519 = "Ed25519"
    """The Edwards-curve signature scheme on Curve25519 (RFC 8032 §5.1)."""

    @classmethod
    def for_kind(cls, kind: KeyKind) -> SignatureAlgorithm:
        if kind is KeyKind.RSA:
            return cls.RSA_PSS
        if kind is KeyKind.ED25519:
            return cls.ED25519
        raise InputError(TEXT["cannot_sign"].format(kind=kind.value))

    @property
    def label(self) -> str:
        """The scheme's name in a menu (the current language's way of writing it)."""
        return str(TEXT["algorithms"][self.value])

    @property
    def section(self) -> str:
        return CITE_PSS if self is SignatureAlgorithm.RSA_PSS else CITE_ED25519


@dataclass(frozen=True)
class Signature:
    """A signature over a message, with who made it and how."""

    signer: str
    signer_key_id: str
    algorithm: SignatureAlgorithm
    value: bytes
    message_digest: bytes
    """SHA-256 fingerprint of the signed message, for display only (the scheme hashes by itself)."""
    steps: Trace


def _check_message(message: bytes) -> None:
    if not isinstance(message, bytes):
        raise InputError(TEXT["not_bytes"].format(type=type(message).__name__))


def sign(message: bytes, signer: KeyPair) -> Signature:
    """Sign ``message`` with ``signer``'s private key (RSA-PSS or Ed25519)."""
    _check_message(message)
    algorithm = SignatureAlgorithm.for_kind(signer.kind)
    if isinstance(signer.private_key, rsa.RSAPrivateKey):
        # PSS draws a random salt inside OpenSSL, so two signatures of one message differ.
        value = signer.private_key.sign(message, pss_padding(), hashes.SHA256())
    else:
        assert isinstance(signer.private_key, ed25519.Ed25519PrivateKey)
        value = signer.private_key.sign(message)
    digest = hashlib.sha256(message).digest()
    steps = (
        Step(
            TEXT["fingerprint"].format(size=f"{len(message):,}"),
            section=TEXT["fips"],
            data={"sha256": digest.hex()},
        ),
        Step(
            TEXT["signed"].format(
                owner=signer.owner,
                algorithm=algorithm.value,
                hash=TEXT["hash_used"][algorithm.value],
                size=len(value),
            ),
            Outcome.OK,
            section=algorithm.section,
            data={"signature": len(value)},
        ),
    )
    return Signature(signer.owner, signer.public.key_id, algorithm, value, digest, steps)


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking a signature: valid or not, and why."""

    valid: bool
    checked_with: str
    """Which public key was used, for example ``Alice's Ed25519 public key``."""
    steps: Trace

    def require_valid(self) -> None:
        """Raise :class:`VerificationError` unless the signature is valid."""
        if not self.valid:
            raise VerificationError(TEXT["require"].format(key=self.checked_with))


def verify_signature(message: bytes, signature: Signature, public: PublicKey) -> SignatureCheck:
    """Check ``signature`` over ``message`` with ``public``; a result, not an exception."""
    _check_message(message)
    expected = SignatureAlgorithm.for_kind(public.kind)
    steps: list[Step] = []
    if expected is not signature.algorithm:
        steps.append(
            Step(
                TEXT["wrong_algorithm"].format(
                    algorithm=signature.algorithm.value, key=public.label, expected=expected.value
                ),
                Outcome.FAIL,
                section=expected.section,
            )
        )
        return SignatureCheck(False, public.label, tuple(steps))
    digest = hashlib.sha256(message).digest()
    same = digest == signature.message_digest
    steps.append(
        Step(
            TEXT["same" if same else "different"],
            Outcome.INFO if same else Outcome.WARN,
            section=TEXT["fips"],
            data={"sha256": digest.hex()},
        )
    )
    try:
        if isinstance(public.key, rsa.RSAPublicKey):
            public.key.verify(signature.value, message, pss_padding(), hashes.SHA256())
        else:
            assert isinstance(public.key, ed25519.Ed25519PublicKey)
            public.key.verify(signature.value, message)
    except InvalidSignature:
        steps.append(
            Step(
                TEXT["invalid"].format(key=public.label, owner=public.owner),
                Outcome.FAIL,
                section=expected.section,
            )
        )
        return SignatureCheck(False, public.label, tuple(steps))
    steps.append(
        Step(
            TEXT["valid"].format(key=public.label, owner=public.owner),
            Outcome.OK,
            section=expected.section,
        )
    )
    return SignatureCheck(True, public.label, tuple(steps))
