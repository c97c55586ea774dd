"""The IMAP4 client of a device (RFC 3501): a view of the mailbox on the server, cached for offline use.

Online, every action is a command to the server (FETCH, STORE, UID MOVE, EXPUNGE), so every
device sees its result; the client then brings its cache in line (:meth:`_ImapClient.resync`),
and other online clients hear of the change at once (IDLE, RFC 2177). Offline, an action changes
the cache and is queued; when the device is back online the queue is replayed first, and a change
whose message another device removed meanwhile is dropped (RFC 4549 §4).
"""

from __future__ import annotations

from collections.abc import Sequence

from mailsec.i18n import texts
from mailsec.retrieval.model.device import _Client, _LocalMsg, _Pending, _PendingKind
from mailsec.retrieval.model.events import (
    DeleteMessage,
    Event,
    Expunge,
    FlagMessage,
    MoveMessage,
    ReadMessage,
    ReplyToMessage,
)
from mailsec.retrieval.model.server import _ServerMsg
from mailsec.retrieval.model.vocabulary import (
    FOLDERS,
    INBOX,
    Flag,
    ImapSettings,
    format_size,
    in_flag_order,
    shown,
)
from mailsec.trace import Outcome

TEXT = texts(
    {
        "not_in_view": "{label} is not in {device}'s view of the mailbox.",
        "not_in_view_offline": "{label} is not in {device}'s view of the mailbox (it is offline "
        "and has not seen it yet).",
        "gone": "{label} is no longer on the server.",
        "fetch": "{device} fetches {label} (FETCH BODY[]), which sets \\Seen on the server: every "
        "device will show it as read.",
        "store": "{device} sends STORE {uid} +FLAGS ({flag}) for {label}: the flag is kept on the "
        "server, for every device.",
        "store_deleted": "{device} sends STORE {uid} +FLAGS (\\Deleted) for {label}.",
        "only_marked": "{label} is only marked \\Deleted: it still takes {size} of the quota until "
        "someone expunges.",
        "already_in": "{label} is already in {folder}.",
        "move": "{device} moves {label} from {folder} to {target} on the server (UID MOVE). It "
        "still counts against the same quota: moving frees no space.",
        "expunge_waits": "{device} is offline: the EXPUNGE waits until it is back online.",
        "expunge": "{device} sends EXPUNGE: the server removes {labels} for good; {usage}.",
        "separator": ", ",
        "expunge_nothing": "{device} sends EXPUNGE: no message is marked \\Deleted, so nothing is "
        "removed.",
        "offline_mark": "{device} is offline: it marks {label} {flag} in its cache and queues the "
        "change for the server.",
        "offline_delete": "{device} is offline: it hides {label} and queues the deletion for the "
        "server. The server (and every other device) still has it for now.",
        "offline_move": "{device} is offline: it shows {label} in {folder} and queues the move for "
        "the server.",
        "headers_only_offline": "{device} is offline and has only the headers of {label}: the body "
        "was never downloaded, so it cannot be read until the device is online.",
        "read_offline": "{device} is offline but shows {label} from its cache and marks it read "
        "there; it will tell the server when it is back online.",
        "replay": "{device} first sends the {count} change(s) it made offline.",
        "replay_expunge": "EXPUNGE: the server removes {labels} for good.",
        "dropped": "Cannot {change}: another device already removed {label} from the server. The "
        "change is dropped.",
        "replay_store": "STORE +FLAGS ({flag}) on {label}.",
        "replay_move": "UID MOVE {label} to {folder}.",
        "resync": "{device} asks the server what is in each folder (SELECT, UID FETCH FLAGS) and "
        "updates its view.",
        "left": "{label} left {folder} on the server (expunged or moved), so it leaves {device}'s "
        "{folder} too.",
        "body_cached": "with its body cached",
        "storage_full": "headers only (device storage is full)",
        "headers_only": "headers only",
        "appears": "{label} appears in {device}'s {folder}, {how}.",
        "appears_flagged": "{label} appears in {device}'s {folder}, {how} and already {flags} on "
        "the server.",
        "now": "now {flags}",
        "no_longer": "no longer {flags}",
        "what_separator": "; ",
        "take_flags": "{label} on {device}: {what}, because the server says so (another device "
        "changed it).",
        "own_view": "{device} updates its own view of the mailbox.",
        "told": "{device} (online, IMAP) is told about the change at once.",
        "up_to_date": "{device} is already up to date.",
    }
)
"""The IMAP4 client's sentences (see :mod:`mailsec.i18n`)."""

