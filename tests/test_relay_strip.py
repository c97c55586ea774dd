"""STARTTLS stripping: the rewriting rules offline, then the attack end to end with real
clients (smtplib, poplib, imaplib) against the course's servers.

RFC 3207 §4 and §6 (SMTP STARTTLS, "454 TLS not available", the man-in-the-middle who deletes
"250 STARTTLS"), RFC 2595 §2.2 and §4 (POP3 STLS, the client that refuses without TLS), RFC 3501
§6.2.1 and §7.2.1 (IMAP STARTTLS, LOGINDISABLED), RFC 8314 §3 (implicit TLS).
"""

from __future__ import annotations

import base64
import socket
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailsec.op25b.model import HANAKO, HANAKO_PASSWORD
from mailsec.op25b.smtpd import ModelSmtpServers
from mailsec.transport.relay import MailProtocol, Relay
from mailsec.transport.relay_clients import LoginOutcome, LoginResult, TlsSetting, log_in
from mailsec.transport.relay_recording import Direction, Recording
from mailsec.transport.relay_strip import ImapStripper, Pop3Stripper, SmtpStripper
from mailsec.transport.relay_view import Channel, Eavesdropped, eavesdrop

LOOPBACK = "127.0.0.1"
GUARD = 10.0
MAIL_HOST = "mail.mailprovider.example"

# -- the rules, offline ------------------------------------------------------------------------------


