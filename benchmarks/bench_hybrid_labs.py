"""Latency of chapter 04's lab callbacks (p50, p95), beside the bare cryptography they wrap.

Run: python benchmarks/bench_hybrid_labs.py [rounds]

Every control of the three labs is changed through all its values, ``rounds`` times; the lab frame
times each callback into ``lab.timings``. The peer is the same cryptographic work done with
cryptography directly (AES-256-GCM, RSA-OAEP and X25519 wraps, one unwrap and tag check, no trace,
no HTML), so the ratio shows what the learning layer and the rendering add. The course's aim is
p95 under 50 ms for every lab interaction.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from mailsec.hybrid import KeyKind, Transit, make_cast, measure
from mailsec.hybrid.envelope import oaep_padding
from mailsec.labs.frame import percentile
from mailsec.labs.hybrid import pipeline_lab, signature_lab, size_speed_lab
from mailsec.render.hybrid import Metric

TEXTS = ("Short.", "Hi Bob and Carol, the meeting moves to 4B. " * 20, "日本語のメール " * 30)


def report(name: str, seconds: list[float], peer: list[float] | None = None) -> float:
    ms = [t * 1000 for t in seconds]
    p95 = percentile(ms, 95)
    line = f"{name}: {len(ms)} callbacks, p50 {percentile(ms, 50):.2f} ms, p95 {p95:.2f} ms (aim < 50 ms)"
    if peer:
        peer_p95 = percentile([t * 1000 for t in peer], 95)
        line += f"; bare cryptography p95 {peer_p95:.2f} ms, ratio {p95 / peer_p95:.1f}x"
    print(line)
    return p95


def bare_pipeline(cast, text: bytes) -> float:
    """The pipeline lab's crypto without mailsec: encrypt for Bob and Carol, Bob decrypts."""
    start = time.perf_counter()
    key, nonce = os.urandom(32), os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, text, None)
    wrapped = cast.bob.public.key.encrypt(key, oaep_padding())
    ephemeral = x25519.X25519PrivateKey.generate()
    shared = ephemeral.exchange(cast.carol.public.key)
    kek = HKDF(hashes.SHA256(), 32, None, b"bench").derive(shared)
    aes_key_wrap(kek, key)
    opened_key = cast.bob.private_key.decrypt(wrapped, oaep_padding())
    AESGCM(opened_key).decrypt(nonce, sealed, None)
    return time.perf_counter() - start


def main(rounds: int = 5) -> int:
    cast = make_cast()
    worst = 0.0

    lab = pipeline_lab(cast)
    lab.timings.clear()
    peer = []
    refused = 0
    for _ in range(rounds):
        for text in TEXTS:
            lab.text.value = text
            peer.append(bare_pipeline(cast, text.encode()))
            for reader in ("Bob", "Carol", "Dave", "Eve"):
                lab.reader.value = reader
            for attack in lab.attack.options:
                lab.attack.value = attack[1]
                refused += lab.error.value != ""  # an entry of someone not ticked: a message
            lab.attack.value = None
            for box in lab.recipient_boxes.values():
                box.value = not box.value
                box.value = not box.value
    worst = max(worst, report("pipeline lab", list(lab.timings), peer))
    print(f"  ({refused} of those callbacks showed an input message instead of a result)")

    lab = signature_lab(cast)
    lab.timings.clear()
    for _ in range(rounds):
        for kind, transit, key in itertools.product(
            (KeyKind.ED25519, KeyKind.RSA), Transit, ("Alice", "Mallory")
        ):
            lab.algorithm.value = kind
            lab.transit.value = transit
            lab.verify_with.value = key
    worst = max(worst, report("signature lab", list(lab.timings)))

    quick = measure((1024, 4096, 16384), keypair=cast.bob)
    lab = size_speed_lab(quick)
    lab.timings.clear()
    for _ in range(rounds):
        for source, metric in itertools.product(("quick", "reference"), Metric):
            lab.source.value = source
            lab.metric.value = metric
            for n in (2, 5, 10, 1):
                lab.recipients.value = n
    worst = max(worst, report("size/speed lab", list(lab.timings)))
    return 0 if worst < 50 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
