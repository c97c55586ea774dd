"""Real POP3 and IMAP4 servers on 127.0.0.1, as thin asyncio shells around the pure sessions.

::

    from mailsec.retrieval.servers import MailServers

    with MailServers(maildir=path, user="alice", password="secret", quota=None) as servers:
        servers.host, servers.pop3_port, servers.imap_port    # free ports of 127.0.0.1
        servers.deliver(message_bytes)                         # into INBOX, respecting the quota
        servers.transcripts                                    # the recorded sessions, in order

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

:class:`DovecotServers` runs a private Dovecot over a Maildir with the same interface, for
side-by-side comparison in tests and benchmarks.

:func:`run_wire_action` runs one short, named client session with Python's ``poplib`` or
``imaplib`` (list, download and keep, download and delete, drop before QUIT, two devices, a full
mailbox ...) and returns the transcripts with the Maildir before and after: the wire lab's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import imaplib
import mailbox
import os
import poplib
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mailsec.errors import InputError, NotAvailable
from mailsec.retrieval import imap, pop3
from mailsec.retrieval.maildir import Delivery, MailStore
from mailsec.retrieval.transcript import Protocol, Transcript, TranscriptRecorder
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "SAMPLE_MESSAGES",
    "Change",
    "DovecotServers",
    "FolderView",
    "MailServers",
    "MessageChange",
    "MessageView",
    "WireAction",
    "WireRun",
    "compare_snapshots",
    "read_bounded_line",
    "reset_mailbox",
    "run_wire_action",
]

T = TypeVar("T")

IDLE_TIMEOUT = 1800.0
"""Seconds a connection may stay silent (RFC 3501 §5.4: at least 30 minutes for IMAP)."""
MAX_TRANSCRIPTS = 100
"""Sessions kept in :attr:`MailServers.transcripts`; older ones are forgotten first."""


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
            line = await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
        except asyncio.LimitOverrunError as exc:
            too_long = True
            await asyncio.wait_for(reader.readexactly(max(exc.consumed, 1)), timeout)
            continue
        except asyncio.IncompleteReadError:
            return None, too_long
        if too_long:
            return b"", True
        if line.endswith(b"\r\n"):
            return line[:-2], False
        return line[:-1], False


@dataclass(frozen=True)
class MessageView:
    """One message as the lab shows it."""

    uid: int
    flags: frozenset[str]
    size: int
    subject: str
    sender: str


@dataclass(frozen=True)
class FolderView:
    """One folder's messages, in UID order."""

    name: str
    messages: tuple[MessageView, ...]


