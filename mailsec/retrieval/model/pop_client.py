"""The POP3 client of a device (RFC 1939): a session that downloads, and the user's own copies.

A check for mail is one session: USER/PASS, UIDL to list INBOX, RETR what is new and fits, DELE
what the settings say to remove, and QUIT, whose UPDATE state removes it (RFC 1939 §6). The
settings are the ones real clients offer (:class:`~mailsec.retrieval.model.vocabulary.PopSettings`).
Whatever the user then does — read, flag, answer, delete, move — touches only the device's own
copies: POP3 has no command for flags or folders.
"""

from __future__ import annotations

from datetime import timedelta

from mailsec.i18n import texts
from mailsec.retrieval.model.device import _Client, _LocalMsg
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
from mailsec.retrieval.model.vocabulary import INBOX, Flag, PopSettings, format_size, shown
from mailsec.trace import Outcome

TEXT = texts(
    {
        "session": "{device} opens a POP3 session (USER/PASS) and lists the {count} message(s) in "
        "INBOX with UIDL. POP3 sees only INBOX: other folders do not exist for it.",
        "download_and_delete": "download and delete",
        "seen": "The server marks what was downloaded \\Seen (Dovecot does so unless "
        "pop3_no_flag_updates is set), but POP3 clients never read server flags: the device "
        "decides for itself what is read.",
        "known": "{label}: UIDL {uidl} is already known, so it is not downloaded again.",
        "no_room": "{label} ({size}) does not fit: {device} has only {free} free. It stays on the "
        "server.",
        "retr": "RETR {label}: downloaded to {device}, where it is unread.",
        "deleted_here": "deleted on this device",
        "days_ago": "downloaded over {days} days ago",
        "dele": "DELE {label} ({why}): marked for deletion in this session.",
        "quit_keep": "QUIT: nothing was marked for deletion, so the server keeps every message.",
        "quit": "QUIT: the session enters the UPDATE state and the server removes {labels}; "
        "{usage}.",
        "separator": ", ",
        "no_expunge": "{device} uses POP3: there are no server flags to expunge. Deleting on a "
        "POP3 device removes the local copy.",
        "not_here": "{label} is not on {device}: a POP3 client only has what it downloaded "
        "(check for mail first).",
        "read": "{device} shows {label} from its own copy and marks it read there only. POP3 has "
        "no command to tell the server (or other devices) it was read.",
        "read_offline": "{device} shows {label} from its own copy (no network needed: it is on "
        "the device) and marks it read there only. POP3 has no command to tell the server (or "
        "other devices) it was read.",
        "mark": "{device} marks {label} {flag} in its own copy; no other device will know (POP3 "
        "does not carry flags).",
        "delete_later": "{device} deletes its copy of {label} and will remove the server's copy "
        "at its next check (setting: remove when deleted here).",
        "delete": "{device} deletes its copy of {label}.",
        "delete_stays": "{device} deletes its copy of {label}. The server's copy stays: this "
        "client does not delete on the server.",
        "move": "{device} moves {label} from its local {old} to its local {folder}. The server's "
        "folders are untouched: POP3 knows no folders.",
    }
)
"""The POP3 client's sentences (see :mod:`mailsec.i18n`)."""


