"""Transferable keys: certificates (public) and secret keys, their self-signatures and validity.

A *transferable public key* (RFC 4880 §11.1), which this package calls a :class:`Certificate`, is a
sequence of packets: the primary key, optional direct-key and revocation signatures, one or more user
IDs each followed by its certifications, and subkeys each followed by a *binding signature* by the
primary key. A transferable *secret* key (§11.2) is the same with secret-key packets.

What a key may do is written in its self-signatures, not in the key packet: key flags (certify,
sign, encrypt), preferred algorithms, features (MDC) and expiry. mailsec checks every self-signature
when it reads a key and uses only components whose self-signatures verify - as GnuPG and Sequoia do.

This module is the model (:class:`Certificate`, :class:`SecretKey`, what they may do and when) and
the reading of keys; making keys and adding certifications and revocations is
:mod:`mailsec.openpgp.keygen`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TypedDict

from mailsec.errors import InputError
from mailsec.i18n import gettext, texts
from mailsec.openpgp.armor import ArmorLabel, armor, dearmor_all, is_armored
from mailsec.openpgp.constants import (
    KeyFlags,
    PacketTag,
    SignatureType,
)
from mailsec.openpgp.keys import (
    KeyMaterial,
    parse_key_packet,
)
from mailsec.openpgp.packets import Packet, encode_packet, read_packets
from mailsec.openpgp.signatures import (
    Signature,
    key_content,
    parse_signature,
)

__all__ = [
    "CERTIFICATION_TYPES",
    "ENCRYPTION_FLAGS",
    "REVOCATION_REASONS",
    "Certificate",
    "SecretKey",
    "SubkeyEntry",
    "UserIDEntry",
    "read_cert",
    "read_certs",
    "read_key",
    "read_keys",
]

#: The signature types by which a key vouches for a user ID (RFC 4880 §5.2.1, 0x10-0x13).
CERTIFICATION_TYPES = (0x10, 0x11, 0x12, 0x13)
#: The key flags that allow encryption, of messages or of storage (RFC 4880 §5.2.3.21).
ENCRYPTION_FLAGS = KeyFlags.ENCRYPT_COMMUNICATIONS | KeyFlags.ENCRYPT_STORAGE

#: Reasons for revocation (RFC 4880 §5.2.3.23).
REVOCATION_REASONS = {
    "unspecified": 0,
    "superseded": 1,
    "compromised": 2,
    "retired": 3,
}
REVOCATION_NAMES = {code: name for name, code in REVOCATION_REASONS.items()}


TEXT = texts(
    {
        "revoked": "the key {fingerprint} has been revoked (reason: {reason})",
        "no_self_signature": "the key {fingerprint} has no valid self-signature",
        "later": "the key {fingerprint} was created after that time",
        "expired": "the key {fingerprint} expired on {when} UTC",
        "no_secret_part": "The primary key has no secret part to export.",
        "not_bytes": "The {what} must be bytes or text, not {kind}.",
        "empty": "The {what} is empty; paste or load an OpenPGP {what}.",
        "no_key_first": "The {what} does not start with a key packet (it starts with a "
        "{packet}); this is not an OpenPGP key.",
        "no_key": "The data holds no OpenPGP key packet; it is not a {what}.",
        "inside": "A {packet} appears inside a key (at byte {offset}); a transferable key holds "
        "only keys, user IDs and signatures (RFC 4880 §11.1).",
        "certificates": "The data holds {count} certificates; give one certificate at a time.",
        "public": "This is a certificate (public key) {fingerprint}, not a secret key; give the "
        "secret key (e.g. gpg --export-secret-keys).",
        "keys": "The data holds {count} secret keys; give one key at a time.",
        # What the readers name (the ``what`` of the messages above).
        "what": ("certificate", "secret key"),
    }
)
"""Certificates and keys, in words (see :mod:`mailsec.i18n`)."""


@dataclass(frozen=True)
class UserIDEntry:
    """A user ID with the signatures that follow it."""

    text: str
    raw: bytes
    signatures: tuple[Signature, ...]
    self_signature: Signature | None
    """The newest self-certification that verifies, or None (then the user ID is not used)."""
    revoked: bool = False


@dataclass(frozen=True)
class SubkeyEntry:
    """A subkey with its binding signatures."""

    key: KeyMaterial
    signatures: tuple[Signature, ...]
    binding: Signature | None
    """The newest binding signature that verifies (with its back-signature if it can sign)."""
    revoked: bool = False


def _from(signature: Signature, key: KeyMaterial) -> bool:
    """Whether the signature names ``key`` as its issuer (or names none)."""
    fingerprint, key_id = signature.issuer_fingerprint, signature.issuer_key_id
    if fingerprint is not None:
        return fingerprint == key.fingerprint
    return key_id is None or key_id == key.key_id


def _newest(signatures: Sequence[Signature]) -> Signature | None:
    if not signatures:
        return None
    return max(signatures, key=lambda s: s.created or datetime.min.replace(tzinfo=timezone.utc))


def _inferred_flags(key: KeyMaterial) -> KeyFlags:
    """Without a key-flags subpacket, usage follows the algorithm (RFC 4880 §5.2.3.21)."""
    flags = KeyFlags(0)
    if key.can_sign_algorithm:
        flags |= KeyFlags.SIGN | KeyFlags.CERTIFY
    if key.can_encrypt_algorithm:
        flags |= KeyFlags.ENCRYPT_COMMUNICATIONS | KeyFlags.ENCRYPT_STORAGE
    return flags


def _subkey_flags(entry: SubkeyEntry) -> KeyFlags:
    """What a subkey may do: the key flags of its binding signature, else what its algorithm can."""
    flags = entry.binding.key_flags if entry.binding else None
    return _inferred_flags(entry.key) if flags is None else flags


class _Transferable:
    """What certificates and secret keys share."""

    primary: KeyMaterial
    users: tuple[UserIDEntry, ...]
    subkeys: tuple[SubkeyEntry, ...]
    direct_signatures: tuple[Signature, ...]
    revocations: tuple[Signature, ...]

    # -- identity --------------------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """The primary key's v4 fingerprint: 40 upper-case hex digits (RFC 4880 §12.2)."""
        return self.primary.fingerprint

    @property
    def key_id(self) -> str:
        """The primary key's key ID: 16 upper-case hex digits (RFC 4880 §12.2)."""
        return self.primary.key_id

    @property
    def user_ids(self) -> tuple[str, ...]:
        """The user IDs whose self-signatures verify, primary user ID first."""
        good = [u for u in self.users if u.self_signature is not None and not u.revoked]
        good.sort(key=lambda u: not (u.self_signature and u.self_signature.is_primary_user_id))
        return tuple(u.text for u in good)

    @property
    def display_name(self) -> str:
        """How messages name the key: its primary user ID, or its fingerprint when it has none."""
        return self.user_ids[0] if self.user_ids else self.fingerprint

    @property
    def created(self) -> datetime:
        return self.primary.created

    @property
    def primary_signature(self) -> Signature | None:
        """The self-signature that speaks for the primary key: the primary user ID's, else the
        newest direct-key signature (RFC 4880 §5.2.3.3)."""
        selfs = [u.self_signature for u in self.users if u.self_signature and not u.revoked]
        primary = [s for s in selfs if s.is_primary_user_id]
        return _newest(primary) or _newest(self.direct_signatures) or _newest(selfs)

    @property
    def expires(self) -> datetime | None:
        """When the primary key expires, or None if it does not (RFC 4880 §5.2.3.6)."""
        signature = self.primary_signature
        seconds = signature.key_expiration_seconds if signature else None
        return self.primary.created + timedelta(seconds=seconds) if seconds else None

    @property
    def revoked(self) -> bool:
        """Whether the key carries a valid revocation signature of any kind."""
        return bool(self.revocations)

    def revocation_at(self, moment: datetime) -> Signature | None:
        """The revocation in force at ``moment``. A key that was superseded or retired stays good
        for what it did before the revocation; a compromised key (or one revoked for no stated
        reason) is bad for all time (RFC 4880 §5.2.3.23; RFC 9580 §5.2.3.31 "soft" and "hard")."""
        for signature in self.revocations:
            soft = signature.revocation_reason in (1, 3)
            if soft and signature.created is not None and moment < signature.created:
                continue
            return signature
        return None

    @property
    def preferred_symmetric(self) -> tuple[int, ...]:
        signature = self.primary_signature
        return signature.preferred_symmetric if signature else ()

    @property
    def features(self) -> int:
        signature = self.primary_signature
        return signature.features if signature else 0

    def primary_flags(self) -> KeyFlags:
        signature = self.primary_signature
        flags = signature.key_flags if signature else None
        return flags if flags is not None else _inferred_flags(self.primary)

    def usable_at(self, moment: datetime) -> str | None:
        """Why the certificate cannot be used at ``moment``, or None when it can."""
        revocation = self.revocation_at(moment)
        if revocation is not None:
            reason = REVOCATION_NAMES.get(revocation.revocation_reason or 0, "unspecified")
            return TEXT["revoked"].format(fingerprint=self.fingerprint, reason=reason)
        if self.primary_signature is None:
            return TEXT["no_self_signature"].format(fingerprint=self.fingerprint)
        if moment < self.primary.created - timedelta(minutes=10):
            return TEXT["later"].format(fingerprint=self.fingerprint)
        expires = self.expires
        if expires is not None and moment >= expires:
            return TEXT["expired"].format(
                fingerprint=self.fingerprint, when=f"{expires:%Y-%m-%d %H:%M}"
            )
        return None

    def _subkey_usable(self, entry: SubkeyEntry, moment: datetime) -> bool:
        if entry.binding is None or entry.revoked:
            return False
        seconds = entry.binding.key_expiration_seconds
        return not (seconds and moment >= entry.key.created + timedelta(seconds=seconds))

    def encryption_keys(self, moment: datetime) -> tuple[KeyMaterial, ...]:
        """Keys that may encrypt at ``moment``, subkeys first (RFC 4880 §5.2.3.21)."""
        if self.usable_at(moment):
            return ()
        out = []
        for entry in self.subkeys:
            if (
                _subkey_flags(entry) & ENCRYPTION_FLAGS
                and entry.key.can_encrypt_algorithm
                and self._subkey_usable(entry, moment)
            ):
                out.append(entry.key)
        if self.primary_flags() & ENCRYPTION_FLAGS and self.primary.can_encrypt_algorithm:
            out.append(self.primary)
        return tuple(out)

    def signing_keys(self, moment: datetime) -> tuple[KeyMaterial, ...]:
        """Keys that may make document signatures at ``moment``."""
        if self.usable_at(moment):
            return ()
        out = []
        if self.primary_flags() & KeyFlags.SIGN and self.primary.can_sign_algorithm:
            out.append(self.primary)
        for entry in self.subkeys:
            if (
                _subkey_flags(entry) & KeyFlags.SIGN
                and entry.key.can_sign_algorithm
                and self._subkey_usable(entry, moment)
            ):
                out.append(entry.key)
        return tuple(out)

    def all_keys(self) -> tuple[KeyMaterial, ...]:
        return (self.primary, *(entry.key for entry in self.subkeys))

    def find(self, key_id_or_fingerprint: str) -> KeyMaterial | None:
        wanted = key_id_or_fingerprint.upper()
        for key in self.all_keys():
            if wanted in (key.fingerprint, key.key_id):
                return key
        return None

    # -- export ----------------------------------------------------------------------------------

    def _packets(self, *, secret: bool) -> bytes:
        def key_packet(key: KeyMaterial, primary: bool) -> bytes:
            if secret and (key.secret is not None or key.secret_part):
                tag = PacketTag.SECRET_KEY if primary else PacketTag.SECRET_SUBKEY
                return encode_packet(tag, key.body + key.secret_part)
            if secret and primary:
                raise InputError(TEXT["no_secret_part"])
            tag = PacketTag.PUBLIC_KEY if primary else PacketTag.PUBLIC_SUBKEY
            return encode_packet(tag, key.body)

        def sigs(signatures: Sequence[Signature]) -> bytes:
            return b"".join(encode_packet(PacketTag.SIGNATURE, s.to_body()) for s in signatures)

        out = [key_packet(self.primary, True), sigs(self.revocations), sigs(self.direct_signatures)]
        for user in self.users:
            out.append(encode_packet(PacketTag.USER_ID, user.raw) + sigs(user.signatures))
        for entry in self.subkeys:
            out.append(key_packet(entry.key, False) + sigs(entry.signatures))
        return b"".join(out)


