"""The mailbox model of chapter 01: the source's merits and demerits of POP3 and IMAP4 as named
tests, the RFC rules the model follows, bad input, and properties over random timelines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.retrieval.model import (
    ARCHIVE,
    GIVE_UP_AFTER,
    INBOX,
    UIDVALIDITY,
    AddDevice,
    ChangeKind,
    DeleteMessage,
    DeviceSpec,
    Expunge,
    Flag,
    FlagMessage,
    FullMailboxReply,
    GoOffline,
    GoOnline,
    ImapSettings,
    MailArrives,
    MessageView,
    MoveMessage,
    PopSettings,
    Protocol,
    ReadMessage,
    ReplyToMessage,
    Run,
    Scenario,
    SetQuota,
    Sync,
    TimePasses,
    format_size,
    run,
)
from mailsec.retrieval.scenarios import SCENARIOS, compare, devices, get_scenario
from mailsec.trace import Outcome

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


def trace_texts(r: Run) -> list[str]:
    return [s.text for step in r.steps for s in step.trace]


def kinds(r: Run, kind: str) -> list[str]:
    return [
        str(s.data["label"]) for step in r.steps for s in step.trace if s.data.get("kind") == kind
    ]


# -- the source's merits and demerits ------------------------------------------------------------


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


# -- RFC rules -------------------------------------------------------------------------------------


def test_full_mailbox_reply_codes_rfc3463_and_rfc5321():
    """RFC 3463 §3.3 X.2.2 Mailbox full; RFC 5321 §4.2.2 452 and 552."""
    assert (FullMailboxReply.TEMPORARY.code, FullMailboxReply.TEMPORARY.enhanced) == (452, "4.2.2")
    assert (FullMailboxReply.PERMANENT.code, FullMailboxReply.PERMANENT.enhanced) == (552, "5.2.2")
    assert FullMailboxReply.TEMPORARY.reply.startswith("452 4.2.2 ")


def test_temporary_refusal_is_retried_after_30_minutes_and_delivered_when_room():
    """RFC 5321 §4.5.4.1: the sender retries; a 4xx refusal is not a loss."""
    r = play(
        scenario(
            MailArrives(minutes(0), "big", 80 * KB),
            MailArrives(minutes(1), "second", 40 * KB),
            SetQuota(minutes(10), 200 * KB),
            TimePasses(minutes(20)),  # 19 minutes after the refusal: not yet due
            TimePasses(minutes(31)),
            quota=100 * KB,
        )
    )
    refusal = r.steps[2]
    assert refusal.trace[1].outcome is Outcome.FAIL
    assert refusal.trace[1].data["code"] == 452 and refusal.trace[1].data["enhanced"] == "4.2.2"
    assert [q.label for q in refusal.server.queue] == ["M2"]
    assert r.steps[4].server.labels() == ("M1",)
    assert r.final.server.labels() == ("M1", "M2") and r.final.server.queue == ()


def test_temporary_refusal_bounces_when_the_sender_gives_up():
    """RFC 5321 §4.5.4.1: give up after some days; RFC 3464: the sender gets a DSN."""
    r = play(
        scenario(
            MailArrives(minutes(0), "too big", 300 * KB),
            TimePasses(GIVE_UP_AFTER - minutes(1)),
            TimePasses(GIVE_UP_AFTER),
        )
    )
    assert [q.label for q in r.steps[2].server.queue] == ["M1"] and r.steps[2].server.bounces == ()
    (bounce,) = r.final.server.bounces
    assert bounce.label == "M1" and bounce.sender == "friend@example.org"
    assert bounce.reply.startswith("452 4.2.2")
    assert r.final.server.queue == ()


def test_permanent_refusal_bounces_at_once_with_552_5_2_2():
    r = play(
        scenario(
            MailArrives(minutes(0), "too big", 300 * KB),
            full_reply=FullMailboxReply.PERMANENT,
        )
    )
    (bounce,) = r.final.server.bounces
    assert bounce.reply.startswith("552 5.2.2") and bounce.at == START
    assert r.final.server.queue == ()


def test_pop_uidl_means_nothing_is_downloaded_twice():
    """RFC 1939 §7: the client remembers UIDLs when it leaves mail on the server."""
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            Sync(minutes(1), "Phone"),
            MailArrives(minutes(2), "b", 10 * KB),
            Sync(minutes(3), "Phone"),
            Sync(minutes(4), "Phone"),
        ),
        PopSettings(leave_copy=True),
    )
    assert r.final.device("Phone").labels() == ("M1", "M2")
    uidl = r.final.server.messages[0].uidl
    assert any(f"UIDL {uidl} is already known" in t for t in trace_texts(r))


def test_uidl_uses_dovecots_default_format():
    m = MessageView("M1", "s", 10, INBOX, uid=3)
    assert m.uidl == f"00000003{UIDVALIDITY:08X}"


def test_pop_deletions_happen_at_quit_in_the_update_state():
    """RFC 1939 §6: DELE marks; the server removes at QUIT (UPDATE state)."""
    r = play(
        scenario(MailArrives(minutes(0), "a", 10 * KB), Sync(minutes(1), "Phone")), PopSettings()
    )
    texts = [s.text for s in r.final.trace]
    dele = next(i for i, t in enumerate(texts) if t.startswith("DELE M1"))
    quit_ = next(i for i, t in enumerate(texts) if t.startswith("QUIT"))
    assert dele < quit_ and "UPDATE state" in texts[quit_]
    assert r.final.trace[quit_].section == "RFC 1939 §6"


def test_pop_remove_after_n_days():
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            Sync(minutes(1), "Phone"),
            Sync(timedelta(days=6), "Phone"),
            Sync(timedelta(days=7, minutes=1), "Phone"),
        ),
        PopSettings(leave_copy=True, remove_after_days=7),
    )
    assert r.steps[3].server.labels() == ("M1",)
    assert r.final.server.labels() == ()
    assert r.final.device("Phone").labels() == ("M1",)


def test_pop_remove_from_server_when_deleted_here():
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            Sync(minutes(1), "Phone"),
            DeleteMessage(minutes(2), "Phone", "M1"),
            Sync(minutes(3), "Phone"),
        ),
        PopSettings(leave_copy=True, remove_when_deleted_locally=True),
    )
    assert r.steps[3].server.labels() == ("M1",)  # removed at the next check, not at once
    assert r.final.server.labels() == () and r.final.device("Phone").labels() == ()


def test_pop_local_delete_without_that_setting_keeps_the_server_copy():
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            Sync(minutes(1), "Phone"),
            DeleteMessage(minutes(2), "Phone", "M1"),
            Sync(minutes(3), "Phone"),
        ),
        PopSettings(leave_copy=True),
    )
    assert r.final.server.labels() == ("M1",) and r.final.device("Phone").labels() == ()


def test_pop_sees_only_inbox():
    """RFC 1939: a maildrop, no folders; mail an IMAP client filed in Archive is invisible."""
    devs = (
        DeviceSpec("Phone", 1024 * KB, client=ImapSettings()),
        DeviceSpec("Laptop", 1024 * KB, client=PopSettings(leave_copy=True)),
    )
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            MailArrives(minutes(1), "b", 10 * KB),
            MoveMessage(minutes(2), "Phone", "M1"),
            Sync(minutes(3), "Laptop"),
            devs=devs,
        )
    )
    assert r.final.device("Laptop").labels() == ("M2",)
    assert r.final.server.labels(ARCHIVE) == ("M1",)


def test_imap_read_sets_seen_on_the_server():
    """RFC 3501 §6.4.5: FETCH BODY[] sets \\Seen."""
    r = play(
        scenario(MailArrives(minutes(0), "a", 10 * KB), ReadMessage(minutes(1), "Phone", "M1")),
        ImapSettings(),
    )
    assert r.final.server.messages[0].flags == {Flag.SEEN}
    change = r.final.changed("server")[(INBOX, "M1")]
    assert change.kind is ChangeKind.CHANGED and change.detail == "+\\Seen"


def test_imap_flag_and_answer_are_stored_on_the_server():
    """RFC 3501 §6.4.6 STORE; §2.3.2 system flags."""
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            FlagMessage(minutes(1), "Phone", "M1"),
            ReplyToMessage(minutes(2), "Phone", "M1"),
        ),
        ImapSettings(),
    )
    assert r.final.server.messages[0].flags == {Flag.FLAGGED, Flag.ANSWERED}


def test_imap_deleted_mail_takes_quota_until_expunged():
    """RFC 3501 §6.4.3: \\Deleted messages stay until EXPUNGE — and still count."""
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 60 * KB),
            DeleteMessage(minutes(1), "Phone", "M1"),
            MailArrives(minutes(2), "b", 60 * KB),
            Expunge(minutes(3), "Phone"),
            MailArrives(minutes(4), "c", 60 * KB),
            quota=100 * KB,
            full_reply=FullMailboxReply.PERMANENT,
        ),
        ImapSettings(expunge_on_delete=False),
    )
    marked = r.steps[2].server.messages[0]
    assert marked.flags == {Flag.DELETED} and r.steps[2].server.used == 60 * KB
    assert [b.label for b in r.final.server.bounces] == ["M2"]
    assert r.steps[4].server.labels() == ()
    assert r.final.server.labels() == ("M3",)


def test_imap_moving_to_another_folder_frees_no_quota():
    """RFC 9208 §3: one quota root for the user's mailboxes; RFC 6851 MOVE."""
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 60 * KB),
            MoveMessage(minutes(1), "Phone", "M1"),
            MailArrives(minutes(2), "b", 60 * KB),
            quota=100 * KB,
            full_reply=FullMailboxReply.PERMANENT,
        ),
        ImapSettings(),
    )
    assert r.final.server.labels(ARCHIVE) == ("M1",)
    assert r.final.server.folder(ARCHIVE)[0].uid == 1
    assert [b.label for b in r.final.server.bounces] == ["M2"]
    assert r.final.device("Phone").labels(ARCHIVE) == ("M1",)


