"""The Maildir under our servers and Dovecot: a dropped POP3 session marks what it retrieved as
Dovecot does, both servers read and write the flags and folders of one Maildir++ at the same time,
and the Dovecot launcher keeps its passwd-file private and the caller's Maildir untouched.
"""

from __future__ import annotations

import imaplib
from pathlib import Path

import pytest
from dovecot_wire import MESSAGES, TIMEOUT, needs_dovecot

from mailsec.retrieval.servers import DovecotServers, MailServers

pytestmark = [pytest.mark.interop, pytest.mark.slow, needs_dovecot]


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
