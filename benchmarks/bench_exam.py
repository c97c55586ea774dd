"""Exam practice (notebook 90): how long each generated afternoon question takes to build.

Run: python benchmarks/bench_exam.py [rounds]

Each afternoon-style question is built from a real run of a course mechanism (an SPF check, a
DMARC evaluation, an OP25B path, an MTA-STS choice ...), so drawing a set costs those runs. The
aim: every case under a second, so that a "New set" click stays quick. No peer builds these
questions, so the times are absolute: the median and the slowest case of each generator.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from mailsec.exam import bank


def main(rounds: int = 3) -> None:
    questions = bank()
    for generator in questions.generators:
        generator.question(generator.cases[0], random.Random(0))  # warm-up (DKIM keys, zones)
        times = []
        for _ in range(rounds):
            for case in generator.cases:
                start = time.perf_counter()
                generator.question(case, random.Random(0))
                times.append(time.perf_counter() - start)
        print(f"{generator.id:<22} {len(generator.cases):3} cases: median "
              f"{statistics.median(times) * 1000:7.1f} ms, slowest {max(times) * 1000:7.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
