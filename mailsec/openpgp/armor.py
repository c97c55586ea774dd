"""ASCII armor: OpenPGP's binary packets as text that survives mail (RFC 4880 §6).

Armor is Base64 between a ``-----BEGIN PGP ...-----`` and an ``-----END PGP ...-----`` line, with
optional ``Key: value`` headers and a checksum line ``=XXXX``: the CRC-24 of the binary data
(RFC 4880 §6.1). A wrong checksum means the text was damaged, and the data is refused.
"""

from __future__ import annotations

import array
import base64
import binascii
import enum
import functools
import re
import sys

from mailsec.errors import InputError

__all__ = ["ArmorLabel", "armor", "crc24", "dearmor", "dearmor_all", "is_armored"]

CRC24_INIT = 0xB704CE  # RFC 4880 §6.1
CRC24_POLY = 0x1864CFB  # RFC 4880 §6.1
LINE_LENGTH = 64  # RFC 4880 §6.3: lines of at most 76 characters; GnuPG writes 64.


class ArmorLabel(enum.Enum):
    """What an armored block holds (RFC 4880 §6.2)."""

    MESSAGE = "PGP MESSAGE"
    PUBLIC_KEY = "PGP PUBLIC KEY BLOCK"
    PRIVATE_KEY = "PGP PRIVATE KEY BLOCK"
    SIGNATURE = "PGP SIGNATURE"


def _crc24_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24_POLY
        table.append(crc & 0xFFFFFF)
    return tuple(table)


_TABLE = _crc24_table()


def crc24_bytewise(data: bytes) -> int:
    """CRC-24 a byte at a time, exactly as RFC 4880 §6.1 writes it (the reference for crc24)."""
    crc = CRC24_INIT
    table = _TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFF) ^ table[(crc >> 16) ^ byte]
    return crc


def _three_zero_bytes(state: int) -> int:
    for _ in range(3):
        state = ((state << 8) & 0xFFFFFF) ^ _TABLE[state >> 16]
    return state


# The register is 24 bits wide, so feeding three bytes w into state c is the same as feeding three
# zero bytes into c ^ w; that map is linear, so two tables of 4096 entries (high and low 12 bits)
# do three bytes per step.
@functools.cache
def _step_tables() -> tuple[tuple[int, ...], tuple[int, ...]]:
    high = tuple(_three_zero_bytes(v << 12) for v in range(4096))
    low = tuple(_three_zero_bytes(v) for v in range(4096))
    return high, low


