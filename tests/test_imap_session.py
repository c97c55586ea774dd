"""The IMAP4rev1 state machine without sockets (RFC 3501): parsing, literals, states, updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsec.retrieval.imap import (
    MAX_BAD_COMMANDS,
    ImapResult,
    ImapSession,
    ImapState,
    parse_sequence_set,
)
from mailsec.retrieval.maildir import MailStore

MESSAGES = [
    b"From: ann@example.org\nSubject: one\n\nFirst body\n",
    b"From: bob@example.org\nSubject: two\n\nSecond\n",
    b"From: cy@example.org\nSubject: three\n\nThird\n",
]


@pytest.fixture
def store(tmp_path: Path) -> MailStore:
    store = MailStore(tmp_path / "Maildir", quota=10_000)
    for data in MESSAGES:
        assert store.deliver(data).accepted
    return store


def new(store: MailStore) -> ImapSession:
    return ImapSession(store, user="alice", password="secret")


def run(s: ImapSession, line: bytes) -> list[bytes]:
    result = s.feed(line)
    assert result.literal is None
    return list(result.responses)


def selected(store: MailStore) -> ImapSession:
    s = new(store)
    assert run(s, b"a LOGIN alice secret")[-1].startswith(b"a OK")
    assert run(s, b"b SELECT INBOX")[-1] == b"b OK [READ-WRITE] Select completed.\r\n"
    return s


def test_sequence_sets_rfc3501_section9() -> None:
    """RFC 3501 §9 sequence-set: numbers, ranges in either order, '*', comma lists."""
    assert parse_sequence_set("1:3,5", 9) == [1, 2, 3, 5]
    assert parse_sequence_set("4:2", 9) == [2, 3, 4]
    assert parse_sequence_set("7:*", 9) == [7, 8, 9]
    assert parse_sequence_set("*", 4) == [4]
    for bad in ("", "0", "1:", "a", "1,,2", "1:2:3", "01"):
        assert parse_sequence_set(bad, 9) is None


def test_greeting_and_states(store: MailStore) -> None:
    """RFC 3501 §3: not authenticated -> authenticated -> selected -> logout."""
    s = new(store)
    assert s.greeting().startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    assert s.state is ImapState.NOT_AUTHENTICATED
    run(s, b"a LOGIN alice secret")
    assert s.state is ImapState.AUTHENTICATED
    run(s, b"b SELECT INBOX")
    assert s.state is ImapState.SELECTED
    out = s.feed(b"c LOGOUT")
    assert out.close and out.responses == (b"* BYE Logging out\r\n", b"c OK Logout completed.\r\n")
    assert s.state is ImapState.LOGOUT


def test_wrong_state_is_bad(store: MailStore) -> None:
    """RFC 3501 §6: commands valid only in other states get BAD (texts as Dovecot's)."""
    s = new(store)
    assert run(s, b"a SELECT INBOX") == [b"a BAD Error in IMAP command received by server.\r\n"]
    run(s, b"b LOGIN alice secret")
    assert run(s, b"c FETCH 1 FLAGS") == [b"c BAD No mailbox selected.\r\n"]
    assert run(s, b"d LOGIN alice secret") == [
        b"d BAD Error in IMAP command LOGIN: Unknown command.\r\n"
    ]


def test_wrong_password(store: MailStore) -> None:
    """RFC 5530 §3 AUTHENTICATIONFAILED."""
    s = new(store)
    assert run(s, b"a LOGIN alice nope") == [
        b"a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
    ]
    assert s.state is ImapState.NOT_AUTHENTICATED


def test_synchronising_literal_for_login(store: MailStore) -> None:
    """RFC 3501 §4.3: a literal {n} needs a continuation request before the client sends it."""
    s = new(store)
    assert s.feed(b"a LOGIN {5}") == ImapResult(literal=5, continuation=True)
    s.feed_literal(b"alice")
    assert s.feed(b" {6+}") == ImapResult(literal=6, continuation=False)
    s.feed_literal(b"secret")
    assert s.feed(b"").responses[-1].startswith(b"a OK")


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        (b"a APPEND INBOX {abc}", b"a BAD Error in IMAP command APPEND: Invalid literal size.\r\n"),
        (b"a APPEND INBOX {}", b"a BAD Error in IMAP command APPEND: Invalid literal size.\r\n"),
        (b"a LOGIN {99999999}", b"a BAD Error in IMAP command LOGIN: Literal too large.\r\n"),
        (b'a SELECT "INBOX', b"a BAD Error in IMAP command SELECT: Missing '\"'.\r\n"),
        (b"a STATUS INBOX (MESSAGES", b"a BAD Error in IMAP command STATUS: Missing ')'.\r\n"),
        (b"a FOO", b"a BAD Error in IMAP command FOO: Unknown command.\r\n"),
        (b"a", b"a BAD Error in IMAP command: Invalid command name.\r\n"),
    ],
)
def test_syntax_errors_are_bad(store: MailStore, line: bytes, reply: bytes) -> None:
    """RFC 3501 §7.1.3: BAD for a command that cannot be parsed; the session goes on."""
    s = new(store)
    run(s, b"x LOGIN alice secret")
    assert s.feed(line).responses == (reply,)
    assert run(s, b"y NOOP") == [b"y OK NOOP completed.\r\n"]


