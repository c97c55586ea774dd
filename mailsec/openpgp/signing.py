"""Signing messages: detached signatures and one-pass signed messages (RFC 4880 §5.2, §5.4, §11.3).

A signature is either *detached* (a separate block of Signature packets for the data) or *inline*:
a One-Pass Signature packet, the Literal Data packet and the Signature packet, so a reader can hash
the data on its way through (RFC 4880 §5.4). Signing and encrypting together puts that inline
structure inside the encrypted packet (:mod:`mailsec.openpgp.encryption`). Checking signatures is
:mod:`mailsec.openpgp.verifying`; cleartext signatures are :mod:`mailsec.openpgp.cleartext`.

mailsec signs with SHA-512 (:data:`SIGNING_HASH`), which GnuPG 2.2 and sqop both read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.openpgp import inputs
from mailsec.openpgp.armor import ArmorLabel
from mailsec.openpgp.certs import SecretKey
from mailsec.openpgp.constants import HashAlgorithm, PacketTag, SignatureType
from mailsec.openpgp.contents import literal_parts
from mailsec.openpgp.keys import KeyMaterial
from mailsec.openpgp.packets import encode_packet
from mailsec.openpgp.signatures import Signature, canonical_text, make_signature

__all__ = [
    "SIGNING_HASH",
    "CannotSignError",
    "inline_parts",
    "inline_sign",
    "sign",
    "signing_key",
]

#: The hash mailsec signs with (RFC 4880 §9.4); GnuPG 2.2 and sqop both read SHA-512.
SIGNING_HASH = HashAlgorithm.SHA512


TEXT = texts(
    {
        "not_secret": "Signing needs a secret key, not a {kind}; read it with read_key().",
        "cannot": "The key cannot sign: {reason}.",
        "stub": "The key {fingerprint} may sign, but the secret of its signing key is not in "
        "this export (a GnuPG stub, as --export-secret-subkeys writes); export the full key.",
        "no_signing_key": "The key {fingerprint} has no secret key that may sign (its key flags "
        "do not allow signing, or the signing subkey expired).",
        "no_signers": "Inline signing needs at least one secret key.",
    }
)
"""Signing's errors, in words (see :mod:`mailsec.i18n`)."""


class CannotSignError(InputError):
    """The secret key has no key that may sign."""


def signing_key(signer: SecretKey, moment: datetime) -> KeyMaterial:
    """The key of ``signer`` that signs documents at ``moment``, or a sentence saying why none may."""
    if not isinstance(signer, SecretKey):
        raise InputError(TEXT["not_secret"].format(kind=type(signer).__name__))
    reason = signer.usable_at(moment)
    if reason:
        raise CannotSignError(TEXT["cannot"].format(reason=reason))
    able = signer.signing_keys(moment)
    keys = [k for k in able if k.secret is not None]
    if able and not keys:
        raise CannotSignError(TEXT["stub"].format(fingerprint=signer.fingerprint))
    if not keys:
        raise CannotSignError(TEXT["no_signing_key"].format(fingerprint=signer.fingerprint))
    return keys[0]


def _document_signature(
    data: bytes, signer: SecretKey, *, text: bool, moment: datetime
) -> Signature:
    key = signing_key(signer, moment)
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


def inline_parts(
    data: bytes, signers: Sequence[SecretKey], *, text: bool, moment: datetime
) -> tuple[bytes, ...]:
    """One-Pass Signature packets, Literal Data, Signature packets (RFC 4880 §5.4, §11.3), in
    pieces so that a large message is not copied only to be framed."""
    signatures = [_document_signature(data, s, text=text, moment=moment) for s in signers]
    ops = b"".join(
        _one_pass(sig, bytes.fromhex(sig.issuer_key_id or "00" * 8), last=i == len(signatures) - 1)
        for i, sig in enumerate(signatures)
    )
    # Signatures come in the reverse order of their one-pass packets (RFC 4880 §5.4).
    trailer = b"".join(
        encode_packet(PacketTag.SIGNATURE, sig.to_body()) for sig in reversed(signatures)
    )
    return (ops, *literal_parts(data, text=text, created=moment), trailer)


def sign(
    data: bytes,
    signer: SecretKey,
    *,
    text: bool = False,
    armor: bool = True,
    now: datetime | None = None,
) -> bytes:
    """A detached signature over ``data`` (RFC 4880 §5.2, type 0x00, or 0x01 with ``text``)."""
    signature = _document_signature(
        inputs.data_bytes(data), signer, text=text, moment=inputs.moment(now)
    )
    packet = encode_packet(PacketTag.SIGNATURE, signature.to_body())
    return inputs.armor_if(packet, ArmorLabel.SIGNATURE, armor)


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
        raise InputError(TEXT["no_signers"])
    parts = inline_parts(inputs.data_bytes(data), signers, text=text, moment=inputs.moment(now))
    return inputs.armor_if(b"".join(parts), ArmorLabel.MESSAGE, armor)
