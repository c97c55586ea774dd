"""The mailbox model: where mail lives when it is read with POP3 or with IMAP4.

This is a teaching model, not a server: it has no sockets and no files. It keeps

- a **server mailbox** with a byte quota and folders (``INBOX`` and ``Archive``), where every message
  carries the IMAP system flags (RFC 3501 §2.3.2) and a UID (RFC 3501 §2.3.1.1);
- the **sender's mail server**, which hears the SMTP reply when the mailbox is full: it keeps
  retrying a temporary refusal (``452 4.2.2``) and sends a bounce when it gives up, or bounces at
  once after a permanent one (``552 5.2.2``) — a message is never silently dropped;
- any number of **devices**, each with its own storage, capacity and online/offline state, and a
  mail client that speaks POP3 (with the settings real clients offer: download and delete, leave a
  copy using UIDL, remove after N days, remove when deleted here) or IMAP4 (server state with flags
  and expunge, an offline cache whose changes are replayed when the device is back online).

A :class:`Scenario` is a timeline of :class:`Event` objects. :func:`run` plays it and returns a
:class:`Run`: the state of the server and of every device after each step, what changed, and an
explanation trace (plain sentences with the RFC section each rule comes from). The model is pure
and deterministic: the only outside input is the clock that gives the scenario's start time.

Everything here is for learning; the real servers over a Maildir are :mod:`mailsec.retrieval.servers`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import ClassVar

from mailsec.errors import InputError
from mailsec.trace import Outcome, Step

__all__ = [
    "ARCHIVE",
    "FOLDERS",
    "GIVE_UP_AFTER",
    "INBOX",
    "RETRY_INTERVAL",
    "AddDevice",
    "Bounce",
    "Change",
    "ChangeKind",
    "DeleteMessage",
    "DeviceEvent",
    "DeviceSpec",
    "DeviceState",
    "Event",
    "Expunge",
    "Flag",
    "FlagMessage",
    "FullMailboxReply",
    "GoOffline",
    "GoOnline",
    "ImapSettings",
    "MailArrives",
    "MessageEvent",
    "MessageView",
    "MoveMessage",
    "PopSettings",
    "Protocol",
    "QueuedMail",
    "ReadMessage",
    "ReplyToMessage",
    "Run",
    "Scenario",
    "ServerState",
    "SetQuota",
    "StepResult",
    "Sync",
    "TimePasses",
    "format_size",
    "run",
    "utc_now",
]

INBOX = "INBOX"
"""The one folder every IMAP server has, and the only one POP3 can see (RFC 3501 §5.1, RFC 1939 §1)."""
ARCHIVE = "Archive"
"""A second server folder, to show that IMAP folders live on the server (RFC 3501 §6.3.3)."""
FOLDERS: tuple[str, ...] = (INBOX, ARCHIVE)

RETRY_INTERVAL = timedelta(minutes=30)
"""How long the sender's server waits before trying a refused message again (RFC 5321 §4.5.4.1:
"the retry interval SHOULD be at least 30 minutes")."""
GIVE_UP_AFTER = timedelta(days=5)
"""When the sender's server stops retrying and bounces (RFC 5321 §4.5.4.1: "at least 4-5 days";
5 days is Postfix's ``maximal_queue_lifetime``)."""

UIDVALIDITY = 1_700_000_000
"""The server's UIDVALIDITY (RFC 3501 §2.3.1.1); constant, because this mailbox is never rebuilt."""


def uidl_of(uid: int) -> str:
    """The POP3 unique-id listing of the message with this UID (RFC 1939 §7), in Dovecot's default
    form ``%08Xu%08Xv``: the UID and the UIDVALIDITY in hexadecimal."""
    return f"{uid:08X}{UIDVALIDITY:08X}"


def utc_now() -> datetime:
    """The real clock: the current time in UTC (the default start of a scenario)."""
    return datetime.now(timezone.utc)


def format_size(size: int) -> str:
    """A byte count for people: ``"12 KB"``, ``"1.5 MB"`` (1 KB = 1,024 bytes, as RFC 9208 §5.1 counts)."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        kb = size / 1024
        return f"{kb:.0f} KB" if kb == int(kb) or kb >= 100 else f"{kb:.1f} KB"
    mb = size / (1024 * 1024)
    return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"


# -- vocabulary ------------------------------------------------------------------------------------


class Protocol(enum.Enum):
    """How a device's mail client talks to the server."""

    POP3 = "POP3"
    """Post Office Protocol 3 (RFC 1939): download the mail, keep and manage it on the device."""
    IMAP4 = "IMAP4"
    """Internet Message Access Protocol 4 (RFC 3501): keep and manage the mail on the server."""

    @property
    def description(self) -> str:
        return {
            "POP3": "mail downloaded to and kept on this device",
            "IMAP4": "a view of the mailbox on the server",
        }[self.value]


class Flag(enum.Enum):
    """The IMAP system flags this model uses (RFC 3501 §2.3.2)."""

    SEEN = "\\Seen"
    """The message has been read."""
    ANSWERED = "\\Answered"
    """The message has been answered."""
    FLAGGED = "\\Flagged"
    """The message is flagged for urgent or special attention."""
    DELETED = "\\Deleted"
    """The message is marked for removal by a later EXPUNGE; until then it still takes space."""


class FullMailboxReply(enum.Enum):
    """What the receiving server answers when a message does not fit in the mailbox quota.

    RFC 3463 §3.3 defines the enhanced status X.2.2 "Mailbox full" and says it "should be used as
    a persistent transient failure" (the recipient can delete mail to make room), so the
    RFC-recommended reply is ``452 4.2.2`` (RFC 5321 §4.2.2: 452 "insufficient system storage").
    Many real servers answer permanently instead, with ``552 5.2.2`` (RFC 5321 §4.2.2: 552
    "exceeded storage allocation"): Dovecot's LMTP/LDA does so by default
    (``quota_full_tempfail = no``), and so does Microsoft Exchange.
    """

    TEMPORARY = "temporary"
    """452 4.2.2: the sender's server keeps the message and retries; it bounces when it gives up."""
    PERMANENT = "permanent"
    """552 5.2.2: the sender's server bounces the message at once."""

    @property
    def code(self) -> int:
        """The SMTP reply code (RFC 5321 §4.2.2)."""
        return 452 if self is FullMailboxReply.TEMPORARY else 552

    @property
    def enhanced(self) -> str:
        """The enhanced status code (RFC 3463 §3.3, X.2.2 Mailbox full)."""
        return "4.2.2" if self is FullMailboxReply.TEMPORARY else "5.2.2"

    @property
    def reply(self) -> str:
        """The reply line as the server sends it."""
        return f"{self.code} {self.enhanced} Mailbox full: the recipient's quota is exceeded"


