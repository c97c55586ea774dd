"""Side by side with Dovecot: the same commands to both servers, the same answers.

Where RFC 1939 and RFC 3501 leave a choice (error texts, which numbers are BAD, the UIDL format,
\\Seen after RETR, the POP3 lock reply) our servers follow Dovecot 2.3. This test runs a private
Dovecot (its own configuration, base_dir and passwd-file in a temporary folder) and our servers
over Maildirs holding the same messages, sends both the same scripts and compares the replies
after removing what legitimately differs: greetings and capability lists, timing figures
Dovecot adds to tagged replies, UIDVALIDITY values and dates.
"""

from __future__ import annotations

import base64
import imaplib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.retrieval.servers import DovecotServers, MailServers

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(
        not DovecotServers.available(),
        reason="Dovecot is not installed (Debian packages dovecot-imapd and dovecot-pop3d)",
    ),
]

MESSAGES = [
    b"From: ann@example.org\nSubject: one\n\nFirst body\n.leading dot\n",
    b"From: bob@example.org\nSubject: two\n\nSecond\nbody\n",
    b"From: cy@example.org\nSubject: three\n\nThird\n",
]
TIMEOUT = 10
QUOTA = 100 * 1024

#: Messages with MIME structure for ENVELOPE, BODYSTRUCTURE and part sections.
MIME_MESSAGES = [
    b'From: Ann Example <ann@example.org>\nTo: bob@example.org, "Cy, Jr." <cy@example.net>\n'
    b"Cc: dee@example.com\nSubject: Plain text\nDate: Mon, 23 Nov 2026 09:12:00 +0900\n"
    b"Message-ID: <m1@example.org>\n\nHello\ntwo lines\n",
    b"From: ann@example.org\nTo: bob@example.org\nSubject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=\n"
    b'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="XYZ"\n\npreamble\n--XYZ\n'
    b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    b"caf=C3=A9\n--XYZ\nContent-Type: text/html; charset=utf-8\n\n<p>cafe</p>\n--XYZ--\nepilogue\n",
    b"From: ann@example.org\nSubject: attach\nReply-To: other@example.org\n"
    b"In-Reply-To: <m1@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n\n"
    b"--b1\nContent-Type: text/plain\n\nSee attached.\n--b1\n"
    b'Content-Type: application/pdf; name="a.pdf"\nContent-Disposition: attachment; filename="a.pdf"\n'
    b"Content-Transfer-Encoding: base64\nContent-ID: <pdf1>\nContent-Description: A file\n\n"
    b"JVBERi0xLjQK\n--b1\nContent-Type: message/rfc822\n\nFrom: inner@example.org\n"
    b"Subject: inner\n\ninner body\n--b1--\n",
    b"Subject: no type, no from\n\nx",
]


