"""MailServers as a whole: many sessions at once, faults, time-outs, stop and restart."""

from __future__ import annotations

import imaplib
import poplib
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mailsec.errors import InputError
from mailsec.retrieval.servers import MailServers, check_port, check_quota
from mailsec.retrieval.transcript import Protocol

TIMEOUT = 10


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    with MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret") as servers:
        for i in range(5):
            servers.deliver(f"Subject: m{i}\n\nbody {i}\n".encode())
        yield servers


def test_contract_attributes(servers: MailServers) -> None:
    assert servers.host == "127.0.0.1"
    assert servers.pop3_port > 0 and servers.imap_port > 0
    assert servers.pop3_port != servers.imap_port
    assert servers.running


def test_many_imap_sessions_at_once(servers: MailServers) -> None:
    """Eight clients read and flag concurrently; each ends with a consistent mailbox."""

    def work(index: int) -> list[bytes]:
        client = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
        client.login("alice", "secret")
        client.select("INBOX")
        for _ in range(5):
            client.fetch("1:*", "(BODY.PEEK[] FLAGS)")
            client.store(str(index % 5 + 1), "+FLAGS", "(\\Flagged)")
        result = client.search(None, "FLAGGED")[1]
        client.logout()
        return result

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert results[-1] and all(r[0] for r in results)
    client = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
    client.login("alice", "secret")
    client.select("INBOX")
    assert client.search(None, "FLAGGED")[1] == [b"1 2 3 4 5"]
    client.logout()
    assert servers.errors == []


def test_pop3_and_imap_together_with_deliveries(servers: MailServers) -> None:
    """Deliveries from another thread while a POP3 and an IMAP session are open."""
    pop = poplib.POP3(servers.host, servers.pop3_port, timeout=TIMEOUT)
    pop.user("alice")
    pop.pass_("secret")
    imap = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
    imap.login("alice", "secret")
    imap.select("INBOX")
    threads = [
        threading.Thread(target=servers.deliver, args=(b"Subject: t\n\nx\n",)) for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    imap.noop()
    assert imap.untagged_responses["EXISTS"][-1] == b"15"
    assert pop.stat()[0] == 5  # the POP3 maildrop is the one of its login
    pop.quit()
    imap.logout()


def test_a_silent_client_is_timed_out(tmp_path: Path) -> None:
    with MailServers(
        maildir=tmp_path / "M", user="alice", password="secret", login_timeout=0.3
    ) as servers:
        sock = socket.create_connection((servers.host, servers.imap_port), timeout=TIMEOUT)
        sock.recv(1000)
        start = time.monotonic()
        assert sock.recv(1000) == b""  # the server hung up
        assert time.monotonic() - start < TIMEOUT
        sock.close()


def test_stop_with_open_sessions_deletes_nothing(tmp_path: Path) -> None:
    servers = MailServers(maildir=tmp_path / "M", user="alice", password="secret").start()
    servers.deliver(b"Subject: keep\n\nme\n")
    pop = poplib.POP3(servers.host, servers.pop3_port, timeout=TIMEOUT)
    pop.user("alice")
    pop.pass_("secret")
    pop.dele(1)
    servers.stop()
    assert not servers.running
    servers.start()
    try:
        again = poplib.POP3(servers.host, servers.pop3_port, timeout=TIMEOUT)
        again.user("alice")
        again.pass_("secret")
        assert again.stat()[0] == 1
        again.quit()
    finally:
        servers.stop()
    ended = [t.ended for t in servers.transcripts if t.protocol is Protocol.POP3]
    assert ended[0] == "dropped"


def test_stop_drops_a_client_that_reads_nothing(tmp_path: Path) -> None:
    """A client that asks for far more than the socket buffers hold and reads none of it: stop()
    drops it at once instead of waiting to send the rest, and the session ends as a dropped one
    ends: the DELE is not carried out (RFC 1939 §6) and the maildrop lock is released."""
    maildir = tmp_path / "M"
    servers = MailServers(maildir=maildir, user="alice", password="secret").start()
    try:
        servers.deliver(b"Subject: big\n\n" + b"x" * 5_000_000 + b"\n")
        servers.deliver(b"Subject: keep\n\nme\n")
        sock = socket.create_connection((servers.host, servers.pop3_port), timeout=TIMEOUT)
        sock.sendall(b"USER alice\r\nPASS secret\r\nDELE 2\r\n" + b"RETR 1\r\n" * 4)
        received = b""
        while b" octets\r\n" not in received:  # the first RETR is being sent: stop reading
            chunk = sock.recv(4096)
            assert chunk, received
            received += chunk
    finally:
        servers.stop()
    sock.close()
    (transcript,) = servers.transcripts
    assert transcript.ended == "dropped"
    assert servers.store is not None and not servers.store.pop3_locked
    with servers:
        client = poplib.POP3(servers.host, servers.pop3_port, timeout=TIMEOUT)
        client.user("alice")
        client.pass_("secret")  # the lock went with the dropped session
        assert client.stat()[0] == 2
        client.quit()


def test_a_torrent_of_garbage_does_not_stop_the_server(servers: MailServers) -> None:
    for port in (servers.pop3_port, servers.imap_port):
        for payload in (
            b"\x00" * 70_000,
            b"\xff\xfe\r\n" * 50,
            b"{999999999999}\r\n" * 5,
            b"a" * 300_000,
        ):
            sock = socket.create_connection((servers.host, port), timeout=TIMEOUT)
            sock.sendall(payload)
            sock.close()
    client = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
    client.login("alice", "secret")
    assert client.select("INBOX") == ("OK", [b"5"])
    client.logout()
    assert servers.errors == []


def test_bad_settings_are_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="user name 'a b' is empty or has spaces"):
        MailServers(maildir=tmp_path, user="a b", password="x")
    with pytest.raises(InputError, match="The POP3 port 70000 is not between 0 and 65535"):
        MailServers(maildir=tmp_path, user="a", password="x", pop3_port=70000)
    with pytest.raises(InputError, match="The IMAP port -1 is not between 0 and 65535"):
        MailServers(maildir=tmp_path, user="a", password="x", imap_port=-1)
    with pytest.raises(InputError, match="The quota -1 is negative"):
        MailServers(maildir=tmp_path, user="a", password="x", quota=-1)


