"""Where a changed ciphertext byte lands in the decrypted message, under AES-CBC.

AES-CBC decrypts block ``i`` as ``P[i] = AES-decrypt(C[i]) XOR C[i-1]`` (NIST SP 800-38A §6.2).
Change one bit of ciphertext block ``k`` and, with nothing to check the result:

- plaintext block ``k`` (16 bytes) decrypts to garbage, and
- one bit of plaintext block ``k + 1`` flips: exactly the bit that was changed.

What Bob's program then says depends on *what* those bytes were. In a signed message
(multipart/signed, RFC 1847 §2.1) they can be the header fields that say it is signed, the
preamble nobody reads, a boundary line, the signed text, the signature, or the padding at the end;
:func:`entity_regions` maps a MIME entity into those regions and :func:`cbc_damage` says which of
them a change at a ciphertext offset hits. Pure: bytes and numbers in, data out.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from mailsec.i18n import texts
from mailsec.smime.mime import CRLF

__all__ = ["CbcDamage", "Region", "cbc_damage", "entity_regions"]

BLOCK = 16
"""The AES block size in bytes."""

TEXT = texts(
    {
        "regions": {
            "HEADER": "the MIME header fields that say how the message is built (signed or not, "
            "the boundary)",
            "PREAMBLE": "the preamble: a note mail programs hide and the signature does not cover",
            "BOUNDARY": "a boundary line that separates the parts",
            "SIGNED_HEADER": "the header fields of the signed part (covered by the signature)",
            "SIGNED_TEXT": "the signed text",
            "SIGNATURE_HEADER": "the header fields of the signature part",
            "SIGNATURE": "the signature itself (smime.p7s)",
            "EPILOGUE": "the text after the last boundary, which no program reads",
            "TEXT": "the text of the message",
            "PADDING": "the padding at the end of the last block (RFC 5652 §6.3)",
        },
        "and": "{first} and {second}",
        "garbage": "With AES-CBC, the change turns bytes {first}–{last} of the decrypted message "
        "into garbage. Those bytes are {where}.",
        "garbage_flipped": "With AES-CBC, the change turns bytes {first}–{last} of the decrypted "
        "message into garbage, and one bit of byte {flipped} flips. Those bytes are {where}.",
    }
)
"""What a change does, in words (see :mod:`mailsec.i18n`)."""


class Region(enum.Enum):
    """A part of a decrypted MIME entity, described as a learner reads it."""

    HEADER = (
        "the MIME header fields that say how the message is built (signed or not, the boundary)"
    )
    PREAMBLE = "the preamble: a note mail programs hide and the signature does not cover"
    BOUNDARY = "a boundary line that separates the parts"
    SIGNED_HEADER = "the header fields of the signed part (covered by the signature)"
    SIGNED_TEXT = "the signed text"
    SIGNATURE_HEADER = "the header fields of the signature part"
    SIGNATURE = "the signature itself (smime.p7s)"
    EPILOGUE = "the text after the last boundary, which no program reads"
    TEXT = "the text of the message"
    PADDING = "the padding at the end of the last block (RFC 5652 §6.3)"

    @property
    def description(self) -> str:
        """The region as a learner reads it, in the current language."""
        return str(TEXT["regions"][self.name])


#: Regions whose change breaks the structure that tells a program where the signature is.
STRUCTURE = frozenset({Region.HEADER, Region.BOUNDARY})
#: Regions the signature covers (RFC 8551 §3.5.3: the whole first part, header fields included).
SIGNED = frozenset({Region.SIGNED_HEADER, Region.SIGNED_TEXT})
#: Regions that hold the signature.
SIGNATURE = frozenset({Region.SIGNATURE_HEADER, Region.SIGNATURE})
#: Regions no program shows and no signature covers.
UNREAD = frozenset({Region.PREAMBLE, Region.EPILOGUE})

_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,70})"|([^\s;"]{1,70}))', re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """Bytes ``start`` to ``end - 1`` of an entity belong to ``region``."""

    start: int
    end: int
    region: Region


@dataclass(frozen=True)
class CbcDamage:
    """What a one-bit change of ciphertext byte ``offset`` does to the decrypted entity."""

    offset: int
    garbled: tuple[int, int]
    """The first and last byte (inclusive) of the plaintext block that turns to garbage."""
    flipped: int | None
    """The plaintext byte with one flipped bit (None when the change is in the last block)."""
    regions: tuple[Region, ...]
    """Every region those bytes belong to, in the order they appear."""

    @property
    def touches(self) -> frozenset[Region]:
        return frozenset(self.regions)

    def describe(self) -> str:
        """One sentence on what the change did to the decrypted message."""
        first, last = self.garbled
        descriptions = [r.description for r in self.regions]
        where = descriptions[0] if descriptions else ""
        for more in descriptions[1:]:
            where = TEXT["and"].format(first=where, second=more)
        if self.flipped is None:
            return TEXT["garbage"].format(first=f"{first:,}", last=f"{last:,}", where=where)
        return TEXT["garbage_flipped"].format(
            first=f"{first:,}", last=f"{last:,}", flipped=f"{self.flipped:,}", where=where
        )


def entity_regions(entity: bytes) -> tuple[Span, ...]:
    """The regions of a MIME entity: header and text, or the parts of a multipart/signed one."""
    head_end = entity.find(CRLF + CRLF)
    if head_end < 0:
        return (Span(0, len(entity), Region.TEXT),)
    body_start = head_end + 4
    header = Span(0, body_start, Region.HEADER)
    head = entity[:head_end]
    match = _BOUNDARY.search(head)
    if b"multipart/signed" not in head.lower() or match is None:
        return (header, Span(body_start, len(entity), Region.TEXT))
    boundary = match.group(1) or match.group(2)
    lines = list(
        re.finditer(
            rb"(?:(?<=\r\n\r\n)|\r\n)--" + re.escape(boundary) + rb"(--)?[ \t]*\r\n", entity
        )
    )
    if len(lines) < 3:
        return (header, Span(body_start, len(entity), Region.TEXT))
    spans = [header, Span(body_start, lines[0].start(), Region.PREAMBLE)]
    parts = (
        (Region.SIGNED_HEADER, Region.SIGNED_TEXT),
        (Region.SIGNATURE_HEADER, Region.SIGNATURE),
    )
    for line, following, (head_region, body_region) in zip(
        lines[:2], lines[1:3], parts, strict=True
    ):
        spans.append(Span(line.start(), line.end(), Region.BOUNDARY))
        part_head_end = entity.find(CRLF + CRLF, line.end(), following.start())
        split = following.start() if part_head_end < 0 else part_head_end + 4
        spans.append(Span(line.end(), split, head_region))
        spans.append(Span(split, following.start(), body_region))
    closing = lines[2]
    spans.append(Span(closing.start(), closing.end(), Region.BOUNDARY))
    spans.append(Span(closing.end(), len(entity), Region.EPILOGUE))
    return tuple(s for s in spans if s.end > s.start)


def cbc_damage(entity: bytes, offset: int) -> CbcDamage:
    """What flipping one bit of ciphertext byte ``offset`` does to ``entity`` under AES-CBC."""
    padded = (len(entity) // BLOCK + 1) * BLOCK  # PKCS #7 padding always adds 1 to 16 bytes
    if not 0 <= offset < padded:
        raise ValueError(f"offset {offset} is outside the {padded}-byte ciphertext")
    first = offset - offset % BLOCK
    garbled = (first, first + BLOCK - 1)
    flipped = offset + BLOCK if offset + BLOCK < padded else None
    spans = entity_regions(entity)
    hit: list[Region] = []

    def mark(start: int, end: int) -> None:
        for span in spans:
            if span.start < end and start < span.end and span.region not in hit:
                hit.append(span.region)
        if end > len(entity) and Region.PADDING not in hit:
            hit.append(Region.PADDING)

    mark(first, first + BLOCK)
    if flipped is not None:
        mark(flipped, flipped + 1)
    return CbcDamage(offset, garbled, flipped, tuple(hit))
