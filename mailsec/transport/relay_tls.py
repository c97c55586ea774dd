"""The TLS record layer as an eavesdropper reads it, and the two hellos sent in clear.

TLS encrypts what a connection carries, not the fact that it carries it. Every record begins
with five octets in clear (RFC 8446 §5.1): the content type, a legacy version and the length of
what follows. So a wiretap still counts the records and their sizes in each direction, and sees
when each went. And the first message of each side is not encrypted at all: the client's
ClientHello (§4.1.2) names the server it wants in the Server Name Indication extension (RFC 6066
§3) and offers application protocols (ALPN, RFC 7301 §3.1) and versions (§4.2.1); the server's
ServerHello (§4.1.3) says which version and cipher suite it chose. Everything after that is
encrypted (in TLS 1.3 even the certificate).

These functions read those parts from recorded bytes. They are pure and accept any bytes: what is
not TLS, or is cut off, is refused with an :class:`~mailsec.errors.InputError` that says where and
why, never another exception. They are for learning what is visible, not a TLS implementation:
nothing is decrypted or verified.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_TLS_HELLO as MAX_HELLO
from mailsec.limits import MAX_TLS_RECORDS as MAX_RECORDS

__all__ = [
    "MAX_RECORDS",
    "MAX_RECORD_LENGTH",
    "ClientHello",
    "ContentType",
    "RecordLayer",
    "ServerHello",
    "TlsRecord",
    "cipher_suite_name",
    "first_handshake_message",
    "looks_like_tls",
    "parse_client_hello",
    "parse_records",
    "parse_server_hello",
    "version_name",
]

RECORD_HEADER = 5
"""Octets of a record's header: type (1), legacy_record_version (2), length (2) (RFC 8446 §5.1)."""

MAX_RECORD_LENGTH = 2**14 + 2048
"""The longest record: TLS 1.2 allows 2^14 + 2048 octets of ciphertext (RFC 5246 §6.2.3);
TLS 1.3 fewer, 2^14 + 256 (RFC 8446 §5.2). A longer length is not TLS."""


_VERSIONS = texts(
    {
        0x0300: "SSL 3.0",
        0x0301: "TLS 1.0",
        0x0302: "TLS 1.1",
        0x0303: "TLS 1.2",
        0x0304: "TLS 1.3",
    }
)
"""The versions' names, as a learner reads them (the same in every language)."""

LABELS = texts(
    {
        "change_cipher_spec": "change cipher spec",
        "alert": "alert",
        "handshake": "handshake",
        "application_data": "application data",
        "heartbeat": "heartbeat",
    }
)
"""A record type's name in words (:attr:`ContentType.label`)."""

ERRORS = texts(
    {
        "cut": "The {what} ends inside its {field} (octet {pos}: {count} needed, {left} left): it "
        "is cut off or not TLS.",
        "type": "Octet {pos}: content type {kind} is not a TLS record type (20 to 24, RFC 8446 "
        "§5.1): these bytes are not TLS.",
        "version": "Octet {pos}: record version {major}.{minor} is not TLS (3.x, RFC 8446 §5.1).",
        "length": "Octet {pos}: a record of {length:,} octets is longer than TLS allows ({limit:,}, "
        "RFC 5246 §6.2.3, RFC 8446 §5.2).",
        "hello": "A handshake message of {length:,} octets is longer than a hello can be (the "
        "course reads {limit:,} at most).",
        "twice": "The {what} has extension {kind} twice (RFC 8446 §4.2).",
        "after": "The {what} has {count} octets after its extensions.",
        "first": "The first handshake message is type {kind}, not a {what}.",
        "sni": "The server name in the ClientHello is empty or not printable ASCII (RFC 6066 §3 "
        "asks for a DNS host name).",
        "alpn": "The ALPN extension has an empty protocol name (RFC 7301 §3.1).",
        "odd": "The ClientHello's cipher suite list has an odd length.",
    }
)
"""What is wrong with bytes that do not read as TLS (named placeholders, for translation); the
structures and fields they name (ClientHello, legacy_version ...) are RFC 8446's names."""

_CIPHER_SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0x1304: "TLS_AES_128_CCM_SHA256",
    0x1305: "TLS_AES_128_CCM_8_SHA256",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
}

# Extension types (IANA "TLS ExtensionType Values").
SERVER_NAME = 0  # RFC 6066 §3
ALPN = 16  # RFC 7301 §3.1
SUPPORTED_VERSIONS = 43  # RFC 8446 §4.2.1

CLIENT_HELLO = 1
SERVER_HELLO = 2


def version_name(version: int) -> str:
    """``TLS 1.3`` for 0x0304, and so on; other values as hex."""
    return _VERSIONS.get(version, f"0x{version:04x}")


def cipher_suite_name(suite: int) -> str:
    """The IANA name of a common cipher suite; other values as hex."""
    return _CIPHER_SUITES.get(suite, f"0x{suite:04x}")