@dataclass(frozen=True)
class Certificate(_Transferable):
    """A transferable public key (RFC 4880 §11.1): what you give others so they can encrypt to you
    and check your signatures."""

    primary: KeyMaterial
    users: tuple[UserIDEntry, ...] = ()
    subkeys: tuple[SubkeyEntry, ...] = ()
    direct_signatures: tuple[Signature, ...] = ()
    revocations: tuple[Signature, ...] = ()

    def to_bytes(self, *, armor: bool = True) -> bytes:
        """The certificate as OpenPGP packets, ASCII-armored by default (RFC 4880 §6.2)."""
        data = self._packets(secret=False)
        return _armor(data, ArmorLabel.PUBLIC_KEY) if armor else data


@dataclass(frozen=True)
class SecretKey(_Transferable):
    """A transferable secret key (RFC 4880 §11.2), unprotected: keep it to yourself."""

    primary: KeyMaterial
    users: tuple[UserIDEntry, ...] = ()
    subkeys: tuple[SubkeyEntry, ...] = ()
    direct_signatures: tuple[Signature, ...] = ()
    revocations: tuple[Signature, ...] = ()

    @property
    def public(self) -> Certificate:
        """The certificate: the same packets without the secret numbers."""
        return Certificate(
            primary=self.primary.without_secret(),
            users=self.users,
            subkeys=tuple(replace(e, key=e.key.without_secret()) for e in self.subkeys),
            direct_signatures=self.direct_signatures,
            revocations=self.revocations,
        )

    def to_bytes(self, *, armor: bool = True) -> bytes:
        """The secret key as OpenPGP packets, ASCII-armored by default."""
        data = self._packets(secret=True)
        return _armor(data, ArmorLabel.PRIVATE_KEY) if armor else data

    def decryption_keys(self) -> tuple[KeyMaterial, ...]:
        """Every secret key that can decrypt, expired or not: old mail must stay readable."""
        return tuple(k for k in self.all_keys() if k.secret is not None and k.can_encrypt_algorithm)