def in_flag_order(flags: Iterable[Flag]) -> list[Flag]:
    """Flags in the order :class:`Flag` lists them (as traces and change lists show them)."""
    order = list(Flag)
    return sorted(flags, key=order.index)


class ChangeKind(enum.Enum):
    """How a message changed in one place between two steps."""

    ADDED = "added"
    """The message appeared here."""
    REMOVED = "removed"
    """The message is gone from here."""
    CHANGED = "changed"
    """The message is still here, but its flags or cached body changed."""


# -- client settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopSettings:
    """The POP3 settings real mail clients offer (Thunderbird, Outlook, Apple Mail, phone clients).

    - ``leave_copy=False``: *download and delete* — each message is deleted from the server right
      after it is downloaded (RFC 1939 §6: deletions take effect when the session QUITs).
    - ``leave_copy=True``: *leave a copy on the server*; the client remembers each message's UIDL
      (RFC 1939 §7) so nothing is downloaded twice. Optionally, *remove from the server after N
      days* (``remove_after_days``) and/or *when I delete it here* (``remove_when_deleted_locally``).
    """

    leave_copy: bool = False
    remove_after_days: int | None = None
    remove_when_deleted_locally: bool = False

    def __post_init__(self) -> None:
        if not self.leave_copy and (
            self.remove_after_days is not None or self.remove_when_deleted_locally
        ):
            raise InputError(
                "'Remove from server after N days' and 'remove when deleted here' only apply when "
                "a copy is left on the server: turn on leave_copy, or turn those options off."
            )
        if self.remove_after_days is not None and not 1 <= self.remove_after_days <= 3650:
            raise InputError(
                f"remove_after_days={self.remove_after_days!r} is not a number of days from 1 to "
                "3650: give such a number, or None to keep mail on the server."
            )

    protocol = Protocol.POP3

    @property
    def summary(self) -> str:
        """The setting in the words a mail client's dialog uses."""
        if not self.leave_copy:
            return "download and delete from the server"
        parts = ["leave a copy on the server"]
        if self.remove_after_days is not None:
            parts.append(f"remove after {self.remove_after_days} days")
        if self.remove_when_deleted_locally:
            parts.append("remove when deleted here")
        return ", ".join(parts)


@dataclass(frozen=True)
class ImapSettings:
    """IMAP client settings.

    - ``expunge_on_delete``: deleting a message sets ``\\Deleted`` and EXPUNGEs at once
      (RFC 3501 §6.4.3), as most clients do. When off, the message is only *marked* deleted — it
      still takes space in the quota until an Expunge.
    - ``cache_bodies``: download message bodies into the offline cache (when they fit in the
      device's storage), so mail can be read offline.
    """

    expunge_on_delete: bool = True
    cache_bodies: bool = True

    protocol = Protocol.IMAP4

    @property
    def summary(self) -> str:
        parts = ["expunge on delete" if self.expunge_on_delete else "only mark deleted"]
        parts.append("cache bodies for offline reading" if self.cache_bodies else "headers only")
        return ", ".join(parts)


ClientSettings = PopSettings | ImapSettings


@dataclass(frozen=True)
class DeviceSpec:
    """A device as a scenario declares it. ``client=None`` takes the run's protocol setting."""

    name: str
    capacity: int
    """Bytes of storage the mail client may use on this device."""
    client: ClientSettings | None = None
    online: bool = True

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InputError("A device needs a name, for example 'Phone' or 'Laptop'.")
        if self.capacity < 0:
            raise InputError(
                f"The storage of {self.name!r} is {self.capacity!r} bytes: give 0 or more."
            )


# -- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Something that happens at ``at`` (time since the scenario's start)."""

    at: timedelta

    @property
    def device_name(self) -> str | None:
        """The device this event is about, if any."""
        return getattr(self, "device", None)

    def describe(self) -> str:
        """The event in a few words, for the timeline."""
        return type(self).__name__


@dataclass(frozen=True)
class DeviceEvent(Event):
    """Something one device, or its user, does."""

    device: str


@dataclass(frozen=True)
class MessageEvent(DeviceEvent):
    """The user of a device does something to one message, named by its label (``M1``, ``M2`` ...)."""

    message: str


@dataclass(frozen=True)
class MailArrives(Event):
    """Someone sends a message; the server accepts it or refuses it (quota)."""

    subject: str
    size: int
    sender: str = "friend@example.org"

    def describe(self) -> str:
        return f"Mail arrives: “{self.subject}” ({format_size(self.size)}) from {self.sender}"


@dataclass(frozen=True)
class Sync(DeviceEvent):
    """The device checks for mail (POP3: a session; IMAP4: a full resynchronisation)."""

    def describe(self) -> str:
        return f"{self.device} checks for mail"


@dataclass(frozen=True)
class ReadMessage(MessageEvent):
    """The user opens a message on the device."""

    def describe(self) -> str:
        return f"{self.device} opens {self.message}"


@dataclass(frozen=True)
class FlagMessage(MessageEvent):
    """The user flags a message (a star, or "important")."""

    flag: ClassVar[Flag] = Flag.FLAGGED
    """The flag this sets (RFC 3501 §2.3.2)."""

    def describe(self) -> str:
        return f"{self.device} flags {self.message} (star / important)"


@dataclass(frozen=True)
class ReplyToMessage(MessageEvent):
    """The user answers a message."""

    flag: ClassVar[Flag] = Flag.ANSWERED
    """The flag a reply sets (RFC 3501 §2.3.2)."""

    def describe(self) -> str:
        return f"{self.device} replies to {self.message}"


