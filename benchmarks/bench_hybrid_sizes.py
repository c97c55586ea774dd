"""Public-key-only (RSA-OAEP in chunks) against hybrid encryption, 1 KB to 10 MB.

Prints, per message size, the encryption and decryption times of both ways and their ratio
(public-key-only / hybrid), plus the ciphertext sizes.

    .venv/bin/python benchmarks/bench_hybrid_sizes.py            # the full run, about a minute
    .venv/bin/python benchmarks/bench_hybrid_sizes.py --quick    # the notebook's sizes
    .venv/bin/python benchmarks/bench_hybrid_sizes.py --write    # full run, saved as the
                                                                 # reference run the notebook shows

``--write`` regenerates ``mailsec/hybrid/reference.py``, which records where it was measured.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
from pathlib import Path

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend

from mailsec.hybrid import KeyKind, generate_keypair, measure
from mailsec.hybrid.measure import FULL_SIZES, QUICK_SIZES, Measurement

REFERENCE = Path(__file__).resolve().parents[1] / "mailsec" / "hybrid" / "reference.py"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> str:
    today = datetime.date.today().isoformat()
    return (
        f"a reference run on {today}: {cpu_name()}, Python {platform.python_version()}, "
        f"cryptography {cryptography.__version__} with {backend.openssl_version_text()}, "
        "made with benchmarks/bench_hybrid_sizes.py --write on a shared machine; "
        "your own machine will give other times"
    )


def report(result: Measurement) -> None:
    print(f"RSA-{result.rsa_bits}, best of {result.repeats}; {result.source}")
    print(
        f"{'size':>10} | {'PK-only enc':>11} {'hybrid enc':>10} {'ratio':>7} | "
        f"{'PK-only dec':>11} {'hybrid dec':>10} {'ratio':>7} | {'PK-only bytes':>13} {'hybrid bytes':>12}"
    )
    for p in result.points:
        pk, hy = p.public_key_only, p.hybrid
        print(
            f"{p.size:>10,} | {pk.encrypt_seconds:>10.4f}s {hy.encrypt_seconds:>9.4f}s "
            f"{pk.encrypt_seconds / hy.encrypt_seconds:>6.1f}x | {pk.decrypt_seconds:>10.4f}s "
            f"{hy.decrypt_seconds:>9.4f}s {p.decrypt_ratio:>6.1f}x | {pk.ciphertext_bytes:>13,} "
            f"{hy.ciphertext_bytes:>12,}"
        )


def write_reference(result: Measurement) -> None:
    points = ",\n".join(
        f"        SizePoint({p.size}, Cost({p.public_key_only.encrypt_seconds!r}, "
        f"{p.public_key_only.decrypt_seconds!r}, {p.public_key_only.ciphertext_bytes}, "
        f"{p.public_key_only.rsa_operations}), Cost({p.hybrid.encrypt_seconds!r}, "
        f"{p.hybrid.decrypt_seconds!r}, {p.hybrid.ciphertext_bytes}, {p.hybrid.rsa_operations}))"
        for p in result.points
    )
    REFERENCE.write_text(
        '"""A full 1 KB-10 MB run of :func:`mailsec.hybrid.measure.measure`, kept for the notebook.\n\n'
        "Written by ``benchmarks/bench_hybrid_sizes.py --write``; do not edit by hand. The times were\n"
        "measured once on the machine named in ``REFERENCE.source``; they are shown, labelled as\n"
        "such, because the notebook's own quick run stops at 256 KB to stay within a few seconds.\n"
        '"""\n\n'
        "from mailsec.hybrid.measure import Cost, Measurement, SizePoint\n\n"
        '__all__ = ["REFERENCE"]\n\n'
        "REFERENCE = Measurement(\n"
        f"    points=(\n{points},\n    ),\n"
        f"    rsa_bits={result.rsa_bits},\n"
        f"    repeats={result.repeats},\n"
        f"    source={result.source!r},\n"
        ")\n",
        encoding="utf-8",
    )
    print(f"wrote {REFERENCE}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the notebook's sizes")
    parser.add_argument("--write", action="store_true", help="save the full run as the reference")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    bob = generate_keypair("Bob", KeyKind.RSA)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    source = describe() if args.write else "measured by benchmarks/bench_hybrid_sizes.py just now"
    result = measure(sizes, keypair=bob, repeats=args.repeats, source=source)
    report(result)
    if args.write:
        write_reference(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
