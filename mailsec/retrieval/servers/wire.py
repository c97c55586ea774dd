"""The wire lab's demonstrations: Python's standard clients talking to the servers.

:func:`run_wire_action` runs one short, named client session with ``poplib`` or ``imaplib``
(list, download and keep, download and delete, drop before QUIT, two devices, a full mailbox ...)
and returns a :class:`WireRun`: the transcripts with the Maildir before and after, what changed
and why. :func:`reset_mailbox` puts the sample messages back.
"""

from __future__ import annotations

import contextlib
import enum
import imaplib
import poplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.retrieval.maildir import Delivery, MailStore
from mailsec.retrieval.servers.shells import MailServers
from mailsec.retrieval.servers.snapshots import FolderView, MessageChange, compare_snapshots
from mailsec.retrieval.transcript import Transcript
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "SAMPLE_MESSAGES",
    "WireAction",
    "WireRun",
    "reset_mailbox",
    "run_wire_action",
]


class WireAction(enum.Enum):
    """A short session a mail client runs against the servers, to watch one rule happen."""

    POP3_LIST = "pop3-list"
    """POP3: log in, count and list the messages with their unique ids, QUIT."""
    POP3_KEEP = "pop3-keep"
    """POP3: download the first message and leave it on the server ("leave a copy")."""
    POP3_DOWNLOAD_DELETE = "pop3-download-delete"
    """POP3: download every message and delete them from the server (the classic setting)."""
    POP3_DROP = "pop3-drop"
    """POP3: mark every message for deletion, then lose the connection before QUIT."""
    POP3_LOCK = "pop3-lock"
    """POP3: a second device logs in while the first one's session is open."""
    IMAP_LIST = "imap-list"
    """IMAP: log in, open INBOX, fetch every message's flags, size and subject."""
    IMAP_READ = "imap-read"
    """IMAP: read the first message: the server marks it \\Seen for every device."""
    IMAP_TWO_DEVICES = "imap-two-devices"
    """IMAP: the phone reads and deletes a message; the laptop, connected too, is told at once."""
    IMAP_DELETE = "imap-delete"
    """IMAP: flag the first message \\Deleted and EXPUNGE it."""
    QUOTA_FULL = "quota-full"
    """Quota: ask for the quota (GETQUOTAROOT), then a 4 KB newsletter arrives."""
    DELIVER = "deliver"
    """New mail arrives from the Internet (delivered into INBOX)."""

    @property
    def label(self) -> str:
        """A short name for menus."""
        return TEXT["labels"][self.value]

    @property
    def description(self) -> str:
        """One sentence on what the client does."""
        return TEXT["help"][self.value]