def test_a_negative_quota_is_refused_while_running(servers: MailServers) -> None:
    with pytest.raises(InputError, match="The quota -5 is negative"):
        servers.set_quota(-5)
    assert servers.quota is None
    servers.set_quota(0)
    assert servers.quota == 0 and not servers.deliver(b"Subject: x\n\nx\n").accepted


@pytest.mark.parametrize("port", [0, 1, 65535])
def test_port_rule_accepts_every_tcp_port(port: int) -> None:
    assert check_port(port) == port
    assert check_quota(None) is None and check_quota(0) == 0


def test_deliver_needs_running_servers(tmp_path: Path) -> None:
    servers = MailServers(maildir=tmp_path / "M", user="a", password="x")
    with pytest.raises(InputError, match="The servers are not running"):
        servers.deliver(b"Subject: x\n\n")


def test_transcripts_are_in_order(servers: MailServers) -> None:
    for _ in range(3):
        pop = poplib.POP3(servers.host, servers.pop3_port, timeout=TIMEOUT)
        pop.quit()
    starts = [t.started for t in servers.transcripts]
    assert starts == sorted(starts) and len(starts) == 3


def test_uids_survive_a_list_line_cut_short_by_a_crash(tmp_path: Path) -> None:
    """RFC 3501 §2.3.1.1: UIDs must not change; a damaged last line keeps the other UIDs and the
    UIDVALIDITY, and no message is lost (the damaged one is numbered again from UIDNEXT)."""
    maildir = tmp_path / "M"
    with MailServers(maildir=maildir, user="alice", password="secret") as servers:
        for i in range(3):
            servers.deliver(f"Subject: m{i}\n\nbody\n".encode())
    uidlist = maildir / "mailsec-uidlist"
    text = uidlist.read_text()
    validity = text.split()[1]
    uidlist.write_text(text[: text.rindex(" ")])  # the last entry loses its key
    with MailServers(maildir=maildir, user="alice", password="secret") as servers:
        client = imaplib.IMAP4(servers.host, servers.imap_port, timeout=TIMEOUT)
        client.login("alice", "secret")
        client.select("INBOX")
        assert client.uid("SEARCH", "ALL")[1] == [b"1 2 3"]
        assert client.search(None, "SUBJECT", "m2")[1] == [b"3"]
        assert client.untagged_responses["UIDVALIDITY"] == [validity.encode()]
        client.logout()


