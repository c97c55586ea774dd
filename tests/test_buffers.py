"""mailsec.buffers: a cipher run over a buffer where it lies, and a refused plaintext wiped."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mailsec.buffers import BLOCK, crypt_in_place, wipe


@pytest.mark.parametrize("size", [0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 17])
def test_in_place_equals_the_cipher_over_a_copy(size):
    key, nonce = os.urandom(32), os.urandom(16)
    data = os.urandom(size)
    expected = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor().update(data)
    buffer = bytearray(data)
    crypt_in_place(Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor(), memoryview(buffer))
    assert buffer == expected


def test_a_mode_that_holds_octets_back_is_refused():
    """CBC with a length that is not whole blocks would shift the output: refused, not garbled."""
    buffer = memoryview(bytearray(20))
    encryptor = Cipher(algorithms.AES(bytes(16)), modes.CBC(bytes(16))).encryptor()
    with pytest.raises(ValueError, match="one octet out"):
        crypt_in_place(encryptor, buffer)


def test_wipe_leaves_only_zeros():
    buffer = bytearray(os.urandom(BLOCK + 3))
    wipe(memoryview(buffer)[1:])
    assert buffer[1:] == bytes(BLOCK + 2) and len(buffer) == BLOCK + 3
