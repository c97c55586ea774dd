"""The model's MX checks SPF, DKIM and DMARC, and the provider's submission server DKIM-signs.

Real SMTP on 127.0.0.1 (smtplib against the aiosmtpd servers of chapter 02), the course zone
offline, a fixed clock. The MX's Maildir is read with chapter 01's store and IMAP/POP3 servers.
"""

from __future__ import annotations

import datetime as dt
import email
import imaplib
import mailbox
import poplib
import smtplib
import time
from pathlib import Path

import pytest

from mailsec.dmarc.authresults import parse_authentication_results
from mailsec.errors import InputError, MailsecError
from mailsec.op25b import Policy, Verdict, scenario, simulate
from mailsec.op25b.model import HANAKO, HANAKO_PASSWORD
from mailsec.op25b.replay import LoopbackMailServers
from mailsec.op25b.smtpd import JUNK, ModelSmtpServers, mailbox_path
from mailsec.retrieval.maildir import MailStore
from mailsec.retrieval.servers import MailServers

LOOPBACK = "127.0.0.1"
NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)
TARO = "taro@example.net"
SALES = "sales@example.net"  # only the quarantine test writes here


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("maildirs")
    with LoopbackMailServers(
        maildir_root=root,
        drop_timeout=0.3,
        timeout=5,
        clock=lambda: NOW,
        checks=True,
        signing=True,
        sample=0.0,
    ) as running:
        yield running


def _files(servers: ModelSmtpServers, address: str) -> list[Path]:
    """Every message file in ``address``'s Maildir, the inbox and every folder."""
    root = mailbox_path(servers.maildir_root, address)
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name in ("new", "cur"))


def _message(sender: str, *, extra: str = "", subject: str = "Test") -> bytes:
    head = f"From: {sender}\r\nTo: {TARO}\r\nSubject: {subject}\r\nDate: Mon, 02 Nov 2026 09:30:00 +0000\r\n"
    return (extra + head + "\r\nHello Taro.\r\n").encode()


def _send_to_mx(
    servers: ModelSmtpServers,
    content: bytes,
    *,
    client: str = "isp-b-host",
    mail_from: str = "jiro@isp-b.example",
    rcpt: str = TARO,
    policy: Policy | None = None,
) -> tuple[int, bytes]:
    """One SMTP transaction with the MX on behalf of ``client`` (EHLO with its host name); the
    reply to DATA."""
    port = servers.ports[("recipient-mx", 25)]
    with servers.speaking_as(client, policy), smtplib.SMTP(LOOPBACK, port, timeout=5) as smtp:
        smtp.ehlo(servers.world.host(client).hostname)
        assert smtp.mail(mail_from)[0] == 250
        assert smtp.rcpt(rcpt)[0] == 250
        return smtp.data(content)


def _fields(path: Path) -> list[str]:
    """The header lines of a stored message, as stored (folded lines stay separate)."""
    head = path.read_bytes().split(b"\n\n", 1)[0]
    return head.decode().split("\n")


# -- the story: Hanako's signed mail, the bot's forgery, a quarantined message ---------------------


@pytest.mark.parametrize("port", [587, 465])
def test_hanakos_mail_through_her_provider_passes_spf_dkim_and_dmarc(servers, port: int) -> None:
    """RFC 6376 §5: the provider's submission server signs for its domain; RFC 8601 §5: the MX
    adds its verdict on top."""
    result = simulate("home-pc", "provider-smtp", port, user=HANAKO, password=HANAKO_PASSWORD)
    replay = servers.replay(result.attempt)
    assert replay.verdict is Verdict.DELIVERED
    (path,) = replay.delivered
    assert path.parent.parent == mailbox_path(servers.maildir_root, TARO)  # the inbox
    lines = _fields(path)
    assert lines[0] == (
        "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=mailprovider.example; "
        "dkim=pass header.d=mailprovider.example header.s=mp2026; "
        "dmarc=pass (p=reject sp=reject dis=none) header.from=mailprovider.example"
    )
    # Newest on top: the MX's verdict, its Received, the provider's Received, the signature.
    names = [line.split(":", 1)[0] for line in lines if line[:1] not in (" ", "\t")]
    assert names[:4] == ["Authentication-Results", "Received", "Received", "DKIM-Signature"]
    assert "by mx.example.net" in lines[2] and "[203.0.113.25]" in lines[1]
    check = servers.checked[-1]
    assert (check.spf.result, check.dmarc.result) == ("pass", "pass")


