"""One Maildir folder, kept in step with its files: messages by UID, flags in file names.

:class:`Folder` is what the POP3 and IMAP sessions read and change; :class:`FolderChange` is what
other sessions are told (IMAP's untagged updates). The store that owns the folders, its quota and
its locks is :class:`~mailsec.retrieval.maildir.MailStore` (see that module for the layout on disk).
"""

from __future__ import annotations

import contextlib
import enum
import mailbox
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailsec.retrieval.maildir import MailStore

__all__ = [
    "FLAG_LETTERS",
    "SYSTEM_FLAGS",
    "UIDLIST",
    "ChangeKind",
    "Folder",
    "FolderChange",
    "StoredMessage",
    "crlf",
    "wire_size",
]

#: IMAP system flags and their Maildir info letters (Maildir spec; RFC 3501 §2.3.2).
FLAG_LETTERS: dict[str, str] = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}
_LETTER_FLAGS = {letter: name for name, letter in FLAG_LETTERS.items()}
#: The flags in the order Dovecot lists them in ``* FLAGS``.
SYSTEM_FLAGS: tuple[str, ...] = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
UIDLIST = "mailsec-uidlist"


def crlf(data: bytes) -> bytes:
    """``data`` with every line ending as CRLF (RFC 5322 §2.1), as it is sent on the wire."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _lf(data: bytes) -> bytes:
    """``data`` with LF line ends, as Maildir stores it."""
    return data.replace(b"\r\n", b"\n")


def wire_size(data: bytes) -> int:
    """The size of ``data`` on the wire, with CRLF line ends (what LIST and RFC822.SIZE say)."""
    lf_data = _lf(data)
    return len(lf_data) + lf_data.count(b"\n")


class ChangeKind(enum.Enum):
    """What happened to a folder, as other sessions are told (RFC 3501 §7.3-7.4)."""

    ADDED = "added"
    """A message arrived (delivery, APPEND, COPY): ``* n EXISTS``."""
    FLAGS = "flags"
    """A message's flags changed: ``* n FETCH (FLAGS ...)``."""
    EXPUNGED = "expunged"
    """A message was removed for good: ``* n EXPUNGE``."""


@dataclass(frozen=True)
class FolderChange:
    """One change to a folder, sent to every listener except the one that made it."""

    kind: ChangeKind
    uid: int
    flags: frozenset[str] = frozenset()
    origin: object = None
    """Who made the change (a session object), so it is not told about its own change twice."""


@dataclass
class StoredMessage:
    """One message file of a folder (mutable bookkeeping inside the store)."""

    uid: int
    key: str
    """The unique part of the file name (before ``:2,``), as :mod:`mailbox` names it."""
    subdir: str
    """``"new"`` (not yet seen by any client) or ``"cur"``."""
    filename: str
    size: int
    """Octets with CRLF line ends (RFC 3501 §2.3.4)."""
    internaldate: float
    """When the server received it, seconds since the epoch (RFC 3501 §2.3.3)."""
    flags: frozenset[str] = frozenset()
    other_letters: str = ""
    """Info letters this store does not interpret (keywords of other servers); kept on rename."""


