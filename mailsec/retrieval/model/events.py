"""What can happen in a scenario: the events of a timeline, and the :class:`Scenario` itself.

Each event is a frozen dataclass with the time it happens (since the scenario's start) and a
``describe()`` for the timeline. A :class:`Scenario` checks its timeline when it is made: events
in time order, devices named before they are used, sizes and quotas that make sense.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.retrieval.model.vocabulary import (
    ARCHIVE,
    FOLDERS,
    DeviceSpec,
    Flag,
    FullMailboxReply,
    format_size,
    shown,
)

TEXT = texts(
    {
        "arrives": "Mail arrives: “{subject}” ({size}) from {sender}",
        "sync": "{device} checks for mail",
        "read": "{device} opens {message}",
        "flag": "{device} flags {message} (star / important)",
        "reply": "{device} replies to {message}",
        "delete": "{device} deletes {message}",
        "move": "{device} moves {message} to {folder}",
        "expunge": "{device} empties the deleted messages (EXPUNGE)",
        "offline": "{device} goes offline",
        "online": "{device} is back online",
        "quota": "The provider sets the mailbox quota to {size}",
        "add_device": "A new device is set up: {device}",
        "time": "Time passes",
        "bad_quota": "The quota is {quota!r} bytes: give 0 or more.",
        "same_name": "Two devices share a name in {names!r}: give each device its own name.",
        "order": "Event {number} ({event}) is at {at}, before the event before it ({previous}): "
        "list the events in time order.",
        "again": "Event {number} adds a device called {name!r}, but there is already one: give "
        "the new device another name.",
        "unknown_device": "Event {number} ({event}) names the device {name!r}, which is not set "
        "up yet: use one of {known!r}.",
        "bad_size": "Event {number}: a message of {size!r} bytes cannot arrive: give a size above 0.",
        "bad_event_quota": "Event {number}: the quota {quota!r} is below 0.",
        "bad_folder": "Event {number}: the folder {folder!r} does not exist: use one of {folders!r}.",
    }
)
"""The events' words (see :mod:`mailsec.i18n`): each event's line in the timeline, and the
checks of a scenario."""


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
        return TEXT["arrives"].format(
            subject=shown(self.subject), size=format_size(self.size), sender=self.sender
        )


@dataclass(frozen=True)
class Sync(DeviceEvent):
    """The device checks for mail (POP3: a session; IMAP4: a full resynchronisation)."""

    def describe(self) -> str:
        return TEXT["sync"].format(device=shown(self.device))


@dataclass(frozen=True)
class ReadMessage(MessageEvent):
    """The user opens a message on the device."""

    def describe(self) -> str:
        return TEXT["read"].format(device=shown(self.device), message=self.message)


@dataclass(frozen=True)
class FlagMessage(MessageEvent):
    """The user flags a message (a star, or "important")."""

    flag: ClassVar[Flag] = Flag.FLAGGED
    """The flag this sets (RFC 3501 §2.3.2)."""

    def describe(self) -> str:
        return TEXT["flag"].format(device=shown(self.device), message=self.message)


@dataclass(frozen=True)
class ReplyToMessage(MessageEvent):
    """The user answers a message."""

    flag: ClassVar[Flag] = Flag.ANSWERED
    """The flag a reply sets (RFC 3501 §2.3.2)."""

    def describe(self) -> str:
        return TEXT["reply"].format(device=shown(self.device), message=self.message)


@dataclass(frozen=True)
class DeleteMessage(MessageEvent):
    """The user deletes a message."""

    def describe(self) -> str:
        return TEXT["delete"].format(device=shown(self.device), message=self.message)


@dataclass(frozen=True)
class MoveMessage(MessageEvent):
    """The user files a message in another folder (``Archive`` unless told)."""

    folder: str = ARCHIVE

    def describe(self) -> str:
        return TEXT["move"].format(
            device=shown(self.device), message=self.message, folder=shown(self.folder)
        )


@dataclass(frozen=True)
class Expunge(DeviceEvent):
    """The device's client permanently removes messages marked ``\\Deleted`` (RFC 3501 §6.4.3)."""

    def describe(self) -> str:
        return TEXT["expunge"].format(device=shown(self.device))


@dataclass(frozen=True)
class GoOffline(DeviceEvent):
    """The device loses its connection (a tunnel, a flight, no signal)."""

    def describe(self) -> str:
        return TEXT["offline"].format(device=shown(self.device))


@dataclass(frozen=True)
class GoOnline(DeviceEvent):
    """The device is back online; its client checks for mail at once."""

    def describe(self) -> str:
        return TEXT["online"].format(device=shown(self.device))


@dataclass(frozen=True)
class SetQuota(Event):
    """The provider changes the mailbox quota (RFC 9208 §5.1)."""

    quota: int

    def describe(self) -> str:
        return TEXT["quota"].format(size=format_size(self.quota))


@dataclass(frozen=True)
class AddDevice(Event):
    """A new device is set up with the account."""

    spec: DeviceSpec

    @property
    def device_name(self) -> str | None:
        return self.spec.name

    def describe(self) -> str:
        return TEXT["add_device"].format(device=shown(self.spec.name))


@dataclass(frozen=True)
class TimePasses(Event):
    """Nothing happens but time: the sender's server may retry or give up."""

    def describe(self) -> str:
        return TEXT["time"]


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
        raise InputError(TEXT["bad_quota"].format(quota=scenario.quota))
    names = [d.name for d in scenario.devices]
    known = set(names)
    if len(known) != len(names):
        raise InputError(TEXT["same_name"].format(names=names))
    previous = timedelta(0)
    for number, event in enumerate(scenario.events, start=1):
        if event.at < previous:
            raise InputError(
                TEXT["order"].format(
                    number=number, event=event.describe(), at=event.at, previous=previous
                )
            )
        previous = event.at
        if isinstance(event, AddDevice):
            if event.spec.name in known:
                raise InputError(TEXT["again"].format(number=number, name=event.spec.name))
            known.add(event.spec.name)
        elif event.device_name is not None and event.device_name not in known:
            raise InputError(
                TEXT["unknown_device"].format(
                    number=number,
                    event=event.describe(),
                    name=event.device_name,
                    known=sorted(known),
                )
            )
        if isinstance(event, MailArrives) and event.size <= 0:
            raise InputError(TEXT["bad_size"].format(number=number, size=event.size))
        if isinstance(event, SetQuota) and event.quota < 0:
            raise InputError(TEXT["bad_event_quota"].format(number=number, quota=event.quota))
        if isinstance(event, MoveMessage) and event.folder not in FOLDERS:
            raise InputError(
                TEXT["bad_folder"].format(number=number, folder=event.folder, folders=list(FOLDERS))
            )
