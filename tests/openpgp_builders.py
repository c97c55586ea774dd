"""Shared by the OpenPGP message tests (``tests/test_openpgp_messages_*.py``): the fixed times they
sign and encrypt at, and packets built by hand the way other tools write them (a literal data
packet; an SEIPD v1 body, or with ``mdc=False`` the bare SED encryption, for a known session key),
so the reader is checked against the RFC's structures and not only against mailsec's own writer.
The keys (``alice``, ``bob``, ``carol``) are fixtures in ``tests/conftest.py``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from mailsec.openpgp.packets import encode_packet

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(hours=1)

SESSION = bytes(range(32))


def literal(data: bytes, fmt: bytes = b"b") -> bytes:
    return encode_packet(11, fmt + b"\x04name" + (0).to_bytes(4, "big") + data)


def seal(inner: bytes, session_key: bytes, *, mdc: bool = True, version: int = 1) -> bytes:
    """An SEIPD v1 body (or, with mdc=False, the bare SED encryption) for ``inner``."""
    prefix = bytes(range(16))
    prefix += prefix[-2:]
    plain = prefix + inner
    if mdc:
        plain += b"\xd3\x14"
        plain += hashlib.sha1(plain).digest()
    encryptor = Cipher(algorithms.AES(session_key), CFB(bytes(16))).encryptor()
    return bytes([version]) + encryptor.update(plain) + encryptor.finalize()
