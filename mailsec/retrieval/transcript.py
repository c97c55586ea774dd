"""Session transcripts: who said what, in order, on one POP3 or IMAP4 connection.

The servers record every line a client sends and every reply, so the wire lab can show the
conversation. Passwords are masked when they are recorded (the transcript says so: on a real
connection without TLS they travel in clear text). Message bodies are shortened to their first
lines with a count of what was left out, so a transcript of a thousand downloads stays small.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "MAX_ENTRIES",
    "MAX_TEXT",
    "Protocol",
    "Speaker",
    "Transcript",
    "TranscriptRecorder",
    "Utterance",
]

MAX_ENTRIES = 2000
"""Entries kept per session; later ones are counted, not stored (bounded memory)."""
MAX_TEXT = 200
"""Characters kept of one line of an entry (an overlong line is cut, and says by how much)."""
MAX_SHOWN_LINES = 12
"""Lines of a multi-line reply kept in the transcript."""
MASK = "••••••"


class Protocol(enum.Enum):
    """Which protocol a session spoke."""

    POP3 = "POP3"
    """Post Office Protocol version 3 (RFC 1939), port 110."""
    IMAP = "IMAP4rev1"
    """Internet Message Access Protocol (RFC 3501), port 143."""


class Speaker(enum.Enum):
    """Who said a line."""

    CLIENT = "client"
    """The mail client (here: Python's poplib or imaplib, or a desktop client)."""
    SERVER = "server"
    """The mailsec server."""
    NOTE = "note"
    """Not a protocol line: what happened to the connection (opened, dropped, closed)."""


@dataclass(frozen=True)
class Utterance:
    """One thing said on the connection."""

    speaker: Speaker
    text: str
    """The line(s) as text; long replies are shortened and say how much was left out."""
    octets: int
    """How many octets went over the wire for this (0 for notes)."""
    at: float
    """Seconds since the connection opened."""
    masked: bool = False
    """A password was replaced by dots when this was recorded."""


@dataclass(frozen=True)
class Transcript:
    """A recorded session, frozen: the protocol, the client's address and the conversation."""

    protocol: Protocol
    peer: str
    started: float
    """Wall-clock time the connection opened (seconds since the epoch)."""
    entries: tuple[Utterance, ...]
    ended: str | None
    """How it ended: ``"QUIT"``, ``"LOGOUT"``, ``"dropped"``, ``"closed by server"``, ``"closed
    after a failed TLS handshake"``, or ``None`` while the session is still open."""
    left_out: int = 0
    """Entries not stored because the session was longer than :data:`MAX_ENTRIES`."""
    number: int = 0
    """The session's number on its servers (1, 2, 3 ... in the order connections opened)."""

    @property
    def client_lines(self) -> tuple[str, ...]:
        return tuple(u.text for u in self.entries if u.speaker is Speaker.CLIENT)

    @property
    def server_lines(self) -> tuple[str, ...]:
        return tuple(u.text for u in self.entries if u.speaker is Speaker.SERVER)

    def to_text(self) -> str:
        """The conversation as plain text: ``C:``/``S:`` prefixes, as RFC examples write it."""
        marks = {Speaker.CLIENT: "C: ", Speaker.SERVER: "S: ", Speaker.NOTE: "-- "}
        out = []
        for utterance in self.entries:
            for line in utterance.text.split("\n"):
                out.append(marks[utterance.speaker] + line)
        return "\n".join(out)


@dataclass
class TranscriptRecorder:
    """Records one session as it happens (used by the servers)."""

    protocol: Protocol
    peer: str
    clock: Callable[[], float] = time.time
    entries: list[Utterance] = field(default_factory=list)
    ended: str | None = None
    left_out: int = 0
    number: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()
        self._t0 = time.perf_counter()
        self._secret_literal = False
        self._secret_line = False

    def _full(self) -> bool:
        """Whether the transcript holds :data:`MAX_ENTRIES` already; what comes is only counted."""
        if len(self.entries) < MAX_ENTRIES:
            return False
        self.left_out += 1
        return True

    def _add(self, utterance: Utterance) -> None:
        if self._full():
            return
        lines = utterance.text.split("\n")
        if any(len(line) > MAX_TEXT for line in lines):
            cut = [
                f"{line[:MAX_TEXT]}… ({len(line) - MAX_TEXT} more characters)"
                if len(line) > MAX_TEXT
                else line
                for line in lines
            ]
            utterance = dataclasses.replace(utterance, text="\n".join(cut))
        self.entries.append(utterance)

    def note(self, text: str) -> None:
        self._add(Utterance(Speaker.NOTE, text, 0, time.perf_counter() - self._t0))

    def client(self, line: bytes) -> None:
        if self._secret_line:
            # The line after "AUTH PLAIN" / "AUTHENTICATE PLAIN": the encoded credentials.
            self._secret_line = False
            self._add(
                Utterance(Speaker.CLIENT, MASK, len(line) + 2, time.perf_counter() - self._t0, True)
            )
            return
        text, masked = _mask(self.protocol, line.decode("utf-8", "replace"))
        words = text.split(" ")
        sasl = words[:1] if self.protocol is Protocol.POP3 else words[1:2]
        self._secret_line = (
            len(words) == (2 if self.protocol is Protocol.POP3 else 3)
            and [w.upper() for w in sasl] in (["AUTH"], ["AUTHENTICATE"])
            and words[-1].upper() == "PLAIN"
        )
        # An IMAP LOGIN whose arguments come as literals: the literals are the credentials.
        self._secret_literal = (
            self._secret_literal or (len(words) > 1 and words[1].upper() == "LOGIN")
        ) and text.endswith("}")
        self._add(
            Utterance(Speaker.CLIENT, text, len(line) + 2, time.perf_counter() - self._t0, masked)
        )

    def client_literal(self, data: bytes) -> None:
        masked = self._secret_literal
        text = (
            MASK if masked else _shorten(data.decode("utf-8", "replace").split("\r\n"), len(data))
        )
        self._add(
            Utterance(Speaker.CLIENT, text, len(data), time.perf_counter() - self._t0, masked)
        )

    def server(self, wire: bytes) -> None:
        # Only the first lines of a long reply are decoded: a downloaded message is counted,
        # not copied into the transcript; once the transcript is full, nothing is looked at.
        if self._full():
            return
        count = wire.count(b"\r\n") + (0 if wire.endswith(b"\r\n") else 1)
        if count <= MAX_SHOWN_LINES:
            limit = 4 * MAX_TEXT * MAX_SHOWN_LINES
            shown = wire if len(wire) <= limit else wire[:limit] + b"\r\n"
            text = shown.decode("utf-8", "replace").removesuffix("\r\n").replace("\r\n", "\n")
        else:
            cut = -2
            for _ in range(MAX_SHOWN_LINES - 1):
                cut = wire.index(b"\r\n", cut + 2)
            head = wire[:cut].decode("utf-8", "replace").replace("\r\n", "\n")
            kept = MAX_SHOWN_LINES - 1
            text = f"{head}\n… ({count - kept} more lines; {len(wire)} octets in all)"
        self._add(Utterance(Speaker.SERVER, text, len(wire), time.perf_counter() - self._t0))

    def end(self, how: str) -> None:
        if self.ended is None:
            self.ended = how
            self.note(
                f"connection {how}"
                if how != "QUIT" and how != "LOGOUT"
                else f"session ended by {how}"
            )

    def freeze(self) -> Transcript:
        return Transcript(
            self.protocol,
            self.peer,
            self.started,
            tuple(self.entries),
            self.ended,
            self.left_out,
            self.number,
        )


def _shorten(lines: list[str], octets: int) -> str:
    if len(lines) <= MAX_SHOWN_LINES:
        return "\n".join(lines)
    kept = lines[: MAX_SHOWN_LINES - 1]
    return "\n".join([*kept, f"… ({len(lines) - len(kept)} more lines; {octets} octets in all)"])


def _mask(protocol: Protocol, text: str) -> tuple[str, bool]:
    """Hide the password of ``PASS secret`` and ``a1 LOGIN user secret``, and the SASL
    initial response of ``AUTH PLAIN xxx`` and ``a1 AUTHENTICATE PLAIN xxx``."""
    words = text.split(" ")
    if protocol is Protocol.POP3 and words[0].upper() == "PASS" and len(words) > 1:
        return f"{words[0]} {MASK}", True
    if protocol is Protocol.POP3 and words[0].upper() == "AUTH" and len(words) > 2:
        return " ".join([*words[:2], MASK]), True
    if protocol is Protocol.IMAP and len(words) > 3 and words[1].upper() == "AUTHENTICATE":
        return " ".join([*words[:3], MASK]), True
    if protocol is Protocol.IMAP and len(words) >= 3 and words[1].upper() == "LOGIN":
        return " ".join([*words[:3], MASK]) if len(words) > 3 else text, len(words) > 3
    return text, False