class ContentType(enum.IntEnum):
    """What a record carries (RFC 8446 §5.1; heartbeat: RFC 6520)."""

    CHANGE_CIPHER_SPEC = 20
    """A one-octet record, kept in TLS 1.3 only so that middleboxes let it through (§D.4)."""
    ALERT = 21
    """A warning or an error, such as a failed certificate check (§6)."""
    HANDSHAKE = 22
    """Handshake messages; in clear only the hellos (TLS 1.3 encrypts the rest)."""
    APPLICATION_DATA = 23
    """Encrypted: the mail protocol's lines, and in TLS 1.3 the rest of the handshake too."""
    HEARTBEAT = 24
    """Keep-alive messages (RFC 6520), rarely used."""

    @property
    def label(self) -> str:
        return LABELS[self.name.lower()]


@dataclass(frozen=True)
class TlsRecord:
    """One record: where it starts in the stream, and its three header fields."""

    offset: int
    content_type: ContentType
    version: int
    """legacy_record_version: 0x0301 or 0x0303 whatever is negotiated (RFC 8446 §5.1)."""
    length: int
    fragment: bytes = field(repr=False, default=b"")
    """What the record carries (encrypted, except in the first handshake records)."""


@dataclass(frozen=True)
class RecordLayer:
    """The records read from one direction."""

    records: tuple[TlsRecord, ...]
    leftover: int
    """Octets at the end that do not make a whole record (the recording or connection ended)."""
    stopped: bool
    """Reading stopped at :data:`MAX_RECORDS`; the rest was not read."""


@dataclass(frozen=True)
class ClientHello:
    """What a ClientHello shows in clear (RFC 8446 §4.1.2)."""

    legacy_version: int
    server_name: str | None
    """The host name in the SNI extension (RFC 6066 §3), or ``None`` without one."""
    alpn: tuple[str, ...]
    """The application protocols offered (RFC 7301 §3.1), empty without the extension."""
    versions: tuple[int, ...]
    """The versions offered in supported_versions (RFC 8446 §4.2.1), empty without it."""
    cipher_suites: tuple[int, ...]
    extensions: tuple[int, ...]
    """The extension types, in order."""


@dataclass(frozen=True)
class ServerHello:
    """What a ServerHello shows in clear (RFC 8446 §4.1.3)."""

    legacy_version: int
    version: int
    """The version chosen: supported_versions when present (TLS 1.3), else legacy_version."""
    cipher_suite: int
    alpn: str | None
    """The protocol chosen, when the ServerHello says it (TLS 1.2; TLS 1.3 encrypts it)."""