@dataclass(frozen=True)
class DeleteMessage(MessageEvent):
    """The user deletes a message."""

    def describe(self) -> str:
        return f"{self.device} deletes {self.message}"


@dataclass(frozen=True)
class MoveMessage(MessageEvent):
    """The user files a message in another folder (``Archive`` unless told)."""

    folder: str = ARCHIVE

    def describe(self) -> str:
        return f"{self.device} moves {self.message} to {self.folder}"


@dataclass(frozen=True)
class Expunge(DeviceEvent):
    """The device's client permanently removes messages marked ``\\Deleted`` (RFC 3501 §6.4.3)."""

    def describe(self) -> str:
        return f"{self.device} empties the deleted messages (EXPUNGE)"


@dataclass(frozen=True)
class GoOffline(DeviceEvent):
    """The device loses its connection (a tunnel, a flight, no signal)."""

    def describe(self) -> str:
        return f"{self.device} goes offline"


@dataclass(frozen=True)
class GoOnline(DeviceEvent):
    """The device is back online; its client checks for mail at once."""

    def describe(self) -> str:
        return f"{self.device} is back online"


@dataclass(frozen=True)
class SetQuota(Event):
    """The provider changes the mailbox quota (RFC 9208 §5.1)."""

    quota: int

    def describe(self) -> str:
        return f"The provider sets the mailbox quota to {format_size(self.quota)}"


@dataclass(frozen=True)
class AddDevice(Event):
    """A new device is set up with the account."""

    spec: DeviceSpec

    @property
    def device_name(self) -> str | None:
        return self.spec.name

    def describe(self) -> str:
        return f"A new device is set up: {self.spec.name}"


@dataclass(frozen=True)
class TimePasses(Event):
    """Nothing happens but time: the sender's server may retry or give up."""

    def describe(self) -> str:
        return "Time passes"


@dataclass(frozen=True)
class Scenario:
    """A timeline of events over a set of devices, with a mailbox quota."""

    title: str
    story: str
    devices: tuple[DeviceSpec, ...]
    events: tuple[Event, ...]
    quota: int = 200 * 1024
    full_reply: FullMailboxReply = FullMailboxReply.TEMPORARY

    def __post_init__(self) -> None:
        _validate(self)


def _validate(scenario: Scenario) -> None:
    if scenario.quota < 0:
        raise InputError(f"The quota is {scenario.quota!r} bytes: give 0 or more.")
    names = [d.name for d in scenario.devices]
    known = set(names)
    if len(known) != len(names):
        raise InputError(f"Two devices share a name in {names!r}: give each device its own name.")
    previous = timedelta(0)
    for number, event in enumerate(scenario.events, start=1):
        if event.at < previous:
            raise InputError(
                f"Event {number} ({event.describe()}) is at {event.at}, before the event "
                f"before it ({previous}): list the events in time order."
            )
        previous = event.at
        if isinstance(event, AddDevice):
            if event.spec.name in known:
                raise InputError(
                    f"Event {number} adds a device called {event.spec.name!r}, but there is "
                    "already one: give the new device another name."
                )
            known.add(event.spec.name)
        elif event.device_name is not None and event.device_name not in known:
            raise InputError(
                f"Event {number} ({event.describe()}) names the device {event.device_name!r}, "
                f"which is not set up yet: use one of {sorted(known)!r}."
            )
        if isinstance(event, MailArrives) and event.size <= 0:
            raise InputError(
                f"Event {number}: a message of {event.size!r} bytes cannot arrive: give a size "
                "above 0."
            )
        if isinstance(event, SetQuota) and event.quota < 0:
            raise InputError(f"Event {number}: the quota {event.quota!r} is below 0.")
        if isinstance(event, MoveMessage) and event.folder not in FOLDERS:
            raise InputError(
                f"Event {number}: the folder {event.folder!r} does not exist: use one of "
                f"{list(FOLDERS)!r}."
            )


