"""Relay control and POP before SMTP on real servers: chapter 02's SMTP servers (aiosmtpd) with
``relay=``, and chapter 01's POP3 server whose logins open the windows. Clients are Python's
smtplib and poplib on 127.0.0.1; the story's clock is set, never waited for."""

from __future__ import annotations

import datetime as dt
import imaplib
import poplib
import smtplib
import time
from collections.abc import Iterator

import pytest

from mailsec.op25b.model import OFFICE_PASSWORD, OFFICE_USER, RELAY_WORLD, Credentials
from mailsec.op25b.relaycontrol import RelayControl, RelayGround, RelaySetting
from mailsec.op25b.relaystory import START, Recipient, Sender, plan
from mailsec.op25b.relaywire import ManualClock, PopLoginServers, RelayServers
from mailsec.op25b.smtpd import LOOPBACK, ModelSmtpServers

OUTSIDE = "taro@example.net"
NAT = "198.51.100.60"


@pytest.fixture(scope="module")
def servers() -> Iterator[RelayServers]:
    with RelayServers(timeout=5) as running:
        yield running


ACCEPTED = {
    (RelaySetting.OPEN_RELAY, Sender.USER): True,
    (RelaySetting.OPEN_RELAY, Sender.COLLEAGUE): True,
    (RelaySetting.OPEN_RELAY, Sender.EXPIRED): True,
    (RelaySetting.OPEN_RELAY, Sender.SPAMMER): True,
    (RelaySetting.SMTP_AUTH, Sender.USER): True,
    (RelaySetting.SMTP_AUTH, Sender.COLLEAGUE): False,
    (RelaySetting.SMTP_AUTH, Sender.EXPIRED): True,
    (RelaySetting.SMTP_AUTH, Sender.SPAMMER): False,
    (RelaySetting.POP_BEFORE_SMTP, Sender.USER): True,
    (RelaySetting.POP_BEFORE_SMTP, Sender.COLLEAGUE): True,  # the NAT flaw
    (RelaySetting.POP_BEFORE_SMTP, Sender.EXPIRED): False,  # the window closed
    (RelaySetting.POP_BEFORE_SMTP, Sender.SPAMMER): False,
}


@pytest.mark.parametrize(("setting", "sender"), list(ACCEPTED))
def test_every_story_over_real_smtp_agrees_with_the_model(
    servers: RelayServers, setting: RelaySetting, sender: Sender
) -> None:
    run = servers.run(plan(setting, sender))
    assert run.login.ok and run.login.reply.startswith("+OK")
    assert run.send.accepted is ACCEPTED[(setting, sender)]
    assert run.send.rcpt_code == (250 if run.send.accepted else 550)
    assert run.agrees_with_model
    assert run.ruling is not None and run.ruling.ground is run.model.ground
    own = servers.run(plan(setting, sender, Recipient.OWN_DOMAIN))
    assert own.send.accepted and own.ruling is not None
    assert own.ruling.ground is RelayGround.OWN_DOMAIN


def test_the_real_pop3_login_opens_the_window_for_the_offices_nat_address(
    servers: RelayServers,
) -> None:
    run = servers.run(plan(RelaySetting.POP_BEFORE_SMTP, Sender.COLLEAGUE))
    assert str(run.login.address) == NAT and run.login.window is not None
    assert [str(w.address) for w in run.windows] == [NAT]
    assert "PASS ••••••" in run.login.transcript and OFFICE_PASSWORD not in run.login.transcript
    assert run.ruling is not None and run.ruling.ground is RelayGround.POP_WINDOW
    assert run.send.host.id == "colleague-pc" and str(run.send.address) == NAT
    assert "C: rcpt TO:<taro@example.net>" in run.send.text
    assert "S: 250 2.0.0 OK: queued for relay" in run.send.text


def test_the_window_expires_by_the_injected_clock(servers: RelayServers) -> None:
    servers.use(RelaySetting.POP_BEFORE_SMTP)
    login = servers.pop_login("user-pc", user=OFFICE_USER, password=OFFICE_PASSWORD, at=START)
    assert login.window is not None and login.window.closes == START + dt.timedelta(minutes=10)

    def send(minutes: float) -> int | None:
        return servers.send(
            "user-pc",
            port=25,
            mail_from=OFFICE_USER,
            rcpt=OUTSIDE,
            at=START + dt.timedelta(minutes=minutes),
        ).rcpt_code

    assert send(9.99) == 250
    assert send(10) == 550
    servers.pop_login(
        "user-pc", user=OFFICE_USER, password=OFFICE_PASSWORD, at=START + dt.timedelta(minutes=11)
    )
    assert send(12) == 250  # checking mail again opens a new window


