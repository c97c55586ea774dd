"""Latency of chapter 01's devices lab callbacks (p50, p95), beside the bare model they wrap.

Run: python benchmarks/bench_retrieval_lab.py [rounds]

Each round opens every prepared scenario under POP3 (three settings) and IMAP4, walks the step
slider through every step, then builds a long timeline of its own with the event buttons (60
events over four devices: the slowest case, since every click plays the whole timeline again).
The lab frame times each callback into ``lab.timings``; a user action can fire nested
callbacks (re-playing updates the step slider and the pickers, whose observers return at once),
so each action counts once, as the longest timing it added (the outer callback's). The peer is the bare model doing the
same playing (:func:`mailsec.retrieval.model.run` on the same timelines, no widgets, no HTML), so
the ratio shows what the widgets and the rendering add. The course's aim is p95 under 50 ms.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

from mailsec.errors import MailsecError
from mailsec.labs.frame import percentile
from mailsec.labs.retrieval import OWN, devices_lab
from mailsec.retrieval.model import Protocol, run
from mailsec.retrieval.scenarios import SCENARIOS

AIM_MS = 50.0


def clock() -> datetime:
    return datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def drive(rounds: int) -> tuple[list[float], list[float]]:
    """Operate the lab; return one timing per user action and the bare model's (seconds)."""
    lab = devices_lab(clock=clock)
    bare: list[float] = []
    actions: list[float] = []

    def act(fn) -> None:
        before = len(lab.timings)
        fn()
        added = list(lab.timings)[before:]
        if added:
            actions.append(max(added))

    def set_value(widget, value) -> None:
        def change() -> None:
            widget.value = value

        act(change)

    def peer() -> None:
        scenario, client = lab.scenario_now(), lab.client()
        start = time.perf_counter()
        run(scenario, client=client, clock=clock)
        bare.append(time.perf_counter() - start)

    for _ in range(rounds):
        for key in SCENARIOS:
            set_value(lab.scenario, key)
            for protocol, leave_copy in (
                (Protocol.POP3, False),
                (Protocol.POP3, True),
                (Protocol.IMAP4, False),
            ):
                set_value(lab.protocol, protocol)
                if protocol is Protocol.POP3:
                    set_value(lab.leave_copy, leave_copy)
                peer()
                for number in range(lab.step.max + 1):
                    set_value(lab.step, number)
        set_value(lab.scenario, OWN)
        set_value(lab.device_count, 4)
        act(lab.b_clear.click)
        buttons = [lab.b_mail, lab.b_sync, lab.b_read, lab.b_flag, lab.b_move, lab.b_delete]
        for i in range(60):
            set_value(lab.device, lab.device.options[i % len(lab.device.options)])
            act(buttons[i % len(buttons)].click)
            if i % 7 == 0:
                act(lab.b_online.click)
            peer()
        set_value(lab.protocol, Protocol.POP3)
        peer()
        set_value(lab.protocol, Protocol.IMAP4)
        peer()
    # A click on "Read" for a device with no mail yet shows a plain message (an InputError):
    # that is the lab working. Anything else is a bug.
    if lab.last_exception is not None and not isinstance(lab.last_exception, MailsecError):
        raise RuntimeError(f"the lab failed: {lab.last_exception!r}")
    return actions, bare


def main(argv: list[str]) -> int:
    rounds = int(argv[1]) if len(argv) > 1 else 3
    timings, bare = drive(rounds)
    ms = [t * 1000 for t in timings]
    bare_ms = [t * 1000 for t in bare]
    p95, bare_p95 = percentile(ms, 95), percentile(bare_ms, 95)
    print(
        f"devices lab: {len(ms)} user actions, p50 {percentile(ms, 50):.2f} ms, p95 {p95:.2f} ms, "
        f"max {max(ms):.2f} ms (aim < {AIM_MS:.0f} ms: p95 is {p95 / AIM_MS:.2f} of the budget)"
    )
    print(
        f"bare model run: {len(bare_ms)} runs, p50 {percentile(bare_ms, 50):.2f} ms, "
        f"p95 {bare_p95:.2f} ms; lab / bare model p95 ratio {p95 / bare_p95:.1f}x"
    )
    return 0 if p95 < AIM_MS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