TEXT = texts(
    {
        "help": {
            "pop3-list": "The client logs in, counts and lists the messages with their unique ids "
            "(UIDL), and says QUIT.",
            "pop3-keep": "The client downloads the first message and says QUIT without deleting "
            "it: 'leave a copy on the server'.",
            "pop3-download-delete": "The client downloads every message, marks each for deletion "
            "(DELE) and says QUIT.",
            "pop3-drop": "The client marks every message for deletion, then the connection is "
            "lost before QUIT.",
            "pop3-lock": "A laptop is logged in; a phone tries to log in to the same mailbox at "
            "the same time.",
            "imap-list": "The client opens INBOX and asks for each message's flags, size, sender "
            "and subject only.",
            "imap-read": "The client reads the first message (FETCH BODY[]).",
            "imap-two-devices": "A laptop and a phone are connected at once; the phone reads and "
            "deletes a message.",
            "imap-delete": "The client flags the first message \\Deleted and sends EXPUNGE.",
            "quota-full": "The client asks for the quota (GETQUOTAROOT), then a 4 KB newsletter "
            "arrives from the Internet.",
            "deliver": "A short message arrives from the Internet and is delivered into INBOX.",
        },
        "labels": {
            "pop3-list": "POP3: list the messages",
            "pop3-keep": "POP3: download one, leave a copy on the server",
            "pop3-download-delete": "POP3: download all and delete from the server",
            "pop3-drop": "POP3: delete all, but the connection drops before QUIT",
            "pop3-lock": "POP3: two devices at once (the maildrop lock)",
            "imap-list": "IMAP: list the messages on the server",
            "imap-read": "IMAP: read the first message",
            "imap-two-devices": "IMAP: phone and laptop connected at once",
            "imap-delete": "IMAP: delete the first message (EXPUNGE)",
            "quota-full": "Quota: a 4 KB newsletter arrives",
            "deliver": "New mail arrives",
        },
        "stopped": "The servers are stopped: run the lab again to start new ones.",
        "unknown": "Unknown action {action!r}.",
        "empty": "INBOX is empty, so there is nothing to do: let new mail arrive or reset the "
        "mailbox first.",
        "error": "The client stopped with an error: {error}",
        "maildrop": "The maildrop holds {count} messages, {size} bytes.",
        "uidl": "UIDL gives each message a unique id that never changes: a client that leaves "
        "mail on the server uses it to download nothing twice.",
        "kept": "The client downloaded message 1 and sent QUIT without DELE: the message stays "
        "on the server (the 'leave a copy on the server' setting).",
        "not_always": "POP3 does not always delete mail: deleting is the client's choice (DELE).",
        "downloaded": "The client downloaded {count} messages and marked each with DELE.",
        "update": "At QUIT the server entered the UPDATE state and removed them: the mail now "
        "lives only on this device.",
        "dropped": "The client downloaded message 1 (RETR), marked {count} messages with DELE, "
        "then the connection dropped.",
        "no_update": "Without QUIT there is no UPDATE state: nothing was deleted.",
        "seen_anyway": "Message 1 is marked \\Seen all the same, as Dovecot does: the client has "
        "it, and reading, unlike deleting, need not wait for QUIT.",
        "locked": "The laptop logged in first: the server locked the maildrop.",
        "refused": "The phone was refused with '{reply}' while the laptop's session was open.",
        "one_device": "POP3 serves one session at a time per mailbox: it is made for one device.",
        "headers_only": "The client asked for flags, sizes and headers only: the mail stays on "
        "the server and nothing is downloaded in full.",
        "fetched": "FETCH BODY[] returned the message and set its \\Seen flag on the server.",
        "read_everywhere": "Every device that connects sees it as read: read state lives on the "
        "server.",
        "both": "Both devices were connected at once: IMAP allows that; the laptop was waiting "
        "with IDLE.",
        "phone": "The phone read message 1 (it became \\Seen), flagged it \\Deleted and "
        "expunged it.",
        "told": "The server told the laptop at once, without being asked: {lines}. Both devices "
        "show the same mailbox.",
        "expunged": "STORE +FLAGS (\\Deleted) only marks; EXPUNGE removed the message for every "
        "device.",
        "no_quota_set": "no quota set",
        "quotaroot": "GETQUOTAROOT: {roots} (STORAGE used and limit, in units of 1024 bytes).",
        "full": "The mailbox is full ({used} of {quota} bytes): the server answered '{status}' "
        "and the sender gets a bounce. Delete mail on the server before new mail can arrive.",
        "no_quota": "No quota is set, so the newsletter fits.",
        "fits": "The newsletter fits: {used} of {quota} bytes are used now.",
    }
)
"""The demonstrations' words (see :mod:`mailsec.i18n`); what the servers and clients say on
the wire stays as it was sent."""

SUBJECTS = texts(
    {
        "samples": (
            "Lunch on Friday?",
            "Your receipt",
            "Photos from the trip",
            "Weekly newsletter",
            "Project update",
        ),
    }
)
"""The sample messages' subjects, listed so they are extracted for translation: the messages
keep them in English (they are the bytes on the server), and the Maildir tables show them
through :func:`~mailsec.retrieval.model.shown` (a test checks that every one is here)."""


@dataclass(frozen=True)
class WireRun:
    """The outcome of one demonstration: the conversations, the Maildir before and after."""

    action: WireAction
    transcripts: tuple[Transcript, ...]
    before: tuple[FolderView, ...]
    after: tuple[FolderView, ...]
    changes: tuple[MessageChange, ...]
    steps: Trace
    delivery: Delivery | None = None


