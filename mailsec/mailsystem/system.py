"""A whole small mail system on loopback, in one call: :class:`MailSystem`.

::

    from mailsec.mailsystem import MailSystem

    with MailSystem() as system:            # DNS, SMTP, POP3/IMAP: every server started
        for endpoint in system.endpoints():
            print(endpoint.name, endpoint.port)
        ...                                 # every server stopped, every port free again

What runs (the machines and their course addresses are in :mod:`mailsec.mailsystem.plan`):

- the DNS server (:class:`mailsec.dnsserver.DnsServer`), authoritative for the course zone over
  UDP and TCP; every check of the system asks it through a real resolver;
- the bank's submission server (587, STARTTLS and AUTH) and its outbound MTA, which signs with
  DKIM and delivers by MX lookup (:mod:`mailsec.mailsystem.delivery`);
- example.com's MX on port 25 with SPF, DKIM, ARC and DMARC checks, a Junk folder and a quota;
  the university's forwarder and the mailing list (:mod:`mailsec.mailsystem.servers`);
- Bob's POP3 and IMAP4 servers, plaintext with STARTTLS/STLS and implicit TLS (995, 993), over
  the same Maildir the MX delivers into (:class:`mailsec.retrieval.servers.MailServers`);
- ISP A's edge with OP25B between home PCs and the rest (:mod:`mailsec.mailsystem.network`).

Every server listens on a free port of 127.0.0.1, so two systems run side by side (tests, or
learners on one JupyterHub). A server that cannot start stops the whole system, and the error
names it. :meth:`MailSystem.stop` closes every listener, thread and temporary file.

Delivery between MTAs happens when :meth:`MailSystem.deliver` is called, on the system's own
clock (:meth:`MailSystem.clock`), so retries are real SMTP sessions without real waiting.

What the servers write into the timeline is in :attr:`MailSystem.lang`: the language the system
was started in, and then the language of each scenario played on it (:mod:`mailsec.i18n`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import mailbox
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.resolver

from mailsec.dkim.course import course_signers, sign_as
from mailsec.dnsserver import DnsServer
from mailsec.errors import InputError, NotAvailable
from mailsec.i18n import language, texts
from mailsec.mailsystem.delivery import RETRY_MINUTES, Queue, QueueItem, bounce_message
from mailsec.mailsystem.journal import Journal
from mailsec.mailsystem.mailboxes import Mailboxes
from mailsec.mailsystem.network import LOOPBACK, Internet
from mailsec.mailsystem.plan import (
    ACCOUNTS,
    DNS_ADDRESS,
    WORLD,
    Defences,
    loopback_alias,
    zone_text,
)
from mailsec.mailsystem.servers import BoundedSMTP, handler_for
from mailsec.mailsystem.timeline import Event
from mailsec.op25b.model import Host
from mailsec.pki.ca import (
    Identity,
    KeyType,
    issue_server_certificate,
    issue_smime_certificate,
    make_ca,
)
from mailsec.retrieval.servers import MailServers
from mailsec.trace import Outcome

__all__ = ["DEFAULT_QUOTA", "SERVICES", "SERVICE_TEXT", "Endpoint", "MailSystem"]

DEFAULT_QUOTA = 256 * 1024
"""Bob's mailbox quota in bytes: small, so the full-mailbox scenario needs little filling."""

SERVICES: dict[str, tuple[str, int]] = {
    "dns": ("dns", 53),
    "submission": ("bank-submit", 587),
    "mx": ("mx", 25),
    "university": ("university", 25),
    "lists": ("lists", 25),
    "pop3": ("mailstore", 110),
    "imap": ("mailstore", 143),
    "pop3s": ("mailstore", 995),
    "imaps": ("mailstore", 993),
}
"""Every service: name → (machine, course port); what it is: :data:`SERVICE_TEXT`. ``ports=``
takes these names."""

SERVICE_TEXT = texts(
    {
        "dns": "DNS (UDP and TCP), authoritative for the course zone",
        "submission": "SMTP submission, STARTTLS then AUTH",
        "mx": "SMTP, example.com's MX",
        "university": "SMTP, the university's MX (forwards)",
        "lists": "SMTP, the mailing list",
        "pop3": "POP3 with STLS",
        "imap": "IMAP4 with STARTTLS",
        "pop3s": "POP3 over TLS",
        "imaps": "IMAP4 over TLS",
    }
)
"""What each service is, in words (see :mod:`mailsec.i18n`)."""

