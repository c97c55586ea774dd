"""The mailbox model: where mail lives when it is read with POP3 or with IMAP4.

This is a teaching model, not a server: it has no sockets and no files. It keeps

- a **server mailbox** with a byte quota and folders (``INBOX`` and ``Archive``), where every message
  carries the IMAP system flags (RFC 3501 §2.3.2) and a UID (RFC 3501 §2.3.1.1);
- the **sender's mail server**, which hears the SMTP reply when the mailbox is full: it keeps
  retrying a temporary refusal (``452 4.2.2``) and sends a bounce when it gives up, or bounces at
  once after a permanent one (``552 5.2.2``) — a message is never silently dropped;
- any number of **devices**, each with its own storage, capacity and online/offline state, and a
  mail client that speaks POP3 (with the settings real clients offer: download and delete, leave a
  copy using UIDL, remove after N days, remove when deleted here) or IMAP4 (server state with flags
  and expunge, an offline cache whose changes are replayed when the device is back online).

A :class:`Scenario` is a timeline of :class:`Event` objects. :func:`run` plays it and returns a
:class:`Run`: the state of the server and of every device after each step, what changed, and an
explanation trace (plain sentences with the RFC section each rule comes from). The model is pure
and deterministic: the only outside input is the clock that gives the scenario's start time.

Everything here is for learning; the real servers over a Maildir are :mod:`mailsec.retrieval.servers`.

What lives where (everything public is importable from this package):

- :mod:`~mailsec.retrieval.model.vocabulary` — folders, RFC limits, flags, the full-mailbox reply,
  POP3 and IMAP4 client settings, a device as a scenario declares it;
- :mod:`~mailsec.retrieval.model.events` — the events of a timeline and :class:`Scenario`;
- :mod:`~mailsec.retrieval.model.results` — what a run returns: :class:`StepResult`, :class:`Run`;
- :mod:`~mailsec.retrieval.model.server` — the server side: the mailbox with its folders, UIDs and
  quota, the SMTP answer when it is full, and the sender's server that queues, retries and bounces;
- :mod:`~mailsec.retrieval.model.device` — the device side: storage, local copies, offline changes,
  and the shape of a mail client; :mod:`~mailsec.retrieval.model.pop_client` (POP3 sessions and
  their settings) and :mod:`~mailsec.retrieval.model.imap_client` (IMAP actions, offline changes
  and resynchronisation) are the two clients;
- :mod:`~mailsec.retrieval.model.tracing` — the explanation trace a step writes;
- :mod:`~mailsec.retrieval.model.runner` — the timeline runner: :func:`run` plays a scenario step
  by step and takes a snapshot after each; :func:`compare` plays it under POP3 and under IMAP4.
"""

from __future__ import annotations

from mailsec.retrieval.model.events import (
    AddDevice,
    DeleteMessage,
    DeviceEvent,
    Event,
    Expunge,
    FlagMessage,
    GoOffline,
    GoOnline,
    MailArrives,
    MessageEvent,
    MoveMessage,
    ReadMessage,
    ReplyToMessage,
    Scenario,
    SetQuota,
    Sync,
    TimePasses,
)
from mailsec.retrieval.model.results import (
    Bounce,
    Change,
    DeviceState,
    MessageView,
    QueuedMail,
    Run,
    ServerState,
    StepResult,
)
from mailsec.retrieval.model.runner import compare, run
from mailsec.retrieval.model.vocabulary import (
    ARCHIVE,
    FOLDERS,
    GIVE_UP_AFTER,
    INBOX,
    RETRY_INTERVAL,
    UIDVALIDITY,
    ChangeKind,
    ClientSettings,
    DeviceSpec,
    Flag,
    FullMailboxReply,
    ImapSettings,
    PopSettings,
    Protocol,
    format_size,
    shown,
    utc_now,
)

__all__ = [
    "ARCHIVE",
    "FOLDERS",
    "GIVE_UP_AFTER",
    "INBOX",
    "RETRY_INTERVAL",
    "UIDVALIDITY",
    "AddDevice",
    "Bounce",
    "Change",
    "ChangeKind",
    "ClientSettings",
    "DeleteMessage",
    "DeviceEvent",
    "DeviceSpec",
    "DeviceState",
    "Event",
    "Expunge",
    "Flag",
    "FlagMessage",
    "FullMailboxReply",
    "GoOffline",
    "GoOnline",
    "ImapSettings",
    "MailArrives",
    "MessageEvent",
    "MessageView",
    "MoveMessage",
    "PopSettings",
    "Protocol",
    "QueuedMail",
    "ReadMessage",
    "ReplyToMessage",
    "Run",
    "Scenario",
    "ServerState",
    "SetQuota",
    "StepResult",
    "Sync",
    "TimePasses",
    "compare",
    "format_size",
    "run",
    "shown",
    "utc_now",
]
