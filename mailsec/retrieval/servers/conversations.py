"""The conversations: for each connection, the loop that feeds a session the client's lines.

:class:`Conversations` is the part of :class:`~mailsec.retrieval.servers.shells.MailServers`
that talks to one client: read a bounded line (:mod:`~mailsec.retrieval.servers.lines`), record
it, hand it to the pure :class:`~mailsec.retrieval.pop3.Pop3Session` or
:class:`~mailsec.retrieval.imap.ImapSession`, slow a wrong password's answer down, record and
send the reply, and end the transcript however the connection ends. When a reply asks for TLS
(STLS, STARTTLS), or the port is an implicit-TLS one, the handshake runs here
(:func:`~mailsec.retrieval.servers.tls.start_tls`) and the conversation goes on over the new
streams; the plaintext ones are never read again.

MailServers provides what the conversations use: the store and the account, the time-outs and
TLS settings, the lock that guards transcripts, and :meth:`_record`, :meth:`_answer_delay` and
:meth:`_logged_in` (connection and penalty bookkeeping shared by all its connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import threading

from mailsec.retrieval import imap, pop3
from mailsec.retrieval.maildir import MailStore
from mailsec.retrieval.sasl import ConnectionSecurity
from mailsec.retrieval.servers.lines import read_bounded_line, read_idle_line
from mailsec.retrieval.servers.tls import HandshakeFailed, ServerTls, start_tls
from mailsec.retrieval.transcript import Protocol, TranscriptRecorder

__all__ = ["Conversations"]

Session = pop3.Pop3Session | imap.ImapSession
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]

_DROPPED = (ConnectionError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError)
"""How a connection ends under a session: reset, broken TLS, silent too long, cut mid-literal."""

HANDSHAKE_FAILED = "closed after a failed TLS handshake"
"""How a transcript says a session ended whose TLS handshake failed."""

LIMITS = {Protocol.POP3: pop3.MAX_LINE + 2, Protocol.IMAP: imap.MAX_LINE + 2}
"""Each protocol's reader limit: its longest line and the CRLF."""


class Conversations:
    """The per-connection loops of the servers (see the module's docstring); a subclass
    provides the attributes below and the three bookkeeping methods."""

    store: MailStore | None
    user: str
    password: str
    login_timeout: float
    idle_timeout: float
    tls: ServerTls | None
    require_tls: bool
    tls_handshake_timeout: float
    errors: list[BaseException]
    _lock: threading.Lock
    _ended: threading.Condition

    def _record(self, protocol: Protocol, writer: asyncio.StreamWriter) -> TranscriptRecorder:
        raise NotImplementedError

    async def _answer_delay(self, writer: asyncio.StreamWriter, before: int, after: int) -> None:
        raise NotImplementedError

    def _logged_in(self, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

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

    def _security(self) -> ConnectionSecurity:
        """A new connection's TLS: offered when the servers have a certificate."""
        return ConnectionSecurity(offered=self.tls is not None, required=self.require_tls)

    async def _start_tls(
        self, streams: Streams, recorder: TranscriptRecorder, session: Session, implicit: bool
    ) -> Streams:
        """The handshake (:func:`~mailsec.retrieval.servers.tls.start_tls`): the streams inside
        TLS, or :class:`HandshakeFailed`; what it says goes into the transcript."""
        assert self.tls is not None
        return await start_tls(
            *streams,
            self.tls.context,
            session=session,
            timeout=self.tls_handshake_timeout,
            limit=LIMITS[recorder.protocol],
            implicit=implicit,
            note=functools.partial(self._note, recorder),
        )

    def _note(self, recorder: TranscriptRecorder, text: str) -> None:
        with self._lock:
            recorder.note(text)

    async def _pop3_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, implicit: bool
    ) -> None:
        assert self.store is not None
        recorder = self._record(Protocol.POP3, writer)
        session = pop3.Pop3Session(
            self.store, user=self.user, password=self.password, security=self._security()
        )
        how = "dropped"
        try:
            if implicit:
                reader, writer = await self._start_tls((reader, writer), recorder, session, True)
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
                if reply.starttls:
                    reader, writer = await self._start_tls(
                        (reader, writer), recorder, session, False
                    )
        except HandshakeFailed:
            how = HANDSHAKE_FAILED
        except _DROPPED:
            pass  # a dropped connection: ``how`` says how far the session got
        finally:
            session.connection_lost()
            self._forget(writer, recorder, how)

    async def _imap_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, implicit: bool
    ) -> None:
        assert self.store is not None
        recorder = self._record(Protocol.IMAP, writer)
        session = imap.ImapSession(
            self.store, user=self.user, password=self.password, security=self._security()
        )
        how = "dropped"
        before = imap.ImapState.NOT_AUTHENTICATED
        try:
            if implicit:
                reader, writer = await self._start_tls((reader, writer), recorder, session, True)
            await self._send(writer, recorder, session.greeting())
            while True:
                if session.idling is None:
                    timeout = self.login_timeout if session.state is before else self.idle_timeout
                    line, too_long = await read_bounded_line(reader, timeout=timeout)
                else:
                    push = functools.partial(self._send, writer, recorder)
                    line, too_long = await read_idle_line(reader, session, self.idle_timeout, push)
                if line is None:
                    break
                self._record_line(recorder, line, too_long, imap.MAX_LINE)
                failures = session.auth_failures
                waiting = session.state is before
                result = await self._imap_command(
                    (reader, writer), recorder, session, line, too_long
                )
                await self._answer_delay(writer, failures, session.auth_failures)
                if waiting and session.state is not before:
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
                if result.starttls:
                    reader, writer = await self._start_tls(
                        (reader, writer), recorder, session, False
                    )
        except HandshakeFailed:
            how = HANDSHAKE_FAILED
        except _DROPPED:
            pass
        finally:
            session.connection_lost()
            self._forget(writer, recorder, how)

    async def _imap_command(
        self,
        streams: Streams,
        recorder: TranscriptRecorder,
        session: imap.ImapSession,
        line: bytes,
        too_long: bool,
    ) -> imap.ImapResult:
        """Feed the session a command's first line, then its literals and the lines after
        them as it asks for them (a ``+ OK`` first for a synchronising literal); the result of
        the complete command. A fault inside the session is answered with BAD."""
        reader, writer = streams
        try:
            result = session.too_long() if too_long else session.feed(line)
            while result.literal is not None:
                if result.continuation:
                    await self._send(writer, recorder, b"+ OK\r\n")
                data = await asyncio.wait_for(reader.readexactly(result.literal), self.idle_timeout)
                with self._lock:
                    recorder.client_literal(data)
                session.feed_literal(data)
                following, too_long = await read_bounded_line(reader, timeout=self.idle_timeout)
                if following is None:
                    raise asyncio.IncompleteReadError(b"", None)
                line = following
                with self._lock:
                    recorder.client(line)
                result = session.too_long() if too_long else session.feed(line)
        except _DROPPED:
            raise
        except Exception as exc:  # a bug must not take the server down
            self.errors.append(exc)
            session.reset_input()
            result = imap.ImapResult((b"* BAD Internal error; nothing was changed.\r\n",))
        return result
