"""Session keys: the one-time key of a message, as a PKESK packet carries it (RFC 4880 §5.1).

Each recipient's PKESK packet holds, encrypted to that recipient's key::

    cipher (1 octet) | session key | checksum (2 octets: the sum of the key's octets mod 65536)

The same two-octet checksum protects unencrypted secret keys (RFC 4880 §5.5.3). This module is
the one place that packs and unpacks that payload; decryption and the packet lister both use it,
so they accept exactly the same payloads.
"""

from __future__ import annotations

from mailsec.openpgp.constants import SymmetricAlgorithm

__all__ = ["READABLE_CIPHERS", "checksum", "pack", "unpack"]

#: The session-key ciphers mailsec reads: AES-128, AES-192 and AES-256 (RFC 4880 §9.2).
READABLE_CIPHERS = frozenset({7, 8, 9})


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
