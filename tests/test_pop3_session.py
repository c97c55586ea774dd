"""The POP3 state machine without sockets (RFC 1939, RFC 2449): states, lock, UPDATE rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsec.retrieval.maildir import MailStore
from mailsec.retrieval.pop3 import MAX_BAD_COMMANDS, Pop3Reply, Pop3Session, Pop3State

MESSAGES = [
    b"From: ann@example.org\nSubject: one\n\nFirst body\n.leading dot\n",
    b"From: bob@example.org\nSubject: two\n\nSecond\nbody\n",
    b"From: cy@example.org\nSubject: three\n\nThird\n",
]


@pytest.fixture
def store(tmp_path: Path) -> MailStore:
    store = MailStore(tmp_path / "Maildir")
    for data in MESSAGES:
        assert store.deliver(data).accepted
    return store


def session(store: MailStore) -> Pop3Session:
    return Pop3Session(store, user="alice", password="secret")


def login(store: MailStore) -> Pop3Session:
    s = session(store)
    assert s.handle(b"USER alice").ok
    assert s.handle(b"PASS secret") == Pop3Reply(True, "Logged in.")
    return s


def files(store: MailStore) -> int:
    return sum(len(list((store.root / d).iterdir())) for d in ("new", "cur"))


def test_states_follow_rfc1939_section3(store: MailStore) -> None:
    """RFC 1939 §3: AUTHORIZATION, then TRANSACTION after PASS, UPDATE on QUIT."""
    s = session(store)
    assert s.state is Pop3State.AUTHORIZATION
    assert s.greeting().ok
    s.handle(b"USER alice")
    s.handle(b"PASS secret")
    assert s.state is Pop3State.TRANSACTION
    reply = s.handle(b"QUIT")
    assert reply.ok and reply.close
    assert s.state is Pop3State.CLOSED


def test_commands_before_login_are_refused(store: MailStore) -> None:
    """RFC 1939 §4: only USER/PASS/QUIT (and CAPA, RFC 2449 §5) in AUTHORIZATION."""
    s = session(store)
    for command in (b"STAT", b"LIST", b"RETR 1", b"DELE 1"):
        assert s.handle(command) == Pop3Reply(False, "Unknown command.")
    assert s.state is Pop3State.AUTHORIZATION


def test_pass_without_user(store: MailStore) -> None:
    assert session(store).handle(b"PASS secret") == Pop3Reply(False, "No username given.")


def test_wrong_password_gets_auth_code_and_stays(store: MailStore) -> None:
    """RFC 2449 §8 response codes; RFC 3206 [AUTH]: credentials were wrong."""
    s = session(store)
    s.handle(b"USER alice")
    assert s.handle(b"PASS wrong") == Pop3Reply(False, "[AUTH] Authentication failed.")
    assert s.state is Pop3State.AUTHORIZATION
    s.handle(b"USER alice")
    assert s.handle(b"PASS secret").ok


def test_stat_and_list_count_crlf_octets(store: MailStore) -> None:
    """RFC 1939 §5: sizes are octets as sent, with CRLF line ends."""
    s = login(store)
    sizes = [len(m.replace(b"\n", b"\r\n")) for m in MESSAGES]
    assert s.handle(b"STAT").text == f"3 {sum(sizes)}"
    assert s.handle(b"LIST").lines == tuple(f"{i} {n}".encode() for i, n in enumerate(sizes, 1))
    assert s.handle(b"LIST 2").text == f"2 {sizes[1]}"


def test_retr_is_dot_stuffed_on_the_wire(store: MailStore) -> None:
    """RFC 1939 §3: a line starting with '.' is sent with the dot doubled."""
    s = login(store)
    reply = s.handle(b"RETR 1")
    assert reply.lines is not None and b".leading dot" in reply.lines
    assert b"\r\n..leading dot\r\n" in reply.to_wire()
    assert reply.to_wire().endswith(b"\r\n.\r\n")


def test_dele_marks_only_and_quit_removes(store: MailStore) -> None:
    """RFC 1939 §6: marked messages are removed in the UPDATE state, after QUIT."""
    s = login(store)
    assert s.handle(b"DELE 2") == Pop3Reply(True, "Marked to be deleted.")
    assert files(store) == 3
    assert s.handle(b"RETR 2") == Pop3Reply(False, "Message is deleted.")
    assert s.handle(b"STAT").text.startswith("2 ")
    assert s.handle(b"QUIT").text == "Logging out, messages deleted."
    assert files(store) == 2


def test_connection_lost_deletes_nothing_and_releases_lock(store: MailStore) -> None:
    """RFC 1939 §6: without QUIT there is no UPDATE state, so nothing is deleted."""
    s = login(store)
    s.handle(b"DELE 1")
    s.handle(b"DELE 2")
    s.connection_lost()
    assert files(store) == 3
    assert "alice" not in store.pop3_locked
    assert login(store).handle(b"STAT").text.startswith("3 ")


def test_rset_unmarks(store: MailStore) -> None:
    """RFC 1939 §5 RSET: every message marked as deleted is unmarked."""
    s = login(store)
    s.handle(b"DELE 1")
    assert s.handle(b"RSET").ok
    s.handle(b"QUIT")
    assert files(store) == 3


def test_maildrop_lock(store: MailStore) -> None:
    """RFC 1939 §8 and RFC 2449 §8.1.2: a second session for the maildrop gets [IN-USE]."""
    first = login(store)
    second = session(store)
    second.handle(b"USER alice")
    reply = second.handle(b"PASS secret")
    assert reply == Pop3Reply(
        False, "[IN-USE] Mailbox is locked by another POP3 session.", close=True
    )
    first.handle(b"QUIT")
    assert login(store).state is Pop3State.TRANSACTION


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (b"RETR 9", "There's no message 9."),
        (b"RETR 0", "There's no message 0."),
        (b"LIST x", "Invalid message number: x"),
        (b"DELE -1", "Invalid message number: -1"),
        (b"LIST 99999999999999999999", "Message number too large: 99999999999999999999"),
        (b"LIST 1 2", "Noise after message number:  2"),
        (b"TOP 1 x", "Invalid size: x"),
        (b"RETR", "Invalid message number: "),
        (b"FOO", "Unknown command: FOO"),
        (b"USER alice", "Unknown command: USER"),
    ],
)
def test_bad_arguments_get_err_and_session_goes_on(
    store: MailStore, command: bytes, text: str
) -> None:
    """RFC 1939 §5/§7: a bad message number is an -ERR; texts are Dovecot's."""
    s = login(store)
    assert s.handle(command) == Pop3Reply(False, text)
    assert s.handle(b"NOOP").ok


