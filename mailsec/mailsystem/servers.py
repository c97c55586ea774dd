"""The mail system's SMTP servers (aiosmtpd), one handler per role.

- **Submission** (``smtp.bank.example``, port 587): STARTTLS first, then AUTH (RFC 6409 with
  RFC 3207 and RFC 4954); a logged-in user may send only from their own address (RFC 6409 §6.1).
  Accepted mail goes to the bank's outbound MTA, which signs it with DKIM when the defence is on
  (RFC 6376 §5) and delivers it (:mod:`mailsec.mailsystem.delivery`).
- **MX** (``mx.example.com``, port 25): mail for example.com only (no open relay, RFC 5321
  §3.6). Every message is checked -- SPF for the connecting address (learned from the socket),
  DKIM, ARC and DMARC (:func:`mailsec.dmarc.receiver.check_inbound`, DNS through the system's
  DNS server) -- and gets an ``Authentication-Results:`` field on top (RFC 8601 §5). DMARC
  ``reject`` is a 550 reply, ``quarantine`` files the message in ``Junk``. A mailbox over its
  quota answers ``452 4.2.2`` (RFC 5321 §4.5.3.1.10, RFC 3463 §3.3): the sender keeps the message
  and tries again.
- **University MX** (``mx.university.example``): carol@university.example forwards to
  bob@example.com; the message goes on unchanged, from the university's own address, with the
  envelope sender kept (plain forwarding, no SRS): the case SPF cannot pass (RFC 7208 §10.3).
- **Mailing list** (``mail.lists.example``): team@lists.example resends to its members with a
  ``[team]`` Subject tag and a footer -- which breaks the author's DKIM signature -- after
  checking the message and sealing what it found with ARC (RFC 8617 §5.1).

Each handler writes what it did into the system's timeline as :class:`~mailsec.mailsystem.
timeline.Event` values; the servers never format output. The servers run in their own thread, so
each hook speaks the language of the scenario being played (:attr:`MailSystem.lang
<mailsec.mailsystem.system.MailSystem.lang>`), whatever thread serves it.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import inspect
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from mailsec.dkim.course import seal_as
from mailsec.dmarc.receiver import InboundCheck, check_inbound
from mailsec.dmarc.result import Disposition
from mailsec.errors import InputError
from mailsec.i18n import texts, using
from mailsec.limits import SMTP_MAX_CONNECTIONS, SMTP_MAX_RECIPIENTS
from mailsec.mailsystem.timeline import Control, Event
from mailsec.op25b.inbound import (
    JUNK,
    NULL_SENDER,
    rejection,
    sender_refusal,
    without_claimed_results,
)
from mailsec.op25b.model import Host, is_address
from mailsec.op25b.smtpd import QuietDeprecation
from mailsec.trace import Outcome

if TYPE_CHECKING:
    from mailsec.mailsystem.system import MailSystem

__all__ = ["FORWARDS", "LIST_MEMBERS", "BoundedSMTP", "handler_for"]

logging.getLogger("mail.log").addFilter(QuietDeprecation())

FORWARDS = {"carol@university.example": "bob@example.com"}
"""The university's forwarding: a former student's address, forwarded to her private mailbox."""

LIST_MEMBERS = {"team@lists.example": ("bob@example.com",)}
"""The mailing list and its members."""

LIST_BOUNCES = "team-bounces@lists.example"

REPLIES = {
    "not_local": "550 5.7.1 Relaying denied: {server} accepts mail for {domains} only",
    "unknown_user": "550 5.1.1 No such user here: {rcpt}",
    "bad_address": "553 5.1.3 Bad address syntax",
    "not_yours": "553 5.7.1 Sender address rejected: not owned by user {user}",
    "full": "452 4.2.2 Mailbox full: {rcpt} is over its quota, try again later",
    "queued": "250 2.0.0 OK: queued as {queue}",
    "stored": "250 2.0.0 OK: delivered",
    "junk": "250 2.0.0 OK: delivered to Junk",
    "unreadable": "550 5.6.0 Message rejected: its header section cannot be read",
    "too_many": "452 4.5.3 Too many recipients",
    "queue_full": "452 4.3.1 Insufficient system storage: the queue is full, try again later",
    "busy": "421 4.7.0 {server} is busy: too many connections, try again later",
}
"""The servers' SMTP replies. They are protocol on the wire, not the course's words: a reply's
text is ASCII and meant for the other side's logs (RFC 5321 §4.2, §4.5.3.1.5), so it stays in
English in every language of the course, as a real MTA's does; the timeline quotes it as sent."""

