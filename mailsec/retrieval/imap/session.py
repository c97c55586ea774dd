"""The IMAP session (RFC 3501 §3): states, command dispatch, literals and untagged updates.

An :class:`ImapSession` is fed the client's lines (bytes without CRLF) and literals, and returns
an :class:`ImapResult`: the responses to send, and whether a literal must be read first.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.retrieval.imap.fetch import FetchItem, parse_fetch_items, section
from mailsec.retrieval.imap.names import (
    ancestors,
    check_name,
    existing_folder,
    list_pattern,
    mailbox_name,
    new_mailbox_name,
)
from mailsec.retrieval.imap.search import SearchScope, search
from mailsec.retrieval.imap.structure import (
    Part,
    bodystructure,
    envelope,
    parse_part,
)
from mailsec.retrieval.imap.syntax import (
    LITERAL_AT_END,
    LITERAL_LOOSE,
    Atom,
    Bad,
    Literal,
    No,
    astring,
    compress,
    dot,
    internaldate,
    parse_date_time,
    parse_flag_list,
    parse_ranges,
    quote,
    tokenize,
)
from mailsec.retrieval.maildir import (
    QUOTA_ROOT,
    SYSTEM_FLAGS,
    ChangeKind,
    Folder,
    FolderChange,
    MailStore,
)
from mailsec.retrieval.sasl import PlainOutcome, check_plain, credentials_match

__all__ = [
    "CAPABILITIES",
    "MAX_BAD_COMMANDS",
    "MAX_COMMAND_LITERALS",
    "MAX_LINE",
    "MAX_LITERAL",
    "ImapResult",
    "ImapSession",
    "ImapState",
]

MAX_LINE = 65536
"""Longest command line read, in octets (Dovecot's imap_max_line_length)."""
MAX_LITERAL = 32 * 1024 * 1024
"""Largest literal accepted (a message to APPEND); larger ones get ``NO [TOOBIG]``."""
MAX_COMMAND_LITERALS = 65536
"""Octets of literals accepted in any command other than APPEND."""
MAX_BAD_COMMANDS = 20
"""BAD replies tolerated before the server says BYE (Dovecot's limit)."""

CAPABILITIES = (
    "IMAP4rev1 SASL-IR LITERAL+ IDLE NAMESPACE UNSELECT UIDPLUS MOVE QUOTA QUOTA=RES-STORAGE "
    "AUTH=PLAIN"
)
"""What this server can do (RFC 3501 §7.2.1, RFC 4959, RFC 7888, RFC 2177, RFC 4315, RFC 9208
§3.1, RFC 4616, RFC 2342, RFC 3691, RFC 6851)."""


class ImapState(enum.Enum):
    """The states of an IMAP session (RFC 3501 §3)."""

    NOT_AUTHENTICATED = "not authenticated"
    """Connected; the client must LOGIN."""
    AUTHENTICATED = "authenticated"
    """Logged in; the client must SELECT or EXAMINE a mailbox before working on messages."""
    SELECTED = "selected"
    """A mailbox is open: FETCH, STORE, SEARCH, COPY, EXPUNGE work on its messages."""
    LOGOUT = "logout"
    """The connection is closing."""


@dataclass(frozen=True)
class ImapResult:
    """What the shell must do after feeding a line or a literal."""

    responses: tuple[bytes, ...] = ()
    """Complete responses to send, each ending in CRLF (literals included)."""
    literal: int | None = None
    """Read exactly this many octets next and pass them to :meth:`ImapSession.feed_literal`."""
    continuation: bool = False
    """Send a ``+`` continuation request before reading the literal (synchronising literal)."""
    close: bool = False
    """Close the connection after sending the responses."""


# -- the session ---------------------------------------------------------------------------------


class ImapSession:
    """One IMAP conversation with one client over a :class:`MailStore`."""

    def __init__(self, store: MailStore, *, user: str, password: str) -> None:
        self.store = store
        self.user = user
        self.password = password
        self.state = ImapState.NOT_AUTHENTICATED
        self.bad_commands = 0
        self.internal_errors = 0
        self.folder: Folder | None = None
        self.readonly = False
        self.view: list[int] = []
        """The UIDs the client knows, in message-sequence order."""
        self.recent: set[int] = set()
        self._announced_recent = 0
        self._seen_removals = 0
        self._position_cache: dict[int, int] | None = None
        self._flag_news: set[int] = set()
        self.sasl_tag: str | None = None
        """The tag of an AUTHENTICATE waiting for the client's response line, or ``None``."""
        self.idling: str | None = None
        """The tag of the IDLE command in progress (RFC 2177), or ``None``."""
        self.on_news: Callable[[], None] | None = None
        """Called when another session changes the selected folder during IDLE (the shell sets
        it to wake itself up and push :meth:`idle_updates`)."""
        self._parts: list[bytes | Literal] = []
        self._literal_octets = 0
        self._literal_is_append = False

    # -- life cycle ----------------------------------------------------------------------------

    def greeting(self) -> bytes:
        return f"* OK [CAPABILITY {CAPABILITIES}] mailsec IMAP4rev1 server ready.\r\n".encode()

    def connection_lost(self) -> None:
        """The connection ended (LOGOUT or dropped): stop listening to the folder. Nothing is
        expunged: only EXPUNGE and CLOSE remove messages (RFC 3501 §6.4.2-6.4.3)."""
        self._unselect()
        self.state = ImapState.LOGOUT

    def _unselect(self) -> None:
        self.idling = None
        if self.folder is not None and self._on_change in self.folder.listeners:
            self.folder.listeners.remove(self._on_change)
        self.folder = None
        self.view = []
        self._position_cache = None
        self.recent = set()
        self._flag_news = set()

    def _on_change(self, change: FolderChange) -> None:
        if change.kind is ChangeKind.FLAGS and change.origin is not self:
            self._flag_news.add(change.uid)
        if self.idling is not None and change.origin is not self and self.on_news is not None:
            self.on_news()

    # -- IDLE (RFC 2177) -------------------------------------------------------------------------

    def idle_updates(self) -> ImapResult:
        """While idling: the untagged updates to push now (new mail, flags, expunges)."""
        if self.idling is None:
            return ImapResult()
        return ImapResult(tuple(self._updates(allow_expunge=True)))

    def _idle_line(self, line: bytes) -> ImapResult:
        tag, self.idling = self.idling or "*", None
        if line.upper() == b"DONE":
            return ImapResult(
                (*self._updates(allow_expunge=True), f"{tag} OK Idle completed.\r\n".encode())
            )
        return self._count_bad(ImapResult((f"{tag} BAD Expected DONE.\r\n".encode(),)))

    # -- input ----------------------------------------------------------------------------------

    def reset_input(self) -> None:
        """Forget a half-received command (after the shell could not complete it)."""
        self._parts = []
        self._literal_octets = 0

    def too_long(self) -> ImapResult:
        """The reply to a line longer than :data:`MAX_LINE` (the shell discarded its rest)."""
        self._parts = []
        self._literal_octets = 0
        return self._bad_untagged("Error in IMAP command: Line too long.")

    def _bad_untagged(self, text: str) -> ImapResult:
        self.bad_commands += 1
        out = [f"* BAD {text}\r\n".encode()]
        if self.bad_commands > MAX_BAD_COMMANDS:
            self.connection_lost()
            out.append(b"* BYE Too many invalid IMAP commands.\r\n")
            return ImapResult(tuple(out), close=True)
        return ImapResult(tuple(out))

    def feed(self, line: bytes) -> ImapResult:
        """One line from the client (without CRLF)."""
        if self.state is ImapState.LOGOUT:
            return ImapResult(close=True)
        if self.idling is not None:
            return self._idle_line(line)
        if self.sasl_tag is not None:
            tag, self.sasl_tag = self.sasl_tag, None
            return self._sasl_response(tag, line, initial=False)
        self._parts.append(line)
        marker = LITERAL_AT_END.search(line)
        if marker is None and LITERAL_LOOSE.search(line) is not None:
            return self._finish_bad(line, "Invalid literal size")
        if marker is not None:
            size, plus = int(marker.group(1)), marker.group(2) == b"+"
            first = self._parts[0]
            words = first.split(b" ", 3)
            is_append = len(words) > 1 and words[1].upper() == b"APPEND"
            limit = MAX_LITERAL if is_append else MAX_COMMAND_LITERALS - self._literal_octets
            if (
                is_append
                and size > 0
                and self.state is not ImapState.NOT_AUTHENTICATED
                and not self.store.fits(size)
            ):
                # Refuse before the client sends the message (as Dovecot does).
                return self._finish(
                    first, "NO", "[OVERQUOTA] Quota exceeded (mailbox for user is full)", close=plus
                )
            if size > limit:
                text = "[TOOBIG] Mail is too large" if is_append else "Literal too large"
                # A non-synchronising literal is on its way already: hang up rather than read it.
                return self._finish(first, "NO" if is_append else "BAD", text, close=plus)
            self._literal_octets += 0 if is_append else size
            return ImapResult(literal=size, continuation=not plus)
        parts, self._parts = self._parts, []
        self._literal_octets = 0
        return self._run(parts)

    def feed_literal(self, data: bytes) -> ImapResult:
        """The octets of the literal the last :class:`ImapResult` asked for."""
        self._parts.append(Literal(bytes(data)))
        return ImapResult()

    def _finish_bad(self, line: bytes, text: str) -> ImapResult:
        first = self._parts[0] if self._parts else line
        return self._finish(first, "BAD", text)

    def _finish(self, first: bytes, status: str, text: str, *, close: bool = False) -> ImapResult:
        self._parts = []
        self._literal_octets = 0
        tag = first.split(b" ", 1)[0].decode("ascii", "replace") or "*"
        name = first.split(b" ", 2)[1].decode("ascii", "replace").upper() if b" " in first else ""
        if status == "BAD":
            text = (
                f"Error in IMAP command {name}: {text}"
                if name
                else f"Error in IMAP command: {text}"
            )
            result = self._count_bad(ImapResult((f"{tag} BAD {dot(text)}\r\n".encode(),)))
        else:
            result = ImapResult((f"{tag} {status} {dot(text)}\r\n".encode(),))
        if close:
            self.connection_lost()
            return ImapResult(result.responses, close=True)
        return result

    def _count_bad(self, result: ImapResult) -> ImapResult:
        self.bad_commands += 1
        if self.bad_commands > MAX_BAD_COMMANDS:
            self.connection_lost()
            return ImapResult(
                (*result.responses, b"* BYE Too many invalid IMAP commands.\r\n"), close=True
            )
        return result

    # -- running a command ------------------------------------------------------------------------

    def _run(self, parts: list[bytes | Literal]) -> ImapResult:
        try:
            return self._run_command(parts)
        except Exception:
            # A fault inside the server: answer with the command's tag so the client goes on.
            # Nothing half-done is left behind: every change to the store is one rename, one
            # unlink or one new file.
            first = parts[0] if isinstance(parts[0], bytes) else b"*"
            tag = first.split(b" ", 1)[0].decode("ascii", "replace") or "*"
            self.internal_errors += 1
            return ImapResult(
                (
                    f"{tag} NO Internal error occurred. Refer to server log for more information.\r\n".encode(),
                )
            )

    def _run_command(self, parts: list[bytes | Literal]) -> ImapResult:
        first = parts[0]
        assert isinstance(first, bytes)
        tag_bytes, _, rest = first.partition(b" ")
        if (
            not tag_bytes
            or not tag_bytes.isascii()
            or any(c in b'(){%*"\\]+' or c < 0x21 for c in tag_bytes)
        ):
            return self._count_bad(
                ImapResult((b"* BAD Error in IMAP command received by server.\r\n",))
            )
        tag = tag_bytes.decode("ascii")
        name_bytes, _, args_bytes = rest.partition(b" ")
        name = name_bytes.decode("ascii", "replace").upper()
        if not name or not name.isalpha():
            return self._count_bad(
                ImapResult(
                    (f"{tag} BAD Error in IMAP command: Invalid command name.\r\n".encode(),)
                )
            )
        uid = False
        if name == "UID":
            sub, _, args_bytes = args_bytes.partition(b" ")
            name = sub.decode("ascii", "replace").upper()
            uid = True
            if name not in ("FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE"):
                return self._count_bad(
                    ImapResult(
                        (
                            f"{tag} BAD Error in IMAP command UID {name}: Unknown command.\r\n".encode(),
                        )
                    )
                )
        if name == "AUTHENTICATE" and not uid and self.state is ImapState.NOT_AUTHENTICATED:
            return self._authenticate(tag, args_bytes)
        handler = self._handler(name)
        if handler is None:
            if self.state is ImapState.NOT_AUTHENTICATED:
                return self._count_bad(
                    ImapResult(
                        (f"{tag} BAD Error in IMAP command received by server.\r\n".encode(),)
                    )
                )
            return self._count_bad(
                ImapResult(
                    (f"{tag} BAD Error in IMAP command {name}: Unknown command.\r\n".encode(),)
                )
            )
        states, fn = handler
        if self.state not in states:
            if self.state is ImapState.NOT_AUTHENTICATED:
                text = "Error in IMAP command received by server."
            elif ImapState.SELECTED in states:
                text = "No mailbox selected"
            else:
                text = f"Error in IMAP command {name}: Unknown command"
            return self._count_bad(ImapResult((f"{tag} BAD {dot(text)}\r\n".encode(),)))
        try:
            args = tokenize([args_bytes, *parts[1:]])
            out: list[bytes] = []
            text, close = fn(tag, args, out, uid)
        except Bad as exc:
            return self._count_bad(
                ImapResult(
                    (f"{tag} BAD Error in IMAP command {name}: {dot(str(exc))}\r\n".encode(),)
                )
            )
        except No as exc:
            updates = self._updates(allow_expunge=name not in ("FETCH", "STORE", "SEARCH") or uid)
            return ImapResult((*updates, f"{tag} NO {dot(str(exc))}\r\n".encode()))
        if close:
            return ImapResult((*out, f"{tag} OK {text}\r\n".encode()), close=True)
        if self.idling is not None:
            # RFC 2177 §3: a continuation, then updates as they happen, until the client's DONE.
            updates = self._updates(allow_expunge=True)
            return ImapResult((*out, *updates, b"+ idling\r\n"))
        updates = self._updates(allow_expunge=name not in ("FETCH", "STORE", "SEARCH") or uid)
        return ImapResult((*out, *updates, f"{tag} OK {text}\r\n".encode()))

    def _handler(
        self, name: str
    ) -> tuple[frozenset[ImapState], Callable[..., tuple[str, bool]]] | None:
        anyone = frozenset(
            {ImapState.NOT_AUTHENTICATED, ImapState.AUTHENTICATED, ImapState.SELECTED}
        )
        pre = frozenset({ImapState.NOT_AUTHENTICATED})
        auth = frozenset({ImapState.AUTHENTICATED, ImapState.SELECTED})
        sel = frozenset({ImapState.SELECTED})
        table: dict[str, tuple[frozenset[ImapState], Callable[..., tuple[str, bool]]]] = {
            "CAPABILITY": (anyone, self._capability),
            "NOOP": (anyone, self._noop),
            "IDLE": (auth, self._idle),
            "LOGOUT": (anyone, self._logout),
            "LOGIN": (pre, self._login),
            "SELECT": (auth, self._select),
            "EXAMINE": (auth, self._select),
            "CREATE": (auth, self._create),
            "DELETE": (auth, self._delete),
            "RENAME": (auth, self._rename),
            "LIST": (auth, self._list),
            "LSUB": (auth, self._list),
            "SUBSCRIBE": (auth, self._subscribe),
            "UNSUBSCRIBE": (auth, self._subscribe),
            "STATUS": (auth, self._status),
            "APPEND": (auth, self._append),
            "GETQUOTAROOT": (auth, self._getquotaroot),
            "GETQUOTA": (auth, self._getquota),
            "SETQUOTA": (auth, self._setquota),
            "NAMESPACE": (auth, self._namespace),
            "UNSELECT": (sel, self._unselect_command),
            "CHECK": (sel, self._noop),
            "CLOSE": (sel, self._close),
            "EXPUNGE": (sel, self._expunge),
            "SEARCH": (sel, self._search),
            "FETCH": (sel, self._fetch),
            "STORE": (sel, self._store),
            "COPY": (sel, self._copy),
            "MOVE": (sel, self._move),
        }
        entry = table.get(name)
        if entry is None:
            return None
        # Remember which command runs, for the SELECT/EXAMINE and LIST/LSUB pairs.
        self._command = name
        return entry

    # -- untagged updates (RFC 3501 §7.3.1, §7.4.1, §7.4.2) -----------------------------------------

    def _updates(self, *, allow_expunge: bool) -> list[bytes]:
        folder = self.folder
        if folder is None:
            return []
        out: list[bytes] = []
        if allow_expunge and folder.removals != self._seen_removals:
            # Highest number first, as Dovecot does: each number is then still right when the
            # client applies it (RFC 3501 §7.4.1).
            for index in range(len(self.view) - 1, -1, -1):
                if self.view[index] not in folder.messages:
                    out.append(f"* {index + 1} EXPUNGE\r\n".encode())
                    self.recent.discard(self.view.pop(index))
                    self._position_cache = None
            self._seen_removals = folder.removals
        last = self.view[-1] if self.view else 0
        new = []
        for uid in reversed(folder.messages):
            if uid <= last:
                break
            new.append(uid)
        if new:
            new.reverse()
            self.recent |= folder.claim_recent(keep=self.readonly) & set(new)
            self.view.extend(new)
            self._position_cache = None
            out.append(f"* {len(self.view)} EXISTS\r\n".encode())
        if new or len(self.recent) != self._announced_recent:
            out.append(f"* {len(self.recent)} RECENT\r\n".encode())
            self._announced_recent = len(self.recent)
        if self._flag_news:
            positions = self._positions()
            for uid in sorted(self._flag_news):
                msg = folder.messages.get(uid)
                if msg is not None and uid in positions:
                    out.append(
                        f"* {positions[uid]} FETCH (FLAGS ({self._flags(uid)}))\r\n".encode()
                    )
            self._flag_news = set()
        return out

    def _flags(self, uid: int) -> str:
        assert self.folder is not None
        msg = self.folder.messages.get(uid)
        flags = [f for f in SYSTEM_FLAGS if msg is not None and f in msg.flags]
        if uid in self.recent:
            flags.append("\\Recent")
        return " ".join(flags)

    # -- any state (RFC 3501 §6.1) ----------------------------------------------------------------

    def _capability(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if args:
            raise Bad("Invalid arguments")
        out.append(f"* CAPABILITY {CAPABILITIES}\r\n".encode())
        return "Capability completed.", False

    def _noop(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if self.folder is not None:
            self.folder.sync()
        return ("NOOP completed." if self._command == "NOOP" else "Check completed."), False

    def _idle(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if args:
            raise Bad("Invalid arguments")
        self.idling = tag
        return "", False

    def _logout(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        self.connection_lost()
        out.append(b"* BYE Logging out\r\n")
        return "Logout completed.", True

    # -- not authenticated (RFC 3501 §6.2) --------------------------------------------------------

    def _login(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if len(args) != 2:
            raise Bad("Invalid arguments")
        user, password = astring(args[0]), astring(args[1])
        if not credentials_match(user, password, user=self.user, password=self.password):
            raise No("[AUTHENTICATIONFAILED] Authentication failed.")
        self.state = ImapState.AUTHENTICATED
        return f"[CAPABILITY {CAPABILITIES}] Logged in", False

    def _authenticate(self, tag: str, args_bytes: bytes) -> ImapResult:
        """AUTHENTICATE PLAIN (RFC 3501 §6.2.2, RFC 4616), with an initial response (SASL-IR,
        RFC 4959) or on the next line after a ``+`` continuation request."""
        words = args_bytes.split()
        if not words or len(words) > 2:
            return self._count_bad(
                ImapResult(
                    (
                        f"{tag} BAD Error in IMAP command AUTHENTICATE: Invalid arguments.\r\n".encode(),
                    )
                )
            )
        if words[0].upper() != b"PLAIN":
            return ImapResult(
                (f"{tag} NO [ALERT] Unsupported authentication mechanism.\r\n".encode(),)
            )
        if len(words) == 1:
            self.sasl_tag = tag
            return ImapResult((b"+ \r\n",))
        return self._sasl_response(tag, words[1], initial=True)

    def _sasl_response(self, tag: str, line: bytes, *, initial: bool) -> ImapResult:
        outcome = check_plain(line, initial=initial, user=self.user, password=self.password)
        if outcome is PlainOutcome.ABORTED:
            return self._count_bad(
                ImapResult((f"{tag} BAD Authentication aborted by client.\r\n".encode(),))
            )
        if outcome is PlainOutcome.MALFORMED:
            return self._count_bad(
                ImapResult((f"{tag} BAD Invalid base64 data in initial response\r\n".encode(),))
            )
        if outcome is PlainOutcome.REFUSED:
            return ImapResult(
                (f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n".encode(),)
            )
        self.state = ImapState.AUTHENTICATED
        return ImapResult((f"{tag} OK [CAPABILITY {CAPABILITIES}] Logged in\r\n".encode(),))

    # -- authenticated (RFC 3501 §6.3) ------------------------------------------------------------

    def _select(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        examine = self._command == "EXAMINE"
        if len(args) != 1:
            raise Bad("Invalid arguments")
        name = mailbox_name(self.store, args[0])
        if self.folder is not None:
            # RFC 3501 §6.3.1: selecting another mailbox first closes the current one, without
            # expunging; RFC 7162 §3.2.11 adds the CLOSED response code that Dovecot sends.
            self._unselect()
            self.state = ImapState.AUTHENTICATED
            out.append(b"* OK [CLOSED] Previous mailbox closed.\r\n")
        folder = existing_folder(self.store, name)
        folder.sync()
        self.folder, self.readonly = folder, examine
        self.view = folder.uids
        self._position_cache = None
        self._seen_removals = folder.removals
        self.recent = folder.claim_recent(keep=examine)
        self._announced_recent = len(self.recent)
        folder.listeners.append(self._on_change)
        self.state = ImapState.SELECTED
        flags = " ".join(SYSTEM_FLAGS)
        out.append(f"* FLAGS ({flags})\r\n".encode())
        if examine:
            out.append(b"* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n")
        else:
            out.append(f"* OK [PERMANENTFLAGS ({flags})] Flags permitted.\r\n".encode())
        out.append(f"* {len(self.view)} EXISTS\r\n".encode())
        out.append(f"* {len(self.recent)} RECENT\r\n".encode())
        unseen = next(
            (i + 1 for i, u in enumerate(self.view) if "\\Seen" not in folder.messages[u].flags),
            None,
        )
        if unseen is not None:
            out.append(f"* OK [UNSEEN {unseen}] First unseen.\r\n".encode())
        out.append(f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid\r\n".encode())
        out.append(f"* OK [UIDNEXT {folder.uidnext}] Predicted next UID\r\n".encode())
        if examine:
            return "[READ-ONLY] Examine completed.", False
        return "[READ-WRITE] Select completed.", False

    def _create(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise Bad("Invalid arguments")
        name = new_mailbox_name(self.store, args[0])
        if self.store.exists(name):
            raise No("[ALREADYEXISTS] Mailbox already exists")
        check_name(name)
        self.store.create_folder(name)
        return "Create completed.", False

    def _namespace(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        # RFC 2342 §5: one personal namespace, no prefix, "." between levels (Maildir++).
        out.append(b'* NAMESPACE (("" ".")) NIL NIL\r\n')
        return "Namespace completed.", False

    def _unselect_command(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        # RFC 3691: like CLOSE, but nothing is expunged.
        self._unselect()
        self.state = ImapState.AUTHENTICATED
        return "Unselect completed.", False

    def _delete(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise Bad("Invalid arguments")
        name = mailbox_name(self.store, args[0])
        if name == "INBOX":
            raise No("INBOX can't be deleted.")
        if not self.store.exists(name):
            raise No(f"[NONEXISTENT] Mailbox doesn't exist: {name}")
        # RFC 3501 §6.3.4: the messages go with the folder (and stop counting for the quota).
        self.store.delete_folder(name)
        return "Delete completed.", False

    def _rename(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 2:
            raise Bad("Invalid arguments")
        old, new = mailbox_name(self.store, args[0]), new_mailbox_name(self.store, args[1])
        if old == "INBOX":
            # RFC 3501 §6.3.5 allows moving INBOX's mail away; Dovecot refuses, and so do we.
            raise No("[CANNOT] Renaming INBOX isn't supported.")
        if not self.store.exists(old) and not self.store.has_children(old):
            raise No(f"[NONEXISTENT] Mailbox doesn't exist: {old}")
        if self.store.exists(new) or self.store.has_children(new):
            raise No("[ALREADYEXISTS] Target mailbox already exists.")
        if new.startswith(old + "."):
            raise No("[CANNOT] Can't rename mailbox under itself.")
        check_name(new)
        self.store.rename_folder(old, new)
        return "Rename completed.", False

    def _list(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if len(args) != 2:
            raise Bad("Invalid arguments")
        reference, pattern = astring(args[0]), astring(args[1])
        word = self._command
        if pattern == "":
            if word == "LIST":
                out.append(b'* LIST (\\Noselect) "." ""\r\n')
            return f"{word.capitalize()} completed.", False
        full = reference + pattern
        regex = list_pattern(reference, pattern)
        if word == "LSUB":
            # RFC 3501 §6.3.9: only subscribed names; a parent that only has subscribed
            # children shows as \Noselect when '%' stops at it.
            subscribed = self.store.subscriptions()
            shown: dict[str, str] = {}
            for name in subscribed:
                if regex.match(name):
                    shown[name] = ""
                for parent in ancestors(name):
                    if parent not in subscribed and regex.match(parent) and "%" in full:
                        shown.setdefault(parent, "\\Noselect")
            for name in sorted(shown, key=lambda n: (n != "INBOX", n)):
                out.append(f'* LSUB ({shown[name]}) "." '.encode() + quote(name) + b"\r\n")
            return "Lsub completed.", False
        names = self.store.folder_names()
        every = set(names)
        for name in names:
            every.update(ancestors(name))
        for name in sorted(every, key=lambda n: (n != "INBOX", n)):
            if not regex.match(name):
                continue
            selectable = name in names
            children = any(other.startswith(name + ".") for other in every)
            attrs = [] if selectable else ["\\Noselect"]
            attrs.append("\\HasChildren" if children else "\\HasNoChildren")
            out.append(f'* {word} ({" ".join(attrs)}) "." '.encode() + quote(name) + b"\r\n")
        return f"{word.capitalize()} completed.", False

    def _subscribe(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise Bad("Invalid arguments")
        name = mailbox_name(self.store, args[0])
        check_name(name)
        if self._command == "SUBSCRIBE":
            self.store.subscribe(name)
        else:
            self.store.unsubscribe(name)
        return f"{self._command.capitalize()} completed.", False

    def _status(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 2 or not isinstance(args[1], list):
            raise Bad("Invalid arguments")
        name = mailbox_name(self.store, args[0])
        folder = existing_folder(self.store, name)
        folder.sync()
        values = []
        order = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN")
        # Answered in a fixed order, whatever order they were asked in (as Dovecot does).
        for item in sorted(
            args[1], key=lambda i: order.index(str(i).upper()) if str(i).upper() in order else -1
        ):
            word = str(item).upper()
            if word == "MESSAGES":
                value = len(folder.messages)
            elif word == "RECENT":
                value = len(folder.claim_recent(keep=True))
            elif word == "UIDNEXT":
                value = folder.uidnext
            elif word == "UIDVALIDITY":
                value = folder.uidvalidity
            elif word == "UNSEEN":
                value = sum(1 for m in folder.messages.values() if "\\Seen" not in m.flags)
            else:
                raise Bad(f"Invalid status item {item}")
            values.append(f"{word} {value}")
        out.append(b"* STATUS " + quote(name) + f" ({' '.join(values)})\r\n".encode())
        return "Status completed.", False

    def _append(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) < 2 or not isinstance(args[-1], bytes):
            raise Bad("Invalid arguments")
        name = mailbox_name(self.store, args[0])
        flags: frozenset[str] = frozenset()
        date: float | None = None
        for extra in args[1:-1]:
            if isinstance(extra, list):
                flags = parse_flag_list(extra)
            elif isinstance(extra, str) and not isinstance(extra, Atom):
                date = parse_date_time(extra)
            else:
                raise Bad("Invalid arguments")
        data = args[-1]
        assert isinstance(data, bytes)
        if not data:
            raise No("Can't save a zero byte message")
        folder = existing_folder(self.store, name, trycreate=True)
        if not self.store.fits(len(data)):
            raise No("[OVERQUOTA] Quota exceeded (mailbox for user is full)")
        new_uid = folder.add(data, flags=flags, internaldate=date, origin=self)
        return f"[APPENDUID {folder.uidvalidity} {new_uid}] Append completed.", False

    def _quota_line(self) -> bytes:
        used = math.ceil(self.store.used() / 1024)
        limit = math.ceil((self.store.quota or 0) / 1024)
        return f'* QUOTA "{QUOTA_ROOT}" (STORAGE {used} {limit})\r\n'.encode()

    def _getquotaroot(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise Bad("Invalid arguments")
        name = mailbox_name(self.store, args[0])
        if not self.store.exists(name):
            raise No(f"Mailbox doesn't exist: {name}")
        if self.store.quota is None:
            out.append(b"* QUOTAROOT " + quote(name) + b"\r\n")
        else:
            out.append(b"* QUOTAROOT " + quote(name) + f' "{QUOTA_ROOT}"\r\n'.encode())
            out.append(self._quota_line())
        return "Getquotaroot completed.", False

    def _getquota(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise Bad("Invalid arguments")
        if self.store.quota is None or astring(args[0]) != QUOTA_ROOT:
            raise No("Quota root doesn't exist")
        out.append(self._quota_line())
        return "Getquota completed.", False

    def _setquota(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        # RFC 9208 §4.1.3 lets a server refuse; the quota is the administrator's setting.
        raise No("Quota can be changed only by admin")

    # -- selected (RFC 3501 §6.4) ---------------------------------------------------------------------

    def _close(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if not self.readonly:
            # RFC 3501 §6.4.2: CLOSE expunges silently (no untagged EXPUNGE to this client).
            folder.expunge(
                (
                    u
                    for u in self.view
                    if "\\Deleted" in getattr(folder.messages.get(u), "flags", ())
                ),
                origin=self,
            )
        self._unselect()
        self.state = ImapState.AUTHENTICATED
        return "Close completed.", False

    def _expunge(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if self.readonly:
            raise No("Mailbox is read-only")
        allowed: set[int] | None = None
        if uid:
            if len(args) != 1 or not isinstance(args[0], Atom):
                raise Bad("Invalid arguments")
            allowed = set(self._uid_set(str(args[0])))
        elif args:
            raise Bad("Invalid arguments")
        doomed = [
            u
            for u in self.view
            if u in folder.messages
            and "\\Deleted" in folder.messages[u].flags
            and (allowed is None or u in allowed)
        ]
        folder.expunge(doomed, origin=self)
        # The EXPUNGE responses come from _updates(), in ascending order with renumbering.
        return "Expunge completed.", False

    def _seq_set(self, text: str) -> list[int]:
        # Bounds first, so "1:4000000000" costs nothing (a message number beyond the mailbox is
        # BAD, as in Dovecot).
        ranges = parse_ranges(text, len(self.view))
        if ranges is None or any(low < 1 or high > len(self.view) for low, high in ranges):
            raise Bad("Invalid messageset")
        numbers: set[int] = set()
        for low, high in ranges:
            numbers.update(range(low, high + 1))
        return sorted(numbers)

    def _positions(self) -> dict[int, int]:
        """UID -> message sequence number for the view (cached until the view changes)."""
        if self._position_cache is None:
            self._position_cache = {u: i + 1 for i, u in enumerate(self.view)}
        return self._position_cache

    def _uid_set(self, text: str) -> list[int]:
        """The UIDs of the view named by a UID set, ascending; unknown UIDs are skipped
        (RFC 3501 §6.4.8)."""
        largest = self.view[-1] if self.view else 0
        ranges = parse_ranges(text, largest)
        if ranges is None:
            raise Bad("Invalid UID messageset")
        positions = self._positions()
        found: set[int] = set()
        for low, high in ranges:
            if high - low < len(self.view):
                found.update(u for u in range(low, high + 1) if u in positions)
            else:
                found.update(u for u in self.view if low <= u <= high)
        return sorted(found)

    def _targets(self, token: object, uid: bool) -> list[tuple[int, int]]:
        """(sequence number, UID) pairs named by a sequence set or UID set."""
        if not isinstance(token, Atom):
            raise Bad("Invalid messageset")
        if uid:
            positions = self._positions()
            return [(positions[u], u) for u in self._uid_set(str(token))]
        return [(n, self.view[n - 1]) for n in self._seq_set(str(token))]

    def _fetch(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if len(args) != 2:
            raise Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        items = parse_fetch_items(args[1])
        if uid and not any(i.name == "UID" for i in items):
            items.insert(0, FetchItem("UID"))
        missing = False
        for number, msg_uid in targets:
            msg = folder.messages.get(msg_uid)
            if msg is None:
                missing = True
                continue
            parts: list[bytes] = []
            data: bytes | None = None
            structure: Part | None = None
            set_seen = False
            for item in items:
                if item.name == "FLAGS":
                    parts.append(f"FLAGS ({self._flags(msg_uid)})".encode())
                elif item.name == "UID":
                    parts.append(f"UID {msg_uid}".encode())
                elif item.name == "RFC822.SIZE":
                    parts.append(f"RFC822.SIZE {msg.size}".encode())
                elif item.name == "INTERNALDATE":
                    parts.append(f'INTERNALDATE "{internaldate(msg.internaldate)}"'.encode())
                else:
                    if data is None:
                        try:
                            data = folder.read(msg_uid)
                        except KeyError:
                            missing = True
                            break
                    if item.name != "SECTION":
                        if structure is None:
                            structure = parse_part(data)
                        if item.name == "ENVELOPE":
                            parts.append(b"ENVELOPE " + envelope(structure))
                        else:
                            extended = item.name == "BODYSTRUCTURE"
                            parts.append(
                                item.name.encode()
                                + b" "
                                + bodystructure(structure, extended=extended)
                            )
                        continue
                    body = section(data, item)
                    parts.append(f"{item.label} {{{len(body)}}}\r\n".encode() + body)
                    set_seen = set_seen or not item.peek
            else:
                if set_seen and not self.readonly and "\\Seen" not in msg.flags:
                    # RFC 3501 §6.4.5: BODY[...] sets \Seen; the new flags are reported.
                    folder.set_flags(msg_uid, msg.flags | {"\\Seen"}, origin=self)
                    if not any(i.name == "FLAGS" for i in items):
                        parts.insert(1 if uid else 0, f"FLAGS ({self._flags(msg_uid)})".encode())
                out.append(f"* {number} FETCH (".encode() + b" ".join(parts) + b")\r\n")
        if missing:
            raise No("Some of the requested messages no longer exist.")
        return "Fetch completed.", False

    def _store(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if len(args) < 3 or not isinstance(args[1], Atom):
            raise Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        mode = args[1].upper()
        silent = mode.endswith(".SILENT")
        base = mode.removesuffix(".SILENT")
        if base not in ("FLAGS", "+FLAGS", "-FLAGS"):
            raise Bad(f"Invalid arguments: {args[1]}")
        flag_tokens = args[2] if len(args) == 3 and isinstance(args[2], list) else args[2:]
        flags = parse_flag_list(flag_tokens)
        if self.readonly:
            return "Store ignored with read-only mailbox.", False
        missing = False
        for number, msg_uid in targets:
            msg = folder.messages.get(msg_uid)
            if msg is None:
                missing = True
                continue
            if base == "FLAGS":
                new = flags
            elif base == "+FLAGS":
                new = msg.flags | flags
            else:
                new = msg.flags - flags
            try:
                folder.set_flags(msg_uid, new, origin=self)
            except KeyError:
                missing = True
                continue
            self._flag_news.discard(msg_uid)
            if not silent:
                uid_part = f"UID {msg_uid} " if uid else ""
                out.append(
                    f"* {number} FETCH ({uid_part}FLAGS ({self._flags(msg_uid)}))\r\n".encode()
                )
        if missing:
            raise No("Some of the requested messages no longer exist.")
        return "Store completed.", False

    def _move(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        """MOVE (RFC 6851): copy, then expunge the originals; the new UIDs in an untagged OK."""
        folder = self.folder
        assert folder is not None
        if len(args) != 2:
            raise Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        name = mailbox_name(self.store, args[1])
        destination = existing_folder(self.store, name, trycreate=True)
        if self.readonly:
            # EXAMINE promises no change to the mailbox (RFC 3501 §6.3.2); Dovecot moves anyway.
            raise No("Mailbox is read-only.")
        present = [u for _n, u in targets if u in folder.messages]
        if len(present) != len(targets):
            raise No("Some of the requested messages no longer exist.")
        if not present:
            return "No messages found.", False
        new_uids = []
        for msg_uid in present:
            msg = folder.messages[msg_uid]
            data = folder.read(msg_uid)
            new_uids.append(
                destination.add(data, flags=msg.flags, internaldate=msg.internaldate, origin=self)
            )
        # Only now are the originals removed: a failure above leaves them where they were.
        folder.expunge(present, origin=self)
        out.append(
            f"* OK [COPYUID {destination.uidvalidity} {compress(present)} {compress(new_uids)}] "
            "Moved UIDs.\r\n".encode()
        )
        return "Move completed.", False

    def _copy(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if len(args) != 2:
            raise Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        name = mailbox_name(self.store, args[1])
        destination = existing_folder(self.store, name, trycreate=True)
        present = [(n, u) for n, u in targets if u in folder.messages]
        if len(present) != len(targets):
            raise No("Some of the requested messages no longer exist.")
        size = sum(folder.messages[u].size for _n, u in present)
        if not self.store.fits(size):
            raise No("[OVERQUOTA] Quota exceeded (mailbox for user is full)")
        source_uids, new_uids = [], []
        for _number, msg_uid in present:
            msg = folder.messages[msg_uid]
            data = folder.read(msg_uid)
            new_uids.append(
                destination.add(data, flags=msg.flags, internaldate=msg.internaldate, origin=self)
            )
            source_uids.append(msg_uid)
        if not present:
            return "No messages found.", False
        src, dst = compress(source_uids), compress(new_uids)
        return f"[COPYUID {destination.uidvalidity} {src} {dst}] Copy completed.", False

    # -- SEARCH (RFC 3501 §6.4.4) -----------------------------------------------------------------

    def _search(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        assert self.folder is not None
        scope = SearchScope(self.folder, self.view, self.recent, self._uid_set)
        found = search(scope, args)
        if not uid:
            positions = self._positions()
            found = [positions[u] for u in found]
        out.append(("* SEARCH" + "".join(f" {n}" for n in found) + "\r\n").encode())
        return "Search completed.", False
