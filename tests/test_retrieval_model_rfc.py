"""The RFC rules the mailbox model follows: the full-mailbox replies and retries of SMTP (RFC 5321,
RFC 3463, RFC 3464), POP3's UIDL, UPDATE state and maildrop (RFC 1939), IMAP4's flags, EXPUNGE,
MOVE, quota and offline replay (RFC 3501, RFC 6851, RFC 9208, RFC 4549), and what devices that are
full, offline or on different protocols see.
"""

from __future__ import annotations

from datetime import timedelta

from retrieval_timelines import KB, START, clock, kinds, minutes, play, scenario

from mailsec.retrieval.model import (
    ARCHIVE,
    GIVE_UP_AFTER,
    INBOX,
    UIDVALIDITY,
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
    SetQuota,
    Sync,
    TimePasses,
)
from mailsec.retrieval.scenarios import compare, get_scenario
from mailsec.trace import Outcome


def trace_texts(r: Run) -> list[str]:
    return [s.text for step in r.steps for s in step.trace]


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