def test_imap_offline_changes_are_replayed_when_back_online():
    """RFC 4549 §4: a disconnected client uploads its changes, then resynchronises."""
    r = play(get_scenario("commute-offline"), ImapSettings())
    offline = next(s for s in r.steps if s.title == "Phone moves M3 to Archive")
    assert offline.device("Phone").pending == (
        "set \\Seen on M1",
        "delete M2",
        "move M3 to Archive",
    )
    assert offline.server.labels(INBOX) == ("M1", "M2", "M3")
    server = r.final.server
    assert server.labels(INBOX) == ("M1", "M4") and server.labels(ARCHIVE) == ("M3",)
    assert all(m.read for m in server.folder(INBOX))
    phone, laptop = r.final.device("Phone"), r.final.device("Laptop")
    assert phone.pending == () and phone.messages == laptop.messages


def test_imap_offline_change_to_mail_removed_elsewhere_is_dropped_with_a_warning():
    devs = (DeviceSpec("Phone", 1024 * KB), DeviceSpec("Laptop", 1024 * KB))
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            GoOffline(minutes(1), "Phone"),
            FlagMessage(minutes(2), "Phone", "M1"),
            DeleteMessage(minutes(3), "Laptop", "M1"),
            GoOnline(minutes(4), "Phone"),
            devs=devs,
        ),
        ImapSettings(),
    )
    warnings = [s for s in r.final.trace if s.outcome is Outcome.WARN]
    assert warnings and "another device already removed M1" in warnings[0].text
    assert r.final.device("Phone").messages == () and r.final.server.messages == ()


