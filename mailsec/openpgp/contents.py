"""The inside of a message: literal data, compressed data and the signatures around them.

Once a message is decrypted (or when it was only signed), what remains follows the grammar of RFC
4880 §11.3: a *Literal Data* packet with the content (§5.9), perhaps inside a *Compressed Data*
packet (§5.6), perhaps between One-Pass Signature and Signature packets (§5.4). This module writes
the Literal Data packet and reads all of it into :class:`Contents`.

Every way into a message (decryption, inline verification, the packet lister, PGP/MIME) expands
compressed data here, so the guards against "decompression bombs" live here too: at most
:data:`MAX_DEPTH` levels of nesting and :data:`MAX_DECOMPRESSED` octets from one packet.
"""

from __future__ import annotations

import bz2
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from mailsec.errors import InputError
from mailsec.openpgp.constants import CompressionAlgorithm, PacketTag
from mailsec.openpgp.keys import UnsupportedAlgorithmError
from mailsec.openpgp.packets import Packet, encode_length, read_packets
from mailsec.openpgp.signatures import Signature, canonical_text, parse_signature

__all__ = [
    "MAX_DECOMPRESSED",
    "MAX_DEPTH",
    "Contents",
    "LiteralData",
    "decompress",
    "literal_parts",
    "parse_literal",
    "read_contents",
]

#: The deepest nesting of compressed packets read before giving up (a guard against "zip bombs").
MAX_DEPTH = 8
#: The most octets a compressed packet may expand to (a guard against decompression bombs).
MAX_DECOMPRESSED = 1 << 30


@dataclass(frozen=True)
class LiteralData:
    """The Literal Data packet's fields (RFC 4880 §5.9)."""

    format: str
    filename: str
    date: datetime
    data: bytes


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


def parse_literal(body: bytes) -> LiteralData:
    """Read a Literal Data packet body: format, file name, date, data (RFC 4880 §5.9)."""
    if len(body) < 6 or len(body) < 6 + body[1]:
        raise InputError("The Literal Data packet is too short (RFC 4880 §5.9); it is damaged.")
    name_length = body[1]
    filename = body[2 : 2 + name_length].decode("utf-8", "replace")
    date = int.from_bytes(body[2 + name_length : 6 + name_length], "big")
    return LiteralData(
        format=chr(body[0]),
        filename=filename,
        date=datetime.fromtimestamp(date, tz=timezone.utc),
        data=body[6 + name_length :],
    )


# -- compressed data and the message grammar ---------------------------------------------------


def decompress(body: bytes) -> tuple[str, bytes]:
    """The algorithm's name and the expanded data of a Compressed Data packet (RFC 4880 §5.6)."""
    if not body:
        raise InputError("The Compressed Data packet is empty (RFC 4880 §5.6).")
    algorithm, data = body[0], body[1:]
    try:
        if algorithm == CompressionAlgorithm.UNCOMPRESSED:
            return "uncompressed", data
        if algorithm in (CompressionAlgorithm.ZIP, CompressionAlgorithm.ZLIB):
            engine = zlib.decompressobj(-15 if algorithm == CompressionAlgorithm.ZIP else 15)
            out = engine.decompress(data, MAX_DECOMPRESSED)
            if engine.unconsumed_tail:
                raise InputError("The compressed data expands to more than 1 GiB; refused.")
            return CompressionAlgorithm(algorithm).title, out
        if algorithm == CompressionAlgorithm.BZIP2:
            engine_bz2 = bz2.BZ2Decompressor()
            out = engine_bz2.decompress(data, MAX_DECOMPRESSED)
            if not engine_bz2.eof and not engine_bz2.needs_input:
                raise InputError("The compressed data expands to more than 1 GiB; refused.")
            return "BZip2", out
    except (zlib.error, OSError, ValueError):
        raise InputError("The compressed data is damaged and cannot be expanded.") from None
    raise UnsupportedAlgorithmError(
        f"The message is compressed with algorithm {algorithm}, which mailsec does not know; "
        "it reads ZIP, ZLIB and BZip2 (RFC 4880 §9.3)."
    )


def read_contents(
    packets: list[Packet], contents: Contents | None = None, depth: int = 0
) -> Contents:
    """Read a literal message, possibly compressed and signed (RFC 4880 §11.3 grammar)."""
    contents = Contents() if contents is None else contents
    if depth > MAX_DEPTH:
        raise InputError("The message nests compressed packets too deeply; refused.")
    for packet in packets:
        tag = packet.tag
        if tag == PacketTag.COMPRESSED_DATA:
            name, inner = decompress(packet.body)
            contents.compression = contents.compression or name
            read_contents(read_packets(inner), contents, depth + 1)
        elif tag == PacketTag.ONE_PASS_SIGNATURE:
            if len(packet.body) != 13 or packet.body[0] != 3:
                raise InputError(
                    "The One-Pass Signature packet is not version 3 (RFC 4880 §5.4); mailsec "
                    "cannot read it."
                )
            contents.one_pass += 1
        elif tag == PacketTag.SIGNATURE:
            contents.signatures.append(parse_signature(packet.body))
        elif tag == PacketTag.LITERAL_DATA:
            if contents.literal is not None:
                raise InputError("The message holds two Literal Data packets; it is malformed.")
            contents.literal = parse_literal(packet.body)
        elif tag in (PacketTag.MARKER, PacketTag.PADDING):
            continue
        elif tag in (PacketTag.PKESK, PacketTag.SEIPD, PacketTag.SED, PacketTag.SKESK):
            raise InputError(
                "The message is encrypted; decrypt it (with the recipient's secret key) instead."
            )
        else:
            raise InputError(f"A {packet.name} is not expected inside a message (RFC 4880 §11.3).")
    if depth == 0 and contents.literal is None:
        raise InputError(
            "The message holds no Literal Data packet, so there is no content to read."
        )
    return contents
