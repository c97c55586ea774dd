"""The inside of a message: literal data, compressed data and the signatures around them.

Once a message is decrypted (or when it was only signed), what remains follows the grammar of RFC
4880 §11.3: a *Literal Data* packet with the content (§5.9), perhaps inside a *Compressed Data*
packet (§5.6), perhaps between One-Pass Signature and Signature packets (§5.4). This module writes
the Literal Data packet and reads all of it into :class:`Contents`.

Every way into a message (decryption, inline verification, the packet lister, PGP/MIME) expands
compressed data here, so the guards against "decompression bombs" live here too. Each message
gets one :class:`Budget`, shared by every nesting level: at most :data:`MAX_DECOMPRESSED` octets
expanded in all, at most :data:`MAX_PACKETS` packets read in all, at most :data:`MAX_DEPTH` levels
of compressed packets. Expansion stops as soon as the budget is spent, so memory stays bounded;
compressed data that ends before its end-of-stream marker is refused as cut off.
"""

from __future__ import annotations

import bz2
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_COMPRESSION_DEPTH, MAX_DECOMPRESSED, MAX_MESSAGE_PACKETS
from mailsec.openpgp.constants import CompressionAlgorithm, PacketTag
from mailsec.openpgp.keys import UnsupportedAlgorithmError
from mailsec.openpgp.packets import encode_length, read_packets
from mailsec.openpgp.signatures import Signature, canonical_text, parse_signature

__all__ = [
    "MAX_DECOMPRESSED",
    "MAX_DEPTH",
    "MAX_PACKETS",
    "Budget",
    "Contents",
    "LiteralData",
    "decompress",
    "literal_parts",
    "parse_literal",
    "read_contents",
]

MAX_DEPTH = MAX_COMPRESSION_DEPTH
MAX_PACKETS = MAX_MESSAGE_PACKETS


TEXT = texts(
    {
        "packets": "The message holds more than {limit} packets; no message needs that many, so "
        "it is refused.",
        "bomb": "The compressed data expands to more than {limit} octets in all (a decompression "
        "bomb?); refused.",
        "literal_short": "The Literal Data packet is too short (RFC 4880 §5.9); it is damaged.",
        "compressed_empty": "The Compressed Data packet is empty (RFC 4880 §5.6).",
        "algorithm": "The message is compressed with algorithm {algorithm}, which mailsec does "
        "not know; it reads ZIP, ZLIB and BZip2 (RFC 4880 §9.3).",
        "damaged": "The compressed data is damaged and cannot be expanded.",
        "cut": "The {name} compressed data ends before its end marker: it was cut off or damaged.",
        "deep": "The message nests compressed packets more than {depth} deep; refused.",
        "ops": "The One-Pass Signature packet is not version 3 (RFC 4880 §5.4); mailsec cannot "
        "read it.",
        "two_literals": "The message holds two Literal Data packets; it is malformed.",
        "encrypted": "The message is encrypted; decrypt it (with the recipient's secret key) "
        "instead.",
        "unexpected": "A {packet} is not expected inside a message (RFC 4880 §11.3).",
        "no_literal": "The message holds no Literal Data packet, so there is no content to read.",
    }
)
"""A message's contents, in words (see :mod:`mailsec.i18n`)."""


class Budget:
    """What one message may still cost while it is read: expanded octets and packets."""

    def __init__(self, octets: int = MAX_DECOMPRESSED, packets: int = MAX_PACKETS) -> None:
        self.octets = octets
        self.packets = packets

    def take_packet(self) -> None:
        self.packets -= 1
        if self.packets < 0:
            raise InputError(TEXT["packets"].format(limit=f"{MAX_PACKETS:,}"))

    def take_octets(self, count: int) -> None:
        self.octets -= count
        if self.octets < 0:
            raise InputError(TEXT["bomb"].format(limit=f"{MAX_DECOMPRESSED:,}"))


@dataclass(frozen=True)
class LiteralData:
    """The Literal Data packet's fields (RFC 4880 §5.9)."""

    format: str
    filename: str
    date: datetime
    data: bytes | memoryview
    """The content (a read-only memoryview when it was read with ``view``)."""


@dataclass
class Contents:
    """What :func:`read_contents` found inside a message."""

    literal: LiteralData | None = None
    signatures: list[Signature] = field(default_factory=list)
    one_pass: int = 0
    """How many One-Pass Signature packets announced a signature (RFC 4880 §5.4)."""
    compression: str | None = None
    """The compression algorithm of the outermost Compressed Data packet, if there was one."""


# -- the Literal Data packet -------------------------------------------------------------------


