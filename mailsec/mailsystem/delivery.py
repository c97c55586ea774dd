"""Sending mail across the system: an SMTP client that keeps its transcript, and the MTAs' queues.

:func:`send` is one SMTP session from one machine to one course address, over the system's
routes (:class:`~mailsec.mailsystem.network.Internet`): it binds the client's loopback alias,
speaks EHLO, STARTTLS when asked, AUTH when given credentials, then MAIL, RCPT and DATA, and
returns a :class:`Session` with every line both sides said (:class:`~mailsec.mailsystem.
timeline.Transcript`) and the reply that decided.

An MTA's :class:`Queue` holds what it accepted for other domains. :meth:`Queue.run` makes one
delivery round: for every message it asks DNS for the recipient domain's MX (RFC 5321 §5.1),
connects to it on port 25, and tries STARTTLS if offered -- opportunistic, as between MTAs on
the Internet (RFC 3207 §4; RFC 7435): a certificate it cannot check is still used, and a
missing offer means plaintext. A 2xx reply ends the message's journey; a 4xx keeps it queued for
the next round (RFC 5321 §4.5.4.1); a 5xx, or too many rounds, returns it to its sender as a
delivery status notification (RFC 3464) -- nothing is dropped silently. Rounds run when the
system is told to (:meth:`mailsec.mailsystem.system.MailSystem.deliver`), on a clock the system
keeps, so a test never waits for a retry timer.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.resolver

from mailsec.i18n import texts
from mailsec.limits import MAIL_CLIENT_TIMEOUT, SMTP_MAX_QUEUE
from mailsec.mailsystem.network import Internet, Route
from mailsec.mailsystem.timeline import Transcript, TranscriptLine
from mailsec.op25b.model import Host

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["MAX_ROUNDS", "Queue", "QueueItem", "Session", "send"]

MAX_ROUNDS = 3
"""Delivery rounds before a deferred message is returned to its sender. Real MTAs retry for four
to five days (RFC 5321 §4.5.4.1); the course's clock makes each round half an hour."""

RETRY_MINUTES = 30
"""Minutes between rounds on the system's clock (RFC 5321 §4.5.4.1: at least 30 minutes)."""

MAX_TRANSCRIPT_LINES = 200
"""Lines kept per transcript (a session of one message needs about 30)."""

TEXT = texts(
    {
        "data": "<the message: {size} bytes>",
        "auth": "AUTH PLAIN <user and password, base64: {user}>",
        "tls": "<TLS handshake: {version}>",
        "dropped": "connection refused: {reason}",
        "failed": "connection failed: {reason}",
        "no_starttls": "STARTTLS not offered: the client stops before MAIL FROM",
        "hop": "{source} → {target}:{port} (SMTP)",
    }
)
"""What the transcripts and the timeline say about a session (see :mod:`mailsec.i18n`)."""

BOUNCE = {
    "subject": "Undelivered Mail Returned to Sender",
    "text": "This is the mail system at {host}.\r\n\r\nYour message to {rcpt} could not be "
    "delivered: {reply}\r\n",
    "no_server": "no mail server found",
}
"""The returned message (RFC 3464) is mail on the wire, written by the bank's MTA: its words
stay in English in every language of the course, as an MTA's do (and its header is ASCII)."""


