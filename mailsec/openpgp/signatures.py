"""Version 4 signature packets: what they contain, what they hash, how they are checked.

A v4 signature (RFC 4880 §5.2.3) carries its type, the public-key and hash algorithms, two areas of
*subpackets* (the hashed area is covered by the signature; the unhashed area is not, so only hints
such as the issuer's key ID belong there), the left 16 bits of the hash, and the signature numbers.

What is hashed (RFC 4880 §5.2.4): first the signed content - the document for a document signature,
the key and user ID for a certification, both keys for a subkey binding - then the signature's own
fields from the version octet to the end of the hashed subpackets, then a trailer
``0x04 0xFF`` and the length of those fields as four octets.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.openpgp.constants import HashAlgorithm, KeyFlags, SignatureType
from mailsec.openpgp.keys import KeyMaterial, UnsupportedAlgorithmError, hashlib_hash
from mailsec.openpgp.packets import Reader, encode_length, encode_mpi

__all__ = [
    "Signature",
    "Subpacket",
    "SubpacketType",
    "canonical_text",
    "make_signature",
    "parse_signature",
]


class SubpacketType:
    """Signature subpacket types mailsec reads and writes (RFC 4880 §5.2.3.1)."""

    CREATION_TIME = 2
    EXPIRATION_TIME = 3
    KEY_EXPIRATION_TIME = 9
    PREFERRED_SYMMETRIC = 11
    ISSUER = 16
    NOTATION = 20
    PREFERRED_HASH = 21
    PREFERRED_COMPRESSION = 22
    KEY_SERVER_PREFERENCES = 23
    PRIMARY_USER_ID = 25
    KEY_FLAGS = 27
    REASON_FOR_REVOCATION = 29
    FEATURES = 30
    EMBEDDED_SIGNATURE = 32
    ISSUER_FINGERPRINT = 33

    #: Types whose meaning mailsec understands (or which only inform), so a "critical" bit on them
    #: is fine (RFC 4880 §5.2.3.1). Notations (20) are not among them: a critical notation names
    #: something the reader must understand, and mailsec understands none.
    KNOWN = frozenset({2, 3, 4, 7, 9, 11, 16, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 32, 33})


TEXT = texts(
    {
        "zero": "A signature subpacket has length zero (RFC 4880 §5.2.3.1).",
        "version": "This is a version {version} signature; mailsec reads version 4 signatures "
        "(RFC 4880 §5.2.3), which GnuPG 2.2 and sqop make.",
        "trailing": "The signature packet has unexpected octets after its signature values.",
    }
)
"""Reading signatures, in words (see :mod:`mailsec.i18n`)."""


@dataclass(frozen=True)
class Subpacket:
    type: int
    data: bytes
    critical: bool = False

    def encode(self) -> bytes:
        return (
            encode_length(len(self.data) + 1)
            + bytes([self.type | (0x80 * self.critical)])
            + self.data
        )


def _parse_subpackets(area: bytes) -> tuple[Subpacket, ...]:
    out = []
    reader = Reader(area, "signature subpacket area")
    while reader.remaining():
        b0 = reader.byte()
        if b0 < 192:
            length = b0
        elif b0 < 255:
            length = ((b0 - 192) << 8) + reader.byte() + 192
        else:
            length = reader.uint(4)
        if length == 0:
            raise InputError(TEXT["zero"])
        kind = reader.byte()
        out.append(Subpacket(kind & 0x7F, reader.take(length - 1), bool(kind & 0x80)))
    return tuple(out)


@dataclass(frozen=True)
class Signature:
    """A parsed v4 signature packet."""

    type: int
    algorithm: int
    hash_algorithm: int
    hashed_area: bytes
    unhashed_area: bytes
    hash_prefix: bytes
    values: tuple[bytes, ...]
    hashed: tuple[Subpacket, ...] = ()
    unhashed: tuple[Subpacket, ...] = ()
    version: int = 4

    # -- wire form ---------------------------------------------------------------------------------

    def hashed_fields(self) -> bytes:
        """Version to the end of the hashed subpackets: what the signature covers of itself."""
        return (
            bytes([self.version, self.type, self.algorithm, self.hash_algorithm])
            + len(self.hashed_area).to_bytes(2, "big")
            + self.hashed_area
        )

    def trailer(self) -> bytes:
        fields = self.hashed_fields()
        return fields + b"\x04\xff" + len(fields).to_bytes(4, "big")

    def to_body(self) -> bytes:
        return (
            self.hashed_fields()
            + len(self.unhashed_area).to_bytes(2, "big")
            + self.unhashed_area
            + self.hash_prefix
            + b"".join(encode_mpi(v) for v in self.values)
        )

    # -- subpackets --------------------------------------------------------------------------------

    def _first(self, kind: int, *, hashed_only: bool = True) -> bytes | None:
        areas = self.hashed if hashed_only else self.hashed + self.unhashed
        return next((s.data for s in areas if s.type == kind), None)

    @property
    def created(self) -> datetime | None:
        raw = self._first(SubpacketType.CREATION_TIME)
        if raw is None or len(raw) != 4:
            return None
        return datetime.fromtimestamp(struct.unpack(">I", raw)[0], tz=timezone.utc)

    @property
    def expiration_seconds(self) -> int | None:
        raw = self._first(SubpacketType.EXPIRATION_TIME)
        return struct.unpack(">I", raw)[0] if raw and len(raw) == 4 else None

    @property
    def key_expiration_seconds(self) -> int | None:
        """Key lifetime after its creation; 0 or absent means it never expires (§5.2.3.6)."""
        raw = self._first(SubpacketType.KEY_EXPIRATION_TIME)
        value = struct.unpack(">I", raw)[0] if raw and len(raw) == 4 else 0
        return value or None

    @property
    def key_flags(self) -> KeyFlags | None:
        raw = self._first(SubpacketType.KEY_FLAGS)
        return KeyFlags(raw[0]) if raw else None

    @property
    def preferred_symmetric(self) -> tuple[int, ...]:
        return tuple(self._first(SubpacketType.PREFERRED_SYMMETRIC) or b"")

    @property
    def preferred_hashes(self) -> tuple[int, ...]:
        return tuple(self._first(SubpacketType.PREFERRED_HASH) or b"")

    @property
    def features(self) -> int:
        raw = self._first(SubpacketType.FEATURES)
        return raw[0] if raw else 0

    @property
    def revocation_reason(self) -> int | None:
        """The reason code of a revocation (RFC 4880 §5.2.3.23), or None when none is given."""
        raw = self._first(SubpacketType.REASON_FOR_REVOCATION)
        return raw[0] if raw else None

    @property
    def is_primary_user_id(self) -> bool:
        raw = self._first(SubpacketType.PRIMARY_USER_ID)
        return bool(raw and raw[0])

    @property
    def issuer_fingerprint(self) -> str | None:
        raw = self._first(SubpacketType.ISSUER_FINGERPRINT, hashed_only=False)
        if raw and len(raw) == 21 and raw[0] == 4:
            return raw[1:].hex().upper()
        return None

    @property
    def issuer_key_id(self) -> str | None:
        raw = self._first(SubpacketType.ISSUER, hashed_only=False)
        if raw and len(raw) == 8:
            return raw.hex().upper()
        fingerprint = self.issuer_fingerprint
        return fingerprint[-16:] if fingerprint else None

    @property
    def embedded_signatures(self) -> tuple[Signature, ...]:
        # Embedded back-signatures may sit in either area: they protect themselves (§5.2.3.26).
        return tuple(
            parse_signature(s.data)
            for s in self.hashed + self.unhashed
            if s.type == SubpacketType.EMBEDDED_SIGNATURE
        )

    @property
    def unknown_critical(self) -> tuple[int, ...]:
        """Critical hashed subpackets mailsec does not understand; such a signature is invalid
        (RFC 4880 §5.2.3.1)."""
        return tuple(
            s.type for s in self.hashed if s.critical and s.type not in SubpacketType.KNOWN
        )

    def expired_at(self, moment: datetime) -> bool:
        created, seconds = self.created, self.expiration_seconds
        return bool(created and seconds and moment.timestamp() >= created.timestamp() + seconds)

    @property
    def type_name(self) -> str:
        try:
            return SignatureType(self.type).title
        except ValueError:
            return f"type 0x{self.type:02X}"

    # -- checking ----------------------------------------------------------------------------------

    def digest(self, content: bytes | memoryview | Iterable[bytes]) -> bytes:
        hasher = hashlib_hash(self.hash_algorithm)
        if isinstance(content, (bytes, bytearray, memoryview)):
            hasher.update(content)
        else:
            for chunk in content:
                hasher.update(chunk)
        hasher.update(self.trailer())
        return hasher.digest()

    def check(self, key: KeyMaterial, content: bytes | memoryview | Iterable[bytes]) -> bool:
        """Whether this signature is a valid one by ``key`` over ``content`` (already framed for
        key signatures; canonical text for text signatures)."""
        if self.unknown_critical:
            return False
        if key.algorithm != self.algorithm and not ({key.algorithm, self.algorithm} <= {1, 3}):
            return False
        try:
            digest = self.digest(content)
        except UnsupportedAlgorithmError:
            return False
        if digest[:2] != self.hash_prefix:
            return False
        return key.verify_digest(digest, self.hash_algorithm, self.values)


def parse_signature(body: bytes) -> Signature:
    """Read a signature packet body; only version 4 is accepted (RFC 4880 §5.2.3)."""
    reader = Reader(body, "Signature Packet")
    version = reader.byte()
    if version != 4:
        raise InputError(TEXT["version"].format(version=version))
    sig_type, algorithm, hash_algorithm = reader.byte(), reader.byte(), reader.byte()
    hashed_area = reader.take(reader.uint(2))
    unhashed_area = reader.take(reader.uint(2))
    hash_prefix = reader.take(2)
    count = {1: 1, 3: 1, 16: 2, 17: 2, 19: 2, 22: 2}.get(algorithm)
    if count is None:
        values: tuple[bytes, ...] = (reader.rest(),)
    else:
        values = tuple(reader.mpi() for _ in range(count))
    if reader.remaining():
        raise InputError(TEXT["trailing"])
    return Signature(
        type=sig_type,
        algorithm=algorithm,
        hash_algorithm=hash_algorithm,
        hashed_area=hashed_area,
        unhashed_area=unhashed_area,
        hash_prefix=hash_prefix,
        values=values,
        hashed=_parse_subpackets(hashed_area),
        unhashed=_parse_subpackets(unhashed_area),
        version=version,
    )


def make_signature(
    signer: KeyMaterial,
    sig_type: int,
    content: bytes | Iterable[bytes],
    *,
    created: datetime,
    hashed: Iterable[Subpacket] = (),
    hash_algorithm: int = HashAlgorithm.SHA512,
    issuer_fingerprint: bytes | None = None,
) -> Signature:
    """Sign ``content`` (already framed) with ``signer``: creation time and issuer fingerprint go in
    the hashed area, the issuer key ID in the unhashed area, as GnuPG does (RFC 4880 §5.2.3.4)."""
    fingerprint = issuer_fingerprint or signer.fingerprint_bytes
    subpackets = (
        Subpacket(SubpacketType.CREATION_TIME, int(created.timestamp()).to_bytes(4, "big")),
        *hashed,
        Subpacket(SubpacketType.ISSUER_FINGERPRINT, b"\x04" + fingerprint),
    )
    unsigned = Signature(
        type=sig_type,
        algorithm=signer.algorithm,
        hash_algorithm=hash_algorithm,
        hashed_area=b"".join(s.encode() for s in subpackets),
        unhashed_area=Subpacket(SubpacketType.ISSUER, fingerprint[-8:]).encode(),
        hash_prefix=b"",
        values=(),
        hashed=subpackets,
        unhashed=(Subpacket(SubpacketType.ISSUER, fingerprint[-8:]),),
    )
    digest = unsigned.digest(content)
    # Kept as the packet carries them: MPIs have no leading zero octets (RFC 4880 §3.2), so a
    # signature compares equal to itself read back from its bytes.
    values = tuple(v.lstrip(b"\x00") for v in signer.sign_digest(digest, hash_algorithm))
    return replace(unsigned, hash_prefix=digest[:2], values=values)


def canonical_text(data: bytes | memoryview) -> bytes:
    """Text signatures hash the text with CRLF line endings (RFC 4880 §5.2.1, type 0x01)."""
    return bytes(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def key_content(
    primary: KeyMaterial, *, user_id: bytes | None = None, subkey: KeyMaterial | None = None
) -> bytes:
    """What a key signature hashes before its own fields (RFC 4880 §5.2.4)."""
    out = primary.hash_prefix()
    if user_id is not None:
        out += b"\xb4" + len(user_id).to_bytes(4, "big") + user_id
    if subkey is not None:
        out += subkey.hash_prefix()
    return out
