"""TLS on the chapter 01 servers (chapter 08): POP3 STLS (RFC 2595) and POP3S, IMAP STARTTLS
(RFC 3501 §6.2.1) and IMAPS (RFC 8314), verified against the course CA; logins refused before
TLS when it is required; commands pipelined after STLS/STARTTLS discarded (RFC 3501 §6.2.1);
broken handshakes ending one connection only.

:class:`Wire` is a bare client that can start TLS itself; the other ``test_tls_servers_*.py``
files use it too: ``_pki`` (the certificate and the pure sessions, offline), ``_dovecot`` (the
same replies as Dovecot's) and ``_clients`` (fetchmail, ``mailsec serve``).
"""

from __future__ import annotations

import base64
import datetime as dt
import imaplib
import poplib
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.limits import TLS_HANDSHAKE_TIMEOUT
from mailsec.pki.ca import issue_server_certificate, make_ca
from mailsec.retrieval.servers import MailServers, ServerTls, shells
from mailsec.retrieval.servers.conversations import HANDSHAKE_FAILED

TIMEOUT = 10  # a last guard only: every read below ends as soon as the server answers
PLAIN_LOGIN = base64.b64encode(b"\0alice\0secret")
POP3_REFUSED = (
    b"-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
)
POP3_AUTH_REFUSED = b"-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled."
IMAP_ALERT = (
    b"* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did "
    b"it anyway. If anyone was listening, the password was exposed."
)
IMAP_REFUSED = (
    b"NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
)
IMAP_AUTH_REFUSED = b"NO [PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled."


class Wire:
    """A bare client connection: one line at a time, TLS when the test says so."""

    def __init__(self, port: int, *, source: str | None = None) -> None:
        self.sock: socket.socket = socket.create_connection(
            ("127.0.0.1", port), timeout=TIMEOUT, source_address=(source, 0) if source else None
        )
        self.buffer = b""

    def line(self) -> bytes:
        """The next line without its CRLF (b"" at the end of the connection)."""
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                rest, self.buffer = self.buffer, b""
                return rest
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def say(self, text: bytes) -> bytes:
        self.sock.sendall(text + b"\r\n")
        return self.line()

    def pop3(self, text: bytes) -> list[bytes]:
        """A POP3 command's whole reply (the lines of a multi-line one up to the dot)."""
        reply = [self.say(text)]
        multi = text.upper() in (b"CAPA", b"AUTH")  # the lists; AUTH with arguments logs in
        while multi and reply[0].startswith(b"+OK") and reply[-1] != b".":
            reply.append(self.line())
        return reply

    def imap(self, text: bytes) -> list[bytes]:
        """An IMAP command's untagged lines and its tagged reply."""
        tag = text.split(b" ", 1)[0] + b" "
        self.sock.sendall(text + b"\r\n")
        reply = [self.line()]
        while not reply[-1].startswith(tag) and reply[-1]:
            reply.append(self.line())
        return reply

    def start_tls(self, context: ssl.SSLContext, hostname: str = "127.0.0.1") -> None:
        """The client's handshake; nothing the server said may be left unread before it."""
        assert self.buffer == b"", self.buffer
        self.sock = context.wrap_socket(self.sock, server_hostname=hostname)

    def rest(self) -> bytes:
        """Everything until the server closes the connection (a reset ends it too: a server
        that drops a connection with bytes unread makes the system send one)."""
        data, self.buffer = self.buffer, b""
        try:
            while chunk := self.sock.recv(4096):
                data += chunk
        except ConnectionResetError:
            pass
        return data

    def close(self) -> None:
        self.sock.close()


def write_pem(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServers]:
    """Every way in: STLS/STARTTLS on the plaintext ports, POP3S and IMAPS, TLS required."""
    maildir = tmp_path_factory.mktemp("tls") / "Maildir"
    with MailServers(
        maildir=maildir,
        user="alice",
        password="secret",
        pop3s_port=0,
        imaps_port=0,
        require_tls=True,
        auth_penalty=0,
    ) as servers:
        servers.deliver(b"From: bob@example.org\r\nSubject: over TLS\r\n\r\nHello.\r\n")
        yield servers