@pytest.mark.parametrize(
    ("scenario_id", "results"),
    [
        # ISP A's relay is in isp-a.example's SPF record; ISP A does not sign.
        (
            "user-via-isp",
            "spf=pass smtp.mailfrom=isp-a.example; dkim=none; "
            "dmarc=pass (p=none sp=none dis=none) header.from=isp-a.example",
        ),
        # The bot's webmail account is genuine: authentication passes, the content is spam still.
        (
            "bot-webmail",
            "spf=pass smtp.mailfrom=webmail.example; dkim=none; "
            "dmarc=pass (p=none sp=none dis=none) header.from=webmail.example",
        ),
    ],
)
def test_the_other_delivered_scenarios_pass_for_their_own_domains(
    servers, scenario_id: str, results: str
) -> None:
    replay = servers.replay(scenario(scenario_id).attempt())
    (path,) = replay.delivered
    assert _fields(path)[0] == f"Authentication-Results: mx.example.net; {results}"


def test_the_provider_signs_only_mail_from_its_own_domain(servers) -> None:
    """The bot logs in with Hanako's stolen password but writes From: support@bank.example: the
    provider does not sign for the bank, SPF fails for it at the MX, and the bank's p=reject
    refuses it (with the checks off, the chapter's scenario ends delivered)."""
    before = _files(servers, TARO)
    replay = servers.replay(scenario("bot-stolen-587").attempt())
    assert replay.verdict is Verdict.REFUSED
    relay = replay.sessions[-1]
    assert (relay.client, relay.server) == ("provider-smtp", "recipient-mx")
    assert "S: 550 5.7.1 Message rejected: the DMARC policy of bank.example says reject" in (
        relay.text
    )
    check = servers.checked[-1]
    assert check.dkim == () and check.spf.result == "fail"
    assert _files(servers, TARO) == before


def test_the_bot_forging_the_bank_on_port_25_is_rejected(servers) -> None:
    """With OP25B off the bot's connection reaches the MX; DMARC (RFC 7489 §6.7) stops it: 550
    5.7.1 after DATA, nothing stored."""
    before = _files(servers, TARO)
    code, text = _send_to_mx(
        servers,
        _message("Bank Security <security@bank.example>", subject="Verify your account"),
        client="infected-pc",
        mail_from="security@bank.example",
        policy=Policy(op25b=False),
    )
    assert (code, text) == (
        550,
        b"5.7.1 Message rejected: the DMARC policy of bank.example says reject",
    )
    assert _files(servers, TARO) == before
    assert servers.checked[-1].header == (
        "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=bank.example; dkim=none; "
        "dmarc=fail (p=reject sp=reject dis=reject) header.from=bank.example"
    )


def test_the_no_op25b_scenario_is_refused_at_the_mx_when_it_checks(servers) -> None:
    s = scenario("no-op25b")
    replay = servers.replay(s.attempt(), s.policy)
    assert replay.verdict is Verdict.REFUSED and replay.delivered == ()
    assert 550 in replay.sessions[-1].reply_codes


