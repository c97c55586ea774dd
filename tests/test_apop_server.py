"""APOP on the course's real POP3 server over 127.0.0.1, driven with Python's poplib (RFC 1939
§7): a fresh banner per connection, the login, a wrong digest slowed down and counted like a
wrong password, and no APOP before a required TLS."""

from __future__ import annotations

import poplib
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tls_servers import Wire

from mailsec.limits import MAX_AUTH_FAILURES
from mailsec.retrieval.pop3 import TLS_TEXTS
from mailsec.retrieval.servers import MailServers
from mailsec.transport.apop import ApopCapture, apop_digest, dictionary_search, parse_banner

TIMEOUT = 10  # a last guard only: every read ends as soon as the server answers
PENALTY = 0.05
"""A short penalty, so that its doubling can be measured quickly."""


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    with MailServers(
        maildir=tmp_path / "Maildir", user="alice", password="secret", auth_penalty=PENALTY
    ) as servers:
        servers.deliver(b"From: bob@example.org\r\nSubject: hi\r\n\r\nHello.\r\n")
        yield servers
        assert servers.wait_until_idle(TIMEOUT)
        assert servers.errors == []


def client(servers: MailServers) -> poplib.POP3:
    return poplib.POP3(servers.host, servers.pop3_port, timeout=TIMEOUT)


def test_poplib_logs_in_with_apop(servers: MailServers) -> None:
    pop = client(servers)
    assert pop.apop("alice", "secret") == b"+OK Logged in."
    assert pop.stat()[0] == 1
    pop.quit()
    assert servers.wait_until_idle(TIMEOUT)
    transcript = servers.transcripts[-1]
    capture = ApopCapture.from_lines(transcript.server_lines[0], transcript.client_lines)
    # The password never crossed the wire; the digest did, and it is MD5(banner + password).
    assert "secret" not in transcript.to_text()
    assert capture.digest == apop_digest(capture.banner, "secret")
    assert pop.welcome.decode().endswith(capture.banner)


def test_banners_differ_per_connection(servers: MailServers) -> None:
    """RFC 1939 §7: the timestamp MUST be different each time the server greets."""
    banners = set()
    for _ in range(5):
        pop = client(servers)
        banner = parse_banner(pop.getwelcome())
        assert banner is not None and banner.endswith(f"@{socket.gethostname()}>")
        banners.add(banner)
        pop.quit()
    assert len(banners) == 5


def test_a_digest_seen_once_does_not_log_in_again(servers: MailServers) -> None:
    """Replay protection: the next connection's banner is another, so the old digest fails."""
    first = client(servers)
    first.apop("alice", "secret")
    first.quit()
    assert servers.wait_until_idle(TIMEOUT)
    seen = ApopCapture.from_lines(
        servers.transcripts[-1].server_lines[0], servers.transcripts[-1].client_lines
    )
    replay = client(servers)
    with pytest.raises(poplib.error_proto) as refused:
        replay._shortcmd(f"APOP alice {seen.digest}")  # type: ignore[attr-defined]
    assert refused.value.args[0] == b"-ERR [AUTH] Authentication failed."
    replay.quit()


def test_a_wrong_secret_is_refused_slowed_down_and_counted_like_a_wrong_password(
    servers: MailServers,
) -> None:
    """The same penalty as USER/PASS (doubling per address, cleared by a login) and the same
    disconnect after MAX_AUTH_FAILURES on one connection."""
    pop = client(servers)
    for attempt in range(1, MAX_AUTH_FAILURES + 1):
        expected = servers.next_penalty()
        assert expected == pytest.approx(PENALTY * 2 ** (attempt - 1))
        started = time.monotonic()
        with pytest.raises(poplib.error_proto) as refused:
            pop.apop("alice", "guess")
        assert time.monotonic() - started >= expected  # only the lower bound is timed
        assert refused.value.args[0].startswith(b"-ERR [AUTH] Authentication failed.")
    assert refused.value.args[0].endswith(b"Too many failures: disconnecting.")
    assert pop.file.readline() == b""  # the server closed the connection
    pop.close()
    again = client(servers)
    assert again.apop("alice", "secret") == b"+OK Logged in."
    assert servers.next_penalty() == PENALTY  # a login clears the address's count
    again.quit()


def test_an_eavesdropper_finds_a_common_password_from_a_real_login(tmp_path: Path) -> None:
    with MailServers(maildir=tmp_path / "M", user="alice", password="letmein") as servers:
        pop = client(servers)
        pop.apop("alice", "letmein")
        pop.quit()
        assert servers.wait_until_idle(TIMEOUT)
        transcript = servers.transcripts[-1]
    capture = ApopCapture.from_lines(transcript.server_lines[0], transcript.client_lines)
    assert dictionary_search(capture.banner, capture.digest).password == "letmein"


# -- with TLS required -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServers]:
    with MailServers(
        maildir=tmp_path_factory.mktemp("apop-tls") / "Maildir",
        user="alice",
        password="secret",
        require_tls=True,
        auth_penalty=0,
    ) as servers:
        yield servers


def test_apop_is_refused_before_tls_and_allowed_after_stls(tls_servers: MailServers) -> None:
    """With require_tls APOP counts as a plaintext login: refused before TLS with Dovecot's
    text (and no penalty: nothing was tried), allowed after STLS with the greeting's banner."""
    assert tls_servers.tls is not None
    pop = client(tls_servers)
    with pytest.raises(poplib.error_proto) as refused:
        pop.apop("alice", "secret")
    assert refused.value.args[0] == b"-ERR " + TLS_TEXTS["auth_refused"].encode()
    assert tls_servers.next_penalty() == 0
    pop.stls(context=tls_servers.tls.client_context())
    assert isinstance(pop.sock, ssl.SSLSocket)
    assert pop.apop("alice", "secret") == b"+OK Logged in."
    pop.quit()


def test_a_bare_client_sees_the_same_refusal(tls_servers: MailServers) -> None:
    wire = Wire(tls_servers.pop3_port)
    banner = parse_banner(wire.line())
    assert banner is not None
    line = f"APOP alice {apop_digest(banner, 'secret')}".encode()
    assert wire.say(line) == b"-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled."
    assert wire.say(b"APOP alice 0123") == b"-ERR Invalid parameters."
    assert wire.say(b"QUIT") == b"+OK Logging out."
    wire.close()
    assert tls_servers.wait_until_idle(TIMEOUT)