@pytest.fixture
def ca_file(servers: MailServers, tmp_path: Path) -> Path:
    assert servers.tls is not None
    return write_pem(tmp_path, "course-ca.pem", servers.tls.ca_pem)


@pytest.fixture
def context(ca_file: Path) -> ssl.SSLContext:
    """What a mail client configured for the course uses: the course CA, names checked."""
    return ssl.create_default_context(cafile=str(ca_file))


@pytest.fixture(autouse=True)
def sessions_end(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test every session has ended and no session failed inside the server."""
    yield
    if "servers" in request.fixturenames:
        servers = request.getfixturevalue("servers")
        assert servers.wait_until_idle(TIMEOUT)
        assert servers.errors == []


def last_transcript(servers: MailServers):
    servers.wait_until_idle(TIMEOUT)
    return servers.transcripts[-1]


# -- handshakes, verified against the course CA, for every server and way in -------------------


def test_pop3s_with_poplib(servers: MailServers, context: ssl.SSLContext) -> None:
    client = poplib.POP3_SSL("127.0.0.1", servers.pop3s_port, context=context, timeout=TIMEOUT)
    assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
    assert "STLS" not in client.capa()
    client.user("alice")
    client.pass_("secret")
    assert client.stat()[0] == 1
    client.quit()


def test_pop3_stls_with_poplib(servers: MailServers, context: ssl.SSLContext) -> None:
    client = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=TIMEOUT)
    assert "STLS" in client.capa() and "USER" not in client.capa()
    assert client.stls(context=context) == b"+OK Begin TLS negotiation now."
    assert "STLS" not in client.capa() and "USER" in client.capa()
    client.user("alice")
    client.pass_("secret")
    assert client.stat()[0] == 1
    client.quit()
    notes = last_transcript(servers).to_text()
    assert "TLS started: TLSv1." in notes


def test_imaps_with_imaplib(servers: MailServers, context: ssl.SSLContext) -> None:
    client = imaplib.IMAP4_SSL(
        "localhost", servers.imaps_port, ssl_context=context, timeout=TIMEOUT
    )
    assert "STARTTLS" not in client.capabilities and "AUTH=PLAIN" in client.capabilities
    client.login("alice", "secret")
    assert client.select("INBOX") == ("OK", [b"1"])
    client.logout()


def test_imap_starttls_with_imaplib(servers: MailServers, context: ssl.SSLContext) -> None:
    client = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=TIMEOUT)
    assert {"STARTTLS", "LOGINDISABLED"} <= set(client.capabilities)
    assert client.starttls(ssl_context=context)[0] == "OK"
    assert "STARTTLS" not in client.capabilities and "LOGINDISABLED" not in client.capabilities
    client.login("alice", "secret")
    assert client.select("INBOX") == ("OK", [b"1"])
    client.logout()


@pytest.mark.parametrize("protocol", ["POP3", "IMAP"])
def test_sasl_plain_after_tls(servers: MailServers, context: ssl.SSLContext, protocol) -> None:
    port = servers.pop3s_port if protocol == "POP3" else servers.imaps_port
    wire = Wire(port)
    wire.start_tls(context)
    wire.line()  # the greeting
    if protocol == "POP3":
        assert wire.say(b"AUTH PLAIN " + PLAIN_LOGIN) == b"+OK Logged in."
    else:
        assert wire.say(b"a AUTHENTICATE PLAIN " + PLAIN_LOGIN).startswith(b"a OK [CAPABILITY")
    wire.close()


# -- --require-tls: every login refused before TLS, from any address, as Dovecot refuses it -----


def test_pop3_logins_refused_before_tls(servers: MailServers, context: ssl.SSLContext) -> None:
    wire = Wire(servers.pop3_port)
    wire.line()
    assert wire.say(b"USER alice") == POP3_REFUSED
    assert wire.say(b"PASS secret") == POP3_REFUSED
    assert wire.pop3(b"AUTH") == [b"+OK", b"."]  # no mechanism offered
    assert wire.say(b"AUTH PLAIN " + PLAIN_LOGIN) == POP3_AUTH_REFUSED
    assert wire.say(b"AUTH PLAIN") == POP3_AUTH_REFUSED  # no "+ " continuation first
    assert wire.say(b"APOP alice 0123456789abcdef0123456789abcdef") == POP3_AUTH_REFUSED
    assert wire.say(b"STLS") == b"+OK Begin TLS negotiation now."
    wire.start_tls(context)
    assert wire.say(b"STLS") == b"-ERR TLS is already active."
    assert wire.say(b"USER alice") == b"+OK"
    assert wire.say(b"PASS secret") == b"+OK Logged in."
    assert wire.say(b"STLS") == b"-ERR Unknown command: STLS"
    assert wire.say(b"QUIT") == b"+OK Logging out."
    wire.close()
    assert servers.next_penalty() == 0  # a refusal is no wrong password


def test_imap_logins_refused_before_tls(servers: MailServers, context: ssl.SSLContext) -> None:
    wire = Wire(servers.imap_port)
    assert wire.line().startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    assert wire.imap(b"a LOGIN alice secret") == [IMAP_ALERT, b"a " + IMAP_REFUSED]
    assert wire.imap(b"b AUTHENTICATE PLAIN " + PLAIN_LOGIN) == [b"b " + IMAP_AUTH_REFUSED]
    assert wire.imap(b"c AUTHENTICATE PLAIN") == [b"c " + IMAP_AUTH_REFUSED]
    assert wire.imap(b"d AUTHENTICATE XYZ") == [b"d " + IMAP_AUTH_REFUSED]
    capability = wire.imap(b"e CAPABILITY")[0]
    assert capability.endswith(b" STARTTLS LOGINDISABLED") and b"AUTH=" not in capability
    assert wire.imap(b"f STARTTLS") == [b"f OK Begin TLS negotiation now."]
    wire.start_tls(context)
    assert wire.imap(b"g STARTTLS") == [b"g BAD TLS is already active."]
    capability = wire.imap(b"h CAPABILITY")[0]
    assert capability.endswith(b" AUTH=PLAIN") and b"STARTTLS" not in capability
    assert wire.imap(b"i LOGIN alice secret")[-1].startswith(b"i OK [CAPABILITY")
    assert wire.imap(b"j STARTTLS") == [b"j BAD Error in IMAP command STARTTLS: Unknown command."]
    assert wire.imap(b"k LOGOUT")[-1] == b"k OK Logout completed."
    wire.close()


def test_tls_offered_but_not_required(tmp_path: Path) -> None:
    """A certificate without --require-tls: STLS and STARTTLS offered, plaintext login still
    allowed (Dovecot's ssl = yes)."""
    tls = ServerTls.course()
    assert tls.certificate is not None
    cert = write_pem(tmp_path, "cert.pem", tls.certificate.certificate_pem())
    key = write_pem(tmp_path, "key.pem", tls.certificate.key_pem())
    with MailServers(
        maildir=tmp_path / "M", user="alice", password="secret", tls_certificate=cert, tls_key=key
    ) as servers:
        assert servers.pop3s_port is None and servers.imaps_port is None
        client = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=TIMEOUT)
        assert {"STLS", "USER"} <= set(client.capa())
        client.user("alice")
        client.pass_("secret")
        client.quit()
        wire = Wire(servers.imap_port)
        assert wire.line().endswith(b" STARTTLS AUTH=PLAIN] mailsec IMAP4rev1 server ready.")
        assert wire.imap(b"a LOGIN alice secret")[-1].startswith(b"a OK")
        wire.close()


# -- the STARTTLS command injection (CVE-2011-0411 and its kin): pipelined plaintext is dropped --


PIPELINED = {
    # protocol: (one write, the reply to its first command, the logout, its whole reply)
    "POP3": (
        b"STLS\r\nCAPA\r\n",
        b"+OK Begin TLS negotiation now.",
        b"QUIT",
        b"+OK Logging out.\r\n",
    ),
    "IMAP": (
        b"a STARTTLS\r\nb CAPABILITY\r\nc LOGIN alice secret\r\n",
        b"a OK Begin TLS negotiation now.",
        b"d LOGOUT",
        b"* BYE Logging out\r\nd OK Logout completed.\r\n",
    ),
}
"""STLS or STARTTLS with more commands behind it in the same packet, which must not run."""


@pytest.mark.parametrize("protocol", ["POP3", "IMAP"])
def test_commands_pipelined_after_starttls_are_discarded(
    servers: MailServers, context: ssl.SSLContext, protocol: str
) -> None:
    sent, begin, logout, goodbye = PIPELINED[protocol]
    wire = Wire(servers.pop3_port if protocol == "POP3" else servers.imap_port)
    wire.line()
    wire.sock.sendall(sent)  # one write, one packet
    assert wire.line() == begin
    wire.start_tls(context)  # a plaintext answer to CAPA would have broken the handshake
    wire.sock.sendall(logout + b"\r\n")
    assert wire.rest() == goodbye  # nothing for the pipelined commands, before or after
    wire.close()
    transcript = last_transcript(servers)
    assert transcript.client_lines == (sent.split(b"\r\n")[0].decode(), logout.decode())
    octets = len(sent) - len(sent.split(b"\r\n")[0]) - 2
    assert f"{octets} octets the client sent in plaintext after asking for TLS were discarded" in (
        transcript.to_text()
    )


# -- bad input around the handshake: that connection ends, the others go on ---------------------


def still_serving(servers: MailServers, context: ssl.SSLContext) -> None:
    client = poplib.POP3_SSL("127.0.0.1", servers.pop3s_port, context=context, timeout=TIMEOUT)
    client.user("alice")
    client.pass_("secret")
    client.quit()


def test_garbage_during_the_handshake(servers: MailServers, context: ssl.SSLContext) -> None:
    wire = Wire(servers.pop3_port)
    wire.line()
    assert wire.say(b"STLS") == b"+OK Begin TLS negotiation now."
    wire.sock.sendall(b"\x16\x03\x01\x00\x05hello" + bytes(range(256)))
    wire.rest()  # perhaps an alert; then the server closes
    wire.close()
    transcript = last_transcript(servers)
    assert transcript.to_text().splitlines()[-2].startswith("-- TLS handshake failed (")
    still_serving(servers, context)


def test_plaintext_on_a_tls_port(servers: MailServers, context: ssl.SSLContext) -> None:
    wire = Wire(servers.imaps_port)
    wire.sock.sendall(b"a CAPABILITY\r\n")
    answer = wire.rest()
    assert b"CAPABILITY" not in answer and b"OK" not in answer  # no plaintext reply
    wire.close()
    assert last_transcript(servers).ended == HANDSHAKE_FAILED
    still_serving(servers, context)


@pytest.mark.parametrize("protocol", ["POP3", "IMAP"])
def test_tls_on_a_plaintext_port(servers: MailServers, context: ssl.SSLContext, protocol) -> None:
    """The client sees a clear error; the server's session ends when the client goes."""
    port = servers.pop3_port if protocol == "POP3" else servers.imap_port
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    with pytest.raises(ssl.SSLError, match=r"WRONG_VERSION_NUMBER|wrong version number"):
        context.wrap_socket(raw, server_hostname="127.0.0.1")
    raw.close()
    still_serving(servers, context)


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[MailServers]:
    with MailServers(
        maildir=tmp_path / "M",
        user="alice",
        password="secret",
        pop3s_port=0,
        imaps_port=0,
        tls_handshake_timeout=0.3,
    ) as servers:
        yield servers


@pytest.mark.parametrize("way", ["POP3S", "STARTTLS"])
def test_a_handshake_never_finished_times_out(impatient: MailServers, way: str) -> None:
    """A client that asks for TLS and goes silent holds nothing open: the time-out is
    ``tls_handshake_timeout`` (by default :data:`~mailsec.limits.TLS_HANDSHAKE_TIMEOUT`)."""
    assert TLS_HANDSHAKE_TIMEOUT == 60.0
    started = time.monotonic()
    if way == "POP3S":
        wire = Wire(impatient.pop3s_port)
        wire.sock.sendall(b"\x16\x03\x01")  # the start of a record, never the rest
    else:
        wire = Wire(impatient.imap_port)
        wire.line()
        assert wire.imap(b"a STARTTLS") == [b"a OK Begin TLS negotiation now."]
    assert wire.rest() == b""  # the server closed the connection
    assert time.monotonic() - started < TIMEOUT
    wire.close()
    transcript = last_transcript(impatient)
    assert "TLS handshake not finished within 0.3 s: connection closed" in transcript.to_text()
    assert transcript.to_text().splitlines()[-1] == (
        "-- connection closed after a failed TLS handshake"
    )
    assert impatient.errors == []


def test_a_tls_port_over_the_limit_closes_without_plaintext(
    servers: MailServers, context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shells, "MAX_CONNECTIONS_PER_ADDRESS", 1)
    first = imaplib.IMAP4_SSL("127.0.0.1", servers.imaps_port, ssl_context=context, timeout=TIMEOUT)
    second = Wire(servers.imaps_port)
    assert second.rest() == b""  # closed at once: a plaintext refusal would be garbage here
    second.close()
    first.logout()


def test_stop_is_prompt_with_tls_clients(tmp_path: Path) -> None:
    """A logged-in TLS session and a handshake left half-way do not hold stop() up."""
    servers = MailServers(maildir=tmp_path / "M", user="alice", password="secret", imaps_port=0)
    servers.start()
    assert servers.tls is not None
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", servers.imaps_port, ssl_context=servers.tls.client_context(), timeout=TIMEOUT
    )
    client.login("alice", "secret")
    half = Wire(servers.imap_port)
    half.line()
    assert half.imap(b"a STARTTLS") == [b"a OK Begin TLS negotiation now."]
    half.sock.sendall(b"\x16\x03\x01")
    started = time.monotonic()
    servers.stop()
    assert time.monotonic() - started < 3
    assert half.rest() == b""
    half.close()
    client.shutdown()