def _feed(stripper: SmtpStripper, reply: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for line in reply:
        out += stripper.server_line(line)
    return out


def test_smtp_the_starttls_line_leaves_the_ehlo_reply_rfc3207_s6() -> None:
    stripper = SmtpStripper()
    reply = [b"250-smtp.example\r\n", b"250-STARTTLS\r\n", b"250-8BITMIME\r\n", b"250 HELP\r\n"]
    assert _feed(stripper, reply) == [b"250-smtp.example\r\n", b"250-8BITMIME\r\n", b"250 HELP\r\n"]
    assert stripper.take_notes() == [
        ("removed the STARTTLS line from the server's EHLO reply", "RFC 3207 §6")
    ]


def test_smtp_when_starttls_is_last_the_new_last_line_ends_the_reply() -> None:
    reply = [b"250-smtp.example\r\n", b"250-SIZE 1000\r\n", b"250 starttls\r\n"]
    assert _feed(SmtpStripper(), reply) == [b"250-smtp.example\r\n", b"250 SIZE 1000\r\n"]


def test_smtp_replies_without_the_offer_pass_unchanged() -> None:
    stripper = SmtpStripper()
    assert _feed(stripper, [b"220 hello\r\n"]) == [b"220 hello\r\n"]
    assert _feed(stripper, [b"250-a\r\n", b"250 b\r\n"]) == [b"250-a\r\n", b"250 b\r\n"]
    assert stripper.take_notes() == []


def test_smtp_starttls_is_answered_with_454_rfc3207_s4() -> None:
    stripper = SmtpStripper()
    assert stripper.client_line(b"starttls\r\n") == (
        b"454 4.7.0 TLS not available due to temporary reason\r\n"
    )
    assert stripper.client_line(b"EHLO me\r\n") is None


def test_smtp_a_message_line_reading_starttls_is_mail_not_a_command() -> None:
    stripper = SmtpStripper()
    assert _feed(stripper, [b"354 go ahead\r\n"]) == [b"354 go ahead\r\n"]
    assert stripper.client_line(b"STARTTLS\r\n") is None  # inside DATA (RFC 5321 §4.1.1.4)
    assert stripper.client_line(b".\r\n") is None
    assert stripper.client_line(b"STARTTLS\r\n") is not None


def test_pop3_stls_leaves_capa_before_login_only_rfc2595_s4() -> None:
    stripper = Pop3Stripper()
    assert stripper.server_line(b"STLS\r\n") == []
    assert stripper.server_line(b"USER\r\n") == [b"USER\r\n"]
    assert stripper.client_line(b"STLS\r\n") == b"-ERR [SYS/TEMP] TLS is not available\r\n"
    assert stripper.client_line(b"RETR 1\r\n") is None  # TRANSACTION: the rules stop
    assert stripper.server_line(b"STLS\r\n") == [b"STLS\r\n"]  # a line of a message


def test_imap_capability_lists_lose_starttls_and_logindisabled_rfc3501_s7_2_1() -> None:
    stripper = ImapStripper()
    greeting = b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"
    assert stripper.server_line(greeting) == [b"* OK [CAPABILITY IMAP4rev1] ready\r\n"]
    assert stripper.server_line(b"* CAPABILITY IMAP4rev1 starttls AUTH=PLAIN\r\n") == [
        b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"
    ]
    assert stripper.server_line(b"* OK STARTTLS is a word here\r\n") == [
        b"* OK STARTTLS is a word here\r\n"
    ]
    assert stripper.client_line(b"a1 STARTTLS\r\n") == b"a1 BAD STARTTLS is not available\r\n"
    assert [text for text, _ in stripper.take_notes()] == [
        "removed LOGINDISABLED and STARTTLS from the server's capability list",
        "removed STARTTLS from the server's capability list",
        "answered the client's STARTTLS itself (a1 BAD STARTTLS is not available); the server "
        "never saw it",
    ]


# -- end to end: SMTP submission ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    plain: int
    implicit: int
    context: ssl.SSLContext


@dataclass(frozen=True)
class Run:
    login: LoginResult
    recording: Recording
    seen: Eavesdropped


def _log_in(
    protocol: MailProtocol, target: Target, port: int, setting: TlsSetting, name: str = ""
) -> LoginResult:
    """Hanako logs in to ``target`` at ``port`` of 127.0.0.1 (the relay's, usually)."""
    return log_in(
        protocol,
        name or target.name,
        port,
        HANAKO,
        HANAKO_PASSWORD,
        tls=setting,
        context=target.context,
        address=LOOPBACK,
    )


def _run(protocol: MailProtocol, target: Target, setting: TlsSetting, *, strip: bool) -> Run:
    port = target.implicit if setting is TlsSetting.IMPLICIT else target.plain
    with Relay(LOOPBACK, port, protocol=protocol, strip=strip) as relay:
        login = _log_in(protocol, target, relay.port, setting)
        assert relay.wait_until_idle(GUARD)
        recording = relay.recordings[-1]
    return Run(login, recording, eavesdrop(recording))


def _wire(recording: Recording) -> bytes:
    return recording.data(Direction.TO_SERVER) + recording.data(Direction.TO_CLIENT)


def _password_absent(recording: Recording) -> None:
    """Not on the wire in any form a wiretap could read: in clear, or base64 inside PLAIN."""
    wire = _wire(recording)
    assert HANAKO_PASSWORD.encode() not in wire
    for prefix in ("", HANAKO):
        plain = base64.b64encode(f"{prefix}\0{HANAKO}\0{HANAKO_PASSWORD}".encode())
        assert plain not in wire


@pytest.fixture(scope="module")
def smtp() -> Iterator[Target]:
    with ModelSmtpServers() as servers:
        host = servers.world.host("provider-smtp")
        context = servers._client_tls  # trusts the servers' throwaway certificate
        assert context is not None
        yield Target(
            host.hostname,
            servers.ports[("provider-smtp", 587)],
            servers.ports[("provider-smtp", 465)],
            context,
        )


def _retrieval(*, require_tls: bool) -> Iterator[dict[MailProtocol, Target]]:
    """POP3 and IMAP servers with a course certificate for MAIL_HOST (TLS offered, and
    required before login when ``require_tls``)."""
    from mailsec.retrieval.servers import MailServers, ServerTls

    tls = ServerTls.course([MAIL_HOST])
    with tempfile.TemporaryDirectory() as folder:
        servers = MailServers(
            Path(folder) / "Maildir",
            user=HANAKO,
            password=HANAKO_PASSWORD,
            tls=tls.context,
            require_tls=require_tls,
            pop3s_port=0,
            imaps_port=0,
            auth_penalty=0,
        )
        with servers:
            context = tls.client_context()
            yield {
                MailProtocol.POP3: Target(
                    MAIL_HOST, servers.pop3_port, servers.pop3s_port or 0, context
                ),
                MailProtocol.IMAP: Target(
                    MAIL_HOST, servers.imap_port, servers.imaps_port or 0, context
                ),
            }


@pytest.fixture(scope="module")
def retrieval() -> Iterator[dict[MailProtocol, Target]]:
    yield from _retrieval(require_tls=True)


@pytest.fixture(scope="module")
def lenient() -> Iterator[dict[MailProtocol, Target]]:
    """Servers that offer TLS but do not require it: stripping alone is enough."""
    yield from _retrieval(require_tls=False)


@pytest.fixture(params=list(MailProtocol), ids=lambda p: p.value)
def target(request: pytest.FixtureRequest) -> tuple[MailProtocol, Target]:
    protocol: MailProtocol = request.param
    if protocol is MailProtocol.SMTP:
        return protocol, request.getfixturevalue("smtp")
    return protocol, request.getfixturevalue("retrieval")[protocol]


def test_opportunistic_client_under_stripping_sends_the_password_in_clear(target) -> None:  # type: ignore[no-untyped-def]
    protocol, server = target
    run = _run(protocol, server, TlsSetting.OPPORTUNISTIC, strip=True)
    assert run.login.outcome is LoginOutcome.LOGGED_IN  # the server saw TLS from the attacker
    assert run.login.tls_version is None and run.login.password_sent
    assert run.seen.channel is Channel.PLAINTEXT
    assert [(c.user, c.password) for c in run.seen.credentials] == [(HANAKO, HANAKO_PASSWORD)]
    assert any("used it itself" in note.text for note in run.seen.attack)


def test_no_tls_client_under_stripping_is_captured_too(target) -> None:  # type: ignore[no-untyped-def]
    protocol, server = target
    run = _run(protocol, server, TlsSetting.NONE, strip=True)
    assert run.login.logged_in and run.seen.captured


def test_client_that_requires_tls_refuses_and_never_sends_the_password(target) -> None:  # type: ignore[no-untyped-def]
    protocol, server = target
    run = _run(protocol, server, TlsSetting.REQUIRED, strip=True)
    assert run.login.outcome is LoginOutcome.CLIENT_REFUSED
    assert not run.login.password_sent
    assert f"does not offer {protocol.upgrade_command}" in run.login.reason
    assert not run.seen.captured
    _password_absent(run.recording)


def test_implicit_tls_leaves_the_attacker_nothing_to_strip(target) -> None:  # type: ignore[no-untyped-def]
    protocol, server = target
    run = _run(protocol, server, TlsSetting.IMPLICIT, strip=True)
    assert run.login.logged_in and run.login.tls_version
    assert run.seen.channel is Channel.IMPLICIT and not run.seen.lines
    assert not run.seen.captured
    _password_absent(run.recording)
    assert run.seen.server_name == server.name  # what TLS still shows: the name, in clear
    assert any("implicit TLS" in note.text for note in run.seen.attack)


def test_without_the_attacker_opportunistic_upgrades_and_nothing_is_captured(target) -> None:  # type: ignore[no-untyped-def]
    protocol, server = target
    run = _run(protocol, server, TlsSetting.OPPORTUNISTIC, strip=False)
    assert run.login.logged_in and run.login.tls_version == "TLSv1.3"
    assert run.seen.channel is Channel.STARTTLS
    assert protocol.upgrade_command in [line.text.split()[-1] for line in run.seen.lines]
    assert not run.seen.captured and not run.seen.attack
    _password_absent(run.recording)
    assert run.seen.server_name == server.name


def test_without_the_attacker_a_no_tls_client_is_refused_by_the_server(target) -> None:  # type: ignore[no-untyped-def]
    protocol, server = target
    run = _run(protocol, server, TlsSetting.NONE, strip=False)
    assert run.login.outcome is LoginOutcome.SERVER_REFUSED and not run.login.password_sent
    _password_absent(run.recording)


def _lines_of(sock: socket.socket, until: bytes) -> bytes:
    data = b""
    while not data.endswith(until):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_smtp_stripping_alone_rewrites_the_reply_and_answers_starttls(smtp: Target) -> None:
    """Without its own TLS to the server the attacker only rewrites: what the server said
    (with STARTTLS) and what the client got (without) differ; STARTTLS gets 454."""
    with Relay(
        LOOPBACK, smtp.plain, protocol=MailProtocol.SMTP, strip=True, upgrade=False
    ) as relay:
        with socket.create_connection((LOOPBACK, relay.port), timeout=GUARD) as sock:
            assert _lines_of(sock, b"\r\n").startswith(b"220 ")
            sock.sendall(b"EHLO me\r\n")
            reply = _lines_of(sock, b"HELP\r\n")
            assert b"STARTTLS" not in reply and reply.endswith(b"250 HELP\r\n")
            sock.sendall(b"STARTTLS\r\n")
            assert _lines_of(sock, b"\r\n") == (
                b"454 4.7.0 TLS not available due to temporary reason\r\n"
            )
            sock.sendall(b"QUIT\r\n")
            assert _lines_of(sock, b"\r\n").startswith(b"221")
        assert relay.wait_until_idle(GUARD)
        notes = [n.text for n in relay.recordings[-1].notes if n.attack]
    assert notes[0] == "removed the STARTTLS line from the server's EHLO reply"
    assert notes[1].startswith("answered the client's STARTTLS itself (454 4.7.0")
    # smtplib opportunistic through this attacker: no STARTTLS, and no AUTH before TLS either.
    run_login = _log_in(MailProtocol.SMTP, smtp, relay.start().port, TlsSetting.OPPORTUNISTIC)
    relay.stop()
    assert run_login.outcome is LoginOutcome.SERVER_REFUSED and not run_login.password_sent


def test_a_wrong_certificate_is_a_refusal(smtp: Target) -> None:
    # "other.example" is not the certificate's name
    run = _log_in(MailProtocol.SMTP, smtp, smtp.implicit, TlsSetting.IMPLICIT, "other.example")
    assert run.outcome is LoginOutcome.CLIENT_REFUSED and not run.password_sent
    assert "TLS handshake failed" in run.reason and run.steps[-1].section == "RFC 8314 §5.3"


@pytest.mark.parametrize("protocol", [MailProtocol.POP3, MailProtocol.IMAP], ids=lambda p: p.value)
def test_stripping_alone_captures_where_the_server_allows_plaintext_logins(
    lenient: dict[MailProtocol, Target], protocol: MailProtocol
) -> None:
    """The attacker only deletes the offer as it passes (no TLS of its own): a server that
    offers TLS without requiring it takes the plaintext login (RFC 3207 §6 tells the same of SMTP)."""
    server = lenient[protocol]
    with Relay(LOOPBACK, server.plain, protocol=protocol, strip=True, upgrade=False) as relay:
        login = _log_in(protocol, server, relay.port, TlsSetting.OPPORTUNISTIC)
        assert relay.wait_until_idle(GUARD)
        recording = relay.recordings[-1]
    seen = eavesdrop(recording)
    assert login.logged_in and login.tls_version is None
    assert [(c.user, c.password) for c in seen.credentials] == [(HANAKO, HANAKO_PASSWORD)]
    removed = "STLS" if protocol is MailProtocol.POP3 else "STARTTLS"
    assert any(note.text.startswith("removed") and removed in note.text for note in seen.attack)
    assert removed not in [
        line.text for line in seen.lines if line.direction is Direction.TO_CLIENT
    ]


def test_only_a_stripping_smtp_attacker_alters_messages() -> None:
    """The in-transit alteration (chapter 09) needs the SMTP attacker that reads DATA lines."""
    from mailsec.errors import InputError
    from mailsec.transport.relay import MailProtocol, Relay

    for protocol, strip in ((MailProtocol.SMTP, False), (MailProtocol.POP3, True)):
        with pytest.raises(InputError, match="Only a stripping attacker on SMTP"):
            Relay("127.0.0.1", 25, protocol=protocol, strip=strip, alter=(b"a", b"b"))
