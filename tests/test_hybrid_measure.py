"""mailsec.hybrid.measure: public-key-only against hybrid, timed with a clock passed in."""

from __future__ import annotations

import math
from itertools import count

import pytest

from mailsec.errors import InputError
from mailsec.hybrid import KeyKind, generate_keypair, measure
from mailsec.hybrid.measure import (
    FULL_SIZES,
    hybrid_size,
    oaep_chunk_size,
    public_key_only_size,
)
from mailsec.hybrid.reference import REFERENCE


@pytest.fixture(scope="module")
def bob():
    return generate_keypair("Bob", KeyKind.RSA)


def ticking_clock(step: float):
    """A fake clock that moves ``step`` seconds every time it is read."""
    ticks = count()
    return lambda: next(ticks) * step


def test_oaep_chunk_size():
    """RFC 8017 §7.1.1 step 1b: mLen <= k - 2hLen - 2."""
    assert oaep_chunk_size(2048) == 256 - 64 - 2 == 190
    assert oaep_chunk_size(3072) == 384 - 66


def test_sizes_are_exact():
    assert public_key_only_size(1024, rsa_bits=2048) == 6 * 256
    assert public_key_only_size(190, rsa_bits=2048) == 256
    assert public_key_only_size(191, rsa_bits=2048, recipients=3) == 2 * 256 * 3
    assert hybrid_size(1024, rsa_bits=2048) == 12 + 1024 + 16 + 256 + 8
    assert hybrid_size(1024, rsa_bits=2048, recipients=3) == 12 + 1024 + 16 + 3 * 264


def test_measure_with_a_fake_clock(bob):
    result = measure((1000, 400), keypair=bob, clock=ticking_clock(0.25), repeats=2)
    assert [p.size for p in result.points] == [400, 1000]
    for point in result.points:
        chunks = math.ceil(point.size / 190)
        assert point.public_key_only.rsa_operations == chunks
        assert point.public_key_only.ciphertext_bytes == chunks * 256
        assert point.public_key_only.ciphertext_bytes == public_key_only_size(
            point.size, rsa_bits=2048
        )
        assert point.hybrid.ciphertext_bytes == hybrid_size(point.size, rsa_bits=2048)
        assert point.hybrid.rsa_operations == 1
        # Every timed interval spans exactly one tick of the fake clock.
        assert point.public_key_only.encrypt_seconds == 0.25
        assert point.hybrid.decrypt_seconds == 0.25
        assert point.decrypt_ratio == 1.0
    assert result.repeats == 2 and result.rsa_bits == 2048
    assert result.source == "measured on this machine just now"
    assert "cut the 1,000-byte message into 6 chunks" in result.steps[0].text


def test_measure_with_the_real_clock_shows_the_gap(bob):
    """At 64 KB, 345 RSA decryptions cost far more than one RSA decryption plus AES-GCM."""
    result = measure((64 * 1024,), keypair=bob)
    point = result.points[0]
    assert point.public_key_only.rsa_operations == 345
    assert point.public_key_only.decrypt_seconds > 10 * point.hybrid.decrypt_seconds


def test_measure_refuses_bad_input(bob):
    carol = generate_keypair("Carol", KeyKind.X25519)
    with pytest.raises(InputError) as failure:
        measure(keypair=carol)
    assert failure.value.message == "The comparison needs an RSA key pair; Carol's key is X25519."
    with pytest.raises(InputError) as failure:
        measure((0,), keypair=bob)
    assert failure.value.message == "Message sizes must be whole numbers of bytes above 0, not [0]."
    with pytest.raises(InputError):
        measure((10,), keypair=bob, repeats=0)


def test_the_reference_run_is_complete_and_says_where_it_came_from():
    assert [p.size for p in REFERENCE.points] == list(FULL_SIZES)
    assert REFERENCE.source.startswith("a reference run on ")
    assert "bench_hybrid_sizes.py" in REFERENCE.source
    for point in REFERENCE.points:
        assert point.public_key_only.ciphertext_bytes == public_key_only_size(
            point.size, rsa_bits=REFERENCE.rsa_bits
        )
        assert point.hybrid.ciphertext_bytes == hybrid_size(point.size, rsa_bits=REFERENCE.rsa_bits)
        assert point.public_key_only.decrypt_seconds > point.hybrid.decrypt_seconds
