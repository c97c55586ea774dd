"""The real IMAP4rev1 server driven with Python's imaplib over 127.0.0.1 (RFC 3501, RFC 9208)."""

from __future__ import annotations

import imaplib
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.retrieval.servers import MailServers

MESSAGES = [
    b"From: ann@example.org\nSubject: one\n\nFirst body\n",
    b"From: bob@example.org\nSubject: two\n\nSecond\nbody\n",
    b"From: cy@example.org\nSubject: three\n\nThird\n",
]
TIMEOUT = 5


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    with MailServers(
        maildir=tmp_path / "Maildir", user="alice", password="secret", quota=4096
    ) as s:
        for data in MESSAGES:
            assert s.deliver(data).accepted
        yield s


def connect(
    servers: MailServers, mailbox: str | None = "INBOX", *, readonly: bool = False
) -> imaplib.IMAP4:
    client = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
    client.login("alice", "secret")
    if mailbox is not None:
        typ, _ = client.select(mailbox, readonly=readonly)
        assert typ == "OK"
    return client


class Raw:
    """A bare IMAP connection for what imaplib will not send (bad syntax, literals by hand)."""

    def __init__(self, servers: MailServers) -> None:
        self.sock = socket.create_connection((servers.host, servers.imap_port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline()

    def send(self, data: bytes, *, until: bytes) -> list[bytes]:
        self.sock.sendall(data)
        lines = []
        while True:
            line = self.file.readline()
            assert line, "the server closed the connection"
            lines.append(line)
            if line.startswith(until):
                return lines

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def flags_of(client: imaplib.IMAP4, number: str) -> str:
    typ, data = client.fetch(number, "(FLAGS)")
    assert typ == "OK"
    match = re.search(rb"FLAGS \(([^)]*)\)", data[0])
    assert match
    return match.group(1).decode()


def test_capability_and_login(servers: MailServers) -> None:
    """RFC 3501 §6.1.1 CAPABILITY lists IMAP4rev1; RFC 9208 §3.1 QUOTA."""
    client = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
    assert {"IMAP4REV1", "QUOTA", "LITERAL+"} <= set(client.capabilities)
    with pytest.raises(imaplib.IMAP4.error, match=r"AUTHENTICATIONFAILED"):
        client.login("alice", "wrong")
    assert client.login("alice", "secret")[0] == "OK"
    client.logout()


def test_select_reports_the_mailbox(servers: MailServers) -> None:
    """RFC 3501 §6.3.1: SELECT answers FLAGS, EXISTS, RECENT, UIDVALIDITY, UIDNEXT."""
    client = connect(servers, None)
    typ, data = client.select("INBOX")
    assert (typ, data) == ("OK", [b"3"])
    assert client.untagged_responses["UIDNEXT"] == [b"4"]
    assert int(client.untagged_responses["UIDVALIDITY"][0]) > 0
    assert client.untagged_responses["RECENT"] == [b"3"]
    client.logout()


def test_fetch_items(servers: MailServers) -> None:
    """RFC 3501 §6.4.5: FLAGS, UID, RFC822.SIZE, INTERNALDATE, BODY[], BODY[HEADER], RFC822."""
    client = connect(servers)
    typ, data = client.fetch("2", "(UID RFC822.SIZE INTERNALDATE)")
    wire = MESSAGES[1].replace(b"\n", b"\r\n")
    assert re.fullmatch(
        rb'2 \(UID 2 RFC822.SIZE %d INTERNALDATE "\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d \+0000"\)'
        % len(wire),
        data[0],
    )
    typ, data = client.fetch("2", "(BODY.PEEK[])")
    assert data[0][1] == wire
    typ, data = client.fetch("2", "(BODY.PEEK[HEADER])")
    assert data[0][1] == b"From: bob@example.org\r\nSubject: two\r\n\r\n"
    typ, data = client.fetch("2", "(BODY.PEEK[TEXT])")
    assert data[0][1] == b"Second\r\nbody\r\n"
    typ, data = client.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert data[0][1] == b"Subject: two\r\n\r\n"
    typ, data = client.fetch("2", "(BODY.PEEK[]<0.4>)")
    assert typ == "OK"
    assert data[0] == (b"2 (BODY[]<0> {4}", b"From")
    _typ, data = client.fetch("3", "(RFC822)")
    assert data[0][1] == MESSAGES[2].replace(b"\n", b"\r\n")
    client.logout()


def test_peek_does_not_set_seen_but_body_does(servers: MailServers) -> None:
    """RFC 3501 §6.4.5: BODY[] sets \\Seen; BODY.PEEK[] does not."""
    client = connect(servers)
    client.fetch("1", "(BODY.PEEK[])")
    assert "\\Seen" not in flags_of(client, "1")
    _typ, data = client.fetch("1", "(BODY[])")
    assert data[0][0].startswith(b"1 (FLAGS (\\Seen")
    assert "\\Seen" in flags_of(client, "1")
    client.logout()


def test_store_and_the_file_name(servers: MailServers, tmp_path: Path) -> None:
    """RFC 3501 §6.4.6 STORE; the Maildir keeps flags in the file name (S seen, F flagged)."""
    client = connect(servers)
    typ, data = client.store("1", "+FLAGS", "(\\Seen \\Flagged)")
    assert data == [b"1 (FLAGS (\\Flagged \\Seen \\Recent))"]
    typ, data = client.store("1", "-FLAGS.SILENT", "(\\Flagged)")
    assert (typ, data) == ("OK", [None])
    names = [p.name for p in (tmp_path / "Maildir" / "cur").iterdir()]
    assert sum(name.endswith(":2,S") for name in names) == 1
    typ, data = client.store("2", "FLAGS", "(\\Answered)")
    assert flags_of(client, "2") == "\\Answered \\Recent"
    client.logout()


def test_search(servers: MailServers) -> None:
    """RFC 3501 §6.4.4 SEARCH ALL/SEEN/UNSEEN/DELETED, UID ranges, NOT, OR."""
    client = connect(servers)
    client.store("2", "+FLAGS", "(\\Seen)")
    client.store("3", "+FLAGS", "(\\Deleted)")
    assert client.search(None, "ALL")[1] == [b"1 2 3"]
    assert client.search(None, "SEEN")[1] == [b"2"]
    assert client.search(None, "UNSEEN")[1] == [b"1 3"]
    assert client.search(None, "DELETED")[1] == [b"3"]
    assert client.search(None, "NOT", "DELETED", "UNSEEN")[1] == [b"1"]
    assert client.search(None, "OR", "SEEN", "DELETED")[1] == [b"2 3"]
    assert client.search(None, "UID", "2:*")[1] == [b"2 3"]
    assert client.search(None, "SUBJECT", "two")[1] == [b"2"]
    assert client.uid("SEARCH", "UID", "1:2")[1] == [b"1 2"]
    client.logout()


def test_expunge_and_close(servers: MailServers, tmp_path: Path) -> None:
    """RFC 3501 §6.4.3 EXPUNGE reports each removal, renumbering as it goes; §6.4.2 CLOSE
    expunges silently."""
    client = connect(servers)
    client.store("1:2", "+FLAGS.SILENT", "(\\Deleted)")
    typ, data = client.expunge()
    assert (typ, data) == ("OK", [b"2", b"1"])  # highest first, so each number stays right
    assert client.search(None, "ALL")[1] == [b"1"]
    client.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    assert client.close()[0] == "OK"
    assert not list((tmp_path / "Maildir" / "cur").iterdir())
    client.logout()


def test_examine_is_read_only(servers: MailServers) -> None:
    """RFC 3501 §6.3.2 EXAMINE: read-only; BODY[] does not set \\Seen."""
    client = connect(servers, readonly=True)
    client.fetch("1", "(BODY[])")
    assert "\\Seen" not in flags_of(client, "1")
    assert client.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"  # ignored, as Dovecot does
    assert "\\Deleted" not in flags_of(client, "1")
    assert client.expunge() == ("NO", [b"Mailbox is read-only."])
    client.logout()


def test_create_list_copy_status(servers: MailServers, tmp_path: Path) -> None:
    """RFC 3501 §6.3.3 CREATE, §6.3.8 LIST, §6.4.7 COPY, §6.3.10 STATUS; folders in Maildir++."""
    client = connect(servers)
    assert client.create("Archive")[0] == "OK"
    assert client.create("Work.Projects")[0] == "OK"
    assert (tmp_path / "Maildir" / ".Archive" / "cur").is_dir()
    assert (tmp_path / "Maildir" / ".Work.Projects" / "maildirfolder").exists()
    listing = client.list()[1]
    assert b'(\\HasNoChildren) "." INBOX' in listing
    assert b'(\\Noselect \\HasChildren) "." Work' in listing
    assert b'(\\HasNoChildren) "." Work.Projects' in listing
    typ, data = client.copy("1:2", "Archive")
    assert typ == "OK" and b"COPYUID" in data[0]
    typ, data = client.copy("1", "Nowhere")
    assert typ == "NO" and data[0].startswith(b"[TRYCREATE]")
    typ, data = client.status("Archive", "(MESSAGES UIDNEXT UNSEEN)")
    assert data == [b"Archive (MESSAGES 2 UIDNEXT 3 UNSEEN 2)"]
    assert client.create("Archive") == ("NO", [b"[ALREADYEXISTS] Mailbox already exists."])
    client.logout()


def test_append_with_flags_and_date(servers: MailServers) -> None:
    """RFC 3501 §6.3.11 APPEND: the flags and the internal date given are kept."""
    client = connect(servers)
    date = imaplib.Time2Internaldate(1_700_000_000)
    typ, data = client.append("INBOX", "(\\Seen)", date, b"Subject: appended\r\n\r\nhi\r\n")
    assert typ == "OK" and data[0].startswith(b"[APPENDUID ")
    client.noop()
    typ, data = client.uid("FETCH", "4", "(FLAGS INTERNALDATE)")
    assert b"\\Seen" in data[0] and b'"14-Nov-2023 22:13:20 +0000"' in data[0]
    client.logout()


def test_uid_commands(servers: MailServers) -> None:
    """RFC 3501 §6.4.8: UID FETCH/STORE/COPY take UIDs and answer with UID in every FETCH."""
    client = connect(servers)
    client.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    client.expunge()
    typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
    assert typ == "OK"
    assert data == [b"1 (UID 2 FLAGS (\\Recent))", b"2 (UID 3 FLAGS (\\Recent))"]
    _typ, data = client.uid("STORE", "3", "+FLAGS", "(\\Flagged)")
    assert data == [b"2 (UID 3 FLAGS (\\Flagged \\Recent))"]
    assert client.uid("FETCH", "99", "(FLAGS)") == ("OK", [None])
    client.create("Keep")
    assert client.uid("COPY", "2", "Keep")[0] == "OK"
    client.logout()


def test_quota(servers: MailServers) -> None:
    """RFC 9208 §4.1.1-4.1.2 GETQUOTA/GETQUOTAROOT report STORAGE in units of 1024 octets."""
    client = connect(servers)
    used = sum(len(m.replace(b"\n", b"\r\n")) for m in MESSAGES)
    typ, data = client.getquotaroot("INBOX")
    assert data == [[b'INBOX "User quota"'], [b'"User quota" (STORAGE %d 4)' % -(-used // 1024)]]
    assert client.getquota('"User quota"')[1] == [b'"User quota" (STORAGE 1 4)']
    typ, data = client.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n")
    assert (typ, data) == ("NO", [b"[OVERQUOTA] Quota exceeded (mailbox for user is full)."])
    client.logout()


def test_delivery_refused_when_full_until_mail_is_deleted(servers: MailServers) -> None:
    """The source's IMAP demerit: a full mailbox refuses new mail (SMTP 552 5.2.2, RFC 3463
    §3.3) until mail on the server is deleted."""
    big = b"Subject: big\n\n" + b"y" * 4000 + b"\n"
    refused = servers.deliver(big)
    assert not refused.accepted and refused.status.startswith("552 5.2.2")
    client = connect(servers)
    client.store("1:3", "+FLAGS.SILENT", "(\\Deleted)")
    client.expunge()
    client.logout()
    assert servers.deliver(big).status.startswith("250 ")


def test_two_sessions_see_each_others_changes(servers: MailServers) -> None:
    """RFC 3501 §7.3.1 EXISTS, §7.4.1 EXPUNGE, §7.4.2 FETCH: another client's changes are
    announced to a session with the mailbox selected."""
    phone, laptop = connect(servers), connect(servers)
    phone.store("2", "+FLAGS", "(\\Seen)")
    laptop.noop()
    # \Recent belongs to the phone, which selected first (RFC 3501 §2.3.2).
    assert laptop.untagged_responses.pop("FETCH") == [b"2 (FLAGS (\\Seen))"]
    assert "\\Seen" in flags_of(laptop, "2")
    phone.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    phone.expunge()
    _typ, _data = laptop.noop()
    assert laptop.untagged_responses.get("EXPUNGE") == [b"1"]
    servers.deliver(b"Subject: four\n\nnew\n")
    laptop.noop()
    assert laptop.untagged_responses.get("EXISTS", [])[-1:] == [b"3"]
    phone.logout()
    laptop.logout()


def test_bad_input_gets_bad_and_the_session_goes_on(servers: MailServers) -> None:
    """RFC 3501 §7.1.3 BAD: syntax errors, unknown commands, overlong lines, non-UTF-8."""
    raw = Raw(servers)
    assert raw.send(b"a LOGIN alice secret\r\n", until=b"a ")[-1].startswith(b"a OK")
    assert raw.send(b"b FROB\r\n", until=b"b ") == [
        b"b BAD Error in IMAP command FROB: Unknown command.\r\n"
    ]
    assert raw.send(b"c APPEND INBOX {x1}\r\n", until=b"c ")[-1].startswith(b"c BAD")
    assert raw.send(b"d SELECT \xff\xfe\r\n", until=b"d ")[-1].startswith(b"d BAD")
    assert raw.send(b"e " + b"A" * 200_000 + b"\r\n", until=b"* BAD") == [
        b"* BAD Error in IMAP command: Line too long.\r\n"
    ]
    assert (
        raw.send(b"f SELECT INBOX\r\n", until=b"f ")[-1]
        == b"f OK [READ-WRITE] Select completed.\r\n"
    )
    assert raw.send(b"g FETCH 99 FLAGS\r\n", until=b"g ") == [
        b"g BAD Error in IMAP command FETCH: Invalid messageset.\r\n"
    ]
    assert raw.send(b"h FETCH 1 (FLAGS\r\n", until=b"h ")[-1].startswith(b"h BAD")
    assert raw.send(b"i NOOP\r\n", until=b"i ") == [b"i OK NOOP completed.\r\n"]
    raw.close()


def test_literals_by_hand(servers: MailServers) -> None:
    """RFC 3501 §4.3 synchronising literal ('+' continuation), RFC 7888 LITERAL+ without it."""
    raw = Raw(servers)
    assert raw.send(b"a LOGIN {5}\r\n", until=b"+") == [b"+ OK\r\n"]
    assert raw.send(b"alice {6+}\r\nsecret\r\n", until=b"a ")[-1].startswith(b"a OK")
    message = b"Subject: lit\r\n\r\nbody\r\n"
    reply = raw.send(b"b APPEND INBOX {%d+}\r\n" % len(message) + message + b"\r\n", until=b"b ")
    assert reply[-1].startswith(b"b OK [APPENDUID")
    raw.close()


def test_dropped_imap_session_loses_nothing(servers: MailServers) -> None:
    """Flags marked \\Deleted are not removed when a connection drops: only EXPUNGE or CLOSE
    remove messages (RFC 3501 §6.4.2-6.4.3)."""
    raw = Raw(servers)
    raw.send(b"a LOGIN alice secret\r\nb SELECT INBOX\r\n", until=b"b ")
    raw.send(b"c STORE 1:3 +FLAGS (\\Deleted)\r\n", until=b"c ")
    raw.close()
    deadline = time.monotonic() + TIMEOUT
    while any(t.ended is None for t in servers.transcripts) and time.monotonic() < deadline:
        time.sleep(0.01)
    client = connect(servers)
    assert client.search(None, "DELETED")[1] == [b"1 2 3"]
    client.logout()


def test_idle_pushes_other_devices_changes(servers: MailServers) -> None:
    """RFC 2177: while a client idles, the server sends EXISTS, FETCH and EXPUNGE as they
    happen, without waiting for a command; DONE ends the IDLE."""
    laptop = Raw(servers)
    laptop.send(b"a LOGIN alice secret\r\nb SELECT INBOX\r\n", until=b"b ")
    assert laptop.send(b"c IDLE\r\n", until=b"+") == [b"+ idling\r\n"]
    phone = connect(servers)
    phone.store("2", "+FLAGS", "(\\Seen)")
    # The laptop selected INBOX first, so the messages are \Recent for it (RFC 3501 §2.3.2).
    assert laptop.file.readline() == b"* 2 FETCH (FLAGS (\\Seen \\Recent))\r\n"
    phone.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    assert laptop.file.readline() == b"* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\n"
    phone.expunge()
    assert laptop.file.readline() == b"* 1 EXPUNGE\r\n"
    assert laptop.file.readline() == b"* 2 RECENT\r\n"
    servers.deliver(b"Subject: four\n\nnew\n")
    assert laptop.file.readline() == b"* 3 EXISTS\r\n"
    assert laptop.file.readline() == b"* 3 RECENT\r\n"
    assert laptop.send(b"DONE\r\n", until=b"c ") == [b"c OK Idle completed.\r\n"]
    assert laptop.send(b"d NOOP\r\n", until=b"d ") == [b"d OK NOOP completed.\r\n"]
    assert laptop.send(b"e IDLE\r\n", until=b"+") == [b"+ idling\r\n"]
    assert laptop.send(b"NOTDONE\r\n", until=b"e ") == [b"e BAD Expected DONE.\r\n"]
    phone.logout()
    laptop.close()


def test_authenticate_plain(servers: MailServers) -> None:
    """RFC 3501 §6.2.2 AUTHENTICATE with SASL PLAIN (RFC 4616), as imaplib sends it (a ``+``
    continuation, then the response); the credentials do not appear in the transcript."""
    client = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
    assert "AUTH=PLAIN" in client.capabilities
    typ, _data = client.authenticate("PLAIN", lambda _challenge: b"\0alice\0secret")
    assert typ == "OK"
    assert client.select("INBOX") == ("OK", [b"3"])
    client.logout()
    wrong = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        wrong.authenticate("PLAIN", lambda _challenge: b"\0alice\0guess")
    wrong.logout()
    deadline = time.monotonic() + TIMEOUT
    while any(t.ended is None for t in servers.transcripts) and time.monotonic() < deadline:
        time.sleep(0.01)
    text = "\n".join(t.to_text() for t in servers.transcripts)
    assert "AUTHENTICATE PLAIN" in text
    assert "AGFsaWNl" not in text  # base64 of "\0alice\0..." never recorded


def test_authenticate_plain_with_initial_response_and_errors(servers: MailServers) -> None:
    """RFC 4959 SASL-IR; an unknown mechanism, bad base64 and '*' (cancel) are refused."""
    raw = Raw(servers)
    assert raw.send(b"a AUTHENTICATE CRAM-MD5\r\n", until=b"a ") == [
        b"a NO [ALERT] Unsupported authentication mechanism.\r\n"
    ]
    assert raw.send(b"b AUTHENTICATE PLAIN !!!\r\n", until=b"b ") == [
        b"b BAD Invalid base64 data in initial response\r\n"
    ]
    assert raw.send(b"c AUTHENTICATE PLAIN\r\n", until=b"+") == [b"+ \r\n"]
    assert raw.send(b"*\r\n", until=b"c ") == [b"c BAD Authentication aborted by client.\r\n"]
    reply = raw.send(b"d AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n", until=b"d ")
    assert reply[-1].startswith(b"d OK [CAPABILITY ") and reply[-1].endswith(b"] Logged in\r\n")
    raw.close()