FIELDS = {
    "received": "Received: from {helo} ({hostname} [{address}])\r\n\tby {server} with {with_}; "
    "{date}\r\n",
}
"""The trace field each server adds (RFC 5321 §4.4): header syntax, not words to translate."""

TEXT = texts(
    {
        "accepted": "{server} accepted the message for {rcpts}: {reply}",
        "refused": "{server} refused: {reply}",
        "checks": "{server} checked the message: {results}",
        "stored": "Stored in {rcpt}'s {folder}",
        "full": "{rcpt}'s mailbox is over its quota ({used} of {quota} bytes): 452, try later",
        "forward": "{server} forwards {rcpt} to {target}, unchanged, from its own address",
        "list": "{server} resends to the list's members: [team] tag and footer added, ARC set "
        "{i} sealed with what it saw: {results}",
        "auth_failed": "AUTH refused for {user}",
    }
)
"""What each server writes into the timeline (see :mod:`mailsec.i18n`)."""

H = TypeVar("H", bound=Callable[..., Any])


def _speaking(hook: H) -> H:
    """Run an aiosmtpd hook (a coroutine or a plain method) in the language of the scenario
    being played: the servers' thread has no language of its own."""
    if inspect.iscoroutinefunction(hook):

        @functools.wraps(hook)
        async def spoken(self: _Handler, *args: Any) -> Any:
            with using(self.system.lang):
                return await hook(self, *args)

        # The wrapper takes the hook's arguments and returns what it returns.
        return cast(H, spoken)

    @functools.wraps(hook)
    def said(self: _Handler, *args: Any) -> Any:
        with using(self.system.lang):
            return hook(self, *args)

    return cast(H, said)


SUBJECT = re.compile(rb"^Subject:[ \t]*", re.I | re.M)
FOOTER = b"--\r\nteam@lists.example: to leave the list, write to team-leave@lists.example\r\n"


