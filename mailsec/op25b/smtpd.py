"""The model's SMTP servers, running for real on 127.0.0.1 (aiosmtpd), for chapter 02.

:class:`ModelSmtpServers` starts one asyncio loop in a background thread with a real SMTP server
for every SMTP service of the model (ISP A's server on "25", the provider on "587" with STARTTLS and
on "465" with implicit TLS, the recipient's MX on "25"), each on a free loopback port. Their
decisions come from the same rule functions as the model (:mod:`mailsec.op25b.rules`), called from
aiosmtpd's handler hooks, so a refusal is a real SMTP reply on the wire and a delivery is a real
file in the recipient's Maildir (``maildir_root/<address>/``, which chapter 01's servers can serve).

All connections come from 127.0.0.1, so the servers are told which model host is speaking
(:meth:`ModelSmtpServers.speaking_as`, one session at a time); rules about client addresses (relay
for customers, IP25B) still apply. Two more loopback sockets stand in for the network's silences:
a listener that never answers (a dropped connection) and a port where nothing listens (a reset).
:mod:`mailsec.op25b.replay` drives these servers along the model's path.

Two options add sender authentication, both off by default (the chapter's stories are about
ports; with them on, some of its forged senders are refused at the MX):

- ``checks=True``: the MX checks SPF, DKIM and DMARC for every message it accepts for its own
  domains (:func:`mailsec.dmarc.receiver.check_inbound`, against the course zone unless you pass a
  ``resolver``), with the model client's address, the EHLO name and the envelope sender. It puts
  its ``Authentication-Results:`` field on top (RFC 8601 §5), above its ``Received:`` field, after
  deleting any such field that arrived claiming to be its own, and applies the DMARC disposition:
  ``reject`` is a ``550 5.7.1`` reply to DATA and nothing is stored, ``quarantine`` files the
  message in the Maildir++ folder ``Junk`` (which chapter 01's servers list as a folder), ``none``
  delivers to the inbox.
- ``signing=True``: the submission services (587, 465) DKIM-sign, with the course key, the mail
  their logged-in users send from the provider's own domain (the domain of its accounts), as a
  domain's outgoing server does (RFC 6376 §5). The MX then sees ``dkim=pass`` for it.
- ``relay=`` (chapter 08): a :class:`~mailsec.op25b.relaycontrol.RelayControl` decides RCPT TO.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import functools
import ipaddress
import logging
import mailbox
import random
import socket
import ssl
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from mailsec.dkim.course import COURSE_SELECTORS, course_resolver, sign_as
from mailsec.dmarc.author import author_domain
from mailsec.dmarc.evaluate import check_sample
from mailsec.dmarc.receiver import InboundCheck, check_inbound
from mailsec.dmarc.result import Disposition
from mailsec.errors import InputError, MailsecError, NotAvailable
from mailsec.i18n import texts
from mailsec.op25b.inbound import (
    JUNK,
    KEPT_CHECKS,
    MESSAGES,
    NULL_SENDER,
    REPLIES,
    SUBMISSION_KINDS,
    own_domains,
    rejection,
    sender_refusal,
    without_claimed_results,
)
from mailsec.op25b.model import (
    STANDARD_WORLD,
    Credentials,
    Host,
    Policy,
    ServiceKind,
    World,
    is_address,
)
from mailsec.op25b.path import STORED
from mailsec.op25b.relaycontrol import RelayControl
from mailsec.op25b.rules import auth_ruling, mail_ruling, rcpt_ruling

__all__ = [
    "JUNK",
    "LOOPBACK",
    "STRANGER",
    "ModelSmtpServers",
    "Queued",
    "QuietDeprecation",
    "mailbox_path",
]

LOOPBACK = "127.0.0.1"

TEXT = texts(
    {
        "drop_timeout": "drop_timeout {value!r} should be between 0.2 and 10 seconds: the "
        "learner waits that long for a dropped connection.",
        "not_started": "Could not start the loopback SMTP servers: {error}",
        "not_running": "The servers are not running: call start() first.",
        # The stranger's name and description (shown translated, Host.shown_label).
        "stranger": (
            "Unknown client",
            "A connection the replay did not start (for example your own smtplib session).",
        ),
    }
)


class QuietDeprecation(logging.Filter):
    """aiosmtpd logs a deprecation warning of its own on every AUTH; it is not the learner's concern."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(QuietDeprecation())

