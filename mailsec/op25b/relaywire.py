"""POP before SMTP on real servers: a POP3 login that opens relaying, then real SMTP through it.

:class:`PopLoginServers` is chapter 01's POP3 and IMAP4 server
(:class:`~mailsec.retrieval.servers.shells.MailServers`, unchanged) with one hook filled in: each
successful POP3 login (USER/PASS or APOP) records the client's address in a
:class:`~mailsec.op25b.relaycontrol.RelayControl`'s table, as servers that offered POP before SMTP
did (the POP3 server wrote the address where the SMTP server looked it up). IMAP logins open
nothing: the method is POP before SMTP.

:class:`RelayServers` runs the hosting company of :data:`~mailsec.op25b.model.RELAY_WORLD` on
127.0.0.1: its SMTP services (chapter 02's :class:`~mailsec.op25b.smtpd.ModelSmtpServers` with
``relay=``) and its POP3 server, sharing one control and one clock that stands still until it is
set, so the story's minutes pass without waiting. :meth:`RelayServers.run` plays a
:class:`~mailsec.op25b.relaystory.Plan` for real (poplib, then smtplib) and puts the pure model's
decision for the same plan beside the server's.

As in chapter 02, every connection comes from 127.0.0.1: the servers are told which model host
is speaking (``speaking_as``), and the address they record and check is that host's public one
(its NAT router's, for the office's PCs). A connection nobody speaks for, such as your own
``poplib`` session, is taken at its real address, 127.0.0.1 — which is also the address chapter
02's servers give a stranger's ``smtplib`` session, so the two meet in the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import ipaddress
import poplib
import shutil
import smtplib
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from mailsec.i18n import texts
from mailsec.op25b.model import OFFICE_PASSWORD, OFFICE_USER, RELAY_WORLD, Credentials, Host, World
from mailsec.op25b.relaycontrol import LoginWindow, RelayControl, RelayRuling, RelaySetting
from mailsec.op25b.relaystory import LOGIN_HOST, SERVER, START, Plan, model_ruling
from mailsec.op25b.replay import TranscriptLine, _RecordingSMTP
from mailsec.op25b.smtpd import LOOPBACK, ModelSmtpServers
from mailsec.retrieval.servers.shells import MailServers

__all__ = [
    "ManualClock",
    "PopLogin",
    "PopLoginServers",
    "RelayRun",
    "RelayServers",
    "SmtpSend",
]


TEXT = texts(
    {
        # A transcript's note about the connection (what was sent stays as it was on the wire).
        "connect": "connect to {server} port {port} from {address} ({label}) [real server on "
        "{loopback}:{real}]",
    }
)


class ManualClock:
    """A clock that stands still until it is set: the story's minutes pass without waiting."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class PopLoginServers(MailServers):
    """Chapter 01's POP3/IMAP4 servers whose POP3 logins open POP-before-SMTP windows in
    ``relay`` (a :class:`~mailsec.op25b.relaycontrol.RelayControl`; assign another to move on).
    ``options`` are :class:`~mailsec.retrieval.servers.shells.MailServers`' own."""

    def __init__(
        self,
        maildir: str | Path,
        *,
        user: str,
        password: str,
        relay: RelayControl,
        world: World = RELAY_WORLD,
        **options: Any,
    ) -> None:
        super().__init__(maildir, user=user, password=password, **options)
        self.relay = relay
        self.world = world
        self._client: Host | None = None
        self._speaking = threading.Lock()

    @contextlib.contextmanager
    def speaking_as(self, client: Host | str) -> Iterator[None]:
        """Let your own poplib session stand for ``client`` (one session at a time)."""
        host = client if isinstance(client, Host) else self.world.host(client)
        with self._speaking:
            self._client = host
            try:
                yield
            finally:
                self._client = None

    def _logged_in(self, writer: asyncio.StreamWriter) -> None:
        super()._logged_in(writer)
        sockname = writer.get_extra_info("sockname")
        if not isinstance(sockname, tuple) or sockname[1] not in (self.pop3_port, self.pop3s_port):
            return  # an IMAP login: POP before SMTP listens to POP3 only
        if self._client is not None:
            address: object = self.world.public_ipv4(self._client)
        else:
            peer = writer.get_extra_info("peername")
            address = peer[0] if isinstance(peer, tuple) else peer
        self.relay.pop_login(address, user=self.user)