class MailServers:
    """A POP3 and an IMAP4 server for one user over one Maildir, on 127.0.0.1.

    Ports default to 0 (a free port is chosen). ``quota`` is in bytes or ``None``.
    ``idle_timeout`` is how long a silent connection is kept.
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
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not user or any(c.isspace() for c in user):
            raise InputError(
                f"The user name {user!r} is empty or has spaces: give one word, like 'alice'."
            )
        if not password or "\n" in password or "\r" in password:
            raise InputError("The password is empty or has a line break: give a one-line password.")
        for label, port in (("POP3", pop3_port), ("IMAP", imap_port)):
            if not 0 <= port <= 65535:
                raise InputError(
                    f"The {label} port {port} is not between 0 and 65535: choose another."
                )
        if quota is not None and quota < 0:
            raise InputError(f"The quota {quota} is negative: give a number of bytes, 0 or more.")
        self.maildir = Path(maildir)
        self.user = user
        self.password = password
        self.quota = quota
        self.host = host
        self.pop3_port = pop3_port
        self.imap_port = imap_port
        self.idle_timeout = idle_timeout
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
        if thread.is_alive():
            with contextlib.suppress(RuntimeError, TimeoutError, Exception):
                asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._thread = None
        self._loop = None
        if self.store is not None:
            self.store.release_locks()

    async def _close(self) -> None:
        self._closing = True
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
            with contextlib.suppress(Exception):
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

        def look(store: MailStore) -> tuple[FolderView, ...]:
            views = []
            for name in store.folder_names():
                folder = store.folder(name)
                folder.sync()
                messages = []
                for uid, msg in folder.messages.items():
                    try:
                        head = folder.read(uid).split(b"\r\n\r\n", 1)[0]
                    except KeyError:
                        continue
                    messages.append(
                        MessageView(
                            uid,
                            msg.flags,
                            msg.size,
                            imap.header_value(head, "Subject"),
                            imap.header_value(head, "From"),
                        )
                    )
                views.append(FolderView(name, tuple(messages)))
            return tuple(views)

        return self.call(look)

    def set_quota(self, quota: int | None) -> None:
        """Change the mailbox quota (bytes, or ``None`` for none) while the servers run."""
        if quota is not None and quota < 0:
            raise InputError(f"The quota {quota} is negative: give a number of bytes, 0 or more.")

        def change(store: MailStore) -> None:
            store.quota = quota

        self.call(change)
        self.quota = quota

    def wait_until_idle(self, timeout: float = 5.0) -> bool:
        """Wait (at most ``timeout`` seconds) until every recorded session has ended."""
        with self._ended:
            return self._ended.wait_for(
                lambda: all(r.ended is not None for r in self._recorders), timeout
            )

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
        self, writer: asyncio.StreamWriter, recorder: TranscriptRecorder, wire: bytes
    ) -> None:
        with self._lock:
            recorder.server(wire)
        writer.write(wire)
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
            task = asyncio.get_running_loop().create_task(session(reader, writer))
            self._connections[writer] = task

            def done(task: asyncio.Task[None]) -> None:
                self._connections.pop(writer, None)
                if not task.cancelled() and task.exception() is not None:
                    self.errors.append(task.exception())  # type: ignore[arg-type]
                    writer.transport.abort()

            task.add_done_callback(done)

        return accept

    def _forget(self, writer: asyncio.StreamWriter, recorder: TranscriptRecorder, how: str) -> None:
        """End the transcript and close the connection."""
        with self._ended:
            recorder.end(how)
            self._ended.notify_all()
        with contextlib.suppress(Exception):
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
                line, too_long = await read_bounded_line(reader, timeout=self.idle_timeout)
                if line is None:
                    break
                self._record_line(recorder, line, too_long, pop3.MAX_LINE)
                try:
                    reply = session.too_long() if too_long else session.handle(line)
                except Exception as exc:  # a bug must not take the server down
                    self.errors.append(exc)
                    reply = pop3.Pop3Reply(False, "Internal error; nothing was changed.")
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
            return await read_bounded_line(reader, timeout=self.idle_timeout)
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
                for response in result.responses:
                    await self._send(writer, recorder, response)
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


# -- Dovecot, the reference server -------------------------------------------------------------------


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class DovecotServers:
    """A private Dovecot (POP3 + IMAP) over a Maildir on 127.0.0.1, for comparison.

    It has its own configuration, ``base_dir`` and passwd-file in a temporary folder and never
    touches the system's Dovecot. The POP3 maildrop lock is switched on (``pop3_lock_session``),
    as RFC 1939 §8 asks; the quota, when given, is the "User quota" root of the quota plugin.
    When run as root, mail is accessed as the unprivileged user ``nobody`` and the Maildir is
    handed to that user (Dovecot refuses mail access as root).
    """

    def __init__(
        self,
        maildir: str | os.PathLike[str] | None = None,
        *,
        user: str,
        password: str,
        quota: int | None = None,
        messages: Iterable[bytes] = (),
        binary: str | None = None,
    ) -> None:
        self._maildir = Path(maildir) if maildir is not None else None
        self.maildir = self._maildir or Path()
        self.user = user
        self.password = password
        self.quota = quota
        self.messages = tuple(messages)
        self.host = "127.0.0.1"
        self.binary = (
            binary
            or shutil.which("dovecot")
            or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
        )
        self.pop3_port = 0
        self.imap_port = 0
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._finalizer: weakref.finalize | None = None

    def __enter__(self) -> DovecotServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists())

    def start(self) -> DovecotServers:
        if self.binary is None:
            raise NotAvailable(
                "Dovecot is not installed: install the Debian packages dovecot-imapd and dovecot-pop3d."
            )
        self._workdir = tempfile.TemporaryDirectory(prefix="mailsec-dovecot-")
        work = Path(self._workdir.name)
        os.chmod(work, 0o755)
        # Without a Maildir of its own it serves one inside its temporary folder, which the
        # unprivileged mail user can reach (a folder under a private /tmp tree would not do).
        self.maildir = self._maildir or work / "mail" / "Maildir"
        self.maildir.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self.maildir, create=True)
        for data in self.messages:
            box.add(data.replace(b"\r\n", b"\n"))
        if os.geteuid() == 0:
            uid = gid = 65534
            for root, dirs, files in os.walk(self.maildir):
                for name in [*dirs, *files]:
                    os.chown(os.path.join(root, name), uid, gid)
            os.chown(self.maildir, uid, gid)
            os.chown(self.maildir.parent, uid, gid)
            users = ""
        else:
            import grp
            import pwd

            uid, gid = os.getuid(), os.getgid()
            me, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
            # Without root, every Dovecot process runs as this user, and its sockets belong to
            # this user's group (checked as the user nobody with Dovecot 2.3.19).
            users = (
                f"default_internal_user = {me}\ndefault_login_user = {me}\n"
                f"default_internal_group = {group}\n"
                "service imap-login {\n  chroot =\n}\nservice pop3-login {\n  chroot =\n}\n"
            )
        self.pop3_port, self.imap_port = _free_port(), _free_port()
        passwd = work / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{self.maildir}\n")
        os.chmod(passwd, 0o644)
        quota = (
            "mail_plugins = quota\nprotocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n"
            f"plugin {{\n  quota = maildir:User quota\n  quota_rule = *:storage={max(self.quota // 1024, 1)}K\n}}\n"
            if self.quota is not None
            else ""
        )
        config = f"""
