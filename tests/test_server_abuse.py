"""The servers bound abuse as Dovecot does: connection caps, a login time-out, a wrong password's
answer slowed down (doubling per address) and the connection closed after a few failures, and
loopback addresses only unless asked otherwise."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.errors import InputError
from mailsec.limits import AUTH_PENALTY_MAX, MAX_AUTH_FAILURES
from mailsec.retrieval.servers import MailServers, check_host, shells

TIMEOUT = 30  # a last guard only: every read below ends as soon as the server answers


class Line:
    """A bare client connection reading one line at a time."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")

    def read(self) -> bytes:
        return self.file.readline()

    def say(self, line: bytes) -> bytes:
        self.sock.sendall(line + b"\r\n")
        return self.read()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def servers_at(tmp_path: Path, **settings: float) -> MailServers:
    return MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret", **settings)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    with servers_at(tmp_path, auth_penalty=0) as servers:
        yield servers


def test_pop3_closes_after_the_third_wrong_password(servers: MailServers) -> None:
    client = Line(servers.pop3_port)
    client.read()
    for attempt in range(1, MAX_AUTH_FAILURES + 1):
        assert client.say(b"USER alice") == b"+OK\r\n"
        reply = client.say(b"PASS guess%d" % attempt)
        assert reply.startswith(b"-ERR [AUTH] Authentication failed.")
    assert b"Too many failures" in reply
    assert client.read() == b""  # the server closed the connection
    client.close()


def test_pop3_sasl_failures_count_too(servers: MailServers) -> None:
    client = Line(servers.pop3_port)
    client.read()
    wrong = base64.b64encode(b"\0alice\0guess")
    for _ in range(MAX_AUTH_FAILURES):
        reply = client.say(b"AUTH PLAIN " + wrong)
    assert reply.startswith(b"-ERR") and b"Too many failures" in reply
    assert client.read() == b""
    client.close()


def test_imap_closes_after_the_third_wrong_password(servers: MailServers) -> None:
    client = Line(servers.imap_port)
    client.read()
    for attempt in range(1, MAX_AUTH_FAILURES):
        assert client.say(b"a%d LOGIN alice guess" % attempt) == (
            b"a%d NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % attempt
        )
    wrong = base64.b64encode(b"\0alice\0guess")
    assert client.say(b"z AUTHENTICATE PLAIN " + wrong).startswith(b"z NO [AUTHENTICATIONFAILED]")
    assert client.read() == b"* BYE Disconnected for too many authentication failures.\r\n"
    assert client.read() == b""
    client.close()


def test_a_right_password_in_between_starts_the_count_again(servers: MailServers) -> None:
    client = Line(servers.imap_port)
    client.read()
    assert client.say(b"a LOGIN alice guess").startswith(b"a NO")
    assert client.say(b"b LOGIN alice secret").startswith(b"b OK")
    assert client.say(b"c LOGOUT").startswith(b"* BYE")
    client.close()


def test_wrong_passwords_wait_longer_and_longer(tmp_path: Path) -> None:
    """The answer waits at least the penalty, which doubles per failure from the address and
    is cleared by a successful login (only lower bounds are timed: a loaded machine is slower)."""
    with servers_at(tmp_path, auth_penalty=0.2) as servers:
        assert servers.next_penalty() == 0.2
        for expected in (0.2, 0.4):
            client = Line(servers.pop3_port)  # a new connection: the count is per address
            client.read()
            client.say(b"USER alice")
            started = time.monotonic()
            assert client.say(b"PASS guess").startswith(b"-ERR [AUTH]")
            assert time.monotonic() - started >= expected
            client.close()
        assert servers.next_penalty() == pytest.approx(0.8)
        assert servers.next_penalty("192.0.2.1") == 0.2  # another address has its own count
        client = Line(servers.imap_port)
        client.read()
        assert client.say(b"a LOGIN alice secret").startswith(b"a OK")
        assert servers.next_penalty() == 0.2
        client.close()


def test_the_penalty_stops_growing() -> None:
    servers = MailServers(maildir=Path("unused"), user="alice", password="secret")
    servers._failures["127.0.0.1"] = 40
    assert servers.next_penalty() == AUTH_PENALTY_MAX