class Wire:
    """A bare connection that sends one line and reads the whole reply."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline()

    def pop3(self, line: bytes, *, multi: bool = False) -> list[bytes]:
        self.sock.sendall(line + b"\r\n")
        reply = [self.file.readline()]
        if multi and reply[0].startswith(b"+OK"):
            while reply[-1] != b".\r\n":
                reply.append(self.file.readline())
        return reply

    def imap(self, line: bytes) -> list[bytes]:
        tag = line.split(b" ", 1)[0] + b" "
        self.sock.sendall(line + b"\r\n")
        reply = []
        while True:
            got = self.file.readline()
            assert got, "connection closed"
            reply.append(got)
            literal = re.search(rb"\{(\d+)\}\r\n$", got)
            if literal:
                reply.append(self.file.read(int(literal.group(1))))
            if got.startswith(tag):
                return reply

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def normalise(lines: list[bytes]) -> list[str]:
    out = []
    for raw in lines:
        text = raw.decode("utf-8", "replace")
        text = re.sub(r" \(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)", "", text)
        text = re.sub(r"(UIDVALIDITY|COPYUID|APPENDUID) \d+", r"\1 V", text)
        text = re.sub(r"[0-9a-f]{8}([0-9a-f]{8})", lambda m: m.group(0)[:8] + "V", text)
        text = re.sub(r'INTERNALDATE "[^"]+"', 'INTERNALDATE "D"', text)
        out.append(text)
    return out


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


MIME_COMMANDS = [
    b"a LOGIN alice secret",
    b"b EXAMINE INBOX",
    *(b"c%d FETCH %d (ENVELOPE BODYSTRUCTURE BODY)" % (i, i) for i in range(1, 5)),
    b"d1 FETCH 2 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2])",
    b"d2 FETCH 3 (BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT] BODY.PEEK[3] BODY.PEEK[2.MIME])",
    b"d3 FETCH 1 (BODY.PEEK[1] BODY.PEEK[TEXT])",
    b"d4 FETCH 1 ALL",
    b"d5 FETCH 3 (BODY.PEEK[4] BODY.PEEK[3.1])",
    b"d6 FETCH 1 FULL",
    b"d7 FETCH 3 (BODY.PEEK[3.HEADER.FIELDS (SUBJECT)] BODY.PEEK[1.MIME]<0.5>)",
    b"d8 FETCH 1 BODY.PEEK[MIME]",
    b"d9 FETCH 3 (BODY.PEEK[1.2.3])",
    b"e1 LOGOUT",
]


def test_mime_structure_matches_dovecot(tmp_path: Path) -> None:
    """RFC 3501 §7.4.2 ENVELOPE and BODYSTRUCTURE, §6.4.5 part sections: byte for byte as
    Dovecot answers them, for a plain, a multipart/alternative and a multipart/mixed message
    with an attachment and an attached message."""
    ours = MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret")
    with ours, DovecotServers(user="alice", password="secret", messages=MIME_MESSAGES) as dovecot:
        for data in MIME_MESSAGES:
            ours.deliver(data)
        results = []
        for port in (ours.imap_port, dovecot.imap_port):
            wire = Wire(port)
            replies: list[bytes] = []
            for command in MIME_COMMANDS:
                replies.extend(wire.imap(command))
            wire.close()
            results.append(
                [
                    r
                    for r in normalise(replies)
                    if "CAPABILITY" not in r and "PERMANENTFLAGS" not in r
                ]
            )
    assert results[0] == results[1]
    assert any("BODYSTRUCTURE" in line for line in results[0])


#: What a desktop mail client (Thunderbird, as its IMAP log shows) sends: lowercase commands,
#: quoted arguments, UID FETCH of flags then headers then whole messages, subscriptions.
DESKTOP_COMMANDS = [
    b"1 capability",
    b'2 login "alice" "secret"',
    b'3 lsub "" "*"',
    b'4 list "" "*"',
    b'5 select "INBOX"',
    b"6 UID fetch 1:* (FLAGS)",
    b"7 UID fetch 1:3 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject "
    b"Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])",
    b"8 UID fetch 2 (UID RFC822.SIZE BODY.PEEK[])",
    b"9 UID store 2 +Flags (\\Seen)",
    b"10 noop",
    b'11 create "Trash"',
    b'12 subscribe "Trash"',
    b'13 lsub "" "*"',
    b'14 list "" "Trash"',
    b'15 UID copy 1 "Trash"',
    b"16 UID store 1 +FLAGS (\\Deleted)",
    b"17 expunge",
    b'18 status "Trash" (UIDNEXT MESSAGES UNSEEN RECENT)',
    b'19 unsubscribe "Trash"',
    b'20 lsub "" "%"',
    b"21 check",
    b'21m UID move 2 "Trash"',
    b'21n move 9 "Trash"',
    b"21o UID move 99 Trash",
    b"21p move 1 Nope",
    b"21a namespace",
    b"21b unselect",
    b"21c unselect",
    b"22 logout",
]


def test_a_desktop_clients_session_matches_dovecot(tmp_path: Path) -> None:
    """The commands a desktop mail client sends get Dovecot's answers (apart from the texts of
    CAPABILITY and LOGIN, whose capability lists differ by design)."""
    ours = MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret")
    with ours, DovecotServers(user="alice", password="secret", messages=MESSAGES) as dovecot:
        for data in MESSAGES:
            ours.deliver(data)
        results = []
        for port in (ours.imap_port, dovecot.imap_port):
            wire = Wire(port)
            replies: list[bytes] = []
            for command in DESKTOP_COMMANDS:
                replies.extend(wire.imap(command))
            wire.close()
            results.append(
                [
                    r
                    for r in normalise(replies)
                    if "CAPABILITY" not in r
                    and "PERMANENTFLAGS" not in r
                    and not r.startswith(("1 OK", "2 OK"))
                ]
            )
    assert results[0] == results[1]
    assert '* LSUB () "." Trash\r\n' in results[0]


FAULT_COMMANDS = [
    b"a LOGIN alice secret",
    b"c SELECT \xff\xfe",
    b"d SELECT INBOX",
    b"e FETCH 1 (FLAGS",
    b"f FETCH 1 FLAGS)",
    b'g SELECT "INBOX',
    b"h FETCH \xff FLAGS",
    b"i STORE 1 +FLAGS (\\Recent)",
    b"l UID FOO 1",
    b"m SEARCH",
    b"o STATUS INBOX (FOO)",
    b"q CREATE INBOX.x",
    b"t NOOP extra",
    b"u LOGOUT",
]


def test_imap_bad_input_matches_dovecot(tmp_path: Path) -> None:
    """RFC 3501 §7.1.3: malformed commands, 8-bit bytes, unbalanced parentheses and quotes get
    the same BAD (or NO) as from Dovecot, and the session goes on."""
    ours = MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret")
    with ours, DovecotServers(user="alice", password="secret", messages=MESSAGES) as dovecot:
        for data in MESSAGES:
            ours.deliver(data)
        results = []
        for port in (ours.imap_port, dovecot.imap_port):
            wire = Wire(port)
            replies: list[bytes] = []
            for command in FAULT_COMMANDS:
                replies.extend(wire.imap(command))
            wire.close()
            results.append(
                [
                    r
                    for r in normalise(replies)
                    if "CAPABILITY" not in r and "PERMANENTFLAGS" not in r
                ]
            )
    assert results[0] == results[1]
    assert sum(" BAD " in line for line in results[0]) >= 9


FOLDER_COMMANDS = [
    b"a LOGIN alice secret",
    b"b CREATE Archive",
    b"c CREATE Work.Sub",
    b"d SELECT INBOX",
    b"e COPY 1:2 Archive",
    b"f DELETE Archive",
    b'g LIST "" *',
    b"h DELETE INBOX",
    b"i DELETE Nope",
    b"j DELETE Work",
    b"l CREATE Old",
    b"m RENAME Old New",
    b"n RENAME New Work.Sub",
    b"o RENAME Nope X",
    b"p RENAME Work Job",
    b'q LIST "" *',
    b"r RENAME INBOX Saved",
    b"s DELETE Job.Sub",
    b'u LIST "" *',
    b"x SUBSCRIBE New",
    b"y RENAME New Newer",
    b'z LSUB "" *',
    b"z1 GETQUOTAROOT INBOX",
    b"z9 LOGOUT",
]


def test_folder_management_matches_dovecot(tmp_path: Path) -> None:
    """RFC 3501 §6.3.4 DELETE and §6.3.5 RENAME in Maildir++ (a parent that exists only through
    its children, INBOX refused), with Dovecot's answers; LIST order is not significant."""
    ours = MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret", quota=QUOTA)
    with (
        ours,
        DovecotServers(user="alice", password="secret", quota=QUOTA, messages=MESSAGES) as dovecot,
    ):
        for data in MESSAGES:
            ours.deliver(data)
        results = []
        for port in (ours.imap_port, dovecot.imap_port):
            wire = Wire(port)
            replies: list[bytes] = []
            for command in FOLDER_COMMANDS:
                block = wire.imap(command)
                # The order of LIST lines is the server's choice (RFC 3501 §6.3.8).
                replies.extend(sorted(block[:-1]) if command.endswith(b"*") else block[:-1])
                replies.append(block[-1])
            wire.close()
            results.append(
                [
                    r
                    for r in normalise(replies)
                    if "CAPABILITY" not in r and "PERMANENTFLAGS" not in r
                ]
            )
    assert results[0] == results[1]
    assert not (tmp_path / "Maildir" / ".Archive").exists()
    assert not (tmp_path / "Maildir" / ".Job.Sub").exists()
    assert (tmp_path / "Maildir" / ".Newer" / "cur").is_dir()


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