def test_top_sends_header_and_n_body_lines(store: MailStore) -> None:
    """RFC 1939 §7 TOP msg n: the header, the blank line and n lines of the body."""
    s = login(store)
    assert s.handle(b"TOP 2 0").lines == (b"From: bob@example.org", b"Subject: two", b"")
    assert s.handle(b"TOP 2 1").lines == (b"From: bob@example.org", b"Subject: two", b"", b"Second")


def test_uidl_is_uid_and_uidvalidity(store: MailStore) -> None:
    """RFC 1939 §7 UIDL, in Dovecot's default format %08Xu%08Xv."""
    s = login(store)
    validity = store.inbox.uidvalidity
    assert s.handle(b"UIDL 3").text == f"3 00000003{validity:08x}"


def test_retrieved_messages_become_seen_at_quit_only(store: MailStore) -> None:
    s = login(store)
    s.handle(b"RETR 1")
    assert all(not m.flags for m in store.inbox.messages.values())
    s.handle(b"QUIT")
    flags = [sorted(m.flags) for m in store.inbox.messages.values()]
    assert flags == [["\\Seen"], [], []]


def test_rset_also_forgets_retrieval(store: MailStore) -> None:
    """As Dovecot: after RSET, messages retrieved before it do not become \\Seen."""
    s = login(store)
    s.handle(b"RETR 1")
    s.handle(b"RSET")
    s.handle(b"RETR 2")
    s.handle(b"QUIT")
    assert [sorted(m.flags) for m in store.inbox.messages.values()] == [[], ["\\Seen"], []]


def test_too_many_bad_commands_closes(store: MailStore) -> None:
    s = login(store)
    replies = [s.handle(b"XYZZY") for _ in range(MAX_BAD_COMMANDS + 1)]
    assert replies[-1] == Pop3Reply(False, "Too many bad commands.", close=True)
    assert s.state is Pop3State.CLOSED
    assert "alice" not in store.pop3_locked


@settings(
    max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(st.lists(st.binary(max_size=40), max_size=20))
def test_any_input_never_raises_and_never_deletes(store: MailStore, lines: list[bytes]) -> None:
    """Whatever arrives, each line gets one reply and no message is lost without QUIT."""
    s = login(store)
    for line in lines:
        if b"QUIT" in line.upper():
            continue
        reply = s.handle(line.replace(b"\r", b"").replace(b"\n", b""))
        assert isinstance(reply, Pop3Reply)
        if reply.close:
            break
    s.connection_lost()
    assert files(store) == 3