def _armor(data: bytes, label: ArmorLabel) -> bytes:
    return armor(data, label)


# -- reading -----------------------------------------------------------------------------------------

_KEY_TAGS = {PacketTag.PUBLIC_KEY, PacketTag.SECRET_KEY}
_SUBKEY_TAGS = {PacketTag.PUBLIC_SUBKEY, PacketTag.SECRET_SUBKEY}


def _binary(data: bytes | str, what: str) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise InputError(TEXT["not_bytes"].format(what=gettext(what), kind=type(data).__name__))
    if not data.strip():
        raise InputError(TEXT["empty"].format(what=gettext(what)))
    if not is_armored(bytes(data)):
        return bytes(data)
    return b"".join(binary for _label, binary in dearmor_all(bytes(data)))


def _split(packets: list[Packet], what: str) -> list[list[Packet]]:
    groups: list[list[Packet]] = []
    for packet in packets:
        if packet.tag in (PacketTag.TRUST, PacketTag.MARKER, PacketTag.PADDING):
            continue
        if packet.tag in _KEY_TAGS:
            groups.append([packet])
        elif not groups:
            raise InputError(TEXT["no_key_first"].format(what=gettext(what), packet=packet.name))
        else:
            groups[-1].append(packet)
    if not groups:
        raise InputError(TEXT["no_key"].format(what=gettext(what)))
    return groups


