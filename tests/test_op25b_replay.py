"""The real SMTP servers of the OP25B model on 127.0.0.1, driven with smtplib and raw sockets."""

from __future__ import annotations

import dataclasses
import mailbox
import smtplib
import socket
import ssl
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mailsec.errors import MailsecError
from mailsec.op25b import SCENARIOS, STANDARD_WORLD, Decision, Policy, Verdict, scenario, simulate
from mailsec.op25b.model import HANAKO, HANAKO_PASSWORD, Credentials
from mailsec.op25b.replay import LoopbackMailServers, mailbox_path

LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("maildirs")
    with LoopbackMailServers(maildir_root=root, drop_timeout=0.4, timeout=5) as running:
        yield running


def _inbox(servers: LoopbackMailServers, address: str = "taro@example.net") -> mailbox.Maildir:
    return mailbox.Maildir(mailbox_path(servers.maildir_root, address), create=True)


def _raw(port: int, lines: list[str], *, timeout: float = 5) -> list[str]:
    """Send raw command lines; return every reply line (bounded reads with a timeout)."""
    replies: list[str] = []
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        replies.append(reader.readline().decode().rstrip())
        for line in lines:
            sock.sendall(line.encode() + b"\r\n")
            while True:
                reply = reader.readline().decode().rstrip()
                replies.append(reply)
                if not reply or reply[3:4] != "-":
                    break
    return replies


# -- replays of the prepared scenarios ------------------------------------------------------------


@pytest.mark.parametrize("s", SCENARIOS, ids=lambda s: s.id)
def test_replay_agrees_with_the_model(servers: LoopbackMailServers, s) -> None:
    replay = servers.replay(s.attempt(), s.policy)
    assert replay.verdict is s.expected
    assert replay.agrees_with_model


def test_delivered_mail_lands_in_the_recipients_maildir(servers: LoopbackMailServers) -> None:
    before = len(_inbox(servers))
    replay = servers.replay(simulate("home-pc", "isp-a-mail", 25).attempt)
    assert replay.verdict is Verdict.DELIVERED
    box = _inbox(servers)
    assert len(box) == before + 1
    assert len(replay.delivered) == 1 and replay.delivered[0].exists()
    message = box.get_message(replay.delivered[0].name)
    # RFC 5321 §4.4: each relay adds a Received field at the top; the newest is first.
    received = message.get_all("Received")
    assert len(received) == 2
    assert "by mx.example.net" in received[0] and "mail.isp-a.example" in received[0]
    assert "[198.51.100.23]" in received[1] and "by mail.isp-a.example with ESMTP;" in received[1]
    assert message["To"] == "taro@example.net"


def test_submission_conversation_has_starttls_auth_and_every_code(servers) -> None:
    result = simulate("home-pc", "provider-smtp", 587, user=HANAKO, password=HANAKO_PASSWORD)
    replay = servers.replay(result.attempt)
    first, second = replay.sessions
    commands = [line.text.split()[0].upper() for line in first.lines if line.who == "C"]
    assert commands[:6] == ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT"]
    # 220 greeting, 250 EHLO, 220 STARTTLS, 250 EHLO, 235 AUTH (RFC 4954 §6), 250, 250, 354, 250, 221.
    assert first.reply_codes == (220, 250, 220, 250, 235, 250, 250, 354, 250, 221)
    assert second.reply_codes == (220, 250, 250, 250, 354, 250, 221)
    message = _inbox(servers).get_message(replay.delivered[0].name)
    assert "with ESMTPSA;" in message.get_all("Received")[1]  # RFC 3848 §2: TLS and AUTH


def test_implicit_tls_on_465(servers) -> None:
    """RFC 8314 §3.3: the TLS handshake comes before the SMTP greeting."""
    result = simulate("home-pc", "provider-smtp", 465, user=HANAKO, password=HANAKO_PASSWORD)
    replay = servers.replay(result.attempt)
    assert replay.verdict is Verdict.DELIVERED
    assert replay.sessions[0].lines[1].text.startswith("TLS handshake first")
    assert replay.sessions[0].reply_codes[:3] == (220, 250, 235)


