"""The IMAP session (RFC 3501 §3): dispatching commands, changes of state, untagged updates.

An :class:`ImapSession` is fed the client's lines (bytes without CRLF) and literals, and returns
an :class:`ImapResult`: the responses to send, and whether a literal must be read first.

Lines and literals become complete commands in :class:`~mailsec.retrieval.imap.framing.CommandReader`,
which this session extends. A complete command goes through three steps: its first line gives the tag and the name
(:meth:`ImapSession._command_head`); :data:`COMMANDS` says which handler runs it and in which
states it is allowed (:meth:`ImapSession._refusal`); the handler gets the tokenised arguments as a
:class:`Command` and returns the text of the tagged OK (:meth:`ImapSession._execute`). Every change
of state happens here, in methods the handlers call (:meth:`~ImapSession.logged_in`,
:meth:`~ImapSession.enter_folder`, :meth:`~ImapSession.leave_folder`,
:meth:`~ImapSession.connection_lost`). AUTHENTICATE and IDLE, which read a further line of their
own, are answered here too, and so is STARTTLS (RFC 3501 §6.2.1), whose handshake the shell runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mailsec.limits import MAX_AUTH_FAILURES
from mailsec.retrieval.imap import auth, mailboxes, messages
from mailsec.retrieval.imap.auth import CAPABILITIES, TLS_TEXTS, capabilities_before_login
from mailsec.retrieval.imap.framing import (
    MAX_BAD_COMMANDS,
    MAX_COMMAND_LITERALS,
    MAX_LINE,
    MAX_LITERAL,
    MAX_LITERALS_BEFORE_LOGIN,
    CommandReader,
    ImapResult,
    ImapState,
)
from mailsec.retrieval.imap.syntax import (
    Atom,
    Bad,
    Literal,
    No,
    dot,
    numbers_in,
    parse_ranges,
    tokenize,
)
from mailsec.retrieval.maildir import SYSTEM_FLAGS, ChangeKind, Folder, FolderChange, MailStore
from mailsec.retrieval.sasl import ConnectionSecurity, PlainOutcome, check_plain

__all__ = [
    "CAPABILITIES",
    "COMMANDS",
    "MAX_BAD_COMMANDS",
    "MAX_COMMAND_LITERALS",
    "MAX_LINE",
    "MAX_LITERAL",
    "MAX_LITERALS_BEFORE_LOGIN",
    "Command",
    "ImapResult",
    "ImapSession",
    "ImapState",
]


@dataclass
class Command:
    """One command as its handler sees it."""

    tag: str
    name: str
    """The name in upper case, without ``UID`` (SELECT and EXAMINE, LIST and LSUB, SUBSCRIBE and
    UNSUBSCRIBE, NOOP and CHECK share a handler that tells them apart by it)."""
    args: list[object]
    """The arguments as tokens: atoms, strings, literal octets and lists."""
    uid: bool = False
    """Sent as ``UID FETCH``, ``UID STORE``, ...: message sets are UIDs (RFC 3501 §6.4.8)."""
    out: list[bytes] = field(default_factory=list)
    """Untagged responses to send before the tagged OK."""

    def expect(self, count: int) -> list[object]:
        """The arguments, when there are exactly ``count`` of them; BAD otherwise."""
        if len(self.args) != count:
            raise Bad("Invalid arguments")
        return self.args


Handler = Callable[["ImapSession", Command], str]
"""Carries out a command: appends untagged responses to ``command.out`` and returns the text of
the tagged OK, or raises :class:`~mailsec.retrieval.imap.syntax.Bad` or
:class:`~mailsec.retrieval.imap.syntax.No`."""

_ANY = frozenset({ImapState.NOT_AUTHENTICATED, ImapState.AUTHENTICATED, ImapState.SELECTED})
_NOT_AUTHENTICATED = frozenset({ImapState.NOT_AUTHENTICATED})
_AUTHENTICATED = frozenset({ImapState.AUTHENTICATED, ImapState.SELECTED})
_SELECTED = frozenset({ImapState.SELECTED})

COMMANDS: dict[str, tuple[frozenset[ImapState], Handler]] = {
    # Any state (RFC 3501 §6.1) and not authenticated (§6.2; AUTHENTICATE is answered below).
    "CAPABILITY": (_ANY, auth.capability),
    "NOOP": (_ANY, auth.noop),
    "LOGOUT": (_ANY, auth.logout),
    "LOGIN": (_NOT_AUTHENTICATED, auth.login),
    # Authenticated (§6.3), RFC 2177, RFC 2342 and RFC 9208.
    "IDLE": (_AUTHENTICATED, auth.idle),
    "SELECT": (_AUTHENTICATED, mailboxes.select),
    "EXAMINE": (_AUTHENTICATED, mailboxes.select),
    "CREATE": (_AUTHENTICATED, mailboxes.create),
    "DELETE": (_AUTHENTICATED, mailboxes.delete),
    "RENAME": (_AUTHENTICATED, mailboxes.rename),
    "LIST": (_AUTHENTICATED, mailboxes.list_mailboxes),
    "LSUB": (_AUTHENTICATED, mailboxes.list_mailboxes),
    "SUBSCRIBE": (_AUTHENTICATED, mailboxes.subscribe),
    "UNSUBSCRIBE": (_AUTHENTICATED, mailboxes.subscribe),
    "STATUS": (_AUTHENTICATED, mailboxes.status),
    "APPEND": (_AUTHENTICATED, mailboxes.append),
    "GETQUOTAROOT": (_AUTHENTICATED, mailboxes.getquotaroot),
    "GETQUOTA": (_AUTHENTICATED, mailboxes.getquota),
    "SETQUOTA": (_AUTHENTICATED, mailboxes.setquota),
    "NAMESPACE": (_AUTHENTICATED, mailboxes.namespace),
    # Selected (§6.4), RFC 3691 and RFC 6851.
    "UNSELECT": (_SELECTED, messages.unselect),
    "CHECK": (_SELECTED, auth.noop),
    "CLOSE": (_SELECTED, messages.close),
    "EXPUNGE": (_SELECTED, messages.expunge),
    "SEARCH": (_SELECTED, messages.search),
    "FETCH": (_SELECTED, messages.fetch),
    "STORE": (_SELECTED, messages.store),
    "COPY": (_SELECTED, messages.copy),
    "MOVE": (_SELECTED, messages.move),
}
"""Each command's handler and the states it is allowed in."""