_Note = tuple[str, Outcome, str]
"""A sentence of a resynchronisation, said once all of it is known: text, outcome, RFC section."""


class _ImapClient(_Client[ImapSettings]):
    settings_type = ImapSettings

    def check_mail(self) -> None:
        self.resync(quiet=False)

    def act(self, event: Event) -> None:
        device = self.device
        if isinstance(event, Expunge):
            self._expunge_event()
            return
        label = getattr(event, "message", "")
        local = device.find(label)
        if local is None:
            self.trace.say(
                TEXT["not_in_view" if device.online else "not_in_view_offline"].format(
                    label=label, device=shown(device.name)
                ),
                Outcome.WARN,
            )
            return
        if not device.online:
            self._act_offline(event, local)
            return
        found = self.mailbox.find(label)
        if found is None:
            self.trace.say(TEXT["gone"].format(label=label), Outcome.WARN)
            return
        folder, msg = found
        if isinstance(event, ReadMessage):
            self._read(local, msg)
        elif isinstance(event, FlagMessage | ReplyToMessage):
            self._mark(local, msg, event.flag)
        elif isinstance(event, DeleteMessage):
            self._delete(local, msg, folder)
        elif isinstance(event, MoveMessage):
            self._move(local, msg, folder, event.folder)

    # -- online: commands to the server -----------------------------------------------------------

    def _store(self, local: _LocalMsg, msg: _ServerMsg, flag: Flag) -> None:
        """Set a flag on the server (STORE +FLAGS) and show the server's flags in the cache."""
        msg.flags.add(flag)
        local.flags = set(msg.flags)

    def _read(self, local: _LocalMsg, msg: _ServerMsg) -> None:
        if not local.body and self.settings.cache_bodies and msg.size <= self.device.free:
            local.body = True
        self._store(local, msg, Flag.SEEN)
        self.trace.say(
            TEXT["fetch"].format(device=shown(self.device.name), label=local.label),
            Outcome.OK,
            "RFC 3501 §6.4.5",
        )

    def _mark(self, local: _LocalMsg, msg: _ServerMsg, flag: Flag) -> None:
        self._store(local, msg, flag)
        self.trace.say(
            TEXT["store"].format(
                device=shown(self.device.name), uid=msg.uid, flag=flag.value, label=local.label
            ),
            Outcome.OK,
            "RFC 3501 §6.4.6",
        )

    def _delete(self, local: _LocalMsg, msg: _ServerMsg, folder: str) -> None:
        self._store(local, msg, Flag.DELETED)
        self.trace.say(
            TEXT["store_deleted"].format(
                device=shown(self.device.name), uid=msg.uid, label=local.label
            ),
            Outcome.INFO,
            "RFC 3501 §6.4.6",
        )
        if self.settings.expunge_on_delete:
            self._expunge([folder])
        else:
            self.trace.say(
                TEXT["only_marked"].format(label=local.label, size=format_size(msg.size)),
                Outcome.WARN,
                "RFC 3501 §6.4.3",
            )

    def _move(self, local: _LocalMsg, msg: _ServerMsg, folder: str, target: str) -> None:
        if folder == target:
            self.trace.say(
                TEXT["already_in"].format(label=local.label, folder=shown(folder)), Outcome.INFO
            )
            return
        self.mailbox.move(msg, folder, target)
        local.folder, local.uid = target, msg.uid
        self.trace.say(
            TEXT["move"].format(
                device=shown(self.device.name),
                label=local.label,
                folder=shown(folder),
                target=shown(target),
            ),
            Outcome.OK,
            "RFC 6851 §3; RFC 9208 §3",
        )
        self.resync(quiet=True, own=True)

    def _expunge_event(self) -> None:
        """The user empties the deleted messages: now, or when the device is back online."""
        if self.device.online:
            self._expunge(list(FOLDERS))
            return
        self.device.pending.append(_Pending(_PendingKind.EXPUNGE, "", INBOX, 0))
        self.trace.say(
            TEXT["expunge_waits"].format(device=shown(self.device.name)),
            Outcome.INFO,
            "RFC 4549 §4",
        )

    def _expunge(self, folders: Sequence[str]) -> None:
        removed = self.mailbox.expunge(folders)
        if removed:
            self.trace.say(
                TEXT["expunge"].format(
                    device=shown(self.device.name),
                    labels=TEXT["separator"].join(m.label for m in removed),
                    usage=self.mailbox.usage,
                ),
                Outcome.OK,
                "RFC 3501 §6.4.3",
            )
        else:
            self.trace.say(
                TEXT["expunge_nothing"].format(device=shown(self.device.name)),
                Outcome.INFO,
                "RFC 3501 §6.4.3",
            )
        self.resync(quiet=True, own=True)

    # -- offline: change the cache, queue the change (RFC 4549 §4) ---------------------------------

    def _act_offline(self, event: Event, local: _LocalMsg) -> None:
        if isinstance(event, ReadMessage):
            self._read_offline(local)
        elif isinstance(event, FlagMessage | ReplyToMessage):
            self._queue_flag(local, event.flag)
            self.trace.say(
                TEXT["offline_mark"].format(
                    device=shown(self.device.name), label=local.label, flag=event.flag.value
                ),
                Outcome.INFO,
                "RFC 4549 §4",
            )
        elif isinstance(event, DeleteMessage):
            self.device.local.remove(local)
            self._queue(_PendingKind.DELETE, local)
            self.trace.say(
                TEXT["offline_delete"].format(device=shown(self.device.name), label=local.label),
                Outcome.INFO,
                "RFC 4549 §4",
            )
        elif isinstance(event, MoveMessage):
            self._queue(_PendingKind.MOVE, local, target=event.folder)
            local.folder = event.folder
            self.trace.say(
                TEXT["offline_move"].format(
                    device=shown(self.device.name), label=local.label, folder=shown(event.folder)
                ),
                Outcome.INFO,
                "RFC 4549 §4",
            )

    def _queue(
        self,
        kind: _PendingKind,
        local: _LocalMsg,
        flag: Flag | None = None,
        target: str | None = None,
    ) -> None:
        self.device.pending.append(
            _Pending(kind, local.label, local.folder, local.uid or 0, flag, target)
        )

    def _queue_flag(self, local: _LocalMsg, flag: Flag) -> None:
        local.flags.add(flag)
        self._queue(_PendingKind.FLAG, local, flag)

    def _read_offline(self, local: _LocalMsg) -> None:
        if not local.body:
            self.trace.say(
                TEXT["headers_only_offline"].format(
                    device=shown(self.device.name), label=local.label
                ),
                Outcome.WARN,
            )
            return
        self._queue_flag(local, Flag.SEEN)
        self.trace.say(
            TEXT["read_offline"].format(device=shown(self.device.name), label=local.label),
            Outcome.OK,
            "RFC 4549 §4",
        )

    # -- back online: replay the queue (RFC 4549 §4) -----------------------------------------------

    def _replay(self) -> None:
        self.trace.say(
            TEXT["replay"].format(device=shown(self.device.name), count=len(self.device.pending)),
            Outcome.INFO,
            "RFC 4549 §4",
        )
        pending, self.device.pending = self.device.pending, []
        expunge_after: set[str] = set()
        for change in pending:
            expunge_after |= self._replay_one(change)
        if not expunge_after:
            return
        removed = self.mailbox.expunge(sorted(expunge_after))
        if removed:
            self.trace.say(
                TEXT["replay_expunge"].format(
                    labels=TEXT["separator"].join(m.label for m in removed)
                ),
                Outcome.OK,
                "RFC 3501 §6.4.3",
                depth=1,
            )

    def _replay_one(self, change: _Pending) -> set[str]:
        """Send one queued change; return the folders to expunge once the queue is sent."""
        if change.kind is _PendingKind.EXPUNGE:
            return set(FOLDERS)
        found = self.mailbox.find(change.label)
        if found is None:
            self.trace.say(
                TEXT["dropped"].format(change=change.describe(), label=change.label),
                Outcome.WARN,
                "RFC 4549 §4.2",
                depth=1,
            )
            return set()
        folder, msg = found
        deleting = change.kind is _PendingKind.DELETE
        flag = Flag.DELETED if deleting else change.flag
        if change.kind in (_PendingKind.FLAG, _PendingKind.DELETE) and flag is not None:
            msg.flags.add(flag)
            self.trace.say(
                TEXT["replay_store"].format(flag=flag.value, label=change.label),
                Outcome.OK,
                "RFC 3501 §6.4.6",
                depth=1,
            )
            if deleting and self.settings.expunge_on_delete:
                return {folder}
        elif change.kind is _PendingKind.MOVE and change.target not in (None, folder):
            target = str(change.target)
            self.mailbox.move(msg, folder, target)
            moved = self.device.find(change.label)
            if moved is not None:
                moved.folder, moved.uid = target, msg.uid
            self.trace.say(
                TEXT["replay_move"].format(label=change.label, folder=shown(target)),
                Outcome.OK,
                "RFC 6851 §3",
                depth=1,
            )
        return set()

    # -- resynchronisation: the cache follows the server -----------------------------------------

    def resync(self, *, quiet: bool, own: bool = False) -> None:
        """Bring the device's cache in line with the server, after replaying offline changes.

        ``quiet``: the client is already online and only follows a change (its own when ``own``,
        else another device's, heard through IDLE); a check for mail says each step.
        """
        if self.device.pending:
            self._replay()
        if not quiet:
            self.trace.say(
                TEXT["resync"].format(device=shown(self.device.name)),
                Outcome.INFO,
                "RFC 3501 §6.3.1",
            )
        notes = self._forget_what_left_the_server() + self._follow_the_server()
        self.device.local.sort(key=lambda m: (FOLDERS.index(m.folder), m.uid or 0))
        self._tell(notes, quiet=quiet, own=own)

    def _forget_what_left_the_server(self) -> list[_Note]:
        on_server = {
            (folder, msg.uid) for folder, msgs in self.mailbox.folders.items() for msg in msgs
        }
        notes = []
        for local in list(self.device.local):
            if (local.folder, local.uid or 0) not in on_server:
                self.device.local.remove(local)
                notes.append(
                    (
                        TEXT["left"].format(
                            label=local.label,
                            folder=shown(local.folder),
                            device=shown(self.device.name),
                        ),
                        Outcome.INFO,
                        "RFC 3501 §7.4.1",
                    )
                )
        return notes

    def _follow_the_server(self) -> list[_Note]:
        """Cache what is new on the server, and take the server's flags for what changed."""
        cached = {(m.folder, m.uid): m for m in self.device.local}
        notes = []
        for folder, msgs in self.mailbox.folders.items():
            for msg in msgs:
                local = cached.get((folder, msg.uid))
                if local is None:
                    notes.append(self._cache_new(folder, msg))
                elif local.flags != msg.flags:
                    notes.append(self._take_flags(local, msg))
        return notes

    def _cache_new(self, folder: str, msg: _ServerMsg) -> _Note:
        """A message the cache does not have yet: its headers always, its body if it fits."""
        cache_bodies = self.settings.cache_bodies
        body = cache_bodies and msg.size <= self.device.free
        self.device.local.append(
            _LocalMsg(msg.label, msg.subject, msg.size, folder, msg.uid, set(msg.flags), body)
        )
        if body:
            how = TEXT["body_cached"]
        elif cache_bodies:
            how = TEXT["storage_full"]
        else:
            how = TEXT["headers_only"]
        flags = " ".join(f.value for f in in_flag_order(msg.flags))
        return (
            TEXT["appears_flagged" if msg.flags else "appears"].format(
                label=msg.label,
                device=shown(self.device.name),
                folder=shown(folder),
                how=how,
                flags=flags,
            ),
            Outcome.OK if body else Outcome.WARN,
            "RFC 3501 §7.3.1",
        )

    def _take_flags(self, local: _LocalMsg, msg: _ServerMsg) -> _Note:
        added = sorted(f.value for f in msg.flags - local.flags)
        gone = sorted(f.value for f in local.flags - msg.flags)
        local.flags = set(msg.flags)
        what = TEXT["what_separator"].join(
            part
            for part in (
                TEXT["now"].format(flags=" ".join(added)) if added else "",
                TEXT["no_longer"].format(flags=" ".join(gone)) if gone else "",
            )
            if part
        )
        return (
            TEXT["take_flags"].format(label=msg.label, device=shown(self.device.name), what=what),
            Outcome.OK,
            "RFC 3501 §7.4.2",
        )

    def _tell(self, notes: list[_Note], *, quiet: bool, own: bool) -> None:
        if quiet and notes and own:
            self.trace.say(TEXT["own_view"].format(device=shown(self.device.name)), Outcome.INFO)
        elif quiet and notes:
            self.trace.say(
                TEXT["told"].format(device=shown(self.device.name)),
                Outcome.INFO,
                "RFC 2177 (IDLE)",
            )
        for text, outcome, section in notes:
            self.trace.say(text, outcome, section, depth=1)
        if not quiet and not notes:
            self.trace.say(
                TEXT["up_to_date"].format(device=shown(self.device.name)), Outcome.INFO, depth=1
            )
