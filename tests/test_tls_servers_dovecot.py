"""STLS, STARTTLS and the refusals before TLS, side by side with Dovecot 2.3 running with the same
course certificate: ``ssl = required`` against ``require_tls=True``, and ``ssl = yes`` against a
certificate alone.

Dovecot counts a connection between two equal addresses as secure and would log anyone in from
127.0.0.1 (see :mod:`mailsec.retrieval.servers.dovecot`); the course's servers do not. Every
connection here therefore comes from :data:`~mailsec.retrieval.servers.dovecot.INSECURE_CLIENT`
(127.0.0.2), to both servers. Greetings differ by name; capability lists are compared on the
tokens TLS changes (STARTTLS, LOGINDISABLED, the SASL mechanisms) because the rest differ by
design (Dovecot has many more extensions).
"""

from __future__ import annotations

import base64
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from dovecot_wire import MESSAGES, needs_dovecot, normalise
from test_tls_servers import PIPELINED, Wire, write_pem

from mailsec.retrieval.servers import DovecotServers, MailServers, ServerTls
from mailsec.retrieval.servers.dovecot import INSECURE_CLIENT

pytestmark = [pytest.mark.interop, pytest.mark.slow, needs_dovecot]

PLAIN_LOGIN = base64.b64encode(b"\0alice\0secret")
TLS_TOKENS = ("STARTTLS", "LOGINDISABLED", "AUTH=PLAIN")


@pytest.fixture(scope="module")
def course_tls() -> ServerTls:
    return ServerTls.course()


def files(folder: Path, tls: ServerTls) -> dict[str, Path]:
    assert tls.certificate is not None
    return {
        "tls_certificate": write_pem(folder, "server.pem", tls.certificate.certificate_pem()),
        "tls_key": write_pem(folder, "server.key", tls.certificate.key_pem()),
    }


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, course_tls: ServerTls
) -> Iterator[tuple[MailServers, DovecotServers]]:
    """Ours and Dovecot, TLS required by both, over the same three messages."""
    folder = tmp_path_factory.mktemp("tls-dovecot")
    ours = MailServers(
        maildir=folder / "Maildir",
        user="alice",
        password="secret",
        require_tls=True,
        pop3s_port=0,
        imaps_port=0,
        auth_penalty=0,
        **files(folder, course_tls),
    )
    dovecot = DovecotServers(
        user="alice",
        password="secret",
        messages=MESSAGES,
        require_tls=True,
        **files(folder, course_tls),
    )
    with ours, dovecot:
        for data in MESSAGES:
            ours.deliver(data)
        yield ours, dovecot


def tls_only(lines: list[bytes]) -> list[str]:
    """:func:`normalise`, then capability lists cut down to the tokens TLS changes and the SASL
    mechanisms to PLAIN (Dovecot also offers LOGIN)."""
    out = []
    for text in normalise(lines):
        if text.startswith("* CAPABILITY "):
            text = "* CAPABILITY " + " ".join(t for t in text.split()[2:] if t in TLS_TOKENS)
        text = re.sub(r"^SASL( PLAIN)?.*", r"SASL\1", text.rstrip("\r\n"))
        out.append(text.rstrip("\r\n"))
    return out


def tagged(lines: list[bytes]) -> list[bytes]:
    """The tagged reply alone, without a capability list (Dovecot sends its post-login
    capabilities untagged, ours in the OK's response code)."""
    return [re.sub(rb" \[CAPABILITY [^\]]*\]", b"", lines[-1])]


def pop3_script(port: int, tls: ServerTls) -> list[str]:
    wire = Wire(port, source=INSECURE_CLIENT)
    wire.line()  # the greeting, which names the server
    replies: list[bytes] = []
    for command in (b"CAPA", b"USER alice", b"PASS secret", b"AUTH"):
        replies += wire.pop3(command)
    for command in (b"AUTH PLAIN " + PLAIN_LOGIN, b"AUTH PLAIN", b"AUTH XYZ", b"STLS"):
        replies += wire.pop3(command)
    wire.start_tls(tls.client_context())
    for command in (b"STLS", b"CAPA", b"USER alice", b"PASS secret", b"STLS", b"QUIT"):
        replies += wire.pop3(command)
    wire.close()
    return tls_only([line + b"\r\n" for line in replies])


def imap_script(port: int, tls: ServerTls) -> list[str]:
    wire = Wire(port, source=INSECURE_CLIENT)
    greeting = wire.line()
    tokens = re.search(rb"\[CAPABILITY ([^\]]*)\]", greeting)
    assert tokens is not None
    replies = [b"* CAPABILITY " + tokens.group(1)]
    for command in (
        b"a LOGIN alice secret",
        b"b AUTHENTICATE PLAIN " + PLAIN_LOGIN,
        b"c AUTHENTICATE PLAIN",
        b"d AUTHENTICATE XYZ",
    ):
        replies += wire.imap(command)
    replies += wire.imap(b"e CAPABILITY")[:1]  # the tagged OK's text differs by design
    replies += wire.imap(b"f STARTTLS")
    wire.start_tls(tls.client_context())
    replies += wire.imap(b"g STARTTLS")
    replies += wire.imap(b"h CAPABILITY")[:1]
    replies += tagged(wire.imap(b"i LOGIN alice secret"))
    replies += wire.imap(b"j STARTTLS")
    replies += wire.imap(b"k LOGOUT")
    wire.close()
    return tls_only([line + b"\r\n" for line in replies])