def test_the_pop3_lock_holds_across_two_servers_on_one_maildir(tmp_path: Path) -> None:
    """RFC 1939 §8: the maildrop lock is a file lock too, so a second server process on the
    same Maildir (here a second MailServers, which opens the lock file on its own) refuses a
    second POP3 session; the lock goes with the session."""
    maildir = tmp_path / "M"
    with (
        MailServers(maildir=maildir, user="alice", password="secret") as first,
        MailServers(maildir=maildir, user="alice", password="secret") as second,
    ):
        first.deliver(b"Subject: one\n\nbody\n")
        holder = poplib.POP3(first.host, first.pop3_port, timeout=TIMEOUT)
        holder.user("alice")
        holder.pass_("secret")
        other = poplib.POP3(second.host, second.pop3_port, timeout=TIMEOUT)
        other.user("alice")
        with pytest.raises(poplib.error_proto, match=r"IN-USE"):
            other.pass_("secret")
        holder.quit()
        first.wait_until_idle()
        again = poplib.POP3(second.host, second.pop3_port, timeout=TIMEOUT)
        again.user("alice")
        assert again.pass_("secret") == b"+OK Logged in."
        again.quit()


def _converse(
    servers: MailServers, port: int, script: bytes, *, byte_by_byte: bool, end: bytes
) -> bytes:
    sock = socket.create_connection((servers.host, port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if byte_by_byte:
        for i in range(len(script)):
            sock.sendall(script[i : i + 1])
    else:
        sock.sendall(script)
    received = b""
    while not received.endswith(end):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    sock.close()
    # What legitimately differs between two sessions: dates, the UID of the appended message,
    # and \\Recent (only the first session to see a message gets it, RFC 3501 §2.3.2).
    received = re.sub(rb"(APPENDUID \d+|UIDNEXT|UID) \d+", rb"\1 N", received)
    received = re.sub(rb"<[^<>@]+@[^<>]+>", b"<banner>", received)  # APOP: one per connection
    return re.sub(rb"\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d|\* \d+ RECENT\r\n| ?\\Recent", b"", received)


def test_commands_split_into_single_bytes_are_read_the_same(servers: MailServers) -> None:
    """TCP may cut a command anywhere: a session sent one byte at a time, literals included,
    gets the same answers as one sent at once."""
    imap_script = (
        b"a LOGIN {5}\r\nalice {6+}\r\nsecret\r\nb SELECT INBOX\r\n"
        b"c APPEND INBOX {22+}\r\nSubject: x\r\n\r\nhello\r\n\r\n"
        b"d FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\ne LOGOUT\r\n"
    )
    pop3_script = b"USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nRETR 1\r\nQUIT\r\n"
    for port, script, end in (
        (servers.imap_port, imap_script, b"e OK Logout completed.\r\n"),
        (servers.pop3_port, pop3_script, b"+OK Logging out.\r\n"),
    ):
        at_once = _converse(servers, port, script, byte_by_byte=False, end=end)
        servers.wait_until_idle()
        if port == servers.imap_port:  # take the appended message away again
            servers.call(lambda store: store.inbox.expunge([max(store.inbox.messages)]))
        in_bytes = _converse(servers, port, script, byte_by_byte=True, end=end)
        assert in_bytes.endswith(end)
        assert in_bytes == at_once


def test_the_package_keeps_the_names_of_the_old_module() -> None:
    """mailsec.retrieval.servers was one module; the course, the lab and the renderer import
    these names from it."""
    import mailsec.retrieval.servers as servers

    old = {
        "SAMPLE_MESSAGES", "Change", "DovecotServers", "FolderView", "MailServers",
        "MessageChange", "MessageView", "WireAction", "WireRun", "compare_snapshots",
        "read_bounded_line", "reset_mailbox", "run_wire_action", "IDLE_TIMEOUT", "MAX_TRANSCRIPTS",
    }  # fmt: skip
    assert old <= set(servers.__all__)
    assert all(hasattr(servers, name) for name in servers.__all__)