def test_imap_offline_reading_needs_a_cached_body():
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            GoOffline(minutes(1), "Phone"),
            ReadMessage(minutes(2), "Phone", "M1"),
        ),
        ImapSettings(cache_bodies=False),
    )
    phone = r.final.device("Phone")
    assert phone.message("M1").body is False and not phone.message("M1").read
    assert r.final.trace[0].outcome is Outcome.WARN


def test_imap_cache_keeps_headers_only_when_the_device_is_full():
    r = play(
        scenario(MailArrives(minutes(0), "a", 50 * KB), devs=(DeviceSpec("Watch", 20 * KB),)),
        ImapSettings(),
    )
    watch = r.final.device("Watch")
    assert watch.labels() == ("M1",) and watch.message("M1").body is False
    assert watch.used == 0


def test_pop_device_full_leaves_mail_on_the_server():
    r = play(
        scenario(
            MailArrives(minutes(0), "big", 50 * KB),
            MailArrives(minutes(1), "small", 5 * KB),
            Sync(minutes(2), "Watch"),
            devs=(DeviceSpec("Watch", 20 * KB),),
        ),
        PopSettings(),
    )
    assert r.final.device("Watch").labels() == ("M2",)
    assert r.final.server.labels() == ("M1",)
    assert kinds(r, "device_full") == ["M1"]
    assert [(m.label, m.size) for m in r.final.device("Watch").did_not_fit] == [("M1", 50 * KB)]