@dataclass(frozen=True)
class PopLogin:
    """Hanako's POP3 login as it happened on the wire."""

    host: Host
    address: ipaddress.IPv4Address
    at: dt.datetime
    ok: bool
    reply: str
    """The server's answer to PASS."""
    transcript: str
    """The server's record of the session (the password masked)."""
    window: LoginWindow | None
    """The window the login opened (None when it failed)."""


@dataclass(frozen=True)
class SmtpSend:
    """One sender's SMTP session as it happened on the wire."""

    host: Host
    address: ipaddress.IPv4Address
    at: dt.datetime
    port: int
    """The model's port (25 or 587)."""
    loopback_port: int
    lines: tuple[TranscriptLine, ...]
    rcpt_code: int | None
    """The reply code to RCPT TO (None when the session ended before it)."""
    rcpt_reply: str
    accepted: bool
    """Whether the server took the message (RCPT and DATA answered 250)."""

    @property
    def text(self) -> str:
        return "\n".join(str(line) for line in self.lines)


@dataclass(frozen=True)
class RelayRun:
    """One run of the story: the POP3 login, the sender's SMTP session, the server's decision
    and the pure model's decision for the same plan."""

    plan: Plan
    login: PopLogin
    send: SmtpSend
    ruling: RelayRuling | None
    """The server's decision at RCPT TO (None when the session ended before it)."""
    model: RelayRuling
    windows: tuple[LoginWindow, ...]
    """The POP-before-SMTP table when the sender connected."""

    @property
    def agrees_with_model(self) -> bool:
        reply = self.model.ruling.reply
        return reply is not None and reply.code == self.send.rcpt_code


