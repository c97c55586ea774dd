"""Real POP3 and IMAP4 servers on 127.0.0.1, as thin asyncio shells around the pure sessions.

:class:`MailServers` (its use is shown in :mod:`mailsec.retrieval.servers`) serves one user's
Maildir: each connection is a :class:`~mailsec.retrieval.pop3.Pop3Session` or an
:class:`~mailsec.retrieval.imap.ImapSession` fed the client's lines, and its transcript.
The rules for its settings live in :mod:`~mailsec.retrieval.servers.rules`, shared with
``mailsec serve``. Abuse is bounded as Dovecot bounds it (the numbers are in
:mod:`mailsec.limits`): connections in all and per address, a shorter time-out before login, a
wrong password's answer slowed down (doubling per address) and the connection closed after a few.

The servers run in a background thread with its own asyncio loop; every session and every call
into the mail store (``deliver``, ``snapshot``) runs on that loop, so the store needs no locks.

Each connection reads bounded lines (:data:`~mailsec.retrieval.pop3.MAX_LINE`,
:data:`~mailsec.retrieval.imap.MAX_LINE`, :mod:`~mailsec.retrieval.servers.lines`): the rest of an
overlong line is discarded without being kept in memory, the client gets an error and the session
goes on. An unexpected error inside a session is answered with an error reply and recorded in
:attr:`MailServers.errors`; the server keeps serving. A dropped connection ends its session
without any deletion. The loop of each connection lives in
:mod:`~mailsec.retrieval.servers.conversations`.

With TLS (chapter 08; :mod:`~mailsec.retrieval.servers.tls`), the servers also offer STLS and
STARTTLS on their plaintext ports and, when asked, listen on implicit-TLS ports (POP3S, IMAPS);
``require_tls`` refuses every login before TLS. Without TLS options nothing changes.

:meth:`MailServers.stop` is prompt whatever the clients do: it stops accepting, drops every
connection at once (discarding replies a client has not read, which a graceful close would wait
for) and waits for each session to end as a dropped one ends: nothing deleted, the POP3 lock
released, the transcript closed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import os
import ssl
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar, cast

from mailsec.errors import InputError
from mailsec.i18n import _, language, using
from mailsec.limits import (
    AUTH_PENALTY,
    AUTH_PENALTY_MAX,
    LOGIN_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    TLS_HANDSHAKE_TIMEOUT,
)
from mailsec.retrieval.maildir import Delivery, MailStore
from mailsec.retrieval.servers.conversations import LIMITS, Conversations
from mailsec.retrieval.servers.lines import read_bounded_line
from mailsec.retrieval.servers.rules import check_host, check_port, check_quota
from mailsec.retrieval.servers.snapshots import FolderView, snapshot_of
from mailsec.retrieval.servers.tls import ServerTls
from mailsec.retrieval.transcript import Protocol, Transcript, TranscriptRecorder

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_TRANSCRIPTS",
    "MailServers",
    "read_bounded_line",
]

T = TypeVar("T")
_Servers = TypeVar("_Servers", bound="MailServers")

_TOO_BUSY = {
    Protocol.POP3: b"-ERR [SYS/TEMP] Too many connections, try again later.\r\n",
    Protocol.IMAP: b"* BYE Too many connections, try again later.\r\n",
}
"""The one line a connection over the limits gets on a plaintext port (a TLS port just closes)."""


def _address(writer: asyncio.StreamWriter) -> str:
    """The client's IP address (the whole of it, without the port)."""
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


IDLE_TIMEOUT = 1800.0
"""Seconds a connection may stay silent (RFC 3501 §5.4: at least 30 minutes for IMAP)."""
MAX_TRANSCRIPTS = 100
"""Sessions kept in :attr:`MailServers.transcripts`; older ones are forgotten first."""