def test_pop_device_remembers_only_what_its_last_check_could_not_fit():
    r = play(
        scenario(
            MailArrives(minutes(0), "big", 50 * KB),
            Sync(minutes(1), "Watch"),
            Sync(minutes(2), "Phone"),
            Sync(minutes(3), "Watch"),
            devs=(DeviceSpec("Watch", 20 * KB), DeviceSpec("Phone", 1024 * KB)),
        ),
        PopSettings(),
    )
    after_first = r.steps[2]
    assert after_first.device("Watch").did_not_fit[0].label == "M1"
    assert after_first.device("Phone").did_not_fit == ()
    # The phone downloaded (and deleted) M1; the watch's next check finds nothing too big.
    assert r.final.device("Watch").did_not_fit == () and r.final.device("Watch").messages == ()


def test_offline_device_cannot_check_mail():
    r = play(
        scenario(
            MailArrives(minutes(0), "a", 10 * KB),
            Sync(minutes(1), "Phone"),
            devs=(DeviceSpec("Phone", 1024 * KB, online=False),),
        ),
        PopSettings(),
    )
    assert r.final.device("Phone").messages == () and r.final.server.labels() == ("M1",)
    assert r.final.trace[0].outcome is Outcome.WARN


def test_mixed_clients_pitfall_pop_laptop_empties_the_imap_phone():
    r = play(get_scenario("mixed-clients"))
    before = next(s for s in r.steps if s.title == "Old laptop is back online")
    assert before.device("Phone").labels() == ()
    removed = before.changed("Phone")
    assert {k[1] for k, c in removed.items() if c.kind is ChangeKind.REMOVED} == {"M1", "M2"}
    assert before.device("Old laptop").labels() == ("M1", "M2")
    assert before.device("Old laptop").protocol is Protocol.POP3
    warning = r.final.trace[0]
    assert warning.outcome is Outcome.WARN and "M2 is not in Phone's view" in warning.text


def test_same_scenario_under_both_protocols_differs():
    pop, imap = compare(get_scenario("phone-then-laptop"), clock=clock)
    assert pop.protocol_label.startswith("POP3") and imap.protocol_label == "IMAP4"
    assert pop.final.device("Laptop").labels() != imap.final.device("Laptop").labels()


# -- results, explanations, determinism -------------------------------------------------------------


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


# -- bad input ---------------------------------------------------------------------------------------


def test_contradictory_pop_settings_are_refused():
    with pytest.raises(InputError, match="only apply when a copy is left on the server"):
        PopSettings(remove_after_days=7)
    with pytest.raises(InputError, match="only apply when a copy is left on the server"):
        PopSettings(remove_when_deleted_locally=True)
    with pytest.raises(InputError, match=r"remove_after_days=0 is not a number of days"):
        PopSettings(leave_copy=True, remove_after_days=0)


def test_unknown_device_is_refused_with_the_known_names():
    with pytest.raises(InputError) as info:
        scenario(Sync(minutes(0), "Fridge"))
    assert info.value.message == (
        "Event 1 (Fridge checks for mail) names the device 'Fridge', which is not set up yet: "
        "use one of ['Phone']."
    )


def test_events_out_of_order_are_refused():
    with pytest.raises(InputError, match="list the events in time order"):
        scenario(Sync(minutes(5), "Phone"), Sync(minutes(1), "Phone"))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: scenario(MailArrives(minutes(0), "a", 0)), "give a size above 0"),
        (lambda: scenario(SetQuota(minutes(0), -1)), "the quota -1 is below 0"),
        (lambda: scenario(MoveMessage(minutes(0), "Phone", "M1", "Spam")), "'Spam' does not exist"),
        (lambda: scenario(devs=(DeviceSpec("A", 1), DeviceSpec("A", 2))), "share a name"),
        (
            lambda: scenario(AddDevice(minutes(0), DeviceSpec("Phone", 1))),
            "already one: give the new device another name",
        ),
        (lambda: DeviceSpec(" ", 10), "A device needs a name"),
        (lambda: DeviceSpec("Phone", -1), "give 0 or more"),
        (lambda: scenario(quota=-5), "The quota is -5 bytes"),
        (lambda: get_scenario("holiday"), "no prepared scenario called 'holiday'"),
        (lambda: devices(5, capacity=1), "choose 1 to 4 devices"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(make, match):
    with pytest.raises(InputError, match=match):
        make()


def test_asking_for_an_unknown_device_in_a_step():
    r = play(scenario())
    with pytest.raises(InputError, match="no device called 'Laptop' at step 0"):
        r.final.device("Laptop")


# -- properties over random timelines --------------------------------------------------------------

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
