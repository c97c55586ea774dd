"""Chapter 09's mail system as a whole: start, stop, faults, two at once, the command line."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from pathlib import Path

import pytest

from mailsec.errors import InputError, NotAvailable
from mailsec.mailsystem import MailSystem
from mailsec.mailsystem.network import Internet
from mailsec.mailsystem.plan import WORLD, Defences, loopback_alias, zone_text
from mailsec.op25b.rules import Decision


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t is not threading.main_thread()}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _children() -> set[int]:
    """The processes whose parent is this one (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def _bindable(port: int) -> bool:
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", port))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def test_stop_leaves_no_threads_ports_or_files() -> None:
    before_threads, before_fds, before_children = _threads(), _open_fds(), _children()
    system = MailSystem().start()
    ports = [e.port for e in system.endpoints()]
    root = system.root
    assert root.is_dir() and (root / "ca.pem").is_file()
    system.stop()
    assert _threads() <= before_threads
    assert _open_fds() <= before_fds
    assert _children() <= before_children
    assert all(_bindable(port) for port in ports)
    assert not root.exists()
    system.stop()  # stopping twice is harmless


def test_two_systems_run_side_by_side() -> None:
    with MailSystem() as one, MailSystem() as two:
        first = {e.name: e.port for e in one.endpoints()}
        second = {e.name: e.port for e in two.endpoints()}
        assert not set(first.values()) & set(second.values())
        assert one.root != two.root


def test_a_port_in_use_names_the_server_and_leaves_nothing_running() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    before = _threads()
    try:
        for service in ("dns", "mx", "imaps"):
            system = MailSystem(ports={service: port})
            with pytest.raises(NotAvailable) as caught:
                system.start()
            message = str(caught.value)
            assert f"could not start its {service} server" in message
            assert f"127.0.0.1:{port}" in message and "Nothing was left running" in message
            assert ".." not in message
            assert not system.running
            assert _threads() <= before
    finally:
        taken.close()


@pytest.mark.parametrize(
    ("ports", "words"),
    [
        ({"smtp": 2525}, "Unknown service 'smtp'"),
        ({"mx": 0}, "from 1 to 65535"),
        ({"mx": True}, "from 1 to 65535"),
    ],
)
def test_bad_ports_are_refused_with_a_sentence(ports, words: str) -> None:
    with pytest.raises(InputError, match=words):
        MailSystem(ports=ports)


def test_bad_defences_are_refused() -> None:
    with pytest.raises(InputError, match="not one of off, none, quarantine, reject"):
        Defences(dmarc="maybe")
    with pytest.raises(InputError, match="must be True or False"):
        Defences(tls="yes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="Unknown preset"):
        Defences.preset("paranoid")


def test_the_servers_use_the_systems_dns_through_a_real_resolver() -> None:
    with MailSystem(Defences(spf=False, dmarc="quarantine")) as system:
        resolver = system.resolver()
        txt = [r.to_text() for r in resolver.resolve("_dmarc.bank.example", "TXT")]
        assert txt == ['"v=DMARC1; p=quarantine; rua=mailto:dmarc@bank.example"']
        mx = resolver.resolve("example.com", "MX")[0].exchange.to_text()
        assert mx == "mx.example.com."
        with pytest.raises(Exception, match="answer"):
            resolver.resolve("bank.example", "TXT")  # spf=False: no SPF record published
        assert system.dns is not None and system.dns.queries >= 3


def test_endpoints_speak_tls_with_the_systems_ca() -> None:
    with MailSystem() as system:
        imaps = next(e for e in system.endpoints() if e.name == "imaps")
        with socket.create_connection((imaps.host, imaps.port), timeout=5) as raw:
            context = ssl.create_default_context(cafile=str(system.ca_file))
            with context.wrap_socket(raw, server_hostname="mail.example.com") as tls:
                assert tls.recv(100).startswith(b"* OK")


def test_the_mx_learns_the_client_from_the_socket_not_a_claim() -> None:
    """The SPF identity is the connecting address (RFC 7208 §2.3): each machine sends from its
    own loopback alias, and the MX maps it back."""
    internet = Internet(WORLD, op25b=True)
    try:
        vps = WORLD.host("vps")
        assert internet.host_of(loopback_alias(vps.ipv4)) is vps
        desktop = internet.host_of("127.0.0.1")  # a mail program on this computer
        assert desktop.id == "desktop" and str(desktop.ipv4) == "127.0.0.1"
        # ISP A's edge: port 25 from the pool is dropped, 587 passes (RFC 5068 §3).
        bot, mx = WORLD.host("bot-pc"), WORLD.host("mx")
        internet.listen("mx", 25, 1)
        assert internet.route(bot, str(mx.ipv4), 25).ruling.decision is Decision.DROPPED
        assert internet.route(vps, str(mx.ipv4), 25).ruling is None
        with pytest.raises(InputError, match="does not listen on port 110"):
            internet.route(vps, str(mx.ipv4), 110)
        with pytest.raises(InputError, match="No machine"):
            internet.route(vps, "198.18.0.1", 25)
    finally:
        internet.close()


def test_the_zone_publishes_what_the_defences_say() -> None:
    on, off = zone_text(Defences()), zone_text(Defences.preset("nothing"))
    assert '"v=spf1 ip4:192.0.2.42 -all"' in on and "v=spf1 ip4:192.0.2.42" not in off
    assert '_dmarc TXT "v=DMARC1; p=reject' in on and "p=reject; rua=mailto:dmarc@bank" not in off
    # Every role has its own address: no record covers another machine by accident.
    addresses = [str(h.ipv4) for h in WORLD.hosts]
    assert len(addresses) == len(set(addresses))


def test_passwords_are_checked() -> None:
    with MailSystem() as system:
        submit = WORLD.host("bank-submit")
        assert system.check_password(submit, "alice@bank.example", "alice-course-password")
        assert not system.check_password(submit, "alice@bank.example", "wrong")
        assert not system.check_password(submit, "mallory@bank.example", "x")


def test_a_desktop_mail_program_sends_as_alice_and_reads_as_bob() -> None:
    """What the chapter's Thunderbird instructions rely on: a client on 127.0.0.1 submits on
    587 (STARTTLS, then AUTH), the MTA delivers, and Bob's mailbox has it over IMAPS."""
    import imaplib
    import smtplib

    with MailSystem() as system:
        ports = {e.name: e.port for e in system.endpoints()}
        context = ssl.create_default_context(cafile=str(system.ca_file))
        message = (
            "From: alice@bank.example\r\nTo: bob@example.com\r\nSubject: from Thunderbird\r\n"
            "Message-ID: <desktop@bank.example>\r\n\r\nHello\r\n"
        )
        with smtplib.SMTP("127.0.0.1", ports["submission"], timeout=10) as smtp:
            smtp.starttls(context=context)  # the certificate names 127.0.0.1 too
            smtp.login("alice@bank.example", "alice-course-password")
            smtp.sendmail("alice@bank.example", ["bob@example.com"], message)
        system.deliver()
        imap = imaplib.IMAP4_SSL("127.0.0.1", ports["imaps"], ssl_context=context, timeout=10)
        imap.login("bob", "bob-course-password")
        imap.select("INBOX", readonly=True)
        _, found = imap.search(None, "SUBJECT", '"from Thunderbird"')
        assert found[0].split(), "the message did not arrive"
        imap.logout()
        # Straight to the MX from this computer, claiming to be the bank: SPF fails for
        # 127.0.0.1 and DMARC's reject stops it (RFC 7489 §6.6.4).
        with (
            smtplib.SMTP("127.0.0.1", ports["mx"], timeout=10) as smtp,
            pytest.raises(smtplib.SMTPDataError) as refused,
        ):
            smtp.sendmail("alice@bank.example", ["bob@example.com"], message)
        assert refused.value.smtp_code == 550


def test_smtp_servers_bound_connections_and_recipients() -> None:
    """RFC 5321 §4.3.2: one connection more than the bound gets 421; §4.5.3.1.8: past 100
    recipients, 452 4.5.3."""
    import smtplib

    from mailsec.limits import SMTP_MAX_CONNECTIONS, SMTP_MAX_RECIPIENTS

    with MailSystem() as system:
        port = next(e.port for e in system.endpoints() if e.name == "mx")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.ehlo()
            smtp.mail("someone@shop.example")
            codes = [smtp.rcpt("bob@example.com")[0] for _ in range(SMTP_MAX_RECIPIENTS + 1)]
        held = [smtplib.SMTP("127.0.0.1", port, timeout=10) for _ in range(SMTP_MAX_CONNECTIONS)]
        try:
            extra = socket.create_connection(("127.0.0.1", port), timeout=10)
            with extra:
                assert extra.recv(200).startswith(b"421 4.7.0 mx.example.com is busy")
        finally:
            for smtp in held:
                smtp.close()
        assert codes[:-1] == [250] * SMTP_MAX_RECIPIENTS and codes[-1] == 452
