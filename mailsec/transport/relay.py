"""A loopback TCP relay that records what passes: the eavesdropper's seat (chapter 08).

::

    from mailsec.transport.relay import MailProtocol, Relay
    from mailsec.transport.relay_view import eavesdrop

    with Relay("127.0.0.1", server_port, protocol=MailProtocol.SMTP) as relay:
        with smtplib.SMTP(relay.host, relay.port) as smtp:    # the client talks to the relay
            ...
        relay.wait_until_idle()
        seen = eavesdrop(relay.recordings[-1])                 # what a wiretap learned

:class:`Relay` listens on a free port of 127.0.0.1 and connects every client it accepts to the
real server. It stands where an eavesdropper stands -- on the wire between a mail program and
its server, like a shared Wi-Fi or a compromised router -- and records what passes in both
directions with the time of each read (:mod:`~mailsec.transport.relay_recording`). The
recording is the client's side of the wire: the bytes the client sent, and the bytes it
received.

By default the relay only listens: every byte goes on unchanged, so the client and the server
cannot tell it is there. With ``strip=True`` it is an active attacker that removes the offer of
TLS from what the server says and refuses the client's STARTTLS itself
(:mod:`~mailsec.transport.relay_strip`), the attack RFC 3207 §6 describes.

Bounds (the numbers and their reasons are the ``RELAY_*`` constants below): connections at once,
bytes recorded per direction (the rest is counted, not kept), chunks and notes per connection,
recordings kept, a line's length in the attacker's line-by-line mode, and the seconds a
connection may stay silent or take to reach the server. :meth:`Relay.stop` is prompt: it drops
every connection at once.

The relay runs in a background thread with its own asyncio loop, as the course's servers do, so
a lab or a test drives it synchronously; :meth:`Relay.wait_until_idle` waits until every
connection has ended (no sleeping).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import ipaddress
import ssl
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

from mailsec.errors import InputError, NotAvailable
from mailsec.i18n import texts
from mailsec.limits import (
    RELAY_CONNECT_TIMEOUT,
    RELAY_IDLE_TIMEOUT,
    RELAY_MAX_CHUNKS,
    RELAY_MAX_CONNECTIONS,
    RELAY_MAX_LINE,
    RELAY_MAX_NOTES,
    RELAY_MAX_RECORDED,
    RELAY_MAX_RECORDINGS,
)
from mailsec.transport.relay_recording import (
    Direction,
    MailProtocol,
    Recorder,
    Recording,
)
from mailsec.transport.relay_strip import strip_session

__all__ = [
    "RELAY_CONNECT_TIMEOUT",
    "RELAY_IDLE_TIMEOUT",
    "RELAY_MAX_CHUNKS",
    "RELAY_MAX_CONNECTIONS",
    "RELAY_MAX_LINE",
    "RELAY_MAX_NOTES",
    "RELAY_MAX_RECORDED",
    "RELAY_MAX_RECORDINGS",
    "Direction",
    "IdleTimeout",
    "Link",
    "MailProtocol",
    "Recording",
    "Relay",
]

T = TypeVar("T")
KIB = 1024


READ_SIZE = 64 * KIB
"""Bytes asked for in one read when passing bytes on unchanged (not a limit)."""

MESSAGES = texts(
    {
        "host": (
            "The {what} {host!r} is not a loopback address (like 127.0.0.1): the relay records "
            "passwords, so it only works between programs on this computer."
        ),
        "port": "The {what} {port!r} is not a TCP port (1 to 65535): give the port it listens on.",
        "positive": "{name} must be a positive number, not {value!r}.",
        "unreachable": "could not reach the server at {host}:{port} ({reason}): connection closed",
        "opened": "connection {number} opened; relayed to {host}:{port}",
        "refused": "connection refused: {count} connections are open already",
        "idle": "silent for {seconds:g} s in both directions: closed by the relay",
        "closed": "closed",
        "dropped": "dropped ({reason})",
        "stopped": "the relay was stopped",
        "alter": "Only a stripping attacker on SMTP (strip=True, protocol SMTP) alters messages.",
        "start": "Could not start the relay on {host}: {reason}.",
        "not_running": "The relay is not running: start it first (relay.start()).",
        "server_address": "server's address",
        "relay_address": "relay's address",
        "server_port": "server's port",
        "late": "it did not start in time",
    }
)
"""Every sentence this module says (named placeholders, for translation)."""

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]

_DROPPED = (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, OSError)
"""How a connection ends under the relay: reset, broken TLS, cut short."""


def _loopback(host: str, what: str) -> str:
    """``host`` if it is a loopback IP address (``localhost`` is 127.0.0.1)."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InputError(MESSAGES["host"].format(what=what, host=host))
    return host