def test_refusals_carry_their_real_codes(servers) -> None:
    cases = [
        (simulate("home-pc", "provider-smtp", 587), Decision.AUTH_REQUIRED, 530),
        (
            simulate("home-pc", "provider-smtp", 587, user=HANAKO, password="wrong"),
            Decision.AUTH_FAILED,
            535,
        ),
        (
            simulate("isp-b-host", "recipient-mx", 25, rcpt_to="x@elsewhere.example"),
            Decision.RELAY_DENIED,
            554,
        ),
        (simulate("isp-b-host", "isp-a-mail", 25), Decision.RELAY_DENIED, 554),
        (
            simulate("isp-b-host", "recipient-mx", 25, rcpt_to="nobody@example.net"),
            Decision.USER_UNKNOWN,
            550,
        ),
        (
            simulate("isp-b-host", "recipient-mx", 25, policy=Policy(ip25b=True)),
            Decision.DYNAMIC_REFUSED,
            554,
        ),
    ]
    for result, decision, code in cases:
        replay = servers.replay(result.attempt, result.policy)
        session = replay.sessions[-1]
        assert session.outcome is decision, result.summary
        assert code in session.reply_codes, session.text
        assert session.reply_codes[-1] == 221  # the client still says QUIT politely
        assert replay.verdict is Verdict.REFUSED and replay.agrees_with_model


def test_a_dropped_attempt_times_out_without_any_reply(servers) -> None:
    replay = servers.replay(simulate("infected-pc", "recipient-mx", 25).attempt)
    assert replay.verdict is Verdict.DROPPED and replay.simulated_drop
    (session,) = replay.sessions
    assert session.reply_codes == ()
    assert "timed out" in session.text and "simulated" in session.text


def test_a_closed_port_is_refused_at_once(servers) -> None:
    replay = servers.replay(simulate("isp-b-host", "recipient-mx", 2525).attempt)
    assert replay.verdict is Verdict.UNREACHABLE and replay.agrees_with_model
    assert "connection refused" in replay.sessions[0].text


def test_handed_on_mail_is_accepted_but_not_stored(servers) -> None:
    result = simulate("home-pc", "isp-a-mail", 25, rcpt_to="friend@elsewhere.example")
    replay = servers.replay(result.attempt)
    assert replay.verdict is Verdict.HANDED_ON and replay.agrees_with_model
    assert replay.delivered == ()


# -- the servers with your own smtplib session -------------------------------------------------------


def test_smtplib_sends_through_the_mx_as_a_stranger(servers) -> None:
    port = servers.ports[("recipient-mx", 25)]
    before = len(_inbox(servers, "sales@example.net"))
    with smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
        refused = client.sendmail(
            "a@b.example", ["sales@example.net"], b"Subject: hi\r\n\r\nhello\r\n"
        )
    assert refused == {}
    assert len(_inbox(servers, "sales@example.net")) == before + 1


def test_submission_requires_starttls_before_anything_else(servers) -> None:
    """RFC 3207 §4: a server may require STARTTLS; commands before it get 530."""
    port = servers.ports[("provider-smtp", 587)]
    with servers.speaking_as("home-pc"), smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
        client.ehlo("pc23.dyn.isp-a.example")
        assert "auth" not in client.esmtp_features  # no AUTH offered before TLS
        code, _ = client.mail("hanako@mailprovider.example")
        assert code == 530