def literal_parts(data: bytes, *, text: bool, created: datetime) -> tuple[bytes, bytes]:
    """A Literal Data packet as (header, data): format, empty file name, date (RFC 4880 §5.9).
    Kept in two parts so a large message is not copied only to be framed. Text ("t") is stored
    with CRLF line endings, as §5.9 asks; GnuPG hashes a text signature's data as stored."""
    if text:
        data = canonical_text(data)
    fields = (b"t" if text else b"b") + b"\x00" + int(created.timestamp()).to_bytes(4, "big")
    length = len(fields) + len(data)
    return bytes([0xC0 | PacketTag.LITERAL_DATA]) + encode_length(length) + fields, data


def parse_literal(body: bytes | memoryview, *, view: bool = False) -> LiteralData:
    """Read a Literal Data packet body: format, file name, date, data (RFC 4880 §5.9); with
    ``view``, the data is a read-only view into ``body``, not a copy."""
    if len(body) < 6 or len(body) < 6 + body[1]:
        raise InputError(TEXT["literal_short"])
    name_length = body[1]
    filename = bytes(body[2 : 2 + name_length]).decode("utf-8", "replace")
    date = int.from_bytes(body[2 + name_length : 6 + name_length], "big")
    return LiteralData(
        format=chr(body[0]),
        filename=filename,
        date=datetime.fromtimestamp(date, tz=timezone.utc),
        data=memoryview(body)[6 + name_length :].toreadonly()
        if view
        else bytes(body[6 + name_length :]),
    )


# -- compressed data and the message grammar ---------------------------------------------------


def decompress(
    body: bytes | memoryview, budget: Budget | None = None
) -> tuple[str, bytes | memoryview]:
    """The algorithm's name and the expanded data of a Compressed Data packet (RFC 4880 §5.6).

    Expansion stops once ``budget`` (a fresh one if none is given) is spent, and a stream that
    ends before its end marker is refused: it was cut off.
    """
    if not body:
        raise InputError(TEXT["compressed_empty"])
    budget = Budget() if budget is None else budget
    algorithm, data = body[0], body[1:]
    if algorithm == CompressionAlgorithm.UNCOMPRESSED:
        return "uncompressed", data
    if algorithm in (CompressionAlgorithm.ZIP, CompressionAlgorithm.ZLIB):
        raw = algorithm == CompressionAlgorithm.ZIP
        engine: Any = zlib.decompressobj(-15 if raw else 15)
        name = CompressionAlgorithm(algorithm).title
    elif algorithm == CompressionAlgorithm.BZIP2:
        engine, name = bz2.BZ2Decompressor(), "BZip2"
    else:
        raise UnsupportedAlgorithmError(TEXT["algorithm"].format(algorithm=algorithm))
    try:
        out = engine.decompress(data, max(budget.octets, 0) + 1)
    except (zlib.error, OSError, ValueError, EOFError):
        raise InputError(TEXT["damaged"]) from None
    budget.take_octets(len(out))
    if not engine.eof:
        raise InputError(TEXT["cut"].format(name=name))
    return name, out


def read_contents(
    data: bytes | memoryview,
    budget: Budget | None = None,
    contents: Contents | None = None,
    depth: int = 0,
    *,
    views: bool = False,
) -> Contents:
    """Read a literal message, possibly compressed and signed (RFC 4880 §11.3 grammar), within
    one :class:`Budget` for the whole message. With ``views``, the literal data is a view into
    ``data`` (see :func:`parse_literal`)."""
    contents = Contents() if contents is None else contents
    budget = Budget() if budget is None else budget
    if depth > MAX_DEPTH:
        raise InputError(TEXT["deep"].format(depth=MAX_DEPTH))
    # Views, not copies: the literal data is copied once at most, out of ``data``, by parse_literal.
    for packet in read_packets(data, budget=budget, views=True):
        tag = packet.tag
        if tag == PacketTag.COMPRESSED_DATA:
            name, inner = decompress(packet.body, budget)
            contents.compression = contents.compression or name
            read_contents(inner, budget, contents, depth + 1, views=views)
        elif tag == PacketTag.ONE_PASS_SIGNATURE:
            if len(packet.body) != 13 or packet.body[0] != 3:
                raise InputError(TEXT["ops"])
            contents.one_pass += 1
        elif tag == PacketTag.SIGNATURE:
            contents.signatures.append(parse_signature(bytes(packet.body)))
        elif tag == PacketTag.LITERAL_DATA:
            if contents.literal is not None:
                raise InputError(TEXT["two_literals"])
            contents.literal = parse_literal(packet.body, view=views)
        elif tag in (PacketTag.MARKER, PacketTag.PADDING):
            continue
        elif tag in (PacketTag.PKESK, PacketTag.SEIPD, PacketTag.SED, PacketTag.SKESK):
            raise InputError(TEXT["encrypted"])
        else:
            raise InputError(TEXT["unexpected"].format(packet=packet.name))
    if depth == 0 and contents.literal is None:
        raise InputError(TEXT["no_literal"])
    return contents
