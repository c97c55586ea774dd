"""The server side: the recipient's mailbox, and the sender's mail server that delivers into it.

- :class:`_Mailbox` — the folders with their UIDs (RFC 3501 §2.3.1.1) and the byte quota (RFC 9208):
  it accepts a message into INBOX, or refuses it with the SMTP reply for a full mailbox
  (RFC 3463 §3.3, RFC 5321 §4.2.2). Clients move, flag, expunge and (POP3) delete its messages.
- :class:`_SenderServer` — the sender's mail server: it hands each message over, keeps a message
  refused for now in its queue and tries again (RFC 5321 §4.5.4.1), and sends a bounce
  (RFC 3464) after a permanent refusal or when it gives up. A message is never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from mailsec.i18n import texts
from mailsec.retrieval.model.results import Bounce, MessageView, QueuedMail
from mailsec.retrieval.model.tracing import _Trace
from mailsec.retrieval.model.vocabulary import (
    FOLDERS,
    GIVE_UP_AFTER,
    INBOX,
    RETRY_INTERVAL,
    Flag,
    FullMailboxReply,
    format_size,
    shown,
    uidl_of,
)
from mailsec.trace import Outcome

TEXT = texts(
    {
        "usage": "{used} of {quota} now used",
        "refuses": "The server refuses {label} ({size}): the mailbox holds {used} of its {quota} "
        "quota, so only {free} is free. It answers the sender's server “{reply}”.",
        "accepts": "The server accepts {label} (“{subject}”, {size}) into INBOX as UID {uid}: "
        "{usage}.",
        "quota": "The quota changes from {old} to {quota}; {used} is in use.",
        "quota_over": "The quota changes from {old} to {quota}; {used} is in use. The mailbox is "
        "now over its quota: no new mail fits until some is removed.",
        "sends": "{sender} sends {label} (“{subject}”, {size}); the sender's mail server passes "
        "it to ours over SMTP.",
        "retry": "The sender's server tries {label} again.",
        "full_permanent": "the mailbox was full (permanent)",
        "queued": "Because the refusal is temporary (4xx), the sender's server keeps {label} in "
        "its queue and will try again every {minutes} minutes for up to {days} days. The "
        "recipient is not told.",
        "give_up": "The sender's server gives up on {label} after {days} days of refusals.",
        "stayed_full": "the mailbox stayed full for {days} days",
        "bounce": "The sender's server returns {label} to {sender} with a bounce (a delivery "
        "status notification) quoting “{reply}”. The mail is not lost silently: the sender "
        "knows; the recipient sees nothing.",
    }
)
"""The server side's sentences (see :mod:`mailsec.i18n`)."""


@dataclass
class _ServerMsg:
    """A message in a server folder; its flags are the ones every IMAP client sees."""

    label: str
    subject: str
    sender: str
    size: int
    uid: int
    flags: set[Flag] = field(default_factory=set)

    @property
    def uidl(self) -> str:
        return uidl_of(self.uid)

    def view(self, folder: str) -> MessageView:
        return MessageView(
            self.label, self.subject, self.size, folder, frozenset(self.flags), self.uid
        )


class _Mailbox:
    """The recipient's mailbox on the server: folders, UIDs and the quota."""

    def __init__(self, quota: int, full_reply: FullMailboxReply, trace: _Trace) -> None:
        self.quota = quota
        self.full_reply = full_reply
        """How this server answers a message that does not fit (452 4.2.2 or 552 5.2.2)."""
        self.trace = trace
        self.folders: dict[str, list[_ServerMsg]] = {f: [] for f in FOLDERS}
        self.next_uid: dict[str, int] = dict.fromkeys(FOLDERS, 1)

    @property
    def used(self) -> int:
        """Bytes counted against the quota: every message in every folder, ``\\Deleted`` too."""
        return sum(m.size for msgs in self.folders.values() for m in msgs)

    @property
    def usage(self) -> str:
        """How full the mailbox is, as the trace says it."""
        return TEXT["usage"].format(used=format_size(self.used), quota=format_size(self.quota))

    def find(self, label: str) -> tuple[str, _ServerMsg] | None:
        """The folder and the message with this label, if the server still has it."""
        for folder, msgs in self.folders.items():
            for m in msgs:
                if m.label == label:
                    return folder, m
        return None

    def label_of_uidl(self, uidl: str) -> str | None:
        """The label of the INBOX message with this UIDL, if it is still there (POP3 sees INBOX only)."""
        for msg in self.folders[INBOX]:
            if msg.uidl == uidl:
                return msg.label
        return None

    def views(self) -> tuple[tuple[str, tuple[MessageView, ...]], ...]:
        """Every folder with its messages, as a frozen snapshot."""
        return tuple((f, tuple(m.view(f) for m in msgs)) for f, msgs in self.folders.items())

    # -- what the sender's server does: SMTP delivery (RFC 5321) ----------------------------------

    def receive(self, label: str, subject: str, size: int, sender: str) -> FullMailboxReply | None:
        """Put a message into INBOX, or refuse it when it would exceed the quota.

        Returns None when the message is accepted, else the reply the sender's server hears.
        """
        used = self.used
        if used + size > self.quota:
            reply = self.full_reply
            self.trace.say(
                TEXT["refuses"].format(
                    label=label,
                    size=format_size(size),
                    used=format_size(used),
                    quota=format_size(self.quota),
                    free=format_size(max(0, self.quota - used)),
                    reply=reply.reply,
                ),
                Outcome.FAIL,
                "RFC 3463 §3.3 (X.2.2 Mailbox full); RFC 5321 §4.2.2",
                kind="refused",
                label=label,
                code=reply.code,
                enhanced=reply.enhanced,
            )
            return reply
        uid = self._take_uid(INBOX)
        self.folders[INBOX].append(_ServerMsg(label, subject, sender, size, uid))
        self.trace.say(
            TEXT["accepts"].format(
                label=label,
                subject=shown(subject),
                size=format_size(size),
                uid=uid,
                usage=self.usage,
            ),
            Outcome.OK,
            "RFC 3501 §2.3.1.1",
            kind="delivered",
            label=label,
        )
        return None

    # -- what the provider does ---------------------------------------------------------------------

    def set_quota(self, quota: int) -> None:
        old, self.quota = self.quota, quota
        over = self.used > self.quota
        self.trace.say(
            TEXT["quota_over" if over else "quota"].format(
                old=format_size(old), quota=format_size(quota), used=format_size(self.used)
            ),
            Outcome.WARN if over else Outcome.INFO,
            "RFC 9208 §5.1",
        )

    # -- what clients do (the trace is theirs to write) ---------------------------------------------

    def move(self, msg: _ServerMsg, source: str, target: str) -> None:
        """Move a message to another folder, where it gets the next UID (RFC 6851 §3)."""
        self.folders[source].remove(msg)
        msg.uid = self._take_uid(target)
        msg.flags.discard(Flag.DELETED)
        self.folders[target].append(msg)

    def expunge(self, folders: Sequence[str]) -> list[_ServerMsg]:
        """Remove the messages marked ``\\Deleted`` from ``folders`` for good (RFC 3501 §6.4.3)."""
        removed: list[_ServerMsg] = []
        for folder in folders:
            keep: list[_ServerMsg] = []
            for msg in self.folders[folder]:
                (removed if Flag.DELETED in msg.flags else keep).append(msg)
            self.folders[folder] = keep
        return removed

    def remove(self, folder: str, msgs: Iterable[_ServerMsg]) -> None:
        """Remove these messages from ``folder`` (a POP3 session's UPDATE state, RFC 1939 §6)."""
        gone = {id(m) for m in msgs}
        self.folders[folder] = [m for m in self.folders[folder] if id(m) not in gone]

    def _take_uid(self, folder: str) -> int:
        """The next UID of ``folder``: UIDs only ever grow (RFC 3501 §2.3.1.1)."""
        uid = self.next_uid[folder]
        self.next_uid[folder] += 1
        return uid


