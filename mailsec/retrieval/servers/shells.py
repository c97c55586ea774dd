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
:data:`~mailsec.retrieval.imap.MAX_LINE`): the rest of an overlong line is discarded without being
kept in memory, the client gets an error and the session goes on. An unexpected error inside a
session is answered with an error reply and recorded in :attr:`MailServers.errors`; the server
keeps serving. A dropped connection ends its session without any deletion.

:meth:`MailServers.stop` is prompt whatever the clients do: it stops accepting, drops every
connection at once (discarding replies a client has not read, which a graceful close would wait
for) and waits for each session to end as a dropped one ends: nothing deleted, the POP3 lock
released, the transcript closed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from mailsec.errors import InputError
from mailsec.limits import (
    AUTH_PENALTY,
    AUTH_PENALTY_MAX,
    LOGIN_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
)
from mailsec.retrieval import imap, pop3
from mailsec.retrieval.maildir import Delivery, MailStore
from mailsec.retrieval.servers.rules import check_host, check_port, check_quota
from mailsec.retrieval.servers.snapshots import FolderView, snapshot_of
from mailsec.retrieval.transcript import Protocol, Transcript, TranscriptRecorder

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_TRANSCRIPTS",
    "MailServers",
    "read_bounded_line",
]

T = TypeVar("T")


def _address(writer: asyncio.StreamWriter) -> str:
    """The client's IP address (the whole of it, without the port)."""
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


IDLE_TIMEOUT = 1800.0
"""Seconds a connection may stay silent (RFC 3501 §5.4: at least 30 minutes for IMAP)."""
MAX_TRANSCRIPTS = 100
"""Sessions kept in :attr:`MailServers.transcripts`; older ones are forgotten first."""


async def _within(step: Awaitable[bytes], timeout: float | None) -> bytes:
    """``await step``, or :class:`asyncio.TimeoutError` after ``timeout`` seconds.

    Every command line is read through here. ``asyncio.timeout`` (Python 3.11+) sets a timer
    around the read; ``asyncio.wait_for`` before 3.12 wraps it in a new task, one more turn of
    the event loop per command, which cost the POP3 server a fifth of its speed.
    """
    if sys.version_info < (3, 11):
        return await asyncio.wait_for(step, timeout)
    async with asyncio.timeout(timeout):
        return await step


async def read_bounded_line(
    reader: asyncio.StreamReader, *, timeout: float | None = None
) -> tuple[bytes | None, bool]:
    """Read one line without its CRLF, never holding more than the reader's limit in memory.

    Returns ``(line, too_long)``; ``line`` is ``None`` at end of input. When the line is longer
    than the limit its contents are discarded and ``(b"", True)`` is returned.
    """
    too_long = False
    while True:
        try:
            line = await _within(reader.readuntil(b"\n"), timeout)
        except asyncio.LimitOverrunError as exc:
            too_long = True
            await _within(reader.readexactly(max(exc.consumed, 1)), timeout)
            continue
        except asyncio.IncompleteReadError:
            return None, too_long
        if too_long:
            return b"", True
        if line.endswith(b"\r\n"):
            return line[:-2], False
        return line[:-1], False


