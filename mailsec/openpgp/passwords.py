"""Encrypting to a password: the String-to-Key function and the SKESK packet (RFC 4880 §3.7, §5.3).

A password is not a key. OpenPGP turns it into one with a *String-to-Key* (S2K) function: hash a
random *salt* and the password, over and over, until a set number of octets has been hashed (the
"iterated and salted" S2K, §3.7.1.3), so that every guess costs an attacker the same work. The
*Symmetric-Key Encrypted Session Key* packet (SKESK, version 4) carries the S2K parameters and, here,
the message's session key encrypted with the derived key, so one message can be opened both by
recipients' keys (PKESK) and by a password.

Version 4 SKESK packets are what GnuPG 2.2 (``gpg -c``) and sqop 0.27 write and read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from mailsec.errors import InputError
from mailsec.i18n import gettext
from mailsec.openpgp.constants import HashAlgorithm, PacketTag, SymmetricAlgorithm
from mailsec.openpgp.keys import UnsupportedAlgorithmError, hashlib_hash
from mailsec.openpgp.packets import Reader, encode_packet

__all__ = ["S2K", "decode_count", "make_skesk", "open_skesk", "parse_s2k", "parse_skesk"]

#: The coded count mailsec writes: 0xE0 = 16 MiB of hashing per password guess (§3.7.1.3).
DEFAULT_COUNT = 0xE0
_CHUNK = 1 << 20


def decode_count(coded: int) -> int:
    """How many octets an iterated S2K hashes: (16 + (c & 15)) << ((c >> 4) + 6) (§3.7.1.3)."""
    return (16 + (coded & 15)) << ((coded >> 4) + 6)


@dataclass(frozen=True)
class S2K:
    """A String-to-Key specifier (RFC 4880 §3.7.1)."""

    type: int
    """0 simple, 1 salted, 3 iterated and salted."""
    hash_algorithm: int
    salt: bytes = b""
    coded_count: int = 0

    def encode(self) -> bytes:
        out = bytes([self.type, self.hash_algorithm]) + self.salt
        return out + (bytes([self.coded_count]) if self.type == 3 else b"")

    def derive(self, password: bytes, size: int) -> bytes:
        """The key of ``size`` octets for ``password`` (RFC 4880 §3.7.1.1-3)."""
        data = self.salt + password
        total = max(decode_count(self.coded_count), len(data)) if self.type == 3 else len(data)
        out = b""
        context = 0
        while len(out) < size:
            # Each further hash context is preloaded with one more zero octet (§3.7.1.1).
            hasher = hashlib_hash(self.hash_algorithm)
            hasher.update(b"\x00" * context)
            if data:
                chunk = data * max(1, _CHUNK // len(data))
                left = total
                while left >= len(chunk):
                    hasher.update(chunk)
                    left -= len(chunk)
                hasher.update(chunk[:left])
            out += hasher.digest()
            context += 1
        return out[:size]


def parse_s2k(reader: Reader) -> S2K:
    """Read a String-to-Key specifier (RFC 4880 §3.7.1)."""
    kind = reader.byte()
    hash_algorithm = reader.byte()
    if kind == 0:
        return S2K(0, hash_algorithm)
    if kind == 1:
        return S2K(1, hash_algorithm, reader.take(8))
    if kind == 3:
        salt = reader.take(8)
        return S2K(3, hash_algorithm, salt, reader.byte())
    raise UnsupportedAlgorithmError(
        gettext(
            "The password-encrypted session key uses S2K type {kind}, which mailsec does not "
            "know; it reads the simple, salted and iterated S2K of RFC 4880 §3.7.1."
        ).format(kind=kind)
    )


@dataclass(frozen=True)
class SKESK:
    """A parsed version 4 SKESK packet."""

    cipher: int
    s2k: S2K
    encrypted_key: bytes
    """The session key encrypted with the derived key, or empty: then the derived key is it."""


def parse_skesk(body: bytes) -> SKESK:
    """Read a Symmetric-Key Encrypted Session Key packet (RFC 4880 §5.3); version 4 only."""
    reader = Reader(body, "Symmetric-Key Encrypted Session Key Packet")
    version = reader.byte()
    if version != 4:
        raise InputError(
            gettext(
                "This password-encrypted session key is version {version}; mailsec reads version "
                "4 (RFC 4880 §5.3), which GnuPG 2.2 and sqop write."
            ).format(version=version)
        )
    cipher = reader.byte()
    s2k = parse_s2k(reader)
    return SKESK(cipher, s2k, reader.rest())


def make_skesk(
    password: bytes,
    cipher: int,
    session_key: bytes,
    *,
    random: Callable[[int], bytes],
    coded_count: int = DEFAULT_COUNT,
) -> bytes:
    """An SKESK v4 packet that opens ``session_key`` with ``password``: iterated and salted S2K
    with SHA-256, and the session key encrypted with AES-256 CFB (RFC 4880 §5.3)."""
    s2k = S2K(3, HashAlgorithm.SHA256, random(8), coded_count)
    kek_cipher = SymmetricAlgorithm.AES256
    kek = s2k.derive(password, kek_cipher.key_size)
    encryptor = Cipher(algorithms.AES(kek), CFB(bytes(16))).encryptor()
    encrypted = encryptor.update(bytes([cipher]) + session_key) + encryptor.finalize()
    body = bytes([4, kek_cipher]) + s2k.encode() + encrypted
    return encode_packet(PacketTag.SKESK, body)


def open_skesk(skesk: SKESK, password: bytes) -> tuple[int, bytes] | None:
    """The (cipher, session key) the password gives, or None when it cannot be right. A wrong
    password is only found out when the data does not decrypt (the MDC does not match)."""
    if skesk.cipher not in (7, 8, 9):
        return None
    kek = skesk.s2k.derive(password, SymmetricAlgorithm(skesk.cipher).key_size)
    if not skesk.encrypted_key:
        return skesk.cipher, kek
    decryptor = Cipher(algorithms.AES(kek), CFB(bytes(16))).decryptor()
    plain = decryptor.update(skesk.encrypted_key) + decryptor.finalize()
    cipher, key = plain[0], plain[1:]
    if cipher not in (7, 8, 9) or len(key) != SymmetricAlgorithm(cipher).key_size:
        return None
    return cipher, key
