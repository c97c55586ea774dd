"""Chapter 05's lab callbacks: 95th-percentile latency, beside the bare model they call.

Run: python benchmarks/bench_smime_labs.py [rounds]

Each lab is driven the way a learner drives it (setting widget values fires the callback); the
frame records every callback's time in ``lab.timings``. Beside it, the same work without widgets:
:func:`mailsec.smime.demo.deliver`, :func:`mailsec.pki.check_certificate` and the EFAIL rewrite +
decryption. The budget is 50 ms at the 95th percentile. The PKI is made once before timing, as the
notebook does.
"""

from __future__ import annotations

import itertools
import sys
import time

from mailsec.labs.frame import percentile
from mailsec.labs.smime import certificate_lab, efail_lab, message_lab
from mailsec.pki import check_certificate, course_pki
from mailsec.smime import ContentCipher, decrypt_message
from mailsec.smime.demo import deliver
from mailsec.smime.inspect import efail_rewrite

BUDGET_MS = 50.0


def timed(fn, rounds: int) -> list[float]:
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return times


def main(rounds: int = 200) -> int:
    pki = course_pki()
    rows = []

    lab = message_lab(pki)
    lab.timings.clear()
    settings = itertools.cycle(
        [
            ("byte", None),
            ("transit", True),
            ("view", "cms"),
            ("view", "mime"),
            ("view", "plain"),
            ("transit", False),
            ("cipher", ContentCipher.AES256_CBC),
            ("view", "smime"),
            ("signer", "expired"),
            ("signer", "alice"),
            ("cipher", ContentCipher.AES256_GCM),
            ("encrypt", False),
            ("encrypt", True),
        ]
    )
    for i in range(rounds):
        name, value = next(settings)
        widget = getattr(lab, name)
        widget.value = i % 500 if name == "byte" else value

    def bare_message(i: int) -> None:
        deliver(
            subject="Salary table",
            body="Hi Bob,\nthe new salary table.\nAlice\n",
            sign=True,
            encrypt=True,
            signer=pki.alice,
            recipients=[pki.bob, pki.alice],
            reader=pki.bob,
            trusted=[pki.ca.certificate],
            flip_at=i if i % 2 else None,
        )

    rows.append(
        ("message lab (sign, encrypt, flip, views)", lab.timings, timed(bare_message, rounds))
    )

    viewer = certificate_lab(pki)
    viewer.timings.clear()
    roles = itertools.cycle(["bob", "expired", "wrong_address", "unknown_ca", "ca", "alice"])
    for _ in range(rounds):
        viewer.which.value = next(roles)

    def bare_check(i: int) -> None:
        check_certificate(
            pki.alice.certificate, trusted=[pki.ca.certificate], email="alice@example.org"
        )

    rows.append(("certificate viewer", viewer.timings, timed(bare_check, rounds)))

    efail = efail_lab(pki)
    efail.timings.clear()
    ciphers = itertools.cycle([ContentCipher.AES256_GCM, ContentCipher.AES256_CBC])
    for _ in range(rounds):
        efail.cipher.value = next(ciphers)
    sealed = efail.sealed[ContentCipher.AES256_CBC]

    def bare_efail(i: int) -> None:
        attack = efail_rewrite(sealed, known=b"Content-Type: te", injected=b"<img src='http:/")
        decrypt_message(attack.message, key=pki.bob.key, certificate=pki.bob.certificate)

    rows.append(("EFAIL lab", efail.timings, timed(bare_efail, rounds)))

    print(f"Chapter 05 lab callbacks, {rounds} changes each (budget: p95 < {BUDGET_MS:.0f} ms)")
    print(f"{'lab':44} {'p50':>8} {'p95':>8} {'bare p95':>9} {'lab/bare':>9}")
    worst = 0.0
    for name, lab_times, bare_times in rows:
        p50 = percentile(lab_times, 50) * 1000
        p95 = percentile(lab_times, 95) * 1000
        bare = percentile(bare_times, 95) * 1000
        worst = max(worst, p95)
        print(f"{name:44} {p50:6.1f}ms {p95:6.1f}ms {bare:7.1f}ms {p95 / bare:8.2f}x")
    print(f"worst p95: {worst:.1f} ms -> {'within' if worst < BUDGET_MS else 'OVER'} budget")
    return 0 if worst < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