def test_submission_mail_before_auth_gets_530_inside_tls(servers) -> None:
    port = servers.ports[("provider-smtp", 587)]
    ctx = servers._client_tls  # the context trusting the throwaway certificate
    assert isinstance(ctx, ssl.SSLContext)
    with servers.speaking_as("home-pc"), smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
        client.starttls(context=ctx)
        client.ehlo("pc23.dyn.isp-a.example")
        assert "auth" in client.esmtp_features
        assert client.mail("hanako@mailprovider.example")[0] == 530
        client.login(HANAKO, HANAKO_PASSWORD)
        assert client.mail("hanako@mailprovider.example")[0] == 250
        assert client.rcpt("taro@example.net")[0] == 250


def test_policy_switch_changes_the_real_servers(servers) -> None:
    port = servers.ports[("recipient-mx", 25)]
    for ip25b, code in ((False, 250), (True, 554)):
        with (
            servers.speaking_as("isp-b-host", Policy(ip25b=ip25b)),
            smtplib.SMTP(LOOPBACK, port, timeout=5) as client,
        ):
            client.ehlo("host55.dyn.isp-b.example")
            client.mail("jiro@isp-b.example")
            assert client.rcpt("taro@example.net")[0] == code
    servers.policy = Policy()


def test_malformed_commands_get_proper_codes_and_the_server_keeps_running(servers) -> None:
    """RFC 5321 §4.2.4 (500 unknown command), §4.3.2 (501 syntax, 503 bad sequence)."""
    port = servers.ports[("recipient-mx", 25)]
    replies = _raw(
        port,
        [
            "FOO bar",
            "EHLO",
            "EHLO tester.example",
            "RCPT TO:<taro@example.net>",
            "MAIL FROM:<broken",
            "MAIL FROM:<a@b.example>",
            "MAIL FROM:<a@b.example>",
            "DATA",
            "RCPT TO:<not an address>",
            "X" * 2000,
            "QUIT",
        ],
    )
    codes = [r[:3] for r in replies if r and r[3:4] == " "]
    assert codes[0] == "220"
    assert codes[1] == "500"  # FOO
    assert codes[2] == "501"  # EHLO without a domain
    assert codes[3] == "250"  # EHLO
    assert codes[4] == "503"  # RCPT before MAIL
    assert codes[5] == "553"  # a broken path: 5.1.7 bad sender address syntax (RFC 3463 §3.2)
    assert codes[6] == "250"  # MAIL
    assert codes[7] == "503"  # a second MAIL in the same transaction
    assert codes[8] == "503"  # DATA before any RCPT
    assert codes[9] == "553"  # 5.1.3 bad recipient address syntax
    assert codes[10] == "500"  # an over-long line (RFC 5321 §4.5.3.1.4)
    assert codes[11] == "221"
    # ... and the server still answers the next client.
    with smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
        assert client.noop()[0] == 250


def test_servers_stop_and_free_their_ports(tmp_path: Path) -> None:
    net = LoopbackMailServers(maildir_root=tmp_path, drop_timeout=0.3)
    net.start()
    port = net.ports[("recipient-mx", 25)]
    with smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
        assert client.noop()[0] == 250
    net.stop()
    assert not net.running and net.ports == {}
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection((LOOPBACK, port), timeout=2),
    ):
        pass


def test_drop_timeout_must_stay_short() -> None:
    with pytest.raises(MailsecError, match=r"between 0\.2 and 10 seconds"):
        LoopbackMailServers(drop_timeout=60)


def test_every_smtp_service_of_the_model_has_a_real_server(servers) -> None:
    expected = {
        (h.id, s.port) for h in STANDARD_WORLD.servers for s in h.services if s.kind.speaks_smtp
    }
    assert set(servers.ports) == expected


def test_a_replay_inside_your_own_session_restores_who_is_speaking(servers) -> None:
    with servers.speaking_as("isp-b-host", Policy(ip25b=True)):
        replay = servers.replay(scenario("user-via-isp").attempt())
        assert replay.verdict is Verdict.DELIVERED
        assert servers.current_client().id == "isp-b-host"
    assert servers.current_client().id == "stranger"