def _user_entry(primary: KeyMaterial, raw: bytes, signatures: list[Signature]) -> UserIDEntry:
    """A user ID and its signatures; the newest self-certification that verifies is the one that
    counts (RFC 4880 §5.2.3.3, §11.1)."""
    content = key_content(primary, user_id=raw)

    def by_primary(signature: Signature, types: tuple[int, ...]) -> bool:
        return (
            signature.type in types
            and _from(signature, primary)
            and signature.check(primary, content)
        )

    own = [s for s in signatures if by_primary(s, CERTIFICATION_TYPES)]
    revoked = any(by_primary(s, (SignatureType.CERTIFICATION_REVOCATION,)) for s in signatures)
    return UserIDEntry(
        text=raw.decode("utf-8", "replace"),
        raw=raw,
        signatures=tuple(signatures),
        self_signature=_newest(own),
        revoked=revoked,
    )


def _subkey_entry(
    primary: KeyMaterial, subkey: KeyMaterial, signatures: list[Signature]
) -> SubkeyEntry:
    """A subkey and its signatures; it counts only with a binding signature by the primary key
    (and, if it signs, the subkey's own back-signature) (RFC 4880 §5.2.1, §11.1)."""
    content = key_content(primary, subkey=subkey)

    def by_primary(signature: Signature, kind: int) -> bool:
        return (
            signature.type == kind
            and _from(signature, primary)
            and signature.check(primary, content)
        )

    bindings = [
        s
        for s in signatures
        if by_primary(s, SignatureType.SUBKEY_BINDING) and _back_signed(s, subkey, content)
    ]
    revoked = any(by_primary(s, SignatureType.SUBKEY_REVOCATION) for s in signatures)
    return SubkeyEntry(subkey, tuple(signatures), _newest(bindings), revoked)


class _Parts(TypedDict):
    """The parts of one transferable key, as :class:`Certificate` takes them."""

    primary: KeyMaterial
    users: tuple[UserIDEntry, ...]
    subkeys: tuple[SubkeyEntry, ...]
    direct_signatures: tuple[Signature, ...]
    revocations: tuple[Signature, ...]