SAMPLE_MESSAGES: tuple[bytes, ...] = (
    b"From: Ken Sato <ken@example.org>\nTo: alice@example.org\nSubject: Lunch on Friday?\n"
    b"Date: Mon, 23 Nov 2026 09:12:00 +0900\n\nHi Alice,\nare you free for lunch on Friday?\nKen\n",
    b"From: Shop <orders@shop.example.com>\nTo: alice@example.org\nSubject: Your receipt\n"
    b"Date: Tue, 24 Nov 2026 18:40:00 +0900\n\nThank you for your order no. 1042.\n"
    b"Total: 3,980 yen\n",
    b"From: Mei <mei@example.org>\nTo: alice@example.org\nSubject: Photos from the trip\n"
    b"Date: Wed, 25 Nov 2026 21:05:00 +0900\n\nThe photos are in the shared album.\n"
    b"See you soon!\n",
)
NEWSLETTER = (
    b"From: News <news@example.net>\nTo: alice@example.org\nSubject: Weekly newsletter\n\n"
    + b"This week's long newsletter text. " * 115
    + b"\n"
)
NEW_MAIL = (
    b"From: Boss <boss@example.org>\nTo: alice@example.org\nSubject: Project update\n\n"
    b"The project meeting moved to 3 pm.\n"
)


class _EmptyMailbox(Exception):
    """INBOX has no messages for an IMAP demonstration to work on."""


def reset_mailbox(servers: MailServers, messages: Iterable[bytes] = SAMPLE_MESSAGES) -> None:
    """Empty every folder and deliver ``messages`` again (the wire lab's Reset button)."""

    def reset(store: MailStore) -> None:
        for name in store.folder_names():
            folder = store.folder(name)
            folder.sync()
            folder.expunge(list(folder.messages))
        quota, store.quota = store.quota, None
        try:
            for data in messages:
                store.deliver(data)
        finally:
            store.quota = quota

    servers.call(reset)


def run_wire_action(servers: MailServers, action: WireAction, *, timeout: float = 5.0) -> WireRun:
    """Run one demonstration with Python's ``poplib``/``imaplib`` and report what happened."""
    if not servers.running:
        raise InputError(TEXT["stopped"])
    demonstrate = _DEMONSTRATIONS.get(action)
    if demonstrate is None:  # pragma: no cover - every action has a demonstration
        raise InputError(TEXT["unknown"].format(action=action))
    before = servers.snapshot()
    first_session = servers.sessions_opened
    conversation = _Conversation(servers, timeout)
    try:
        steps = demonstrate(conversation)
    except _EmptyMailbox:
        steps = (Step(TEXT["empty"], Outcome.WARN),)
    except (OSError, poplib.error_proto, imaplib.IMAP4.error) as exc:
        steps = (Step(TEXT["error"].format(error=exc), Outcome.FAIL),)
    finally:
        conversation.close()
    servers.wait_until_idle(timeout)
    after = servers.snapshot()
    transcripts = tuple(t for t in servers.transcripts if t.number > first_session)
    changes = compare_snapshots(before, after)
    return WireRun(action, transcripts, before, after, changes, steps, conversation.delivery)