class _SenderServer:
    """The sender's mail server: it delivers over SMTP, queues, retries and bounces."""

    def __init__(self, mailbox: _Mailbox, trace: _Trace) -> None:
        self.mailbox = mailbox
        self.trace = trace
        self.queue: list[QueuedMail] = []
        self.bounces: list[Bounce] = []

    def send(self, label: str, subject: str, size: int, sender: str, now: datetime) -> None:
        """A new message: hand it over at once."""
        self.trace.say(
            TEXT["sends"].format(
                sender=sender, label=label, subject=shown(subject), size=format_size(size)
            ),
            Outcome.INFO,
            "RFC 5321 §3.3",
        )
        self._hand_over(label, subject, size, sender, now, retry=False)

    def retry_due(self, now: datetime) -> None:
        """Try again the refused mail that is due, or give up on what has waited too long."""
        waiting: list[QueuedMail] = []
        for item in self.queue:
            if now >= item.first_refused + GIVE_UP_AFTER:
                self._give_up(item, now)
            elif now >= item.next_retry:
                self.trace.say(TEXT["retry"].format(label=item.label), Outcome.INFO)
                if not self._hand_over(
                    item.label, item.subject, item.size, item.sender, now, retry=True
                ):
                    waiting.append(replace(item, next_retry=now + RETRY_INTERVAL))
            else:
                waiting.append(item)
        self.queue = waiting

    def _hand_over(
        self, label: str, subject: str, size: int, sender: str, now: datetime, *, retry: bool
    ) -> bool:
        """One SMTP delivery attempt; True when the mailbox accepted the message."""
        reply = self.mailbox.receive(label, subject, size, sender)
        if reply is None:
            return True
        if reply is FullMailboxReply.PERMANENT:
            self._bounce(label, subject, sender, reply, TEXT["full_permanent"], now)
        elif not retry:
            self.queue.append(QueuedMail(label, subject, size, sender, now, now + RETRY_INTERVAL))
            self.trace.say(
                TEXT["queued"].format(
                    label=label,
                    minutes=int(RETRY_INTERVAL.total_seconds() // 60),
                    days=GIVE_UP_AFTER.days,
                ),
                Outcome.WARN,
                "RFC 5321 §4.5.4.1",
                kind="queued",
                label=label,
            )
        return False

    def _give_up(self, item: QueuedMail, now: datetime) -> None:
        self.trace.say(
            TEXT["give_up"].format(label=item.label, days=GIVE_UP_AFTER.days),
            Outcome.FAIL,
            "RFC 5321 §4.5.4.1",
        )
        self._bounce(
            item.label,
            item.subject,
            item.sender,
            FullMailboxReply.TEMPORARY,
            TEXT["stayed_full"].format(days=GIVE_UP_AFTER.days),
            now,
        )

    def _bounce(
        self,
        label: str,
        subject: str,
        sender: str,
        reply: FullMailboxReply,
        reason: str,
        now: datetime,
    ) -> None:
        self.bounces.append(Bounce(label, subject, sender, now, reply.reply, reason))
        self.trace.say(
            TEXT["bounce"].format(label=label, sender=sender, reply=reply.reply),
            Outcome.FAIL,
            "RFC 3464 §2; RFC 5321 §4.5.4.1",
            kind="bounced",
            label=label,
        )
