"""Timelines for the mailbox-model tests (``tests/test_retrieval_model_*.py``): a one-device
scenario with a quota, played by :func:`mailsec.retrieval.model.run` on a fixed clock, and what
happened to which message, read from the run's traces.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mailsec.retrieval.model import DeviceSpec, FullMailboxReply, Run, Scenario, run

KB = 1024
START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def clock() -> datetime:
    return START


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def scenario(*events, devs=None, quota=200 * KB, full_reply=FullMailboxReply.TEMPORARY):
    return Scenario(
        "test",
        "a test timeline",
        devs if devs is not None else (DeviceSpec("Phone", 1024 * KB),),
        tuple(events),
        quota,
        full_reply,
    )


def play(sc: Scenario, client=None) -> Run:
    return run(sc, client=client, clock=clock)


def kinds(r: Run, kind: str) -> list[str]:
    return [
        str(s.data["label"]) for step in r.steps for s in step.trace if s.data.get("kind") == kind
    ]