class _Conversation:
    """The clients of one demonstration, logged in as the servers' user, and the mail delivered.

    Every client it opens is remembered, so that :meth:`close` leaves no connection open whatever
    happened (an open POP3 one would hold the maildrop lock).
    """

    def __init__(self, servers: MailServers, timeout: float) -> None:
        self.servers = servers
        self.timeout = timeout
        self.opened: list[poplib.POP3 | imaplib.IMAP4] = []
        self.delivery: Delivery | None = None

    def pop3(self, *, log_in: bool = True) -> poplib.POP3:
        """A POP3 client, in the TRANSACTION state (or after USER only, without ``log_in``)."""
        client = poplib.POP3(self.servers.host, self.servers.pop3_port, timeout=self.timeout)
        self.opened.append(client)
        client.user(self.servers.user)
        if log_in:
            client.pass_(self.servers.password)
        return client

    def imap(self, *, need_mail: bool = True) -> imaplib.IMAP4:
        """An IMAP client with INBOX selected; raises :class:`_EmptyMailbox` when INBOX is
        empty and ``need_mail`` says the demonstration needs a message."""
        client = imaplib.IMAP4(self.servers.host, self.servers.imap_port, timeout=self.timeout)
        self.opened.append(client)
        client.login(self.servers.user, self.servers.password)
        typ, data = client.select("INBOX")
        if typ == "OK" and data[0] == b"0" and need_mail:
            raise _EmptyMailbox
        return client

    def deliver(self, message: bytes) -> Delivery:
        """Deliver ``message`` into INBOX, as mail from the Internet arrives."""
        self.delivery = self.servers.deliver(message)
        return self.delivery

    def close(self) -> None:
        """Close every client's connection, whatever state it is in."""
        for client in self.opened:
            for part in (getattr(client, "file", None), getattr(client, "sock", None)):
                if part is not None:
                    with contextlib.suppress(OSError):
                        part.close()


# -- the demonstrations: one conversation each, returning what the learner should notice ---------


def _pop3_list(conversation: _Conversation) -> Trace:
    client = conversation.pop3()
    count, size = client.stat()
    client.list()
    client.uidl()
    client.quit()
    return (
        Step(TEXT["maildrop"].format(count=count, size=size), Outcome.INFO, "RFC 1939 §5"),
        Step(
            TEXT["uidl"],
            Outcome.OK,
            "RFC 1939 §7",
        ),
    )


def _pop3_keep(conversation: _Conversation) -> Trace:
    client = conversation.pop3()
    count, _size = client.stat()
    if not count:
        client.quit()
        raise _EmptyMailbox
    client.retr(1)
    client.quit()
    return (
        Step(
            TEXT["kept"],
            Outcome.OK,
            "RFC 1939 §6",
        ),
        Step(
            TEXT["not_always"],
            Outcome.INFO,
            "RFC 1939 §5",
        ),
    )


def _pop3_download_delete(conversation: _Conversation) -> Trace:
    client = conversation.pop3()
    count, _size = client.stat()
    for number in range(1, count + 1):
        client.retr(number)
        client.dele(number)
    client.quit()
    return (
        Step(
            TEXT["downloaded"].format(count=count),
            Outcome.INFO,
            "RFC 1939 §5",
        ),
        Step(
            TEXT["update"],
            Outcome.WARN,
            "RFC 1939 §6",
        ),
    )


def _pop3_drop(conversation: _Conversation) -> Trace:
    client = conversation.pop3()
    count, _size = client.stat()
    if not count:
        raise _EmptyMailbox
    client.retr(1)
    for number in range(1, count + 1):
        client.dele(number)
    client.file.close()
    client.sock.close()  # the connection drops: no QUIT
    return (
        Step(
            TEXT["dropped"].format(count=count),
            Outcome.WARN,
            "RFC 1939 §5",
        ),
        Step(
            TEXT["no_update"],
            Outcome.OK,
            "RFC 1939 §6",
        ),
        Step(
            TEXT["seen_anyway"],
            Outcome.INFO,
        ),
    )


def _pop3_lock(conversation: _Conversation) -> Trace:
    laptop = conversation.pop3()
    phone = conversation.pop3(log_in=False)
    try:
        phone.pass_(conversation.servers.password)
        refused = ""
    except poplib.error_proto as exc:
        refused = exc.args[0].decode("utf-8", "replace")
    laptop.quit()
    return (
        Step(
            TEXT["locked"],
            Outcome.INFO,
            "RFC 1939 §8",
        ),
        Step(
            TEXT["refused"].format(reply=refused),
            Outcome.FAIL if refused else Outcome.WARN,
            "RFC 2449 §8.1.2",
        ),
        Step(
            TEXT["one_device"],
            Outcome.INFO,
            "RFC 1939 §8",
        ),
    )


