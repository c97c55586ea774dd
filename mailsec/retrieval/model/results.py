"""What a run returns: frozen snapshots of the server and of every device after each step.

:class:`StepResult` is one step (the state, what changed, the explanation trace); :class:`Run` is
the whole played scenario. Nothing here changes after it is made; renderers read these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailsec.errors import InputError
from mailsec.i18n import texts, using
from mailsec.retrieval.model.events import (
    Event,
    Scenario,
)
from mailsec.retrieval.model.vocabulary import (
    ChangeKind,
    Flag,
    Protocol,
    uidl_of,
)
from mailsec.trace import Step

TEXT = texts(
    {
        "start": "Start",
        "no_device": "There is no device called {name!r} at step {number}: use one of {names!r}.",
    }
)
"""The results' words (see :mod:`mailsec.i18n`)."""


@dataclass(frozen=True)
class MessageView:
    """One message as one place (the server or a device) holds it after a step."""

    label: str
    """The message's name in the scenario: ``M1``, ``M2`` ... in order of sending."""
    subject: str
    size: int
    folder: str
    flags: frozenset[Flag] = frozenset()
    uid: int | None = None
    """The server's UID in that folder (RFC 3501 §2.3.1.1); None for a POP3 download."""
    body: bool = True
    """False when a device holds only the headers (the body is not in its cache)."""

    @property
    def read(self) -> bool:
        return Flag.SEEN in self.flags

    @property
    def uidl(self) -> str | None:
        """The POP3 unique-id listing (RFC 1939 §7), in Dovecot's default form ``%08Xu%08Xv``."""
        return None if self.uid is None else uidl_of(self.uid)


@dataclass(frozen=True)
class QueuedMail:
    """A refused message waiting at the sender's server for another try."""

    label: str
    subject: str
    size: int
    sender: str
    first_refused: datetime
    next_retry: datetime


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification sent back to the sender (RFC 3464): the mail did not arrive."""

    label: str
    subject: str
    sender: str
    at: datetime
    reply: str
    reason: str


@dataclass(frozen=True)
class ServerState:
    quota: int
    folders: tuple[tuple[str, tuple[MessageView, ...]], ...]
    queue: tuple[QueuedMail, ...] = ()
    bounces: tuple[Bounce, ...] = ()

    @property
    def used(self) -> int:
        """Bytes counted against the quota: every message in every folder, ``\\Deleted`` too."""
        return sum(m.size for _, msgs in self.folders for m in msgs)

    @property
    def free(self) -> int:
        return max(0, self.quota - self.used)

    def folder(self, name: str) -> tuple[MessageView, ...]:
        return dict(self.folders)[name]

    @property
    def messages(self) -> tuple[MessageView, ...]:
        return tuple(m for _, msgs in self.folders for m in msgs)

    def labels(self, folder: str | None = None) -> tuple[str, ...]:
        return tuple(m.label for m in (self.messages if folder is None else self.folder(folder)))


@dataclass(frozen=True)
class DeviceState:
    name: str
    protocol: Protocol
    settings: str
    """The client setting in words."""
    online: bool
    capacity: int
    messages: tuple[MessageView, ...]
    pending: tuple[str, ...] = ()
    """Changes made offline that an IMAP client will send when back online."""
    did_not_fit: tuple[MessageView, ...] = ()
    """POP3: the messages this device's last check left on the server because they were larger
    than its free storage (as they were on the server then)."""

    @property
    def used(self) -> int:
        """Bytes the mail takes on the device: bodies held (headers are not counted)."""
        return sum(m.size for m in self.messages if m.body)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.used)

    def labels(self, folder: str | None = None) -> tuple[str, ...]:
        return tuple(m.label for m in self.messages if folder is None or m.folder == folder)

    def message(self, label: str) -> MessageView | None:
        return next((m for m in self.messages if m.label == label), None)


@dataclass(frozen=True)
class Change:
    """One message that changed in one place (``"server"`` or a device name)."""

    place: str
    folder: str
    label: str
    kind: ChangeKind
    detail: str = ""


@dataclass(frozen=True)
class StepResult:
    """The world after one step of a scenario."""

    number: int
    """0 for the starting state, then 1, 2 ... per event."""
    at: datetime
    event: Event | None
    server: ServerState
    devices: tuple[DeviceState, ...]
    changes: tuple[Change, ...]
    trace: tuple[Step, ...]

    @property
    def title(self) -> str:
        """The step in a few words, in English whatever the language: data a code cell can
        compare (``step.title == "Phone opens M1"``); :attr:`shown_title` is what the screen
        shows."""
        with using("en"):
            return self.shown_title

    @property
    def shown_title(self) -> str:
        """The step in a few words, in the current language (the timeline's line)."""
        return TEXT["start"] if self.event is None else self.event.describe()

    def device(self, name: str) -> DeviceState:
        for d in self.devices:
            if d.name == name:
                return d
        raise InputError(
            TEXT["no_device"].format(
                name=name, number=self.number, names=[d.name for d in self.devices]
            )
        )

    def changed(self, place: str) -> dict[tuple[str, str], Change]:
        """The changes in one place, by (folder, label)."""
        return {(c.folder, c.label): c for c in self.changes if c.place == place}


@dataclass(frozen=True)
class Run:
    """A played scenario: one :class:`StepResult` per event, after the starting state."""

    scenario: Scenario
    protocol_label: str
    steps: tuple[StepResult, ...]
    arrived: tuple[str, ...]
    """Every message label that was sent, in order."""

    @property
    def final(self) -> StepResult:
        return self.steps[-1]

    def delivered(self) -> tuple[str, ...]:
        """Labels the server accepted at some step."""
        return tuple(
            str(s.data["label"])
            for step in self.steps
            for s in step.trace
            if s.data.get("kind") == "delivered"
        )
