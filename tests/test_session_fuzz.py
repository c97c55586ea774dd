"""The POP3 and IMAP4 sessions fed command sequences built from their grammars, from the first
line (before login, where literals must stay small) to the commands that change mail (APPEND,
STORE, COPY, MOVE, EXPUNGE, DELE): whatever arrives, nothing raises, no literal before login is
accepted above its bound, and no message is lost except by a command that removes mail."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsec.retrieval.imap import ImapSession, ImapState
from mailsec.retrieval.imap.session import MAX_LITERALS_BEFORE_LOGIN
from mailsec.retrieval.maildir import MailStore
from mailsec.retrieval.pop3 import Pop3Reply, Pop3Session

BODIES = [b"First body", b"Second body", b"Third body"]
FEED_AT_MOST = 100_000
"""Literals longer than this are not sent: the example ends as a dropped connection would."""

PLAIN_RIGHT = base64.b64encode(b"\0alice\0secret")
PLAIN_WRONG = base64.b64encode(b"\0alice\0guess")

sequence_sets = st.sampled_from(["1", "2:3", "1:*", "*", "3,1", "0", "4:9", "x", "1:2:3"])
flags = st.sampled_from(["\\Deleted", "\\Seen", "(\\Deleted \\Seen)", "()", "(\\Bogus", "$Label"])
mailboxes = st.sampled_from(
    ["INBOX", "Archive", '"Old Mail"', "../escape", '"/"', "~root", '"a\\"b"', '""', "inbox", "%"]
)
literal_sizes = st.sampled_from([0, 5, 60, 2_000, 9_000, 70_000, 40 * 1024 * 1024])
literal_marks = st.builds(
    lambda size, plus: b"{%d%s}" % (size, b"+" if plus else b""), literal_sizes, st.booleans()
)


def _imap_command() -> st.SearchStrategy[bytes]:
    text = st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r\n"), max_size=8)
    words: list[st.SearchStrategy[bytes]] = [
        st.just(b"LOGIN alice secret"),
        st.just(b"LOGIN alice guess"),
        st.builds(lambda mark: b"LOGIN alice " + mark, literal_marks),
        st.just(b"AUTHENTICATE PLAIN " + PLAIN_RIGHT),
        st.just(b"AUTHENTICATE PLAIN " + PLAIN_WRONG),
        st.builds(lambda box: f"SELECT {box}".encode(), mailboxes),
        st.builds(lambda box: f"EXAMINE {box}".encode(), mailboxes),
        st.builds(lambda box, mark: f"APPEND {box} ".encode() + mark, mailboxes, literal_marks),
        st.builds(
            lambda box, flag, mark: f"APPEND {box} {flag} ".encode() + mark,
            mailboxes,
            flags,
            literal_marks,
        ),
        st.builds(
            lambda uid, seq, how, flag: f"{uid}STORE {seq} {how} {flag}".encode(),
            st.sampled_from(["", "UID "]),
            sequence_sets,
            st.sampled_from(["+FLAGS", "-FLAGS", "FLAGS", "+FLAGS.SILENT", "FLAGX"]),
            flags,
        ),
        st.builds(
            lambda uid, verb, seq, box: f"{uid}{verb} {seq} {box}".encode(),
            st.sampled_from(["", "UID "]),
            st.sampled_from(["COPY", "MOVE"]),
            sequence_sets,
            mailboxes,
        ),
        st.builds(lambda seq: f"UID EXPUNGE {seq}".encode(), sequence_sets),
        st.builds(lambda box: f"CREATE {box}".encode(), mailboxes),
        st.builds(lambda box: f"DELETE {box}".encode(), mailboxes),
        st.builds(lambda a, b: f"RENAME {a} {b}".encode(), mailboxes, mailboxes),
        st.builds(lambda box: f"STATUS {box} (MESSAGES UIDNEXT)".encode(), mailboxes),
        st.builds(lambda ref, pat: f'LIST "{ref}" {pat}'.encode(), text, mailboxes),
        st.builds(
            lambda seq, item: f"FETCH {seq} {item}".encode(),
            sequence_sets,
            st.sampled_from(
                ["FLAGS", "BODY[]", "BODY.PEEK[HEADER]", "(UID RFC822.SIZE)", "BODY[1"]
            ),
        ),
        st.builds(lambda key: f"SEARCH {key}".encode(), st.sampled_from(["ALL", "DELETED", "X"])),
        st.sampled_from(
            [b"EXPUNGE", b"CLOSE", b"UNSELECT", b"NOOP", b"CHECK", b"IDLE", b"CAPABILITY"]
        ),
        st.binary(max_size=40).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
    ]
    tags = st.sampled_from([b"a ", b"b1 ", b"* ", b"", b"+ "])
    return st.builds(lambda tag, words: tag + words, tags, st.one_of(words))


#: Commands that may remove a message from the Maildir (MOVE takes it elsewhere, which counts).
REMOVES = (b"EXPUNGE", b"CLOSE", b"DELETE", b"RENAME", b"MOVE")


def _bodies_on_disk(root: Path) -> int:
    """How many of the three messages still exist in some folder of the Maildir."""
    found = set()
    for path in root.rglob("*"):
        if path.is_file() and path.parent.name in {"cur", "new"}:
            data = path.read_bytes()
            found.update(body for body in BODIES if body in data)
    return len(found)


def _store(tmp_path: Path) -> MailStore:
    store = MailStore(tmp_path / "Maildir", quota=1_000_000)
    for n, body in enumerate(BODIES):
        assert store.deliver(b"Subject: %d\n\n%s\n" % (n, body)).accepted
    return store


def _imap_run(session: ImapSession, line: bytes) -> bool:
    """Feed one line and every literal it asks for; False when the connection would end."""
    result = session.feed(line)
    while result.literal is not None:
        if session.state is ImapState.NOT_AUTHENTICATED:
            assert result.literal <= MAX_LITERALS_BEFORE_LOGIN, line
        if result.literal > FEED_AT_MOST:
            return False
        session.feed_literal(b"x" * result.literal)
        result = session.feed(b"")
    return not result.close


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(
    st.sampled_from([(), (b"a LOGIN alice secret",), (b"a LOGIN alice secret", b"b SELECT INBOX")]),
    st.lists(_imap_command(), max_size=25),
)
def test_imap_sessions_answer_everything_and_lose_nothing(
    tmp_path_factory: pytest.TempPathFactory, start: tuple[bytes, ...], lines: list[bytes]
) -> None:
    """Every example starts before login, after it, or with INBOX selected."""
    store = _store(tmp_path_factory.mktemp("imap"))
    session = ImapSession(store, user="alice", password="secret")
    removing = False
    for line in (*start, *lines):
        removing = removing or any(word in line.upper() for word in REMOVES)
        if not _imap_run(session, line):
            break
        assert session.internal_errors == 0, line
    session.connection_lost()
    if not removing:
        assert _bodies_on_disk(store.root) == len(BODIES)


def _pop3_command() -> st.SearchStrategy[bytes]:
    numbers = st.sampled_from(["1", "2", "3", "4", "0", "-1", "x", "99999999999999999999", ""])
    return st.one_of(
        st.sampled_from(
            [
                b"USER alice",
                b"USER bob",
                b"PASS secret",
                b"PASS guess",
                b"AUTH PLAIN " + PLAIN_RIGHT,
                b"AUTH PLAIN " + PLAIN_WRONG,
                b"AUTH PLAIN",
                b"*",
                b"STAT",
                b"RSET",
                b"NOOP",
                b"CAPA",
                b"UIDL",
                b"LIST",
                b"QUIT",
            ]
        ),
        st.builds(
            lambda verb, n: f"{verb} {n}".encode(),
            st.sampled_from(["LIST", "RETR", "DELE", "UIDL"]),
            numbers,
        ),
        st.builds(lambda n, m: f"TOP {n} {m}".encode(), numbers, numbers),
        st.binary(max_size=40).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
    )


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(
    st.sampled_from([(), (b"USER alice", b"PASS secret")]),
    st.lists(_pop3_command(), max_size=25),
)
def test_pop3_sessions_answer_everything_and_delete_only_on_quit(
    tmp_path_factory: pytest.TempPathFactory, start: tuple[bytes, ...], lines: list[bytes]
) -> None:
    """Every example starts before login or after it."""
    store = _store(tmp_path_factory.mktemp("pop3"))
    session = Pop3Session(store, user="alice", password="secret")
    quit_sent = False
    for line in (*start, *lines):
        reply = session.handle(line)
        assert isinstance(reply, Pop3Reply)
        quit_sent = quit_sent or line.upper().startswith(b"QUIT")
        if reply.close:
            break
    session.connection_lost()
    assert not store.pop3_locked  # the lock goes with the connection
    if not quit_sent:
        assert _bodies_on_disk(store.root) == len(BODIES)
