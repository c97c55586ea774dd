"""What the Maildir holds, as the wire lab shows it, and what changed between two looks.

:func:`snapshot_of` reads a mail store into folders of :class:`MessageView` (what
:meth:`MailServers.snapshot <mailsec.retrieval.servers.shells.MailServers.snapshot>` returns);
:func:`compare_snapshots` turns two such looks into the :class:`MessageChange` list that
:mod:`mailsec.render.transcript` draws.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.retrieval.imap import header_value
from mailsec.retrieval.maildir import MailStore

__all__ = [
    "Change",
    "FolderView",
    "MessageChange",
    "MessageView",
    "compare_snapshots",
    "snapshot_of",
]


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


def snapshot_of(store: MailStore) -> tuple[FolderView, ...]:
    """Every folder of ``store`` and its messages as they are now.

    Run it where the store lives (:meth:`MailServers.call
    <mailsec.retrieval.servers.shells.MailServers.call>`). A message removed while it is read
    is left out.
    """
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
                    header_value(head, "Subject"),
                    header_value(head, "From"),
                )
            )
        views.append(FolderView(name, tuple(messages)))
    return tuple(views)


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