class Folder:
    """One Maildir folder: its messages by UID, kept in step with the files on disk."""

    def __init__(self, store: MailStore, name: str, path: Path) -> None:
        self.store = store
        self.name = name
        self.path = path
        self.maildir = mailbox.Maildir(path, factory=None, create=True)
        self.messages: dict[int, StoredMessage] = {}
        self.uidvalidity = 0
        self.uidnext = 1
        self.listeners: list[Callable[[FolderChange], None]] = []
        self.removals = 0
        """How many times messages were removed (sessions compare it to skip needless scans)."""
        self.recent: set[int] = set()
        """Messages no IMAP session has seen yet: the next one to select gets them as
        ``\\Recent`` (RFC 3501 §2.3.2)."""
        self._load()
        self.sync()

    # -- the UID list --------------------------------------------------------------------------

    def _load(self) -> None:
        path = self.path / UIDLIST
        try:
            lines = path.read_text("ascii", errors="replace").splitlines()
            version, validity, nextuid = lines[0].split()
            if version != "1":
                raise ValueError(version)
            self.uidvalidity, self.uidnext = int(validity), int(nextuid)
        except (OSError, ValueError, IndexError):
            # No list yet, or an unreadable one: number the messages afresh with a new
            # UIDVALIDITY, which tells clients to forget the old numbers (RFC 3501 §2.3.1.1).
            self.messages = {}
            self.uidvalidity = self.store.new_uidvalidity()
            self.uidnext = 1
            self._rewrite_uidlist()
            return
        for line in lines[1:]:
            try:
                uid, size, date, key = line.split(" ", 3)
                entry = StoredMessage(int(uid), key, "", "", int(size), float(date))
            except ValueError:
                # A line cut short by a crash: its message gets a new UID when the folder is
                # read; the others keep theirs.
                continue
            self.messages[entry.uid] = entry
            self.uidnext = max(self.uidnext, entry.uid + 1)
        # Entries appended later have higher UIDs, but a damaged file could be out of order.
        self.messages = dict(sorted(self.messages.items()))

    def _entry(self, msg: StoredMessage) -> str:
        return f"{msg.uid} {msg.size} {msg.internaldate:.3f} {msg.key}\n"

    def _rewrite_uidlist(self) -> None:
        text = f"1 {self.uidvalidity} {self.uidnext}\n" + "".join(
            self._entry(m) for m in self.messages.values()
        )
        tmp = self.path / f"{UIDLIST}.tmp"
        tmp.write_text(text, "ascii")
        os.replace(tmp, self.path / UIDLIST)

    def _append_uidlist(self, messages: list[StoredMessage]) -> None:
        """Add the entries of new messages to the UID list, all in one write."""
        with open(self.path / UIDLIST, "a", encoding="ascii") as handle:
            handle.write("".join(self._entry(msg) for msg in messages))

    # -- keeping in step with the disk -----------------------------------------------------------

    def _scan(self) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for subdir in ("new", "cur"):
            try:
                names = os.listdir(self.path / subdir)
            except FileNotFoundError:
                continue
            for filename in names:
                if filename.startswith("."):
                    continue
                found[filename.split(":", 1)[0]] = (subdir, filename)
        return found

    def sync(self) -> None:
        """Read the folder's files again: pick up mail that another program put there, notice
        removed files, and tell listeners what changed."""
        found = self._scan()
        by_key = {m.key: m for m in self.messages.values()}
        if any(key not in found for key in by_key):
            # Another program may have moved a file from new/ to cur/ between the two
            # directory reads: look once more before calling a message removed.
            found = {**found, **self._scan()}
        changed = False
        for msg in list(self.messages.values()):
            where = found.get(msg.key)
            if where is None:
                # Every message in the list gets a file; a list entry without one was removed.
                del self.messages[msg.uid]
                self.recent.discard(msg.uid)
                self.removals += 1
                changed = True
                if msg.subdir:
                    self._notify(FolderChange(ChangeKind.EXPUNGED, msg.uid))
                continue
            subdir, filename = where
            flags, other = _parse_info(filename)
            if not msg.subdir and subdir == "new":
                self.recent.add(msg.uid)
            flags_changed = bool(msg.subdir) and flags != msg.flags
            msg.subdir, msg.filename, msg.flags, msg.other_letters = subdir, filename, flags, other
            if flags_changed:
                self._notify(FolderChange(ChangeKind.FLAGS, msg.uid, flags))
        new_keys = sorted(set(found) - set(by_key), key=lambda k: (found[k][1], k))
        added: list[StoredMessage] = []
        for key in new_keys:
            subdir, filename = found[key]
            path = self.path / subdir / filename
            try:
                size = wire_size(path.read_bytes())
                date = path.stat().st_mtime
            except FileNotFoundError:
                continue
            flags, other = _parse_info(filename)
            uid = self.uidnext + len(added)
            added.append(StoredMessage(uid, key, subdir, filename, size, date, flags, other))
        if added:  # the UID list in one write, then each message joins and is told, in order
            self._append_uidlist(added)
        for msg in added:
            self.messages[msg.uid] = msg
            self.uidnext = msg.uid + 1
            if msg.subdir == "new":
                self.recent.add(msg.uid)
            self._notify(FolderChange(ChangeKind.ADDED, msg.uid, msg.flags))
        if changed:
            self._rewrite_uidlist()

    # -- listeners -------------------------------------------------------------------------------

    def _notify(self, change: FolderChange) -> None:
        for listener in list(self.listeners):
            listener(change)

    # -- reading -----------------------------------------------------------------------------------

    @property
    def uids(self) -> list[int]:
        """The UIDs in ascending order (the order of message sequence numbers)."""
        return list(self.messages)

    @property
    def total_size(self) -> int:
        return sum(m.size for m in self.messages.values())

    def file_path(self, uid: int) -> Path:
        msg = self.messages[uid]
        return self.path / msg.subdir / msg.filename

    def read(self, uid: int) -> bytes:
        """The message with CRLF line ends, exactly as POP3 and IMAP send it.

        Raises ``KeyError`` when the message is gone (expunged by another session or program).
        """
        try:
            return crlf(self.file_path(uid).read_bytes())
        except FileNotFoundError:
            raise KeyError(uid) from None

    # -- changing ----------------------------------------------------------------------------------

    def add(
        self,
        data: bytes,
        *,
        flags: Iterable[str] = (),
        internaldate: float | None = None,
        origin: object = None,
    ) -> int:
        """Store a new message and return its UID; the caller checks the quota first."""
        key = self.maildir.add(_lf(data))
        filename = key
        path = self.path / "new" / filename
        if internaldate is not None:
            os.utime(path, (internaldate, internaldate))
        else:
            internaldate = path.stat().st_mtime
        msg = StoredMessage(self.uidnext, key, "new", filename, wire_size(data), internaldate)
        self.uidnext += 1
        self.messages[msg.uid] = msg
        self.recent.add(msg.uid)
        self._append_uidlist([msg])
        wanted = frozenset(flags)
        if wanted:
            self._rename(msg, wanted)
        self._notify(FolderChange(ChangeKind.ADDED, msg.uid, msg.flags, origin))
        return msg.uid

    def _rename(self, msg: StoredMessage, flags: frozenset[str]) -> None:
        letters = "".join(sorted({FLAG_LETTERS[f] for f in flags} | set(msg.other_letters)))
        filename = f"{msg.key}:2,{letters}"
        old = self.path / msg.subdir / msg.filename
        new = self.path / "cur" / filename
        if old != new:
            os.rename(old, new)
        msg.subdir, msg.filename, msg.flags = "cur", filename, flags

    def set_flags(self, uid: int, flags: Iterable[str], *, origin: object = None) -> bool:
        """Give a message exactly these system flags; returns whether anything changed."""
        msg = self.messages[uid]
        wanted = frozenset(flags)
        if wanted == msg.flags:
            return False
        try:
            self._rename(msg, wanted)
        except FileNotFoundError:
            raise KeyError(uid) from None
        self._notify(FolderChange(ChangeKind.FLAGS, uid, wanted, origin))
        return True

    def claim_recent(self, *, keep: bool = False) -> set[int]:
        """The messages that are new to IMAP sessions; unless ``keep``, they stop being new
        (and move from ``new/`` to ``cur/``): only one session sees a message as \\Recent."""
        claimed = {uid for uid in self.recent if uid in self.messages}
        if keep:
            return claimed
        self.recent.clear()
        for uid in sorted(claimed):
            self.mark_old(uid)
        return claimed

    def mark_old(self, uid: int) -> None:
        """Move a message from ``new/`` to ``cur/``: some client has now seen that it exists."""
        msg = self.messages[uid]
        if msg.subdir == "new":
            with contextlib.suppress(FileNotFoundError):
                self._rename(msg, msg.flags)

    def expunge(self, uids: Iterable[int], *, origin: object = None) -> list[int]:
        """Remove these messages for good; returns the UIDs actually removed, in order."""
        removed = []
        for uid in sorted(set(uids)):
            msg = self.messages.get(uid)
            if msg is None:
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path / msg.subdir / msg.filename)
            del self.messages[uid]
            self.recent.discard(uid)
            removed.append(uid)
        if removed:
            self.removals += 1
            self._rewrite_uidlist()
            for uid in removed:
                self._notify(FolderChange(ChangeKind.EXPUNGED, uid, origin=origin))
        return removed


def _parse_info(filename: str) -> tuple[frozenset[str], str]:
    if ":2," not in filename:
        return frozenset(), ""
    letters = filename.split(":2,", 1)[1]
    flags = frozenset(_LETTER_FLAGS[c] for c in letters if c in _LETTER_FLAGS)
    other = "".join(c for c in letters if c not in _LETTER_FLAGS)
    return flags, other