base_dir = {work}/run
state_dir = {work}/state
instance_name = mailsec-{self.pop3_port}
protocols = imap pop3
listen = 127.0.0.1
log_path = {work}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
mail_location = maildir:{self.maildir}
pop3_lock_session = yes
pop3_uidl_format = %08Xu%08Xv
{users}{quota}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        self.config = work / "dovecot.conf"
        self.config.write_text(config)
        # The master daemonises and its children keep the standard streams: send them to a
        # file, not a pipe, or waiting for the command would wait for Dovecot to end.
        with open(work / "startup.log", "w+") as startup:
            completed = subprocess.run(
                [self.binary, "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=startup,
                stderr=startup,
                timeout=30,
            )
            startup.seek(0)
            startup_text = startup.read()
        self._finalizer = weakref.finalize(
            self, DovecotServers._kill, str(work / "run" / "master.pid")
        )
        if completed.returncode != 0 or not (
            _wait_for_port(self.host, self.pop3_port, 15)
            and _wait_for_port(self.host, self.imap_port, 15)
        ):
            log = (work / "dovecot.log").read_text() if (work / "dovecot.log").exists() else ""
            self.stop()
            raise NotAvailable(
                f"Dovecot did not start: {startup_text.strip() or log.strip()[-300:]}"
            )
        return self

    @staticmethod
    def _kill(pid_file: str) -> None:
        try:
            pid = int(Path(pid_file).read_text().strip())
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        if self._workdir is not None:
            with contextlib.suppress(OSError):
                self._workdir.cleanup()
            self._workdir = None


# -- demonstrations: the standard clients talking to the servers (used by the wire lab) ------------


class WireAction(enum.Enum):
    """A short session a mail client runs against the servers, to watch one rule happen."""

    POP3_LIST = "pop3-list"
    """POP3: log in, count and list the messages with their unique ids, QUIT."""
    POP3_KEEP = "pop3-keep"
    """POP3: download the first message and leave it on the server ("leave a copy")."""
    POP3_DOWNLOAD_DELETE = "pop3-download-delete"
    """POP3: download every message and delete them from the server (the classic setting)."""
    POP3_DROP = "pop3-drop"
    """POP3: mark every message for deletion, then lose the connection before QUIT."""
    POP3_LOCK = "pop3-lock"
    """POP3: a second device logs in while the first one's session is open."""
    IMAP_LIST = "imap-list"
    """IMAP: log in, open INBOX, fetch every message's flags, size and subject."""
    IMAP_READ = "imap-read"
    """IMAP: read the first message: the server marks it \\Seen for every device."""
    IMAP_TWO_DEVICES = "imap-two-devices"
    """IMAP: the phone reads and deletes a message; the laptop, connected too, is told at once."""
    IMAP_DELETE = "imap-delete"
    """IMAP: flag the first message \\Deleted and EXPUNGE it."""
    QUOTA_FULL = "quota-full"
    """Quota: ask for the quota (GETQUOTAROOT), then a 4 KB newsletter arrives."""
    DELIVER = "deliver"
    """New mail arrives from the Internet (delivered into INBOX)."""

    @property
    def label(self) -> str:
        """A short name for menus."""
        return _ACTION_LABELS[self]

    @property
    def description(self) -> str:
        """One sentence on what the client does."""
        return _ACTION_HELP[self]


_ACTION_HELP = {
    WireAction.POP3_LIST: "The client logs in, counts and lists the messages with their unique ids (UIDL), and says QUIT.",
    WireAction.POP3_KEEP: "The client downloads the first message and says QUIT without deleting it: 'leave a copy on the server'.",
    WireAction.POP3_DOWNLOAD_DELETE: "The client downloads every message, marks each for deletion (DELE) and says QUIT.",
    WireAction.POP3_DROP: "The client marks every message for deletion, then the connection is lost before QUIT.",
    WireAction.POP3_LOCK: "A laptop is logged in; a phone tries to log in to the same mailbox at the same time.",
    WireAction.IMAP_LIST: "The client opens INBOX and asks for each message's flags, size, sender and subject only.",
    WireAction.IMAP_READ: "The client reads the first message (FETCH BODY[]).",
    WireAction.IMAP_TWO_DEVICES: "A laptop and a phone are connected at once; the phone reads and deletes a message.",
    WireAction.IMAP_DELETE: "The client flags the first message \\Deleted and sends EXPUNGE.",
    WireAction.QUOTA_FULL: "The client asks for the quota (GETQUOTAROOT), then a 4 KB newsletter arrives from the Internet.",
    WireAction.DELIVER: "A short message arrives from the Internet and is delivered into INBOX.",
}

_ACTION_LABELS = {
    WireAction.POP3_LIST: "POP3: list the messages",
    WireAction.POP3_KEEP: "POP3: download one, leave a copy on the server",
    WireAction.POP3_DOWNLOAD_DELETE: "POP3: download all and delete from the server",
    WireAction.POP3_DROP: "POP3: delete all, but the connection drops before QUIT",
    WireAction.POP3_LOCK: "POP3: two devices at once (the maildrop lock)",
    WireAction.IMAP_LIST: "IMAP: list the messages on the server",
    WireAction.IMAP_READ: "IMAP: read the first message",
    WireAction.IMAP_TWO_DEVICES: "IMAP: phone and laptop connected at once",
    WireAction.IMAP_DELETE: "IMAP: delete the first message (EXPUNGE)",
    WireAction.QUOTA_FULL: "Quota: a 4 KB newsletter arrives",
    WireAction.DELIVER: "New mail arrives",
}


class Change(enum.Enum):
    """What happened to one message during a demonstration."""

    ADDED = "added"
    """It arrived (delivered, appended or copied)."""
    REMOVED = "removed"
    """It was deleted from the server for good."""
    FLAGS = "flags changed"
    """Its flags changed (for example it became \\Seen)."""


@dataclass(frozen=True)
class MessageChange:
    """One message that changed in the Maildir."""

    folder: str
    uid: int
    subject: str
    change: Change
    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()


@dataclass(frozen=True)
class WireRun:
    """The outcome of one demonstration: the conversations, the Maildir before and after."""

    action: WireAction
    transcripts: tuple[Transcript, ...]
    before: tuple[FolderView, ...]
    after: tuple[FolderView, ...]
    changes: tuple[MessageChange, ...]
    steps: Trace
    delivery: Delivery | None = None


def compare_snapshots(
    before: tuple[FolderView, ...], after: tuple[FolderView, ...]
) -> tuple[MessageChange, ...]:
    """The messages that were added, removed or re-flagged between two snapshots."""
    old = {(f.name, m.uid): m for f in before for m in f.messages}
    new = {(f.name, m.uid): m for f in after for m in f.messages}
    changes = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[0] != "INBOX", k)):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            changes.append(MessageChange(key[0], key[1], b.subject, Change.ADDED, after=b.flags))
        elif b is None and a is not None:
            changes.append(MessageChange(key[0], key[1], a.subject, Change.REMOVED, before=a.flags))
        elif a is not None and b is not None and a.flags != b.flags:
            changes.append(MessageChange(key[0], key[1], b.subject, Change.FLAGS, a.flags, b.flags))
    return tuple(changes)


