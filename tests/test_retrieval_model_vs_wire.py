"""The mailbox model and the real servers agree on what the chapter teaches.

The devices lab draws a model; the wire lab runs real POP3/IMAP4 servers (mailsec.retrieval.servers)
that Python's poplib and imaplib talk to over 127.0.0.1. Where both show the same rule, they must
tell the same story: UIDL values, the full-mailbox reply, deletions only at QUIT, \\Seen on FETCH.
"""

from __future__ import annotations

import email.message
import imaplib
import poplib
import re
from datetime import datetime, timedelta, timezone

import pytest

from mailsec.retrieval.model import (
    INBOX,
    DeviceSpec,
    Flag,
    FullMailboxReply,
    ImapSettings,
    MailArrives,
    PopSettings,
    ReadMessage,
    Scenario,
    Sync,
    run,
)
from mailsec.retrieval.servers import MailServers

USER, PASSWORD = "aiko", "secret"
START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def message(subject: str, body: str = "Hello Aiko!\n") -> bytes:
    m = email.message.EmailMessage()
    m["From"], m["To"], m["Subject"] = "ken@example.org", "aiko@example.org", subject
    m.set_content(body)
    return m.as_bytes()


def one_device(*events, quota=200 * 1024) -> Scenario:
    return Scenario("wire", "model beside the wire", (DeviceSpec("Phone", 10**6),), events, quota)


@pytest.fixture
def servers(tmp_path):
    with MailServers(maildir=tmp_path / "Maildir", user=USER, password=PASSWORD) as running:
        yield running


def pop_session(servers) -> poplib.POP3:
    pop = poplib.POP3(servers.host, servers.pop3_port, timeout=5)
    pop.user(USER)
    pop.pass_(PASSWORD)
    return pop


def test_uidl_has_the_same_shape_in_the_model_and_on_the_wire(servers):
    """RFC 1939 §7: the model shows Dovecot's %08Xu%08Xv form; the real server sends it too."""
    servers.deliver(message("one"))
    servers.deliver(message("two"))
    pop = pop_session(servers)
    try:
        listing = [line.decode().split() for line in pop.uidl()[1]]
    finally:
        pop.quit()
    model = run(
        one_device(
            MailArrives(timedelta(0), "one", 100), MailArrives(timedelta(minutes=1), "two", 100)
        ),
        clock=lambda: START,
    ).final.server.messages
    for (number, wire_uidl), view in zip(listing, model, strict=True):
        assert re.fullmatch(r"[0-9A-F]{16}", wire_uidl, re.IGNORECASE)
        assert view.uidl is not None and re.fullmatch(r"[0-9A-F]{16}", view.uidl)
        # The first half is the message's UID in both.
        assert int(wire_uidl[:8], 16) == int(view.uidl[:8], 16) == view.uid == int(number)


def test_full_mailbox_reply_of_the_real_server_is_the_models_permanent_reply(tmp_path):
    """RFC 3463 §3.3 X.2.2: the course's server answers as Dovecot does, 552 5.2.2."""
    with MailServers(
        maildir=tmp_path / "Maildir", user=USER, password=PASSWORD, quota=1000
    ) as servers:
        assert servers.deliver(message("small")).accepted
        refused = servers.deliver(message("big", "x" * 2000))
    assert not refused.accepted
    permanent = FullMailboxReply.PERMANENT
    assert refused.status.startswith(f"{permanent.code} {permanent.enhanced}")
    model = run(
        one_device(MailArrives(timedelta(0), "big", 2000), quota=1000),
        full_reply=FullMailboxReply.PERMANENT,
        clock=lambda: START,
    )
    assert model.final.server.bounces[0].reply.startswith(refused.status[:9])


def test_deletions_wait_for_quit_in_both(servers):
    """RFC 1939 §6: a dropped session deletes nothing; QUIT does."""
    servers.deliver(message("one"))
    pop = pop_session(servers)
    pop.dele(1)
    pop.close()  # dropped: no QUIT
    pop = pop_session(servers)
    try:
        assert pop.stat()[0] == 1
        pop.dele(1)
    finally:
        pop.quit()
    pop = pop_session(servers)
    try:
        assert pop.stat()[0] == 0
    finally:
        pop.quit()
    model = run(
        one_device(MailArrives(timedelta(0), "one", 100), Sync(timedelta(minutes=1), "Phone")),
        client=PopSettings(),
        clock=lambda: START,
    )
    texts = [s.text for s in model.final.trace]
    assert any(t.startswith("DELE M1") for t in texts)
    assert any(t.startswith("QUIT: the session enters the UPDATE state") for t in texts)
    assert model.final.server.messages == ()


def test_reading_over_imap_sets_seen_in_both(servers):
    """RFC 3501 §6.4.5: FETCH BODY[] sets \\Seen on the server."""
    servers.deliver(message("one"))
    imap = imaplib.IMAP4(servers.host, servers.imap_port, timeout=5)
    try:
        imap.login(USER, PASSWORD)
        imap.select("INBOX")
        assert b"\\Seen" not in imap.fetch("1", "(FLAGS)")[1][0]
        imap.fetch("1", "(BODY[])")
        assert b"\\Seen" in imap.fetch("1", "(FLAGS)")[1][0]
    finally:
        imap.logout()
    model = run(
        one_device(
            MailArrives(timedelta(0), "one", 100), ReadMessage(timedelta(minutes=1), "Phone", "M1")
        ),
        client=ImapSettings(),
        clock=lambda: START,
    )
    assert model.final.server.folder(INBOX)[0].flags == {Flag.SEEN}