TEXT = texts(
    {
        "signed": "DKIM-Signature added: d=bank.example s=2026",
        "returned": "Returned to {sender}: {reply}",
    }
)

MESSAGES = texts(
    {
        "start": "The mail system could not start its {name} server ({what}) on {host}:{port}: "
        "{reason}. Nothing was left running; choose another port, or leave it out for a free "
        "one.",
        "aliases": "The mail system needs the whole loopback range 127.0.0.0/8 (as on Linux): "
        "this computer cannot send from {alias} ({reason}).",
        "unknown_service": "Unknown service {name!r} in ports: the services are {names}.",
        "port": "The port for {name} must be a number from 1 to 65535, not {port!r}.",
        "not_running": "The mail system is not running: start it first (system.start()).",
    }
)


@dataclass(frozen=True)
class Endpoint:
    """One service of the running system: what it plays and where it really listens."""

    name: str
    hostname: str
    address: str
    """The course address it plays."""
    course_port: int
    host: str
    """Where it listens: 127.0.0.1."""
    port: int
    what: str


class MailSystem:
    """The capstone's mail system (see the module docstring)."""

    def __init__(
        self,
        defences: Defences | None = None,
        *,
        ports: Mapping[str, int] | None = None,
        quota: int = DEFAULT_QUOTA,
        start_time: float | None = None,
    ) -> None:
        """``ports`` asks for fixed ports by service name (:data:`SERVICES`); the others get
        free ones. ``start_time`` starts the system's clock (now by default)."""
        self.defences = defences if defences is not None else Defences()
        self.ports = dict(ports or {})
        for name, port in self.ports.items():
            if name not in SERVICES:
                raise InputError(
                    MESSAGES["unknown_service"].format(name=name, names=", ".join(SERVICES))
                )
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                raise InputError(MESSAGES["port"].format(name=name, port=port))
        self.quota = quota
        self.world = WORLD
        self._offset = 0.0 if start_time is None else float(start_time) - time.time()
        self.journal = Journal()
        """The timeline, transcripts and checks of everything the system did."""
        self.mailboxes = Mailboxes(Path(), quota)
        self._lock = threading.RLock()
        self._work: tempfile.TemporaryDirectory[str] | None = None
        self.root = Path()
        self.internet: Internet | None = None
        self.dns: DnsServer | None = None
        self.retrieval: MailServers | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._smtp: list[asyncio.AbstractServer] = []
        self.queues: dict[str, Queue] = {}
        self.ca: Identity | None = None
        self.server_identity: Identity | None = None
        self.users: dict[str, Identity] = {}
        """The S/MIME identities, by address (Alice's and Bob's keys and certificates)."""
        self.lang = language()
        """The language the servers write the timeline in (the servers run in their own thread,
        outside :func:`mailsec.i18n.using`): the caller's when the system starts, then the
        language of each scenario played on it."""

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._work is not None

    def __enter__(self) -> MailSystem:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> MailSystem:
        """Start every server; on any failure stop what started and raise with its name."""
        if self.running:
            return self
        self.lang = language()
        _check_aliases()
        self._work = tempfile.TemporaryDirectory(prefix="mailsec-mailsystem-")
        self.root = Path(self._work.name)
        self.mailboxes = Mailboxes(self.root / "maildirs", self.quota)
        try:
            self._make_identities()
            self.internet = Internet(self.world, op25b=self.defences.op25b)
            self._start_dns()
            self._start_smtp()
            self._start_retrieval()
            self._make_queues()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server and remove the temporary files (idempotent)."""
        if self.retrieval is not None:
            with contextlib.suppress(Exception):
                self.retrieval.stop()
            self.retrieval = None
        self._stop_smtp()
        if self.dns is not None:
            self.dns.stop()
            self.dns = None
        if self.internet is not None:
            self.internet.close()
            self.internet = None
        self.queues.clear()
        if self._work is not None:
            self._work.cleanup()
            self._work = None

    def _failed(self, name: str, port: int, exc: BaseException) -> NotAvailable:
        what = SERVICE_TEXT[name]
        reason = (getattr(exc, "strerror", None) or str(exc)).rstrip(".")
        return NotAvailable(
            MESSAGES["start"].format(name=name, what=what, host=LOOPBACK, port=port, reason=reason)
        )

    def _make_identities(self) -> None:
        now = dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)
        self.ca = make_ca("mailsec Mail System CA", now=now)
        names = ["localhost", LOOPBACK, *(h.hostname for h in self.world.hosts)]
        self.server_identity = issue_server_certificate(self.ca, names, now=now)
        self.users = {
            "alice@bank.example": issue_smime_certificate(
                self.ca, email="alice@bank.example", common_name="Alice", now=now
            ),
            "bob@example.com": issue_smime_certificate(
                self.ca,
                email="bob@example.com",
                common_name="Bob",
                key_type=KeyType.EC_P256,
                now=now,
            ),
        }
        (self.root / "ca.pem").write_bytes(self.ca.certificate_pem())
        course_signers()  # the DKIM keys, made now rather than mid-session

    def _server_context(self) -> ssl.SSLContext:
        assert self.server_identity is not None
        cert = self.root / "server.pem"
        key = self.root / "server.key"
        cert.write_bytes(self.server_identity.certificate_pem())
        key.write_bytes(self.server_identity.key_pem())
        key.chmod(0o600)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this system's CA and checks host names."""
        if self.ca is None:
            raise NotAvailable(MESSAGES["not_running"])
        return ssl.create_default_context(cadata=self.ca.certificate_pem().decode("ascii"))

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM) to trust, for a desktop mail client."""
        return self.root / "ca.pem"

    def _start_dns(self) -> None:
        port = self.ports.get("dns", 0)
        try:
            self.dns = DnsServer(zone_text(self.defences), port=port).start()
        except (OSError, NotAvailable) as exc:
            raise self._failed("dns", port, exc) from None

    def resolver(self) -> dns.resolver.Resolver:
        """A resolver that asks this system's DNS server (one per caller: not thread-safe)."""
        if self.dns is None:
            raise NotAvailable(MESSAGES["not_running"])
        return self.dns.resolver(timeout=2.0, lifetime=5.0)

    # -- SMTP ------------------------------------------------------------------------------------

    def _start_smtp(self) -> None:
        context = self._server_context()
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name="mailsec-mailsystem-smtp", daemon=True
        )
        self._thread.start()
        for name in ("submission", "mx", "university", "lists"):
            host_id, course_port = SERVICES[name]
            port = self.ports.get(name, 0)
            future = asyncio.run_coroutine_threadsafe(
                self._open_smtp(self.world.host(host_id), port, context), loop
            )
            try:
                real = future.result(10)
            except OSError as exc:
                raise self._failed(name, port, exc) from None
            assert self.internet is not None
            self.internet.listen(host_id, course_port, real)

    async def _open_smtp(self, host: Host, port: int, context: ssl.SSLContext) -> int:
        handler = handler_for(self, host)
        options: dict[str, Any] = {
            "hostname": host.hostname,
            "ident": "mailsec mail system",
            "timeout": 30,
            "tls_context": context,
        }
        options.update(handler.smtp_options())
        counter = [0]  # connections open now, shared by this server's protocols
        server = await asyncio.get_running_loop().create_server(
            lambda: BoundedSMTP(counter, handler, **options), LOOPBACK, port
        )
        self._smtp.append(server)
        return int(server.sockets[0].getsockname()[1])

    def _stop_smtp(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None:
            return

        async def close_all() -> None:
            for server in self._smtp:
                server.close()
            # Sessions still open end now (a dropped connection: nothing is stored half-way).
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for server in self._smtp:
                await server.wait_closed()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close_all(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)
        loop.close()
        self._smtp.clear()
        self._loop = self._thread = None

    # -- POP3 and IMAP ---------------------------------------------------------------------------

    def _start_retrieval(self) -> None:
        maildir = self.mailboxes.path("bob@example.com")
        maildir.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(maildir, create=True)
        wanted = {name: self.ports.get(name, 0) for name in ("pop3", "imap", "pop3s", "imaps")}
        servers = MailServers(
            maildir,
            user="bob",
            password=ACCOUNTS["bob@example.com"],
            quota=self.quota,
            pop3_port=wanted["pop3"],
            imap_port=wanted["imap"],
            pop3s_port=wanted["pop3s"],
            imaps_port=wanted["imaps"],
            tls=self._server_context(),
            require_tls=self.defences.tls,
            auth_penalty=0.0,
        )
        try:
            servers.start()
        except InputError as exc:
            taken = next((n for n, p in wanted.items() if p and _in_use(p)), "pop3")
            raise self._failed(taken, wanted[taken], exc) from None
        self.retrieval = servers
        assert self.internet is not None
        for name, port in (
            ("pop3", servers.pop3_port),
            ("imap", servers.imap_port),
            ("pop3s", servers.pop3s_port),
            ("imaps", servers.imaps_port),
        ):
            assert port is not None
            self.internet.listen("mailstore", SERVICES[name][1], port)

    # -- queues and delivery ---------------------------------------------------------------------

    def _make_queues(self) -> None:
        assert self.internet is not None
        for host_id in ("bank-out", "university", "lists"):
            self.queues[host_id] = Queue(
                self.internet,
                self.world.host(host_id),
                self.resolver(),
                bounce=self._bounce,
                started=self.journal.hop_started,
                ended=self.journal.hop_ended,
            )

    def submit(self, host: Host, mail_from: str, rcpts: list[str], message: bytes) -> None:
        """The submission server hands a message to the bank's outbound MTA, which signs it."""
        if self.defences.dkim:
            message = sign_as("bank.example", message, now=self.clock())
            self.journal.record(
                Event(
                    "bank-out",
                    None,
                    TEXT["signed"],
                    Outcome.OK,
                    section="RFC 6376 §5",
                )
            )
        self.queues["bank-out"].put(mail_from, rcpts, message)

    def relay_from(self, host: Host, mail_from: str, rcpts: list[str], message: bytes) -> None:
        """An intermediary (the university, the list) queues a message to send on."""
        self.queues[host.id].put(mail_from, rcpts, message)

    def deliver(self, *, rounds: int = 8) -> int:
        """Run delivery rounds until every queue is empty (at most ``rounds``); between rounds
        with something left the clock moves on :data:`RETRY_MINUTES`. Returns the rounds run."""
        done = 0
        while done < rounds and any(len(q) for q in self.queues.values()):
            if done:
                self.advance(RETRY_MINUTES * 60)
            for queue in list(self.queues.values()):
                queue.run()
            done += 1
        return done

    def _bounce(self, item: QueueItem, reply: str) -> None:
        """Return an undeliverable message to its sender (RFC 3464), into their mailbox."""
        sender = item.mail_from.lower()
        if not sender or sender == "<>":
            return  # a bounce is never bounced (RFC 5321 §4.5.5)
        host = self.world.host("bank-out")
        message = bounce_message(host, item, reply, self.clock())
        if sender in ACCOUNTS:
            self.mailboxes.store(sender, message)
            self.journal.record(
                Event(
                    "bank-out",
                    None,
                    TEXT["returned"].format(sender=sender, reply=reply)[:160],
                    Outcome.WARN,
                    section="RFC 3464 §2",
                )
            )

    # -- mailboxes -------------------------------------------------------------------------------

    def check_password(self, host: Host, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s on ``host`` (compared in constant time)."""
        expected = host.password_of(user)
        if expected is None:
            hmac.compare_digest(password.encode(), password.encode())
            return False
        return hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))

    # -- timeline --------------------------------------------------------------------------------

    def clock(self) -> float:
        """The system's time (seconds since the epoch): real time (from ``start_time``, when
        given), moved on by :meth:`advance` -- a retry round's half hour passes without waiting."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    # -- what the system offers ------------------------------------------------------------------

    def endpoints(self) -> list[Endpoint]:
        """Every service: its name, the course host and port it plays, where it listens."""
        if not self.running or self.internet is None or self.dns is None:
            raise NotAvailable(MESSAGES["not_running"])
        found = [
            Endpoint(
                "dns", "ns.example", DNS_ADDRESS, 53, LOOPBACK, self.dns.port, SERVICE_TEXT["dns"]
            )
        ]
        for name, (host_id, course_port) in SERVICES.items():
            if name == "dns":
                continue
            host = self.world.host(host_id)
            port = self.internet.listening_port(host_id, course_port)
            what = SERVICE_TEXT[name]
            found.append(
                Endpoint(name, host.hostname, str(host.ipv4), course_port, LOOPBACK, port, what)
            )
        return found


def _check_aliases() -> None:
    """Every machine must be able to send from its loopback alias (Linux: all of 127/8)."""
    alias = loopback_alias(WORLD.host("bank-out").ipv4)
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((alias, 0))
    except OSError as exc:
        raise NotAvailable(
            MESSAGES["aliases"].format(alias=alias, reason=exc.strerror or exc)
        ) from None
    finally:
        probe.close()


def _in_use(port: int) -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((LOOPBACK, port))
    except OSError:
        return True
    finally:
        probe.close()
    return False
