"""What a run of the mailbox model gives back: one explained step per event with only RFC
sections cited, the same result for the same timeline and clock, a device added mid-way, and sizes
written as the labs show them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from retrieval_timelines import KB, START, minutes, play, scenario

from mailsec.retrieval.model import (
    AddDevice,
    DeviceSpec,
    ImapSettings,
    MailArrives,
    PopSettings,
    format_size,
    run,
)
from mailsec.retrieval.scenarios import SCENARIOS, get_scenario


@pytest.mark.parametrize("key", sorted(SCENARIOS))
@pytest.mark.parametrize("client", [PopSettings(), PopSettings(leave_copy=True), ImapSettings()])
def test_every_step_explains_itself(key, client):
    r = play(get_scenario(key), client)
    assert len(r.steps) == len(get_scenario(key).events) + 1
    for step in r.steps:
        assert step.trace, f"step {step.number} of {key} has no explanation"
        assert all(s.section is None or s.section.startswith("RFC") for s in step.trace)


def test_runs_are_deterministic_and_use_the_clock():
    a = play(get_scenario("commute-offline"), ImapSettings())
    b = play(get_scenario("commute-offline"), ImapSettings())
    assert a == b
    assert a.steps[0].at == START
    assert a.final.at == START + get_scenario("commute-offline").events[-1].at
    later = run(get_scenario("commute-offline"), clock=lambda: START + timedelta(days=1))
    assert later.steps[0].at == START + timedelta(days=1)


def test_added_device_starts_empty_and_syncs():
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            AddDevice(minutes(5), DeviceSpec("Tablet", 512 * KB)),
        ),
        ImapSettings(),
    )
    assert [d.name for d in r.final.devices] == ["Phone", "Tablet"]
    assert r.final.device("Tablet").labels() == ("M1",)
    assert r.steps[1].changed("Tablet") == {}


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (500, "500 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (150 * KB, "150 KB"),
        (3 * KB * KB, "3 MB"),
    ],
)
def test_format_size(size, text):
    assert format_size(size) == text
