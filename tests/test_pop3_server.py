"""The real POP3 server driven with Python's poplib over 127.0.0.1 (RFC 1939, RFC 2449)."""

from __future__ import annotations

import poplib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.retrieval.servers import MailServers
from mailsec.retrieval.transcript import Protocol, Speaker

MESSAGES = [
    b"From: ann@example.org\nSubject: one\n\nFirst body\n.leading dot\n",
    b"From: bob@example.org\nSubject: two\n\nSecond\nbody\n",
    b"From: cy@example.org\nSubject: three\n\nThird\n",
]
TIMEOUT = 5


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    with MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret") as servers:
        for data in MESSAGES:
            assert servers.deliver(data).accepted
        yield servers


def connect(servers: MailServers, *, login: bool = True) -> poplib.POP3:
    client = poplib.POP3(servers.host, servers.pop3_port, timeout=TIMEOUT)
    if login:
        client.user("alice")
        client.pass_("secret")
    return client


def message_files(maildir: Path) -> list[str]:
    return sorted(p.name.split(":")[0] for d in ("new", "cur") for p in (maildir / d).iterdir())


def drop(client: poplib.POP3, servers: MailServers) -> None:
    """Drop the connection without QUIT and wait (bounded) until the server has noticed."""
    client.file.close()
    client.sock.close()
    settle(servers)


def settle(servers: MailServers) -> None:
    """Wait (bounded) until the server has finished every closed session."""
    deadline = time.monotonic() + TIMEOUT
    while any(t.ended is None for t in servers.transcripts) and time.monotonic() < deadline:
        time.sleep(0.01)


def raw_command(client: poplib.POP3, data: bytes) -> bytes:
    client.sock.sendall(data)
    return client._getresp()  # type: ignore[attr-defined]


def test_capa_lists_the_extensions(servers: MailServers) -> None:
    """RFC 2449 §5: CAPA; TOP, UIDL, USER, RESP-CODES are the ones this server has."""
    client = connect(servers, login=False)
    assert client.getwelcome().startswith(b"+OK mailsec POP3 server ready. <")
    assert set(client.capa()) == {
        "CAPA",
        "TOP",
        "UIDL",
        "RESP-CODES",
        "PIPELINING",
        "AUTH-RESP-CODE",
        "USER",
        "SASL",
    }
    client.quit()


def test_list_retr_and_sizes(servers: MailServers) -> None:
    """RFC 1939 §5: LIST sizes are the octets RETR sends (CRLF line ends, before dot-stuffing)."""
    client = connect(servers)
    count, total = client.stat()
    assert count == 3
    _resp, listing, _octets = client.list()
    sizes = {int(n): int(s) for n, s in (entry.split() for entry in listing)}
    assert total == sum(sizes.values())
    for number, original in enumerate(MESSAGES, 1):
        resp, lines, _octets = client.retr(number)
        assert resp == f"+OK {sizes[number]} octets".encode()
        # poplib undoes the dot-stuffing; what comes back is the message as delivered.
        assert b"\r\n".join(lines) + b"\r\n" == original.replace(b"\n", b"\r\n")
    client.quit()


def test_top(servers: MailServers) -> None:
    """RFC 1939 §7 TOP: the header, the blank line, then n lines of the body."""
    client = connect(servers)
    _resp, lines, _octets = client.top(2, 1)
    assert lines == [b"From: bob@example.org", b"Subject: two", b"", b"Second"]
    client.quit()


def test_uidl_stays_the_same_across_sessions_and_restarts(
    servers: MailServers, tmp_path: Path
) -> None:
    """RFC 1939 §7 UIDL: a unique-id never changes for a message, in any session."""
    client = connect(servers)
    first = client.uidl()[1]
    client.quit()
    servers.stop()
    servers.start()
    client = connect(servers)
    assert client.uidl()[1] == first
    assert len({line.split()[1] for line in first}) == 3
    client.quit()


def test_dele_quit_removes_the_file(servers: MailServers, tmp_path: Path) -> None:
    """RFC 1939 §6: in the UPDATE state the marked message is removed from the maildrop."""
    before = message_files(tmp_path / "Maildir")
    client = connect(servers)
    client.dele(1)
    assert client.quit() == b"+OK Logging out, messages deleted."
    assert len(message_files(tmp_path / "Maildir")) == len(before) - 1


def test_dropped_connection_deletes_nothing(servers: MailServers, tmp_path: Path) -> None:
    """RFC 1939 §6: a session that ends without QUIT does not enter UPDATE: nothing is deleted."""
    before = message_files(tmp_path / "Maildir")
    client = connect(servers)
    client.dele(1)
    client.dele(2)
    drop(client, servers)  # the connection drops: no QUIT
    client = connect(servers)  # the lock was released, and all three are still there
    assert client.stat()[0] == 3
    client.quit()
    settle(servers)
    assert message_files(tmp_path / "Maildir") == before
    ended = [t.ended for t in servers.transcripts if t.protocol is Protocol.POP3]
    assert ended[:2] == ["dropped", "QUIT"]


def test_rset(servers: MailServers, tmp_path: Path) -> None:
    """RFC 1939 §5 RSET unmarks every message marked as deleted."""
    client = connect(servers)
    client.dele(3)
    client.rset()
    assert client.stat()[0] == 3
    client.quit()
    assert len(message_files(tmp_path / "Maildir")) == 3


