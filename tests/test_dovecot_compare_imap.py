"""Families of IMAP commands side by side with Dovecot, each on a fresh pair of servers: ENVELOPE,
BODYSTRUCTURE and part sections of MIME messages, the session a desktop mail client runs,
malformed commands, creating, deleting and renaming folders, and hostile mailbox names that would
reach outside the Maildir; our answers must be Dovecot's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dovecot_wire import MESSAGES, QUOTA, Wire, needs_dovecot, normalise

from mailsec.retrieval.servers import DovecotServers, MailServers

pytestmark = [pytest.mark.interop, pytest.mark.slow, needs_dovecot]


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
