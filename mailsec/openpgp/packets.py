"""Packet framing: how OpenPGP data is cut into packets (RFC 4880 §4.2).

Every OpenPGP object (a key, a message, a signature) is a sequence of packets. A packet starts with
a tag octet and a body length; the body's meaning depends on the tag. Two header formats exist:

- the *old* format (bit 6 clear): tag in bits 5-2, a length of 1, 2 or 4 octets, or "indeterminate"
  (the packet runs to the end of the data) (RFC 4880 §4.2.1);
- the *new* format (bit 6 set): tag in bits 5-0, a length of 1, 2 or 5 octets, or *partial body
  lengths*: a chunk of 2**n octets followed by another length, which lets a tool stream a large
  message without knowing its size in advance (RFC 4880 §4.2.2.4).

mailsec writes new-format headers with definite lengths and reads all of the above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mailsec.errors import InputError
from mailsec.i18n import gettext, texts
from mailsec.openpgp.constants import PacketTag

__all__ = [
    "Packet",
    "Reader",
    "encode_length",
    "encode_mpi",
    "encode_packet",
    "read_packets",
]


@dataclass(frozen=True)
class Packet:
    """One packet: its tag, its body and how it was framed."""

    tag: int
    body: bytes | memoryview
    """The body: bytes, or a view into the data read when :func:`read_packets` was asked for views."""
    header_length: int
    """Octets of header (tag octet plus length octets; for partial lengths only the first)."""
    partial: bool = False
    """Whether the body came in partial-length chunks (RFC 4880 §4.2.2.4)."""
    old_format: bool = False
    offset: int = 0
    """Where the packet starts in the data it was read from."""

    @property
    def name(self) -> str:
        try:
            return PacketTag(self.tag).title
        except ValueError:
            return f"Unknown Packet (tag {self.tag})"


def encode_length(length: int) -> bytes:
    """A new-format body length (RFC 4880 §4.2.2): 1, 2 or 5 octets."""
    if length < 192:
        return bytes([length])
    if length < 8384:
        length -= 192
        return bytes([(length >> 8) + 192, length & 0xFF])
    return b"\xff" + length.to_bytes(4, "big")


def encode_packet(tag: int, body: bytes) -> bytes:
    """A packet with a new-format header (RFC 4880 §4.2.2)."""
    return bytes([0xC0 | tag]) + encode_length(len(body)) + body


TEXT = texts(
    {
        "truncated_header": "The OpenPGP data ends in the middle of a packet header (at byte "
        "{offset}); it was cut off or damaged. Copy or export it again.",
        "truncated": "The OpenPGP data ends in the middle of a {packet} (at byte {offset}); it "
        "was cut off or damaged. Copy or export it again.",
        "not_packet": "Byte {pos} (0x{first:02X}) is not the start of an OpenPGP packet (the top "
        "bit of a packet tag is always set, RFC 4880 §4.2); this is not OpenPGP binary data, or "
        "it is damaged.",
        "tag_zero": "Byte {start} holds packet tag 0, which is reserved and never valid "
        "(RFC 4880 §4.3); the data is damaged.",
        "tag_name": "packet with tag {tag}",
        "short": "The {what} is shorter than its fields need (it ends at byte {end}); it was "
        "truncated or damaged.",
        # The parts of a packet a Reader reads, besides the packets' own names.
        "parts": (
            "signature subpacket area",
            "secret key material",
        ),
    }
)
"""Framing errors, in words (see :mod:`mailsec.i18n`); packet names stay as gpg says them."""


def _truncated(packet: str | None, offset: int) -> InputError:
    """The data ends inside a packet header (``packet`` None) or inside the named packet."""
    if packet is None:
        return InputError(TEXT["truncated_header"].format(offset=offset))
    return InputError(TEXT["truncated"].format(packet=packet, offset=offset))


class PacketBudget(Protocol):
    def take_packet(self) -> None: ...


def read_packets(
    data: bytes | bytearray | memoryview,
    *,
    budget: PacketBudget | None = None,
    views: bool = False,
) -> list[Packet]:
    """Cut ``data`` into packets; raises :class:`InputError` when the framing is broken.

    ``budget`` (see :class:`mailsec.openpgp.contents.Budget`) is charged one packet per packet
    before its body is copied, so a message of millions of tiny packets is refused early. With
    ``views``, a body sent in one piece is a view into ``data`` instead of a copy (the contents of
    a decrypted message are read so, and a 10 MB literal is not held twice).
    """
    packets: list[Packet] = []
    pos = 0
    view = memoryview(data)
    size = len(data)
    while pos < size:
        if budget is not None:
            budget.take_packet()
        start = pos
        first = data[pos]
        if not first & 0x80:
            raise InputError(TEXT["not_packet"].format(pos=pos, first=first))
        if first & 0x40:
            tag = first & 0x3F
            body, pos, partial = _new_format_body(data, view, pos + 1, tag, views)
            header_length = 1 + (1 if partial else _len_octets(data[start + 1]))
        else:
            tag = (first >> 2) & 0x0F
            body, pos = _old_format_body(data, view, pos + 1, tag, first & 0x03, views)
            header_length = pos - start - len(body)
            partial = False
        if tag == 0:
            raise InputError(TEXT["tag_zero"].format(start=start))
        packets.append(
            Packet(
                tag=tag,
                body=body,
                header_length=header_length,
                partial=partial,
                old_format=not first & 0x40,
                offset=start,
            )
        )
    return packets


def _new_format_body(
    data: bytes | bytearray | memoryview, view: memoryview, pos: int, tag: int, views: bool
) -> tuple[bytes | memoryview, int, bool]:
    """The body of a new-format packet whose length starts at ``pos``, the position after it, and
    whether it came in partial-length chunks (RFC 4880 §4.2.2)."""
    size = len(data)
    chunks: list[memoryview] = []
    partial = False
    while True:
        if pos >= size:
            raise _truncated(None, pos)
        b0 = data[pos]
        final = True
        if b0 < 192:  # one octet (§4.2.2.1)
            length, pos = b0, pos + 1
        elif b0 < 224:  # two octets (§4.2.2.2)
            if pos + 1 >= size:
                raise _truncated(None, pos)
            length = ((b0 - 192) << 8) + data[pos + 1] + 192
            pos += 2
        elif b0 == 255:  # five octets (§4.2.2.3)
            if pos + 5 > size:
                raise _truncated(None, pos)
            length = int.from_bytes(data[pos + 1 : pos + 5], "big")
            pos += 5
        else:  # a partial body length: a chunk of 2**n octets, then another length (§4.2.2.4)
            length, pos = 1 << (b0 & 0x1F), pos + 1
            final = False
            partial = True
        if pos + length > size:
            raise _truncated(_tag_name(tag), pos)
        chunks.append(view[pos : pos + length])
        pos += length
        if final:
            break
    # Views until here, so a body sent in many partial chunks is copied once, by join.
    if len(chunks) == 1:
        return (chunks[0] if views else bytes(chunks[0])), pos, partial
    return b"".join(chunks), pos, partial


def _old_format_body(
    data: bytes | bytearray | memoryview,
    view: memoryview,
    pos: int,
    tag: int,
    kind: int,
    views: bool,
) -> tuple[bytes | memoryview, int]:
    """The body of an old-format packet whose length (of the given length type) starts at ``pos``,
    and the position after it (RFC 4880 §4.2.1)."""
    size = len(data)
    if kind == 3:  # indeterminate: to the end of the data
        length = size - pos
    else:
        octets = (1, 2, 4)[kind]
        if pos + octets > size:
            raise _truncated(None, pos)
        length = int.from_bytes(data[pos : pos + octets], "big")
        pos += octets
    if pos + length > size:
        raise _truncated(_tag_name(tag), pos)
    body = view[pos : pos + length]
    return (body if views else bytes(body)), pos + length


def _len_octets(b0: int) -> int:
    return 1 if b0 < 192 else 2 if b0 < 224 else 5


def _tag_name(tag: int) -> str:
    try:
        return PacketTag(tag).title
    except ValueError:
        return TEXT["tag_name"].format(tag=tag)


def encode_mpi(value: int | bytes) -> bytes:
    """A multiprecision integer: bit count (2 octets) and big-endian value (RFC 4880 §3.2)."""
    raw = (
        value if isinstance(value, bytes) else value.to_bytes((value.bit_length() + 7) // 8, "big")
    )
    raw = raw.lstrip(b"\x00")
    bits = len(raw) * 8 - (8 - raw[0].bit_length()) if raw else 0
    return bits.to_bytes(2, "big") + raw


class Reader:
    """Reads the fields of one packet body, with a clear error when the body is too short."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise InputError(TEXT["short"].format(what=gettext(self.what), end=len(self.data)))
        out = self.data[self.pos : self.pos + count]
        self.pos += count
        return out

    def byte(self) -> int:
        return self.take(1)[0]

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def mpi(self) -> bytes:
        """A multiprecision integer's value octets (RFC 4880 §3.2)."""
        bits = self.uint(2)
        return self.take((bits + 7) // 8)

    def mpi_int(self) -> int:
        return int.from_bytes(self.mpi(), "big")

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out