def test_pop3_stls_and_refusals_match_dovecot(
    both: tuple[MailServers, DovecotServers], course_tls: ServerTls
) -> None:
    """RFC 2595 §4 and RFC 2449: CAPA with STLS and no USER before TLS, every login refused
    with Dovecot's text, the upgrade, and the same session after it."""
    ours, dovecot = both
    mine = pop3_script(ours.pop3_port, course_tls)
    assert mine == pop3_script(dovecot.pop3_port, course_tls)
    assert mine[:9] == [
        "+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "SASL",
    ]  # fmt: skip
    assert mine[10:] == [
        "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
        "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
        "+OK",
        ".",
        "-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled.",
        "-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled.",
        "-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled.",
        "+OK Begin TLS negotiation now.",
        "-ERR TLS is already active.",
        "+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "USER",
        "SASL PLAIN",
        ".",
        "+OK",
        "+OK Logged in.",
        "-ERR Unknown command: STLS",
        "+OK Logging out.",
    ]  # fmt: skip


def test_imap_starttls_and_logindisabled_match_dovecot(
    both: tuple[MailServers, DovecotServers], course_tls: ServerTls
) -> None:
    """RFC 3501 §6.2.1, §6.2.3 and §7.2.1, RFC 5530 PRIVACYREQUIRED: LOGINDISABLED before TLS,
    LOGIN and AUTHENTICATE refused with Dovecot's texts (its alert first for LOGIN, whose
    password crossed in the clear), the upgrade, and the same session after it."""
    ours, dovecot = both
    mine = imap_script(ours.imap_port, course_tls)
    assert mine == imap_script(dovecot.imap_port, course_tls)
    assert mine == [
        "* CAPABILITY STARTTLS LOGINDISABLED",
        "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did "
        "it anyway. If anyone was listening, the password was exposed.",
        "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) "
        "connections.",
        "b NO [PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled.",
        "c NO [PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled.",
        "d NO [PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled.",
        "* CAPABILITY STARTTLS LOGINDISABLED",
        "f OK Begin TLS negotiation now.",
        "g BAD TLS is already active.",
        "* CAPABILITY AUTH=PLAIN",
        "i OK Logged in",
        "j BAD Error in IMAP command STARTTLS: Unknown command.",
        "* BYE Logging out",
        "k OK Logout completed.",
    ]


def pipelined(port: int, protocol: str, tls: ServerTls) -> tuple[bytes, bytes | None]:
    """The reply to STLS or STARTTLS sent with another command in one packet, and everything
    said inside TLS up to the logout (``None`` when the server refused the handshake)."""
    sent, _, logout, _ = PIPELINED[protocol]
    wire = Wire(port, source=INSECURE_CLIENT)
    wire.line()
    wire.sock.sendall(sent)
    first = wire.line()
    try:
        wire.start_tls(tls.client_context())
        wire.sock.sendall(logout + b"\r\n")
        after: bytes | None = wire.rest()
    except (ssl.SSLError, ConnectionError):
        after = None
    wire.close()
    return first, after


@pytest.mark.parametrize("protocol", ["POP3", "IMAP"])
def test_pipelined_commands_are_run_by_neither(
    both: tuple[MailServers, DovecotServers], course_tls: ServerTls, protocol: str
) -> None:
    """A command sent after STLS/STARTTLS in the same packet (RFC 2595 §3.1 and RFC 3501
    §6.2.1: the client must not send one) is run by neither server, before the handshake or
    after it. Dovecot hands the octets to its TLS layer, so the handshake fails and the
    connection ends; ours drops them and the handshake goes on."""
    ours, dovecot = both
    port = {"POP3": "pop3_port", "IMAP": "imap_port"}[protocol]
    mine = pipelined(getattr(ours, port), protocol, course_tls)
    theirs = pipelined(getattr(dovecot, port), protocol, course_tls)
    assert normalise([mine[0]]) == normalise([theirs[0]])
    assert mine[0] == PIPELINED[protocol][1]
    assert theirs[1] is None
    assert mine[1] == PIPELINED[protocol][3]


def test_tls_offered_not_required_matches_dovecot(tmp_path: Path, course_tls: ServerTls) -> None:
    """A certificate without TLS required (Dovecot's ssl = yes): STLS and STARTTLS offered
    beside USER and AUTH=PLAIN, and a plaintext login still works."""
    ours = MailServers(
        maildir=tmp_path / "Maildir", user="alice", password="secret", **files(tmp_path, course_tls)
    )
    dovecot = DovecotServers(user="alice", password="secret", **files(tmp_path, course_tls))
    results = []
    with ours, dovecot:
        for servers in (ours, dovecot):
            pop = Wire(servers.pop3_port, source=INSECURE_CLIENT)
            pop.line()
            replies = pop.pop3(b"CAPA") + pop.pop3(b"USER alice") + pop.pop3(b"PASS secret")
            pop.close()
            wire = Wire(servers.imap_port, source=INSECURE_CLIENT)
            tokens = re.search(rb"\[CAPABILITY ([^\]]*)\]", wire.line())
            assert tokens is not None
            replies += [b"* CAPABILITY " + tokens.group(1)]
            replies += tagged(wire.imap(b"a LOGIN alice secret"))
            wire.close()
            results.append(tls_only([line + b"\r\n" for line in replies]))
    assert results[0] == results[1]
    assert results[0] == [
        "+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS",
        "USER", "SASL PLAIN", ".", "+OK", "+OK Logged in.",
        "* CAPABILITY STARTTLS AUTH=PLAIN", "a OK Logged in",
    ]  # fmt: skip
