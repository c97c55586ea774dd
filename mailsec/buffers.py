"""Large messages decrypted where they lie: one rule for running a cipher over a buffer in place.

A 10 MB message decrypted the usual way exists twice at once, as ciphertext and as plaintext.
When the ciphertext sits in a buffer of our own (decoded from Base64 or ASCII armor into a
``bytearray``), the plaintext can take its place instead, a block at a time. OpenPGP's CFB and
S/MIME's GCM and CBC all turn every block of ciphertext into a block of plaintext of the same
size, which is what makes this possible. Nothing decrypted so is released before the caller's
integrity check (the MDC, the GCM tag); when that fails, :func:`wipe` clears the buffer.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["BLOCK", "crypt_in_place", "wipe"]

#: Octets put through the cipher at a time: big enough that the loop costs nothing, small
#: enough that the block in flight adds little to the buffer itself.
BLOCK = 1 << 18

_ZEROS = bytes(BLOCK)


class _Context(Protocol):
    def update(self, data: bytes | memoryview) -> bytes: ...


def crypt_in_place(context: _Context, buffer: memoryview) -> None:
    """Put ``buffer`` through ``context`` (a cryptography encryptor or decryptor of a mode that
    gives one octet out for one octet in, for whole blocks) and write the result back over it.

    Raises :class:`ValueError` if the mode held octets back, which would shift the output.
    """
    for start in range(0, len(buffer), BLOCK):
        block = buffer[start : start + BLOCK]
        out = context.update(block)
        if len(out) != len(block):
            raise ValueError("the cipher mode does not give one octet out for one octet in")
        block[:] = out


def wipe(buffer: memoryview) -> None:
    """Overwrite ``buffer`` with zeros (a refused decryption leaves no plaintext behind)."""
    for start in range(0, len(buffer), BLOCK):
        block = buffer[start : start + BLOCK]
        block[:] = _ZEROS[: len(block)]
