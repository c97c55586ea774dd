"""The mailbox model's vocabulary: folders, RFC limits, flags, replies and client settings.

The words every other part of the model is written in: the two server folders, the sender's retry
schedule (RFC 5321 §4.5.4.1), the UIDVALIDITY and UIDL of the one mailbox, the IMAP system flags
(RFC 3501 §2.3.2), the SMTP answer to a full mailbox (RFC 3463 §3.3), and the settings a POP3 or
IMAP4 client offers. Constants, enums, frozen dataclasses and small pure helpers: nothing here
changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from mailsec.errors import InputError
from mailsec.i18n import gettext, texts

TEXT = texts(
    {
        "bytes": "{size} bytes",
        "kb": "{size} KB",
        "mb": "{size} MB",
        "pop3_description": "mail downloaded to and kept on this device",
        "imap4_description": "a view of the mailbox on the server",
        "leave_copy_needed": "'Remove from server after N days' and 'remove when deleted here' only "
        "apply when a copy is left on the server: turn on leave_copy, or turn those options off.",
        "remove_after_days": "remove_after_days={days!r} is not a number of days from 1 to 3650: "
        "give such a number, or None to keep mail on the server.",
        "download_and_delete": "download and delete from the server",
        "leave_copy": "leave a copy on the server",
        "remove_after": "remove after {days} days",
        "remove_when_deleted": "remove when deleted here",
        "separator": ", ",
        "expunge_on_delete": "expunge on delete",
        "only_mark": "only mark deleted",
        "cache": "cache bodies for offline reading",
        "headers_only": "headers only",
        "no_name": "A device needs a name, for example 'Phone' or 'Laptop'.",
        "negative_storage": "The storage of {name!r} is {capacity!r} bytes: give 0 or more.",
    }
)
"""The model's words (see :mod:`mailsec.i18n`). Names in the data (a device's name, a
subject, a folder) stay as they are; :func:`shown` translates them for display."""


def shown(name: str) -> str:
    """A name from the data -- a device, a subject, a folder, a prepared scenario's title --
    as it is shown now: translated when the catalog has it (the prepared scenarios' names are
    extracted in :mod:`mailsec.retrieval.scenarios`), else as it is."""
    return gettext(name)


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
        return TEXT["bytes"].format(size=size)
    if size < 1024 * 1024:
        kb = size / 1024
        number = f"{kb:.0f}" if kb == int(kb) or kb >= 100 else f"{kb:.1f}"
        return TEXT["kb"].format(size=number)
    mb = size / (1024 * 1024)
    return TEXT["mb"].format(size=f"{mb:.0f}" if mb == int(mb) else f"{mb:.1f}")


class Protocol(enum.Enum):
    """How a device's mail client talks to the server."""

    POP3 = "POP3"
    """Post Office Protocol 3 (RFC 1939): download the mail, keep and manage it on the device."""
    IMAP4 = "IMAP4"
    """Internet Message Access Protocol 4 (RFC 3501): keep and manage the mail on the server."""

    @property
    def description(self) -> str:
        return TEXT["pop3_description" if self is Protocol.POP3 else "imap4_description"]


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


_FLAG_ORDER = {flag: number for number, flag in enumerate(Flag)}


def in_flag_order(flags: Iterable[Flag]) -> list[Flag]:
    """Flags in the order :class:`Flag` lists them (as traces and change lists show them)."""
    return sorted(flags, key=_FLAG_ORDER.__getitem__)


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
            raise InputError(TEXT["leave_copy_needed"])
        if self.remove_after_days is not None and not 1 <= self.remove_after_days <= 3650:
            raise InputError(TEXT["remove_after_days"].format(days=self.remove_after_days))

    protocol = Protocol.POP3

    @property
    def summary(self) -> str:
        """The setting in the words a mail client's dialog uses."""
        if not self.leave_copy:
            return TEXT["download_and_delete"]
        parts = [TEXT["leave_copy"]]
        if self.remove_after_days is not None:
            parts.append(TEXT["remove_after"].format(days=self.remove_after_days))
        if self.remove_when_deleted_locally:
            parts.append(TEXT["remove_when_deleted"])
        return TEXT["separator"].join(parts)


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
        parts = [TEXT["expunge_on_delete" if self.expunge_on_delete else "only_mark"]]
        parts.append(TEXT["cache" if self.cache_bodies else "headers_only"])
        return TEXT["separator"].join(parts)


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
            raise InputError(TEXT["no_name"])
        if self.capacity < 0:
            raise InputError(
                TEXT["negative_storage"].format(name=self.name, capacity=self.capacity)
            )