#: Who a connection stands for when no replay says otherwise: a host outside every network.
STRANGER = Host(
    "stranger",
    "Unknown client",
    "localhost",
    "internet",
    ipaddress.IPv4Address(LOOPBACK),
    ipaddress.IPv6Address("::1"),
    "A connection the replay did not start (for example your own smtplib session).",
)


S = TypeVar("S", bound="ModelSmtpServers")


def mailbox_path(maildir_root: Path, address: str) -> Path:
    """The Maildir of ``address`` under ``maildir_root`` (one folder per address)."""
    return Path(maildir_root) / address.lower()


@dataclass
class Queued:
    """A message an SMTP server accepted for another server (to be relayed)."""

    server: str
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


# -- TLS for the submission services -------------------------------------------------------------


def _make_tls(hostname: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server certificate for ``hostname`` and 127.0.0.1 from a fresh course CA, as the
    POP3/IMAP servers get theirs (:class:`~mailsec.retrieval.servers.tls.ServerTls`):
    (server context, client context trusting that CA)."""
    from mailsec.retrieval.servers.tls import ServerTls

    tls = ServerTls.course((hostname, LOOPBACK))
    return tls.context, tls.client_context()


# -- the servers' handler ------------------------------------------------------------------------


class _ModelHandler:
    """aiosmtpd hooks that decide with the model's rules."""

    def __init__(self, servers: ModelSmtpServers, host: Host, kind: ServiceKind) -> None:
        self.servers = servers
        self.host = host
        self.kind = kind

    def authenticate(
        self, _server: SMTP, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if not user or not password:
            return AuthResult(success=False, handled=False)
        ruling = auth_ruling(self.host, Credentials(user, password))
        return AuthResult(success=ruling.allowed, handled=False, auth_data=user)

    async def handle_MAIL(
        self, _server: SMTP, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        ruling = mail_ruling(
            self.host,
            self.kind,
            self.servers.current_client(),
            authenticated=bool(session.authenticated),
            policy=self.servers.policy,
        )
        if not ruling.allowed:
            assert ruling.reply is not None
            return ruling.reply.line
        refusal = sender_refusal(address)
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, _server: SMTP, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not is_address(address):
            return "553 5.1.3 Bad recipient address syntax"
        ruling = (rcpt_ruling if self.servers.relay is None else self.servers.relay.rcpt_ruling)(
            self.servers.world,
            self.host,
            self.kind,
            self.servers.current_client(),
            address,
            authenticated=bool(session.authenticated),
            policy=self.servers.policy,
        )
        assert ruling.reply is not None
        if ruling.allowed:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return ruling.reply.line

    async def handle_DATA(self, _server: SMTP, session: Any, envelope: Any) -> str:
        client = self.servers.current_client()
        helo = session.host_name or client.hostname
        tls = session.ssl is not None or self.kind is ServiceKind.SUBMISSIONS
        # RFC 3848 §2: ESMTP, ESMTPS (TLS), ESMTPA (AUTH), ESMTPSA (both).
        with_ = "ESMTP" + ("S" if tls else "") + ("A" if session.authenticated else "")
        stamp = email.utils.format_datetime(self.servers.clock())
        received = (
            f"Received: from {helo} ({client.hostname} "
            f"[{client.ipv4}])\r\n\tby {self.host.hostname} with {with_}; {stamp}\r\n"
        ).encode("ascii")
        message = bytes(envelope.original_content or envelope.content or b"")
        local = [
            r for r in envelope.rcpt_tos if r.rpartition("@")[2].lower() in self.host.local_domains
        ]
        remote = [r for r in envelope.rcpt_tos if r not in local]
        if self.servers.signing and session.authenticated and self.kind in SUBMISSION_KINDS:
            message = self.servers.sign_submission(self.host, message)
        content = received + message
        folder = None
        if self.servers.checks and self.kind is ServiceKind.MX and local:
            # One DATA reply answers for every recipient (RFC 5321 §3.3): a rejection refuses
            # the whole transaction, the copies for other servers too.
            try:
                check = await self.servers.check_sender(
                    message,
                    client=client,
                    helo=helo,
                    mail_from="" if envelope.mail_from == NULL_SENDER else envelope.mail_from,
                    mx=self.host,
                )
            except InputError:
                return REPLIES["unreadable"]
            if check.disposition is Disposition.REJECT:
                return rejection(check.dmarc)
            if check.disposition is Disposition.QUARANTINE:
                folder = JUNK
            message = without_claimed_results(message, self.host.hostname)
            stored = check.delivered + received + message
        else:
            stored = content
        for rcpt in local:
            self.servers.store(rcpt, stored, folder=folder)
        if remote:
            self.servers.enqueue(Queued(self.host.id, envelope.mail_from, remote, content))
            return "250 2.0.0 OK: queued for relay"
        return STORED.line


# -- the servers -----------------------------------------------------------------------------------


class ModelSmtpServers:
    """The model's SMTP servers, running for real on 127.0.0.1."""

    def __init__(
        self,
        world: World = STANDARD_WORLD,
        *,
        maildir_root: Path | str | None = None,
        drop_timeout: float = 2.0,
        timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
        checks: bool = False,
        signing: bool = False,
        resolver: object | None = None,
        sample: float | random.Random | None = None,
        relay: RelayControl | None = None,
    ) -> None:
        """``checks`` and ``signing`` are explained in the module docstring. ``resolver`` answers
        the MX's DNS questions (default: :func:`mailsec.dkim.course.course_resolver`, the course
        zone with its DKIM keys); ``sample`` decides DMARC's ``pct`` (see
        :func:`mailsec.dmarc.evaluate.evaluate`). ``clock`` stamps Received fields and is the time
        DKIM signs and verifies at."""
        if not 0.2 <= drop_timeout <= 10:
            raise MailsecError(TEXT["drop_timeout"].format(value=drop_timeout))
        given = [name for name, v in (("resolver", resolver), ("sample", sample)) if v is not None]
        if given and not checks:
            one = len(given) == 1
            raise MailsecError(
                MESSAGES["check_options"].format(
                    options=" and ".join(given),
                    verb="applies" if one else "apply",
                    them="it" if one else "them",
                )
            )
        check_sample(sample)  # DMARC's own rule for sample, checked now
        if signing:
            for host in world.servers:
                domains = own_domains(host)
                submits = any(s.kind in SUBMISSION_KINDS for s in host.services)
                if submits and not any(d in COURSE_SELECTORS for d in domains):
                    raise MailsecError(
                        MESSAGES["no_key"].format(
                            host=host.hostname, domains=", ".join(domains) or "none"
                        )
                    )
        self.world = world
        self.checks = checks
        self.signing = signing
        self.relay = relay
        self.resolver = resolver
        self.sample = sample
        self.checked: deque[InboundCheck] = deque(maxlen=KEPT_CHECKS)
        """The MX's checks, newest last (with ``checks=True``)."""
        self.drop_timeout = drop_timeout
        self.timeout = timeout
        self.clock = clock
        self.policy = Policy()
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self.maildir_root = Path(maildir_root) if maildir_root is not None else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self.ports: dict[tuple[str, int], int] = {}
        """(host id, model port) -> real port on 127.0.0.1."""
        self._client: Host | None = None
        self._lock = threading.RLock()  # replay() may run inside speaking_as()
        self._queue: list[Queued] = []
        self._stored: list[Path] = []
        self._blackhole: socket.socket | None = None
        self._blackhole_fill: list[socket.socket] = []
        self._closed_port: socket.socket | None = None
        self.drop_mode = ""
        """How this system imitates the drop (set when the servers start)."""
        self._client_tls: ssl.SSLContext | None = None

    # -- life cycle --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._loop is not None

    def start(self: S) -> S:
        """Start every server (idempotent)."""
        if self.running:
            return self
        self._workdir = tempfile.TemporaryDirectory(prefix="mailsec-op25b-")
        work = Path(self._workdir.name)
        if self.maildir_root is None:
            self.maildir_root = work / "maildirs"
        self.maildir_root.mkdir(parents=True, exist_ok=True)
        tls_host = next(
            (
                h.hostname
                for h in self.world.servers
                for s in h.services
                if s.kind is ServiceKind.SUBMISSION
            ),
            "smtp.example",
        )
        server_tls, self._client_tls = _make_tls(tls_host)
        if (self.checks and self.resolver is None) or self.signing:
            course_resolver()  # the course's DKIM keys, made once here rather than mid-session
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name="mailsec-op25b-smtp", daemon=True
        )
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_servers(server_tls), loop).result(10)
            self._start_blackhole()
        except Exception as exc:
            self.stop()
            raise NotAvailable(TEXT["not_started"].format(error=exc)) from exc
        return self

    async def _start_servers(self, server_tls: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        for host in self.world.servers:
            for service in host.services:
                if not service.kind.speaks_smtp:
                    continue
                handler = _ModelHandler(self, host, service.kind)
                options: dict[str, Any] = {
                    "hostname": host.hostname,
                    "ident": "mailsec model SMTP",
                    "authenticator": handler.authenticate,
                    "timeout": self.timeout * 3,
                    "loop": loop,
                }
                ssl_arg = None
                if service.kind is ServiceKind.SUBMISSION:
                    # RFC 6409 with RFC 3207: STARTTLS first, then AUTH inside TLS.
                    options.update(tls_context=server_tls, require_starttls=True)
                elif service.kind is ServiceKind.SUBMISSIONS:
                    # RFC 8314 §3.3: TLS from the first byte; aiosmtpd cannot see that, so AUTH is
                    # allowed without its STARTTLS check.
                    options.update(auth_require_tls=False)
                    ssl_arg = server_tls

                def factory(handler: _ModelHandler = handler, options: dict = options) -> SMTP:
                    return SMTP(handler, **options)

                # Our own create_server binds port 0 atomically (aiosmtpd's Controller cannot).
                server = await loop.create_server(factory, LOOPBACK, 0, ssl=ssl_arg)
                self._servers.append(server)
                self.ports[(host.id, service.port)] = server.sockets[0].getsockname()[1]

    def _start_blackhole(self) -> None:
        """A listener that never accepts, with its queue full: new connections get no answer.

        Linux (and the BSDs) silently drop a SYN when a listener's accept queue is full, which is
        what a client behind OP25B experiences. Where a full queue answers with a reset instead,
        the queue is left open: the connection then opens but no greeting ever comes, and the
        client times out waiting for it.
        """
        hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hole.bind((LOOPBACK, 0))
        hole.listen(0)
        self._blackhole = hole
        port = hole.getsockname()[1]
        self.drop_mode = "no answer to the connection attempt (SYN dropped)"
        for _ in range(16):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.2)
            try:
                probe.connect((LOOPBACK, port))
            except TimeoutError:
                probe.close()
                break
            except OSError:  # refused: this system resets instead of dropping
                probe.close()
                for sock in self._blackhole_fill:
                    sock.close()
                self._blackhole_fill.clear()
                hole.close()
                hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                hole.bind((LOOPBACK, 0))
                hole.listen(64)
                self._blackhole = hole
                self.drop_mode = "the connection opens but no greeting ever comes"
                break
            self._blackhole_fill.append(probe)
        # A bound socket that does not listen: connecting to it is refused at once (a TCP reset).
        closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        closed.bind((LOOPBACK, 0))
        self._closed_port = closed

    def stop(self) -> None:
        """Stop the servers and remove the temporary files (the Maildirs stay if you gave a root)."""
        loop = self._loop
        if loop is not None:

            async def close_all() -> None:
                for server in self._servers:
                    server.close()
                    await server.wait_closed()

            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(close_all(), loop).result(5)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            loop.close()
        for sock in [*self._blackhole_fill, self._blackhole, self._closed_port]:
            if sock is not None:
                sock.close()
        self._blackhole_fill.clear()
        self._blackhole = self._closed_port = None
        self._servers.clear()
        self.ports.clear()
        self._loop = self._thread = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- called by the handlers (in the loop thread) ----------------------------------------------

    def current_client(self) -> Host:
        """The model host the current connection stands for (a stranger outside any replay)."""
        return self._client if self._client is not None else STRANGER

    @contextlib.contextmanager
    def _keeping_client(self) -> Iterator[None]:
        """Restore who is speaking after a replay, even when it fails half-way."""
        before = self._client
        try:
            yield
        finally:
            self._client = before

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts these servers' certificate (their course CA)."""
        if self._client_tls is None:
            raise MailsecError(TEXT["not_running"])
        return self._client_tls

    @contextlib.contextmanager
    def speaking_as(self, client: Host | str, policy: Policy | None = None) -> Iterator[None]:
        """Let your own smtplib session stand for ``client`` (one session at a time)."""
        host = client if isinstance(client, Host) else self.world.host(client)
        self.start()
        with self._lock:
            self._client = host
            if policy is not None:
                self.policy = policy
            try:
                yield
            finally:
                self._client = None

    def store(self, rcpt: str, content: bytes, *, folder: str | None = None) -> None:
        """Deliver into ``rcpt``'s Maildir: the inbox, or the Maildir++ ``folder`` (``.Junk``)."""
        assert self.maildir_root is not None
        box = mailbox.Maildir(mailbox_path(self.maildir_root, rcpt), create=True)
        if folder is not None:
            box = box.add_folder(folder)  # creates .<folder> when missing, else opens it
        key = box.add(mailbox.MaildirMessage(content.replace(b"\r\n", b"\n")))
        self._stored.append(Path(box._path) / "new" / key)

    async def check_sender(
        self, message: bytes, *, client: Host, helo: str, mail_from: str, mx: Host
    ) -> InboundCheck:
        """SPF, DKIM and DMARC for ``message`` as ``mx`` received it from ``client``.

        The checks run in a worker thread: a live DNS resolver may take seconds, and the other
        servers share this loop.
        """
        check = await asyncio.to_thread(
            functools.partial(
                check_inbound,
                message,
                client_ip=str(client.ipv4),
                helo=helo,
                mail_from=mail_from,
                authserv_id=mx.hostname,
                resolver=self.resolver if self.resolver is not None else course_resolver(),
                sample=self.sample,
                now=self.clock().timestamp(),
            )
        )
        self.checked.append(check)
        return check

    def sign_submission(self, host: Host, message: bytes) -> bytes:
        """``message`` with a DKIM signature of its From: domain when that is one of ``host``'s
        own domains and the course has its key; otherwise unchanged (the server signs only for
        its own domain, RFC 6376 §5)."""
        try:
            domain = author_domain(message).domain
            if domain is None or domain not in own_domains(host) or domain not in COURSE_SELECTORS:
                return message
            return sign_as(domain, message, now=self.clock().timestamp())
        except InputError:  # not a message DKIM can sign: it goes on as it came
            return message

    def enqueue(self, item: Queued) -> None:
        self._queue.append(item)