def test_stop_does_not_wait_for_a_penalty(tmp_path: Path) -> None:
    servers = servers_at(tmp_path, auth_penalty=AUTH_PENALTY_MAX).start()
    client = Line(servers.pop3_port)
    client.read()
    client.say(b"USER alice")
    client.sock.sendall(b"PASS guess\r\n")
    started = time.monotonic()
    servers.stop()
    assert time.monotonic() - started < AUTH_PENALTY_MAX - 1
    client.close()


@pytest.mark.parametrize(
    ("side", "refusal"),
    [
        ("pop3_port", b"-ERR [SYS/TEMP] Too many connections, try again later.\r\n"),
        ("imap_port", b"* BYE Too many connections, try again later.\r\n"),
    ],
)
def test_connections_from_one_address_are_capped(
    servers: MailServers, monkeypatch: pytest.MonkeyPatch, side: str, refusal: bytes
) -> None:
    monkeypatch.setattr(shells, "MAX_CONNECTIONS_PER_ADDRESS", 2)
    port = getattr(servers, side)
    first, second = Line(port), Line(port)
    assert first.read() and second.read()  # both greeted
    third = Line(port)
    assert third.read() == refusal
    assert third.read() == b""
    for client in (first, second, third):
        client.close()
    assert servers.wait_until_idle(TIMEOUT)
    again = [Line(port), Line(port)]
    assert all(client.read() != refusal for client in again)  # the places are free again
    for client in again:
        client.close()


def test_connections_in_all_are_capped(
    servers: MailServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POP3 and IMAP4 share the total: one more than it on either side is refused."""
    monkeypatch.setattr(shells, "MAX_CONNECTIONS", 2)
    pop, imap = Line(servers.pop3_port), Line(servers.imap_port)
    assert pop.read().startswith(b"+OK") and imap.read().startswith(b"* OK")
    extra = Line(servers.imap_port)
    assert extra.read() == b"* BYE Too many connections, try again later.\r\n"
    for client in (pop, imap, extra):
        client.close()


@pytest.mark.parametrize("side", ["pop3_port", "imap_port"])
def test_silence_before_login_ends_sooner(tmp_path: Path, side: str) -> None:
    with servers_at(tmp_path, login_timeout=0.3) as servers:
        client = Line(getattr(servers, side))
        client.read()
        assert client.read() == b""  # closed by the server after the login time-out
        client.close()
        assert servers.wait_until_idle(TIMEOUT)
        assert servers.transcripts[-1].ended is not None


@pytest.mark.parametrize(
    ("side", "login"),
    [("pop3_port", [b"USER alice", b"PASS secret"]), ("imap_port", [b"a LOGIN alice secret"])],
)
def test_after_login_the_idle_time_out_applies(
    tmp_path: Path, side: str, login: list[bytes]
) -> None:
    with servers_at(tmp_path, login_timeout=TIMEOUT * 10, idle_timeout=0.3) as servers:
        client = Line(getattr(servers, side))
        client.read()
        for line in login:
            client.say(line)
        assert client.read() == b""  # the idle time-out, not the login one, closed it
        client.close()


@pytest.mark.parametrize(
    ("given", "listens"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "127.0.0.1"),
        ("::1", "::1"),
        ("127.0.0.2", "127.0.0.2"),
    ],
)
def test_loopback_addresses_are_accepted(given: str, listens: str) -> None:
    assert check_host(given) == listens


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::", "example.org", ""])
def test_other_addresses_are_refused_unless_asked_for(host: str) -> None:
    with pytest.raises(InputError):
        MailServers(maildir=Path("unused"), user="alice", password="secret", host=host)
    if host in {"0.0.0.0", "192.0.2.1", "::"}:
        servers = MailServers(
            maildir=Path("unused"), user="alice", password="secret", host=host, allow_remote=True
        )
        assert servers.host == host


def test_stop_finishes_and_then_reports_an_unexpected_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A defect while closing is not swallowed: stopping completes, then the error is raised."""
    servers = servers_at(tmp_path, auth_penalty=0).start()

    async def broken() -> None:
        raise ValueError("a defect while closing")

    monkeypatch.setattr(servers, "_close", broken)
    with pytest.raises(ValueError, match="a defect while closing"):
        servers.stop()
    assert not servers.running