SAMPLE_MESSAGES: tuple[bytes, ...] = (
    b"From: Ken Sato <ken@example.org>\nTo: alice@example.org\nSubject: Lunch on Friday?\n"
    b"Date: Mon, 23 Nov 2026 09:12:00 +0900\n\nHi Alice,\nare you free for lunch on Friday?\nKen\n",
    b"From: Shop <orders@shop.example.com>\nTo: alice@example.org\nSubject: Your receipt\n"
    b"Date: Tue, 24 Nov 2026 18:40:00 +0900\n\nThank you for your order no. 1042.\n"
    b"Total: 3,980 yen\n",
    b"From: Mei <mei@example.org>\nTo: alice@example.org\nSubject: Photos from the trip\n"
    b"Date: Wed, 25 Nov 2026 21:05:00 +0900\n\nThe photos are in the shared album.\n"
    b"See you soon!\n",
)
NEWSLETTER = (
    b"From: News <news@example.net>\nTo: alice@example.org\nSubject: Weekly newsletter\n\n"
    + b"This week's long newsletter text. " * 115
    + b"\n"
)
NEW_MAIL = (
    b"From: Boss <boss@example.org>\nTo: alice@example.org\nSubject: Project update\n\n"
    b"The project meeting moved to 3 pm.\n"
)