class MailServers(Conversations):
    """A POP3 and an IMAP4 server for one user over one Maildir, on 127.0.0.1.

    Ports default to 0 (a free port is chosen). ``quota`` is in bytes or ``None``.
    ``idle_timeout`` is how long a silent connection is kept once logged in, ``login_timeout``
    before. A wrong password's answer waits ``auth_penalty`` seconds, doubling with each further
    failure from the same address (up to :data:`~mailsec.limits.AUTH_PENALTY_MAX`); ``0`` turns
    the penalty off. ``host`` must be a loopback address unless ``allow_remote`` is true:
    passwords travel in clear text unless TLS is required. At most
    :data:`~mailsec.limits.MAX_CONNECTIONS` connections are open at once,
    :data:`~mailsec.limits.MAX_CONNECTIONS_PER_ADDRESS` from one address.

    TLS (chapter 08) is off by default. ``tls`` (a server :class:`ssl.SSLContext`) or
    ``tls_certificate`` with ``tls_key`` (PEM files) switch it on: STLS and STARTTLS are offered
    on the plaintext ports. ``pop3s_port`` and ``imaps_port`` (0 for any free port) add
    implicit-TLS ports (RFC 8314); ``require_tls`` refuses every login before TLS, from any
    address. Asking for either without a certificate makes a course certificate now
    (:meth:`ServerTls.course <mailsec.retrieval.servers.tls.ServerTls.course>`);
    ``servers.tls.client_context()`` then trusts it. A handshake that has not finished after
    ``tls_handshake_timeout`` seconds closes its connection.

    One object, not several: the servers share one event loop, one store, one table of login
    failures and one count of connections. This class holds the life cycle, the store, the
    transcripts and the limits; the loop each connection runs (read, answer, start TLS) is its
    base class :class:`~mailsec.retrieval.servers.conversations.Conversations`. The protocols live
    in :mod:`mailsec.retrieval.pop3` and :mod:`mailsec.retrieval.imap`, reading lines in
    :mod:`~mailsec.retrieval.servers.lines`, the TLS handshake in
    :mod:`~mailsec.retrieval.servers.tls`.
    """

    def __init__(
        self,
        maildir: str | os.PathLike[str],
        *,
        user: str,
        password: str,
        quota: int | None = None,
        host: str = "127.0.0.1",
        pop3_port: int = 0,
        imap_port: int = 0,
        idle_timeout: float = IDLE_TIMEOUT,
        login_timeout: float = LOGIN_TIMEOUT,
        auth_penalty: float = AUTH_PENALTY,
        allow_remote: bool = False,
        clock: Callable[[], float] = time.time,
        tls: ssl.SSLContext | None = None,
        tls_certificate: str | os.PathLike[str] | None = None,
        tls_key: str | os.PathLike[str] | None = None,
        pop3s_port: int | None = None,
        imaps_port: int | None = None,
        require_tls: bool = False,
        tls_handshake_timeout: float = TLS_HANDSHAKE_TIMEOUT,
    ) -> None:
        if not user or any(c.isspace() for c in user):
            raise InputError(
                _(
                    "The user name {user!r} is empty or has spaces: give one word, like 'alice'."
                ).format(user=user)
            )
        if not password or "\n" in password or "\r" in password:
            raise InputError(
                _("The password is empty or has a line break: give a one-line password.")
            )
        check_port(pop3_port, protocol="POP3")
        check_port(imap_port, protocol="IMAP")
        for port, name in ((pop3s_port, "POP3S"), (imaps_port, "IMAPS")):
            if port is not None:
                check_port(port, protocol=name)
        check_quota(quota)
        self.host = check_host(host, allow_remote=allow_remote)
        wanted = require_tls or pop3s_port is not None or imaps_port is not None
        self.tls = ServerTls.choose(
            context=tls, certificate=tls_certificate, key=tls_key, wanted=wanted
        )
        """The servers' TLS (its context, and the course CA when the course made the
        certificate), or ``None`` without TLS."""
        self.require_tls = require_tls
        self.pop3s_port = pop3s_port
        self.imaps_port = imaps_port
        self.tls_handshake_timeout = tls_handshake_timeout
        self.maildir = Path(maildir)
        self.user = user
        self.password = password
        self.quota = quota
        self.pop3_port = pop3_port
        self.imap_port = imap_port
        self.idle_timeout = idle_timeout
        self.login_timeout = login_timeout
        self.auth_penalty = auth_penalty
        self._failures: dict[str, int] = {}  # wrong passwords by client address, until a login
        self.clock = clock
        self.errors: list[BaseException] = []
        """Unexpected exceptions inside sessions (each was answered with an error reply, or
        dropped the connection when it came before the session could answer)."""
        self._recorders: list[TranscriptRecorder] = []
        self._sessions = 0
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)  # notified when a transcript ends
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._connections: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}
        self._closing = False
        self._stopping: asyncio.Event | None = None  # set by stop(): a penalty's wait ends
        self.store: MailStore | None = None

    # -- life cycle -----------------------------------------------------------------------------

    def __enter__(self: _Servers) -> _Servers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self: _Servers) -> _Servers:
        """Open the Maildir (creating it if missing) and start both servers."""
        if self.running:
            return self
        self.store = MailStore(self.maildir, quota=self.quota, clock=self.clock)
        self._closing = False
        loop = asyncio.new_event_loop()
        ready: dict[str, Any] = {}
        started = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open(ready))
            except BaseException as exc:
                ready["error"] = exc
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=main, name="mailsec-servers", daemon=True)
        self._thread.start()
        started.wait(30)
        if "error" in ready:
            self._thread.join(5)
            self._thread = None
            exc = ready["error"]
            if isinstance(exc, OSError):
                ports = "/".join(str(port) for port, *_ in self._listeners())
                raise InputError(
                    _(
                        "Cannot listen on {host} ports {ports} ({reason}): choose free ports or "
                        "0 for any free port."
                    ).format(host=self.host, ports=ports, reason=exc.strerror or exc)
                ) from None
            raise exc
        return self

    def _listeners(self) -> list[tuple[int, Protocol, bool]]:
        """(port, protocol, implicit TLS) of every server to open, plaintext ones first."""
        listeners = [(self.pop3_port, Protocol.POP3, False), (self.imap_port, Protocol.IMAP, False)]
        for port, protocol in ((self.pop3s_port, Protocol.POP3), (self.imaps_port, Protocol.IMAP)):
            if port is not None:
                listeners.append((port, protocol, True))
        return listeners

    async def _open(self, ready: dict[str, Any]) -> None:
        self._stopping = asyncio.Event()
        servers: list[asyncio.base_events.Server] = []
        try:
            for port, protocol, implicit in self._listeners():
                client = self._pop3_client if protocol is Protocol.POP3 else self._imap_client
                accept = self._accept(
                    functools.partial(client, implicit=implicit), protocol, implicit
                )
                servers.append(
                    await asyncio.start_server(accept, self.host, port, limit=LIMITS[protocol])
                )
        except BaseException:
            for server in servers:
                server.close()
            raise
        self._servers = servers
        ports = [server.sockets[0].getsockname()[1] for server in servers]
        self.pop3_port, self.imap_port = ports[0], ports[1]
        if self.pop3s_port is not None:
            self.pop3s_port = ports[2]
        if self.imaps_port is not None:
            self.imaps_port = ports[-1]

    def stop(self) -> None:
        """Stop both servers; open sessions are dropped (which deletes nothing)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        failure: BaseException | None = None
        if thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
            except (RuntimeError, concurrent.futures.TimeoutError):
                pass  # the loop has stopped already, or closing hung: stopping goes on
            except Exception as exc:  # a defect: finish stopping, then report it
                failure = exc
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._thread = None
        self._loop = None
        if self.store is not None:
            self.store.release_locks()
        if failure is not None:
            raise failure

    async def _close(self) -> None:
        self._closing = True
        if self._stopping is not None:
            self._stopping.set()
        for server in self._servers:
            server.close()
        # Drop every connection now. abort(), not close(): close() first sends what is still
        # buffered, and waits for ever when a client does not read it.
        for writer in list(self._connections):
            writer.transport.abort()
        if self._connections:
            # Let every session end the way a dropped connection ends: nothing deleted, the
            # POP3 lock released, the transcript closed. The time-out is only a last guard.
            await asyncio.wait(list(self._connections.values()), timeout=5)
        for server in self._servers:
            with contextlib.suppress(asyncio.TimeoutError):  # a last guard: stopping goes on
                await asyncio.wait_for(server.wait_closed(), 2)

    # -- calls into the store ---------------------------------------------------------------------

    def call(self, fn: Callable[[MailStore], T], *, timeout: float = 30) -> T:
        """Run ``fn(store)`` on the servers' loop (where the store lives) and return its result."""
        if self.store is None or self._loop is None or not self.running:
            raise InputError(_("The servers are not running: start them first (servers.start())."))
        store = self.store
        if threading.current_thread() is self._thread:
            return fn(store)

        lang = language()  # what fn says (a delivery's steps) is said in the caller's language

        async def run() -> T:
            with using(lang):
                return fn(store)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def deliver(self, message: bytes) -> Delivery:
        """Deliver ``message`` into INBOX as the mail server's delivery agent would.

        Returns the :class:`~mailsec.retrieval.maildir.Delivery`: accepted (``250``) or refused
        because the mailbox is full (``552 5.2.2``, the sender gets a bounce). Sessions with
        INBOX selected hear ``* n EXISTS`` at their next command.
        """
        return self.call(lambda store: store.deliver(message))

    def snapshot(self) -> tuple[FolderView, ...]:
        """Every folder and its messages as they are now (for the lab's "what changed")."""

        return self.call(snapshot_of)

    def set_quota(self, quota: int | None) -> None:
        """Change the mailbox quota (bytes, or ``None`` for none) while the servers run."""
        check_quota(quota)

        def change(store: MailStore) -> None:
            store.quota = quota

        self.call(change)
        self.quota = quota

    def wait_until_idle(self, timeout: float = 5.0) -> bool:
        """Wait (at most ``timeout`` seconds) until every recorded session has ended and its
        connection no longer counts against the limits."""
        with self._ended:
            return self._ended.wait_for(
                lambda: all(r.ended is not None for r in self._recorders) and not self._connections,
                timeout,
            )

    @property
    def sessions_opened(self) -> int:
        """Connections accepted so far; each transcript's ``number`` is its place in this count."""
        return self._sessions

    @property
    def used(self) -> int:
        """Bytes of mail in the mailbox now."""
        return self.call(lambda store: store.used())

    # -- transcripts ------------------------------------------------------------------------------

    @property
    def transcripts(self) -> tuple[Transcript, ...]:
        """The recorded sessions, in the order they started (open ones included)."""
        with self._lock:
            return tuple(r.freeze() for r in self._recorders)

    def clear_transcripts(self) -> None:
        with self._lock:
            self._recorders = [r for r in self._recorders if r.ended is None]

    def _record(self, protocol: Protocol, writer: asyncio.StreamWriter) -> TranscriptRecorder:
        peer = writer.get_extra_info("peername")
        text = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        recorder = TranscriptRecorder(protocol, text, self.clock)
        recorder.note(f"{protocol.value} connection opened from {text}")
        with self._lock:
            self._sessions += 1
            recorder.number = self._sessions
            self._recorders.append(recorder)
            if len(self._recorders) > MAX_TRANSCRIPTS:
                del self._recorders[0]
        return recorder

    # -- accepting, limiting, penalising -----------------------------------------------------

    def _accept(
        self,
        session: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]],
        protocol: Protocol,
        implicit: bool,
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        """The servers' callback for a new connection: run ``session`` on it as a task that
        stop() knows of from the first moment; while stopping, drop the connection at once."""

        def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self._closing:
                writer.transport.abort()
                return
            if self._too_busy(writer):
                if not implicit:  # a plaintext line would be garbage to a TLS client
                    writer.write(_TOO_BUSY[protocol])  # the one line a client shows
                writer.close()
                return
            if implicit and sys.version_info >= (3, 11):
                # Read nothing until the handshake: the client's first bytes are TLS's. (Here,
                # inside connection_made, the transport has not started reading yet; before
                # Python 3.11 it would start all the same, and a pause would outlast the handshake.)
                # A server's stream transport reads too (typeshed types it as a WriteTransport).
                cast(asyncio.Transport, writer.transport).pause_reading()
            task = asyncio.get_running_loop().create_task(session(reader, writer))
            self._connections[writer] = task

            def done(task: asyncio.Task[None]) -> None:
                with self._ended:  # its place is free: wait_until_idle may be waiting for it
                    self._connections.pop(writer, None)
                    self._ended.notify_all()
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    self.errors.append(error)
                    writer.transport.abort()

            task.add_done_callback(done)

        return accept

    def _too_busy(self, writer: asyncio.StreamWriter) -> bool:
        """Whether a new connection is over the limits (see :mod:`mailsec.limits`)."""
        address = _address(writer)
        same = sum(1 for other in self._connections if _address(other) == address)
        return len(self._connections) >= MAX_CONNECTIONS or same >= MAX_CONNECTIONS_PER_ADDRESS

    async def _answer_delay(self, writer: asyncio.StreamWriter, before: int, after: int) -> None:
        """Slow down a wrong password's answer: the penalty doubles with each failure from the
        same address, as Dovecot's does. A successful login clears the address's count."""
        address = _address(writer)
        if after <= before:
            return
        failures = self._failures.get(address, 0) + 1
        if address not in self._failures and len(self._failures) >= MAX_CONNECTIONS:
            self._failures.pop(next(iter(self._failures)))  # the oldest address is forgotten
        self._failures[address] = failures
        if self.auth_penalty > 0 and self._stopping is not None:
            delay = min(AUTH_PENALTY_MAX, self.auth_penalty * 2 ** (failures - 1))
            with contextlib.suppress(
                asyncio.TimeoutError
            ):  # the wait ends early when stop() is called
                await asyncio.wait_for(self._stopping.wait(), delay)

    def next_penalty(self, address: str = "127.0.0.1") -> float:
        """Seconds the next wrong password from ``address`` will wait for its answer."""
        failures = self._failures.get(address, 0)
        return min(AUTH_PENALTY_MAX, self.auth_penalty * 2**failures)

    def _logged_in(self, writer: asyncio.StreamWriter) -> None:
        self._failures.pop(_address(writer), None)