# -- results ---------------------------------------------------------------------------------------


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
        return "Start" if self.event is None else self.event.describe()

    def device(self, name: str) -> DeviceState:
        for d in self.devices:
            if d.name == name:
                return d
        raise InputError(
            f"There is no device called {name!r} at step {self.number}: use one of "
            f"{[d.name for d in self.devices]!r}."
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


# -- the mutable world behind a run -----------------------------------------------------------------


@dataclass
class _ServerMsg:
    label: str
    subject: str
    sender: str
    size: int
    uid: int
    flags: set[Flag] = field(default_factory=set)

    @property
    def uidl(self) -> str:
        return uidl_of(self.uid)

    def view(self, folder: str) -> MessageView:
        return MessageView(
            self.label, self.subject, self.size, folder, frozenset(self.flags), self.uid
        )


@dataclass
class _LocalMsg:
    label: str
    subject: str
    size: int
    folder: str
    uid: int | None
    flags: set[Flag] = field(default_factory=set)
    body: bool = True
    uidl: str | None = None
    """POP3: the server's UIDL of the message this copy came from."""

    def view(self) -> MessageView:
        return MessageView(
            self.label, self.subject, self.size, self.folder, frozenset(self.flags), self.uid,
            self.body,
        )  # fmt: skip


class _Change(enum.Enum):
    """The kinds of change an offline IMAP client queues."""

    FLAG = "flag"
    DELETE = "delete"
    MOVE = "move"
    EXPUNGE = "expunge"


@dataclass
class _Pending:
    """A change an offline IMAP client will replay (RFC 4549 §4)."""

    kind: _Change
    label: str
    folder: str
    uid: int
    flag: Flag | None = None
    target: str | None = None

    def describe(self) -> str:
        if self.kind is _Change.FLAG:
            return f"set {self.flag.value if self.flag else ''} on {self.label}"
        if self.kind is _Change.DELETE:
            return f"delete {self.label}"
        if self.kind is _Change.MOVE:
            return f"move {self.label} to {self.target}"
        return "expunge deleted messages"


@dataclass
class _Device:
    name: str
    capacity: int
    client: ClientSettings
    online: bool
    local: list[_LocalMsg] = field(default_factory=list)
    known_uidls: dict[str, datetime] = field(default_factory=dict)
    """POP3: UIDLs already downloaded, with when (for 'remove after N days')."""
    deleted_uidls: set[str] = field(default_factory=set)
    """POP3: UIDLs deleted here, to remove from the server at the next check."""
    pending: list[_Pending] = field(default_factory=list)
    did_not_fit: list[MessageView] = field(default_factory=list)
    """POP3: what the last session left on the server for want of storage."""

    @property
    def protocol(self) -> Protocol:
        return self.client.protocol

    @property
    def used(self) -> int:
        return sum(m.size for m in self.local if m.body)

    @property
    def free(self) -> int:
        return self.capacity - self.used

    def find(self, label: str) -> _LocalMsg | None:
        return next((m for m in self.local if m.label == label), None)

    def state(self) -> DeviceState:
        return DeviceState(
            self.name,
            self.protocol,
            self.client.summary,
            self.online,
            self.capacity,
            tuple(m.view() for m in self.local),
            tuple(p.describe() for p in self.pending),
            tuple(self.did_not_fit),
        )


class _World:
    def __init__(self, scenario: Scenario, client: ClientSettings, start: datetime) -> None:
        self.quota = scenario.quota
        self.full_reply = scenario.full_reply
        self.default_client = client
        self.start = start
        self.now = start
        self.folders: dict[str, list[_ServerMsg]] = {f: [] for f in FOLDERS}
        self.next_uid: dict[str, int] = dict.fromkeys(FOLDERS, 1)
        self.queue: list[QueuedMail] = []
        self.bounces: list[Bounce] = []
        self.devices: dict[str, _Device] = {}
        self.sent = 0
        self.arrived: list[str] = []
        self.steps: list[Step] = []
        for spec in scenario.devices:
            self._add_device(spec)

    # -- helpers --------------------------------------------------------------------------------

    def say(
        self,
        text: str,
        outcome: Outcome = Outcome.INFO,
        section: str | None = None,
        depth: int = 0,
        **data: object,
    ) -> None:
        self.steps.append(Step(text, outcome, section, depth, data))

    def _add_device(self, spec: DeviceSpec) -> _Device:
        device = _Device(spec.name, spec.capacity, spec.client or self.default_client, spec.online)
        self.devices[spec.name] = device
        return device

    @property
    def used(self) -> int:
        return sum(m.size for msgs in self.folders.values() for m in msgs)

    @property
    def usage(self) -> str:
        """How full the mailbox is, as the trace says it."""
        return f"{format_size(self.used)} of {format_size(self.quota)} now used"

    def find(self, label: str) -> tuple[str, _ServerMsg] | None:
        for folder, msgs in self.folders.items():
            for m in msgs:
                if m.label == label:
                    return folder, m
        return None

    def server_state(self) -> ServerState:
        return ServerState(
            self.quota,
            tuple((f, tuple(m.view(f) for m in msgs)) for f, msgs in self.folders.items()),
            tuple(self.queue),
            tuple(self.bounces),
        )

    def device_states(self) -> tuple[DeviceState, ...]:
        return tuple(d.state() for d in self.devices.values())

    # -- delivery -------------------------------------------------------------------------------

    def deliver(self, label: str, subject: str, size: int, sender: str, *, retry: bool) -> bool:
        """Try to put a message into INBOX; refuse it if it would exceed the quota."""
        used = self.used
        if used + size > self.quota:
            reply = self.full_reply
            self.say(
                f"The server refuses {label} ({format_size(size)}): the mailbox holds "
                f"{format_size(used)} of its {format_size(self.quota)} quota, so only "
                f"{format_size(max(0, self.quota - used))} is free. It answers the sender's "
                f"server “{reply.reply}”.",
                Outcome.FAIL,
                "RFC 3463 §3.3 (X.2.2 Mailbox full); RFC 5321 §4.2.2",
                kind="refused",
                label=label,
                code=reply.code,
                enhanced=reply.enhanced,
            )
            if reply is FullMailboxReply.PERMANENT:
                self._bounce(label, subject, sender, reply, "the mailbox was full (permanent)")
            elif not retry:
                self.queue.append(
                    QueuedMail(label, subject, size, sender, self.now, self.now + RETRY_INTERVAL)
                )
                self.say(
                    f"Because the refusal is temporary (4xx), the sender's server keeps {label} in "
                    f"its queue and will try again every {int(RETRY_INTERVAL.total_seconds() // 60)} "
                    f"minutes for up to {GIVE_UP_AFTER.days} days. The recipient is not told.",
                    Outcome.WARN,
                    "RFC 5321 §4.5.4.1",
                    kind="queued",
                    label=label,
                )
            return False
        uid = self.next_uid[INBOX]
        self.next_uid[INBOX] += 1
        self.folders[INBOX].append(_ServerMsg(label, subject, sender, size, uid))
        self.say(
            f"The server accepts {label} (“{subject}”, {format_size(size)}) into INBOX as UID "
            f"{uid}: {self.usage}.",
            Outcome.OK,
            "RFC 3501 §2.3.1.1",
            kind="delivered",
            label=label,
        )
        return True

    def _bounce(
        self, label: str, subject: str, sender: str, reply: FullMailboxReply, reason: str
    ) -> None:
        self.bounces.append(Bounce(label, subject, sender, self.now, reply.reply, reason))
        self.say(
            f"The sender's server returns {label} to {sender} with a bounce (a delivery status "
            f"notification) quoting “{reply.reply}”. The mail is not lost silently: the sender "
            "knows; the recipient sees nothing.",
            Outcome.FAIL,
            "RFC 3464 §2; RFC 5321 §4.5.4.1",
            kind="bounced",
            label=label,
        )

    def process_queue(self) -> None:
        """The sender's server retries refused mail that is due, or gives up on it."""
        waiting: list[QueuedMail] = []
        for item in self.queue:
            if self.now >= item.first_refused + GIVE_UP_AFTER:
                self.say(
                    f"The sender's server gives up on {item.label} after {GIVE_UP_AFTER.days} "
                    "days of refusals.",
                    Outcome.FAIL,
                    "RFC 5321 §4.5.4.1",
                )
                self._bounce(
                    item.label,
                    item.subject,
                    item.sender,
                    FullMailboxReply.TEMPORARY,
                    f"the mailbox stayed full for {GIVE_UP_AFTER.days} days",
                )
            elif self.now >= item.next_retry:
                self.say(f"The sender's server tries {item.label} again.", Outcome.INFO)
                if not self.deliver(item.label, item.subject, item.size, item.sender, retry=True):
                    waiting.append(replace(item, next_retry=self.now + RETRY_INTERVAL))
            else:
                waiting.append(item)
        self.queue = waiting

    # -- events ---------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if isinstance(event, MailArrives):
            self.sent += 1
            label = f"M{self.sent}"
            self.arrived.append(label)
            self.say(
                f"{event.sender} sends {label} (“{event.subject}”, {format_size(event.size)}); "
                "the sender's mail server passes it to ours over SMTP.",
                Outcome.INFO,
                "RFC 5321 §3.3",
            )
            self.deliver(label, event.subject, event.size, event.sender, retry=False)
        elif isinstance(event, SetQuota):
            old, self.quota = self.quota, event.quota
            self.say(
                f"The quota changes from {format_size(old)} to {format_size(event.quota)}; "
                f"{format_size(self.used)} is in use."
                + (
                    " The mailbox is now over its quota: no new mail fits until some is removed."
                    if self.used > self.quota
                    else ""
                ),
                Outcome.WARN if self.used > self.quota else Outcome.INFO,
                "RFC 9208 §5.1",
            )
        elif isinstance(event, TimePasses):
            self.say("Time passes; nobody touches the mail.", Outcome.INFO)
        elif isinstance(event, AddDevice):
            device = self._add_device(event.spec)
            self.say(
                f"{device.name} is set up with the account ({device.protocol.value}: "
                f"{device.client.summary}); it starts empty.",
                Outcome.INFO,
            )
            if device.online:
                self.sync(device)
        else:
            device = self.devices[event.device_name or ""]
            self._device_event(device, event)

    def _device_event(self, device: _Device, event: Event) -> None:
        if isinstance(event, GoOffline):
            device.online = False
            self.say(
                f"{device.name} goes offline: it can use only what is stored on it.", Outcome.INFO
            )
            return
        if isinstance(event, GoOnline):
            device.online = True
            self.say(f"{device.name} is back online and checks for mail.", Outcome.INFO)
            self.sync(device)
            return
        if isinstance(event, Sync):
            self.sync(device)
            return
        if device.protocol is Protocol.POP3:
            self._pop_local(device, event)
        else:
            self._imap_action(device, event)

    # -- POP3 -----------------------------------------------------------------------------------

    def sync(self, device: _Device) -> None:
        if not device.online:
            self.say(
                f"{device.name} is offline: it cannot reach the server, so nothing is checked.",
                Outcome.WARN,
            )
            return
        if device.protocol is Protocol.POP3:
            self._pop_session(device)
        else:
            self._imap_sync(device, quiet=False)

    def _pop_session(self, device: _Device) -> None:
        settings = device.client
        assert isinstance(settings, PopSettings)
        inbox = self.folders[INBOX]
        self.say(
            f"{device.name} opens a POP3 session (USER/PASS) and lists the {len(inbox)} "
            "message(s) in INBOX with UIDL. POP3 sees only INBOX: other folders do not exist "
            "for it.",
            Outcome.INFO,
            "RFC 1939 §7",
        )
        to_delete: list[tuple[_ServerMsg, str]] = []
        downloaded = 0
        device.did_not_fit.clear()
        for msg in inbox:
            uidl = msg.uidl
            if uidl in device.known_uidls:
                self.say(
                    f"{msg.label}: UIDL {uidl} is already known, so it is not downloaded again.",
                    Outcome.INFO,
                    "RFC 1939 §7",
                    depth=1,
                )
            elif msg.size > device.free:
                self.say(
                    f"{msg.label} ({format_size(msg.size)}) does not fit: {device.name} has only "
                    f"{format_size(max(0, device.free))} free. It stays on the server.",
                    Outcome.WARN,
                    depth=1,
                    kind="device_full",
                    label=msg.label,
                )
                device.did_not_fit.append(msg.view(INBOX))
                continue
            else:
                device.local.append(
                    _LocalMsg(msg.label, msg.subject, msg.size, INBOX, None, uidl=uidl)
                )
                device.known_uidls[uidl] = self.now
                msg.flags.add(Flag.SEEN)
                downloaded += 1
                self.say(
                    f"RETR {msg.label}: downloaded to {device.name}, where it is unread.",
                    Outcome.OK,
                    "RFC 1939 §5 (RETR)",
                    depth=1,
                )
                if not settings.leave_copy:
                    to_delete.append((msg, "download and delete"))
                    continue
            if not settings.leave_copy:
                continue
            if settings.remove_when_deleted_locally and uidl in device.deleted_uidls:
                to_delete.append((msg, "deleted on this device"))
            elif settings.remove_after_days is not None and self.now - device.known_uidls[
                uidl
            ] >= timedelta(days=settings.remove_after_days):
                to_delete.append((msg, f"downloaded over {settings.remove_after_days} days ago"))
        if downloaded:
            self.say(
                "The server marks what was downloaded \\Seen (Dovecot does so unless "
                "pop3_no_flag_updates is set), but POP3 clients never read server flags: the "
                "device decides for itself what is read.",
                Outcome.INFO,
                depth=1,
            )
        for msg, why in to_delete:
            self.say(
                f"DELE {msg.label} ({why}): marked for deletion in this session.",
                Outcome.INFO,
                "RFC 1939 §5 (DELE)",
                depth=1,
            )
        if to_delete:
            gone = {id(m) for m, _ in to_delete}
            self.folders[INBOX] = [m for m in inbox if id(m) not in gone]
            for m, _ in to_delete:
                device.deleted_uidls.discard(m.uidl)
            self.say(
                f"QUIT: the session enters the UPDATE state and the server removes "
                f"{', '.join(m.label for m, _ in to_delete)}; {self.usage}.",
                Outcome.OK,
                "RFC 1939 §6",
            )
        else:
            self.say(
                "QUIT: nothing was marked for deletion, so the server keeps every message.",
                Outcome.INFO,
                "RFC 1939 §6",
            )

    def _pop_local(self, device: _Device, event: Event) -> None:
        settings = device.client
        assert isinstance(settings, PopSettings)
        if isinstance(event, Expunge):
            self.say(
                f"{device.name} uses POP3: there are no server flags to expunge. Deleting on a "
                "POP3 device removes the local copy.",
                Outcome.INFO,
            )
            return
        label = getattr(event, "message", "")
        local = device.find(label)
        if local is None:
            self.say(
                f"{label} is not on {device.name}: a POP3 client only has what it downloaded "
                "(check for mail first).",
                Outcome.WARN,
            )
            return
        where = " (no network needed: it is on the device)" if not device.online else ""
        if isinstance(event, ReadMessage):
            local.flags.add(Flag.SEEN)
            self.say(
                f"{device.name} shows {label} from its own copy{where} and marks it read there only. "
                "POP3 has no command to tell the server (or other devices) it was read.",
                Outcome.OK,
                "RFC 1939 §5",
            )
        elif isinstance(event, FlagMessage | ReplyToMessage):
            flag = event.flag
            local.flags.add(flag)
            self.say(
                f"{device.name} marks {label} {flag.value} in its own copy; no other device "
                "will know (POP3 does not carry flags).",
                Outcome.INFO,
                "RFC 1939 §5",
            )
        elif isinstance(event, DeleteMessage):
            device.local.remove(local)
            on_server = self._label_of_uidl(local.uidl or "") is not None
            if settings.remove_when_deleted_locally and local.uidl and on_server:
                device.deleted_uidls.add(local.uidl)
                self.say(
                    f"{device.name} deletes its copy of {label} and will remove the server's copy "
                    "at its next check (setting: remove when deleted here).",
                    Outcome.INFO,
                )
            else:
                self.say(
                    f"{device.name} deletes its copy of {label}."
                    + (
                        " The server's copy stays: this client does not delete on the server."
                        if on_server
                        else ""
                    ),
                    Outcome.INFO,
                )
        elif isinstance(event, MoveMessage):
            old = local.folder
            local.folder = event.folder
            self.say(
                f"{device.name} moves {label} from its local {old} to its local {event.folder}. "
                "The server's folders are untouched: POP3 knows no folders.",
                Outcome.INFO,
                "RFC 1939 §1",
            )

    def _label_of_uidl(self, uidl: str) -> str | None:
        for msg in self.folders[INBOX]:
            if msg.uidl == uidl:
                return msg.label
        return None

    # -- IMAP4 ----------------------------------------------------------------------------------

    def _imap_action(self, device: _Device, event: Event) -> None:
        settings = device.client
        assert isinstance(settings, ImapSettings)
        if isinstance(event, Expunge):
            if device.online:
                self._expunge(device, [f for f in FOLDERS])
            else:
                device.pending.append(_Pending(_Change.EXPUNGE, "", INBOX, 0))
                self.say(
                    f"{device.name} is offline: the EXPUNGE waits until it is back online.",
                    Outcome.INFO,
                    "RFC 4549 §4",
                )
            return
        label = getattr(event, "message", "")
        local = device.find(label)
        if local is None:
            self.say(
                f"{label} is not in {device.name}'s view of the mailbox"
                + ("" if device.online else " (it is offline and has not seen it yet)")
                + ".",
                Outcome.WARN,
            )
            return
        if not device.online:
            self._imap_offline(device, event, local)
            return
        found = self.find(label)
        if found is None:
            self.say(f"{label} is no longer on the server.", Outcome.WARN)
            return
        folder, msg = found
        if isinstance(event, ReadMessage):
            if not local.body and settings.cache_bodies and msg.size <= device.free:
                local.body = True
            msg.flags.add(Flag.SEEN)
            local.flags = set(msg.flags)
            self.say(
                f"{device.name} fetches {label} (FETCH BODY[]), which sets \\Seen on the server: "
                "every device will show it as read.",
                Outcome.OK,
                "RFC 3501 §6.4.5",
            )
        elif isinstance(event, FlagMessage | ReplyToMessage):
            flag = event.flag
            msg.flags.add(flag)
            local.flags = set(msg.flags)
            self.say(
                f"{device.name} sends STORE {msg.uid} +FLAGS ({flag.value}) for {label}: the flag "
                "is kept on the server, for every device.",
                Outcome.OK,
                "RFC 3501 §6.4.6",
            )
        elif isinstance(event, DeleteMessage):
            msg.flags.add(Flag.DELETED)
            local.flags = set(msg.flags)
            self.say(
                f"{device.name} sends STORE {msg.uid} +FLAGS (\\Deleted) for {label}.",
                Outcome.INFO,
                "RFC 3501 §6.4.6",
            )
            if settings.expunge_on_delete:
                self._expunge(device, [folder])
            else:
                self.say(
                    f"{label} is only marked \\Deleted: it still takes {format_size(msg.size)} of "
                    "the quota until someone expunges.",
                    Outcome.WARN,
                    "RFC 3501 §6.4.3",
                )
        elif isinstance(event, MoveMessage):
            if folder == event.folder:
                self.say(f"{label} is already in {folder}.", Outcome.INFO)
                return
            self._move(msg, folder, event.folder)
            local.folder, local.uid = event.folder, msg.uid
            self.say(
                f"{device.name} moves {label} from {folder} to {event.folder} on the server "
                "(UID MOVE). It still counts against the same quota: moving frees no space.",
                Outcome.OK,
                "RFC 6851 §3; RFC 9208 §3",
            )
            self._imap_sync(device, quiet=True, own=True)

    def _move(self, msg: _ServerMsg, source: str, target: str) -> None:
        self.folders[source].remove(msg)
        msg.uid = self.next_uid[target]
        self.next_uid[target] += 1
        msg.flags.discard(Flag.DELETED)
        self.folders[target].append(msg)

    def _remove_deleted(self, folders: Sequence[str]) -> list[_ServerMsg]:
        """Remove the messages marked ``\\Deleted`` from ``folders`` for good (RFC 3501 §6.4.3)."""
        removed = []
        for folder in folders:
            keep = []
            for msg in self.folders[folder]:
                (removed if Flag.DELETED in msg.flags else keep).append(msg)
            self.folders[folder] = keep
        return removed

    def _expunge(self, device: _Device, folders: Sequence[str]) -> None:
        removed = self._remove_deleted(folders)
        if removed:
            self.say(
                f"{device.name} sends EXPUNGE: the server removes "
                f"{', '.join(m.label for m in removed)} for good; {self.usage}.",
                Outcome.OK,
                "RFC 3501 §6.4.3",
            )
        else:
            self.say(
                f"{device.name} sends EXPUNGE: no message is marked \\Deleted, so nothing is removed.",
                Outcome.INFO,
                "RFC 3501 §6.4.3",
            )
        self._imap_sync(device, quiet=True, own=True)

    def _imap_offline(self, device: _Device, event: Event, local: _LocalMsg) -> None:
        label = local.label
        uid = local.uid or 0
        if isinstance(event, ReadMessage):
            if not local.body:
                self.say(
                    f"{device.name} is offline and has only the headers of {label}: the body "
                    "was never downloaded, so it cannot be read until the device is online.",
                    Outcome.WARN,
                )
                return
            local.flags.add(Flag.SEEN)
            device.pending.append(_Pending(_Change.FLAG, label, local.folder, uid, Flag.SEEN))
            self.say(
                f"{device.name} is offline but shows {label} from its cache and marks it read "
                "there; it will tell the server when it is back online.",
                Outcome.OK,
                "RFC 4549 §4",
            )
        elif isinstance(event, FlagMessage | ReplyToMessage):
            flag = event.flag
            local.flags.add(flag)
            device.pending.append(_Pending(_Change.FLAG, label, local.folder, uid, flag))
            self.say(
                f"{device.name} is offline: it marks {label} {flag.value} in its cache and "
                "queues the change for the server.",
                Outcome.INFO,
                "RFC 4549 §4",
            )
        elif isinstance(event, DeleteMessage):
            device.local.remove(local)
            device.pending.append(_Pending(_Change.DELETE, label, local.folder, uid))
            self.say(
                f"{device.name} is offline: it hides {label} and queues the deletion for the "
                "server. The server (and every other device) still has it for now.",
                Outcome.INFO,
                "RFC 4549 §4",
            )
        elif isinstance(event, MoveMessage):
            device.pending.append(
                _Pending(_Change.MOVE, label, local.folder, uid, target=event.folder)
            )
            local.folder = event.folder
            self.say(
                f"{device.name} is offline: it shows {label} in {event.folder} and queues the "
                "move for the server.",
                Outcome.INFO,
                "RFC 4549 §4",
            )

    def _replay(self, device: _Device) -> None:
        settings = device.client
        assert isinstance(settings, ImapSettings)
        self.say(
            f"{device.name} first sends the {len(device.pending)} change(s) it made offline.",
            Outcome.INFO,
            "RFC 4549 §4",
        )
        pending, device.pending = device.pending, []
        expunge_after: set[str] = set()
        for op in pending:
            if op.kind is _Change.EXPUNGE:
                expunge_after.update(FOLDERS)
                continue
            found = self.find(op.label)
            if found is None:
                self.say(
                    f"Cannot {op.describe()}: another device already removed {op.label} from "
                    "the server. The change is dropped.",
                    Outcome.WARN,
                    "RFC 4549 §4.2",
                    depth=1,
                )
                continue
            folder, msg = found
            if op.kind is _Change.FLAG and op.flag is not None:
                msg.flags.add(op.flag)
                self.say(
                    f"STORE +FLAGS ({op.flag.value}) on {op.label}.",
                    Outcome.OK,
                    "RFC 3501 §6.4.6",
                    depth=1,
                )
            elif op.kind is _Change.DELETE:
                msg.flags.add(Flag.DELETED)
                self.say(
                    f"STORE +FLAGS (\\Deleted) on {op.label}.",
                    Outcome.OK,
                    "RFC 3501 §6.4.6",
                    depth=1,
                )
                if settings.expunge_on_delete:
                    expunge_after.add(folder)
            elif op.kind is _Change.MOVE and op.target is not None and folder != op.target:
                self._move(msg, folder, op.target)
                moved = device.find(op.label)
                if moved is not None:
                    moved.folder, moved.uid = op.target, msg.uid
                self.say(f"UID MOVE {op.label} to {op.target}.", Outcome.OK, "RFC 6851 §3", depth=1)
        if expunge_after:
            self._expunge_quiet(device, sorted(expunge_after))

    def _expunge_quiet(self, device: _Device, folders: Sequence[str]) -> None:
        removed = self._remove_deleted(folders)
        if removed:
            self.say(
                f"EXPUNGE: the server removes {', '.join(m.label for m in removed)} for good.",
                Outcome.OK,
                "RFC 3501 §6.4.3",
                depth=1,
            )

    def _imap_sync(self, device: _Device, *, quiet: bool, own: bool = False) -> None:
        """Bring the device's cache in line with the server (after replaying offline changes)."""
        settings = device.client
        assert isinstance(settings, ImapSettings)
        if device.pending:
            self._replay(device)
        if not quiet:
            self.say(
                f"{device.name} asks the server what is in each folder (SELECT, UID FETCH FLAGS) "
                "and updates its view.",
                Outcome.INFO,
                "RFC 3501 §6.3.1",
            )
        depth = 1
        notes: list[tuple[str, Outcome, str]] = []
        on_server: set[tuple[str, int]] = set()
        for folder, msgs in self.folders.items():
            for msg in msgs:
                on_server.add((folder, msg.uid))
        for local in list(device.local):
            if (local.folder, local.uid or 0) not in on_server:
                device.local.remove(local)
                notes.append(
                    (
                        f"{local.label} left {local.folder} on the server (expunged or moved), so "
                        f"it leaves {device.name}'s {local.folder} too.",
                        Outcome.INFO,
                        "RFC 3501 §7.4.1",
                    )
                )
        cached = {(m.folder, m.uid): m for m in device.local}
        for folder, msgs in self.folders.items():
            for msg in msgs:
                local = cached.get((folder, msg.uid))
                if local is None:
                    body = settings.cache_bodies and msg.size <= device.free
                    device.local.append(
                        _LocalMsg(
                            msg.label, msg.subject, msg.size, folder, msg.uid, set(msg.flags), body
                        )
                    )
                    how = (
                        "with its body cached"
                        if body
                        else (
                            "headers only (device storage is full)"
                            if settings.cache_bodies
                            else "headers only"
                        )
                    )
                    state = (
                        f" and already {' '.join(f.value for f in in_flag_order(msg.flags))} on the server"
                        if msg.flags
                        else ""
                    )
                    notes.append(
                        (
                            f"{msg.label} appears in {device.name}'s {folder}, {how}{state}.",
                            Outcome.OK if body else Outcome.WARN,
                            "RFC 3501 §7.3.1",
                        )
                    )
                elif local.flags != msg.flags:
                    added = sorted(f.value for f in msg.flags - local.flags)
                    gone = sorted(f.value for f in local.flags - msg.flags)
                    local.flags = set(msg.flags)
                    what = "; ".join(
                        p
                        for p in (
                            f"now {' '.join(added)}" if added else "",
                            f"no longer {' '.join(gone)}" if gone else "",
                        )
                        if p
                    )
                    notes.append(
                        (
                            f"{msg.label} on {device.name}: {what}, because the server says so "
                            "(another device changed it).",
                            Outcome.OK,
                            "RFC 3501 §7.4.2",
                        )
                    )
        device.local.sort(key=lambda m: (FOLDERS.index(m.folder), m.uid or 0))
        if quiet and notes and own:
            self.say(f"{device.name} updates its own view of the mailbox.", Outcome.INFO)
        elif quiet and notes:
            self.say(
                f"{device.name} (online, IMAP) is told about the change at once.",
                Outcome.INFO,
                "RFC 2177 (IDLE)",
            )
        for text, outcome, section in notes:
            self.say(text, outcome, section, depth=depth)
        if not quiet and not notes:
            self.say(f"{device.name} is already up to date.", Outcome.INFO, depth=depth)

    def refresh_online_imap(self) -> None:
        """Online IMAP clients hear about changes at once (IDLE, RFC 2177)."""
        for device in self.devices.values():
            if device.online and device.protocol is Protocol.IMAP4:
                self._imap_sync(device, quiet=True)


# -- running ---------------------------------------------------------------------------------------


def _changes(
    before_server: ServerState,
    before_devices: Iterable[DeviceState],
    server: ServerState,
    devices: Iterable[DeviceState],
) -> tuple[Change, ...]:
    out: list[Change] = []

    def compare(place: str, old: Iterable[MessageView], new: Iterable[MessageView]) -> None:
        old_map = {(m.folder, m.label): m for m in old}
        new_map = {(m.folder, m.label): m for m in new}
        for key, m in new_map.items():
            prev = old_map.get(key)
            if prev is None:
                out.append(Change(place, m.folder, m.label, ChangeKind.ADDED, "new here"))
            elif prev.flags != m.flags or prev.body != m.body:
                parts = [f"+{f.value}" for f in in_flag_order(m.flags - prev.flags)]
                parts += [f"−{f.value}" for f in in_flag_order(prev.flags - m.flags)]
                if prev.body != m.body:
                    parts.append("body cached" if m.body else "body dropped")
                out.append(Change(place, m.folder, m.label, ChangeKind.CHANGED, " ".join(parts)))
        for key, m in old_map.items():
            if key not in new_map:
                out.append(Change(place, m.folder, m.label, ChangeKind.REMOVED, "gone from here"))

    compare("server", before_server.messages, server.messages)
    old_devices = {d.name: d for d in before_devices}
    for d in devices:
        prev = old_devices.get(d.name)
        compare(d.name, prev.messages if prev else (), d.messages)
    return tuple(out)


def run(
    scenario: Scenario,
    *,
    client: ClientSettings | None = None,
    quota: int | None = None,
    full_reply: FullMailboxReply | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Run:
    """Play ``scenario`` and return the state after every step.

    ``client`` is the mail client setting of every device that does not name its own (POP3 or
    IMAP4 and their options; IMAP4 with defaults when omitted), so the same scenario can be played
    under both protocols. ``quota`` and ``full_reply`` override the scenario's. ``clock`` gives the
    start time (step 0); each event happens ``event.at`` after it.
    """
    if quota is not None or full_reply is not None:
        scenario = replace(
            scenario,
            quota=scenario.quota if quota is None else quota,
            full_reply=scenario.full_reply if full_reply is None else full_reply,
        )
    settings = client if client is not None else ImapSettings()
    start = clock()
    world = _World(scenario, settings, start)
    world.say(
        f"The mailbox starts empty with a quota of {format_size(scenario.quota)}; "
        + (
            ", ".join(
                f"{d.name} ({d.protocol.value}, {format_size(d.capacity)} of storage, "
                f"{'online' if d.online else 'offline'})"
                for d in world.devices.values()
            )
            or "no devices yet"
        )
        + ".",
        Outcome.INFO,
        "RFC 9208 §3",
    )
    server, devices = world.server_state(), world.device_states()
    steps = [StepResult(0, start, None, server, devices, (), tuple(world.steps))]
    for number, event in enumerate(scenario.events, start=1):
        world.steps = []
        world.now = start + event.at
        world.process_queue()
        world.apply(event)
        world.refresh_online_imap()
        new_server, new_devices = world.server_state(), world.device_states()
        steps.append(
            StepResult(
                number,
                world.now,
                event,
                new_server,
                new_devices,
                _changes(server, devices, new_server, new_devices),
                tuple(world.steps),
            )
        )
        server, devices = new_server, new_devices
    label = settings.protocol.value + (
        f" ({settings.summary})" if isinstance(settings, PopSettings) else ""
    )
    return Run(scenario, label, tuple(steps), tuple(world.arrived))
