"""The mail system's journal: the timeline of events, the transcripts and the MX's checks.

Servers and clients of the system write into one :class:`Journal` (under a lock: the servers'
loop and the clients' threads both write); a scenario reads what it made between two marks
(:meth:`Journal.recording`). :meth:`Journal.hop_started` and :meth:`Journal.hop_ended` turn an
SMTP connection into the sequence diagram's arrows: through ISP A's edge and an attacker on the
path when there is one, then the server's reply with the session's transcript.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from mailsec.dmarc.receiver import InboundCheck
from mailsec.i18n import texts
from mailsec.mailsystem.delivery import Session
from mailsec.mailsystem.network import Route
from mailsec.mailsystem.timeline import Control, Event, Transcript
from mailsec.op25b.model import Host
from mailsec.trace import Outcome

__all__ = ["MAX_EVENTS", "Journal", "Recording"]

MAX_EVENTS = 2000
"""Timeline events kept (a whole campaign makes about 150)."""

MAX_KEPT = 500
"""Transcripts and checks kept (a whole campaign makes about 30 of each)."""

TEXT = texts(
    {
        "edge": "ISP A's edge, port {port}: {decision}",
        "decisions": {"PASSED": "passed", "DROPPED": "dropped by OP25B"},
        "to_tap": "port {port}: the connection passes the attacker's machine",
        "request": "SMTP port {port}: EHLO, MAIL FROM, RCPT TO, DATA",
    }
)
"""The arrows' captions (see :mod:`mailsec.i18n`). A reply's arrow is captioned with the
server's reply itself, code and text, as it was on the wire (RFC 5321 §4.2: in English)."""


@dataclass
class Recording:
    """What happened inside :meth:`MailSystem.recording` (filled when the block ends)."""

    events: list[Event] | None = None
    transcripts: list[Transcript] | None = None
    checks: list[InboundCheck] | None = None
    first_transcript: int = 0


class Journal:
    """Events, transcripts and checks, in the order they happened (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._transcripts: list[Transcript] = []
        self._checks: list[InboundCheck] = []
        self.refusal = ""
        """The last reply that did not accept a message (code and text), or ""."""
        self.tap_marks: list[int] = []
        """Where in the timeline each connection through a tap went (for the tap's notes)."""

    def hop_started(self, client: Host, route: Route) -> None:
        """The arrows of a connection about to be made: through ISP A's edge (and its OP25B
        decision), through an attacker on the path, to the server."""
        start = client.id
        port = route.course_port
        if route.ruling is not None:
            dropped = route.dropped
            decision = route.ruling.decision
            words = TEXT["decisions"].get(decision.name, decision.value)
            self.record(
                Event(client.id, "isp-edge", TEXT["edge"].format(port=port, decision=words),
                      Outcome.FAIL if dropped else Outcome.OK, route.ruling.reason,
                      route.ruling.section, Control.OP25B)
            )  # fmt: skip
            if dropped:
                return
            start = "isp-edge"
        if route.tapped:
            self.record(Event(start, "eve", TEXT["to_tap"].format(port=port), Outcome.WARN))
            start = "eve"
            self.tap_marks.append(len(self._events) + 1)
        self.record(Event(start, route.server.id, TEXT["request"].format(port=port)))

    def hop_ended(self, client: Host, session: Session) -> None:
        """The reply's arrow, with the session's transcript."""
        if session.route is None or session.route.dropped:
            return
        kept = self.add_transcript(session.transcript)
        index = kept if kept >= 0 else None
        if session.delivered:
            outcome = Outcome.OK
        else:
            outcome = Outcome.WARN if session.deferred else Outcome.FAIL
            self.refusal = f"{session.code} {session.reply}"
        label = f"{session.code} {session.reply}"
        self.record(
            Event(session.route.server.id, client.id, label[:160], outcome, transcript=index)
        )

    def record(self, event: Event, *, at: int | None = None) -> None:
        """Add ``event`` to the timeline (at position ``at``, when an attacker's notes are
        known only after the connection they belong in)."""
        with self._lock:
            if len(self._events) < MAX_EVENTS:
                self._events.insert(len(self._events) if at is None else at, event)

    def add_transcript(self, transcript: Transcript) -> int:
        """Keep ``transcript``; its number (-1 past :data:`MAX_KEPT`: not kept)."""
        with self._lock:
            if len(self._transcripts) >= MAX_KEPT:
                return -1
            self._transcripts.append(transcript)
            return len(self._transcripts) - 1

    def checked(self, check: InboundCheck) -> None:
        """Keep one of the MX's checks."""
        with self._lock:
            if len(self._checks) < MAX_KEPT:
                self._checks.append(check)

    @contextlib.contextmanager
    def recording(self) -> Iterator[Recording]:
        """Collect the events, transcripts and checks made inside the block."""
        with self._lock:
            marks = (len(self._events), len(self._transcripts), len(self._checks))
        found = Recording()
        try:
            yield found
        finally:
            with self._lock:
                found.events = self._events[marks[0] :]
                found.transcripts = self._transcripts[marks[1] :]
                found.checks = self._checks[marks[2] :]
                found.first_transcript = marks[1]
