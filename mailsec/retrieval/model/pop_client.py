"""The POP3 client of a device (RFC 1939): a session that downloads, and the user's own copies.

A check for mail is one session: USER/PASS, UIDL to list INBOX, RETR what is new and fits, DELE
what the settings say to remove, and QUIT, whose UPDATE state removes it (RFC 1939 §6). The
settings are the ones real clients offer (:class:`~mailsec.retrieval.model.vocabulary.PopSettings`).
Whatever the user then does — read, flag, answer, delete, move — touches only the device's own
copies: POP3 has no command for flags or folders.
"""

from __future__ import annotations

from datetime import timedelta

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
from mailsec.retrieval.model.vocabulary import INBOX, Flag, PopSettings, format_size
from mailsec.trace import Outcome


class _PopClient(_Client[PopSettings]):
    settings_type = PopSettings

    # -- a session: check for mail ----------------------------------------------------------------

    def check_mail(self) -> None:
        """One POP3 session, from USER/PASS to QUIT."""
        inbox = self.mailbox.folders[INBOX]
        self.trace.say(
            f"{self.device.name} opens a POP3 session (USER/PASS) and lists the {len(inbox)} "
            "message(s) in INBOX with UIDL. POP3 sees only INBOX: other folders do not exist "
            "for it.",
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
                    to_delete.append((msg, "download and delete"))
                    continue
            why = self._reason_to_remove(msg)
            if why is not None:
                to_delete.append((msg, why))
        if downloaded:
            self.trace.say(
                "The server marks what was downloaded \\Seen (Dovecot does so unless "
                "pop3_no_flag_updates is set), but POP3 clients never read server flags: the "
                "device decides for itself what is read.",
                Outcome.INFO,
                depth=1,
            )
        self._quit(to_delete)

    def _skip_known(self, msg: _ServerMsg) -> None:
        self.trace.say(
            f"{msg.label}: UIDL {msg.uidl} is already known, so it is not downloaded again.",
            Outcome.INFO,
            "RFC 1939 §7",
            depth=1,
        )

    def _leave_for_want_of_room(self, msg: _ServerMsg) -> None:
        self.trace.say(
            f"{msg.label} ({format_size(msg.size)}) does not fit: {self.device.name} has only "
            f"{format_size(max(0, self.device.free))} free. It stays on the server.",
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
            f"RETR {msg.label}: downloaded to {self.device.name}, where it is unread.",
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
            return "deleted on this device"
        if settings.remove_after_days is not None and self.now - self.device.known_uidls[
            msg.uidl
        ] >= timedelta(days=settings.remove_after_days):
            return f"downloaded over {settings.remove_after_days} days ago"
        return None

    def _quit(self, to_delete: list[tuple[_ServerMsg, str]]) -> None:
        """DELE each message to remove, then QUIT: the UPDATE state removes them (RFC 1939 §6)."""
        for msg, why in to_delete:
            self.trace.say(
                f"DELE {msg.label} ({why}): marked for deletion in this session.",
                Outcome.INFO,
                "RFC 1939 §5 (DELE)",
                depth=1,
            )
        if not to_delete:
            self.trace.say(
                "QUIT: nothing was marked for deletion, so the server keeps every message.",
                Outcome.INFO,
                "RFC 1939 §6",
            )
            return
        self.mailbox.remove(INBOX, (m for m, _ in to_delete))
        for m, _ in to_delete:
            self.device.deleted_uidls.discard(m.uidl)
        self.trace.say(
            f"QUIT: the session enters the UPDATE state and the server removes "
            f"{', '.join(m.label for m, _ in to_delete)}; {self.mailbox.usage}.",
            Outcome.OK,
            "RFC 1939 §6",
        )

    # -- what the user does with the copies --------------------------------------------------------

    def act(self, event: Event) -> None:
        if isinstance(event, Expunge):
            self.trace.say(
                f"{self.device.name} uses POP3: there are no server flags to expunge. Deleting "
                "on a POP3 device removes the local copy.",
                Outcome.INFO,
            )
            return
        label = getattr(event, "message", "")
        local = self.device.find(label)
        if local is None:
            self.trace.say(
                f"{label} is not on {self.device.name}: a POP3 client only has what it "
                "downloaded (check for mail first).",
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
        where = " (no network needed: it is on the device)" if not self.device.online else ""
        local.flags.add(Flag.SEEN)
        self.trace.say(
            f"{self.device.name} shows {local.label} from its own copy{where} and marks it read "
            "there only. POP3 has no command to tell the server (or other devices) it was read.",
            Outcome.OK,
            "RFC 1939 §5",
        )

    def _mark(self, local: _LocalMsg, flag: Flag) -> None:
        local.flags.add(flag)
        self.trace.say(
            f"{self.device.name} marks {local.label} {flag.value} in its own copy; no other "
            "device will know (POP3 does not carry flags).",
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
                f"{device.name} deletes its copy of {local.label} and will remove the server's "
                "copy at its next check (setting: remove when deleted here).",
                Outcome.INFO,
            )
        else:
            self.trace.say(
                f"{device.name} deletes its copy of {local.label}."
                + (
                    " The server's copy stays: this client does not delete on the server."
                    if on_server
                    else ""
                ),
                Outcome.INFO,
            )

    def _move(self, local: _LocalMsg, folder: str) -> None:
        old, local.folder = local.folder, folder
        self.trace.say(
            f"{self.device.name} moves {local.label} from its local {old} to its local {folder}. "
            "The server's folders are untouched: POP3 knows no folders.",
            Outcome.INFO,
            "RFC 1939 §1",
        )
