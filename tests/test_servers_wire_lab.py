"""The wire lab driven headless, its renderer and the session transcripts."""

from __future__ import annotations

import gc
import imaplib
import poplib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.labs.frame import Lab
from mailsec.labs.retrieval_wire import NO_QUOTA, WireLab, wire_lab
from mailsec.render.transcript import changes_table, conversation, maildir_table
from mailsec.retrieval.servers import (
    SAMPLE_MESSAGES,
    Change,
    FolderView,
    MailServers,
    MessageView,
    WireAction,
    compare_snapshots,
    reset_mailbox,
    run_wire_action,
)
from mailsec.retrieval.transcript import MASK, MAX_ENTRIES, Protocol, Speaker, TranscriptRecorder


@pytest.fixture
def lab() -> Iterator[WireLab]:
    lab = wire_lab()
    yield lab
    lab.stop()


def run(lab: WireLab, action: WireAction) -> str:
    lab.action_picker.value = action
    lab.run_button.click()
    assert lab.error.value == "", lab.error.value
    return lab.result.value + lab.explanation.value


def inbox_subjects(lab: WireLab) -> list[str]:
    return [m.subject for m in lab.servers.snapshot()[0].messages]


def test_the_lab_starts_with_a_conversation(lab: WireLab) -> None:
    assert isinstance(lab, Lab)
    assert lab.servers.running and lab.servers.host == "127.0.0.1"
    assert "What happened and why" in lab.result.value
    assert 'role="log"' in lab.explanation.value
    assert "C: poplib" in lab.explanation.value and "S: server" in lab.explanation.value
    assert f"POP3 port <code>{lab.servers.pop3_port}</code>" in lab.status.value
    assert inbox_subjects(lab) == ["Lunch on Friday?", "Your receipt", "Photos from the trip"]


def test_dropped_connection_deletes_nothing_but_marks_what_was_read(lab: WireLab) -> None:
    """RFC 1939 §6: no QUIT, no UPDATE state, so nothing is deleted; the retrieved message is
    \\Seen all the same, as Dovecot marks it."""
    html = run(lab, WireAction.POP3_DROP)
    assert "connection dropped" in html
    assert "Without QUIT there is no UPDATE state" in html
    assert html.count("~ flags changed") == 1 and "(none) → \\Seen" in html
    assert "marked \\Seen all the same, as Dovecot does" in html
    assert len(inbox_subjects(lab)) == 3


def test_download_and_delete_empties_the_server(lab: WireLab) -> None:
    html = run(lab, WireAction.POP3_DOWNLOAD_DELETE)
    assert html.count("✗ deleted from the server") == 3
    assert inbox_subjects(lab) == []
    html = run(lab, WireAction.IMAP_LIST)
    assert "INBOX is empty" in html
    lab.reset_button.click()
    assert len(inbox_subjects(lab)) == 3


def test_leave_a_copy_keeps_the_message(lab: WireLab) -> None:
    html = run(lab, WireAction.POP3_KEEP)
    assert "~ flags changed" in html and "(none) → \\Seen" in html
    assert len(inbox_subjects(lab)) == 3


def test_lock_is_shown(lab: WireLab) -> None:
    """RFC 2449 §8.1.2 [IN-USE]."""
    html = run(lab, WireAction.POP3_LOCK)
    assert "-ERR [IN-USE] Mailbox is locked by another POP3 session." in html
    assert html.count('role="log"') == 2


def test_imap_read_state_lives_on_the_server(lab: WireLab) -> None:
    html = run(lab, WireAction.IMAP_READ)
    assert "(none) → \\Seen" in html
    html = run(lab, WireAction.IMAP_TWO_DEVICES)
    assert re.search(
        r"The server told the laptop at once, without being asked: [^<]*\* 1 EXPUNGE", html
    )
    assert "IDLE1 IDLE" in html and "+ idling" in html
    assert "✗ deleted from the server" in html


def test_full_mailbox_refuses_new_mail(lab: WireLab) -> None:
    """RFC 3463 §3.3 / RFC 5321 §4.2.2: 552 5.2.2 for a full mailbox; RFC 9208 quota report."""
    html = run(lab, WireAction.QUOTA_FULL)
    assert "552 5.2.2" in html
    assert "Nothing changed on the server" in html
    lab.quota_picker.value = NO_QUOTA
    assert lab.servers.quota is None
    assert (lab.quota_picker.index, lab.quota_picker.label) == (0, "no quota")  # not a blank menu
    html = run(lab, WireAction.QUOTA_FULL)
    assert "No quota is set, so the newsletter fits." in html
    assert "＋ arrived" in html


def test_own_code_sessions_show_after_refresh(lab: WireLab) -> None:
    client = imaplib.IMAP4(lab.servers.host, lab.servers.imap_port, timeout=5)
    client.login("alice", "secret")
    client.select("INBOX")
    client.logout()
    lab.refresh_button.click()
    assert lab.error.value == ""
    assert "SELECT INBOX" in lab.result.value
    assert "C: imaplib" in lab.result.value


def test_stop_disables_and_explains(lab: WireLab) -> None:
    servers = lab.servers
    lab.stop_button.click()
    assert not servers.running
    assert lab.run_button.disabled
    assert "Servers stopped" in lab.status.value
    lab.action(lab.run_selected)()
    assert "The servers are stopped" in lab.error.value
    with pytest.raises(OSError):
        poplib.POP3(servers.host, servers.pop3_port, timeout=2)