def test_dovecot_and_mailsec_serve_the_same_maildir() -> None:
    """The store is a standard Maildir++: flags and folders that Dovecot writes are read by our
    server, and flags our server writes are read by Dovecot, on one Maildir at the same time."""
    with DovecotServers(user="alice", password="secret", messages=MESSAGES) as dovecot:
        theirs = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=TIMEOUT)
        theirs.login("alice", "secret")
        theirs.create("Archive")
        theirs.select("INBOX")
        theirs.store("1", "+FLAGS", "(\\Seen)")
        theirs.store("2", "+FLAGS", "(\\Flagged \\Answered)")
        theirs.copy("3", "Archive")
        with MailServers(maildir=dovecot.maildir, user="alice", password="secret") as ours:
            mine = imaplib.IMAP4(ours.host, ours.imap_port, timeout=TIMEOUT)
            mine.login("alice", "secret")
            assert b'(\\HasNoChildren) "." Archive' in mine.list()[1]
            assert mine.select("INBOX") == ("OK", [b"3"])
            data = mine.fetch("1:3", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1]
            parts = [item for item in data if isinstance(item, tuple)]
            assert b"FLAGS (\\Seen)" in parts[0][0]
            assert b"FLAGS (\\Answered \\Flagged)" in parts[1][0]
            assert parts[2][1] == b"Subject: three\r\n\r\n"
            assert mine.select("Archive") == ("OK", [b"1"])
            mine.select("INBOX")
            mine.store("3", "+FLAGS", "(\\Deleted \\Seen)")
            mine.logout()
            ours.wait_until_idle()
        theirs.noop()
        assert b"\\Deleted" in theirs.fetch("3", "(FLAGS)")[1][0]
        assert theirs.search(None, "UNSEEN")[1] == [b"2"]
        theirs.logout()


