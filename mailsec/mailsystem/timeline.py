"""What one scenario of the mail system did, as data: the timeline, the verdicts, the headers.

A scenario (:mod:`mailsec.mailsystem.scenarios`) drives the running mail system and returns a
:class:`ScenarioRun`. Nothing here formats output: :mod:`mailsec.render.mailsystem` draws the
sequence diagram from :attr:`ScenarioRun.events`, the header block from
:attr:`ScenarioRun.headers`, a hop's raw dialogue from :attr:`ScenarioRun.transcripts`, and the
defence matrix from the verdicts of a whole campaign (:mod:`mailsec.mailsystem.campaign`).

::

    ScenarioRun
    ├── lanes        who takes part (a column of the sequence diagram)
    ├── events       arrows between lanes and notes on one lane, in order
    ├── verdicts     one per control: stopped / noticed / passed / could not see / off
    ├── headers      the header fields each hop added, oldest first
    └── transcripts  the raw SMTP/POP3/IMAP dialogue of each hop, by number

The strings in a run (labels, reasons, the outcome) are in the language the scenario was played
in (:mod:`mailsec.i18n`); :attr:`Control.label` and :attr:`Mark.label` are looked up when read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.i18n import texts
from mailsec.trace import Outcome

__all__ = [
    "Campaign",
    "Control",
    "Event",
    "HeaderStage",
    "Lane",
    "Mark",
    "ScenarioRun",
    "Transcript",
    "TranscriptLine",
    "Verdict",
]

TEXT = texts(
    {
        "controls": {
            "op25b": "OP25B",
            "spf": "SPF",
            "dkim": "DKIM",
            "dmarc": "DMARC",
            "arc": "ARC",
            "tls": "TLS",
            "smime": "S/MIME",
        },
        "marks": {
            "stopped": "stopped it",
            "noticed": "noticed it",
            "passed": "passed it",
            "blind": "could not see it",
            "off": "switched off",
        },
    }
)
"""The defence matrix's words: column headings and cell words (see :mod:`mailsec.i18n`)."""


class Control(enum.Enum):
    """A defence of the mail system: a column of the defence matrix."""

    OP25B = "op25b"
    """ISP A's edge drops port 25 from its customers' dynamic pool (RFC 5068 §3, chapter 02)."""
    SPF = "spf"
    """The receiving MX checks the sending address against the domain's SPF record (RFC 7208)."""
    DKIM = "dkim"
    """The sending domain signs its mail; the MX verifies the signature (RFC 6376)."""
    DMARC = "dmarc"
    """The MX applies the From: domain's policy to unaligned mail (RFC 7489)."""
    ARC = "arc"
    """The MX accepts a trusted intermediary's sealed results when DMARC fails (RFC 8617)."""
    TLS = "tls"
    """Retrieval requires TLS: the server refuses login before TLS, clients insist (RFC 8314)."""
    SMIME = "smime"
    """The sender signs and encrypts end to end; the reader verifies and decrypts (RFC 8551)."""

    @property
    def label(self) -> str:
        """The column's heading, in the current language."""
        return TEXT["controls"][self.value]


class Mark(enum.Enum):
    """What one control did about one scenario: a cell of the defence matrix."""

    STOPPED = "stopped"
    """The control ended the attack: a dropped connection, a rejection, a refused login,
    a message that cannot be read."""
    NOTICED = "noticed"
    """The control saw something wrong and said so (a failed check in Authentication-Results,
    a quarantine, a broken signature), but the attack went on."""
    PASSED = "passed"
    """The control checked and found nothing wrong (for legitimate mail, the right answer;
    for an attack, the control was fooled or not meant for it)."""
    BLIND = "blind"
    """The control never saw the attack: it happened before, after or beside it."""
    OFF = "off"
    """The control is switched off in this system."""

    @property
    def outcome(self) -> Outcome:
        """How the cell looks (colour is never the only sign: the word is always shown)."""
        return {
            "stopped": Outcome.OK,
            "noticed": Outcome.WARN,
            "passed": Outcome.INFO,
            "blind": Outcome.INFO,
            "off": Outcome.INFO,
        }[self.value]

    @property
    def label(self) -> str:
        """The word shown in a cell, in the current language."""
        return TEXT["marks"][self.value]


