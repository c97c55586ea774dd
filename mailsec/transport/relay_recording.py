"""What the relay records: the bytes of one connection in both directions, with their times.

A :class:`Recording` is what a wiretap between the mail client and the server holds: every chunk
of bytes as it passed (:class:`Chunk`, with its direction and the seconds since the connection
opened), how many bytes went each way in all, how many of them were only counted because the
recording was full, and -- when the relay is an attacker -- what it did (:class:`RelayNote`).
:func:`mailsec.transport.relay_view.eavesdrop` reads a recording; the relay
(:mod:`mailsec.transport.relay`) makes them. Nothing here does I/O.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Chunk", "Direction", "MailProtocol", "Recorder", "Recording", "RelayNote"]


class MailProtocol(enum.Enum):
    """The mail protocol spoken through the relay; it decides which lines carry a password and
    how a connection asks for TLS."""

    SMTP = "SMTP"
    """Message submission (RFC 6409): STARTTLS (RFC 3207) on port 587, implicit TLS on 465."""
    POP3 = "POP3"
    """POP3 (RFC 1939): STLS (RFC 2595 §4) on port 110, implicit TLS (POP3S) on 995."""
    IMAP = "IMAP"
    """IMAP4 (RFC 3501): STARTTLS (§6.2.1) on port 143, implicit TLS (IMAPS) on 993."""

    @property
    def upgrade_command(self) -> str:
        """The command that asks for TLS on a plaintext connection."""
        return "STLS" if self is MailProtocol.POP3 else "STARTTLS"

    @property
    def upgrade_section(self) -> str:
        """Where the upgrade command is defined."""
        return {
            MailProtocol.SMTP: "RFC 3207 §4",
            MailProtocol.POP3: "RFC 2595 §4",
            MailProtocol.IMAP: "RFC 3501 §6.2.1",
        }[self]

    @property
    def implicit_section(self) -> str:
        """Where implicit TLS (TLS from the first byte on a port of its own) is defined."""
        return {
            MailProtocol.SMTP: "RFC 8314 §3.3",
            MailProtocol.POP3: "RFC 8314 §3.1",
            MailProtocol.IMAP: "RFC 8314 §3.2",
        }[self]

    @property
    def ports(self) -> tuple[int, int]:
        """The standard ports: (plaintext with the upgrade command, implicit TLS)."""
        return {
            MailProtocol.SMTP: (587, 465),
            MailProtocol.POP3: (110, 995),
            MailProtocol.IMAP: (143, 993),
        }[self]


class Direction(enum.Enum):
    """Which way bytes went on the client's side of the wire."""

    TO_SERVER = "client"
    """Sent by the mail client."""
    TO_CLIENT = "server"
    """Received by the mail client: sent by the server, or by an attacker in its name."""

    @property
    def mark(self) -> str:
        """``C:`` or ``S:``, as RFC examples mark the two sides."""
        return "C:" if self is Direction.TO_SERVER else "S:"


@dataclass(frozen=True)
class Chunk:
    """Bytes that passed in one read, in one direction."""

    direction: Direction
    at: float
    """Seconds since the connection opened."""
    data: bytes


@dataclass(frozen=True)
class RelayNote:
    """Something the relay saw or did that is not bytes on the client's wire: the connection
    opened or ended, or, for an attacker, a capability it removed or a command it answered."""

    at: float
    text: str
    section: str | None = None
    attack: bool = False
    """Done by the attacker (not only seen)."""


@dataclass(frozen=True)
class Recording:
    """One connection through the relay, as the client's side of the wire carried it."""

    number: int
    """Its place among the relay's connections, from 1."""
    protocol: MailProtocol
    strip: bool
    """Whether the relay was an attacker that strips STARTTLS."""
    chunks: tuple[Chunk, ...]
    notes: tuple[RelayNote, ...]
    client_octets: int
    """Bytes the client sent, recorded or only counted."""
    server_octets: int
    """Bytes the client received."""
    client_unrecorded: int
    """Bytes the client sent that were counted but not kept (the recording was full)."""
    server_unrecorded: int
    ended: str | None
    """How the connection ended, or ``None`` while it is open."""
    duration: float
    """Seconds from the connection's opening to its end (or to now, while it is open)."""

    def data(self, direction: Direction) -> bytes:
        """Every recorded byte of one direction, in order."""
        return b"".join(c.data for c in self.chunks if c.direction is direction)

    def octets(self, direction: Direction) -> int:
        return self.client_octets if direction is Direction.TO_SERVER else self.server_octets

    def unrecorded(self, direction: Direction) -> int:
        if direction is Direction.TO_SERVER:
            return self.client_unrecorded
        return self.server_unrecorded


class Recorder:
    """A recording being made. Thread-safe: the relay's loop adds, any thread freezes.

    Keeps at most ``max_octets`` bytes per direction and ``max_chunks`` chunks in all; what
    comes after is counted, not kept, so a connection cannot fill the memory.
    """

    def __init__(
        self,
        number: int,
        protocol: MailProtocol,
        *,
        strip: bool,
        clock: Callable[[], float],
        max_octets: int,
        max_chunks: int,
        max_notes: int,
    ) -> None:
        self.number = number
        self.protocol = protocol
        self.strip = strip
        self._clock = clock
        self._start = clock()
        self._max_octets = max_octets
        self._max_chunks = max_chunks
        self._max_notes = max_notes
        self._chunks: list[Chunk] = []
        self._notes: list[RelayNote] = []
        self._kept = {Direction.TO_SERVER: 0, Direction.TO_CLIENT: 0}
        self._total = {Direction.TO_SERVER: 0, Direction.TO_CLIENT: 0}
        self._end: float | None = None
        self.ended: str | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the connection opened."""
        return self._clock() - self._start

    def add(self, direction: Direction, data: bytes) -> None:
        """Record bytes that passed (the part that fits; all of them are counted)."""
        if not data:
            return
        with self._lock:
            self._total[direction] += len(data)
            room = self._max_octets - self._kept[direction]
            if room <= 0 or len(self._chunks) >= self._max_chunks:
                return
            kept = data[:room]
            self._kept[direction] += len(kept)
            self._chunks.append(Chunk(direction, self.now(), kept))

    def note(self, text: str, section: str | None = None, *, attack: bool = False) -> None:
        """Record an event; past ``max_notes`` they are dropped (a hostile peer can cause many)."""
        with self._lock:
            if len(self._notes) < self._max_notes:
                self._notes.append(RelayNote(self.now(), text, section, attack))

    def end(self, how: str) -> None:
        with self._lock:
            if self.ended is None:
                self.ended = how
                self._end = self.now()

    def freeze(self) -> Recording:
        with self._lock:
            kept, total = self._kept, self._total
            return Recording(
                number=self.number,
                protocol=self.protocol,
                strip=self.strip,
                chunks=tuple(self._chunks),
                notes=tuple(self._notes),
                client_octets=total[Direction.TO_SERVER],
                server_octets=total[Direction.TO_CLIENT],
                client_unrecorded=total[Direction.TO_SERVER] - kept[Direction.TO_SERVER],
                server_unrecorded=total[Direction.TO_CLIENT] - kept[Direction.TO_CLIENT],
                ended=self.ended,
                duration=self._end if self._end is not None else self.now(),
            )
