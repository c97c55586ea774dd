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
from collections.abc import Iterable
from dataclasses import dataclass

from mailsec.errors import InputError
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
        return _ACTION_LABELS[self]

    @property
    def description(self) -> str:
        """One sentence on what the client does."""
        return _ACTION_HELP[self]


_ACTION_HELP = {
    WireAction.POP3_LIST: "The client logs in, counts and lists the messages with their unique ids (UIDL), and says QUIT.",
    WireAction.POP3_KEEP: "The client downloads the first message and says QUIT without deleting it: 'leave a copy on the server'.",
    WireAction.POP3_DOWNLOAD_DELETE: "The client downloads every message, marks each for deletion (DELE) and says QUIT.",
    WireAction.POP3_DROP: "The client marks every message for deletion, then the connection is lost before QUIT.",
    WireAction.POP3_LOCK: "A laptop is logged in; a phone tries to log in to the same mailbox at the same time.",
    WireAction.IMAP_LIST: "The client opens INBOX and asks for each message's flags, size, sender and subject only.",
    WireAction.IMAP_READ: "The client reads the first message (FETCH BODY[]).",
    WireAction.IMAP_TWO_DEVICES: "A laptop and a phone are connected at once; the phone reads and deletes a message.",
    WireAction.IMAP_DELETE: "The client flags the first message \\Deleted and sends EXPUNGE.",
    WireAction.QUOTA_FULL: "The client asks for the quota (GETQUOTAROOT), then a 4 KB newsletter arrives from the Internet.",
    WireAction.DELIVER: "A short message arrives from the Internet and is delivered into INBOX.",
}

