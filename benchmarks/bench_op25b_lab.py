"""Latency of chapter 02's OP25B lab: the model callback, p50 and p95, over every control.

Run: python benchmarks/bench_op25b_lab.py [rounds]

The course's aim is p95 under 50 ms for every lab interaction. The peer is the real thing: the same
attempts replayed over real SMTP (smtplib to aiosmtpd on 127.0.0.1, STARTTLS and AUTH included),
which the lab runs only when the learner presses "Replay". Dropped attempts are left out of the peer
because their time is the fixed simulated timeout. The script prints both and their ratio, and
exits 1 when the model callback misses the aim.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time

from mailsec.labs.frame import percentile
from mailsec.labs.op25b import CREDENTIAL_PRESETS, op25b_lab
from mailsec.op25b import SCENARIOS, Verdict
from mailsec.op25b.replay import LoopbackMailServers

CLICK = object()


def bench_lab(rounds: int) -> list[float]:
    """Milliseconds per learner interaction (one control change or one click, end to end)."""
    lab = op25b_lab()
    times: list[float] = []

    def interact(control: object, value: object) -> None:
        if value is not CLICK and control.value == value:  # type: ignore[attr-defined]
            return  # not an interaction: ipywidgets fires nothing for an unchanged value
        start = time.perf_counter()
        if value is CLICK:
            control.click()  # type: ignore[attr-defined]
        else:
            control.value = value  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)

    sources = [o[1] for o in lab.source.options]
    destinations = [o[1] for o in lab.destination.options]
    for _ in range(rounds):
        for source, destination, port in itertools.product(
            sources, destinations, ("25", "587", "465", "443")
        ):
            interact(lab.source, source)
            interact(lab.destination, destination)
            interact(lab.port, port)
        for preset in CREDENTIAL_PRESETS:
            interact(lab.credentials, preset)
        for box in lab.switches.values():
            interact(box, not box.value)
            interact(box, not box.value)
        for button in lab.scenario_buttons:
            interact(button, CLICK)
    assert lab.last_exception is None, lab.last_exception
    lab.close_servers()
    return times


def bench_replay(rounds: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as root, LoopbackMailServers(maildir_root=root) as servers:
        for _ in range(rounds):
            for s in SCENARIOS:
                if s.expected is Verdict.DROPPED:
                    continue
                start = time.perf_counter()
                servers.replay(s.attempt(), s.policy)
                times.append((time.perf_counter() - start) * 1000)
    return times


def main(rounds: int = 5) -> int:
    lab_ms = bench_lab(rounds)
    replay_ms = bench_replay(rounds)
    p95, peer95 = percentile(lab_ms, 95), percentile(replay_ms, 95)
    print(
        f"op25b lab model callback: {len(lab_ms)} interactions, p50 {percentile(lab_ms, 50):.2f} ms, "
        f"p95 {p95:.2f} ms (aim < 50 ms)"
    )
    print(
        f"peer, real SMTP replay on loopback: {len(replay_ms)} replays, "
        f"p50 {percentile(replay_ms, 50):.2f} ms, p95 {peer95:.2f} ms"
    )
    print(f"ratio model/real (p95): {p95 / peer95:.3f}  (real SMTP is {peer95 / p95:.1f}x slower)")
    return 0 if p95 < 50 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
