"""The mutable world behind a run, and :func:`run`, which plays a scenario step by step."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from mailsec.retrieval.model.events import (
    AddDevice,
    DeleteMessage,
    Event,
    Expunge,
    FlagMessage,
    GoOffline,
    GoOnline,
    MailArrives,
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
from mailsec.retrieval.model.vocabulary import (
    FOLDERS,
    GIVE_UP_AFTER,
    INBOX,
    RETRY_INTERVAL,
    ChangeKind,
    ClientSettings,
    DeviceSpec,
    Flag,
    FullMailboxReply,
    ImapSettings,
    PopSettings,
    Protocol,
    format_size,
    in_flag_order,
    uidl_of,
    utc_now,
)
from mailsec.trace import Outcome, Step

# -- the mutable world behind a run -----------------------------------------------------------------


@dataclass
class _ServerMsg:
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


@dataclass
class _LocalMsg:
    label: str
    subject: str
    size: int
    folder: str
    uid: int | None
    flags: set[Flag] = field(default_factory=set)
    body: bool = True
    uidl: str | None = None
    """POP3: the server's UIDL of the message this copy came from."""

    def view(self) -> MessageView:
        return MessageView(
            self.label, self.subject, self.size, self.folder, frozenset(self.flags), self.uid,
            self.body,
        )  # fmt: skip


class _Change(enum.Enum):
    """The kinds of change an offline IMAP client queues."""

    FLAG = "flag"
    DELETE = "delete"
    MOVE = "move"
    EXPUNGE = "expunge"


@dataclass
class _Pending:
    """A change an offline IMAP client will replay (RFC 4549 §4)."""

    kind: _Change
    label: str
    folder: str
    uid: int
    flag: Flag | None = None
    target: str | None = None

    def describe(self) -> str:
        if self.kind is _Change.FLAG:
            return f"set {self.flag.value if self.flag else ''} on {self.label}"
        if self.kind is _Change.DELETE:
            return f"delete {self.label}"
        if self.kind is _Change.MOVE:
            return f"move {self.label} to {self.target}"
        return "expunge deleted messages"


@dataclass
class _Device:
    name: str
    capacity: int
    client: ClientSettings
    online: bool
    local: list[_LocalMsg] = field(default_factory=list)
    known_uidls: dict[str, datetime] = field(default_factory=dict)
    """POP3: UIDLs already downloaded, with when (for 'remove after N days')."""
    deleted_uidls: set[str] = field(default_factory=set)
    """POP3: UIDLs deleted here, to remove from the server at the next check."""
    pending: list[_Pending] = field(default_factory=list)
    did_not_fit: list[MessageView] = field(default_factory=list)
    """POP3: what the last session left on the server for want of storage."""

    @property
    def protocol(self) -> Protocol:
        return self.client.protocol

    @property
    def used(self) -> int:
        return sum(m.size for m in self.local if m.body)

    @property
    def free(self) -> int:
        return self.capacity - self.used

    def find(self, label: str) -> _LocalMsg | None:
        return next((m for m in self.local if m.label == label), None)

    def state(self) -> DeviceState:
        return DeviceState(
            self.name,
            self.protocol,
            self.client.summary,
            self.online,
            self.capacity,
            tuple(m.view() for m in self.local),
            tuple(p.describe() for p in self.pending),
            tuple(self.did_not_fit),
        )


