"""Properties of the mailbox model over random timelines (hypothesis): no mail is ever silently
dropped (each message is delivered, waiting at the sender or bounced), neither the quota nor a
device's storage is ever exceeded, and an online IMAP device always mirrors the server.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from retrieval_timelines import KB, minutes, play, scenario

from mailsec.retrieval.model import (
    DeleteMessage,
    DeviceSpec,
    Expunge,
    FullMailboxReply,
    GoOffline,
    GoOnline,
    ImapSettings,
    MailArrives,
    MoveMessage,
    PopSettings,
    ReadMessage,
    Sync,
)

DEVICE_NAMES = ("Phone", "Laptop")
LABELS = [f"M{i}" for i in range(1, 9)]


@st.composite
def timelines(draw):
    events = []
    t = 0
    for _ in range(draw(st.integers(0, 25))):
        t += draw(st.sampled_from([0, 10, 31, 60 * 24, 60 * 24 * 6]))
        at = minutes(t)
        kind = draw(st.integers(0, 9))
        dev = draw(st.sampled_from(DEVICE_NAMES))
        msg = draw(st.sampled_from(LABELS))
        if kind <= 2:
            events.append(MailArrives(at, "x", draw(st.sampled_from([5, 20, 45, 90])) * KB))
        elif kind == 3:
            events.append(Sync(at, dev))
        elif kind == 4:
            events.append(ReadMessage(at, dev, msg))
        elif kind == 5:
            events.append(DeleteMessage(at, dev, msg))
        elif kind == 6:
            events.append(MoveMessage(at, dev, msg))
        elif kind == 7:
            events.append(GoOffline(at, dev))
        elif kind == 8:
            events.append(GoOnline(at, dev))
        else:
            events.append(Expunge(at, dev))
    client = draw(
        st.sampled_from(
            [
                PopSettings(),
                PopSettings(leave_copy=True),
                PopSettings(leave_copy=True, remove_after_days=1, remove_when_deleted_locally=True),
                ImapSettings(),
                ImapSettings(expunge_on_delete=False, cache_bodies=False),
            ]
        )
    )
    reply = draw(st.sampled_from(list(FullMailboxReply)))
    devs = (DeviceSpec("Phone", 120 * KB), DeviceSpec("Laptop", 400 * KB, online=False))
    return scenario(*events, devs=devs, quota=150 * KB, full_reply=reply), client


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_no_mail_is_ever_silently_dropped(case):
    """Every sent message is delivered, waiting at the sender, or bounced — exactly one of them."""
    sc, client = case
    r = play(sc, client)
    delivered = set(r.delivered())
    waiting = {q.label for q in r.final.server.queue}
    bounced = [b.label for b in r.final.server.bounces]
    assert len(bounced) == len(set(bounced))
    assert delivered | waiting | set(bounced) == set(r.arrived)
    assert not (delivered & waiting) and not (delivered & set(bounced))
    assert not (waiting & set(bounced))


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_quota_and_storage_are_never_exceeded(case):
    sc, client = case
    r = play(sc, client)
    for step in r.steps:
        assert step.server.used <= step.server.quota
        for device in step.devices:
            assert device.used <= device.capacity
            assert len(device.labels()) == len(set(device.labels()))
        labels = step.server.labels()
        assert len(labels) == len(set(labels))


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_online_imap_devices_mirror_the_server(case):
    sc, client = case
    if not isinstance(client, ImapSettings):
        client = ImapSettings()
    r = play(sc, client)
    for step in r.steps:
        for device in step.devices:
            if device.online:
                assert device.pending == ()
                mirror = {(m.folder, m.label, m.flags) for m in device.messages}
                assert mirror == {(m.folder, m.label, m.flags) for m in step.server.messages}
