"""The device side: what a device keeps, and the shape of the mail client it runs.

- :class:`_Device` — storage, online state, the messages held on the device, and what its client
  remembers between checks (POP3: the UIDLs already downloaded; IMAP4: changes made offline);
- :class:`_LocalMsg` — one message as a device holds it: a POP3 download or an IMAP cache entry;
- :class:`_Pending` — a change an offline IMAP client makes, to replay later (RFC 4549 §4);
- :class:`_Client` — what every mail client does: check for mail, and act on what its user does.
  The POP3 client is :mod:`~mailsec.retrieval.model.pop_client`, the IMAP4 one
  :mod:`~mailsec.retrieval.model.imap_client`.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from mailsec.i18n import texts
from mailsec.retrieval.model.events import Event
from mailsec.retrieval.model.results import DeviceState, MessageView
from mailsec.retrieval.model.server import _Mailbox
from mailsec.retrieval.model.tracing import _Trace
from mailsec.retrieval.model.vocabulary import (
    ClientSettings,
    Flag,
    ImapSettings,
    PopSettings,
    Protocol,
    shown,
)

TEXT = texts(
    {
        "set": "set {flag} on {label}",
        "delete": "delete {label}",
        "move": "move {label} to {folder}",
        "expunge": "expunge deleted messages",
    }
)
"""An offline change's words, as the device's list of changes to send shows it (see
:mod:`mailsec.i18n`)."""

_Settings = TypeVar("_Settings", PopSettings, ImapSettings)


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


class _PendingKind(enum.Enum):
    """The kinds of change an offline IMAP client queues."""

    FLAG = "flag"
    DELETE = "delete"
    MOVE = "move"
    EXPUNGE = "expunge"


@dataclass
class _Pending:
    """A change an offline IMAP client will replay (RFC 4549 §4)."""

    kind: _PendingKind
    label: str
    folder: str
    uid: int
    flag: Flag | None = None
    target: str | None = None

    def describe(self) -> str:
        if self.kind is _PendingKind.FLAG:
            return TEXT["set"].format(flag=self.flag.value if self.flag else "", label=self.label)
        if self.kind is _PendingKind.DELETE:
            return TEXT["delete"].format(label=self.label)
        if self.kind is _PendingKind.MOVE:
            return TEXT["move"].format(label=self.label, folder=shown(self.target or ""))
        return TEXT["expunge"]


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
    """IMAP4: changes made offline, to replay when back online."""
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


class _Client(abc.ABC, Generic[_Settings]):
    """A device's mail client at one moment of a run.

    It sees the server's mailbox, its own device, the trace it explains itself in, and the time.
    The runner makes one for each thing the client does; all that lasts is kept on the device.
    """

    settings_type: type[_Settings]
    """The settings this client understands."""

    def __init__(self, mailbox: _Mailbox, device: _Device, trace: _Trace, now: datetime) -> None:
        self.mailbox = mailbox
        self.device = device
        self.trace = trace
        self.now = now

    @property
    def settings(self) -> _Settings:
        """The device's client settings (the runner picks the client that matches them)."""
        settings = self.device.client
        assert isinstance(settings, self.settings_type)
        return settings

    @abc.abstractmethod
    def check_mail(self) -> None:
        """The device is online and checks for mail."""

    @abc.abstractmethod
    def act(self, event: Event) -> None:
        """The user reads, flags, answers, deletes, moves or expunges (online or not)."""