class _World:
    def __init__(self, scenario: Scenario, client: ClientSettings, start: datetime) -> None:
        self.quota = scenario.quota
        self.full_reply = scenario.full_reply
        self.default_client = client
        self.start = start
        self.now = start
        self.folders: dict[str, list[_ServerMsg]] = {f: [] for f in FOLDERS}
        self.next_uid: dict[str, int] = dict.fromkeys(FOLDERS, 1)
        self.queue: list[QueuedMail] = []
        self.bounces: list[Bounce] = []
        self.devices: dict[str, _Device] = {}
        self.sent = 0
        self.arrived: list[str] = []
        self.steps: list[Step] = []
        for spec in scenario.devices:
            self._add_device(spec)

    # -- helpers --------------------------------------------------------------------------------

    def say(
        self,
        text: str,
        outcome: Outcome = Outcome.INFO,
        section: str | None = None,
        depth: int = 0,
        **data: object,
    ) -> None:
        self.steps.append(Step(text, outcome, section, depth, data))

    def _add_device(self, spec: DeviceSpec) -> _Device:
        device = _Device(spec.name, spec.capacity, spec.client or self.default_client, spec.online)
        self.devices[spec.name] = device
        return device

    @property
    def used(self) -> int:
        return sum(m.size for msgs in self.folders.values() for m in msgs)

    @property
    def usage(self) -> str:
        """How full the mailbox is, as the trace says it."""
        return f"{format_size(self.used)} of {format_size(self.quota)} now used"

    def find(self, label: str) -> tuple[str, _ServerMsg] | None:
        for folder, msgs in self.folders.items():
            for m in msgs:
                if m.label == label:
                    return folder, m
        return None

    def server_state(self) -> ServerState:
        return ServerState(
            self.quota,
            tuple((f, tuple(m.view(f) for m in msgs)) for f, msgs in self.folders.items()),
            tuple(self.queue),
            tuple(self.bounces),
        )

    def device_states(self) -> tuple[DeviceState, ...]:
        return tuple(d.state() for d in self.devices.values())

    # -- delivery -------------------------------------------------------------------------------

    def deliver(self, label: str, subject: str, size: int, sender: str, *, retry: bool) -> bool:
        """Try to put a message into INBOX; refuse it if it would exceed the quota."""
        used = self.used
        if used + size > self.quota:
            reply = self.full_reply
            self.say(
                f"The server refuses {label} ({format_size(size)}): the mailbox holds "
                f"{format_size(used)} of its {format_size(self.quota)} quota, so only "
                f"{format_size(max(0, self.quota - used))} is free. It answers the sender's "
                f"server “{reply.reply}”.",
                Outcome.FAIL,
                "RFC 3463 §3.3 (X.2.2 Mailbox full); RFC 5321 §4.2.2",
                kind="refused",
                label=label,
                code=reply.code,
                enhanced=reply.enhanced,
            )
            if reply is FullMailboxReply.PERMANENT:
                self._bounce(label, subject, sender, reply, "the mailbox was full (permanent)")
            elif not retry:
                self.queue.append(
                    QueuedMail(label, subject, size, sender, self.now, self.now + RETRY_INTERVAL)
                )
                self.say(
                    f"Because the refusal is temporary (4xx), the sender's server keeps {label} in "
                    f"its queue and will try again every {int(RETRY_INTERVAL.total_seconds() // 60)} "
                    f"minutes for up to {GIVE_UP_AFTER.days} days. The recipient is not told.",
                    Outcome.WARN,
                    "RFC 5321 §4.5.4.1",
                    kind="queued",
                    label=label,
                )
            return False
        uid = self.next_uid[INBOX]
        self.next_uid[INBOX] += 1
        self.folders[INBOX].append(_ServerMsg(label, subject, sender, size, uid))
        self.say(
            f"The server accepts {label} (“{subject}”, {format_size(size)}) into INBOX as UID "
            f"{uid}: {self.usage}.",
            Outcome.OK,
            "RFC 3501 §2.3.1.1",
            kind="delivered",
            label=label,
        )
        return True

    def _bounce(
        self, label: str, subject: str, sender: str, reply: FullMailboxReply, reason: str
    ) -> None:
        self.bounces.append(Bounce(label, subject, sender, self.now, reply.reply, reason))
        self.say(
            f"The sender's server returns {label} to {sender} with a bounce (a delivery status "
            f"notification) quoting “{reply.reply}”. The mail is not lost silently: the sender "
            "knows; the recipient sees nothing.",
            Outcome.FAIL,
            "RFC 3464 §2; RFC 5321 §4.5.4.1",
            kind="bounced",
            label=label,
        )

    def process_queue(self) -> None:
        """The sender's server retries refused mail that is due, or gives up on it."""
        waiting: list[QueuedMail] = []
        for item in self.queue:
            if self.now >= item.first_refused + GIVE_UP_AFTER:
                self.say(
                    f"The sender's server gives up on {item.label} after {GIVE_UP_AFTER.days} "
                    "days of refusals.",
                    Outcome.FAIL,
                    "RFC 5321 §4.5.4.1",
                )
                self._bounce(
                    item.label,
                    item.subject,
                    item.sender,
                    FullMailboxReply.TEMPORARY,
                    f"the mailbox stayed full for {GIVE_UP_AFTER.days} days",
                )
            elif self.now >= item.next_retry:
                self.say(f"The sender's server tries {item.label} again.", Outcome.INFO)
                if not self.deliver(item.label, item.subject, item.size, item.sender, retry=True):
                    waiting.append(replace(item, next_retry=self.now + RETRY_INTERVAL))
            else:
                waiting.append(item)
        self.queue = waiting

    # -- events ---------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if isinstance(event, MailArrives):
            self.sent += 1
            label = f"M{self.sent}"
            self.arrived.append(label)
            self.say(
                f"{event.sender} sends {label} (“{event.subject}”, {format_size(event.size)}); "
                "the sender's mail server passes it to ours over SMTP.",
                Outcome.INFO,
                "RFC 5321 §3.3",
            )
            self.deliver(label, event.subject, event.size, event.sender, retry=False)
        elif isinstance(event, SetQuota):
            old, self.quota = self.quota, event.quota
            self.say(
                f"The quota changes from {format_size(old)} to {format_size(event.quota)}; "
                f"{format_size(self.used)} is in use."
                + (
                    " The mailbox is now over its quota: no new mail fits until some is removed."
                    if self.used > self.quota
                    else ""
                ),
                Outcome.WARN if self.used > self.quota else Outcome.INFO,
                "RFC 9208 §5.1",
            )
        elif isinstance(event, TimePasses):
            self.say("Time passes; nobody touches the mail.", Outcome.INFO)
        elif isinstance(event, AddDevice):
            device = self._add_device(event.spec)
            self.say(
                f"{device.name} is set up with the account ({device.protocol.value}: "
                f"{device.client.summary}); it starts empty.",
                Outcome.INFO,
            )
            if device.online:
                self.sync(device)
        else:
            device = self.devices[event.device_name or ""]
            self._device_event(device, event)

    def _device_event(self, device: _Device, event: Event) -> None:
        if isinstance(event, GoOffline):
            device.online = False
            self.say(
                f"{device.name} goes offline: it can use only what is stored on it.", Outcome.INFO
            )
            return
        if isinstance(event, GoOnline):
            device.online = True
            self.say(f"{device.name} is back online and checks for mail.", Outcome.INFO)
            self.sync(device)
            return
        if isinstance(event, Sync):
            self.sync(device)
            return
        if device.protocol is Protocol.POP3:
            self._pop_local(device, event)
        else:
            self._imap_action(device, event)

    # -- POP3 -----------------------------------------------------------------------------------

    def sync(self, device: _Device) -> None:
        if not device.online:
            self.say(
                f"{device.name} is offline: it cannot reach the server, so nothing is checked.",
                Outcome.WARN,
            )
            return
        if device.protocol is Protocol.POP3:
            self._pop_session(device)
        else:
            self._imap_sync(device, quiet=False)

    def _pop_session(self, device: _Device) -> None:
        settings = device.client
        assert isinstance(settings, PopSettings)
        inbox = self.folders[INBOX]
        self.say(
            f"{device.name} opens a POP3 session (USER/PASS) and lists the {len(inbox)} "
            "message(s) in INBOX with UIDL. POP3 sees only INBOX: other folders do not exist "
            "for it.",
            Outcome.INFO,
            "RFC 1939 §7",
        )
        to_delete: list[tuple[_ServerMsg, str]] = []
        downloaded = 0
        device.did_not_fit.clear()
        for msg in inbox:
            uidl = msg.uidl
            if uidl in device.known_uidls:
                self.say(
                    f"{msg.label}: UIDL {uidl} is already known, so it is not downloaded again.",
                    Outcome.INFO,
                    "RFC 1939 §7",
                    depth=1,
                )
            elif msg.size > device.free:
                self.say(
                    f"{msg.label} ({format_size(msg.size)}) does not fit: {device.name} has only "
                    f"{format_size(max(0, device.free))} free. It stays on the server.",
                    Outcome.WARN,
                    depth=1,
                    kind="device_full",
                    label=msg.label,
                )
                device.did_not_fit.append(msg.view(INBOX))
                continue
            else:
                device.local.append(
                    _LocalMsg(msg.label, msg.subject, msg.size, INBOX, None, uidl=uidl)
                )
                device.known_uidls[uidl] = self.now
                msg.flags.add(Flag.SEEN)
                downloaded += 1
                self.say(
                    f"RETR {msg.label}: downloaded to {device.name}, where it is unread.",
                    Outcome.OK,
                    "RFC 1939 §5 (RETR)",
                    depth=1,
                )
                if not settings.leave_copy:
                    to_delete.append((msg, "download and delete"))
                    continue
            if not settings.leave_copy:
                continue
            if settings.remove_when_deleted_locally and uidl in device.deleted_uidls:
                to_delete.append((msg, "deleted on this device"))
            elif settings.remove_after_days is not None and self.now - device.known_uidls[
                uidl
            ] >= timedelta(days=settings.remove_after_days):
                to_delete.append((msg, f"downloaded over {settings.remove_after_days} days ago"))
        if downloaded:
            self.say(
                "The server marks what was downloaded \\Seen (Dovecot does so unless "
                "pop3_no_flag_updates is set), but POP3 clients never read server flags: the "
                "device decides for itself what is read.",
                Outcome.INFO,
                depth=1,
            )
        for msg, why in to_delete:
            self.say(
                f"DELE {msg.label} ({why}): marked for deletion in this session.",
                Outcome.INFO,
                "RFC 1939 §5 (DELE)",
                depth=1,
            )
        if to_delete:
            gone = {id(m) for m, _ in to_delete}
            self.folders[INBOX] = [m for m in inbox if id(m) not in gone]
            for m, _ in to_delete:
                device.deleted_uidls.discard(m.uidl)
            self.say(
                f"QUIT: the session enters the UPDATE state and the server removes "
                f"{', '.join(m.label for m, _ in to_delete)}; {self.usage}.",
                Outcome.OK,
                "RFC 1939 §6",
            )
        else:
            self.say(
                "QUIT: nothing was marked for deletion, so the server keeps every message.",
                Outcome.INFO,
                "RFC 1939 §6",
            )

    def _pop_local(self, device: _Device, event: Event) -> None:
        settings = device.client
        assert isinstance(settings, PopSettings)
        if isinstance(event, Expunge):
            self.say(
                f"{device.name} uses POP3: there are no server flags to expunge. Deleting on a "
                "POP3 device removes the local copy.",
                Outcome.INFO,
            )
            return
        label = getattr(event, "message", "")
        local = device.find(label)
        if local is None:
            self.say(
                f"{label} is not on {device.name}: a POP3 client only has what it downloaded "
                "(check for mail first).",
                Outcome.WARN,
            )
            return
        where = " (no network needed: it is on the device)" if not device.online else ""
        if isinstance(event, ReadMessage):
            local.flags.add(Flag.SEEN)
            self.say(
                f"{device.name} shows {label} from its own copy{where} and marks it read there only. "
                "POP3 has no command to tell the server (or other devices) it was read.",
                Outcome.OK,
                "RFC 1939 §5",
            )
        elif isinstance(event, FlagMessage | ReplyToMessage):
            flag = event.flag
            local.flags.add(flag)
            self.say(
                f"{device.name} marks {label} {flag.value} in its own copy; no other device "
                "will know (POP3 does not carry flags).",
                Outcome.INFO,
                "RFC 1939 §5",
            )
        elif isinstance(event, DeleteMessage):
            device.local.remove(local)
            on_server = self._label_of_uidl(local.uidl or "") is not None
            if settings.remove_when_deleted_locally and local.uidl and on_server:
                device.deleted_uidls.add(local.uidl)
                self.say(
                    f"{device.name} deletes its copy of {label} and will remove the server's copy "
                    "at its next check (setting: remove when deleted here).",
                    Outcome.INFO,
                )
            else:
                self.say(
                    f"{device.name} deletes its copy of {label}."
                    + (
                        " The server's copy stays: this client does not delete on the server."
                        if on_server
                        else ""
                    ),
                    Outcome.INFO,
                )
        elif isinstance(event, MoveMessage):
            old = local.folder
            local.folder = event.folder
            self.say(
                f"{device.name} moves {label} from its local {old} to its local {event.folder}. "
                "The server's folders are untouched: POP3 knows no folders.",
                Outcome.INFO,
                "RFC 1939 §1",
            )

    def _label_of_uidl(self, uidl: str) -> str | None:
        for msg in self.folders[INBOX]:
            if msg.uidl == uidl:
                return msg.label
        return None

    # -- IMAP4 ----------------------------------------------------------------------------------

    def _imap_action(self, device: _Device, event: Event) -> None:
        settings = device.client
        assert isinstance(settings, ImapSettings)
        if isinstance(event, Expunge):
            if device.online:
                self._expunge(device, [f for f in FOLDERS])
            else:
                device.pending.append(_Pending(_Change.EXPUNGE, "", INBOX, 0))
                self.say(
                    f"{device.name} is offline: the EXPUNGE waits until it is back online.",
                    Outcome.INFO,
                    "RFC 4549 §4",
                )
            return
        label = getattr(event, "message", "")
        local = device.find(label)
        if local is None:
            self.say(
                f"{label} is not in {device.name}'s view of the mailbox"
                + ("" if device.online else " (it is offline and has not seen it yet)")
                + ".",
                Outcome.WARN,
            )
            return
        if not device.online:
            self._imap_offline(device, event, local)
            return
        found = self.find(label)
        if found is None:
            self.say(f"{label} is no longer on the server.", Outcome.WARN)
            return
        folder, msg = found
        if isinstance(event, ReadMessage):
            if not local.body and settings.cache_bodies and msg.size <= device.free:
                local.body = True
            msg.flags.add(Flag.SEEN)
            local.flags = set(msg.flags)
            self.say(
                f"{device.name} fetches {label} (FETCH BODY[]), which sets \\Seen on the server: "
                "every device will show it as read.",
                Outcome.OK,
                "RFC 3501 §6.4.5",
            )
        elif isinstance(event, FlagMessage | ReplyToMessage):
            flag = event.flag
            msg.flags.add(flag)
            local.flags = set(msg.flags)
            self.say(
                f"{device.name} sends STORE {msg.uid} +FLAGS ({flag.value}) for {label}: the flag "
                "is kept on the server, for every device.",
                Outcome.OK,
                "RFC 3501 §6.4.6",
            )
        elif isinstance(event, DeleteMessage):
            msg.flags.add(Flag.DELETED)
            local.flags = set(msg.flags)
            self.say(
                f"{device.name} sends STORE {msg.uid} +FLAGS (\\Deleted) for {label}.",
                Outcome.INFO,
                "RFC 3501 §6.4.6",
            )
            if settings.expunge_on_delete:
                self._expunge(device, [folder])
            else:
                self.say(
                    f"{label} is only marked \\Deleted: it still takes {format_size(msg.size)} of "
                    "the quota until someone expunges.",
                    Outcome.WARN,
                    "RFC 3501 §6.4.3",
                )
        elif isinstance(event, MoveMessage):
            if folder == event.folder:
                self.say(f"{label} is already in {folder}.", Outcome.INFO)
                return
            self._move(msg, folder, event.folder)
            local.folder, local.uid = event.folder, msg.uid
            self.say(
                f"{device.name} moves {label} from {folder} to {event.folder} on the server "
                "(UID MOVE). It still counts against the same quota: moving frees no space.",
                Outcome.OK,
                "RFC 6851 §3; RFC 9208 §3",
            )
            self._imap_sync(device, quiet=True, own=True)

    def _move(self, msg: _ServerMsg, source: str, target: str) -> None:
        self.folders[source].remove(msg)
        msg.uid = self.next_uid[target]
        self.next_uid[target] += 1
        msg.flags.discard(Flag.DELETED)
        self.folders[target].append(msg)

    def _remove_deleted(self, folders: Sequence[str]) -> list[_ServerMsg]:
        """Remove the messages marked ``\\Deleted`` from ``folders`` for good (RFC 3501 §6.4.3)."""
        removed = []
        for folder in folders:
            keep = []
            for msg in self.folders[folder]:
                (removed if Flag.DELETED in msg.flags else keep).append(msg)
            self.folders[folder] = keep
        return removed

    def _expunge(self, device: _Device, folders: Sequence[str]) -> None:
        removed = self._remove_deleted(folders)
        if removed:
            self.say(
                f"{device.name} sends EXPUNGE: the server removes "
                f"{', '.join(m.label for m in removed)} for good; {self.usage}.",
                Outcome.OK,
                "RFC 3501 §6.4.3",
            )
        else:
            self.say(
                f"{device.name} sends EXPUNGE: no message is marked \\Deleted, so nothing is removed.",
                Outcome.INFO,
                "RFC 3501 §6.4.3",
            )
        self._imap_sync(device, quiet=True, own=True)

    def _imap_offline(self, device: _Device, event: Event, local: _LocalMsg) -> None:
        label = local.label
        uid = local.uid or 0
        if isinstance(event, ReadMessage):
            if not local.body:
                self.say(
                    f"{device.name} is offline and has only the headers of {label}: the body "
                    "was never downloaded, so it cannot be read until the device is online.",
                    Outcome.WARN,
                )
                return
            local.flags.add(Flag.SEEN)
            device.pending.append(_Pending(_Change.FLAG, label, local.folder, uid, Flag.SEEN))
            self.say(
                f"{device.name} is offline but shows {label} from its cache and marks it read "
                "there; it will tell the server when it is back online.",
                Outcome.OK,
                "RFC 4549 §4",
            )
        elif isinstance(event, FlagMessage | ReplyToMessage):
            flag = event.flag
            local.flags.add(flag)
            device.pending.append(_Pending(_Change.FLAG, label, local.folder, uid, flag))
            self.say(
                f"{device.name} is offline: it marks {label} {flag.value} in its cache and "
                "queues the change for the server.",
                Outcome.INFO,
                "RFC 4549 §4",
            )
        elif isinstance(event, DeleteMessage):
            device.local.remove(local)
            device.pending.append(_Pending(_Change.DELETE, label, local.folder, uid))
            self.say(
                f"{device.name} is offline: it hides {label} and queues the deletion for the "
                "server. The server (and every other device) still has it for now.",
                Outcome.INFO,
                "RFC 4549 §4",
            )
        elif isinstance(event, MoveMessage):
            device.pending.append(
                _Pending(_Change.MOVE, label, local.folder, uid, target=event.folder)
            )
            local.folder = event.folder
            self.say(
                f"{device.name} is offline: it shows {label} in {event.folder} and queues the "
                "move for the server.",
                Outcome.INFO,
                "RFC 4549 §4",
            )

    def _replay(self, device: _Device) -> None:
        settings = device.client
        assert isinstance(settings, ImapSettings)
        self.say(
            f"{device.name} first sends the {len(device.pending)} change(s) it made offline.",
            Outcome.INFO,
            "RFC 4549 §4",
        )
        pending, device.pending = device.pending, []
        expunge_after: set[str] = set()
        for op in pending:
            if op.kind is _Change.EXPUNGE:
                expunge_after.update(FOLDERS)
                continue
            found = self.find(op.label)
            if found is None:
                self.say(
                    f"Cannot {op.describe()}: another device already removed {op.label} from "
                    "the server. The change is dropped.",
                    Outcome.WARN,
                    "RFC 4549 §4.2",
                    depth=1,
                )
                continue
            folder, msg = found
            if op.kind is _Change.FLAG and op.flag is not None:
                msg.flags.add(op.flag)
                self.say(
                    f"STORE +FLAGS ({op.flag.value}) on {op.label}.",
                    Outcome.OK,
                    "RFC 3501 §6.4.6",
                    depth=1,
                )
            elif op.kind is _Change.DELETE:
                msg.flags.add(Flag.DELETED)
                self.say(
                    f"STORE +FLAGS (\\Deleted) on {op.label}.",
                    Outcome.OK,
                    "RFC 3501 §6.4.6",
                    depth=1,
                )
                if settings.expunge_on_delete:
                    expunge_after.add(folder)
            elif op.kind is _Change.MOVE and op.target is not None and folder != op.target:
                self._move(msg, folder, op.target)
                moved = device.find(op.label)
                if moved is not None:
                    moved.folder, moved.uid = op.target, msg.uid
                self.say(f"UID MOVE {op.label} to {op.target}.", Outcome.OK, "RFC 6851 §3", depth=1)
        if expunge_after:
            self._expunge_quiet(device, sorted(expunge_after))

    def _expunge_quiet(self, device: _Device, folders: Sequence[str]) -> None:
        removed = self._remove_deleted(folders)
        if removed:
            self.say(
                f"EXPUNGE: the server removes {', '.join(m.label for m in removed)} for good.",
                Outcome.OK,
                "RFC 3501 §6.4.3",
                depth=1,
            )

    def _imap_sync(self, device: _Device, *, quiet: bool, own: bool = False) -> None:
        """Bring the device's cache in line with the server (after replaying offline changes)."""
        settings = device.client
        assert isinstance(settings, ImapSettings)
        if device.pending:
            self._replay(device)
        if not quiet:
            self.say(
                f"{device.name} asks the server what is in each folder (SELECT, UID FETCH FLAGS) "
                "and updates its view.",
                Outcome.INFO,
                "RFC 3501 §6.3.1",
            )
        depth = 1
        notes: list[tuple[str, Outcome, str]] = []
        on_server: set[tuple[str, int]] = set()
        for folder, msgs in self.folders.items():
            for msg in msgs:
                on_server.add((folder, msg.uid))
        for local in list(device.local):
            if (local.folder, local.uid or 0) not in on_server:
                device.local.remove(local)
                notes.append(
                    (
                        f"{local.label} left {local.folder} on the server (expunged or moved), so "
                        f"it leaves {device.name}'s {local.folder} too.",
                        Outcome.INFO,
                        "RFC 3501 §7.4.1",
                    )
                )
        cached = {(m.folder, m.uid): m for m in device.local}
        for folder, msgs in self.folders.items():
            for msg in msgs:
                local = cached.get((folder, msg.uid))
                if local is None:
                    body = settings.cache_bodies and msg.size <= device.free
                    device.local.append(
                        _LocalMsg(
                            msg.label, msg.subject, msg.size, folder, msg.uid, set(msg.flags), body
                        )
                    )
                    how = (
                        "with its body cached"
                        if body
                        else (
                            "headers only (device storage is full)"
                            if settings.cache_bodies
                            else "headers only"
                        )
                    )
                    state = (
                        f" and already {' '.join(f.value for f in in_flag_order(msg.flags))} on the server"
                        if msg.flags
                        else ""
                    )
                    notes.append(
                        (
                            f"{msg.label} appears in {device.name}'s {folder}, {how}{state}.",
                            Outcome.OK if body else Outcome.WARN,
                            "RFC 3501 §7.3.1",
                        )
                    )
                elif local.flags != msg.flags:
                    added = sorted(f.value for f in msg.flags - local.flags)
                    gone = sorted(f.value for f in local.flags - msg.flags)
                    local.flags = set(msg.flags)
                    what = "; ".join(
                        p
                        for p in (
                            f"now {' '.join(added)}" if added else "",
                            f"no longer {' '.join(gone)}" if gone else "",
                        )
                        if p
                    )
                    notes.append(
                        (
                            f"{msg.label} on {device.name}: {what}, because the server says so "
                            "(another device changed it).",
                            Outcome.OK,
                            "RFC 3501 §7.4.2",
                        )
                    )
        device.local.sort(key=lambda m: (FOLDERS.index(m.folder), m.uid or 0))
        if quiet and notes and own:
            self.say(f"{device.name} updates its own view of the mailbox.", Outcome.INFO)
        elif quiet and notes:
            self.say(
                f"{device.name} (online, IMAP) is told about the change at once.",
                Outcome.INFO,
                "RFC 2177 (IDLE)",
            )
        for text, outcome, section in notes:
            self.say(text, outcome, section, depth=depth)
        if not quiet and not notes:
            self.say(f"{device.name} is already up to date.", Outcome.INFO, depth=depth)

    def refresh_online_imap(self) -> None:
        """Online IMAP clients hear about changes at once (IDLE, RFC 2177)."""
        for device in self.devices.values():
            if device.online and device.protocol is Protocol.IMAP4:
                self._imap_sync(device, quiet=True)


