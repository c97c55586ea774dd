"""POP3 and IMAP sessions side by side with Dovecot: one scripted POP3 session (RFC 1939, RFC 2449)
and one scripted IMAP session (RFC 3501, RFC 9208) sent to our servers and to Dovecot over the same
three messages, and logins with SASL PLAIN (RFC 4616) through IMAP AUTHENTICATE and POP3 AUTH, must
get the same replies, texts included.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from dovecot_wire import MESSAGES, QUOTA, Wire, needs_dovecot, normalise

from mailsec.retrieval.servers import DovecotServers, MailServers

pytestmark = [pytest.mark.interop, pytest.mark.slow, needs_dovecot]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MailServers, DovecotServers]]:
    ours = MailServers(
        maildir=tmp_path_factory.mktemp("ours") / "Maildir",
        user="alice",
        password="secret",
        quota=QUOTA,
    )
    with (
        ours,
        DovecotServers(user="alice", password="secret", quota=QUOTA, messages=MESSAGES) as dovecot,
    ):
        for data in MESSAGES:
            ours.deliver(data)
        yield ours, dovecot


def pop3_script(port: int) -> list[str]:
    wire = Wire(port)
    replies: list[bytes] = []
    for line, multi in [
        (b"STAT", False),
        (b"USER alice", False),
        (b"PASS wrong", False),
        (b"USER alice", False),
        (b"PASS secret", False),
        (b"STAT", False),
        (b"LIST", True),
        (b"LIST 2", False),
        (b"LIST 9", False),
        (b"LIST x", False),
        (b"LIST 0", False),
        (b"LIST 1 2", False),
        (b"LIST 99999999999999999999", False),
        (b"UIDL", True),
        (b"UIDL 2", False),
        (b"TOP 1 0", True),
        (b"TOP 2 1", True),
        (b"TOP 1 x", False),
        (b"RETR 1", True),
        (b"DELE 1", False),
        (b"DELE 1", False),
        (b"RETR 1", False),
        (b"LIST 1", False),
        (b"STAT", False),
        (b"RSET", False),
        (b"STAT", False),
        (b"NOOP", False),
        (b"CAPA", True),
        (b"FOO", False),
        (b"USER alice", False),
    ]:
        replies.extend(wire.pop3(line, multi=multi))
    second = Wire(port)
    # Dovecot waits about 13 s for the lock before it answers [IN-USE]; ours answers at once
    # (a deliberate difference: the lab shows the answer without a pause).
    second.sock.settimeout(60)
    second.pop3(b"USER alice")
    replies.extend(second.pop3(b"PASS secret"))
    second.close()
    replies.extend(wire.pop3(b"QUIT"))
    wire.close()
    return normalise(replies)


def imap_script(port: int) -> list[str]:
    wire = Wire(port)
    replies: list[bytes] = []
    for line in [
        b"a1 SELECT INBOX",
        b"a2 FOO",
        b"a3 LOGIN alice wrong",
        b"a4 LOGIN alice secret",
        b"a5 FETCH 1 FLAGS",
        b"a6 STATUS INBOX (MESSAGES UNSEEN UIDNEXT)",
        b"a7 SELECT Nope",
        b"a8 SELECT INBOX",
        b"a9 FETCH 1:* (FLAGS UID RFC822.SIZE)",
        b"b1 FETCH 1 BODY.PEEK[HEADER]",
        b"b2 FETCH 2 BODY[]",
        b"b3 FETCH 3 (BODY.PEEK[]<0.10>)",
        b"b4 FETCH 3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
        b"b5 STORE 1 +FLAGS (\\Deleted)",
        b"b6 STORE 1 -FLAGS.SILENT (\\Deleted)",
        b"b7 STORE 3 FLAGS (\\Flagged \\Seen)",
        b"b8 SEARCH UNSEEN",
        b"b9 SEARCH SEEN",
        b"c1 UID SEARCH UID 2:*",
        b"c2 SEARCH NOT SEEN",
        b"c21 SEARCH SINCE 1-Jan-2020",
        b"c22 SEARCH BEFORE 1-Jan-2020",
        b"c23 SEARCH ON 31-Feb-2020",
        b"c24 SEARCH OR SMALLER 60 LARGER 100",
        b"c25 SEARCH SUBJECT two",
        b"c26 SEARCH FROM example.org UNDELETED",
        b"c3 FETCH 9 FLAGS",
        b"c4 FETCH x FLAGS",
        b"c5 FETCH 1 (FOO)",
        b"c6 STORE 1 FLAGS (\\Foo)",
        b"c7 SEARCH FOO",
        b"c8 COPY 1 Nope",
        b"c9 CREATE Archive",
        b"d1 CREATE Archive",
        b"d2 COPY 1:2 Archive",
        b"d3 STATUS Archive (MESSAGES UIDNEXT UNSEEN)",
        b"d4 GETQUOTAROOT INBOX",
        b"d5 GETQUOTA nope",
        b'd6 SETQUOTA "User quota" (STORAGE 10)',
        b"d7 UID FETCH 1:* (FLAGS)",
        b"d8 UID FETCH 99 FLAGS",
        b"d9 STORE 1:2 +FLAGS.SILENT (\\Deleted)",
        b"e1 EXPUNGE",
        b"e2 FETCH 1:* (UID)",
        b"e3 EXAMINE Archive",
        b"e4 STORE 1 +FLAGS (\\Deleted)",
        b"e5 CLOSE",
        b"e6 FETCH 1 FLAGS",
        b"e7 NOOP",
        b"e8 LOGOUT",
    ]:
        replies.extend(wire.imap(line))
    wire.close()
    return [
        line
        for line in normalise(replies)
        # Capability lists differ by design (Dovecot has many more extensions), and so does
        # PERMANENTFLAGS (Dovecot also stores keywords, \*).
        if "CAPABILITY" not in line and "PERMANENTFLAGS" not in line
    ]


def test_pop3_replies_match_dovecot(both: tuple[MailServers, DovecotServers]) -> None:
    """RFC 1939 and RFC 2449 replies, texts included, as Dovecot 2.3 gives them."""
    ours, dovecot = both
    assert pop3_script(ours.pop3_port) == pop3_script(dovecot.pop3_port)


def test_imap_replies_match_dovecot(both: tuple[MailServers, DovecotServers]) -> None:
    """RFC 3501 and RFC 9208 replies for the subset we build, as Dovecot 2.3 gives them."""
    ours, dovecot = both
    mine, theirs = imap_script(ours.imap_port), imap_script(dovecot.imap_port)
    assert mine == theirs


def test_sasl_plain_matches_dovecot(tmp_path: Path) -> None:
    """RFC 3501 §6.2.2 AUTHENTICATE and RFC 5034 AUTH with SASL PLAIN (RFC 4616): unknown
    mechanism, bad base64, cancelled, wrong and right credentials, as Dovecot answers them."""
    ok = base64.b64encode(b"\0alice\0secret")
    wrong = base64.b64encode(b"\0alice\0nope")
    ours = MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret")
    with ours, DovecotServers(user="alice", password="secret", messages=MESSAGES) as dovecot:
        results = []
        for imap_port, pop3_port in (
            (ours.imap_port, ours.pop3_port),
            (dovecot.imap_port, dovecot.pop3_port),
        ):
            wire = Wire(imap_port)
            replies: list[bytes] = []
            for command in (
                b"a AUTHENTICATE FOO",
                b"b AUTHENTICATE PLAIN !!!",
                b"c AUTHENTICATE PLAIN " + wrong,
            ):
                replies.extend(wire.imap(command))
            for tag, answer in ((b"d", b"*"), (b"e", ok)):
                wire.sock.sendall(tag + b" AUTHENTICATE PLAIN\r\n")
                replies.append(wire.file.readline())
                wire.sock.sendall(answer + b"\r\n")
                replies.append(wire.file.readline())
            wire.close()
            pop = Wire(pop3_port)
            pop.sock.settimeout(30)  # Dovecot slows down after a failed login
            for command in (b"AUTH FOO", b"AUTH PLAIN !!!", b"AUTH PLAIN " + wrong):
                replies.extend(pop.pop3(command))
            for answer in (b"*", ok):
                replies.extend(pop.pop3(b"AUTH PLAIN"))
                replies.extend(pop.pop3(answer))
            pop.close()
            results.append([r.split(b" [CAPABILITY ")[0] for r in replies])
    assert results[0] == results[1]
    assert results[0][-1] == b"+OK Logged in.\r\n"