class _EmptyMailbox(Exception):
    """INBOX has no messages for an IMAP demonstration to work on."""


def reset_mailbox(servers: MailServers, messages: Iterable[bytes] = SAMPLE_MESSAGES) -> None:
    """Empty every folder and deliver ``messages`` again (the wire lab's Reset button)."""

    def reset(store: MailStore) -> None:
        for name in store.folder_names():
            folder = store.folder(name)
            folder.sync()
            folder.expunge(list(folder.messages))
        quota, store.quota = store.quota, None
        try:
            for data in messages:
                store.deliver(data)
        finally:
            store.quota = quota

    servers.call(reset)


def run_wire_action(servers: MailServers, action: WireAction, *, timeout: float = 5.0) -> WireRun:
    """Run one demonstration with Python's ``poplib``/``imaplib`` and report what happened."""
    if not servers.running:
        raise InputError("The servers are stopped: run the lab again to start new ones.")
    before = servers.snapshot()
    first_session = servers._sessions
    steps: list[Step] = []
    delivery: Delivery | None = None
    host = servers.host
    user, password = servers.user, servers.password

    opened: list[poplib.POP3 | imaplib.IMAP4] = []

    def pop3_login() -> poplib.POP3:
        client = poplib.POP3(host, servers.pop3_port, timeout=timeout)
        opened.append(client)
        client.user(user)
        client.pass_(password)
        return client

    def imap_login() -> imaplib.IMAP4:
        client = imaplib.IMAP4(host, servers.imap_port, timeout=timeout)
        opened.append(client)
        client.login(user, password)
        typ, data = client.select("INBOX")
        if typ == "OK" and data[0] == b"0" and action is not WireAction.QUOTA_FULL:
            raise _EmptyMailbox
        return client

    try:
        if action is WireAction.POP3_LIST:
            client = pop3_login()
            count, size = client.stat()
            client.list()
            client.uidl()
            client.quit()
            steps.append(
                Step(
                    f"The maildrop holds {count} messages, {size} bytes.",
                    Outcome.INFO,
                    "RFC 1939 §5",
                )
            )
            steps.append(
                Step(
                    "UIDL gives each message a unique id that never changes: a client that "
                    "leaves mail on the server uses it to download nothing twice.",
                    Outcome.OK,
                    "RFC 1939 §7",
                )
            )
        elif action is WireAction.POP3_KEEP:
            client = pop3_login()
            count, _size = client.stat()
            if not count:
                client.quit()
                raise _EmptyMailbox
            client.retr(1)
            client.quit()
            steps.append(
                Step(
                    "The client downloaded message 1 and sent QUIT without DELE: the message "
                    "stays on the server (the 'leave a copy on the server' setting).",
                    Outcome.OK,
                    "RFC 1939 §6",
                )
            )
            steps.append(
                Step(
                    "POP3 does not always delete mail: deleting is the client's choice (DELE).",
                    Outcome.INFO,
                    "RFC 1939 §5",
                )
            )
        elif action is WireAction.POP3_DOWNLOAD_DELETE:
            client = pop3_login()
            count, _size = client.stat()
            for number in range(1, count + 1):
                client.retr(number)
                client.dele(number)
            client.quit()
            steps.append(
                Step(
                    f"The client downloaded {count} messages and marked each with DELE.",
                    Outcome.INFO,
                    "RFC 1939 §5",
                )
            )
            steps.append(
                Step(
                    "At QUIT the server entered the UPDATE state and removed them: the mail now "
                    "lives only on this device.",
                    Outcome.WARN,
                    "RFC 1939 §6",
                )
            )
        elif action is WireAction.POP3_DROP:
            client = pop3_login()
            count, _size = client.stat()
            for number in range(1, count + 1):
                client.dele(number)
            client.file.close()
            client.sock.close()  # the connection drops: no QUIT
            if not count:
                raise _EmptyMailbox
            steps.append(
                Step(
                    f"The client marked {count} messages with DELE, then the connection dropped.",
                    Outcome.WARN,
                    "RFC 1939 §5",
                )
            )
            steps.append(
                Step(
                    "Without QUIT there is no UPDATE state: nothing was deleted.",
                    Outcome.OK,
                    "RFC 1939 §6",
                )
            )
        elif action is WireAction.POP3_LOCK:
            laptop = pop3_login()
            phone = poplib.POP3(host, servers.pop3_port, timeout=timeout)
            phone.user(user)
            try:
                phone.pass_(password)
                refused = ""
            except poplib.error_proto as exc:
                refused = exc.args[0].decode("utf-8", "replace")
            laptop.quit()
            steps.append(
                Step(
                    "The laptop logged in first: the server locked the maildrop.",
                    Outcome.INFO,
                    "RFC 1939 §8",
                )
            )
            steps.append(
                Step(
                    f"The phone was refused with '{refused}' while the laptop's session was open.",
                    Outcome.FAIL if refused else Outcome.WARN,
                    "RFC 2449 §8.1.2",
                )
            )
            steps.append(
                Step(
                    "POP3 serves one session at a time per mailbox: it is made for one device.",
                    Outcome.INFO,
                    "RFC 1939 §8",
                )
            )
        elif action is WireAction.IMAP_LIST:
            client = imap_login()
            client.fetch("1:*", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
            client.logout()
            steps.append(
                Step(
                    "The client asked for flags, sizes and headers only: the mail stays on the "
                    "server and nothing is downloaded in full.",
                    Outcome.OK,
                    "RFC 3501 §6.4.5",
                )
            )
        elif action is WireAction.IMAP_READ:
            client = imap_login()
            client.fetch("1", "(BODY[])")
            client.logout()
            steps.append(
                Step(
                    "FETCH BODY[] returned the message and set its \\Seen flag on the server.",
                    Outcome.OK,
                    "RFC 3501 §6.4.5",
                )
            )
            steps.append(
                Step(
                    "Every device that connects sees it as read: read state lives on the server.",
                    Outcome.INFO,
                    "RFC 3501 §2.3.2",
                )
            )
        elif action is WireAction.IMAP_TWO_DEVICES:
            laptop = imap_login()
            phone = imap_login()
            # The laptop waits with IDLE (RFC 2177), as desktop mail apps do; imaplib of Python
            # 3.11 has no idle(), so the two lines are sent by hand.
            laptop.send(b"IDLE1 IDLE\r\n")
            laptop.readline()  # "+ idling"
            phone.fetch("1", "(BODY[])")
            phone.store("1", "+FLAGS", "(\\Deleted)")
            phone.expunge()
            pushed: list[bytes] = []
            while not any(b"EXPUNGE" in line for line in pushed) and len(pushed) < 10:
                pushed.append(laptop.readline())
            laptop.send(b"DONE\r\n")
            while not laptop.readline().startswith(b"IDLE1 "):
                pass
            phone.logout()
            laptop.logout()
            steps.append(
                Step(
                    "Both devices were connected at once: IMAP allows that; the laptop was "
                    "waiting with IDLE.",
                    Outcome.OK,
                    "RFC 2177 §3",
                )
            )
            steps.append(
                Step(
                    "The phone read message 1 (it became \\Seen), flagged it \\Deleted and "
                    "expunged it.",
                    Outcome.INFO,
                    "RFC 3501 §6.4.3",
                )
            )
            shown = ", ".join(line.decode("ascii", "replace").strip() for line in pushed)
            steps.append(
                Step(
                    f"The server told the laptop at once, without being asked: {shown}. Both "
                    "devices show the same mailbox.",
                    Outcome.OK,
                    "RFC 3501 §7.4.1",
                )
            )
        elif action is WireAction.IMAP_DELETE:
            client = imap_login()
            client.store("1", "+FLAGS", "(\\Deleted)")
            client.expunge()
            client.logout()
            steps.append(
                Step(
                    "STORE +FLAGS (\\Deleted) only marks; EXPUNGE removed the message for every device.",
                    Outcome.WARN,
                    "RFC 3501 §6.4.3",
                )
            )
        elif action is WireAction.QUOTA_FULL:
            client = imap_login()
            _typ, data = client.getquotaroot("INBOX")
            client.logout()
            delivery = servers.deliver(NEWSLETTER)
            quota = servers.quota
            steps.append(
                Step(
                    f"GETQUOTAROOT: {', '.join(str(d) for d in data[1]) if len(data) > 1 and data[1] else 'no quota set'}"
                    " (STORAGE used and limit, in units of 1024 bytes).",
                    Outcome.INFO,
                    "RFC 9208 §4.1.2",
                )
            )
            if delivery.accepted:
                text = (
                    "No quota is set, so the newsletter fits."
                    if quota is None
                    else f"The newsletter fits: {delivery.used} of {quota} bytes are used now."
                )
                steps.append(Step(text, Outcome.OK, "RFC 5321 §4.2.2"))
            else:
                steps.append(
                    Step(
                        f"The mailbox is full ({delivery.used} of {quota} bytes): the server answered "
                        f"'{delivery.status}' and the sender gets a bounce. Delete mail on the server "
                        "before new mail can arrive.",
                        Outcome.FAIL,
                        "RFC 3463 §3.3",
                    )
                )
        elif action is WireAction.DELIVER:
            delivery = servers.deliver(NEW_MAIL)
            steps.extend(delivery.steps)
        else:  # pragma: no cover - every action is handled above
            raise InputError(f"Unknown action {action!r}.")
    except _EmptyMailbox:
        steps.append(
            Step(
                "INBOX is empty, so there is nothing to do: let new mail arrive or reset the "
                "mailbox first.",
                Outcome.WARN,
            )
        )
    except (OSError, poplib.error_proto, imaplib.IMAP4.error) as exc:
        steps.append(Step(f"The client stopped with an error: {exc}", Outcome.FAIL))
    finally:
        for client in opened:
            # Whatever happened, no connection is left open (a POP3 one would hold the lock).
            for part in (getattr(client, "file", None), getattr(client, "sock", None)):
                if part is not None:
                    with contextlib.suppress(OSError):
                        part.close()
    servers.wait_until_idle(timeout)
    after = servers.snapshot()
    transcripts = tuple(t for t in servers.transcripts if t.number > first_session)
    return WireRun(
        action, transcripts, before, after, compare_snapshots(before, after), tuple(steps), delivery
    )
