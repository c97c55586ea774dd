"""What the Maildir holds, as the wire lab shows it, and what changed between two looks.

:meth:`MailServers.snapshot <mailsec.retrieval.servers.shells.MailServers.snapshot>` returns
folders of :class:`MessageView`; :func:`compare_snapshots` turns two such looks into the
:class:`MessageChange` list that :mod:`mailsec.render.transcript` draws.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Change", "FolderView", "MessageChange", "MessageView", "compare_snapshots"]


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