# -- clients checking the server's certificate get a clear error --------------------------------


def serve_with(tmp_path: Path, identity) -> MailServers:
    cert = write_pem(tmp_path, "server.pem", identity.certificate_pem())
    key = write_pem(tmp_path, "server.key", identity.key_pem())
    return MailServers(
        maildir=tmp_path / "M",
        user="alice",
        password="secret",
        tls_certificate=cert,
        tls_key=key,
        pop3s_port=0,
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("untrusted", "unable to get local issuer certificate"),
        ("expired", "certificate has expired"),
        ("wrong name", "IP address mismatch"),
    ],
)
def test_clients_refuse_a_bad_server_certificate(tmp_path: Path, case: str, message: str) -> None:
    course = make_ca()
    now = dt.datetime.now(dt.timezone.utc)
    if case == "untrusted":
        identity = issue_server_certificate(make_ca("Unknown Root CA"))
    elif case == "expired":
        identity = issue_server_certificate(
            course, not_before=now - dt.timedelta(days=40), not_after=now - dt.timedelta(days=10)
        )
    else:
        identity = issue_server_certificate(course, ["mail.example.org"])
    context = ssl.create_default_context(cadata=course.certificate_pem().decode("ascii"))
    with serve_with(tmp_path, identity) as servers:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            poplib.POP3_SSL("127.0.0.1", servers.pop3s_port, context=context, timeout=TIMEOUT)
        assert message in caught.value.verify_message
        assert servers.wait_until_idle(TIMEOUT)
        assert servers.transcripts[-1].ended == HANDSHAKE_FAILED
        assert servers.errors == []
