"""The labs' scenarios as pure functions: encrypt, let an attacker change a byte, try to read.

Each function takes what a learner picks in a lab and returns one frozen result with the whole
story (what was sent, what arrived, what the reader got) and its trace, so the lab only renders it
and a test can check it without widgets.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass

from mailsec.errors import DecryptionError, InputError
from mailsec.hybrid.envelope import (
    Decryption,
    Encryption,
    HybridMessage,
    Part,
    RandomSource,
    decrypt,
    encrypt,
    tamper,
)
from mailsec.hybrid.keys import RSA_BITS, KeyKind, KeyPair, PublicKey, generate_keypair
from mailsec.hybrid.signatures import Signature, SignatureCheck, sign, verify_signature
from mailsec.i18n import texts
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "FORGED_TEXT",
    "Cast",
    "PipelineRun",
    "SignatureRun",
    "Transit",
    "change_one_character",
    "make_cast",
    "person",
    "run_pipeline",
    "run_signature",
]

TEXT = texts(
    {
        "people": {
            "Alice": "Alice",
            "Bob": "Bob",
            "Carol": "Carol",
            "Dave": "Dave",
            "Eve": "Eve",
            "Mallory": "Mallory",
        },
        "no_reader": "There is no reader called {name}; pick one of {names}.",
        "no_signer": "{who} has no {kind} signing key; pick Alice or Mallory, RSA or Ed25519.",
        "empty": "Type a message first: the box is empty.",
        "changed": "one bit of byte {index} of the {part}",
        "changed_for": "one bit of byte {index} of the {part} for {recipient}",
        "flipped": "On the way, an attacker flipped {changed}.",
        "could_not": "{reader} could not decrypt it: {error} No plaintext was released, not even "
        "a part of it.",
        "transits": {
            "delivered unchanged": "delivered unchanged",
            "one character of the message changed": "one character of the message changed",
            "one bit of the signature flipped": "one bit of the signature flipped",
            "Mallory swaps in her own message and signature": "Mallory swaps in her own message "
            "and signature",
        },
        "message_changed": "On the way, an attacker changed one character of the message.",
        "signature_changed": "On the way, an attacker flipped one bit of the signature.",
        "forged": "On the way, {forger} replaced the message with her own and signed it with her "
        "private key, claiming it is from {signer}.",
    }
)
"""The scenarios' words (see :mod:`mailsec.i18n`)."""


def person(name: str) -> str:
    """A person's name as the current language writes it (a name of the cast; any other name
    as it is)."""
    return str(TEXT["people"].get(name, name))


#: What Mallory puts in place of the signed message in :attr:`Transit.FORGED`.
FORGED_TEXT = "Change of plan: please pay the invoice into Mallory's account instead."


@dataclass(frozen=True)
class Cast:
    """The people of the chapter's labs and their key pairs.

    Alice signs (RSA and Ed25519); Bob (RSA), Carol (X25519) and Dave (RSA) receive mail; Eve
    (X25519) is never a recipient; Mallory forges signatures (RSA and Ed25519).
    """

    alice_rsa: KeyPair
    alice_ed25519: KeyPair
    mallory_rsa: KeyPair
    mallory_ed25519: KeyPair
    bob: KeyPair
    carol: KeyPair
    dave: KeyPair
    eve: KeyPair

    @property
    def recipients(self) -> tuple[KeyPair, ...]:
        """The people mail can be encrypted for in the pipeline lab."""
        return (self.bob, self.carol, self.dave)

    @property
    def readers(self) -> tuple[KeyPair, ...]:
        """Everyone who may try to read a message: the recipients and Eve."""
        return (*self.recipients, self.eve)

    def reader(self, name: str) -> KeyPair:
        found = next((k for k in self.readers if k.owner == name), None)
        if found is None:
            names = ", ".join(k.owner for k in self.readers)
            raise InputError(TEXT["no_reader"].format(name=repr(name), names=names))
        return found

    def signer(self, who: str, kind: KeyKind) -> KeyPair:
        """Alice's or Mallory's key pair of ``kind`` (RSA or Ed25519)."""
        table = {
            ("Alice", KeyKind.RSA): self.alice_rsa,
            ("Alice", KeyKind.ED25519): self.alice_ed25519,
            ("Mallory", KeyKind.RSA): self.mallory_rsa,
            ("Mallory", KeyKind.ED25519): self.mallory_ed25519,
        }
        if (who, kind) not in table:
            raise InputError(TEXT["no_signer"].format(who=who, kind=kind.value))
        return table[(who, kind)]


def make_cast(*, rsa_bits: int = RSA_BITS) -> Cast:
    """Generate every key pair of the labs once (about a second: RSA key generation is slow)."""
    return Cast(
        alice_rsa=generate_keypair("Alice", KeyKind.RSA, rsa_bits=rsa_bits),
        alice_ed25519=generate_keypair("Alice", KeyKind.ED25519),
        mallory_rsa=generate_keypair("Mallory", KeyKind.RSA, rsa_bits=rsa_bits),
        mallory_ed25519=generate_keypair("Mallory", KeyKind.ED25519),
        bob=generate_keypair("Bob", KeyKind.RSA, rsa_bits=rsa_bits),
        carol=generate_keypair("Carol", KeyKind.X25519),
        dave=generate_keypair("Dave", KeyKind.RSA, rsa_bits=rsa_bits),
        eve=generate_keypair("Eve", KeyKind.X25519),
    )


def _text_bytes(text: str) -> bytes:
    if not text.strip():
        raise InputError(TEXT["empty"])
    return text.encode("utf-8")


