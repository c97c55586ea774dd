"""Chapter 07's lab callbacks: 95th-percentile latency against the 50 ms budget.

Run: python benchmarks/bench_dkim_dmarc_labs.py [rounds]

Each lab is driven the way a learner drives it (setting widget values fires the callback); the
frame records every callback's time in ``lab.timings``. The course's DKIM keys and the Public
Suffix List are made and read once before timing, as the notebook's first cells do.
"""

from __future__ import annotations

import itertools
import sys

from mailsec.dkim.demo import Change, KeyCase
from mailsec.dmarc.scenarios import Scenario
from mailsec.labs.dkim import canonicalization_lab, key_record_lab
from mailsec.labs.dmarc import dmarc_lab
from mailsec.labs.dmarc_reports import ALL, report_lab
from mailsec.labs.frame import percentile

BUDGET_MS = 50.0


def drive(lab, settings, rounds: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    lab.timings.clear()
    for control, value in itertools.islice(itertools.cycle(settings), rounds):
        getattr(lab, control).value = value
    if lab.error.value:
        raise SystemExit(f"{lab.title}: {lab.error.value}")
    times = list(lab.timings)
    return percentile(times, 50) * 1000, percentile(times, 95) * 1000, len(times)


def main(rounds: int = 200) -> int:
    labs = {
        "canonicalization": (
            canonicalization_lab(),
            [("change", c) for c in Change]
            + [("header_canon", "relaxed"), ("body_canon", "relaxed"), ("length", True),
               ("oversign", True), ("length", False), ("oversign", False),
               ("header_canon", "simple"), ("body_canon", "simple")],
        ),
        "key record": (key_record_lab(), [("case", c) for c in KeyCase if c is not KeyCase.EDITED]),
        "DMARC": (
            dmarc_lab(),
            [("scenario", s) for s in Scenario]
            + [("policy", "reject"), ("adkim", "s"), ("aspf", "s"), ("sample", 0.7),
               ("trust", True), ("policy", ""), ("adkim", ""), ("aspf", ""), ("sample", 0.0),
               ("trust", False)],
        ),
    }  # fmt: skip
    reports = report_lab()
    options = [value for _label, value in reports.which.options]
    labs["reports"] = (reports, [("which", v) for v in options if v != ALL] + [("which", ALL)])
    print(f"Chapter 07 lab callbacks, {rounds} changes each (budget: {BUDGET_MS:.0f} ms at p95)")
    print(f"{'lab':<18}{'callbacks':>10}{'median ms':>11}{'p95 ms':>9}  verdict")
    worst = 0.0
    for name, (lab, settings) in labs.items():
        p50, p95, count = drive(lab, settings, rounds)
        worst = max(worst, p95)
        verdict = "within" if p95 <= BUDGET_MS else "OVER"
        print(f"{name:<18}{count:>10}{p50:>11.1f}{p95:>9.1f}  {verdict}")
    return 0 if worst <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
