"""Making keys and the signatures that change them: :func:`generate_key`, :func:`certify`,
:func:`revoke`.

A new key is a primary key that certifies and signs, a subkey that encrypts, and the
self-signatures that say so (RFC 4880 §11.1): a positive certification of every user ID carrying
the key flags, the preferred algorithms and the MDC feature, and a binding signature on the
subkey. :func:`certify` adds someone else's certification of a user ID (the web of trust,
:mod:`mailsec.openpgp.trust`); :func:`revoke` adds the key's own revocation. The certificate model
these return, and the reading of keys, is :mod:`mailsec.openpgp.certs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa, x25519

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.openpgp import inputs
from mailsec.openpgp.certs import (
    CERTIFICATION_TYPES,
    ENCRYPTION_FLAGS,
    REVOCATION_REASONS,
    Certificate,
    SecretKey,
    SubkeyEntry,
    UserIDEntry,
)
from mailsec.openpgp.constants import (
    CompressionAlgorithm,
    HashAlgorithm,
    KeyFlags,
    SignatureType,
    SymmetricAlgorithm,
)
from mailsec.openpgp.keys import KeyMaterial, parse_key_packet, public_body_for, secret_part_for
from mailsec.openpgp.signatures import (
    Signature,
    Subpacket,
    SubpacketType,
    key_content,
    make_signature,
)

__all__ = ["certify", "generate_key", "revoke"]

#: What generated keys advertise, so other tools pick AES and SHA-2 (RFC 4880 §5.2.3.7-9, §13.2).
PREFERRED_SYMMETRIC = (SymmetricAlgorithm.AES256, SymmetricAlgorithm.AES128)
PREFERRED_HASHES = (
    HashAlgorithm.SHA512,
    HashAlgorithm.SHA384,
    HashAlgorithm.SHA256,
    HashAlgorithm.SHA224,
)
PREFERRED_COMPRESSION = (
    CompressionAlgorithm.ZLIB,
    CompressionAlgorithm.ZIP,
    CompressionAlgorithm.UNCOMPRESSED,
)
FEATURE_MDC = 0x01  # RFC 4880 §5.2.3.24: the holder can read SEIPD (MDC) packets.
#: What a primary key may do: certify other keys and sign (RFC 4880 §5.2.3.21).
PRIMARY_FLAGS = KeyFlags.CERTIFY | KeyFlags.SIGN

#: The names :func:`generate_key` accepts, and the kind of key each makes.
ALGORITHMS = {
    "ed25519": "ed25519",
    "curve25519": "ed25519",
    "cv25519": "ed25519",
    "rsa3072": "rsa3072",
    "rsa4096": "rsa4096",
    "rsa2048": "rsa2048",
}


TEXT = texts(
    {
        "algorithm": "Unknown key algorithm {algorithm!r}; choose 'ed25519' (the default) or "
        "'rsa3072'.",
        "empty_passphrase": "The passphrase is empty; give a passphrase, or None for no "
        "protection.",
        "empty_uid": "The user ID {name!r} is empty; give a name and address such as "
        "'Alice <alice@example.org>'.",
        "line_break": "The user ID {name!r} has a line break; give it on one line.",
        "expiry": "The expiry {until} UTC is not after the key's creation ({created} UTC); give "
        "a later time.",
        "level": "Certification level {level} is not one of 0x10-0x13 (RFC 4880 §5.2.1).",
        "no_uid": "The certificate {fingerprint} has no user ID {user_id!r}; it has: {known}",
        "cannot_certify": "The signer cannot certify: {reason}.",
        "revoke_secret": "Only the secret key can revoke itself; read it with read_key().",
        "reason": "Unknown revocation reason {reason!r}; choose one of: {choices}.",
    }
)
"""Making keys, in words (see :mod:`mailsec.i18n`)."""


def generate_key(
    user_ids: str | Sequence[str],
    *,
    algorithm: str = "ed25519",
    now: datetime | None = None,
    expires: datetime | timedelta | None = None,
    passphrase: bytes | str | None = None,
) -> SecretKey:
    """Make a new OpenPGP v4 key.

    ``algorithm="ed25519"`` (the default) makes an EdDSA Ed25519 primary key that certifies and
    signs, with a Curve25519 ECDH subkey that encrypts - what ``gpg --quick-gen-key`` makes by
    default. ``"rsa3072"`` makes an RSA 3072 primary key with an RSA 3072 encryption subkey.
    Every user ID gets a positive self-certification that advertises AES-256 and AES-128, SHA-2
    and the MDC feature (RFC 4880 §5.2.3.7, §5.2.3.24); the subkey gets a binding signature.
    With a ``passphrase`` the exported secret key is protected with it (RFC 4880 §5.5.3); the
    returned key is ready to use.
    """
    names = _user_ids(user_ids)
    choice = ALGORITHMS.get(str(algorithm).lower().replace("-", "").replace(" ", ""))
    if choice is None:
        raise InputError(TEXT["algorithm"].format(algorithm=algorithm))
    created = inputs.moment(now)
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if secret is not None and not secret:
        raise InputError(TEXT["empty_passphrase"])
    expiry_seconds = _expiry_seconds(created, expires)
    primary, subkey = _fresh_keys(choice, created, secret)
    users = _self_certifications(primary, names, created, expiry_seconds)
    direct: tuple[Signature, ...] = ()
    if not names:
        # Without a user ID the preferences go in a direct-key signature (RFC 4880 §5.2.1, 0x1F).
        direct = (
            make_signature(
                primary,
                SignatureType.DIRECT_KEY,
                key_content(primary),
                created=created,
                hashed=_preferences(PRIMARY_FLAGS, expiry_seconds),
            ),
        )
    binding = make_signature(
        primary,
        SignatureType.SUBKEY_BINDING,
        key_content(primary, subkey=subkey),
        created=created,
        hashed=[
            Subpacket(SubpacketType.KEY_FLAGS, bytes([ENCRYPTION_FLAGS])),
            *_expiry(expiry_seconds),
        ],
    )
    return SecretKey(
        primary=primary,
        users=tuple(users),
        subkeys=(SubkeyEntry(subkey, (binding,), binding),),
        direct_signatures=direct,
    )


# -- the steps of generate_key ---------------------------------------------------------------------


def _user_ids(user_ids: str | Sequence[str]) -> list[str]:
    """The user IDs to certify: each a non-empty line of text."""
    names = [user_ids] if isinstance(user_ids, str) else list(user_ids)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise InputError(TEXT["empty_uid"].format(name=name))
        if "\n" in name or "\r" in name:
            raise InputError(TEXT["line_break"].format(name=name))
    return names


def _expiry_seconds(created: datetime, expires: datetime | timedelta | None) -> int | None:
    """The key's lifetime in seconds from its creation, as the key expiration time subpacket
    stores it (RFC 4880 §5.2.3.6), or None when it does not expire."""
    if expires is None:
        return None
    until = created + expires if isinstance(expires, timedelta) else inputs.moment(expires)
    seconds = int((until - created).total_seconds())
    if seconds <= 0:
        raise InputError(
            TEXT["expiry"].format(
                until=f"{until:%Y-%m-%d %H:%M:%S}", created=f"{created:%Y-%m-%d %H:%M:%S}"
            )
        )
    return seconds


def _fresh_key(created: datetime, secret: object, passphrase: bytes | None = None) -> KeyMaterial:
    algorithm, curve, body = public_body_for(created, secret)
    material = parse_key_packet(body, secret=False)
    material = replace(material, secret=secret, curve=curve)
    assert material.algorithm == algorithm
    return replace(material, secret_part=secret_part_for(material, passphrase=passphrase))


def _fresh_keys(
    choice: str, created: datetime, passphrase: bytes | None
) -> tuple[KeyMaterial, KeyMaterial]:
    """A new primary key and encryption subkey: Ed25519 and Curve25519, or two RSA keys."""
    if choice == "ed25519":
        primary = _fresh_key(created, ed25519.Ed25519PrivateKey.generate(), passphrase)
        subkey = _fresh_key(created, x25519.X25519PrivateKey.generate(), passphrase)
    else:
        bits = int(choice[3:])
        primary = _fresh_key(created, rsa.generate_private_key(65537, bits), passphrase)
        subkey = _fresh_key(created, rsa.generate_private_key(65537, bits), passphrase)
    return primary, subkey


def _expiry(expiry_seconds: int | None) -> list[Subpacket]:
    """The key expiration time subpacket, when the key expires (RFC 4880 §5.2.3.6)."""
    if not expiry_seconds:
        return []
    return [Subpacket(SubpacketType.KEY_EXPIRATION_TIME, expiry_seconds.to_bytes(4, "big"))]


def _preferences(flags: KeyFlags, expiry_seconds: int | None) -> list[Subpacket]:
    """The hashed subpackets of a primary key's self-signature: what it may do, until when, and
    the algorithms and features its holder reads (RFC 4880 §5.2.3.7-9, §5.2.3.17, §5.2.3.24)."""
    return [
        Subpacket(SubpacketType.KEY_FLAGS, bytes([flags])),
        *_expiry(expiry_seconds),
        Subpacket(SubpacketType.PREFERRED_SYMMETRIC, bytes(PREFERRED_SYMMETRIC)),
        Subpacket(SubpacketType.PREFERRED_HASH, bytes(PREFERRED_HASHES)),
        Subpacket(SubpacketType.PREFERRED_COMPRESSION, bytes(PREFERRED_COMPRESSION)),
        Subpacket(SubpacketType.FEATURES, bytes([FEATURE_MDC])),
        Subpacket(SubpacketType.KEY_SERVER_PREFERENCES, b"\x80"),  # no-modify (§5.2.3.17)
    ]


def _self_certifications(
    primary: KeyMaterial, names: list[str], created: datetime, expiry_seconds: int | None
) -> list[UserIDEntry]:
    """Each user ID with its positive self-certification; with several, the first is marked as
    the primary user ID (RFC 4880 §5.2.3.19)."""
    users = []
    for index, name in enumerate(names):
        raw = name.encode("utf-8")
        hashed = _preferences(PRIMARY_FLAGS, expiry_seconds)
        if index == 0 and len(names) > 1:
            hashed.append(Subpacket(SubpacketType.PRIMARY_USER_ID, b"\x01"))
        signature = make_signature(
            primary,
            SignatureType.POSITIVE_CERTIFICATION,
            key_content(primary, user_id=raw),
            created=created,
            hashed=hashed,
        )
        users.append(UserIDEntry(name, raw, (signature,), signature))
    return users


# -- changing keys ---------------------------------------------------------------------------------


def certify(
    signer: SecretKey,
    cert: Certificate,
    user_id: str,
    *,
    level: int = SignatureType.GENERIC_CERTIFICATION,
    now: datetime | None = None,
) -> Certificate:
    """Return ``cert`` with a certification of ``user_id`` by ``signer`` added (RFC 4880
    §5.2.1, types 0x10-0x13): the signer vouches that the key belongs to that person."""
    if level not in CERTIFICATION_TYPES:
        raise InputError(TEXT["level"].format(level=f"0x{level:02X}"))
    entry = next((u for u in cert.users if u.text == user_id), None)
    if entry is None:
        raise InputError(
            TEXT["no_uid"].format(
                fingerprint=cert.fingerprint,
                user_id=user_id,
                known=", ".join(repr(u) for u in cert.user_ids),
            )
        )
    created = inputs.moment(now)
    reason = signer.usable_at(created)
    if reason:
        raise InputError(TEXT["cannot_certify"].format(reason=reason))
    signature = make_signature(
        signer.primary,
        level,
        key_content(cert.primary, user_id=entry.raw),
        created=created,
    )
    users = tuple(
        replace(u, signatures=(*u.signatures, signature)) if u is entry else u for u in cert.users
    )
    return replace(cert, users=users)


def revoke(
    key: SecretKey,
    *,
    reason: str = "unspecified",
    comment: str = "",
    now: datetime | None = None,
) -> Certificate:
    """The certificate with a key revocation signature (RFC 4880 §5.2.1, type 0x20) by its own
    primary key: once others have it, they no longer encrypt to the key or accept new signatures."""
    if not isinstance(key, SecretKey):
        raise InputError(TEXT["revoke_secret"])
    code = REVOCATION_REASONS.get(reason)
    if code is None:
        raise InputError(
            TEXT["reason"].format(reason=reason, choices=", ".join(REVOCATION_REASONS))
        )
    signature = make_signature(
        key.primary,
        SignatureType.KEY_REVOCATION,
        key_content(key.primary),
        created=inputs.moment(now),
        hashed=[
            Subpacket(SubpacketType.REASON_FOR_REVOCATION, bytes([code]) + comment.encode("utf-8"))
        ],
    )
    return replace(key.public, revocations=(*key.revocations, signature))