def test_a_lab_without_quota_shows_no_quota_in_its_menu() -> None:
    lab = wire_lab(quota=None)
    try:
        assert lab.servers.quota is None
        assert (lab.quota_picker.index, lab.quota_picker.label) == (0, "no quota")
        assert "Mailbox: no quota." in lab.status.value
    finally:
        lab.close()


def test_closing_the_lab_stops_its_servers() -> None:
    lab = wire_lab()
    servers, folder = lab.servers, Path(lab.folder)
    lab.close()
    del lab
    gc.collect()
    assert not servers.running
    assert not folder.exists()


def test_callbacks_are_timed_for_the_latency_benchmark(lab: WireLab) -> None:
    before = len(lab.timings)
    run(lab, WireAction.IMAP_LIST)
    assert len(lab.timings) == before + 1


def test_conversation_escapes_and_names_the_speakers() -> None:
    recorder = TranscriptRecorder(Protocol.POP3, "127.0.0.1:1")
    recorder.server(b"+OK <script>alert(1)</script>\r\n")
    recorder.client(b"PASS hunter2")
    recorder.end("dropped")
    html = conversation(recorder.freeze())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "hunter2" not in html and MASK in html
    assert "password is hidden" in html
    assert "connection dropped" in html


def test_imap_login_is_masked_also_as_literals() -> None:
    recorder = TranscriptRecorder(Protocol.IMAP, "peer")
    recorder.client(b"a1 LOGIN alice topsecret")
    recorder.client(b"a2 LOGIN {5}")
    recorder.client_literal(b"alice")
    recorder.client(b" {9}")
    recorder.client_literal(b"topsecret")
    recorder.client(b"")
    recorder.client(b"a3 APPEND INBOX {4}")
    recorder.client_literal(b"body")
    text = recorder.freeze().to_text()
    assert "topsecret" not in text
    assert "C: a1 LOGIN alice ••••••" in text
    assert "C: body" in text  # a message literal is not a secret


def test_long_replies_are_shortened() -> None:
    recorder = TranscriptRecorder(Protocol.POP3, "peer")
    recorder.server(b"\r\n".join(b"line %d" % i for i in range(100)) + b"\r\n")
    entry = recorder.freeze().entries[0]
    assert entry.speaker is Speaker.SERVER
    assert entry.text.endswith(f"… (89 more lines; {entry.octets} octets in all)")
    assert entry.octets == sum(len(b"line %d\r\n" % i) for i in range(100))


def test_compare_snapshots() -> None:
    def view(uid: int, flags: frozenset[str] = frozenset()) -> MessageView:
        return MessageView(uid, flags, 10, f"s{uid}", "x@example.org")

    before = (FolderView("INBOX", (view(1), view(2))),)
    after = (
        FolderView("INBOX", (view(2, frozenset({"\\Seen"})), view(3))),
        FolderView("Archive", ()),
    )
    changes = compare_snapshots(before, after)
    assert [(c.uid, c.change) for c in changes] == [
        (1, Change.REMOVED),
        (2, Change.FLAGS),
        (3, Change.ADDED),
    ]
    assert "✗ deleted from the server" in changes_table(changes)
    assert "(empty)" in maildir_table(after)


def test_run_wire_action_needs_running_servers(tmp_path: Path) -> None:
    servers = MailServers(maildir=tmp_path / "M", user="alice", password="secret")
    with pytest.raises(Exception, match="The servers are stopped"):
        run_wire_action(servers, WireAction.POP3_LIST)


#: The actions that need a message in INBOX to show anything.
NEED_MAIL = {
    WireAction.POP3_KEEP,
    WireAction.POP3_DROP,
    WireAction.IMAP_LIST,
    WireAction.IMAP_READ,
    WireAction.IMAP_TWO_DEVICES,
    WireAction.IMAP_DELETE,
}


@pytest.mark.parametrize("empty", [False, True], ids=["samples", "empty"])
@pytest.mark.parametrize("action", list(WireAction), ids=lambda a: a.value)
def test_every_action_runs_and_ends_its_sessions(
    tmp_path: Path, action: WireAction, empty: bool
) -> None:
    """Each action holds one conversation; on an empty INBOX those that need a message say so
    instead of failing, and every session the action opened has ended."""
    with MailServers(maildir=tmp_path / "M", user="alice", password="secret") as servers:
        reset_mailbox(servers, () if empty else SAMPLE_MESSAGES)
        run = run_wire_action(servers, action)
    texts = [step.text for step in run.steps]
    assert run.action is action and texts
    assert not any(text.startswith("The client stopped with an error") for text in texts), texts
    says_empty = any(text.startswith("INBOX is empty") for text in texts)
    assert says_empty == (empty and action in NEED_MAIL), texts
    assert all(t.ended is not None for t in run.transcripts)
    assert (run.delivery is not None) == (action in {WireAction.QUOTA_FULL, WireAction.DELIVER})


def test_transcripts_stay_small_whatever_is_sent() -> None:
    """Bounded memory: a 60 KB line is kept as 200 characters and a count; entries past
    MAX_ENTRIES are only counted."""
    recorder = TranscriptRecorder(Protocol.IMAP, "peer")
    recorder.client(b"a " + b"x" * 60_000)
    recorder.server(b"* " + b"y" * 5_000_000 + b"\r\n")
    text = recorder.freeze().entries
    assert text[0].text == "a " + "x" * 198 + "… (59802 more characters)"
    assert len(text[1].text) < 300 and text[1].octets == 5_000_004
    for _ in range(MAX_ENTRIES + 10):
        recorder.note("n")
    assert len(recorder.freeze().entries) == MAX_ENTRIES
    assert recorder.freeze().left_out == 12