def test_a_quarantined_message_lands_in_junk_and_chapter_01s_servers_read_it(servers) -> None:
    """example.com publishes p=quarantine; a PC on ISP B is none of its servers. The message goes
    into the Maildir++ folder .Junk: IMAP lists and reads it, POP3 (one maildrop, no folders,
    RFC 1939) never sees it."""
    code, text = _send_to_mx(
        servers,
        _message("Example Corp <news@example.com>", subject="Your invoice"),
        mail_from="news@example.com",
        rcpt=SALES,
    )
    assert (code, text) == (250, b"2.0.0 OK: delivered to mailbox")
    inbox = mailbox_path(servers.maildir_root, SALES)
    (path,) = _files(servers, SALES)
    assert path.parent.parent == inbox / f".{JUNK}"
    assert _fields(path)[0].startswith(
        "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com; dkim=none; "
        "dmarc=fail (p=quarantine sp=quarantine dis=quarantine) header.from=example.com"
    )
    assert JUNK in mailbox.Maildir(inbox, create=False).list_folders()
    store = MailStore(inbox)
    assert store.folder_names() == ["INBOX", JUNK]
    assert store.inbox.uids == [] and len(store.folder(JUNK).uids) == 1

    with MailServers(inbox, user="sales", password="course-pw") as retrieval:
        imap = imaplib.IMAP4(retrieval.host, retrieval.imap_port, timeout=5)
        try:
            imap.login("sales", "course-pw")
            status, listed = imap.list()
            assert status == "OK" and b'(\\HasNoChildren) "." Junk' in listed
            status, data = imap.select(JUNK, readonly=True)
            assert status == "OK" and data == [b"1"]
            status, fetched = imap.fetch("1", "(BODY.PEEK[HEADER])")
            assert status == "OK"
            header = email.message_from_bytes(fetched[0][1])
            assert "dis=quarantine" in header["Authentication-Results"]
            assert header["Subject"] == "Your invoice"
        finally:
            imap.logout()
        pop = poplib.POP3(retrieval.host, retrieval.pop3_port, timeout=5)
        try:
            pop.user("sales")
            pop.pass_("course-pw")
            assert pop.stat()[0] == 0
        finally:
            pop.quit()


def test_the_bot_inside_mailhost_examples_range_passes_as_example_com(servers) -> None:
    """A property of the course data, not of the checks: ISP A's whole network 198.51.100.0/24 is
    inside _spf.mailhost.example, which example.com includes. So the infected PC sending as
    example.com gets spf=pass and an aligned DMARC pass, and lands in the inbox."""
    code, _ = _send_to_mx(
        servers,
        _message("billing@example.com"),
        client="infected-pc",
        mail_from="billing@example.com",
        policy=Policy(op25b=False),
    )
    assert code == 250
    assert servers.checked[-1].header == (
        "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com; dkim=none; "
        "dmarc=pass (p=quarantine sp=quarantine dis=none) header.from=example.com"
    )


# -- the Authentication-Results field cannot be forged or broken ------------------------------------


def test_forged_results_in_the_mx_s_name_are_deleted_and_others_kept(servers) -> None:
    """RFC 8601 §5: a receiver deletes Authentication-Results fields that claim its authserv-id
    (in any case, folded, or unreadable) and keeps other servers' fields below its own."""
    forged = (
        "Authentication-Results: mx.example.net; spf=pass; dkim=pass; dmarc=pass\r\n"
        "Authentication-Results: MX.Example.NET;\r\n dmarc=pass header.from=bank.example\r\n"
        "authentication-results: (trust me) mx.example.net; dmarc=pass (((\r\n"
        "Authentication-Results: mx.other.example; spf=pass smtp.mailfrom=bank.example\r\n"
    )
    before = _files(servers, TARO)
    code, _ = _send_to_mx(servers, _message("jiro@isp-b.example", extra=forged))
    assert code == 250
    (path,) = set(_files(servers, TARO)) - set(before)
    results = [line for line in _fields(path) if line.lower().startswith("authentication-results")]
    assert results == [
        "Authentication-Results: mx.example.net; spf=softfail smtp.mailfrom=isp-b.example; "
        "dkim=none; dmarc=none header.from=isp-b.example",
        "Authentication-Results: mx.other.example; spf=pass smtp.mailfrom=bank.example",
    ]


@pytest.mark.parametrize(
    ("helo", "sender"),
    [
        (
            'evil.example; dmarc=pass header.from="bank.example"',
            '"a; dmarc=pass (" <x@evil.example>',
        ),
        ("x\tAuthentication-Results:", "=?utf-8?q?Bank?= <security@bank.example>\r\n\tdmarc=pass"),
    ],
)
def test_the_field_is_one_line_whatever_the_sender_writes(servers, helo: str, sender: str) -> None:
    """The HELO name (checked for a null sender, RFC 7208 §2.3) and the From: field come from the
    client; whatever they hold, the MX writes one line that reads back as exactly spf, dkim and
    dmarc (RFC 8601 §2.2 quoting)."""
    port = servers.ports[("recipient-mx", 25)]
    before = len(servers.checked)
    with servers.speaking_as("isp-b-host"), smtplib.SMTP(LOOPBACK, port, timeout=5) as smtp:
        smtp.ehlo(helo)
        assert smtp.mail("<>")[0] == 250
        assert smtp.rcpt(TARO)[0] == 250
        smtp.data(_message(sender))
    assert len(servers.checked) == before + 1
    header = servers.checked[-1].header
    assert "\r" not in header and "\n" not in header and "\t" not in header
    parsed = parse_authentication_results(header)
    assert parsed.authserv_id == "mx.example.net"
    assert [info.method for info in parsed.results] == ["spf", "dkim", "dmarc"]
    assert servers.checked[-1].delivered == header.encode() + b"\r\n"