NAME_COMMANDS = [
    b"a LOGIN alice secret",
    *(
        b"%s %s" % (tag, command)
        for tag, command in [
            (b"s1", b'SELECT "./victim"'),
            (b"s2", b'SELECT "/"'),
            (b"s3", b'SELECT "a..b"'),
            (b"s4", b'SELECT "~x"'),
            (b"s5", b'SELECT ""'),
            (b"s6", b'SELECT "x."'),
            (b"t1", b'STATUS "../x" (MESSAGES)'),
            (b"p1", b'APPEND "./victim" {5}'),
            (b"p2", b'APPEND "Nope" {5}'),
            (b"d1", b'DELETE "./victim2"'),
            (b"d2", b'DELETE "/"'),
            (b"d3", b'DELETE ""'),
            (b"r1", b'RENAME "./victim" "x"'),
            (b"c1", b'CREATE "./victim3"'),
            (b"u1", b'SUBSCRIBE "./v"'),
            (b"u2", b'UNSUBSCRIBE "./v"'),
            (b"l1", b'LIST "" "./*"'),
            (b"l2", b'LIST "/" "*"'),
            (b"n1", b"SELECT INBOX"),
            (b"n2", b'COPY 1 "./victim"'),
            (b"n3", b'MOVE 1 "/"'),
            (b"x1", b'SELECT "a\x01b"'),
            (b"z9", b"LOGOUT"),
        ]
    ),
]


def test_hostile_mailbox_names_get_dovecots_answers(tmp_path: Path) -> None:
    """Names that would reach outside the Maildir ("./victim", "/", "..") are refused with
    Dovecot's NO texts, before any literal is read; a failed SELECT leaves none selected."""
    ours = MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret")
    with ours, DovecotServers(user="alice", password="secret", messages=MESSAGES) as dovecot:
        for data in MESSAGES:
            ours.deliver(data)
        results = []
        for port in (ours.imap_port, dovecot.imap_port):
            wire = Wire(port)
            replies: list[bytes] = []
            for command in NAME_COMMANDS:
                replies.extend(wire.imap(command))
            wire.close()
            results.append(
                [r for r in normalise(replies) if "CAPABILITY" not in r and "FLAGS" not in r]
            )
    assert results[0] == results[1]
    assert sum("[CANNOT] Invalid mailbox name" in line for line in results[0]) >= 12


def test_a_dropped_pop3_session_marks_what_it_retrieved_as_dovecot_does(tmp_path: Path) -> None:
    """No QUIT: nothing is deleted (RFC 1939 §6), but RETR's messages become \\Seen, DELE'd or not;
    TOP's do not."""
    import imaplib
    import poplib

    ours = MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret")
    flags = []
    with ours, DovecotServers(user="alice", password="secret", messages=MESSAGES) as dovecot:
        for data in MESSAGES:
            ours.deliver(data)
        for servers in (ours, dovecot):
            pop = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=TIMEOUT)
            pop.user("alice")
            pop.pass_("secret")
            pop.retr(1)
            pop.dele(1)
            pop.retr(2)
            pop.top(3, 0)
            pop.file.close()
            pop.sock.close()  # dropped, no QUIT
            # The server notices the drop on its own schedule: wait until its lock is free.
            imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=TIMEOUT)
            imap.login("alice", "secret")
            for _attempt in range(200):
                probe = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=TIMEOUT)
                probe.user("alice")
                try:
                    probe.pass_("secret")
                except poplib.error_proto:
                    probe.close()
                    continue
                probe.quit()
                break
            imap.select("INBOX", readonly=True)
            flags.append(imap.fetch("1:*", "(FLAGS)")[1])
            imap.logout()
    assert flags[0] == flags[1]
    assert flags[0] == [b"1 (FLAGS (\\Seen))", b"2 (FLAGS (\\Seen))", b"3 (FLAGS ())"]


def test_the_launcher_keeps_the_password_private_and_the_callers_maildir_untouched(
    tmp_path: Path,
) -> None:
    """The passwd-file is readable by its owner only; as root, a Maildir the caller gives keeps
    its owner (Dovecot is served a copy) and a link inside it is not followed."""
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "new" / "1.host").write_bytes(b"Subject: mine\n\nkept\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("not mail")
    (maildir / "link").symlink_to(outside)
    owners = {path: path.stat().st_uid for path in (tmp_path, maildir, outside)}
    with DovecotServers(maildir, user="alice", password="secret") as dovecot:
        passwd = dovecot.config.parent / "passwd"
        assert passwd.stat().st_mode & 0o777 == 0o600
        assert {path: path.stat().st_uid for path in owners} == owners
        client = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=TIMEOUT)
        client.login("alice", "secret")
        assert client.select("INBOX")[1] == [b"1"]  # the caller's message is served
        client.logout()
