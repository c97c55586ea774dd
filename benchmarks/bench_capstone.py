"""Chapter 09: the attacker's whole campaign against a fresh mail system, start to stop.

Run: python benchmarks/bench_capstone.py [--rounds N] [--load]

A round is what the defence lab's Run button and ``mailsystem run`` do: start a fresh
:class:`~mailsec.mailsystem.MailSystem` (DNS, four SMTP servers, POP3/IMAP with TLS, a new CA),
play all eleven scenarios over real sockets, and stop everything. The aim (chapter 09's issue) is
under 20 s on a 2-core machine, idle or loaded; ``--load`` keeps both cores busy with two
spinning processes during the rounds. No other program plays this campaign, so there is no peer
to compare with: the times are absolute, with the median time of each scenario to show where
they go.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from collections import defaultdict

from mailsec.mailsystem import MailSystem
from mailsec.mailsystem.scenarios import SCENARIOS, run_scenario

AIM = 20.0


def _spin(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    while not stop.is_set():
        sum(range(10_000))


def one_round(per_scenario: dict[str, list[float]]) -> tuple[float, float]:
    """Seconds for the whole round, and for starting and stopping alone."""
    begin = time.perf_counter()
    system = MailSystem().start()
    started = time.perf_counter()
    try:
        for scenario in SCENARIOS:
            t0 = time.perf_counter()
            run_scenario(system, scenario.name)
            per_scenario[scenario.name].append(time.perf_counter() - t0)
    finally:
        stopping = time.perf_counter()
        system.stop()
    end = time.perf_counter()
    return end - begin, (started - begin) + (end - stopping)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="keep both cores busy meanwhile")
    args = parser.parse_args()
    stop = multiprocessing.Event()
    spinners = [
        multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(2 if args.load else 0)
    ]
    for spinner in spinners:
        spinner.start()
    per_scenario: dict[str, list[float]] = defaultdict(list)
    try:
        one_round(defaultdict(list))  # warm-up: imports, the course's DKIM keys
        totals, overheads = [], []
        for _ in range(args.rounds):
            total, overhead = one_round(per_scenario)
            totals.append(total)
            overheads.append(overhead)
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join()
    load = "2 cores busy" if args.load else "idle"
    print(f"campaign, {args.rounds} rounds ({load}): median {statistics.median(totals):.2f} s, "
          f"max {max(totals):.2f} s (aim: under {AIM:.0f} s); start+stop median "
          f"{statistics.median(overheads):.2f} s")  # fmt: skip
    for name, times in per_scenario.items():
        print(f"  {name:<20} median {statistics.median(times) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
