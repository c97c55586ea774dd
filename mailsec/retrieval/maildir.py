"""The mail store behind the real POP3 and IMAP4 servers: a Maildir with Maildir++ folders.

The layout is the one every standard server reads (Dovecot, Courier, qmail): the INBOX is the
Maildir itself (``cur/``, ``new/``, ``tmp/``) and every other folder is a Maildir in a sub-directory
whose name starts with a dot (``.Archive``, ``.Work.Projects``: Maildir++, hierarchy separator
``"."``). Messages are files; their flags live in the file name after ``:2,`` (``S`` seen, ``R``
replied, ``F`` flagged, ``T`` trashed, ``D`` draft), so a flag change is an atomic rename and a
crash can never lose a message. New mail is written to ``tmp/`` and then moved to ``new/`` by the
standard library's :class:`mailbox.Maildir`.

IMAP needs stable numbers (UIDs, RFC 3501 §2.3.1.1) that Maildir does not have: each folder keeps
them in a small text file ``mailsec-uidlist`` (the idea of Dovecot's ``dovecot-uidlist``) together
with the size a client sees (CRLF line ends, RFC 3501 §2.3.4) and the internal date.

Sizes: every size here is the message as sent on the wire, with CRLF line ends (what POP3 ``LIST``
and IMAP ``RFC822.SIZE`` report). The quota counts the same sizes over all folders, like Dovecot's
"User quota" root.

The store is not thread-safe: the servers run every session in one asyncio loop and call it from
that loop only.
"""

from __future__ import annotations

import contextlib
import enum
import mailbox
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the lock is only held within the process
    fcntl = None  # type: ignore[assignment]

from mailsec.errors import InputError
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "FLAG_LETTERS",
    "SYSTEM_FLAGS",
    "ChangeKind",
    "Delivery",
    "Folder",
    "FolderChange",
    "MailStore",
    "StoredMessage",
    "UnsafeFolderName",
    "crlf",
    "folder_name_problem",
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
SUBSCRIPTIONS = "mailsec-subscriptions"
POP3_LOCK = "mailsec-pop3.lock"
QUOTA_ROOT = "User quota"
"""The quota root name, as Dovecot names its default root (RFC 9208 §3)."""

#: Folder names: printable ASCII without the wildcards and with no empty hierarchy level.
_NAME = re.compile(r"^[\x20-\x7e]+$")


def crlf(data: bytes) -> bytes:
    """``data`` with every line ending as CRLF (RFC 5322 §2.1), as it is sent on the wire."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _lf(data: bytes) -> bytes:
    """``data`` with LF line ends, as Maildir stores it."""
    return data.replace(b"\r\n", b"\n")


def _wire_size(data: bytes) -> int:
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


@dataclass(frozen=True)
class Delivery:
    """The answer to a delivery attempt, as the delivering SMTP server would report it."""

    accepted: bool
    status: str
    """The SMTP reply: ``250 2.0.0 ...`` or ``552 5.2.2 ...`` (RFC 5321 §4.2.2, RFC 3463 §3.3)."""
    size: int
    used: int
    """Bytes in the mailbox after the attempt."""
    quota: int | None
    uid: int | None = None
    steps: Trace = ()


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

    def _append_uidlist(self, msg: StoredMessage) -> None:
        with open(self.path / UIDLIST, "a", encoding="ascii") as handle:
            handle.write(self._entry(msg))

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
        for key in new_keys:
            subdir, filename = found[key]
            path = self.path / subdir / filename
            try:
                size = _wire_size(path.read_bytes())
                date = path.stat().st_mtime
            except FileNotFoundError:
                continue
            flags, other = _parse_info(filename)
            msg = StoredMessage(self.uidnext, key, subdir, filename, size, date, flags, other)
            self.messages[msg.uid] = msg
            self.uidnext += 1
            if subdir == "new":
                self.recent.add(msg.uid)
            self._append_uidlist(msg)
            self._notify(FolderChange(ChangeKind.ADDED, msg.uid, flags))
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
        msg = StoredMessage(self.uidnext, key, "new", filename, _wire_size(data), internaldate)
        self.uidnext += 1
        self.messages[msg.uid] = msg
        self.recent.add(msg.uid)
        self._append_uidlist(msg)
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


class UnsafeFolderName(InputError):
    """A folder name that would reach outside the Maildir (refused before any file is touched)."""


def folder_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a folder, in Dovecot's words, or ``None`` when it can.

    The one rule for every mailbox name a client gives (RFC 3501 §5.1, Maildir++ folders with
    ``.`` between levels): printable ASCII without ``&`` (mailsec does not decode mUTF-7), not
    empty, no ``/``, not starting with the separator ``.`` or with ``~``, no empty level
    (``..``), not ending with ``.``. Any of these could make ``root/.name`` a path outside the
    Maildir (``./victim``, ``/``) or an invisible one. INBOX is always valid.
    """
    if name.upper() == "INBOX":
        return None
    if name and (not _NAME.match(name) or "&" in name):
        return "Mailbox name is not valid mUTF-7"
    invalid = "[CANNOT] Invalid mailbox name: "
    if not name:
        return invalid + "Name is empty"
    if name.startswith("."):
        return invalid + "Begins with hierarchy separator"
    if "/" in name:
        return invalid + "Name must not have '/' characters"
    if name.startswith("~"):
        return invalid + "Begins with '~'"
    if ".." in name:
        return invalid + "Has adjacent hierarchy separators"
    if name.endswith("."):
        return invalid + "Ends with hierarchy separator"
    return None


