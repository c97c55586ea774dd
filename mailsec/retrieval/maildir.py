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

One folder and its messages (UIDs, flags, the changes other sessions hear of) are in
:mod:`mailsec.retrieval.folder`; this module holds the store around them: the folders by name and
the one rule for a folder name, delivery under the quota, and the POP3 maildrop lock.
"""

from __future__ import annotations

import mailbox
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

if sys.platform == "win32":  # pragma: no cover - no fcntl: the lock is only held within the process
    fcntl = None
else:
    import fcntl

from mailsec.errors import InputError
from mailsec.i18n import _
from mailsec.retrieval.folder import (
    FLAG_LETTERS,
    SYSTEM_FLAGS,
    ChangeKind,
    Folder,
    FolderChange,
    StoredMessage,
    crlf,
    wire_size,
)
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

SUBSCRIPTIONS = "mailsec-subscriptions"
POP3_LOCK = "mailsec-pop3.lock"
QUOTA_ROOT = "User quota"
"""The quota root name, as Dovecot names its default root (RFC 9208 §3)."""

#: Folder names: printable ASCII without the wildcards and with no empty hierarchy level.
_NAME = re.compile(r"^[\x20-\x7e]+$")


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
                _("The quota {quota} is negative: give a number of bytes, 0 or more.").format(
                    quota=self.quota
                )
            )
        if self.root.exists() and not self.root.is_dir():
            raise InputError(
                _(
                    "'{root}' exists and is not a folder: give a Maildir folder (it is created "
                    "if missing)."
                ).format(root=self.root)
            )
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True)
            mailbox.Maildir(self.root, create=True)
            # An existing empty folder becomes a Maildir too (mailbox only fills new ones).
            for sub in ("tmp", "new", "cur"):
                (self.root / sub).mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise InputError(
                _(
                    "Cannot create the Maildir '{root}' ({reason}): choose a folder you can "
                    "write to."
                ).format(root=self.root, reason=exc.strerror)
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
                _("The message must be bytes, not {kind}: encode it first.").format(
                    kind=type(data).__name__
                )
            )
        size = wire_size(bytes(data))
        used = self.used()
        steps = [
            Step(
                _("A message of {size} bytes arrives for this mailbox.").format(size=size),
                section="RFC 5321 §4.1.1.4",
            ),
        ]
        if self.quota is not None and used + size > self.quota:
            steps.append(
                Step(
                    _(
                        "The mailbox holds {used} of {quota} bytes; {size} more would exceed the "
                        "quota, so the server refuses it and the sender gets a bounce."
                    ).format(used=used, quota=self.quota, size=size),
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
        steps.append(
            Step(
                _("Stored in INBOX with UID {uid}.").format(uid=uid),
                Outcome.OK,
                "RFC 3501 §2.3.1.1",
            )
        )
        return Delivery(True, "250 2.0.0 Saved", size, used + size, self.quota, uid, tuple(steps))
