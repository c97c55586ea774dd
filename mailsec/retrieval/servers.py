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

:class:`DovecotServers` runs a private Dovecot over a Maildir with the same interface, for
side-by-side comparison in tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import mailbox
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mailsec.errors import InputError, NotAvailable
from mailsec.retrieval import imap, pop3
from mailsec.retrieval.maildir import Delivery, MailStore
from mailsec.retrieval.transcript import Protocol, Transcript, TranscriptRecorder

__all__ = [
    "DovecotServers",
    "FolderView",
    "MailServers",
    "MessageView",
    "read_bounded_line",
]

T = TypeVar("T")

IDLE_TIMEOUT = 1800.0
"""Seconds a connection may stay silent (RFC 3501 §5.4: at least 30 minutes for IMAP)."""
MAX_TRANSCRIPTS = 500
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
        """Unexpected exceptions inside sessions (each was answered with an error reply)."""
        self._recorders: list[TranscriptRecorder] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
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
            self._pop3_client, self.host, self.pop3_port, limit=pop3.MAX_LINE + 2
        )
        try:
            imp = await asyncio.start_server(
                self._imap_client, self.host, self.imap_port, limit=imap.MAX_LINE + 2
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

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        await asyncio.sleep(0)

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
                    from mailsec.retrieval.imap import _header_value

                    messages.append(
                        MessageView(
                            uid,
                            msg.flags,
                            msg.size,
                            _header_value(head, "Subject"),
                            _header_value(head, "From"),
                        )
                    )
                views.append(FolderView(name, tuple(messages)))
            return tuple(views)

        return self.call(look)

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

    async def _pop3_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self.store is not None
        self._writers.add(writer)
        recorder = self._record(Protocol.POP3, writer)
        session = pop3.Pop3Session(self.store, user=self.user, password=self.password)
        how = "dropped"
        try:
            await self._send(writer, recorder, session.greeting().to_wire())
            while True:
                line, too_long = await read_bounded_line(reader, timeout=self.idle_timeout)
                if line is None:
                    break
                with self._lock:
                    if too_long:
                        recorder.note(
                            f"an overlong line (over {pop3.MAX_LINE} octets) was discarded"
                        )
                    else:
                        recorder.client(line)
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
            how = "dropped" if how == "dropped" else how
        finally:
            session.connection_lost()
            with self._lock:
                recorder.end(how)
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _imap_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self.store is not None
        self._writers.add(writer)
        recorder = self._record(Protocol.IMAP, writer)
        session = imap.ImapSession(self.store, user=self.user, password=self.password)
        how = "dropped"
        try:
            await self._send(writer, recorder, session.greeting())
            while True:
                line, too_long = await read_bounded_line(reader, timeout=self.idle_timeout)
                if line is None:
                    break
                with self._lock:
                    if too_long:
                        recorder.note(
                            f"an overlong line (over {imap.MAX_LINE} octets) was discarded"
                        )
                    else:
                        recorder.client(line)
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
                    session._parts = []
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
            with self._lock:
                recorder.end(how)
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()


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
            import pwd

            uid, gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(uid).pw_name
            users = (
                f"default_internal_user = {me}\ndefault_login_user = {me}\n"
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