class _Handler:
    """What every role shares: the Received field and recipient checks."""

    def __init__(self, system: MailSystem, host: Host) -> None:
        self.system, self.host = system, host

    def smtp_options(self) -> dict[str, Any]:
        """What this role asks of aiosmtpd beyond the defaults."""
        return {}

    def client(self, session: Any) -> Host:
        internet = self.system.internet
        assert internet is not None  # sessions come only while the system runs
        return internet.host_of(session.peer[0])

    def note(self, text: str, outcome: Outcome = Outcome.INFO, **kw: Any) -> None:
        self.system.journal.record(Event(self.host.id, None, text, outcome, **kw))

    def received(self, session: Any) -> bytes:
        client = self.client(session)
        tls = session.ssl is not None
        with_ = "ESMTP" + ("S" if tls else "") + ("A" if session.authenticated else "")
        return (
            FIELDS["received"]
            .format(
                helo=session.host_name or client.hostname,
                hostname=client.hostname,
                address=client.ipv4,
                server=self.host.hostname,
                with_=with_,
                date=email.utils.formatdate(self.system.clock()),
            )
            .encode("ascii")
        )

    @_speaking
    async def handle_MAIL(
        self, _server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = sender_refusal(address)
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    @_speaking
    async def handle_RCPT(
        self, _server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if not is_address(address):
            return REPLIES["bad_address"]
        if len(envelope.rcpt_tos) >= SMTP_MAX_RECIPIENTS:
            return REPLIES["too_many"]
        refusal = self.refuses(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address.lower())
        return "250 2.1.5 OK"

    def refuses(self, rcpt: str) -> str | None:
        """Why this server does not take mail for ``rcpt`` (None: it does). An MX takes its own
        domains' known mailboxes only: no open relay (RFC 5321 §3.6)."""
        domain = rcpt.rpartition("@")[2].lower()
        if domain not in self.host.local_domains:
            return REPLIES["not_local"].format(
                server=self.host.hostname, domains=", ".join(self.host.local_domains)
            )
        if not self.knows(rcpt.lower()):
            return REPLIES["unknown_user"].format(rcpt=rcpt)
        return None

    def knows(self, rcpt: str) -> bool:
        return rcpt in self.host.mailboxes

    async def check(
        self, session: Any, envelope: Any, message: bytes, trusted: tuple[str, ...] = ()
    ) -> InboundCheck:
        """SPF for the connecting client, DKIM, ARC and DMARC, as this server sees the message
        (in a worker thread: DNS may take a while, and the other servers share this loop)."""
        mail_from = "" if envelope.mail_from == NULL_SENDER else envelope.mail_from
        return await asyncio.to_thread(
            functools.partial(
                check_inbound,
                message,
                client_ip=str(self.client(session).ipv4),
                helo=session.host_name or "",
                mail_from=mail_from,
                authserv_id=self.host.hostname,
                resolver=self.system.resolver(),
                trusted_sealers=trusted,
                now=self.system.clock(),
            )
        )

    def done(self, envelope: Any, reply: str, outcome: Outcome = Outcome.OK) -> str:
        key = "accepted" if reply.startswith("2") else "refused"
        self.note(
            TEXT[key].format(
                server=self.host.hostname, rcpts=", ".join(envelope.rcpt_tos), reply=reply
            ),
            outcome if reply.startswith("2") else Outcome.FAIL,
        )
        return reply


class _Submission(_Handler):
    """smtp.bank.example:587 (module docstring)."""

    def smtp_options(self) -> dict[str, Any]:
        # RFC 6409 with RFC 3207: STARTTLS first, then AUTH, then MAIL.
        return {"require_starttls": True, "authenticator": self.authenticate, "auth_required": True}

    @_speaking
    def authenticate(
        self, _server: SMTP, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        ok = self.system.check_password(self.host, user, password)
        if not ok:
            self.note(TEXT["auth_failed"].format(user=user), Outcome.FAIL, section="RFC 4954 §4")
        return AuthResult(success=ok, handled=False, auth_data=user)

    @_speaking
    async def handle_MAIL(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        user = str(session.auth_data or "")
        if address.lower() != user.lower():
            return REPLIES["not_yours"].format(user=user)
        return await super().handle_MAIL(server, session, envelope, address, options)

    def refuses(self, rcpt: str) -> str | None:
        return None  # a logged-in user may send anywhere (RFC 6409 §4.3 made MAIL need AUTH)

    @_speaking
    async def handle_DATA(self, _server: SMTP, session: Any, envelope: Any) -> str:
        message = self.received(session) + bytes(envelope.original_content or b"")
        if self.system.queues["bank-out"].full:
            return self.done(envelope, REPLIES["queue_full"])
        reply = self.done(envelope, REPLIES["queued"].format(queue="bank-out"))
        self.system.submit(self.host, envelope.mail_from, list(envelope.rcpt_tos), message)
        return reply


class _ExampleMx(_Handler):
    """mx.example.com:25 (module docstring)."""

    @_speaking
    async def handle_DATA(self, _server: SMTP, session: Any, envelope: Any) -> str:
        message = bytes(envelope.original_content or b"")
        for rcpt in envelope.rcpt_tos:
            used, quota = self.system.mailboxes.usage(rcpt), self.system.mailboxes.quota
            if used + len(message) > quota:
                self.note(
                    TEXT["full"].format(rcpt=rcpt, used=used, quota=quota),
                    Outcome.WARN,
                    section="RFC 5321 §4.5.3.1.10",
                )
                return REPLIES["full"].format(rcpt=rcpt)
        trusted = ("lists.example",) if self.system.defences.arc else ()
        try:
            check = await self.check(session, envelope, message, trusted)
        except InputError:
            return self.done(envelope, REPLIES["unreadable"])
        self.system.journal.checked(check)
        self._note_checks(check)
        if check.disposition is Disposition.REJECT:
            return self.done(envelope, rejection(check.dmarc))
        folder = JUNK if check.disposition is Disposition.QUARANTINE else None
        stored = (
            check.delivered
            + self.received(session)
            + without_claimed_results(message, self.host.hostname)
        )
        for rcpt in envelope.rcpt_tos:
            self.system.mailboxes.store(rcpt, stored, folder=folder)
            self.note(
                TEXT["stored"].format(rcpt=rcpt, folder=folder or "INBOX"),
                Outcome.WARN if folder else Outcome.OK,
                control=Control.DMARC if folder else None,
            )
        return self.done(envelope, REPLIES["junk" if folder else "stored"])

    def _note_checks(self, check: InboundCheck) -> None:
        results = check.header.partition(";")[2].strip()
        outcome = {
            Disposition.REJECT: Outcome.FAIL,
            Disposition.QUARANTINE: Outcome.WARN,
        }.get(check.disposition, Outcome.OK)
        self.note(
            TEXT["checks"].format(server=self.host.hostname, results=results),
            outcome,
            section="RFC 8601 §2.7",
            control=Control.DMARC,
        )


class _University(_Handler):
    """mx.university.example:25 (module docstring)."""

    def knows(self, rcpt: str) -> bool:
        return rcpt in FORWARDS

    @_speaking
    async def handle_DATA(self, _server: SMTP, session: Any, envelope: Any) -> str:
        message = self.received(session) + bytes(envelope.original_content or b"")
        if self.system.queues[self.host.id].full:
            return self.done(envelope, REPLIES["queue_full"])
        for rcpt in envelope.rcpt_tos:
            target = FORWARDS[rcpt]
            self.note(TEXT["forward"].format(server=self.host.hostname, rcpt=rcpt, target=target))
            self.system.relay_from(self.host, envelope.mail_from, [target], message)
        return self.done(envelope, REPLIES["queued"].format(queue="forward"))


class _List(_Handler):
    """mail.lists.example:25 (module docstring)."""

    def knows(self, rcpt: str) -> bool:
        return rcpt in LIST_MEMBERS

    @_speaking
    async def handle_DATA(self, _server: SMTP, session: Any, envelope: Any) -> str:
        message = bytes(envelope.original_content or b"")
        if self.system.queues[self.host.id].full:
            return self.done(envelope, REPLIES["queue_full"])
        try:
            check = await self.check(session, envelope, message)
            resent = await asyncio.to_thread(self._reseal, message, check)
        except InputError:
            return self.done(envelope, REPLIES["unreadable"])
        for rcpt in envelope.rcpt_tos:
            self.system.relay_from(self.host, LIST_BOUNCES, list(LIST_MEMBERS[rcpt]), resent)
        return self.done(envelope, REPLIES["queued"].format(queue="list"))

    def _reseal(self, message: bytes, check: InboundCheck) -> bytes:
        """Tag, add the footer, and seal with what the list saw on arrival (RFC 8617 §5.1)."""
        results = check.header.partition(";")[2].strip() or "none"
        changed = SUBJECT.sub(b"Subject: [team] ", message, count=1)
        changed = changed if changed.endswith(b"\r\n") else changed + b"\r\n"
        changed += FOOTER
        sealed = seal_as(
            "lists.example",
            changed,
            authserv_id=self.host.hostname,
            results=results,
            now=self.system.clock(),
            chain=check.arc,
        )
        instance = len(check.arc.sets) + 1
        self.note(
            TEXT["list"].format(server=self.host.hostname, i=instance, results=results),
            Outcome.INFO,
            section="RFC 8617 §5.1",
            control=Control.ARC,
        )
        return sealed


class BoundedSMTP(SMTP):
    """aiosmtpd's server, serving at most :data:`SMTP_MAX_CONNECTIONS` connections at once
    (shared through ``counter``); one more is told ``421`` and closed (RFC 5321 §4.3.2)."""

    def __init__(self, counter: list[int], *args: Any, **kwargs: Any) -> None:
        self._counter, self._counted, self._refused = counter, False, False
        super().__init__(*args, **kwargs)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._counted:  # the first call; STARTTLS calls again for the TLS transport
            if self._counter[0] >= SMTP_MAX_CONNECTIONS:
                self._refused = True
                busy = REPLIES["busy"].format(server=self.hostname)
                if isinstance(transport, asyncio.WriteTransport):  # a TCP stream's always is
                    transport.write(busy.encode("ascii") + b"\r\n")
                transport.close()
                return
            self._counter[0] += 1
            self._counted = True
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._counted:
            self._counter[0] -= 1
            self._counted = False
        super().connection_lost(error)


_ROLES: dict[str, type[_Handler]] = {
    "bank-submit": _Submission,
    "mx": _ExampleMx,
    "university": _University,
    "lists": _List,
}


def handler_for(system: MailSystem, host: Host) -> _Handler:
    """The handler of ``host``'s SMTP service."""
    return _ROLES[host.id](system, host)