class _RecordingSMTP(smtplib.SMTP):
    """smtplib's client, writing down both sides of the dialogue. It names the server by its
    course host name (for TLS's name check) but connects to where the route says, from the
    client's loopback alias."""

    user_for_log = "?"
    """The user name an AUTH line is written down with (the password never is)."""

    def __init__(
        self,
        lines: list[TranscriptLine],
        route: Route,
        *,
        host: str,
        port: int,
        local_hostname: str | None,
        timeout: float,
    ) -> None:
        self.lines, self.route = lines, route
        super().__init__(
            host=host,
            port=port,
            local_hostname=local_hostname,
            timeout=timeout,
            source_address=(route.source, 0),
        )

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection(
            (self.route.host, self.route.port), timeout, self.source_address
        )

    def _keep(self, client: bool, text: str) -> None:
        if len(self.lines) < MAX_TRANSCRIPT_LINES:
            self.lines.append(TranscriptLine(client, text))

    def send(self, s: str | ReadableBuffer) -> None:
        data = s.encode("ascii", "replace") if isinstance(s, str) else bytes(s)
        if data.endswith(b"\r\n.\r\n") and len(data) > 80:
            self._keep(True, TEXT["data"].format(size=len(data)))
        else:
            text = data.decode("utf-8", "replace").rstrip("\r\n")
            if text.upper().startswith("AUTH PLAIN"):
                text = TEXT["auth"].format(user=self.user_for_log)
            self._keep(True, text)
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        for i, part in enumerate(message.decode("utf-8", "replace").split("\n") or [""]):
            more = "-" if i < message.count(b"\n") else " "
            self._keep(False, f"{code}{more}{part}")
        return code, message

    def starttls(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        reply = super().starttls(*args, **kwargs)
        if isinstance(self.sock, ssl.SSLSocket):
            self._keep(True, TEXT["tls"].format(version=self.sock.version()))
        return reply


@dataclass(frozen=True)
class Session:
    """One SMTP session: where it went, what was said, and how it ended."""

    route: Route | None
    transcript: Transcript
    code: int
    """The deciding reply's code (0 when the connection never opened)."""
    reply: str
    tls: bool

    @property
    def delivered(self) -> bool:
        return 200 <= self.code < 300

    @property
    def deferred(self) -> bool:
        """A temporary failure: try again later (4xx, or no connection)."""
        return 400 <= self.code < 500 or self.code == 0


def send(
    internet: Internet,
    client: Host,
    address: str,
    port: int,
    *,
    mail_from: str,
    rcpts: list[str],
    message: bytes,
    starttls: str = "opportunistic",
    context: ssl.SSLContext | None = None,
    login: tuple[str, str] | None = None,
    helo: str | None = None,
    timeout: float = MAIL_CLIENT_TIMEOUT,
    on_route: Callable[[Route], None] | None = None,
) -> Session:
    """One SMTP session from ``client`` to ``address:port`` (see the module docstring).

    ``starttls`` is ``"no"``, ``"opportunistic"`` (if offered; any certificate, as MTAs do) or
    ``"required"`` (offered and verified with ``context``, else the session stops before MAIL).
    ``login`` is a (user, password) for AUTH, sent only inside TLS. ``on_route`` hears where
    the connection goes before it is made (the timeline's arrow comes before the server's notes).
    """
    lines: list[TranscriptLine] = []
    hop = TEXT["hop"].format(source=client.hostname, target=_name(internet, address), port=port)
    route = internet.route(client, address, port)
    if on_route is not None:
        on_route(route)
    tls = False

    def ended(code: int, reply: str) -> Session:
        return Session(route, Transcript(hop, "SMTP", tuple(lines), tls), code, reply, tls)

    try:
        # Connects at once (smtplib does), naming the server for TLS's name check.
        smtp = _RecordingSMTP(
            lines,
            route,
            host=route.server.hostname,
            port=route.port,
            local_hostname=helo or client.hostname,
            timeout=timeout,
        )
    except OSError as exc:
        key = "dropped" if route.dropped else "failed"
        reason = route.ruling.reason if route.dropped and route.ruling else str(exc)
        lines.append(TranscriptLine(False, TEXT[key].format(reason=reason)))
        return ended(0, TEXT[key].format(reason=reason))
    try:
        smtp.ehlo()
        if starttls != "no" and smtp.has_extn("starttls"):
            loose = ssl.create_default_context()
            loose.check_hostname, loose.verify_mode = False, ssl.CERT_NONE
            smtp.starttls(context=context if starttls == "required" and context else loose)
            smtp.ehlo()
            tls = True
        elif starttls == "required":
            smtp.quit()
            return ended(0, TEXT["no_starttls"])
        if login is not None:
            smtp.user_for_log = login[0]
            smtp.login(*login)
        code, reply = _transaction(smtp, mail_from, rcpts, message)
        smtp.quit()
        return ended(code, reply)
    except smtplib.SMTPResponseException as exc:
        _close(smtp)
        error = exc.smtp_error
        return ended(
            exc.smtp_code, error.decode("utf-8", "replace") if isinstance(error, bytes) else error
        )
    except (OSError, smtplib.SMTPException) as exc:
        _close(smtp)
        lines.append(TranscriptLine(False, TEXT["failed"].format(reason=exc)))
        return ended(0, TEXT["failed"].format(reason=exc))


def _transaction(
    smtp: smtplib.SMTP, mail_from: str, rcpts: list[str], message: bytes
) -> tuple[int, str]:
    """MAIL, RCPT, DATA: the first refusal decides, else DATA's reply."""
    code, reply = smtp.mail(mail_from)
    if code >= 400:
        smtp.rset()
        return code, reply.decode("utf-8", "replace")
    accepted = 0
    worst = (250, b"")
    for rcpt in rcpts:
        code, reply = smtp.rcpt(rcpt)
        if code < 400:
            accepted += 1
        else:
            worst = (code, reply)
    if not accepted:
        smtp.rset()
        return worst[0], worst[1].decode("utf-8", "replace")
    code, reply = smtp.data(message)
    return code, reply.decode("utf-8", "replace")


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


def _name(internet: Internet, address: str) -> str:
    try:
        return internet.world.host(address).hostname
    except Exception:
        return address


_ENHANCED = re.compile(r"[245]\.\d{1,3}\.\d{1,3}\b")
"""An enhanced status code at the start of a reply's text (RFC 3463 §2)."""


# -- an MTA's queue ----------------------------------------------------------------------------


@dataclass
class QueueItem:
    """A message an MTA accepted and must deliver (or return)."""

    mail_from: str
    rcpt: str
    message: bytes
    rounds: int = 0
    sessions: list[Session] = field(default_factory=list)


class Queue:
    """One MTA's outgoing queue (see the module docstring)."""

    def __init__(
        self,
        internet: Internet,
        host: Host,
        resolver: dns.resolver.Resolver,
        *,
        bounce: Callable[[QueueItem, str], None],
        started: Callable[[Host, Route], None],
        ended: Callable[[Host, Session], None],
    ) -> None:
        self.internet, self.host, self.resolver = internet, host, resolver
        self._bounce, self._started, self._ended = bounce, started, ended
        self._items: list[QueueItem] = []
        self._lock = threading.Lock()

    @property
    def full(self) -> bool:
        """Whether the queue holds :data:`~mailsec.limits.SMTP_MAX_QUEUE` messages: a server
        then refuses new mail for it with a temporary error."""
        with self._lock:
            return len(self._items) >= SMTP_MAX_QUEUE

    def put(self, mail_from: str, rcpts: list[str], message: bytes) -> None:
        with self._lock:
            self._items.extend(QueueItem(mail_from, rcpt, message) for rcpt in rcpts)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def run(self) -> None:
        """One delivery round over everything queued now."""
        with self._lock:
            items, self._items = self._items, []
        for item in items:
            item.rounds += 1
            session = self._attempt(item)
            if session is not None:
                item.sessions.append(session)
                self._ended(self.host, session)
            if session is not None and session.delivered:
                continue
            permanent = session is not None and session.code >= 500
            if permanent or item.rounds >= MAX_ROUNDS:
                reply = session.reply if session is not None else BOUNCE["no_server"]
                self._bounce(item, reply)
            else:
                with self._lock:
                    self._items.append(item)

    def _attempt(self, item: QueueItem) -> Session | None:
        domain = item.rcpt.rpartition("@")[2]
        try:
            answer = self.resolver.resolve(domain, "MX")
            exchange = min(answer, key=lambda r: r.preference).exchange.to_text()
            address = self.resolver.resolve(exchange, "A")[0].to_text()
        except (dns.exception.DNSException, IndexError):
            return None
        return send(
            self.internet,
            self.host,
            address,
            25,
            mail_from=item.mail_from,
            rcpts=[item.rcpt],
            message=item.message,
            on_route=lambda route: self._started(self.host, route),
        )


def bounce_message(host: Host, item: QueueItem, reply: str, when: float) -> bytes:
    """A delivery status notification (RFC 3464) returning ``item`` to its sender."""
    boundary = f"dsn-{abs(hash((item.rcpt, when))):x}"
    original = item.message.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    text = BOUNCE["text"].format(host=host.hostname, rcpt=item.rcpt, reply=reply)
    code = _ENHANCED.match(reply)
    status = code.group(0) if code else "5.0.0"
    parts = [
        f"From: Mail Delivery System <MAILER-DAEMON@{host.hostname}>",
        f"To: {item.mail_from}",
        f"Subject: {BOUNCE['subject']}",
        f"Date: {email.utils.formatdate(when)}",
        f"Message-ID: {email.utils.make_msgid(domain=host.hostname)}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {host.hostname}",
        "",
        f"Final-Recipient: rfc822; {item.rcpt}",
        "Action: failed",
        f"Status: {status}",
        f"Diagnostic-Code: smtp; {reply}",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        original,
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(parts).encode("utf-8")