def test_a_wrong_pop3_password_opens_nothing(tmp_path) -> None:
    control = RelayControl(RelaySetting.POP_BEFORE_SMTP, clock=ManualClock(START))
    with PopLoginServers(
        tmp_path, user=OFFICE_USER, password=OFFICE_PASSWORD, relay=control, auth_penalty=0
    ) as pop:
        session = poplib.POP3(LOOPBACK, pop.pop3_port, timeout=5)
        session.user(OFFICE_USER)
        with pytest.raises(poplib.error_proto, match="-ERR"):
            session.pass_("wrong")
        session.quit()
        with pop.speaking_as("colleague-pc"):
            session = poplib.POP3(LOOPBACK, pop.pop3_port, timeout=5)
            session.user(OFFICE_USER)
            session.pass_(OFFICE_PASSWORD)
            session.quit()
    assert [(str(w.address), w.user) for w in control.windows.entries] == [(NAT, OFFICE_USER)]


@pytest.mark.parametrize("setting", list(RelaySetting))
def test_smtp_auth_on_587_relays_under_every_setting(
    servers: RelayServers, setting: RelaySetting
) -> None:
    servers.use(setting)
    send = servers.send(
        "spammer",  # any address: SMTP AUTH looks at the session
        port=587,
        mail_from=OFFICE_USER,
        rcpt=OUTSIDE,
        at=START + dt.timedelta(hours=1),
        credentials=Credentials(OFFICE_USER, OFFICE_PASSWORD),
    )
    assert send.accepted and "C: STARTTLS" in send.text and "S: 235 2.7.0" in send.text
    assert servers.control.decided[-1].ground is RelayGround.SMTP_AUTH


def test_an_open_relay_takes_a_strangers_relay_from_a_plain_smtplib_session(
    tmp_path,
) -> None:
    control = RelayControl(RelaySetting.OPEN_RELAY)
    with ModelSmtpServers(RELAY_WORLD, maildir_root=tmp_path, relay=control) as smtp:
        port = smtp.ports[("hosting-mail", 25)]
        with smtplib.SMTP(LOOPBACK, port, timeout=5) as client:  # nobody speaks for it
            client.ehlo("anywhere.example")
            assert client.mail("prize@lucky-winner.example")[0] == 250
            assert client.rcpt("victim@example.org")[0] == 250
        control.setting = RelaySetting.SMTP_AUTH
        with smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
            client.ehlo("anywhere.example")
            client.mail("prize@lucky-winner.example")
            code, text = client.rcpt("victim@example.org")
        assert (code, text) == (550, b"5.7.1 <victim@example.org>: Relay access denied")
    assert [d.ground for d in control.decided] == [RelayGround.OPEN_RELAY, RelayGround.NONE]


def test_your_own_pop3_login_opens_relaying_for_your_own_smtplib_session(tmp_path) -> None:
    """Without speaking_as, both servers see the real address, 127.0.0.1, and meet in the table."""
    clock = ManualClock(START)
    control = RelayControl(RelaySetting.POP_BEFORE_SMTP, clock=clock)
    with (
        ModelSmtpServers(RELAY_WORLD, maildir_root=tmp_path / "smtp", relay=control) as smtp,
        PopLoginServers(
            tmp_path / "pop", user=OFFICE_USER, password=OFFICE_PASSWORD, relay=control
        ) as pop,
    ):
        port = smtp.ports[("hosting-mail", 25)]

        def relay() -> int:
            with smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
                client.ehlo("me.example")
                client.mail("me@example.org")
                return client.rcpt(OUTSIDE)[0]

        assert relay() == 550
        imap = imaplib.IMAP4(LOOPBACK, pop.imap_port, timeout=5)
        imap.login(OFFICE_USER, OFFICE_PASSWORD)  # IMAP opens nothing: POP before SMTP
        imap.logout()
        assert relay() == 550
        session = poplib.POP3(LOOPBACK, pop.pop3_port, timeout=5)
        session.user(OFFICE_USER)
        session.pass_(OFFICE_PASSWORD)
        session.quit()
        assert [str(w.address) for w in control.windows.entries] == ["127.0.0.1"]
        assert relay() == 250
        clock.now = START + dt.timedelta(minutes=10)
        assert relay() == 550


def test_without_relay_the_servers_keep_chapter_02s_rule(tmp_path) -> None:
    with ModelSmtpServers(maildir_root=tmp_path) as smtp:
        assert smtp.relay is None
        port = smtp.ports[("recipient-mx", 25)]
        with smtplib.SMTP(LOOPBACK, port, timeout=5) as client:
            client.ehlo("anywhere.example")
            client.mail("someone@example.org")
            code, text = client.rcpt("victim@example.org")
    assert code == 554 and b"Relay access denied" in text


def test_stopping_is_prompt_with_sessions_still_open() -> None:
    servers = RelayServers(timeout=5).start()
    assert servers.smtp is not None and servers.pop is not None
    smtp = smtplib.SMTP(LOOPBACK, servers.smtp.ports[("hosting-mail", 25)], timeout=5)
    smtp.ehlo("idle.example")
    pop = poplib.POP3(LOOPBACK, servers.pop.pop3_port, timeout=5)
    smtp_server, pop_server = servers.smtp, servers.pop
    started = time.perf_counter()
    servers.stop()
    assert time.perf_counter() - started < 3
    assert not smtp_server.running and not pop_server.running
    assert servers.smtp is None and servers.pop is None
    smtp.close()
    pop.close()