# -- running ---------------------------------------------------------------------------------------


def _changes(
    before_server: ServerState,
    before_devices: Iterable[DeviceState],
    server: ServerState,
    devices: Iterable[DeviceState],
) -> tuple[Change, ...]:
    out: list[Change] = []

    def compare(place: str, old: Iterable[MessageView], new: Iterable[MessageView]) -> None:
        old_map = {(m.folder, m.label): m for m in old}
        new_map = {(m.folder, m.label): m for m in new}
        for key, m in new_map.items():
            prev = old_map.get(key)
            if prev is None:
                out.append(Change(place, m.folder, m.label, ChangeKind.ADDED, "new here"))
            elif prev.flags != m.flags or prev.body != m.body:
                parts = [f"+{f.value}" for f in in_flag_order(m.flags - prev.flags)]
                parts += [f"−{f.value}" for f in in_flag_order(prev.flags - m.flags)]
                if prev.body != m.body:
                    parts.append("body cached" if m.body else "body dropped")
                out.append(Change(place, m.folder, m.label, ChangeKind.CHANGED, " ".join(parts)))
        for key, m in old_map.items():
            if key not in new_map:
                out.append(Change(place, m.folder, m.label, ChangeKind.REMOVED, "gone from here"))

    compare("server", before_server.messages, server.messages)
    old_devices = {d.name: d for d in before_devices}
    for d in devices:
        prev = old_devices.get(d.name)
        compare(d.name, prev.messages if prev else (), d.messages)
    return tuple(out)