def test_append_over_quota_is_refused_before_the_literal(store: MailStore) -> None:
    """RFC 9208 §4.3.1 OVERQUOTA; refused before the client sends the message (as Dovecot)."""
    s = new(store)
    run(s, b"a LOGIN alice secret")
    result = s.feed(b"b APPEND INBOX {20000}")
    assert result.responses == (b"b NO [OVERQUOTA] Quota exceeded (mailbox for user is full).\r\n",)
    assert result.literal is None


def test_fetch_out_of_range_is_bad(store: MailStore) -> None:
    """A message number beyond EXISTS is BAD (Dovecot's choice; RFC 3501 §9 seq-number)."""
    s = selected(store)
    assert run(s, b"c FETCH 4 FLAGS") == [
        b"c BAD Error in IMAP command FETCH: Invalid messageset.\r\n"
    ]
    assert run(s, b"c FETCH 0 FLAGS") == [
        b"c BAD Error in IMAP command FETCH: Invalid messageset.\r\n"
    ]


def test_other_sessions_changes_arrive_as_untagged_responses(store: MailStore) -> None:
    """RFC 3501 §7.4.1 and §5.2: another session's expunge and flag change are reported,
    but EXPUNGE is held back while answering FETCH, STORE or SEARCH."""
    a, b = selected(store), selected(store)
    run(a, b"s STORE 2 +FLAGS (\\Seen)")
    assert run(b, b"n NOOP") == [b"* 2 FETCH (FLAGS (\\Seen))\r\n", b"n OK NOOP completed.\r\n"]
    run(a, b"s STORE 1 +FLAGS.SILENT (\\Deleted)")
    run(a, b"e EXPUNGE")
    fetch = run(b, b"f FETCH 1:* (UID)")
    assert not any(b"EXPUNGE" in line for line in fetch)
    assert fetch[0].startswith(b"* 1 FETCH") is False  # message 1 is gone, its number is held
    assert fetch[-1] == b"f NO Some of the requested messages no longer exist.\r\n"
    assert run(b, b"n NOOP")[0] == b"* 1 EXPUNGE\r\n"
    store.deliver(b"Subject: four\n\nnew\n")
    assert run(b, b"n NOOP")[:1] == [b"* 3 EXISTS\r\n"]


def test_too_many_bad_commands_says_bye(store: MailStore) -> None:
    s = new(store)
    results = [s.feed(b"a BLAH") for _ in range(MAX_BAD_COMMANDS + 1)]
    assert results[-1].close
    assert results[-1].responses[-1] == b"* BYE Too many invalid IMAP commands.\r\n"


def test_bodystructure_of_a_plain_message(store: MailStore) -> None:
    """RFC 3501 §7.4.2: a text part has type, subtype, parameters, id, description, encoding,
    size and lines; defaults text/plain; charset=us-ascii and 7bit (RFC 2045 §5.2, §6.1)."""
    s = selected(store)
    reply = run(s, b"f FETCH 1 (BODYSTRUCTURE ENVELOPE)")
    assert reply[0] == (
        b'* 1 FETCH (BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1 '
        b'NIL NIL NIL NIL) ENVELOPE (NIL "one" ((NIL NIL "ann" "example.org")) '
        b'((NIL NIL "ann" "example.org")) ((NIL NIL "ann" "example.org")) NIL NIL NIL NIL NIL))\r\n'
    )


def test_deeply_nested_multiparts_are_bounded(store: MailStore) -> None:
    """A message nesting multiparts a hundred deep is answered (the parser stops at
    MAX_MIME_DEPTH levels), without exhausting the stack."""
    body = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(100)
    )
    s = selected(store)
    s.feed(b"a APPEND INBOX {%d+}" % (len(body) + 20))
    s.feed_literal(b"Subject: bomb\r\n" + body + b"x" * 5)
    assert s.feed(b"").responses[-1].startswith(b"a OK")
    result = run(s, b"b FETCH 4 (BODYSTRUCTURE BODY.PEEK[1.1.1.1])")
    assert result[-1] == b"b OK Fetch completed.\r\n"
    assert s.internal_errors == 0


@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    st.binary(min_size=1, max_size=400),
    st.sampled_from(["BODYSTRUCTURE", "ENVELOPE", "BODY.PEEK[1.MIME]", "BODY.PEEK[2.1]"]),
)
def test_any_message_gets_a_structure(store: MailStore, message: bytes, item: str) -> None:
    """Whatever bytes a message holds, FETCH of its structure answers OK."""
    s = selected(store)
    s.feed(b"a APPEND INBOX {%d+}" % len(message))
    s.feed_literal(message)
    assert s.feed(b"").responses[-1].startswith(b"a OK")
    result = run(s, b"b FETCH * (%s)" % item.encode())
    assert result[-1] == b"b OK Fetch completed.\r\n"
    assert s.internal_errors == 0
    s.connection_lost()
    store.inbox.expunge([max(store.inbox.messages)])