class IdleTimeout(Exception):
    """Neither side sent anything for the relay's idle time-out."""


class Link:
    """One connection through the relay: the client's streams, the server's, and the
    recording. The server's streams change when an attacker starts its own TLS with the server
    (:meth:`start_server_tls`), so always read them from here."""

    def __init__(
        self, client: Streams, server: Streams, recorder: Recorder, idle_timeout: float
    ) -> None:
        self.client_reader, self.client_writer = client
        self.server_reader, self.server_writer = server
        self.recorder = recorder
        self.idle_timeout = idle_timeout
        self._last = time.monotonic()
        # The attacker's two directions both answer the client: one write and drain at a time.
        self._to_client = asyncio.Lock()

    @property
    def protocol(self) -> MailProtocol:
        return self.recorder.protocol

    # -- reading, bounded by the idle time-out ---------------------------------------------------

    async def wait(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run a read; raise :class:`IdleTimeout` once neither side has sent anything for the
        idle time-out (one side may be silent while the other is busy)."""
        while True:
            remaining = self.idle_timeout - (time.monotonic() - self._last)
            if remaining <= 0:
                raise IdleTimeout
            try:
                result = await asyncio.wait_for(operation(), remaining)
            except asyncio.TimeoutError:
                continue  # look again: the other direction may have been busy meanwhile
            self._last = time.monotonic()
            return result

    @staticmethod
    def timed_out() -> NoReturn:
        """Give up: neither side has said anything for the idle time-out."""
        raise IdleTimeout

    async def read_chunk(self, reader: asyncio.StreamReader) -> bytes:
        """What ``reader`` has now (at most :data:`READ_SIZE` bytes); ``b""`` at its end."""
        return await self.wait(lambda: reader.read(READ_SIZE))

    async def read_line(self, reader: asyncio.StreamReader) -> bytes:
        """A line with its LF, or a piece of a line longer than the reader's limit (without
        LF), or what is left at the end (``b""`` when nothing is)."""

        async def one() -> bytes:
            try:
                return await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                return exc.partial
            except asyncio.LimitOverrunError as exc:
                return await reader.readexactly(max(1, exc.consumed))

        return await self.wait(one)

    # -- writing ---------------------------------------------------------------------------------

    async def to_client(self, data: bytes) -> None:
        """Send ``data`` to the client, recording it as what the client received."""
        async with self._to_client:
            self.recorder.add(Direction.TO_CLIENT, data)
            self.client_writer.write(data)
            await self.client_writer.drain()

    async def to_server(self, data: bytes) -> None:
        """Send ``data`` to the server (the client's bytes are recorded when they arrive)."""
        self.server_writer.write(data)
        await self.server_writer.drain()

    @staticmethod
    def finish(writer: asyncio.StreamWriter) -> None:
        """One side has finished sending: tell the other side (half-close), or close it when
        it cannot be half-closed (inside TLS)."""
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()
            else:
                writer.close()

    # -- passing bytes on unchanged --------------------------------------------------------------

    async def _copy(self, direction: Direction) -> None:
        while True:
            reader = self.client_reader if direction is Direction.TO_SERVER else self.server_reader
            writer = self.server_writer if direction is Direction.TO_SERVER else self.client_writer
            data = await self.read_chunk(reader)
            if not data:
                self.finish(writer)
                return
            self.recorder.add(direction, data)
            writer.write(data)
            await writer.drain()

    async def pipe(self) -> None:
        """Pass bytes both ways unchanged until both sides have finished."""
        await self.both(self._copy(Direction.TO_SERVER), self._copy(Direction.TO_CLIENT))

    @staticmethod
    async def both(*coroutines: Coroutine[Any, Any, None]) -> None:
        """Run the two directions together; when one fails, the other is cancelled."""
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- the attacker's own TLS with the server ----------------------------------------------------

    async def start_server_tls(self, context: ssl.SSLContext) -> str:
        """Upgrade the connection to the server to TLS (the relay is the TLS client) and
        return the TLS version. The client's side is not touched."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=RELAY_MAX_LINE, loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        transport = await asyncio.wait_for(
            loop.start_tls(self.server_writer.transport, protocol, context),
            RELAY_CONNECT_TIMEOUT,
        )
        if transport is None:  # the connection was lost during the handshake
            raise ConnectionResetError("connection lost during the TLS handshake")
        protocol.connection_made(transport)
        self.server_reader = reader
        self.server_writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        tls = transport.get_extra_info("ssl_object")
        return str(tls.version()) if tls is not None else "TLS"

    def abort(self) -> None:
        """Drop both connections at once (nothing buffered is sent)."""
        for writer in (self.client_writer, self.server_writer):
            with contextlib.suppress(OSError, RuntimeError):
                writer.transport.abort()

    def close(self) -> None:
        """Close both connections once what is buffered has been sent (both sides have
        finished; a last reply may still be on its way)."""
        for writer in (self.client_writer, self.server_writer):
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()


class Relay:
    """A recording TCP relay on 127.0.0.1 in front of the server at ``upstream_host``:
    ``upstream_port`` (see the module's docstring).

    ``protocol`` names the mail protocol spoken through it (the eavesdropper's view and the
    attacker need it). ``strip`` makes the relay an attacker that removes STARTTLS;
    ``upgrade`` lets that attacker start TLS with the server itself, so that a server which
    allows no login before TLS still accepts the client's plaintext password. ``clock`` gives
    the times in the recordings (seconds; :func:`time.monotonic` by default).
    """

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        protocol: MailProtocol,
        strip: bool = False,
        upgrade: bool = True,
        host: str = "127.0.0.1",
        max_connections: int = RELAY_MAX_CONNECTIONS,
        max_recorded: int = RELAY_MAX_RECORDED,
        idle_timeout: float = RELAY_IDLE_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        transparent: bool = False,
        alter: tuple[bytes, bytes] | None = None,
    ) -> None:
        if alter is not None and not (strip and protocol is MailProtocol.SMTP):
            raise InputError(MESSAGES["alter"])
        self.transparent = transparent
        """Connect to the server from the client's own address, as a router on the path
        would (the server cannot tell the relay is there)."""
        self.alter = alter
        """(old, new): text the stripping attacker replaces inside the SMTP messages."""
        self.upstream_host = _loopback(upstream_host, MESSAGES["server_address"])
        if isinstance(upstream_port, bool) or not isinstance(upstream_port, int):
            raise InputError(
                MESSAGES["port"].format(what=MESSAGES["server_port"], port=upstream_port)
            )
        if not 1 <= upstream_port <= 65535:
            raise InputError(
                MESSAGES["port"].format(what=MESSAGES["server_port"], port=upstream_port)
            )
        self.upstream_port = upstream_port
        self.host = _loopback(host, MESSAGES["relay_address"])
        for name, value in (
            ("max_connections", max_connections),
            ("max_recorded", max_recorded),
            ("idle_timeout", idle_timeout),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise InputError(MESSAGES["positive"].format(name=name, value=value))
        self.protocol = protocol
        self.strip = strip
        """Whether new connections meet the attacker (it may be switched between runs)."""
        self.upgrade = upgrade
        self.max_connections = max_connections
        self.max_recorded = max_recorded
        self.idle_timeout = float(idle_timeout)
        self.clock = clock
        self.port = 0
        """The relay's port on :attr:`host` (known once it has started)."""
        self.refused = 0
        """Connections closed at once because :attr:`max_connections` were open."""
        self._recorders: deque[Recorder] = deque(maxlen=RELAY_MAX_RECORDINGS)
        self._opened = 0
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)
        self._links: dict[asyncio.Task[None], Link | None] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._closing = False

    # -- life cycle -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> Relay:
        """Listen on a free port of :attr:`host` (idempotent)."""
        if self.running:
            return self
        self._closing = False
        loop = asyncio.new_event_loop()
        failure: list[BaseException] = []
        started = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        # The relay's notes are written in the language of the code that started it.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(main,), name="mailsec-relay", daemon=True
        )
        self._thread.start()
        started.wait(RELAY_CONNECT_TIMEOUT)
        if failure or not started.is_set():
            self._thread.join(5)
            self._thread = self._loop = None
            reason = str(failure[0]) if failure else MESSAGES["late"]
            raise NotAvailable(MESSAGES["start"].format(host=self.host, reason=reason))
        return self

    async def _open(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, 0, limit=RELAY_MAX_LINE)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop listening and drop every connection at once; the recordings stay."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError, concurrent.futures.TimeoutError):
                asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._thread = self._loop = None

    async def _close(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        for link in list(self._links.values()):
            if link is not None:
                link.abort()
        if self._links:
            # Each connection ends as a dropped one ends; the time-out is only a last guard.
            await asyncio.wait(list(self._links), timeout=5)
        for task in list(self._links):
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    # -- recordings ---------------------------------------------------------------------------------

    @property
    def recordings(self) -> tuple[Recording, ...]:
        """Every connection's recording, in the order they opened (open ones included)."""
        with self._lock:
            recorders = list(self._recorders)
        return tuple(r.freeze() for r in recorders)

    def clear(self) -> None:
        """Forget the recordings of connections that have ended."""
        with self._lock:
            kept = [r for r in self._recorders if r.ended is None]
            self._recorders.clear()
            self._recorders.extend(kept)

    def wait_until_idle(self, timeout: float = 5.0) -> bool:
        """Wait (at most ``timeout`` seconds) until every connection has ended; whether they
        have."""
        with self._ended:
            return self._ended.wait_for(lambda: not self._links, timeout)

    # -- connections --------------------------------------------------------------------------------

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing or len(self._links) >= self.max_connections:
            with self._lock:
                self.refused += 1
            writer.transport.abort()
            return
        with self._lock:
            self._opened += 1
            recorder = Recorder(
                self._opened,
                self.protocol,
                strip=self.strip,
                clock=self.clock,
                max_octets=self.max_recorded,
                max_chunks=RELAY_MAX_CHUNKS,
                max_notes=RELAY_MAX_NOTES,
            )
            self._recorders.append(recorder)
        task = asyncio.get_running_loop().create_task(self._serve((reader, writer), recorder))
        self._links[task] = None

        def done(task: asyncio.Task[None]) -> None:
            with self._ended:
                self._links.pop(task, None)
                self._ended.notify_all()

        task.add_done_callback(done)

    async def _serve(self, client: Streams, recorder: Recorder) -> None:
        """Connect to the server and relay one connection until it ends."""
        task = asyncio.current_task()
        assert task is not None
        how = MESSAGES["closed"]
        link: Link | None = None
        try:
            try:
                peer = client[1].get_extra_info("peername")
                local = (peer[0], 0) if self.transparent and peer else None
                server = await asyncio.wait_for(
                    asyncio.open_connection(
                        self.upstream_host,
                        self.upstream_port,
                        limit=RELAY_MAX_LINE,
                        local_addr=local,
                    ),
                    RELAY_CONNECT_TIMEOUT,
                )
            except (OSError, asyncio.TimeoutError) as exc:
                how = MESSAGES["unreachable"].format(
                    host=self.upstream_host,
                    port=self.upstream_port,
                    reason=getattr(exc, "strerror", None) or type(exc).__name__,
                )
                return
            link = Link(client, server, recorder, self.idle_timeout)
            self._links[task] = link
            recorder.note(
                MESSAGES["opened"].format(
                    number=recorder.number, host=self.upstream_host, port=self.upstream_port
                )
            )
            if recorder.strip:
                await strip_session(link, upgrade=self.upgrade, alter=self.alter)
            else:
                await link.pipe()
        except IdleTimeout:
            how = MESSAGES["idle"].format(seconds=self.idle_timeout)
        except (*_DROPPED, asyncio.TimeoutError) as exc:
            how = MESSAGES["dropped"].format(reason=str(exc) or type(exc).__name__)
        except asyncio.CancelledError:
            how = MESSAGES["stopped"]
            raise
        finally:
            if self._closing and how == MESSAGES["closed"]:
                how = MESSAGES["stopped"]
            if link is None:
                client[1].transport.abort()
            elif how == MESSAGES["closed"]:
                link.close()
            else:
                link.abort()
            recorder.end(how)