class _PopClient(_Client[PopSettings]):
    settings_type = PopSettings

    # -- a session: check for mail ----------------------------------------------------------------

    def check_mail(self) -> None:
        """One POP3 session, from USER/PASS to QUIT."""
        inbox = self.mailbox.folders[INBOX]
        self.trace.say(
            TEXT["session"].format(device=shown(self.device.name), count=len(inbox)),
            Outcome.INFO,
            "RFC 1939 §7",
        )
        self.device.did_not_fit.clear()
        to_delete: list[tuple[_ServerMsg, str]] = []
        downloaded = 0
        for msg in inbox:
            if msg.uidl in self.device.known_uidls:
                self._skip_known(msg)
            elif msg.size > self.device.free:
                self._leave_for_want_of_room(msg)
                continue
            else:
                self._download(msg)
                downloaded += 1
                if not self.settings.leave_copy:
                    to_delete.append((msg, TEXT["download_and_delete"]))
                    continue
            why = self._reason_to_remove(msg)
            if why is not None:
                to_delete.append((msg, why))
        if downloaded:
            self.trace.say(
                TEXT["seen"],
                Outcome.INFO,
                depth=1,
            )
        self._quit(to_delete)

    def _skip_known(self, msg: _ServerMsg) -> None:
        self.trace.say(
            TEXT["known"].format(label=msg.label, uidl=msg.uidl),
            Outcome.INFO,
            "RFC 1939 §7",
            depth=1,
        )

    def _leave_for_want_of_room(self, msg: _ServerMsg) -> None:
        self.trace.say(
            TEXT["no_room"].format(
                label=msg.label,
                size=format_size(msg.size),
                device=shown(self.device.name),
                free=format_size(max(0, self.device.free)),
            ),
            Outcome.WARN,
            depth=1,
            kind="device_full",
            label=msg.label,
        )
        self.device.did_not_fit.append(msg.view(INBOX))

    def _download(self, msg: _ServerMsg) -> None:
        """RETR: the device keeps a copy and remembers its UIDL; the server marks it seen."""
        self.device.local.append(
            _LocalMsg(msg.label, msg.subject, msg.size, INBOX, None, uidl=msg.uidl)
        )
        self.device.known_uidls[msg.uidl] = self.now
        msg.flags.add(Flag.SEEN)
        self.trace.say(
            TEXT["retr"].format(label=msg.label, device=shown(self.device.name)),
            Outcome.OK,
            "RFC 1939 §5 (RETR)",
            depth=1,
        )

    def _reason_to_remove(self, msg: _ServerMsg) -> str | None:
        """Why a copy left on the server is now to be removed from it, if it is (the settings)."""
        settings = self.settings
        if not settings.leave_copy:
            return None
        if settings.remove_when_deleted_locally and msg.uidl in self.device.deleted_uidls:
            return TEXT["deleted_here"]
        if settings.remove_after_days is not None and self.now - self.device.known_uidls[
            msg.uidl
        ] >= timedelta(days=settings.remove_after_days):
            return TEXT["days_ago"].format(days=settings.remove_after_days)
        return None

    def _quit(self, to_delete: list[tuple[_ServerMsg, str]]) -> None:
        """DELE each message to remove, then QUIT: the UPDATE state removes them (RFC 1939 §6)."""
        for msg, why in to_delete:
            self.trace.say(
                TEXT["dele"].format(label=msg.label, why=why),
                Outcome.INFO,
                "RFC 1939 §5 (DELE)",
                depth=1,
            )
        if not to_delete:
            self.trace.say(
                TEXT["quit_keep"],
                Outcome.INFO,
                "RFC 1939 §6",
            )
            return
        self.mailbox.remove(INBOX, (m for m, _ in to_delete))
        for m, _ in to_delete:
            self.device.deleted_uidls.discard(m.uidl)
        self.trace.say(
            TEXT["quit"].format(
                labels=TEXT["separator"].join(m.label for m, _ in to_delete),
                usage=self.mailbox.usage,
            ),
            Outcome.OK,
            "RFC 1939 §6",
        )

    # -- what the user does with the copies --------------------------------------------------------

    def act(self, event: Event) -> None:
        if isinstance(event, Expunge):
            self.trace.say(
                TEXT["no_expunge"].format(device=shown(self.device.name)),
                Outcome.INFO,
            )
            return
        label = getattr(event, "message", "")
        local = self.device.find(label)
        if local is None:
            self.trace.say(
                TEXT["not_here"].format(label=label, device=shown(self.device.name)),
                Outcome.WARN,
            )
        elif isinstance(event, ReadMessage):
            self._read(local)
        elif isinstance(event, FlagMessage | ReplyToMessage):
            self._mark(local, event.flag)
        elif isinstance(event, DeleteMessage):
            self._delete(local)
        elif isinstance(event, MoveMessage):
            self._move(local, event.folder)

    def _read(self, local: _LocalMsg) -> None:
        local.flags.add(Flag.SEEN)
        self.trace.say(
            TEXT["read" if self.device.online else "read_offline"].format(
                device=shown(self.device.name), label=local.label
            ),
            Outcome.OK,
            "RFC 1939 §5",
        )

    def _mark(self, local: _LocalMsg, flag: Flag) -> None:
        local.flags.add(flag)
        self.trace.say(
            TEXT["mark"].format(device=shown(self.device.name), label=local.label, flag=flag.value),
            Outcome.INFO,
            "RFC 1939 §5",
        )

    def _delete(self, local: _LocalMsg) -> None:
        """The copy goes; the server's copy goes too at the next check, if the settings say so."""
        device = self.device
        device.local.remove(local)
        on_server = self.mailbox.label_of_uidl(local.uidl or "") is not None
        if self.settings.remove_when_deleted_locally and local.uidl and on_server:
            device.deleted_uidls.add(local.uidl)
            self.trace.say(
                TEXT["delete_later"].format(device=shown(device.name), label=local.label),
                Outcome.INFO,
            )
        else:
            self.trace.say(
                TEXT["delete_stays" if on_server else "delete"].format(
                    device=shown(device.name), label=local.label
                ),
                Outcome.INFO,
            )

    def _move(self, local: _LocalMsg, folder: str) -> None:
        old, local.folder = local.folder, folder
        self.trace.say(
            TEXT["move"].format(
                device=shown(self.device.name),
                label=local.label,
                old=shown(old),
                folder=shown(folder),
            ),
            Outcome.INFO,
            "RFC 1939 §1",
        )