def test_huge_sets_and_deep_nesting_cost_nothing(store: MailStore) -> None:
    """Bounded work: a set naming four billion messages and a search nested 10,000 deep are
    answered at once, without building them."""
    s = selected(store)
    assert run(s, b"a FETCH 1:4000000000 FLAGS") == [
        b"a BAD Error in IMAP command FETCH: Invalid messageset.\r\n"
    ]
    assert run(s, b"b SEARCH 1:4000000000")[0] == b"* SEARCH 1 2 3\r\n"
    assert run(s, b"c UID SEARCH UID 1:4000000000")[0] == b"* SEARCH 1 2 3\r\n"
    deep = b"(" * 10_000 + b"ALL" + b")" * 10_000
    assert run(s, b"d SEARCH " + deep) == [
        b"d BAD Error in IMAP command SEARCH: Too deeply nested parentheses.\r\n"
    ]
    assert s.internal_errors == 0


def test_date_search_keys(store: MailStore) -> None:
    """RFC 3501 §6.4.4 BEFORE/ON/SINCE (internal date) and SENT* (the Date: header)."""
    s = selected(store)
    s.feed(b'a APPEND INBOX "05-Mar-2021 10:00:00 +0000" {47+}')
    s.feed_literal(b"Date: Fri, 05 Mar 2021 23:30:00 -0500\r\nSubject: old\r\n\r\nx")
    s.feed(b"")
    run(s, b"n NOOP")
    assert run(s, b"b SEARCH ON 5-Mar-2021")[0] == b"* SEARCH 4\r\n"
    assert run(s, b"c SEARCH BEFORE 6-Mar-2021")[0] == b"* SEARCH 4\r\n"
    assert run(s, b"d SEARCH SINCE 6-Mar-2021")[0] == b"* SEARCH 1 2 3\r\n"
    assert run(s, b"e SEARCH SENTON 5-Mar-2021")[0] == b"* SEARCH 4\r\n"
    assert (
        run(s, b"f SEARCH SENTSINCE 1-Jan-2000")[0] == b"* SEARCH 4\r\n"
    )  # the others have no Date:
    assert run(s, b"g SEARCH ON 5-Mars-2021") == [
        b"g BAD Error in IMAP command SEARCH: Invalid search date parameter: 5-Mars-2021.\r\n"
    ]


def test_a_selected_folder_deleted_or_renamed_by_another_session(store: MailStore) -> None:
    """RFC 3501 §6.3.4-6.3.5: another session deletes or renames the folder this one has open;
    this one is told of the removals, or goes on in the renamed folder, without faults."""
    a, b = new(store), new(store)
    run(a, b"x LOGIN alice secret")
    run(b, b"x LOGIN alice secret")
    run(b, b"c CREATE Archive")
    run(b, b"d SELECT INBOX")
    run(b, b"e COPY 1:2 Archive")
    assert run(a, b"f SELECT Archive")[-1] == b"f OK [READ-WRITE] Select completed.\r\n"
    assert run(b, b"g DELETE Archive") == [b"g OK Delete completed.\r\n"]
    assert run(a, b"h NOOP") == [
        b"* 2 EXPUNGE\r\n",
        b"* 1 EXPUNGE\r\n",
        b"* 0 RECENT\r\n",
        b"h OK NOOP completed.\r\n",
    ]
    run(b, b"i CREATE Old")
    run(b, b"j COPY 3 Old")
    run(a, b"k SELECT Old")
    assert run(b, b"l RENAME Old New") == [b"l OK Rename completed.\r\n"]
    assert run(a, b"m STORE 1 +FLAGS (\\Flagged)")[-1] == b"m OK Store completed.\r\n"
    assert "\\Flagged" in store.folder("New").messages[1].flags
    assert not store.exists("Old")
    assert a.internal_errors == b.internal_errors == 0


def test_move(store: MailStore) -> None:
    """RFC 6851 §3.3: MOVE copies, expunges the originals and reports COPYUID first; another
    session sees the expunge; a read-only (EXAMINEd) mailbox refuses."""
    a, b = selected(store), selected(store)
    run(a, b"c CREATE Trash")
    reply = run(a, b"d MOVE 1:2 Trash")
    assert reply[0].startswith(b"* OK [COPYUID ") and reply[0].endswith(
        b" 1:2 1:2] Moved UIDs.\r\n"
    )
    assert reply[1:3] == [b"* 2 EXPUNGE\r\n", b"* 1 EXPUNGE\r\n"]
    assert reply[-1] == b"d OK Move completed.\r\n"
    assert sorted(store.folder("Trash").messages) == [1, 2]
    assert run(b, b"e NOOP")[:2] == [b"* 2 EXPUNGE\r\n", b"* 1 EXPUNGE\r\n"]
    run(b, b"f EXAMINE Trash")
    assert run(b, b"g MOVE 1 INBOX") == [b"g NO Mailbox is read-only.\r\n"]
    assert len(store.inbox.messages) == 1 and len(store.folder("Trash").messages) == 2