@dataclass(frozen=True)
class PipelineRun:
    """One pass through the hybrid pipeline: sent, possibly changed, and opened (or not)."""

    encryption: Encryption
    received: HybridMessage
    """The message as it arrived: the same as sent unless an attacker changed a byte."""
    tampered: str | None
    """What the attacker changed, in words, or None."""
    tampered_part: Part | None
    """Which part the attacker changed, or None."""
    tampered_recipient: str | None
    """Whose entry was changed, for :attr:`Part.WRAPPED_KEY` and :attr:`Part.EPHEMERAL_KEY`."""
    reader: str
    decryption: Decryption | None
    """The reader's result, or None when decryption failed (no plaintext at all)."""
    error: str | None
    steps: Trace

    @property
    def readable(self) -> bool:
        return self.decryption is not None


def run_pipeline(
    text: str,
    recipients: Sequence[PublicKey],
    reader: KeyPair,
    *,
    tamper_part: Part | None = None,
    tamper_recipient: str | None = None,
    tamper_index: int = 0,
    random: RandomSource = os.urandom,
) -> PipelineRun:
    """Encrypt ``text`` for ``recipients``, optionally flip one bit, and let ``reader`` try to read it."""
    plaintext = _text_bytes(text)
    encryption = encrypt(plaintext, recipients, random=random)
    received = encryption.message
    steps = list(encryption.steps)
    changed = None
    if tamper_part is not None:
        received = tamper(received, tamper_part, index=tamper_index, recipient=tamper_recipient)
        if tamper_part in (Part.WRAPPED_KEY, Part.EPHEMERAL_KEY):
            changed = TEXT["changed_for"].format(
                index=tamper_index, part=tamper_part.label, recipient=tamper_recipient
            )
        else:
            changed = TEXT["changed"].format(index=tamper_index, part=tamper_part.label)
        steps.append(Step(TEXT["flipped"].format(changed=changed), Outcome.WARN))
    try:
        decryption: Decryption | None = decrypt(received, reader)
        error = None
    except DecryptionError as exc:
        decryption, error = None, exc.message
    if decryption is not None:
        steps.extend(decryption.steps)
    else:
        steps.append(
            Step(
                TEXT["could_not"].format(reader=reader.owner, error=error),
                Outcome.FAIL,
                section="RFC 5116 §2.2",
            )
        )
    whose_entry = (
        tamper_recipient if tamper_part in (Part.WRAPPED_KEY, Part.EPHEMERAL_KEY) else None
    )
    return PipelineRun(
        encryption,
        received,
        changed,
        tamper_part,
        whose_entry,
        reader.owner,
        decryption,
        error,
        tuple(steps),
    )


class Transit(enum.Enum):
    """What happens to a signed message on its way."""

    UNCHANGED = "delivered unchanged"
    """Nothing: the message and signature arrive as sent."""
    MESSAGE_CHANGED = "one character of the message changed"
    """An attacker changes a single character (the case of the first letter)."""
    SIGNATURE_CHANGED = "one bit of the signature flipped"
    """An attacker flips one bit of the signature."""
    FORGED = "Mallory swaps in her own message and signature"
    """Mallory replaces the message and signs it with her own private key."""

    @property
    def label(self) -> str:
        """What happens, in the current language."""
        return str(TEXT["transits"][self.value])


def change_one_character(data: bytes) -> bytes:
    """The smallest visible change: the first ASCII letter's case swapped (else one bit of byte 0)."""
    changed = bytearray(data)
    for i, byte in enumerate(changed):
        if 65 <= byte <= 90 or 97 <= byte <= 122:
            changed[i] ^= 0x20
            return bytes(changed)
    changed[0] ^= 0x01
    return bytes(changed)


@dataclass(frozen=True)
class SignatureRun:
    """A signed message sent, maybe changed on the way, and checked by the reader."""

    sent: bytes
    signature: Signature
    transit: Transit
    received: bytes
    received_signature: Signature
    check: SignatureCheck
    steps: Trace


def run_signature(
    text: str,
    signer: KeyPair,
    *,
    transit: Transit,
    verify_with: PublicKey,
    forger: KeyPair,
    forged_text: str = FORGED_TEXT,
) -> SignatureRun:
    """``signer`` signs ``text``; it travels (see :class:`Transit`); the reader checks it."""
    sent = _text_bytes(text)
    signature = sign(sent, signer)
    received, received_signature = sent, signature
    steps = list(signature.steps)
    if transit is Transit.MESSAGE_CHANGED:
        received = change_one_character(sent)
        steps.append(Step(TEXT["message_changed"], Outcome.WARN))
    elif transit is Transit.SIGNATURE_CHANGED:
        flipped = bytearray(signature.value)
        flipped[len(flipped) // 2] ^= 0x01
        received_signature = Signature(
            signature.signer,
            signature.signer_key_id,
            signature.algorithm,
            bytes(flipped),
            signature.message_digest,
            signature.steps,
        )
        steps.append(Step(TEXT["signature_changed"], Outcome.WARN))
    elif transit is Transit.FORGED:
        received = _text_bytes(forged_text)
        received_signature = sign(received, forger)
        steps.append(
            Step(
                TEXT["forged"].format(forger=forger.owner, signer=signer.owner),
                Outcome.WARN,
            )
        )
    check = verify_signature(received, received_signature, verify_with)
    steps.extend(check.steps)
    return SignatureRun(sent, signature, transit, received, received_signature, check, tuple(steps))
