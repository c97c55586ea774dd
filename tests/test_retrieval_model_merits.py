"""The mailbox model of chapter 01 against the source's list of merits and demerits of POP3 and
IMAP4, one named test each: POP3 reads offline and keeps more than the quota but leaves nothing
(or no shared state) for a second device; IMAP4 shares mail, folders and flags between devices but
keeps new mail out of a full mailbox until mail is deleted.
"""

from __future__ import annotations

from retrieval_timelines import KB, clock, kinds, minutes, play, scenario

from mailsec.retrieval.model import (
    ARCHIVE,
    INBOX,
    DeleteMessage,
    Flag,
    GoOffline,
    ImapSettings,
    MailArrives,
    PopSettings,
    ReadMessage,
    Sync,
)
from mailsec.retrieval.scenarios import compare, get_scenario
from mailsec.trace import Outcome


def test_pop_merit_mail_can_be_read_offline_once_downloaded():
    """POP: mail is downloaded to the device, so it can be read with no connection."""
    r = play(
        scenario(
            MailArrives(minutes(0), "hello", 10 * KB),
            Sync(minutes(5), "Phone"),
            GoOffline(minutes(10), "Phone"),
            ReadMessage(minutes(15), "Phone", "M1"),
        ),
        PopSettings(),
    )
    phone = r.final.device("Phone")
    assert not phone.online
    assert phone.message("M1") is not None and phone.message("M1").read
    assert r.final.trace[0].outcome is Outcome.OK
    assert "no network needed" in r.final.trace[0].text


def test_pop_merit_device_keeps_more_mail_than_the_server_quota():
    """POP: the server's quota limits the mailbox, but the device keeps as much as its storage allows."""
    events = []
    for i in range(10):
        events.append(MailArrives(minutes(10 * i), f"report {i}", 30 * KB))
        events.append(Sync(minutes(10 * i + 5), "Phone"))
    r = play(scenario(*events, quota=100 * KB), PopSettings())
    phone = r.final.device("Phone")
    assert len(phone.messages) == 10
    assert phone.used == 300 * KB > r.final.server.quota
    assert r.final.server.bounces == () and r.final.server.queue == ()


def test_pop_demerit_download_and_delete_leaves_nothing_for_the_second_device():
    """POP: not suited to several devices — the laptop finds the phone took everything."""
    r = play(get_scenario("phone-then-laptop"), PopSettings())
    assert r.final.device("Laptop").messages == ()
    assert r.final.server.messages == ()
    assert set(r.final.device("Phone").labels()) == {"M1", "M2"}


def test_pop_demerit_read_state_is_not_shared_even_when_a_copy_is_left():
    """POP with 'leave a copy': the laptop gets its own unread copies; the phone's reading,
    answering and deleting do not reach it (RFC 1939 has no flag commands)."""
    r = play(get_scenario("phone-then-laptop"), PopSettings(leave_copy=True))
    laptop = r.final.device("Laptop")
    assert laptop.labels() == ("M1", "M2", "M3")
    assert not any(m.read for m in laptop.messages)
    assert Flag.ANSWERED not in laptop.message("M1").flags
    assert r.final.device("Phone").message("M1").flags == {Flag.SEEN, Flag.ANSWERED}


def test_imap_merit_read_state_is_shared_between_devices():
    """IMAP: several devices see the same mail and the same read state."""
    r = play(get_scenario("phone-then-laptop"), ImapSettings())
    laptop = r.final.device("Laptop")
    assert laptop.labels() == ("M1", "M2")
    assert laptop.message("M1").flags == {Flag.SEEN, Flag.ANSWERED}
    assert laptop.messages == r.final.device("Phone").messages


def test_imap_merit_a_new_device_sees_all_mail_folders_and_flags():
    """IMAP: a new phone shows everything the laptop did, including the Archive folder."""
    r = play(get_scenario("new-phone"), ImapSettings())
    phone = r.final.device("New phone")
    assert phone.labels(INBOX) == ("M1", "M3", "M4")
    assert phone.labels(ARCHIVE) == ("M2",)
    assert phone.message("M1").read and Flag.FLAGGED in phone.message("M3").flags


def test_pop_contrast_a_new_device_gets_only_what_is_still_on_the_server():
    pop, _ = compare(get_scenario("new-phone"), clock=clock)
    assert pop.final.device("New phone").labels() == ("M4",)
    kept, _ = compare(get_scenario("new-phone"), pop=PopSettings(leave_copy=True), clock=clock)
    phone = kept.final.device("New phone")
    # Every server copy comes down, unread and flat: the laptop's archive and flags stay there.
    assert phone.labels() == ("M1", "M2", "M3", "M4")
    assert all(m.folder == INBOX and not m.flags for m in phone.messages)


def test_imap_demerit_full_mailbox_keeps_new_mail_out_until_mail_is_deleted():
    """IMAP: at the quota, new mail cannot arrive (so cannot be read) until mail is deleted."""
    r = play(get_scenario("mailbox-full"), ImapSettings())
    assert kinds(r, "refused")[:2] == ["M4", "M5"]
    # M4 is delivered only after the phone deleted (and expunged) M2.
    delete_step = next(s.number for s in r.steps if isinstance(s.event, DeleteMessage))
    delivered_at = next(
        s.number
        for s in r.steps
        for t in s.trace
        if t.data.get("kind") == "delivered" and t.data.get("label") == "M4"
    )
    assert delivered_at > delete_step
    assert "M4" in r.final.device("Phone").labels()
    # M5 (60 KB) never fits and goes back to its sender when the sender's server gives up.
    assert [b.label for b in r.final.server.bounces] == ["M5"]
    assert "M5" not in r.final.device("Phone").labels()


def test_pop_contrast_full_mailbox_drained_by_download_and_delete():
    pop, _ = compare(get_scenario("mailbox-full"), clock=clock)
    assert pop.final.server.bounces == () and pop.final.server.queue == ()
    assert sorted(pop.final.device("Phone").labels()) == ["M1", "M3", "M4", "M5"]


def test_pop_does_not_always_delete_mail_from_the_server():
    """A misconception the self-check targets: 'leave a copy' is a standard client setting."""
    r = play(
        scenario(MailArrives(minutes(0), "keep me", 10 * KB), Sync(minutes(5), "Phone")),
        PopSettings(leave_copy=True),
    )
    assert r.final.server.labels() == ("M1",)
    assert r.final.device("Phone").labels() == ("M1",)
