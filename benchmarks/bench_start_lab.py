"""Latency of chapter 00's journey lab: the widget callback, p50 and p95 over every choice.

Run: python benchmarks/bench_start_lab.py [rounds]
The course's aim is p95 under 50 ms for every lab interaction.
"""

from __future__ import annotations

import itertools
import sys

from mailsec.journey import Protection, Reading, Sending
from mailsec.labs.frame import percentile
from mailsec.labs.start import journey_lab


def main(rounds: int = 20) -> int:
    lab = journey_lab()
    lab.timings.clear()
    for _ in range(rounds):
        for sending, reading, protection in itertools.product(Sending, Reading, Protection):
            lab.sending.value = sending
            lab.reading.value = reading
            lab.protection.value = protection
    ms = [t * 1000 for t in lab.timings]
    p95 = percentile(ms, 95)
    print(
        f"journey lab: {len(ms)} callbacks, p50 {percentile(ms, 50):.2f} ms, p95 {p95:.2f} ms (aim < 50 ms)"
    )
    return 0 if p95 < 50 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