class MailServers:
    """A POP3 and an IMAP4 server for one user over one Maildir, on 127.0.0.1.

    Ports default to 0 (a free port is chosen). ``quota`` is in bytes or ``None``.
    ``idle_timeout`` is how long a silent connection is kept once logged in, ``login_timeout``
    before. A wrong password's answer waits ``auth_penalty`` seconds, doubling with each further
    failure from the same address (up to :data:`~mailsec.limits.AUTH_PENALTY_MAX`); ``0`` turns
    the penalty off. ``host`` must be a loopback address unless ``allow_remote`` is true: the
    servers have no TLS. At most :data:`~mailsec.limits.MAX_CONNECTIONS` connections are open at
    once, :data:`~mailsec.limits.MAX_CONNECTIONS_PER_ADDRESS` from one address.

    One class of about 470 lines, not several: both servers share one event loop, one store, one
    table of login failures and one count of connections, and a session's life (accept, count,
    time out, penalise, close) reads best in one place. The protocols themselves live in
    :mod:`mailsec.retrieval.pop3` and :mod:`mailsec.retrieval.imap`.
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
    ) -> None:
        if not user or any(c.isspace() for c in user):
            raise InputError(
                f"The user name {user!r} is empty or has spaces: give one word, like 'alice'."
            )
        if not password or "\n" in password or "\r" in password:
            raise InputError("The password is empty or has a line break: give a one-line password.")
        check_port(pop3_port, protocol="POP3")
        check_port(imap_port, protocol="IMAP")
        check_quota(quota)
        self.maildir = Path(maildir)
        self.user = user
        self.password = password
        self.quota = quota
        self.host = check_host(host, allow_remote=allow_remote)
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

    def __enter__(self) -> MailServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> MailServers:
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
                raise InputError(
                    f"Cannot listen on {self.host} ports {self.pop3_port}/{self.imap_port} "
                    f"({exc.strerror or exc}): choose free ports or 0 for any free port."
                ) from None
            raise exc
        return self

    async def _open(self, ready: dict[str, Any]) -> None:
        self._stopping = asyncio.Event()
        pop = await asyncio.start_server(
            self._accept(self._pop3_client), self.host, self.pop3_port, limit=pop3.MAX_LINE + 2
        )
        try:
            imp = await asyncio.start_server(
                self._accept(self._imap_client), self.host, self.imap_port, limit=imap.MAX_LINE + 2
            )
        except BaseException:
            pop.close()
            raise
        self._servers = [pop, imp]
        self.pop3_port = pop.sockets[0].getsockname()[1]
        self.imap_port = imp.sockets[0].getsockname()[1]

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
            raise InputError("The servers are not running: start them first (servers.start()).")
        store = self.store
        if threading.current_thread() is self._thread:
            return fn(store)

        async def run() -> T:
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

    # -- the shells -------------------------------------------------------------------------------

    async def _send(
        self, writer: asyncio.StreamWriter, recorder: TranscriptRecorder, *wire: bytes
    ) -> None:
        """Record each of the replies ``wire``, then send them in one write (one system call and
        one wake-up of the client for a FETCH response and its tagged OK, as Dovecot does)."""
        with self._lock:
            for reply in wire:
                recorder.server(reply)
        writer.write(wire[0] if len(wire) == 1 else b"".join(wire))
        await writer.drain()

    def _accept(
        self, session: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        """The servers' callback for a new connection: run ``session`` on it as a task that
        stop() knows of from the first moment; while stopping, drop the connection at once."""

        def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self._closing:
                writer.transport.abort()
                return
            busy = self._too_busy(writer)
            if busy is not None:
                writer.write(busy)  # the one line a client shows, then the door closes
                writer.close()
                return
            task = asyncio.get_running_loop().create_task(session(reader, writer))
            self._connections[writer] = task

            def done(task: asyncio.Task[None]) -> None:
                with self._ended:  # its place is free: wait_until_idle may be waiting for it
                    self._connections.pop(writer, None)
                    self._ended.notify_all()
                if not task.cancelled() and task.exception() is not None:
                    self.errors.append(task.exception())  # type: ignore[arg-type]
                    writer.transport.abort()

            task.add_done_callback(done)

        return accept

    def _too_busy(self, writer: asyncio.StreamWriter) -> bytes | None:
        """The refusal for a connection over the limits, or None (see :mod:`mailsec.limits`)."""
        address = _address(writer)
        same = sum(1 for other in self._connections if _address(other) == address)
        if len(self._connections) < MAX_CONNECTIONS and same < MAX_CONNECTIONS_PER_ADDRESS:
            return None
        imap_side = writer.get_extra_info("sockname")[1] == self.imap_port
        if imap_side:
            return b"* BYE Too many connections, try again later.\r\n"
        return b"-ERR [SYS/TEMP] Too many connections, try again later.\r\n"

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

    def _forget(self, writer: asyncio.StreamWriter, recorder: TranscriptRecorder, how: str) -> None:
        """End the transcript and close the connection."""
        with self._ended:
            recorder.end(how)
            self._ended.notify_all()
        with contextlib.suppress(OSError, RuntimeError):  # already gone, or the loop is closing
            writer.close()

    def _record_line(
        self, recorder: TranscriptRecorder, line: bytes, too_long: bool, limit: int
    ) -> None:
        """Record a client line; an overlong one (already discarded) as a note."""
        with self._lock:
            if too_long:
                recorder.note(f"an overlong line (over {limit} octets) was discarded")
            else:
                recorder.client(line)

    async def _pop3_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self.store is not None
        recorder = self._record(Protocol.POP3, writer)
        session = pop3.Pop3Session(self.store, user=self.user, password=self.password)
        how = "dropped"
        try:
            await self._send(writer, recorder, session.greeting().to_wire())
            while True:
                waiting = session.state is pop3.Pop3State.AUTHORIZATION
                timeout = self.login_timeout if waiting else self.idle_timeout
                line, too_long = await read_bounded_line(reader, timeout=timeout)
                if line is None:
                    break
                self._record_line(recorder, line, too_long, pop3.MAX_LINE)
                failures = session.auth_failures
                try:
                    reply = session.too_long() if too_long else session.handle(line)
                except Exception as exc:  # a bug must not take the server down
                    self.errors.append(exc)
                    reply = pop3.Pop3Reply(False, "Internal error; nothing was changed.")
                await self._answer_delay(writer, failures, session.auth_failures)
                if waiting and session.state is pop3.Pop3State.TRANSACTION:
                    self._logged_in(writer)
                await self._send(writer, recorder, reply.to_wire())
                if reply.close:
                    how = "QUIT" if line.upper().startswith(b"QUIT") else "closed by server"
                    break
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass  # a dropped connection: ``how`` says how far the session got
        finally:
            session.connection_lost()
            self._forget(writer, recorder, how)

    async def _imap_next_line(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        recorder: TranscriptRecorder,
        session: imap.ImapSession,
    ) -> tuple[bytes | None, bool]:
        """The client's next line; during IDLE, push other sessions' changes while waiting."""
        if session.idling is None:
            waiting = session.state is imap.ImapState.NOT_AUTHENTICATED
            timeout = self.login_timeout if waiting else self.idle_timeout
            return await read_bounded_line(reader, timeout=timeout)
        news = asyncio.Event()
        session.on_news = news.set
        read = asyncio.ensure_future(read_bounded_line(reader, timeout=self.idle_timeout))
        try:
            news.set()  # changes made while "+ idling" was being sent are pushed at once
            while True:
                waiter = asyncio.ensure_future(news.wait())
                done, _pending = await asyncio.wait(
                    {read, waiter}, return_when=asyncio.FIRST_COMPLETED
                )
                if read in done:
                    waiter.cancel()
                    return read.result()
                news.clear()
                for response in session.idle_updates().responses:
                    await self._send(writer, recorder, response)
        finally:
            session.on_news = None
            if not read.done():
                read.cancel()

    async def _imap_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self.store is not None
        recorder = self._record(Protocol.IMAP, writer)
        session = imap.ImapSession(self.store, user=self.user, password=self.password)
        how = "dropped"
        try:
            await self._send(writer, recorder, session.greeting())
            while True:
                line, too_long = await self._imap_next_line(reader, writer, recorder, session)
                if line is None:
                    break
                self._record_line(recorder, line, too_long, imap.MAX_LINE)
                failures = session.auth_failures
                waiting = session.state is imap.ImapState.NOT_AUTHENTICATED
                try:
                    result = session.too_long() if too_long else session.feed(line)
                    while result.literal is not None:
                        if result.continuation:
                            await self._send(writer, recorder, b"+ OK\r\n")
                        data = await asyncio.wait_for(
                            reader.readexactly(result.literal), self.idle_timeout
                        )
                        with self._lock:
                            recorder.client_literal(data)
                        session.feed_literal(data)
                        line, too_long = await read_bounded_line(reader, timeout=self.idle_timeout)
                        if line is None:
                            raise asyncio.IncompleteReadError(b"", None)
                        with self._lock:
                            recorder.client(line)
                        result = session.too_long() if too_long else session.feed(line)
                except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError):
                    raise
                except Exception as exc:  # a bug must not take the server down
                    self.errors.append(exc)
                    session.reset_input()
                    result = imap.ImapResult((b"* BAD Internal error; nothing was changed.\r\n",))
                await self._answer_delay(writer, failures, session.auth_failures)
                if waiting and session.state is not imap.ImapState.NOT_AUTHENTICATED:
                    self._logged_in(writer)
                if result.responses:
                    await self._send(writer, recorder, *result.responses)
                if result.close:
                    how = (
                        "LOGOUT"
                        if session.state is imap.ImapState.LOGOUT and b"LOGOUT" in line.upper()
                        else "closed by server"
                    )
                    break
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            session.connection_lost()
            self._forget(writer, recorder, how)