def _imap_list(conversation: _Conversation) -> Trace:
    client = conversation.imap()
    client.fetch("1:*", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
    client.logout()
    return (
        Step(
            TEXT["headers_only"],
            Outcome.OK,
            "RFC 3501 §6.4.5",
        ),
    )


def _imap_read(conversation: _Conversation) -> Trace:
    client = conversation.imap()
    client.fetch("1", "(BODY[])")
    client.logout()
    return (
        Step(
            TEXT["fetched"],
            Outcome.OK,
            "RFC 3501 §6.4.5",
        ),
        Step(
            TEXT["read_everywhere"],
            Outcome.INFO,
            "RFC 3501 §2.3.2",
        ),
    )


def _imap_two_devices(conversation: _Conversation) -> Trace:
    laptop = conversation.imap()
    phone = conversation.imap()
    # The laptop waits with IDLE (RFC 2177), as desktop mail apps do; imaplib of Python 3.11 has
    # no idle(), so the two lines are sent by hand.
    laptop.send(b"IDLE1 IDLE\r\n")
    laptop.readline()  # "+ idling"
    phone.fetch("1", "(BODY[])")
    phone.store("1", "+FLAGS", "(\\Deleted)")
    phone.expunge()
    pushed: list[bytes] = []
    while not any(b"EXPUNGE" in line for line in pushed) and len(pushed) < 10:
        pushed.append(laptop.readline())
    laptop.send(b"DONE\r\n")
    while not laptop.readline().startswith(b"IDLE1 "):
        pass
    phone.logout()
    laptop.logout()
    shown = ", ".join(line.decode("ascii", "replace").strip() for line in pushed)
    return (
        Step(
            TEXT["both"],
            Outcome.OK,
            "RFC 2177 §3",
        ),
        Step(
            TEXT["phone"],
            Outcome.INFO,
            "RFC 3501 §6.4.3",
        ),
        Step(
            TEXT["told"].format(lines=shown),
            Outcome.OK,
            "RFC 3501 §7.4.1",
        ),
    )


def _imap_delete(conversation: _Conversation) -> Trace:
    client = conversation.imap()
    client.store("1", "+FLAGS", "(\\Deleted)")
    client.expunge()
    client.logout()
    return (
        Step(
            TEXT["expunged"],
            Outcome.WARN,
            "RFC 3501 §6.4.3",
        ),
    )


def _quota_full(conversation: _Conversation) -> Trace:
    client = conversation.imap(need_mail=False)
    _typ, data = client.getquotaroot("INBOX")
    client.logout()
    delivery = conversation.deliver(NEWSLETTER)
    quota = conversation.servers.quota
    roots = (
        ", ".join(str(d) for d in data[1]) if len(data) > 1 and data[1] else TEXT["no_quota_set"]
    )
    asked = Step(
        TEXT["quotaroot"].format(roots=roots),
        Outcome.INFO,
        "RFC 9208 §4.1.2",
    )
    if not delivery.accepted:
        return (
            asked,
            Step(
                TEXT["full"].format(used=delivery.used, quota=quota, status=delivery.status),
                Outcome.FAIL,
                "RFC 3463 §3.3",
            ),
        )
    fits = (
        TEXT["no_quota"] if quota is None else TEXT["fits"].format(used=delivery.used, quota=quota)
    )
    return asked, Step(fits, Outcome.OK, "RFC 5321 §4.2.2")


def _deliver(conversation: _Conversation) -> Trace:
    return conversation.deliver(NEW_MAIL).steps


_DEMONSTRATIONS: dict[WireAction, Callable[[_Conversation], Trace]] = {
    WireAction.POP3_LIST: _pop3_list,
    WireAction.POP3_KEEP: _pop3_keep,
    WireAction.POP3_DOWNLOAD_DELETE: _pop3_download_delete,
    WireAction.POP3_DROP: _pop3_drop,
    WireAction.POP3_LOCK: _pop3_lock,
    WireAction.IMAP_LIST: _imap_list,
    WireAction.IMAP_READ: _imap_read,
    WireAction.IMAP_TWO_DEVICES: _imap_two_devices,
    WireAction.IMAP_DELETE: _imap_delete,
    WireAction.QUOTA_FULL: _quota_full,
    WireAction.DELIVER: _deliver,
}
"""Each action's conversation with the servers (a test checks that every action has one)."""