class _Reader:
    """Bounds-checked reading of a structure; every shortfall is an InputError."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.what = what
        self.pos = 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, count: int, field_name: str) -> bytes:
        if count > self.left():
            raise InputError(
                ERRORS["cut"].format(
                    what=self.what, field=field_name, pos=self.pos, count=count, left=self.left()
                )
            )
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def number(self, size: int, field_name: str) -> int:
        return int.from_bytes(self.take(size, field_name), "big")

    def vector(self, size: int, field_name: str) -> bytes:
        """A length-prefixed vector (RFC 8446 §3.4) with a ``size``-octet length."""
        return self.take(self.number(size, field_name), field_name)


def looks_like_tls(data: bytes) -> bool:
    """Whether ``data`` begins like a TLS handshake record (type 22, version 3.x): the first
    bytes of a ClientHello or a ServerHello. Mail protocol lines never start with octet 22."""
    return len(data) >= 3 and data[0] == ContentType.HANDSHAKE and data[1] == 3 and data[2] <= 4


def parse_records(data: bytes, *, limit: int = MAX_RECORDS) -> RecordLayer:
    """The records in ``data`` (one direction of a connection, from its first TLS octet).

    Raises :class:`InputError` when a header is not a TLS record header: an unknown content
    type, a version that is not 3.x, or a length above :data:`MAX_RECORD_LENGTH`.
    """
    records: list[TlsRecord] = []
    pos = 0
    while len(data) - pos >= RECORD_HEADER:
        if len(records) >= limit:
            return RecordLayer(tuple(records), 0, True)
        kind, major, minor = data[pos], data[pos + 1], data[pos + 2]
        length = int.from_bytes(data[pos + 3 : pos + 5], "big")
        if kind not in ContentType._value2member_map_:
            raise InputError(ERRORS["type"].format(pos=pos, kind=kind))
        if major != 3:
            raise InputError(ERRORS["version"].format(pos=pos, major=major, minor=minor))
        if length > MAX_RECORD_LENGTH:
            raise InputError(
                ERRORS["length"].format(pos=pos, length=length, limit=MAX_RECORD_LENGTH)
            )
        if len(data) - pos - RECORD_HEADER < length:
            break
        body = data[pos + RECORD_HEADER : pos + RECORD_HEADER + length]
        records.append(TlsRecord(pos, ContentType(kind), (major << 8) | minor, length, body))
        pos += RECORD_HEADER + length
    return RecordLayer(tuple(records), len(data) - pos, False)


def first_handshake_message(records: tuple[TlsRecord, ...]) -> bytes | None:
    """The first handshake message (header included), reassembled from the handshake records
    at the start; ``None`` when they end before it does."""
    buffer = b""
    for record in records:
        if record.content_type is not ContentType.HANDSHAKE:
            break
        buffer += record.fragment
        if len(buffer) >= 4:
            length = int.from_bytes(buffer[1:4], "big")
            if length > MAX_HELLO:
                raise InputError(ERRORS["hello"].format(length=length, limit=MAX_HELLO))
            if len(buffer) >= 4 + length:
                return buffer[: 4 + length]
    return None


def _extensions(reader: _Reader) -> list[tuple[int, bytes]]:
    """The extensions block at the end of a hello (absent is allowed before TLS 1.3)."""
    if reader.left() == 0:
        return []
    block = _Reader(reader.vector(2, "extensions"), f"{reader.what}'s extensions")
    found: list[tuple[int, bytes]] = []
    seen: set[int] = set()
    while block.left():
        kind = block.number(2, "extension type")
        if kind in seen:  # RFC 8446 §4.2: at most one extension of each type
            raise InputError(ERRORS["twice"].format(what=reader.what, kind=kind))
        seen.add(kind)
        found.append((kind, block.vector(2, f"extension {kind}")))
    if reader.left():
        raise InputError(ERRORS["after"].format(what=reader.what, count=reader.left()))
    return found


def _hello_start(message: bytes, kind: int, what: str) -> tuple[_Reader, int]:
    """A hello's body after the fields both hellos begin with (RFC 8446 §4.1.2-4.1.3): the
    message type and length, legacy_version (returned), random and the session id."""
    outer = _Reader(message, what)
    if outer.number(1, "message type") != kind:
        raise InputError(ERRORS["first"].format(kind=message[0], what=what))
    reader = _Reader(outer.vector(3, "length"), what)
    legacy = reader.number(2, "legacy_version")
    reader.take(32, "random")
    reader.vector(1, "legacy_session_id")
    return reader, legacy


def _server_name(data: bytes) -> str | None:
    """The host_name of an SNI extension (RFC 6066 §3)."""
    names = _Reader(_Reader(data, "server_name extension").vector(2, "name list"), "name list")
    while names.left():
        name_type = names.number(1, "name type")
        name = names.vector(2, "host name")
        if name_type == 0:
            if not name or not name.isascii() or not name.decode("ascii").isprintable():
                raise InputError(ERRORS["sni"])
            return name.decode("ascii")
    return None


def _alpn(data: bytes) -> tuple[str, ...]:
    """The protocol names of an ALPN extension (RFC 7301 §3.1)."""
    names = _Reader(_Reader(data, "ALPN extension").vector(2, "protocol list"), "protocol list")
    found = []
    while names.left():
        name = names.vector(1, "protocol name")
        if not name:
            raise InputError(ERRORS["alpn"])
        found.append(name.decode("ascii", "backslashreplace"))
    return tuple(found)


def parse_client_hello(message: bytes) -> ClientHello:
    """The parts of a ClientHello message (its 4-octet header included) a wiretap reads."""
    reader, legacy = _hello_start(message, CLIENT_HELLO, "ClientHello")
    suites = reader.vector(2, "cipher_suites")
    if len(suites) % 2:
        raise InputError(ERRORS["odd"])
    reader.vector(1, "legacy_compression_methods")
    server_name: str | None = None
    alpn: tuple[str, ...] = ()
    versions: tuple[int, ...] = ()
    extensions = _extensions(reader)
    for kind, data in extensions:
        if kind == SERVER_NAME:
            server_name = _server_name(data)
        elif kind == ALPN:
            alpn = _alpn(data)
        elif kind == SUPPORTED_VERSIONS:
            listed = _Reader(data, "supported_versions").vector(1, "versions")
            versions = tuple(
                int.from_bytes(listed[i : i + 2], "big") for i in range(0, len(listed) - 1, 2)
            )
    return ClientHello(
        legacy_version=legacy,
        server_name=server_name,
        alpn=alpn,
        versions=versions,
        cipher_suites=tuple(
            int.from_bytes(suites[i : i + 2], "big") for i in range(0, len(suites), 2)
        ),
        extensions=tuple(kind for kind, _ in extensions),
    )


def parse_server_hello(message: bytes) -> ServerHello:
    """The parts of a ServerHello message (its 4-octet header included) a wiretap reads."""
    reader, legacy = _hello_start(message, SERVER_HELLO, "ServerHello")
    suite = reader.number(2, "cipher_suite")
    reader.take(1, "legacy_compression_method")
    version = legacy
    alpn: str | None = None
    for kind, data in _extensions(reader):
        if kind == SUPPORTED_VERSIONS:
            version = _Reader(data, "supported_versions").number(2, "selected_version")
        elif kind == ALPN:
            chosen = _alpn(data)
            alpn = chosen[0] if chosen else None
    return ServerHello(legacy_version=legacy, version=version, cipher_suite=suite, alpn=alpn)
