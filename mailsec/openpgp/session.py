"""Session keys: the one-time key of a message, and the PKESK packet that carries it (RFC 4880 §5.1).

Each recipient's PKESK packet (version 3) holds the recipient's key ID, the public-key algorithm
and, encrypted to that recipient's key::

    cipher (1 octet) | session key | checksum (2 octets: the sum of the key's octets mod 65536)

The same two-octet checksum protects unencrypted secret keys (RFC 4880 §5.5.3). This module is
the one place that packs and unpacks that payload and writes and reads the PKESK packet around
it; encryption, decryption and the packet lister all use it, so they accept exactly the same
packets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from mailsec.errors import DecryptionError
from mailsec.openpgp.constants import PacketTag, SymmetricAlgorithm
from mailsec.openpgp.packets import encode_packet

if TYPE_CHECKING:  # keys.py uses this module's checksum, so the import goes one way only
    from mailsec.openpgp.keys import KeyMaterial

__all__ = [
    "READABLE_CIPHERS",
    "WILDCARD_KEY_ID",
    "Pkesk",
    "checksum",
    "make_pkesk",
    "open_pkesk",
    "pack",
    "parse_pkesk",
    "unpack",
]

#: The session-key ciphers mailsec reads: AES-128, AES-192 and AES-256 (RFC 4880 §9.2).
READABLE_CIPHERS = frozenset({7, 8, 9})
#: The key ID of an anonymous recipient: every secret key may try it (RFC 4880 §5.1).
WILDCARD_KEY_ID = "0" * 16


def checksum(data: bytes) -> bytes:
    """The two-octet checksum: the sum of all octets modulo 65536, big-endian (RFC 4880 §5.1)."""
    return (sum(data) & 0xFFFF).to_bytes(2, "big")


def pack(cipher: int, session_key: bytes) -> bytes:
    """The PKESK payload for ``session_key`` of ``cipher`` (before public-key encryption)."""
    return bytes([cipher]) + session_key + checksum(session_key)


def unpack(payload: bytes) -> tuple[int, bytes] | None:
    """The cipher and session key of a decrypted PKESK payload, or None if it is not one.

    RSA decryption answers a damaged ciphertext with random octets of any length ("implicit
    rejection"), so everything is checked before the key is used: a cipher mailsec reads, a key
    of exactly that cipher's length, and the checksum.
    """
    if len(payload) < 3:
        return None
    cipher, session_key, check = payload[0], payload[1:-2], payload[-2:]
    if cipher not in READABLE_CIPHERS:
        return None
    if len(session_key) != SymmetricAlgorithm(cipher).key_size or checksum(session_key) != check:
        return None
    return cipher, session_key


# -- the PKESK packet ---------------------------------------------------------------------------


class Pkesk(NamedTuple):
    """The fields of a version 3 PKESK packet (RFC 4880 §5.1)."""

    key_id: str
    """The recipient's key ID, 16 hex digits (:data:`WILDCARD_KEY_ID` for an anonymous one)."""
    algorithm: int
    """The recipient key's public-key algorithm (RFC 4880 §9.1)."""
    encrypted: bytes
    """The encrypted payload, in the algorithm's own fields (MPIs, or an ECDH point and key)."""


def make_pkesk(key: KeyMaterial, cipher: int, session_key: bytes) -> bytes:
    """A PKESK v3 packet carrying ``session_key`` of ``cipher``, encrypted to ``key``."""
    encrypted = key.encrypt_session_key(pack(cipher, session_key))
    body = b"\x03" + key.fingerprint_bytes[-8:] + bytes([key.algorithm]) + encrypted
    return encode_packet(PacketTag.PKESK, body)


def parse_pkesk(body: bytes) -> Pkesk | None:
    """The fields of a PKESK body, or None when it is not version 3 (or too short to be one):
    mailsec reads version 3, and skips other versions as meant for another reader."""
    if len(body) < 10 or body[0] != 3:
        return None
    return Pkesk(body[1:9].hex().upper(), body[9], body[10:])


def open_pkesk(
    pkesk: Pkesk, keys: Iterable[KeyMaterial]
) -> Iterator[tuple[KeyMaterial, int, bytes]]:
    """Each (key, cipher, session key) that one of ``keys`` gets out of ``pkesk``: keys of the
    named key ID (or any key, for the wildcard) and algorithm, whose decrypted payload unpacks.

    More than one can come out of a damaged packet (see :func:`unpack`), so the caller tries the
    session key on the encrypted data before it trusts it.
    """
    for material in keys:
        if pkesk.key_id not in (material.key_id, WILDCARD_KEY_ID):
            continue
        if material.algorithm != pkesk.algorithm:
            continue
        try:
            payload = material.decrypt_session_key(pkesk.encrypted)
        except DecryptionError:
            continue
        unpacked = unpack(payload)
        if unpacked is not None:
            yield material, *unpacked