def test_chapter_01s_pop3_and_imap4_servers_read_the_delivered_mail(tmp_path: Path) -> None:
    """SMTP in (RFC 5321), POP3 out (RFC 1939 §5: STAT, RETR) and IMAP4 (RFC 3501 §6.3.1 SELECT)."""
    import imaplib
    import poplib

    from mailsec.retrieval.servers import MailServers

    with LoopbackMailServers(maildir_root=tmp_path, drop_timeout=0.3) as smtp:
        replay = smtp.replay(scenario("bot-stolen-587").attempt())
    assert replay.verdict is Verdict.DELIVERED
    inbox = mailbox_path(tmp_path, "taro@example.net")
    with MailServers(inbox, user="taro", password="course-pw") as retrieval:
        pop = poplib.POP3(retrieval.host, retrieval.pop3_port, timeout=5)
        try:
            pop.user("taro")
            pop.pass_("course-pw")
            count, _size = pop.stat()
            assert count == 1
            lines = pop.retr(1)[1]
        finally:
            pop.quit()
        text = b"\n".join(lines).decode()
        assert "From: support@bank.example" in text
        assert "by smtp.mailprovider.example with ESMTPSA" in text
        imap = imaplib.IMAP4(retrieval.host, retrieval.imap_port, timeout=5)
        try:
            imap.login("taro", "course-pw")
            status, data = imap.select("INBOX", readonly=True)
            assert status == "OK" and data == [b"1"]
        finally:
            imap.logout()


_CREDENTIALS = [
    None,
    (HANAKO, HANAKO_PASSWORD),
    (HANAKO, "wrong"),
    ("lucky-prize-7@webmail.example", "free-signup"),
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from([h.id for h in STANDARD_WORLD.clients]),
    destination=st.sampled_from([h.id for h in STANDARD_WORLD.servers]),
    port=st.sampled_from([25, 465, 587, 443, 2525]),
    policy=st.builds(Policy, st.booleans(), st.booleans(), st.booleans(), st.booleans()),
    credentials=st.sampled_from(_CREDENTIALS),
    rcpt=st.sampled_from(["taro@example.net", "nobody@example.net", "x@elsewhere.example"]),
)
def test_the_wire_agrees_with_the_model_for_any_attempt(
    servers, source, destination, port, policy, credentials, rcpt
) -> None:
    """Model and real servers decide with the same rules, so they must reach the same verdict."""
    user, password = credentials or (None, None)
    result = simulate(
        source, destination, port, rcpt_to=rcpt, user=user, password=password, policy=policy
    )
    assume(result.verdict is not Verdict.DROPPED)  # drops are tested above; each costs a timeout
    replay = servers.replay(result.attempt, policy)
    assert replay.verdict is result.verdict, (result.summary, replay.text)


@pytest.mark.parametrize("password", ["sakura-2026-é", "さくら2026"])
def test_a_password_beyond_ascii_goes_over_the_wire_as_utf8(servers, password: str) -> None:
    """RFC 4616 §2: SASL PLAIN carries UTF-8; a wrong non-ASCII password is refused (535) as a
    wrong ASCII one is, not a crash of the client."""
    attempt = scenario("user-wrong-password").attempt()
    wrong = Credentials(HANAKO, password)
    replay = servers.replay(dataclasses.replace(attempt, credentials=wrong), Policy())
    assert replay.verdict is Verdict.REFUSED


@pytest.mark.parametrize(
    ("user", "password", "message"),
    [
        (HANAKO, "line\nbreak", "control character"),
        (HANAKO, "nul\x00", "control character"),
        ("a\r\nRSET", "x", "control character"),
        (HANAKO, "é" * 128, "longer than 255 bytes"),
    ],
)
def test_credentials_are_one_line_and_bounded(user: str, password: str, message: str) -> None:
    with pytest.raises(MailsecError, match=message):
        Credentials(user, password)