@pytest.mark.parametrize(
    ("content", "reply"),
    [
        # RFC 7489 §6.6.1: no single From: domain, nothing for DMARC to check.
        (
            b"To: taro@example.net\r\nSubject: no author\r\n\r\nHi.\r\n",
            b"5.7.1 Message rejected: it has no single From: domain for DMARC to check "
            b"(RFC 7489 section 6.6.1)",
        ),
        (
            b" folded before any field\r\nFrom: jiro@isp-b.example\r\n\r\nHi.\r\n",
            b"5.6.0 Message rejected: its header section cannot be read for the sender checks",
        ),
    ],
    ids=["no-from", "unreadable"],
)
def test_what_cannot_be_checked_is_refused_and_the_server_goes_on(
    servers, content: bytes, reply: bytes
) -> None:
    before = _files(servers, TARO)
    assert _send_to_mx(servers, content) == (550, reply)
    assert _files(servers, TARO) == before
    with smtplib.SMTP(LOOPBACK, servers.ports[("recipient-mx", 25)], timeout=5) as smtp:
        assert smtp.noop()[0] == 250


# -- options --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sample", "folder"), [(0.0, JUNK), (0.75, None)])
def test_sample_decides_pct(tmp_path: Path, sample: float, folder: str | None) -> None:
    """news.example: p=quarantine; pct=50 (RFC 7489 §6.6.4). A draw below 0.5 applies the policy;
    one above leaves the message in the inbox. The servers stop promptly afterwards."""
    servers = ModelSmtpServers(
        maildir_root=tmp_path, clock=lambda: NOW, checks=True, sample=sample
    ).start()
    try:
        code, _ = _send_to_mx(servers, _message("news@news.example"), mail_from="news@news.example")
        assert code == 250
        (path,) = _files(servers, TARO)
        inbox = mailbox_path(tmp_path, TARO)
        assert path.parent.parent == (inbox / f".{folder}" if folder else inbox)
    finally:
        started = time.perf_counter()
        servers.stop()
        assert time.perf_counter() - started < 2 and not servers.running


def test_checks_and_signing_are_off_by_default(tmp_path: Path) -> None:
    """Chapter 02's stories are about ports: without the options nothing is added or refused."""
    with LoopbackMailServers(maildir_root=tmp_path, drop_timeout=0.3) as servers:
        assert not servers.checks and not servers.signing
        replay = servers.replay(scenario("user-submission-587").attempt())
        (path,) = replay.delivered
        names = [line.split(":", 1)[0] for line in _fields(path) if line[:1] not in (" ", "\t")]
        assert "Authentication-Results" not in names and "DKIM-Signature" not in names
        replay = servers.replay(scenario("no-op25b").attempt(), Policy(op25b=False))
        assert replay.verdict is Verdict.DELIVERED
        assert not servers.checked


def test_options_of_the_checks_need_checks() -> None:
    with pytest.raises(
        MailsecError,
        match=r"^resolver and sample apply only to the MX's sender checks: pass checks=True as "
        r"well, or leave them out\.$",
    ):
        ModelSmtpServers(resolver=object(), sample=0.5)
    with pytest.raises(MailsecError, match=r"^sample applies only .* leave it out\.$"):
        ModelSmtpServers(sample=0.5)


@pytest.mark.parametrize("sample", [1.0, -0.1, True, "0.5"])
def test_a_bad_sample_is_refused_early(sample: object) -> None:
    with pytest.raises(InputError, match="sample must be a number from 0 up to"):
        ModelSmtpServers(checks=True, sample=sample)  # type: ignore[arg-type]