_ACTION_LABELS = {
    WireAction.POP3_LIST: "POP3: list the messages",
    WireAction.POP3_KEEP: "POP3: download one, leave a copy on the server",
    WireAction.POP3_DOWNLOAD_DELETE: "POP3: download all and delete from the server",
    WireAction.POP3_DROP: "POP3: delete all, but the connection drops before QUIT",
    WireAction.POP3_LOCK: "POP3: two devices at once (the maildrop lock)",
    WireAction.IMAP_LIST: "IMAP: list the messages on the server",
    WireAction.IMAP_READ: "IMAP: read the first message",
    WireAction.IMAP_TWO_DEVICES: "IMAP: phone and laptop connected at once",
    WireAction.IMAP_DELETE: "IMAP: delete the first message (EXPUNGE)",
    WireAction.QUOTA_FULL: "Quota: a 4 KB newsletter arrives",
    WireAction.DELIVER: "New mail arrives",
}


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
        raise InputError("The servers are stopped: run the lab again to start new ones.")
    before = servers.snapshot()
    first_session = servers._sessions
    steps: list[Step] = []
    delivery: Delivery | None = None
    host = servers.host
    user, password = servers.user, servers.password

    opened: list[poplib.POP3 | imaplib.IMAP4] = []

    def pop3_login() -> poplib.POP3:
        client = poplib.POP3(host, servers.pop3_port, timeout=timeout)
        opened.append(client)
        client.user(user)
        client.pass_(password)
        return client

    def imap_login() -> imaplib.IMAP4:
        client = imaplib.IMAP4(host, servers.imap_port, timeout=timeout)
        opened.append(client)
        client.login(user, password)
        typ, data = client.select("INBOX")
        if typ == "OK" and data[0] == b"0" and action is not WireAction.QUOTA_FULL:
            raise _EmptyMailbox
        return client

    try:
        if action is WireAction.POP3_LIST:
            client = pop3_login()
            count, size = client.stat()
            client.list()
            client.uidl()
            client.quit()
            steps.append(
                Step(
                    f"The maildrop holds {count} messages, {size} bytes.",
                    Outcome.INFO,
                    "RFC 1939 §5",
                )
            )
            steps.append(
                Step(
                    "UIDL gives each message a unique id that never changes: a client that "
                    "leaves mail on the server uses it to download nothing twice.",
                    Outcome.OK,
                    "RFC 1939 §7",
                )
            )
        elif action is WireAction.POP3_KEEP:
            client = pop3_login()
            count, _size = client.stat()
            if not count:
                client.quit()
                raise _EmptyMailbox
            client.retr(1)
            client.quit()
            steps.append(
                Step(
                    "The client downloaded message 1 and sent QUIT without DELE: the message "
                    "stays on the server (the 'leave a copy on the server' setting).",
                    Outcome.OK,
                    "RFC 1939 §6",
                )
            )
            steps.append(
                Step(
                    "POP3 does not always delete mail: deleting is the client's choice (DELE).",
                    Outcome.INFO,
                    "RFC 1939 §5",
                )
            )
        elif action is WireAction.POP3_DOWNLOAD_DELETE:
            client = pop3_login()
            count, _size = client.stat()
            for number in range(1, count + 1):
                client.retr(number)
                client.dele(number)
            client.quit()
            steps.append(
                Step(
                    f"The client downloaded {count} messages and marked each with DELE.",
                    Outcome.INFO,
                    "RFC 1939 §5",
                )
            )
            steps.append(
                Step(
                    "At QUIT the server entered the UPDATE state and removed them: the mail now "
                    "lives only on this device.",
                    Outcome.WARN,
                    "RFC 1939 §6",
                )
            )
        elif action is WireAction.POP3_DROP:
            client = pop3_login()
            count, _size = client.stat()
            for number in range(1, count + 1):
                client.dele(number)
            client.file.close()
            client.sock.close()  # the connection drops: no QUIT
            if not count:
                raise _EmptyMailbox
            steps.append(
                Step(
                    f"The client marked {count} messages with DELE, then the connection dropped.",
                    Outcome.WARN,
                    "RFC 1939 §5",
                )
            )
            steps.append(
                Step(
                    "Without QUIT there is no UPDATE state: nothing was deleted.",
                    Outcome.OK,
                    "RFC 1939 §6",
                )
            )
        elif action is WireAction.POP3_LOCK:
            laptop = pop3_login()
            phone = poplib.POP3(host, servers.pop3_port, timeout=timeout)
            phone.user(user)
            try:
                phone.pass_(password)
                refused = ""
            except poplib.error_proto as exc:
                refused = exc.args[0].decode("utf-8", "replace")
            laptop.quit()
            steps.append(
                Step(
                    "The laptop logged in first: the server locked the maildrop.",
                    Outcome.INFO,
                    "RFC 1939 §8",
                )
            )
            steps.append(
                Step(
                    f"The phone was refused with '{refused}' while the laptop's session was open.",
                    Outcome.FAIL if refused else Outcome.WARN,
                    "RFC 2449 §8.1.2",
                )
            )
            steps.append(
                Step(
                    "POP3 serves one session at a time per mailbox: it is made for one device.",
                    Outcome.INFO,
                    "RFC 1939 §8",
                )
            )
        elif action is WireAction.IMAP_LIST:
            client = imap_login()
            client.fetch("1:*", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
            client.logout()
            steps.append(
                Step(
                    "The client asked for flags, sizes and headers only: the mail stays on the "
                    "server and nothing is downloaded in full.",
                    Outcome.OK,
                    "RFC 3501 §6.4.5",
                )
            )
        elif action is WireAction.IMAP_READ:
            client = imap_login()
            client.fetch("1", "(BODY[])")
            client.logout()
            steps.append(
                Step(
                    "FETCH BODY[] returned the message and set its \\Seen flag on the server.",
                    Outcome.OK,
                    "RFC 3501 §6.4.5",
                )
            )
            steps.append(
                Step(
                    "Every device that connects sees it as read: read state lives on the server.",
                    Outcome.INFO,
                    "RFC 3501 §2.3.2",
                )
            )
        elif action is WireAction.IMAP_TWO_DEVICES:
            laptop = imap_login()
            phone = imap_login()
            # The laptop waits with IDLE (RFC 2177), as desktop mail apps do; imaplib of Python
            # 3.11 has no idle(), so the two lines are sent by hand.
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
            steps.append(
                Step(
                    "Both devices were connected at once: IMAP allows that; the laptop was "
                    "waiting with IDLE.",
                    Outcome.OK,
                    "RFC 2177 §3",
                )
            )
            steps.append(
                Step(
                    "The phone read message 1 (it became \\Seen), flagged it \\Deleted and "
                    "expunged it.",
                    Outcome.INFO,
                    "RFC 3501 §6.4.3",
                )
            )
            shown = ", ".join(line.decode("ascii", "replace").strip() for line in pushed)
            steps.append(
                Step(
                    f"The server told the laptop at once, without being asked: {shown}. Both "
                    "devices show the same mailbox.",
                    Outcome.OK,
                    "RFC 3501 §7.4.1",
                )
            )
        elif action is WireAction.IMAP_DELETE:
            client = imap_login()
            client.store("1", "+FLAGS", "(\\Deleted)")
            client.expunge()
            client.logout()
            steps.append(
                Step(
                    "STORE +FLAGS (\\Deleted) only marks; EXPUNGE removed the message for every device.",
                    Outcome.WARN,
                    "RFC 3501 §6.4.3",
                )
            )
        elif action is WireAction.QUOTA_FULL:
            client = imap_login()
            _typ, data = client.getquotaroot("INBOX")
            client.logout()
            delivery = servers.deliver(NEWSLETTER)
            quota = servers.quota
            steps.append(
                Step(
                    f"GETQUOTAROOT: {', '.join(str(d) for d in data[1]) if len(data) > 1 and data[1] else 'no quota set'}"
                    " (STORAGE used and limit, in units of 1024 bytes).",
                    Outcome.INFO,
                    "RFC 9208 §4.1.2",
                )
            )
            if delivery.accepted:
                text = (
                    "No quota is set, so the newsletter fits."
                    if quota is None
                    else f"The newsletter fits: {delivery.used} of {quota} bytes are used now."
                )
                steps.append(Step(text, Outcome.OK, "RFC 5321 §4.2.2"))
            else:
                steps.append(
                    Step(
                        f"The mailbox is full ({delivery.used} of {quota} bytes): the server answered "
                        f"'{delivery.status}' and the sender gets a bounce. Delete mail on the server "
                        "before new mail can arrive.",
                        Outcome.FAIL,
                        "RFC 3463 §3.3",
                    )
                )
        elif action is WireAction.DELIVER:
            delivery = servers.deliver(NEW_MAIL)
            steps.extend(delivery.steps)
        else:  # pragma: no cover - every action is handled above
            raise InputError(f"Unknown action {action!r}.")
    except _EmptyMailbox:
        steps.append(
            Step(
                "INBOX is empty, so there is nothing to do: let new mail arrive or reset the "
                "mailbox first.",
                Outcome.WARN,
            )
        )
    except (OSError, poplib.error_proto, imaplib.IMAP4.error) as exc:
        steps.append(Step(f"The client stopped with an error: {exc}", Outcome.FAIL))
    finally:
        for client in opened:
            # Whatever happened, no connection is left open (a POP3 one would hold the lock).
            for part in (getattr(client, "file", None), getattr(client, "sock", None)):
                if part is not None:
                    with contextlib.suppress(OSError):
                        part.close()
    servers.wait_until_idle(timeout)
    after = servers.snapshot()
    transcripts = tuple(t for t in servers.transcripts if t.number > first_session)
    return WireRun(
        action, transcripts, before, after, compare_snapshots(before, after), tuple(steps), delivery
    )
