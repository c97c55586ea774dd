"""Why hybrid? Measure public-key-only encryption against hybrid encryption (learning layer).

Public-key-only means what the course's misconception imagines: the whole message encrypted with
the recipient's RSA key. RSA-OAEP can take at most ``k - 2*hLen - 2`` bytes per operation (RFC 8017
§7.1.1: 190 bytes for RSA-2048 with SHA-256), so the message is cut into chunks and every chunk
costs one RSA operation; each chunk's ciphertext is as long as the modulus (256 bytes). Hybrid
encryption does one RSA operation per recipient, whatever the message size, and AES-GCM does the
bulk work at memory speed, adding only a nonce and a tag.

:func:`measure` runs both on this machine with the clock passed in (real default
:func:`time.perf_counter`), checks that each decryption gives the message back, and returns frozen
data for the plot in :mod:`mailsec.render.hybrid`. Sizes are exact; times depend on the machine and
its load, so every :class:`Measurement` says where its numbers came from.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa

from mailsec.errors import InputError
from mailsec.hybrid.envelope import (
    KEY_ID_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    RandomSource,
    decrypt,
    encrypt,
    oaep_padding,
)
from mailsec.hybrid.keys import KeyKind, KeyPair
from mailsec.i18n import texts
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "FULL_SIZES",
    "QUICK_SIZES",
    "Clock",
    "Cost",
    "Measurement",
    "SizePoint",
    "hybrid_size",
    "measure",
    "oaep_chunk_size",
    "public_key_only_size",
]

TEXT = texts(
    {
        "short_random": "The random source gave {got} bytes, not {size}.",
        "this_machine": "measured on this machine just now",
        "needs_rsa": "The comparison needs an RSA key pair; {owner}'s key is {kind}.",
        "bad_sizes": "Message sizes must be whole numbers of bytes above 0, not {sizes}.",
        "bad_repeats": "Repeats must be between 1 and 100, not {repeats}.",
        "chunks": "RSA-{bits} with OAEP (SHA-256) takes at most {chunk} bytes per operation, so "
        "public-key-only encryption cut the {size}-byte message into {chunks} chunks, one RSA "
        "operation each.",
        "hybrid_once": "Hybrid encryption did one RSA operation (the wrapped key) and encrypted "
        "the whole message with AES-256-GCM.",
        "ratio": "At {size} bytes, public-key-only decryption took {ratio} times as long as hybrid, "
        "and its ciphertext was {pk_growth} times the message size (hybrid: {hy_growth}).",
        "source": "Where the times come from: {source}; best of {repeats} run(s) per point.",
    }
)
"""The measurement's words (see :mod:`mailsec.i18n`)."""

T = TypeVar("T")

Clock = Callable[[], float]
"""Returns seconds from some fixed point; :func:`time.perf_counter` is the real one."""

KB = 1024
MB = 1024 * KB
#: The sizes of the full run: 1 KB to 10 MB.
FULL_SIZES: tuple[int, ...] = (KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, MB, 4 * MB, 10 * MB)
#: The notebook's quick run: small enough to finish in a few seconds on a slow machine.
QUICK_SIZES: tuple[int, ...] = (KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB)
SHA256_BYTES = 32


def oaep_chunk_size(rsa_bits: int) -> int:
    """The most bytes one RSA-OAEP (SHA-256) operation can encrypt: k - 2*hLen - 2 (RFC 8017 §7.1.1)."""
    return rsa_bits // 8 - 2 * SHA256_BYTES - 2