def test_second_session_is_locked_out(servers: MailServers) -> None:
    """RFC 1939 §8 and RFC 2449 §8.1.2: the maildrop lock; the second session gets [IN-USE]."""
    first = connect(servers)
    second = connect(servers, login=False)
    second.user("alice")
    with pytest.raises(poplib.error_proto) as refused:
        second.pass_("secret")
    assert refused.value.args[0] == b"-ERR [IN-USE] Mailbox is locked by another POP3 session."
    assert first.stat()[0] == 3  # the first session is not disturbed
    first.quit()
    third = connect(servers)
    assert third.stat()[0] == 3
    third.quit()


def test_wrong_password_then_right(servers: MailServers) -> None:
    """RFC 3206 §4 [AUTH]: the credentials were wrong; the client may try again."""
    client = connect(servers, login=False)
    client.user("alice")
    with pytest.raises(poplib.error_proto) as refused:
        client.pass_("guess")
    assert refused.value.args[0] == b"-ERR [AUTH] Authentication failed."
    client.user("alice")
    assert client.pass_("secret") == b"+OK Logged in."
    client.quit()


def test_errors_keep_the_session_going(servers: MailServers) -> None:
    """RFC 1939 §5: bad numbers, unknown commands, wrong state -> -ERR, then business as usual."""
    client = connect(servers)
    for command, reply in [
        ("RETR 99", b"-ERR There's no message 99."),
        ("DELE abc", b"-ERR Invalid message number: abc"),
        ("APOP alice 0123", b"-ERR Unknown command: APOP"),
        ("PASS secret", b"-ERR Unknown command: PASS"),
    ]:
        with pytest.raises(poplib.error_proto) as error:
            client._shortcmd(command)  # type: ignore[attr-defined]
        assert error.value.args[0] == reply
    assert client.stat()[0] == 3
    client.quit()


def test_overlong_line_and_non_utf8(servers: MailServers) -> None:
    """Bounded reads: a 1 MB line is discarded with -ERR; bytes that are not UTF-8 get -ERR."""
    client = connect(servers)
    with pytest.raises(poplib.error_proto) as error:
        raw_command(client, b"LIST " + b"9" * 1_000_000 + b"\r\n")
    assert error.value.args[0] == b"-ERR Input line too long."
    with pytest.raises(poplib.error_proto) as error:
        raw_command(client, b"\xff\xfe STAT\r\n")
    assert error.value.args[0].startswith(b"-ERR Unknown command: ")
    assert client.stat()[0] == 3
    client.quit()


def test_new_mail_appears_in_the_next_session(servers: MailServers) -> None:
    """RFC 1939 §5: message numbers are fixed for a session; new mail shows in the next one."""
    client = connect(servers)
    servers.deliver(b"Subject: four\n\nnew\n")
    assert client.stat()[0] == 3
    client.quit()
    client = connect(servers)
    assert client.stat()[0] == 4
    client.quit()


def test_transcript_records_both_sides_with_password_masked(servers: MailServers) -> None:
    client = connect(servers)
    client.stat()
    client.quit()
    settle(servers)
    transcript = servers.transcripts[-1]
    assert transcript.ended == "QUIT"
    assert transcript.protocol is Protocol.POP3
    assert transcript.client_lines == ("USER alice", "PASS ••••••", "STAT", "QUIT")
    assert transcript.server_lines[0].startswith("+OK mailsec POP3 server ready. <")
    assert [u.speaker for u in transcript.entries][1:3] == [Speaker.SERVER, Speaker.CLIENT]
    assert "secret" not in transcript.to_text()


def test_server_survives_a_client_that_vanishes_mid_line(servers: MailServers) -> None:
    sock = socket.create_connection((servers.host, servers.pop3_port), timeout=TIMEOUT)
    sock.recv(100)
    sock.sendall(b"USER al")  # no line end, then gone
    sock.close()
    client = connect(servers)
    assert client.stat()[0] == 3
    client.quit()


def test_auth_plain(servers: MailServers) -> None:
    """RFC 5034 AUTH with SASL PLAIN (RFC 4616): listed by CAPA, with or without an initial
    response; the credentials are masked in the transcript."""
    client = connect(servers, login=False)
    assert client.capa()["SASL"] == ["PLAIN"]
    assert raw_command(client, b"AUTH\r\n") == b"+OK"
    assert client._getline()[0] == b"PLAIN"  # type: ignore[attr-defined]
    assert client._getline()[0] == b"."  # type: ignore[attr-defined]
    with pytest.raises(poplib.error_proto, match=r"Unsupported authentication mechanism"):
        raw_command(client, b"AUTH CRAM-MD5\r\n")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\] Authentication failed"):
        raw_command(client, b"AUTH PLAIN AGFsaWNlAG5vcGU=\r\n")
    client.sock.sendall(b"AUTH PLAIN\r\n")
    assert client._getline()[0] == b"+ "  # type: ignore[attr-defined]
    assert raw_command(client, b"AGFsaWNlAHNlY3JldA==\r\n") == b"+OK Logged in."
    assert client.stat()[0] == 3
    client.quit()
    settle(servers)
    text = servers.transcripts[-1].to_text()
    assert "C: AUTH PLAIN ••••••" in text
    assert "AGFsaWNlAHNlY3JldA" not in text
