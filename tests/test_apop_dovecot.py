"""APOP side by side with Dovecot 2.3 (``auth_mechanisms = plain login apop``, plaintext passwords
in its passwd-file): the greeting's banner, the replies to well- and ill-formed APOP lines, a
wrong digest, USER kept across a failed APOP, and, with TLS required, the refusal before STLS
and the login after it.

Dovecot slows down every failed login from an address (about 2 s, doubling), so each script
connects from its own loopback address and fails at most twice. Connections that must not count
as secure come from :data:`~mailsec.retrieval.servers.dovecot.INSECURE_CLIENT`, as in
``test_tls_servers_dovecot.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dovecot_wire import MESSAGES, needs_dovecot
from test_tls_servers import Wire
from test_tls_servers_dovecot import files

from mailsec.retrieval.maildir import MailStore
from mailsec.retrieval.pop3 import Pop3Session
from mailsec.retrieval.servers import DovecotServers, MailServers, ServerTls
from mailsec.retrieval.servers.dovecot import INSECURE_CLIENT
from mailsec.transport.apop import apop_digest, parse_banner

pytestmark = [pytest.mark.interop, pytest.mark.slow, needs_dovecot]

GREETING = re.compile(
    r"\+OK .+ (<[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+\.[A-Za-z0-9+/]{22}==@[A-Za-z0-9.-]+>)"
)
"""A greeting with a banner in Dovecot's form, <pid.serial.clock.random@host>."""


@pytest.fixture(scope="module")
def course_tls() -> ServerTls:
    return ServerTls.course()


@pytest.fixture(scope="module")
def plain(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[MailServers, DovecotServers]]:
    """Ours and Dovecot with APOP, no TLS, over the same messages."""
    folder = tmp_path_factory.mktemp("apop-dovecot")
    ours = MailServers(folder / "Maildir", user="alice", password="secret", auth_penalty=0)
    dovecot = DovecotServers(user="alice", password="secret", messages=MESSAGES, apop=True)
    with ours, dovecot:
        for data in MESSAGES:
            ours.deliver(data)
        yield ours, dovecot


def greet(port: int, source: str) -> tuple[Wire, str]:
    """A connection and the banner of its greeting, which has Dovecot's form."""
    wire = Wire(port, source=source)
    found = GREETING.fullmatch(wire.line().decode())
    assert found is not None
    return wire, found.group(1)


def apop_script(port: int, source: str) -> list[bytes]:
    wire, banner = greet(port, source)
    right, wrong = apop_digest(banner, "secret"), apop_digest(banner, "guess")
    replies = [
        wire.say(command)
        for command in (
            b"APOP",
            b"APOP alice",
            b"APOP alice 0123",
            b"APOP alice  " + right.encode(),
            b"APOP alice " + b"z" * 32,
            b"USER alice",
            b"APOP alice " + wrong.encode(),
            b"PASS secret",  # USER's name outlives the failed APOP
            b"APOP alice " + right.encode(),  # logged in now: an unknown command
            b"QUIT",
        )
    ]
    wire.close()
    wire, banner = greet(port, source)
    right = apop_digest(banner, "secret")
    for command in (b"APOP bob " + right.encode(), b"APOP alice " + right.upper().encode()):
        replies.append(wire.say(command))
    replies.append(wire.say(b"QUIT"))
    wire.close()
    return replies


def test_apop_replies_match_dovecot(plain: tuple[MailServers, DovecotServers]) -> None:
    """RFC 1939 §7: the login, and Dovecot's words for what is not one."""
    ours, dovecot = plain
    mine = apop_script(ours.pop3_port, "127.0.0.3")
    assert mine == apop_script(dovecot.pop3_port, "127.0.0.4")
    assert mine == [
        b"-ERR Invalid parameters.",
        b"-ERR Invalid parameters.",
        b"-ERR Invalid parameters.",
        b"-ERR Invalid parameters.",
        b"-ERR Invalid characters in MD5 response.",
        b"+OK",
        b"-ERR [AUTH] Authentication failed.",
        b"+OK Logged in.",
        b"-ERR Unknown command: APOP",
        b"+OK Logging out.",
        b"-ERR [AUTH] Authentication failed.",
        b"+OK Logged in.",
        b"+OK Logging out.",
    ]


def test_both_greet_with_a_new_banner_each_time(plain: tuple[MailServers, DovecotServers]) -> None:
    """RFC 1939 §7: a banner in every greeting, never the same twice."""
    for server in plain:
        banners = set()
        for _ in range(3):
            wire, banner = greet(server.pop3_port, "127.0.0.1")
            wire.say(b"QUIT")
            wire.close()
            banners.add(banner)
        assert len(banners) == 3


def test_without_apop_both_refuse_it_in_the_same_words(tmp_path: Path) -> None:
    """Dovecot's default (no apop mechanism) against a session with ``apop=False``: no banner,
    and APOP answered with the same text."""
    line = b"APOP alice " + b"0" * 32
    session = Pop3Session(MailStore(tmp_path / "M"), user="alice", password="s", apop=False)
    with DovecotServers(user="alice", password="secret") as dovecot:
        wire = Wire(dovecot.pop3_port)
        greeting = wire.line()
        assert parse_banner(greeting) is None
        assert wire.say(line).decode() == session.handle(line).status_line
        wire.close()
    assert parse_banner(session.greeting().status_line) is None


# -- TLS required ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def required(
    tmp_path_factory: pytest.TempPathFactory, course_tls: ServerTls
) -> Iterator[tuple[MailServers, DovecotServers]]:
    """Ours with require_tls, Dovecot with ``ssl = required``, both with APOP."""
    folder = tmp_path_factory.mktemp("apop-dovecot-tls")
    ours = MailServers(
        folder / "Maildir",
        user="alice",
        password="secret",
        require_tls=True,
        auth_penalty=0,
        **files(folder, course_tls),
    )
    dovecot = DovecotServers(
        user="alice", password="secret", require_tls=True, apop=True, **files(folder, course_tls)
    )
    with ours, dovecot:
        yield ours, dovecot


def tls_script(port: int, tls: ServerTls) -> list[bytes]:
    wire, banner = greet(port, INSECURE_CLIENT)
    right = apop_digest(banner, "secret").encode()
    replies = [
        wire.say(command)
        for command in (b"APOP alice 0123", b"APOP alice " + b"z" * 32, b"APOP alice " + right)
    ]
    replies.append(wire.say(b"STLS"))
    wire.start_tls(tls.client_context())
    replies += [wire.say(b"APOP alice " + right), wire.say(b"QUIT")]
    wire.close()
    return replies


def test_apop_before_tls_is_refused_as_dovecot_refuses_it(
    required: tuple[MailServers, DovecotServers], course_tls: ServerTls
) -> None:
    """RFC 8314 §3 / Dovecot's ssl = required: APOP is refused like AUTH before TLS; after STLS
    the greeting's banner logs in."""
    ours, dovecot = required
    mine = tls_script(ours.pop3_port, course_tls)
    assert mine == tls_script(dovecot.pop3_port, course_tls)
    assert mine == [
        b"-ERR Invalid parameters.",
        b"-ERR Invalid characters in MD5 response.",
        b"-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled.",
        b"+OK Begin TLS negotiation now.",
        b"+OK Logged in.",
        b"+OK Logging out.",
    ]