_UID_COMMANDS = ("FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE")
"""The commands that may follow ``UID`` (RFC 3501 §6.4.8, RFC 4315, RFC 6851)."""
_NUMBERS_HELD = ("FETCH", "STORE", "SEARCH")
"""Commands whose replies must not carry ``* n EXPUNGE`` (RFC 3501 §7.4.1), unless sent as UID."""
_SASL_BAD = {
    PlainOutcome.ABORTED: "Authentication aborted by client.",
    PlainOutcome.MALFORMED: "Invalid base64 data in initial response",
}
"""The BAD text for an AUTHENTICATE PLAIN response that is no answer (Dovecot's texts)."""


def _valid_tag(tag: bytes) -> bool:
    """A tag: ASCII atom characters other than ``+`` (RFC 3501 §9 also allows ``]``, which this
    server refuses)."""
    return bool(tag) and tag.isascii() and not any(c in b'(){%*"\\]+' or c < 0x21 for c in tag)


class ImapSession(CommandReader):
    """One IMAP conversation with one client over a :class:`MailStore`.

    ``security`` says whether TLS is offered, required and active (by default: no TLS); the
    shell calls :meth:`tls_started` after a successful handshake.
    """

    def __init__(
        self,
        store: MailStore,
        *,
        user: str,
        password: str,
        security: ConnectionSecurity | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.user = user
        self.password = password
        self.security = security or ConnectionSecurity()
        self.state = ImapState.NOT_AUTHENTICATED
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
        self.auth_failures = 0
        """Wrong passwords on this connection (the shell reads it to slow its answers down)."""

    # -- life cycle and changes of state ---------------------------------------------------------

    def greeting(self) -> bytes:
        return (
            f"* OK [CAPABILITY {self.capabilities()}] mailsec IMAP4rev1 server ready.\r\n".encode()
        )

    def capabilities(self) -> str:
        """What CAPABILITY lists now: before login it depends on TLS (STARTTLS, LOGINDISABLED)."""
        if self.state is ImapState.NOT_AUTHENTICATED:
            return capabilities_before_login(self.security)
        return CAPABILITIES

    def tls_started(self) -> None:
        """The TLS handshake succeeded; the client asks for the capabilities again (RFC 3501
        §6.2.1), which no longer offer STARTTLS and allow a login."""
        self.security.active = True

    def connection_lost(self) -> None:
        """The connection ended (LOGOUT or dropped): stop listening to the folder. Nothing is
        expunged: only EXPUNGE and CLOSE remove messages (RFC 3501 §6.4.2-6.4.3)."""
        self._unselect()
        self.state = ImapState.LOGOUT

    def logged_in(self) -> None:
        """LOGIN or AUTHENTICATE succeeded."""
        self.state = ImapState.AUTHENTICATED

    def enter_folder(self, folder: Folder, *, readonly: bool) -> None:
        """SELECT (or EXAMINE, ``readonly``): the folder's messages become the view, its new
        messages this session's \\Recent ones, and its changes are heard from now on."""
        self.folder, self.readonly = folder, readonly
        self.view = folder.uids
        self._position_cache = None
        self._seen_removals = folder.removals
        self.recent = folder.claim_recent(keep=readonly)
        self._announced_recent = len(self.recent)
        folder.listeners.append(self._on_change)
        self.state = ImapState.SELECTED

    def leave_folder(self) -> None:
        """CLOSE, UNSELECT, or SELECT of another mailbox: back to the authenticated state."""
        self._unselect()
        self.state = ImapState.AUTHENTICATED

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

    # -- input: lines and literals ----------------------------------------------------------------

    def feed(self, line: bytes) -> ImapResult:
        """One line from the client (without CRLF)."""
        if self.state is ImapState.LOGOUT:
            return ImapResult(close=True)
        if self.idling is not None:
            return self._idle_line(line)
        if self.sasl_tag is not None:
            tag, self.sasl_tag = self.sasl_tag, None
            return self._sasl_response(tag, line, initial=False)
        return self._collect(line)

    def _after_failure(self, result: ImapResult) -> ImapResult:
        """After :data:`~mailsec.limits.MAX_AUTH_FAILURES` wrong passwords the connection
        closes (the shell has slowed each answer down already)."""
        if self.auth_failures < MAX_AUTH_FAILURES:
            return result
        self.connection_lost()
        bye = b"* BYE Disconnected for too many authentication failures.\r\n"
        return ImapResult((*result.responses, bye), close=True)

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
        head = self._command_head(first)
        if isinstance(head, ImapResult):
            return head
        tag, name, uid, args_bytes = head
        if name == "AUTHENTICATE" and not uid and self.state is ImapState.NOT_AUTHENTICATED:
            return self._authenticate(tag, args_bytes)
        if (
            name == "STARTTLS"
            and self.security.offered
            and self.state is ImapState.NOT_AUTHENTICATED
        ):
            return self._starttls(tag)
        refusal = self._refusal(tag, name)
        if refusal is not None:
            return refusal
        return self._execute(tag, name, uid, [args_bytes, *parts[1:]])

    def _command_head(self, first: bytes) -> tuple[str, str, bool, bytes] | ImapResult:
        """The tag, the name (the one after ``UID`` with ``uid`` true) and the rest of a
        command's first line; or the BAD for a line that is no command."""
        tag_bytes, _, rest = first.partition(b" ")
        if not _valid_tag(tag_bytes):
            return self._bad("*", "Error in IMAP command received by server.")
        tag = tag_bytes.decode("ascii")
        name_bytes, _, args_bytes = rest.partition(b" ")
        name = name_bytes.decode("ascii", "replace").upper()
        if not name or not name.isalpha():
            return self._bad(tag, "Error in IMAP command: Invalid command name.")
        if name != "UID":
            return tag, name, False, args_bytes
        sub, _, args_bytes = args_bytes.partition(b" ")
        name = sub.decode("ascii", "replace").upper()
        if name not in _UID_COMMANDS:
            return self._bad(tag, f"Error in IMAP command UID {name}: Unknown command.")
        return tag, name, True, args_bytes

    def _refusal(self, tag: str, name: str) -> ImapResult | None:
        """The BAD for a command this server does not know or does not allow in this state.
        Before login, Dovecot does not say which: a stranger learns nothing about commands."""
        entry = COMMANDS.get(name)
        if self.state is ImapState.NOT_AUTHENTICATED:
            if entry is None or self.state not in entry[0]:
                return self._bad(tag, "Error in IMAP command received by server.")
            return None
        if entry is None:
            return self._bad(tag, f"Error in IMAP command {name}: Unknown command.")
        states = entry[0]
        if self.state in states:
            return None
        if ImapState.SELECTED in states:
            return self._bad(tag, "No mailbox selected.")
        return self._bad(tag, f"Error in IMAP command {name}: Unknown command.")

    def _execute(self, tag: str, name: str, uid: bool, pieces: list[bytes | Literal]) -> ImapResult:
        """Tokenise the arguments, run the handler, and add the updates due and the tagged
        reply (or ``+ idling`` when the command was IDLE)."""
        handler = COMMANDS[name][1]
        may_expunge = name not in _NUMBERS_HELD or uid
        command: Command | None = None
        try:
            command = Command(tag, name, tokenize(pieces), uid)
            text = handler(self, command)
        except Bad as exc:
            return self._bad(tag, f"Error in IMAP command {name}: {dot(str(exc))}")
        except No as exc:
            # What the command said before it failed still goes out (a failed SELECT's CLOSED).
            said = command.out if command is not None else []
            updates = self._updates(allow_expunge=may_expunge)
            result = ImapResult((*said, *updates, f"{tag} NO {dot(str(exc))}\r\n".encode()))
            return self._after_failure(result) if name == "LOGIN" else result
        if self.state is ImapState.LOGOUT:
            return ImapResult((*command.out, f"{tag} OK {text}\r\n".encode()), close=True)
        if self.idling is not None:
            # RFC 2177 §3: a continuation, then updates as they happen, until the client's DONE.
            updates = self._updates(allow_expunge=True)
            return ImapResult((*command.out, *updates, b"+ idling\r\n"))
        updates = self._updates(allow_expunge=may_expunge)
        return ImapResult((*command.out, *updates, f"{tag} OK {text}\r\n".encode()))

    # -- commands that read a line of their own: AUTHENTICATE (RFC 3501 §6.2.2), IDLE (RFC 2177) -

    def _authenticate(self, tag: str, args_bytes: bytes) -> ImapResult:
        """AUTHENTICATE PLAIN (RFC 4616), with an initial response (SASL-IR, RFC 4959) or on the
        next line after a ``+`` continuation request."""
        words = args_bytes.split()
        if not words or len(words) > 2:
            return self._bad(tag, "Error in IMAP command AUTHENTICATE: Invalid arguments.")
        if not self.security.login_allowed:
            return ImapResult((f"{tag} NO {TLS_TEXTS['authenticate_refused']}\r\n".encode(),))
        if words[0].upper() != b"PLAIN":
            return ImapResult(
                (f"{tag} NO [ALERT] Unsupported authentication mechanism.\r\n".encode(),)
            )
        if len(words) == 1:
            self.sasl_tag = tag
            return ImapResult((b"+ \r\n",))
        return self._sasl_response(tag, words[1], initial=True)

    def _starttls(self, tag: str) -> ImapResult:
        """STARTTLS (RFC 3501 §6.2.1): the OK, then the shell runs the handshake and discards
        whatever the client sent after the command in plaintext (nothing but the handshake may
        follow it). Arguments are ignored, as Dovecot ignores them."""
        if self.security.active:
            return self._bad(tag, TLS_TEXTS["active"])
        return ImapResult((f"{tag} OK {TLS_TEXTS['begin']}\r\n".encode(),), starttls=True)

    def _sasl_response(self, tag: str, line: bytes, *, initial: bool) -> ImapResult:
        outcome = check_plain(line, initial=initial, user=self.user, password=self.password)
        if outcome is PlainOutcome.ACCEPTED:
            self.logged_in()
            return ImapResult((f"{tag} OK [CAPABILITY {CAPABILITIES}] Logged in\r\n".encode(),))
        if outcome is PlainOutcome.REFUSED:
            self.auth_failures += 1
            return self._after_failure(
                ImapResult(
                    (f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n".encode(),)
                )
            )
        return self._bad(tag, _SASL_BAD[outcome])

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
        return self._bad(tag, "Expected DONE.")

    # -- untagged updates (RFC 3501 §7.3.1, §7.4.1, §7.4.2) -----------------------------------------

    def _updates(self, *, allow_expunge: bool) -> list[bytes]:
        """What changed in the selected folder since the client last heard: expunges (when
        ``allow_expunge``), new messages, the \\Recent count, other sessions' flag changes."""
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
        out.extend(self._new_messages(folder))
        if self._flag_news:
            positions = self.positions()
            for uid in sorted(self._flag_news):
                msg = folder.messages.get(uid)
                if msg is not None and uid in positions:
                    out.append(
                        f"* {positions[uid]} FETCH (FLAGS ({self.flags_of(uid)}))\r\n".encode()
                    )
            self._flag_news = set()
        return out

    def _new_messages(self, folder: Folder) -> list[bytes]:
        """``* n EXISTS`` for messages added after the view's last one, and ``* n RECENT``
        when the count of \\Recent messages changed."""
        out = []
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
        return out

    # -- the view: message numbers, UIDs and flags as this client knows them --------------------

    def flags_of(self, uid: int) -> str:
        """The flags of a message as FETCH shows them, with \\Recent when it is recent here."""
        assert self.folder is not None
        msg = self.folder.messages.get(uid)
        flags = [f for f in SYSTEM_FLAGS if msg is not None and f in msg.flags]
        if uid in self.recent:
            flags.append("\\Recent")
        return " ".join(flags)

    def flags_reported(self, uid: int) -> None:
        """This client has just been told the message's flags: no update about them is owed."""
        self._flag_news.discard(uid)

    def positions(self) -> dict[int, int]:
        """UID -> message sequence number for the view (cached until the view changes)."""
        if self._position_cache is None:
            self._position_cache = {u: i + 1 for i, u in enumerate(self.view)}
        return self._position_cache

    def uid_set(self, text: str) -> list[int]:
        """The UIDs of the view named by a UID set, ascending; unknown UIDs are skipped
        (RFC 3501 §6.4.8)."""
        largest = self.view[-1] if self.view else 0
        ranges = parse_ranges(text, largest)
        if ranges is None:
            raise Bad("Invalid UID messageset")
        positions = self.positions()
        found: set[int] = set()
        for low, high in ranges:
            if high - low < len(self.view):
                found.update(u for u in range(low, high + 1) if u in positions)
            else:
                found.update(u for u in self.view if low <= u <= high)
        return sorted(found)

    def targets(self, token: object, uid: bool) -> list[tuple[int, int]]:
        """(sequence number, UID) pairs named by a sequence set or (``uid``) a UID set."""
        if not isinstance(token, Atom):
            raise Bad("Invalid messageset")
        if uid:
            positions = self.positions()
            return [(positions[u], u) for u in self.uid_set(str(token))]
        return [(n, self.view[n - 1]) for n in self._sequence_numbers(str(token))]

    def _sequence_numbers(self, text: str) -> list[int]:
        # Bounds first, so "1:4000000000" costs nothing (a message number beyond the mailbox is
        # BAD, as in Dovecot).
        ranges = parse_ranges(text, len(self.view))
        if ranges is None or any(low < 1 or high > len(self.view) for low, high in ranges):
            raise Bad("Invalid messageset")
        return numbers_in(ranges)