class RelayServers:
    """The hosting company's SMTP and POP3 servers on 127.0.0.1, with a shared relay control and
    a clock that stands still (:class:`ManualClock`). Use it as a context manager, or call
    :meth:`start` and :meth:`stop`."""

    def __init__(self, *, world: World = RELAY_WORLD, timeout: float = 5.0) -> None:
        self.world = world
        self.timeout = timeout
        self.clock = ManualClock()
        self.control = RelayControl(RelaySetting.POP_BEFORE_SMTP, clock=self.clock)
        self.smtp: ModelSmtpServers | None = None
        self.pop: PopLoginServers | None = None
        self._folder: str | None = None

    def start(self) -> RelayServers:
        if self.smtp is not None:
            return self
        self._folder = tempfile.mkdtemp(prefix="mailsec-relay-")
        try:
            self.smtp = ModelSmtpServers(
                self.world,
                maildir_root=Path(self._folder) / "maildirs",
                timeout=self.timeout,
                clock=self.clock,
                relay=self.control,
            ).start()
            self.pop = PopLoginServers(
                Path(self._folder) / "pop3",
                user=OFFICE_USER,
                password=OFFICE_PASSWORD,
                relay=self.control,
                world=self.world,
                login_timeout=self.timeout,
                idle_timeout=self.timeout,
            ).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop both servers and remove their files (prompt: open sessions are dropped)."""
        if self.smtp is not None:
            _end_sessions(self.smtp)
        for server in (self.smtp, self.pop):
            if server is not None:
                server.stop()
        self.smtp = self.pop = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> RelayServers:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def use(self, setting: RelaySetting) -> RelayControl:
        """A fresh control with ``setting`` and an empty table, for both servers."""
        control = RelayControl(setting, clock=self.clock)
        self.control = control
        if self.smtp is not None and self.pop is not None:
            self.smtp.relay = self.pop.relay = control
        return control

    def pop_login(self, host: str, *, user: str, password: str, at: dt.datetime) -> PopLogin:
        """A real POP3 login (USER, PASS, STAT, QUIT) from ``host`` at ``at``."""
        pop = self.start().pop
        assert pop is not None
        client = self.world.host(host)
        self.clock.now = at
        with pop.speaking_as(client):
            session = poplib.POP3(LOOPBACK, pop.pop3_port, timeout=self.timeout)
            try:
                session.user(user)
                reply = session.pass_(password).decode("utf-8", "replace")
                ok = True
                session.stat()
            except poplib.error_proto as exc:
                reply, ok = str(exc.args[0] if exc.args else exc), False
            finally:
                with contextlib.suppress(OSError, poplib.error_proto):
                    session.quit()
        pop.wait_until_idle(self.timeout)
        address = self.world.public_ipv4(client)
        record = pop.transcripts[-1].to_text() if pop.transcripts else ""
        window = self.control.windows.lookup(address) if ok else None
        return PopLogin(client, address, at, ok, reply, record, window)

    def send(
        self,
        host: str,
        *,
        port: int,
        mail_from: str,
        rcpt: str,
        at: dt.datetime,
        credentials: Credentials | None = None,
    ) -> SmtpSend:
        """A real SMTP session from ``host`` at ``at``: EHLO, STARTTLS and AUTH on 587, then
        MAIL, RCPT and (when RCPT is accepted) DATA."""
        smtp = self.start().smtp
        assert smtp is not None
        client = self.world.host(host)
        self.clock.now = at
        real = smtp.ports[(SERVER, port)]
        lines: list[TranscriptLine] = [
            TranscriptLine(
                "*",
                TEXT["connect"].format(
                    server=self.world.host(SERVER).hostname,
                    port=port,
                    address=self.world.public_ipv4(client),
                    label=client.shown_label,
                    loopback=LOOPBACK,
                    real=real,
                ),
            )
        ]
        with (
            smtp.speaking_as(client),
            _RecordingSMTP(lines, host=LOOPBACK, port=real, timeout=self.timeout) as conn,
        ):
            conn.ehlo(client.hostname)
            if port == 587:
                conn.starttls(context=smtp.client_context())
                conn.ehlo(client.hostname)
            if credentials is not None:
                with contextlib.suppress(smtplib.SMTPAuthenticationError):
                    conn.login(credentials.user, credentials.password)
            code, reply, accepted = _envelope(conn, mail_from, rcpt, at)
        address = self.world.public_ipv4(client)
        return SmtpSend(client, address, at, port, real, tuple(lines), code, reply, accepted)

    def run(self, events: Plan) -> RelayRun:
        """Play ``events`` for real: Hanako's POP3 login, then the sender's SMTP session."""
        self.start()
        control = self.use(events.setting)
        login = self.pop_login(
            LOGIN_HOST, user=OFFICE_USER, password=OFFICE_PASSWORD, at=events.login_at
        )
        windows = control.windows.entries
        send = self.send(
            events.story.host,
            port=events.port,
            mail_from=events.story.mail_from,
            rcpt=events.rcpt,
            at=events.send_at,
            credentials=events.credentials,
        )
        ruling = control.decided[-1] if control.decided else None
        model = model_ruling(events, world=self.world, window=control.windows.window)
        return RelayRun(events, login, send, ruling, model, windows)


def _end_sessions(smtp: ModelSmtpServers) -> None:
    """End the SMTP sessions of clients still connected, as a lost connection ends them, so none
    is left pending in the stopped loop."""
    loop = smtp._loop
    if loop is None:
        return

    async def cancel() -> None:
        rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    with contextlib.suppress(Exception):  # stopping goes on whatever happens here
        asyncio.run_coroutine_threadsafe(cancel(), loop).result(5)


def _envelope(
    conn: smtplib.SMTP, mail_from: str, rcpt: str, at: dt.datetime
) -> tuple[int | None, str, bool]:
    """MAIL, RCPT and, when RCPT is accepted, DATA: (RCPT's code, its reply, accepted)."""
    code, text = conn.mail(mail_from)
    if code != 250:
        return None, f"{code} {text.decode('utf-8', 'replace')}", False
    code, text = conn.rcpt(rcpt)
    reply = f"{code} {text.decode('utf-8', 'replace')}"
    if code not in (250, 251):
        conn.rset()
        return code, reply, False
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = rcpt
    message["Subject"] = "Sent through mail.hosting.example"
    message["Date"] = email.utils.format_datetime(at)
    message.set_content("A message for the relay lab.\n")
    data_code, _ = conn.data(message.as_bytes().replace(b"\n", b"\r\n"))
    return code, reply, data_code == 250