@dataclass(frozen=True)
class Lane:
    """One participant: a column of the sequence diagram."""

    id: str
    """Short name, e.g. ``bank-out``."""
    label: str
    """What the diagram shows, e.g. ``Bank's outbound MTA``."""
    address: str = ""
    """Its course address or host name, e.g. ``out.bank.example 192.0.2.41``."""
    attacker: bool = False
    """An attacker's machine (the diagram marks it in words, not only in colour)."""


@dataclass(frozen=True)
class Event:
    """One step of the timeline: an arrow from ``source`` to ``target``, or a note on ``source``
    when ``target`` is None."""

    source: str
    """The lane it starts from (a :attr:`Lane.id`)."""
    target: str | None
    """The lane it goes to; None for a note (a check, a store, a decision) on one lane."""
    label: str
    """A short caption, e.g. ``SMTP port 25: MAIL FROM, RCPT TO, DATA``."""
    outcome: Outcome = Outcome.INFO
    detail: str = ""
    """A sentence that says what happened and why."""
    section: str | None = None
    """Where the rule comes from (RFC section or chapter)."""
    control: Control | None = None
    """The control that acted at this step, if any."""
    transcript: int | None = None
    """The index in :attr:`ScenarioRun.transcripts` of this hop's raw dialogue."""


@dataclass(frozen=True)
class Verdict:
    """What one control did in one scenario, and why."""

    control: Control
    mark: Mark
    reason: str
    """One sentence, e.g. ``spf=fail: 203.0.113.9 is not in bank.example's SPF record``."""
    section: str | None = None


@dataclass(frozen=True)
class HeaderStage:
    """The header fields one hop put on top of the message."""

    hop: str
    """Who added them, e.g. ``mx.example.com``."""
    fields: tuple[str, ...]
    """Each field as it was written (``Name: value``, folded lines joined with CRLF)."""


@dataclass(frozen=True)
class TranscriptLine:
    """One line of a dialogue."""

    client: bool
    """True for what the client sent, False for the server's reply."""
    text: str
    """The line without its line break (a message body is summarised, a password masked
    only where the scenario says so)."""


@dataclass(frozen=True)
class Transcript:
    """The raw dialogue of one hop."""

    hop: str
    """E.g. ``Bank's outbound MTA → mx.example.com:25 (SMTP)``."""
    protocol: str
    """``SMTP``, ``POP3`` or ``IMAP``."""
    lines: tuple[TranscriptLine, ...]
    tls: bool = False
    """Whether the dialogue (from some point on) ran inside TLS."""


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario run against a mail system: everything the view shows."""

    name: str
    """The scenario's name, as ``mailsystem list`` prints it."""
    title: str
    attack: bool
    """An attack (which should be stopped) or legitimate mail (which should arrive)."""
    lanes: tuple[Lane, ...]
    events: tuple[Event, ...]
    verdicts: tuple[Verdict, ...]
    headers: tuple[HeaderStage, ...]
    transcripts: tuple[Transcript, ...]
    outcome: str
    """What happened in the end, in one sentence."""
    defended: bool
    """For an attack: it was stopped. For legitimate mail: it arrived and could be read."""
    stopped_by: Control | None = None
    """The control that stopped the attack (or, for legitimate mail, the one that wrongly
    stopped it)."""
    sources: tuple[str, ...] = ()
    """Where the expected behaviour comes from (RFC sections and chapters)."""

    def verdict(self, control: Control) -> Verdict:
        """The verdict for ``control`` (every run has one per control)."""
        return next(v for v in self.verdicts if v.control is control)


@dataclass(frozen=True)
class Campaign:
    """A whole campaign: every scenario run against one mail system, in order."""

    runs: tuple[ScenarioRun, ...]
    controls: tuple[Control, ...] = tuple(Control)
    """The matrix's columns, in order."""

    @property
    def attacks(self) -> tuple[ScenarioRun, ...]:
        return tuple(run for run in self.runs if run.attack)

    @property
    def legitimate(self) -> tuple[ScenarioRun, ...]:
        return tuple(run for run in self.runs if not run.attack)

    @property
    def stopped(self) -> int:
        """How many attacks were stopped."""
        return sum(run.defended for run in self.attacks)

    @property
    def delivered(self) -> int:
        """How many legitimate messages arrived and could be read."""
        return sum(run.defended for run in self.legitimate)

    def mark(self, run: ScenarioRun, control: Control) -> Mark:
        """The matrix cell for ``run`` and ``control``."""
        return run.verdict(control).mark
