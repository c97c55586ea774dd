"""Reading IMAP commands: lines and literals framed into complete commands, within bounds.

A command is a line, or a line ending in a literal marker (``{n}`` or ``{n+}``, RFC 3501 §4.3;
LITERAL+, RFC 7888) followed by the literal's octets and the rest of the command. :class:`CommandReader`
collects the pieces and decides, before a literal is read, whether it may be: one running total
per command, small before login (:data:`MAX_LITERALS_BEFORE_LOGIN`), APPEND refused before its
literal when the mailbox cannot take it, a LITERAL+ literal of a refused command read and dropped.
:class:`~mailsec.retrieval.imap.session.ImapSession` is a CommandReader that runs what it collects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.retrieval.imap.mailboxes import OVERQUOTA
from mailsec.retrieval.imap.names import append_refusal
from mailsec.retrieval.imap.syntax import LITERAL_AT_END, LITERAL_LOOSE, Literal, dot
from mailsec.retrieval.maildir import MailStore

__all__ = [
    "MAX_BAD_COMMANDS",
    "MAX_COMMAND_LITERALS",
    "MAX_LINE",
    "MAX_LITERAL",
    "MAX_LITERALS_BEFORE_LOGIN",
    "CommandReader",
    "ImapResult",
    "ImapState",
]

MAX_LINE = 65536
"""Longest command line read, in octets (Dovecot's imap_max_line_length)."""
MAX_LITERAL = 32 * 1024 * 1024
"""Largest literal accepted (a message to APPEND); larger ones get ``NO [TOOBIG]``."""
MAX_COMMAND_LITERALS = 65536
"""Octets of literals accepted in any command other than APPEND."""
MAX_LITERALS_BEFORE_LOGIN = 8192
"""Octets of literals one command may send before login (Dovecot's login process: BYE beyond)."""
MAX_BAD_COMMANDS = 20
"""BAD replies tolerated before the server says BYE (Dovecot's limit)."""


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
    starttls: bool = False
    """Start TLS after sending the responses (STARTTLS, RFC 3501 §6.2.1)."""


class CommandReader:
    """The input side of an IMAP session: it frames lines and literals into commands.

    A subclass provides the session it reads for: :attr:`state`, :attr:`store`,
    :meth:`connection_lost` and :meth:`_run` (which runs a complete command).
    """

    state: ImapState
    store: MailStore

    def __init__(self) -> None:
        self.bad_commands = 0
        self._parts: list[bytes | Literal] = []
        self._refused: tuple[bytes, str, str] | None = None
        """A command refused while its LITERAL+ literal is still coming: (first line, status,
        text); the literal is read and dropped, then the refusal is sent."""
        self._literal_octets = 0

    def connection_lost(self) -> None:
        raise NotImplementedError

    def _run(self, parts: list[bytes | Literal]) -> ImapResult:
        raise NotImplementedError

    def _collect(self, line: bytes) -> ImapResult:
        """A line of a command: ask for its literal, refuse it, or run the complete command."""
        if self._refused is not None:
            return self._rest_of_refused(line)
        self._parts.append(line)
        marker = LITERAL_AT_END.search(line)
        if marker is None and LITERAL_LOOSE.search(line) is not None:
            return self._finish(self._parts[0], "BAD", "Invalid literal size")
        if marker is not None:
            return self._literal_announced(int(marker.group(1)), plus=marker.group(2) == b"+")
        parts, self._parts = self._parts, []
        self._literal_octets = 0
        return self._run(parts)

    def feed_literal(self, data: bytes) -> ImapResult:
        """The octets of the literal the last :class:`ImapResult` asked for."""
        if self._refused is None:
            self._parts.append(Literal(bytes(data)))
        # else: a literal of a command refused already, on its way anyway (LITERAL+): dropped
        return ImapResult()

    def _rest_of_refused(self, line: bytes) -> ImapResult:
        """The rest of a refused command after a dropped literal: more literals on their way are
        read and dropped within the same total; when the command ends, the refusal is sent."""
        assert self._refused is not None
        first, status, text = self._refused
        marker = LITERAL_AT_END.search(line)
        if marker is not None and marker.group(2) == b"+":
            size = int(marker.group(1))
            self._literal_octets += size
            limit = (
                MAX_LITERALS_BEFORE_LOGIN
                if self.state is ImapState.NOT_AUTHENTICATED
                else MAX_LITERAL
            )
            if self._literal_octets > limit:
                self._refused = None
                return self._finish(first, status, text, close=True)
            return ImapResult(literal=size, continuation=False)
        # The command ends here (or waits for a '+' it will not get): send the refusal now.
        self._refused = None
        return self._finish(first, status, text)

    def reset_input(self) -> None:
        """Forget a half-received command (after the shell could not complete it)."""
        self._parts = []
        self._literal_octets = 0
        self._refused = None

    def too_long(self) -> ImapResult:
        """The reply to a line longer than :data:`MAX_LINE` (the shell discarded its rest)."""
        self.reset_input()
        return self._bad("*", "Error in IMAP command: Line too long.")

    def _literal_announced(self, size: int, *, plus: bool) -> ImapResult:
        """A line ended in ``{size}`` or ``{size+}``: ask for the literal, or refuse it before it
        is read. One running total per command bounds what its literals may add up to: small
        before login (LOGIN and AUTHENTICATE need little), APPEND's message large after it."""
        first = self._parts[0]
        assert isinstance(first, bytes)
        words = first.split(b" ", 3)
        is_append = len(words) > 1 and words[1].upper() == b"APPEND"
        total = self._literal_octets + size
        if self.state is ImapState.NOT_AUTHENTICATED:
            return self._literal_before_login(first, size, total, plus=plus, is_append=is_append)
        if is_append:
            # Refuse before the client sends the message (as Dovecot does): a mailbox that cannot
            # exist or does not, or a message that does not fit.
            refusal = append_refusal(self.store, first)
            if refusal is None and size > 0 and not self.store.fits(size):
                refusal = OVERQUOTA
            if refusal is not None:
                return self._refuse_literal(first, "NO", refusal, size, plus=plus)
        if total > (MAX_LITERAL if is_append else MAX_COMMAND_LITERALS):
            text = "[TOOBIG] Mail is too large" if is_append else "Literal too large"
            # A non-synchronising literal is on its way already: hang up rather than read it.
            return self._finish(first, "NO" if is_append else "BAD", text, close=plus)
        self._literal_octets = total
        return ImapResult(literal=size, continuation=not plus)

    def _literal_before_login(
        self, first: bytes, size: int, total: int, *, plus: bool, is_append: bool
    ) -> ImapResult:
        """Before login a command's literals may add up to :data:`MAX_LITERALS_BEFORE_LOGIN`
        (Dovecot's login process says BYE beyond that), and APPEND is refused before its
        literal is accepted: nothing a stranger sends is kept."""
        if total > MAX_LITERALS_BEFORE_LOGIN:
            self.reset_input()
            self.connection_lost()
            return ImapResult((b"* BYE Literal size too large\r\n",), close=True)
        if is_append:
            return self._refuse_literal(
                first, "BAD", "Error in IMAP command received by server", size, plus=plus
            )
        self._literal_octets = total
        return ImapResult(literal=size, continuation=not plus)

    def _refuse_literal(
        self, first: bytes, status: str, text: str, size: int, *, plus: bool
    ) -> ImapResult:
        """Refuse a command whose literal is announced: at once for a synchronising literal (the
        client waits for '+' and sends nothing); after reading and dropping a LITERAL+ one,
        which is on its way already."""
        if plus:
            self._refused = (first, status, text)
            self._literal_octets += size
            return ImapResult(literal=size, continuation=False)
        return self._finish(first, status, text)

    def _finish(
        self, first: bytes | Literal, status: str, text: str, *, close: bool = False
    ) -> ImapResult:
        """End a command whose literal is refused, with the tag of its first line."""
        assert isinstance(first, bytes)
        self.reset_input()
        tag = first.split(b" ", 1)[0].decode("ascii", "replace") or "*"
        name = first.split(b" ", 2)[1].decode("ascii", "replace").upper() if b" " in first else ""
        if status == "BAD":
            if not text.startswith("Error in IMAP command"):
                text = (
                    f"Error in IMAP command {name}: {text}"
                    if name
                    else f"Error in IMAP command: {text}"
                )
            result = self._bad(tag, dot(text))
        else:
            result = ImapResult((f"{tag} {status} {dot(text)}\r\n".encode(),))
        if close:
            self.connection_lost()
            return ImapResult(result.responses, close=True)
        return result

    def _bad(self, tag: str, text: str) -> ImapResult:
        """A BAD reply (``*`` when the command has no tag), counted against the limit."""
        return self._count_bad(ImapResult((f"{tag} BAD {text}\r\n".encode(),)))

    def _count_bad(self, result: ImapResult) -> ImapResult:
        self.bad_commands += 1
        if self.bad_commands > MAX_BAD_COMMANDS:
            self.connection_lost()
            return ImapResult(
                (*result.responses, b"* BYE Too many invalid IMAP commands.\r\n"), close=True
            )
        return result