def crc24(data: bytes) -> int:
    """The CRC-24 checksum of ``data`` (RFC 4880 §6.1), three bytes per step."""
    data = bytes(data)
    whole = len(data) - len(data) % 3
    if whole < 3000:
        return crc24_bytewise(data)
    # Spread each 3-byte group into a big-endian 32-bit word (top byte zero), then read the words.
    spread = bytearray(whole // 3 * 4)
    spread[1::4] = data[0:whole:3]
    spread[2::4] = data[1:whole:3]
    spread[3::4] = data[2:whole:3]
    words = array.array("I")
    if words.itemsize != 4:  # pragma: no cover - CPython's "I" is 4 bytes on every platform
        return crc24_bytewise(data)
    words.frombytes(spread)
    if sys.byteorder == "little":
        words.byteswap()
    crc = CRC24_INIT
    high, low = _step_tables()
    for word in words:
        x = crc ^ word
        crc = high[x >> 12] ^ low[x & 0xFFF]
    for byte in data[whole:]:
        crc = ((crc << 8) & 0xFFFFFF) ^ _TABLE[(crc >> 16) ^ byte]
    return crc


def armor(data: bytes, label: ArmorLabel, *, headers: dict[str, str] | None = None) -> bytes:
    """Wrap binary OpenPGP data in ASCII armor with its CRC-24 checksum."""
    encoded = base64.b64encode(data).decode("ascii")
    lines = [f"-----BEGIN {label.value}-----"]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    lines.append("")
    lines += [encoded[i : i + LINE_LENGTH] for i in range(0, len(encoded), LINE_LENGTH)]
    checksum = base64.b64encode(crc24(data).to_bytes(3, "big")).decode("ascii")
    lines.append(f"={checksum}")
    lines.append(f"-----END {label.value}-----")
    return ("\n".join(lines) + "\n").encode("ascii")


def is_armored(data: bytes) -> bool:
    """Whether ``data`` looks like ASCII armor (it starts, after blank space, with ``-----BEGIN``)."""
    return data.lstrip()[:15] == b"-----BEGIN PGP "


_BEGIN = re.compile(r"^-----BEGIN PGP ([A-Z ,/0-9]+)-----\s*$")
_END = re.compile(r"^-----END PGP ([A-Z ,/0-9]+)-----\s*$")
_HEADER = re.compile(r"^[\x21-\x39\x3b-\x7e]+: ?.*$")


def dearmor(data: bytes) -> tuple[ArmorLabel | None, bytes]:
    """Remove the armor: returns the label and the binary data, after checking the CRC-24.

    Raises :class:`~mailsec.errors.InputError` when the armor is malformed or the checksum does not
    match. A label other than the four mailsec writes is returned as ``None``.
    """
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise InputError(
            "The armored data contains bytes that are not ASCII; paste the text between "
            "'-----BEGIN PGP ...-----' and '-----END PGP ...-----' unchanged."
        ) from None
    lines = [line.rstrip("\r\n \t") for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if _BEGIN.match(line)), None)
    if start is None:
        raise InputError(
            "No '-----BEGIN PGP ...-----' line was found; this is not ASCII-armored OpenPGP data."
        )
    begin_name = _BEGIN.match(lines[start]).group(1)  # type: ignore[union-attr]
    if begin_name == "SIGNED MESSAGE":
        raise InputError(
            "This is a cleartext-signed message ('-----BEGIN PGP SIGNED MESSAGE-----'), not "
            "armored binary data; check it with inline_verify() (sop inline-verify)."
        )
    end = next((i for i in range(start + 1, len(lines)) if _END.match(lines[i])), None)
    if end is None:
        raise InputError(
            f"The armor starts with '-----BEGIN PGP {begin_name}-----' but has no matching "
            "'-----END PGP ...-----' line; the text may have been cut off."
        )
    end_name = _END.match(lines[end]).group(1)  # type: ignore[union-attr]
    if end_name != begin_name:
        raise InputError(
            f"The armor starts with 'BEGIN PGP {begin_name}' but ends with 'END PGP {end_name}'; "
            "the two lines must name the same kind of block."
        )
    body = lines[start + 1 : end]
    # Headers run up to the first blank line (RFC 4880 §6.2). Some tools omit the blank line when
    # there are no headers, so a body that starts with Base64 is accepted as well.
    if "" in body:
        blank = body.index("")
        if all(_HEADER.match(line) for line in body[:blank]):
            body = body[blank + 1 :]
    checksum: str | None = None
    if body and body[-1].startswith("="):
        checksum = body[-1][1:]
        body = body[:-1]
    elif len(body) >= 1 and len(body[-1]) > 4 and body[-1][-5] == "=" and body[-1][-4] != "=":
        # A checksum glued to the last data line, as a few tools write it.
        checksum = body[-1][-4:]
        body[-1] = body[-1][:-5]
    joined = "".join(line.strip() for line in body)
    try:
        binary = base64.b64decode(joined, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(
            "The armored data is not valid Base64 (a character was changed, or lines are missing); "
            "copy the whole block again."
        ) from None
    if checksum is not None:
        try:
            expected = int.from_bytes(base64.b64decode(checksum, validate=True), "big")
        except (binascii.Error, ValueError):
            raise InputError(
                f"The armor checksum line '={checksum}' is not valid Base64; copy the whole block again."
            ) from None
        actual = crc24(binary)
        if expected != actual:
            raise InputError(
                f"The armor checksum does not match (the block says {expected:06X}, the data gives "
                f"{actual:06X}): the text was changed or damaged on the way. Copy it again."
            )
    if not binary:
        raise InputError("The armored block is empty: there is no data between the armor lines.")
    label = next((item for item in ArmorLabel if item.value == f"PGP {begin_name}"), None)
    return label, binary


def dearmor_all(data: bytes) -> list[tuple[ArmorLabel | None, bytes]]:
    """Every armored block in ``data``, in order (keyrings are often several blocks pasted together)."""
    starts = [m.start() for m in re.finditer(rb"^-----BEGIN PGP ", data, re.M)]
    if not starts:
        return [dearmor(data)]  # raises the plain error
    bounds = [*starts[1:], len(data)]
    return [dearmor(data[a:b]) for a, b in zip(starts, bounds, strict=True)]