@dataclass
class MailStore:
    """One user's mail: a Maildir with Maildir++ folders and an optional byte quota.

    ``root`` is created when it is missing. ``quota`` is in bytes (``None``: no limit).
    ``clock`` gives the time for new UIDVALIDITY values.
    """

    root: Path
    quota: int | None = None
    clock: Callable[[], float] = time.time
    _folders: dict[str, Folder] = field(default_factory=dict, init=False, repr=False)
    _last_validity: int = field(default=0, init=False, repr=False)
    pop3_locked: set[str] = field(default_factory=set, init=False, repr=False)
    """Users whose maildrop a POP3 session holds (RFC 1939 §8)."""
    _lock_files: dict[str, IO[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if self.quota is not None and self.quota < 0:
            raise InputError(
                f"The quota {self.quota} is negative: give a number of bytes, 0 or more."
            )
        if self.root.exists() and not self.root.is_dir():
            raise InputError(
                f"'{self.root}' exists and is not a folder: give a Maildir folder (it is created if missing)."
            )
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True)
            mailbox.Maildir(self.root, create=True)
            # An existing empty folder becomes a Maildir too (mailbox only fills new ones).
            for sub in ("tmp", "new", "cur"):
                (self.root / sub).mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"Cannot create the Maildir '{self.root}' ({exc.strerror}): choose a folder you can write to."
            ) from None

    def new_uidvalidity(self) -> int:
        """A UIDVALIDITY never handed out before by this store (RFC 3501 §2.3.1.1)."""
        value = max(int(self.clock()), self._last_validity + 1)
        self._last_validity = value
        return value

    # -- folders ---------------------------------------------------------------------------------

    @staticmethod
    def normalise(name: str) -> str:
        """``INBOX`` in any case is the INBOX (RFC 3501 §5.1); other names are case-sensitive."""
        return "INBOX" if name.upper() == "INBOX" else name

    def _path(self, name: str) -> Path:
        """The folder's directory: ``root/.name``, and never anything outside ``root``.

        The IMAP layer checks every name first (:func:`folder_name_problem`); this checks again
        where names become paths, so that no caller can open, write or delete outside the
        Maildir (defence in depth).
        """
        if name == "INBOX":
            return self.root
        problem = folder_name_problem(name)
        if problem is not None:
            raise UnsafeFolderName(f"{problem}: {name!r}")
        path = self.root / f".{name}"
        if path.parent != self.root or path.resolve().parent != self.root.resolve():
            raise UnsafeFolderName(f"The folder {name!r} would lie outside the Maildir.")
        return path

    def exists(self, name: str) -> bool:
        name = self.normalise(name)
        return name == "INBOX" or (self._path(name) / "cur").is_dir()

    def folder(self, name: str) -> Folder:
        """The folder called ``name``; ``KeyError`` if there is none."""
        name = self.normalise(name)
        folder = self._folders.get(name)
        if folder is None:
            if not self.exists(name):
                raise KeyError(name)
            folder = Folder(self, name, self._path(name))
            self._folders[name] = folder
        return folder

    @property
    def inbox(self) -> Folder:
        return self.folder("INBOX")

    def folder_names(self) -> list[str]:
        """Every folder that holds mail: INBOX first, then the Maildir++ folders by name."""
        names = []
        for entry in sorted(os.listdir(self.root)):
            if (
                entry.startswith(".")
                and entry not in (".", "..")
                and (self.root / entry / "cur").is_dir()
            ):
                names.append(entry[1:])
        return ["INBOX", *names]

    @staticmethod
    def check_name(name: str) -> str | None:
        """Why ``name`` cannot be a new folder's name, or ``None`` when it can: the rules of
        :func:`folder_name_problem`, and no wildcards, backslashes or quotes (they would make
        LIST patterns and quoting ambiguous)."""
        problem = folder_name_problem(name)
        if problem is None and any(c in name for c in '*%\\"'):
            return "Invalid mailbox name"
        return problem

    def create_folder(self, name: str) -> Folder:
        """Create a Maildir++ folder ``.name`` (the caller has checked the name)."""
        mailbox.Maildir(self.root, create=False).add_folder(name)
        return self.folder(name)

    def delete_folder(self, name: str) -> None:
        """Remove a folder and its messages (not INBOX; the caller checks). Sessions with it
        selected are told that every message was expunged."""
        folder = self.folder(name)
        folder.sync()
        folder.expunge(list(folder.messages))
        shutil.rmtree(folder.path)
        self._folders.pop(folder.name, None)

    def rename_folder(self, old: str, new: str) -> None:
        """Rename a folder and the folders under it (Maildir++ ``.old.x`` becomes ``.new.x``);
        UIDs and UIDVALIDITY stay, so clients keep what they know (RFC 3501 §6.3.5)."""
        moves = [
            (name, new + name[len(old) :])
            for name in self.folder_names()
            if name == old or name.startswith(old + ".")
        ]
        for source, target in moves:
            os.rename(self._path(source), self._path(target))
            folder = self._folders.pop(source, None)
            if folder is not None:
                # Sessions that have it selected go on working in the renamed folder.
                folder.name, folder.path = target, self._path(target)
                folder.maildir = mailbox.Maildir(folder.path, factory=None, create=False)
                self._folders[target] = folder

    def has_children(self, name: str) -> bool:
        return any(other.startswith(name + ".") for other in self.folder_names())

    # -- the POP3 maildrop lock (RFC 1939 §8) --------------------------------------------------------

    def lock_maildrop(self, user: str) -> bool:
        """Take the maildrop lock for ``user``; ``False`` when a session already holds it.

        Within this process a set of users is enough; an advisory lock on the file
        ``mailsec-pop3.lock`` keeps out a second server process on the same Maildir too. The
        operating system drops that lock when the process ends, so a crash leaves no stale
        lock behind.
        """
        if user in self.pop3_locked:
            return False
        handle = open(self.root / POP3_LOCK, "a")  # noqa: SIM115 - kept open while locked
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
        self._lock_files[user] = handle
        self.pop3_locked.add(user)
        return True

    def unlock_maildrop(self, user: str) -> None:
        """Release the maildrop lock (after UPDATE, or when the connection is lost)."""
        self.pop3_locked.discard(user)
        handle = self._lock_files.pop(user, None)
        if handle is not None:
            handle.close()  # closing the file releases the lock

    def release_locks(self) -> None:
        """Release every maildrop lock this store holds (the servers stopped)."""
        for user in list(self._lock_files):
            self.unlock_maildrop(user)

    # -- subscriptions (IMAP SUBSCRIBE/LSUB, RFC 3501 §6.3.6-6.3.9) ------------------------------

    def subscriptions(self) -> list[str]:
        """The subscribed folder names, as kept in ``mailsec-subscriptions``."""
        try:
            text = (self.root / SUBSCRIPTIONS).read_text("utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line]

    def _write_subscriptions(self, names: list[str]) -> None:
        tmp = self.root / f"{SUBSCRIPTIONS}.tmp"
        tmp.write_text("".join(f"{n}\n" for n in names), "utf-8")
        os.replace(tmp, self.root / SUBSCRIPTIONS)

    def subscribe(self, name: str) -> None:
        names = self.subscriptions()
        if name not in names:
            self._write_subscriptions([*names, name])

    def unsubscribe(self, name: str) -> None:
        names = self.subscriptions()
        if name in names:
            self._write_subscriptions([n for n in names if n != name])

    # -- quota -----------------------------------------------------------------------------------

    def used(self) -> int:
        """Bytes of mail in all folders (the quota's STORAGE resource, RFC 9208 §5.1)."""
        return sum(self.folder(name).total_size for name in self.folder_names())

    def fits(self, size: int) -> bool:
        return self.quota is None or self.used() + size <= self.quota

    # -- delivery --------------------------------------------------------------------------------

    def deliver(self, data: bytes) -> Delivery:
        """Deliver a message into INBOX as the receiving mail server does, respecting the quota.

        A message that would take the mailbox over its quota is refused with the reply a real
        server gives (``552 5.2.2``): the sender's server then returns it as a bounce, so it is
        never silently lost.
        """
        if not isinstance(data, (bytes, bytearray)):
            raise InputError(
                f"The message must be bytes, not {type(data).__name__}: encode it first."
            )
        size = _wire_size(bytes(data))
        used = self.used()
        steps = [
            Step(
                f"A message of {size} bytes arrives for this mailbox.", section="RFC 5321 §4.1.1.4"
            ),
        ]
        if self.quota is not None and used + size > self.quota:
            steps.append(
                Step(
                    f"The mailbox holds {used} of {self.quota} bytes; {size} more would exceed the "
                    "quota, so the server refuses it and the sender gets a bounce.",
                    Outcome.FAIL,
                    "RFC 3463 §3.3",
                )
            )
            return Delivery(
                False,
                "552 5.2.2 Quota exceeded (mailbox for user is full)",
                size,
                used,
                self.quota,
                steps=tuple(steps),
            )
        uid = self.inbox.add(bytes(data))
        steps.append(Step(f"Stored in INBOX with UID {uid}.", Outcome.OK, "RFC 3501 §2.3.1.1"))
        return Delivery(True, "250 2.0.0 Saved", size, used + size, self.quota, uid, tuple(steps))