def public_key_only_size(size: int, *, rsa_bits: int, recipients: int = 1) -> int:
    """Bytes of an RSA-OAEP-only message: one modulus-sized block per chunk, for every recipient."""
    chunks = max(1, math.ceil(size / oaep_chunk_size(rsa_bits)))
    return chunks * (rsa_bits // 8) * recipients


def hybrid_size(size: int, *, rsa_bits: int, recipients: int = 1) -> int:
    """Bytes of a hybrid message for RSA recipients: one sealed body and one small entry each."""
    return NONCE_BYTES + size + TAG_BYTES + recipients * (rsa_bits // 8 + KEY_ID_BYTES)


@dataclass(frozen=True)
class Cost:
    """What one way of encrypting cost for one message size (best of the repeats)."""

    encrypt_seconds: float
    decrypt_seconds: float
    ciphertext_bytes: int
    rsa_operations: int
    """RSA operations per recipient: one per chunk, or one for the wrapped key."""


@dataclass(frozen=True)
class SizePoint:
    """Both ways, for one message size."""

    size: int
    public_key_only: Cost
    hybrid: Cost

    @property
    def decrypt_ratio(self) -> float:
        """How many times longer public-key-only decryption took than hybrid."""
        return self.public_key_only.decrypt_seconds / max(self.hybrid.decrypt_seconds, 1e-9)


@dataclass(frozen=True)
class Measurement:
    """A run of :func:`measure`: the points and where the numbers came from."""

    points: tuple[SizePoint, ...]
    rsa_bits: int
    repeats: int
    source: str
    """Where and how the numbers were measured, shown beside every plot of them."""
    steps: Trace = ()


def _timed(clock: Clock, repeats: int, fn: Callable[[], T]) -> tuple[float, T]:
    best = math.inf
    for _ in range(repeats):
        start = clock()
        result = fn()
        best = min(best, clock() - start)
    return best, result


def _measure_size(
    size: int, keypair: KeyPair, clock: Clock, random: RandomSource, repeats: int
) -> SizePoint:
    """Both ways for one random message of ``size`` bytes, each checked against the message."""
    private_key = keypair.private_key
    assert isinstance(private_key, rsa.RSAPrivateKey)
    public_key = private_key.public_key()
    chunk, pad = oaep_chunk_size(private_key.key_size), oaep_padding()
    message = random(size)
    if len(message) != size:
        raise InputError(TEXT["short_random"].format(got=len(message), size=size))
    pieces = [message[i : i + chunk] for i in range(0, size, chunk)]
    pk_encrypt, blocks = _timed(
        clock, repeats, lambda: [public_key.encrypt(p, pad) for p in pieces]
    )
    pk_decrypt, opened = _timed(
        clock, repeats, lambda: b"".join(private_key.decrypt(b, pad) for b in blocks)
    )
    hy_encrypt, encryption = _timed(
        clock, repeats, lambda: encrypt(message, [keypair.public], random=random)
    )
    hy_decrypt, decryption = _timed(clock, repeats, lambda: decrypt(encryption.message, keypair))
    if opened != message or decryption.plaintext != message:
        raise AssertionError("a decryption did not give the message back")  # never expected
    return SizePoint(
        size,
        Cost(pk_encrypt, pk_decrypt, sum(len(b) for b in blocks), len(blocks)),
        Cost(hy_encrypt, hy_decrypt, encryption.message.size, 1),
    )


def measure(
    sizes: Sequence[int] = QUICK_SIZES,
    *,
    keypair: KeyPair,
    clock: Clock = time.perf_counter,
    random: RandomSource = os.urandom,
    repeats: int = 1,
    source: str | None = None,
) -> Measurement:
    """Time RSA-OAEP-only and hybrid encryption and decryption of random messages of ``sizes``.

    Each decryption is checked against the message; the best of ``repeats`` runs is kept.
    ``source`` says where the numbers come from (None: "measured on this machine just now", in
    the current language).
    """
    if source is None:
        source = TEXT["this_machine"]
    if keypair.kind is not KeyKind.RSA or not isinstance(keypair.private_key, rsa.RSAPrivateKey):
        raise InputError(TEXT["needs_rsa"].format(owner=keypair.owner, kind=keypair.kind.value))
    if not sizes or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise InputError(TEXT["bad_sizes"].format(sizes=repr(list(sizes))))
    if not 1 <= repeats <= 100:
        raise InputError(TEXT["bad_repeats"].format(repeats=repr(repeats)))
    bits = keypair.private_key.key_size
    points = [_measure_size(size, keypair, clock, random, repeats) for size in sorted(sizes)]
    largest = points[-1]
    steps = (
        Step(
            TEXT["chunks"].format(
                bits=bits,
                chunk=oaep_chunk_size(bits),
                size=f"{largest.size:,}",
                chunks=f"{largest.public_key_only.rsa_operations:,}",
            ),
            section="RFC 8017 §7.1.1",
        ),
        Step(
            TEXT["hybrid_once"],
            section="RFC 5652 §6",
        ),
        Step(
            TEXT["ratio"].format(
                size=f"{largest.size:,}",
                ratio=f"{largest.decrypt_ratio:,.0f}",
                pk_growth=f"{largest.public_key_only.ciphertext_bytes / largest.size:.2f}",
                hy_growth=f"{largest.hybrid.ciphertext_bytes / largest.size:.2f}",
            ),
            Outcome.OK,
        ),
        Step(TEXT["source"].format(source=source, repeats=repeats)),
    )
    return Measurement(tuple(points), bits, repeats, source, steps)