def run(
    scenario: Scenario,
    *,
    client: ClientSettings | None = None,
    quota: int | None = None,
    full_reply: FullMailboxReply | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Run:
    """Play ``scenario`` and return the state after every step.

    ``client`` is the mail client setting of every device that does not name its own (POP3 or
    IMAP4 and their options; IMAP4 with defaults when omitted), so the same scenario can be played
    under both protocols. ``quota`` and ``full_reply`` override the scenario's. ``clock`` gives the
    start time (step 0); each event happens ``event.at`` after it.
    """
    if quota is not None or full_reply is not None:
        scenario = replace(
            scenario,
            quota=scenario.quota if quota is None else quota,
            full_reply=scenario.full_reply if full_reply is None else full_reply,
        )
    settings = client if client is not None else ImapSettings()
    start = clock()
    world = _World(scenario, settings, start)
    world.say(
        f"The mailbox starts empty with a quota of {format_size(scenario.quota)}; "
        + (
            ", ".join(
                f"{d.name} ({d.protocol.value}, {format_size(d.capacity)} of storage, "
                f"{'online' if d.online else 'offline'})"
                for d in world.devices.values()
            )
            or "no devices yet"
        )
        + ".",
        Outcome.INFO,
        "RFC 9208 §3",
    )
    server, devices = world.server_state(), world.device_states()
    steps = [StepResult(0, start, None, server, devices, (), tuple(world.steps))]
    for number, event in enumerate(scenario.events, start=1):
        world.steps = []
        world.now = start + event.at
        world.process_queue()
        world.apply(event)
        world.refresh_online_imap()
        new_server, new_devices = world.server_state(), world.device_states()
        steps.append(
            StepResult(
                number,
                world.now,
                event,
                new_server,
                new_devices,
                _changes(server, devices, new_server, new_devices),
                tuple(world.steps),
            )
        )
        server, devices = new_server, new_devices
    label = settings.protocol.value + (
        f" ({settings.summary})" if isinstance(settings, PopSettings) else ""
    )
    return Run(scenario, label, tuple(steps), tuple(world.arrived))