def _assemble(
    group: list[Packet], *, want_secret: bool, passphrases: Sequence[bytes] = ()
) -> tuple[bool, _Parts]:
    """Check the self-signatures of one transferable key and collect its parts (RFC 4880 §11.1):
    the primary key, signatures on it, then user IDs and subkeys each with their signatures."""
    first = group[0]
    secret = first.tag == PacketTag.SECRET_KEY
    # A certificate needs only the public fields, so a protected key still gives its certificate.
    primary = parse_key_packet(
        bytes(first.body), secret=secret, public_only=not want_secret, passphrases=passphrases
    )
    on_primary: list[Signature] = []
    components: list[tuple[Packet, list[Signature]]] = []
    for packet in group[1:]:
        if packet.tag == PacketTag.SIGNATURE:
            signature = parse_signature(bytes(packet.body))
            (components[-1][1] if components else on_primary).append(signature)
        elif (
            packet.tag in (PacketTag.USER_ID, PacketTag.USER_ATTRIBUTE)
            or packet.tag in _SUBKEY_TAGS
        ):
            components.append((packet, []))
        else:
            raise InputError(TEXT["inside"].format(packet=packet.name, offset=packet.offset))
    content = key_content(primary)
    own = [s for s in on_primary if _from(s, primary) and s.check(primary, content)]
    users = [
        _user_entry(primary, bytes(packet.body), signatures)
        for packet, signatures in components
        if packet.tag == PacketTag.USER_ID
    ]
    # User attributes (photo IDs) are read past but not kept.
    subkeys = [
        _subkey_entry(
            primary,
            parse_key_packet(
                bytes(packet.body),
                secret=packet.tag == PacketTag.SECRET_SUBKEY,
                public_only=not want_secret,
                passphrases=passphrases,
            ),
            signatures,
        )
        for packet, signatures in components
        if packet.tag in _SUBKEY_TAGS
    ]
    return secret, {
        "primary": primary,
        "users": tuple(users),
        "subkeys": tuple(subkeys),
        "direct_signatures": tuple(s for s in own if s.type == SignatureType.DIRECT_KEY),
        "revocations": tuple(s for s in own if s.type == SignatureType.KEY_REVOCATION),
    }


def _back_signed(binding: Signature, subkey: KeyMaterial, content: bytes) -> bool:
    """A subkey that can sign must sign back its binding (RFC 4880 §5.2.3.21, §11.1)."""
    flags = binding.key_flags
    if flags is None or not flags & KeyFlags.SIGN:
        return True
    try:
        embedded = binding.embedded_signatures
    except InputError:
        return False
    return any(
        s.type == SignatureType.PRIMARY_KEY_BINDING and s.check(subkey, content) for s in embedded
    )


def read_certs(data: bytes | str) -> tuple[Certificate, ...]:
    """Every certificate in ``data`` (armored or binary); secret keys are read as their
    certificates."""
    groups = _split(read_packets(_binary(data, "certificate")), "certificate")
    out = []
    for group in groups:
        _secret, fields = _assemble(group, want_secret=False)
        out.append(Certificate(**fields))
    return tuple(out)


def read_cert(data: bytes | str) -> Certificate:
    """The one certificate in ``data`` (armored or binary)."""
    certs = read_certs(data)
    if len(certs) != 1:
        raise InputError(TEXT["certificates"].format(count=len(certs)))
    return certs[0]


def read_keys(
    data: bytes | str, *, passphrases: Sequence[bytes | str] = ()
) -> tuple[SecretKey, ...]:
    """Every secret key in ``data`` (armored or binary); protected ones are unlocked with one of
    ``passphrases`` (RFC 4880 §5.5.3), or raise :class:`~mailsec.openpgp.ProtectedKeyError`."""
    groups = _split(read_packets(_binary(data, "secret key")), "secret key")
    secrets = [p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in passphrases]
    out = []
    for group in groups:
        secret, fields = _assemble(group, want_secret=True, passphrases=secrets)
        if not secret:
            raise InputError(TEXT["public"].format(fingerprint=fields["primary"].fingerprint))
        out.append(SecretKey(**fields))
    return tuple(out)


def read_key(data: bytes | str, *, passphrase: bytes | str | None = None) -> SecretKey:
    """The one secret key in ``data`` (armored or binary), unlocked with ``passphrase`` if it is
    protected."""
    keys = read_keys(data, passphrases=() if passphrase is None else (passphrase,))
    if len(keys) != 1:
        raise InputError(TEXT["keys"].format(count=len(keys)))
    return keys[0]
