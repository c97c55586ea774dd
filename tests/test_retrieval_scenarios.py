"""The prepared scenarios tell the stories the notebook and the instructor notes say they tell.

docs/instructors/01-pop3-vs-imap4.md quotes step numbers and outcomes; these tests pin them, so the
notes stay true when the scenarios change.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mailsec.retrieval.model import (
    ARCHIVE,
    INBOX,
    ChangeKind,
    Flag,
    FullMailboxReply,
    ImapSettings,
    PopSettings,
    run,
)
from mailsec.retrieval.scenarios import SCENARIOS, get_scenario

START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def play(key, client, **options):
    return run(get_scenario(key), client=client, clock=lambda: START, **options)


def kinds_by_step(r, kind):
    return [
        (step.number, str(line.data["label"]))
        for step in r.steps
        for line in step.trace
        if line.data.get("kind") == kind
    ]


def test_every_scenario_has_a_title_a_story_and_events():
    for key, scenario in SCENARIOS.items():
        assert scenario.title and scenario.story.endswith(("?", ".", ")")), key
        assert scenario.events, key


def test_phone_then_laptop_under_pop3_the_phone_empties_the_server_at_step_4():
    r = play("phone-then-laptop", PopSettings())
    step = r.steps[4]
    assert step.title == "Phone checks for mail"
    removed = {
        c.label for c in step.changes if c.place == "server" and c.kind is ChangeKind.REMOVED
    }
    assert removed == {"M1", "M2", "M3"}
    assert r.final.device("Phone").labels() == ("M1", "M2")


def test_commute_offline_pending_changes_and_replay_at_step_12():
    r = play("commute-offline", ImapSettings())
    assert [s.title for s in r.steps[6:9]] == [
        "Phone opens M1",
        "Phone deletes M2",
        "Phone moves M3 to Archive",
    ]
    assert r.steps[8].device("Phone").pending == (
        "set \\Seen on M1",
        "delete M2",
        "move M3 to Archive",
    )
    for step in r.steps[6:9]:
        assert step.server == r.steps[5].server
        assert step.device("Laptop") == r.steps[5].device("Laptop")
    assert r.steps[12].title == "Phone is back online"
    laptop_changes = r.steps[12].changed("Laptop")
    assert laptop_changes[(INBOX, "M2")].kind is ChangeKind.REMOVED
    assert laptop_changes[(ARCHIVE, "M3")].kind is ChangeKind.ADDED


def test_commute_offline_under_pop3_the_laptop_only_gets_m4():
    r = play("commute-offline", PopSettings())
    assert r.final.device("Laptop").labels() == ("M4",)
    assert r.final.device("Phone").labels(ARCHIVE) == ("M3",)


def test_mailbox_full_under_imap4_step_by_step():
    r = play("mailbox-full", ImapSettings())
    assert kinds_by_step(r, "refused") == [(4, "M4"), (7, "M5"), (9, "M4"), (10, "M5")]
    assert r.steps[9].title == "Phone deletes M2"
    assert (10, "M4") in kinds_by_step(r, "delivered")
    assert kinds_by_step(r, "bounced") == [(11, "M5")]


def test_mailbox_full_with_552_both_bounce_at_once():
    r = play("mailbox-full", ImapSettings(), full_reply=FullMailboxReply.PERMANENT)
    assert kinds_by_step(r, "bounced") == [(4, "M4"), (7, "M5")]
    assert r.final.server.queue == ()


def test_mailbox_full_with_a_200_kb_quota_nothing_is_refused():
    r = play("mailbox-full", ImapSettings(), quota=200 * 1024)
    assert kinds_by_step(r, "refused") == [] and r.final.server.bounces == ()


def test_mailbox_full_under_pop3_m4_gets_in_on_its_first_retry():
    r = play("mailbox-full", PopSettings())
    assert kinds_by_step(r, "refused") == [(4, "M4")]
    assert (9, "M4") in kinds_by_step(r, "delivered")
    assert r.steps[9].at.strftime("%H:%M") == "08:40"


def test_new_phone_under_each_setting():
    imap = play("new-phone", ImapSettings()).final.device("New phone")
    assert imap.message("M1").read
    assert imap.message("M2").folder == ARCHIVE
    assert Flag.FLAGGED in imap.message("M3").flags
    assert play("new-phone", PopSettings()).final.device("New phone").labels() == ("M4",)
    kept = play("new-phone", PopSettings(leave_copy=True)).final.device("New phone")
    assert kept.labels(INBOX) == ("M1", "M2", "M3", "M4")
    assert not any(m.read for m in kept.messages)


@pytest.mark.parametrize("client", [PopSettings(), ImapSettings()])
def test_mixed_clients_ignore_the_runs_protocol(client):
    """The pitfall scenario names each device's protocol, so the lab's choice does not change it."""
    r = play("mixed-clients", client)
    assert r.final.device("Phone").labels() == ()
    assert r.final.device("Old laptop").labels() == ("M1", "M2")


def test_mailbox_full_when_deleting_only_marks_m4_bounces_too():
    """The notebook's 'Deleted is not gone' pitfall: \\Deleted mail keeps the quota full."""
    r = play("mailbox-full", ImapSettings(expunge_on_delete=False))
    assert r.steps[9].server.folder(INBOX)[1].flags == {Flag.DELETED}
    assert r.steps[9].server.used == r.steps[8].server.used
    assert [b.label for b in r.final.server.bounces] == ["M4", "M5"]


def test_mailbox_full_pop3_leaving_copies_forever_fills_the_mailbox_too():
    """The notebook's 'Leave a copy, forever' pitfall."""
    r = play("mailbox-full", PopSettings(leave_copy=True))
    assert [b.label for b in r.final.server.bounces] == ["M4", "M5"]
    assert r.final.server.labels() == ("M1", "M2", "M3")
