"""The POP3 protocol (RFC 1939, CAPA and response codes from RFC 2449, STLS from RFC 2595) as a
pure state machine.

A :class:`Pop3Session` takes one command line (bytes, without CRLF) and returns a
:class:`Pop3Reply`; it never touches a socket. The asyncio server in :mod:`mailsec.retrieval.servers`
is a thin shell that reads bounded lines, calls :meth:`Pop3Session.handle` and writes
:meth:`Pop3Reply.to_wire`.

The rules the chapter teaches live here:

- the maildrop is locked while a session is in the TRANSACTION state: a second session for the
  same user gets ``-ERR [IN-USE]`` (RFC 1939 §8, RFC 2449 §8.1.2);
- ``DELE`` only *marks* a message; the marks are carried out in the UPDATE state, which is
  entered only by ``QUIT``. A session that is dropped, or that hits an error, deletes nothing
  (RFC 1939 §6); ``RSET`` removes the marks (§5);
- messages keep their numbers for the whole session and a marked message cannot be read (§5);
- with TLS configured, ``STLS`` is offered in the AUTHORIZATION state until TLS is active (RFC
  2595 §4); a server that requires TLS refuses USER, PASS, APOP and AUTH before it, whatever the
  client's address (:class:`~mailsec.retrieval.sasl.ConnectionSecurity`);
- ``APOP name digest`` (RFC 1939 §7) logs in without sending the password: the greeting ends
  with a timestamp banner, unique per connection and partly random
  (:func:`~mailsec.transport.apop.new_banner`), and the digest is MD5(banner + password). To
  check it the server must hold the password itself, in the clear: a server that offers APOP
  cannot keep only salted hashes. A wrong digest counts as a wrong password (the same penalty,
  the same disconnect). Why APOP is no longer enough is told in :mod:`mailsec.transport.apop`.

Where the RFC leaves a choice, the replies follow Dovecot 2.3 (texts, the UIDL format
``%08Xu%08Xv``, a ``\\Seen`` flag for every message retrieved, the disconnect after a locked
maildrop and after too many bad commands). APOP is on unless ``apop=False`` (Dovecot leaves it off
unless ``auth_mechanisms`` names it; its greeting then carries the banner the same way, and its
refusals of malformed APOP lines are the ones below). Like Dovecot, the server allows both
USER/PASS and APOP for the same user, which RFC 1939 §13 advises against.
"""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass

from mailsec.errors import InputError
from mailsec.limits import MAX_AUTH_FAILURES
from mailsec.retrieval.maildir import Folder, MailStore
from mailsec.retrieval.sasl import (
    ConnectionSecurity,
    PlainOutcome,
    check_plain,
    credentials_match,
    decode_plain,
)
from mailsec.transport.apop import (
    DIGEST_LENGTH,
    apop_digest,
    is_digest,
    new_banner,
    parse_banner,
)

__all__ = [
    "APOP_TEXTS",
    "MAX_BAD_COMMANDS",
    "MAX_LINE",
    "TLS_TEXTS",
    "Pop3Reply",
    "Pop3Session",
    "Pop3State",
    "decode_plain",  # now in mailsec.retrieval.sasl; still importable from here
]

MAX_LINE = 8192
"""Longest command line read, in octets; RFC 2449 §4 allows 255 but clients send longer passwords."""
MAX_BAD_COMMANDS = 20
"""Bad commands tolerated before the server hangs up (Dovecot's limit)."""


class Pop3State(enum.Enum):
    """The states of a POP3 session (RFC 1939 §3)."""

    AUTHORIZATION = "authorization"
    """The client has connected and must identify itself (USER/PASS)."""
    TRANSACTION = "transaction"
    """Logged in, maildrop locked: the client lists, reads and marks messages."""
    UPDATE = "update"
    """After QUIT: marked messages are deleted, the lock is released, the connection closes."""
    CLOSED = "closed"
    """The connection is over (after UPDATE, a refused lock, or a dropped connection)."""


@dataclass(frozen=True)
class Pop3Reply:
    """One server reply: a status line and, for multi-line replies, the lines that follow."""

    ok: bool
    text: str
    """The status line after ``+OK``/``-ERR`` (may be empty)."""
    body: bytes | None = None
    """The body of a multi-line reply: CRLF-ended lines, before dot-stuffing (RFC 1939 §3)."""
    close: bool = False
    """The server closes the connection after sending this reply."""
    continuation: bool = False
    """A SASL continuation request ``+ `` (RFC 5034 §4): the client sends its response next."""
    starttls: bool = False
    """The shell starts TLS after sending this reply (STLS, RFC 2595 §4)."""

    @property
    def status_line(self) -> str:
        if self.continuation:
            return "+ "
        word = "+OK" if self.ok else "-ERR"
        return f"{word} {self.text}" if self.text else word

    @property
    def lines(self) -> tuple[bytes, ...] | None:
        """The body's lines without their CRLF (``None`` for a one-line reply)."""
        return None if self.body is None else _split_lines(self.body)

    def to_wire(self) -> bytes:
        """The reply as sent: CRLF line ends, a leading dot doubled, ``.`` at the end."""
        status = self.status_line.encode("utf-8", "replace") + b"\r\n"
        if self.body is None:
            return status
        # Byte-stuffing (RFC 1939 §3): a line that starts with "." gets another one.
        body = self.body.replace(b"\r\n.", b"\r\n..")
        if body.startswith(b"."):
            body = b"." + body
        return status + body + b".\r\n"


def _ok(
    text: str = "", lines: tuple[bytes, ...] | None = None, *, body: bytes | None = None
) -> Pop3Reply:
    if lines is not None:
        body = b"".join(line + b"\r\n" for line in lines)
    return Pop3Reply(True, text, body)


def _err(text: str, *, close: bool = False) -> Pop3Reply:
    return Pop3Reply(False, text, close=close)


#: CAPA after login (RFC 2449 §5-6), as Dovecot lists it; before login STLS, USER and the SASL
#: mechanisms follow, as :meth:`Pop3Session._capa` says.
_CAPA_TRANS = (b"CAPA", b"TOP", b"UIDL", b"RESP-CODES", b"PIPELINING", b"AUTH-RESP-CODE")

#: The replies about TLS, in Dovecot's words (RFC 2595 §4, RFC 2449 §8.1.1 for [AUTH]).
TLS_TEXTS = {
    "begin": "Begin TLS negotiation now.",
    "active": "TLS is already active.",
    "plaintext_refused": (
        "[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
    ),
    "auth_refused": "[AUTH] Authentication not allowed until SSL/TLS is enabled.",
}

#: The -ERR texts of APOP (RFC 1939 §7), in Dovecot's words; a wrong digest gets the same
#: "[AUTH] Authentication failed." as a wrong password, and before a required TLS the same
#: refusal as AUTH.
APOP_TEXTS = {
    "disabled": "APOP not enabled.",
    "malformed": "Invalid parameters.",
    "not_hex": "Invalid characters in MD5 response.",
}

#: The -ERR text for each way an AUTH PLAIN response fails (Dovecot's texts).
_SASL_REFUSALS = {
    PlainOutcome.ABORTED: "Authentication aborted by client.",
    PlainOutcome.MALFORMED: "[AUTH] Invalid base64 data in initial response",
    PlainOutcome.REFUSED: "[AUTH] Authentication failed.",
}


class Pop3Session:
    """One POP3 conversation with one client, over a :class:`MailStore`.

    ``user`` and ``password`` are the one account this server knows; ``security`` says whether
    TLS is offered, required and active (by default: no TLS). ``apop`` offers APOP (RFC 1939
    §7), with ``banner`` as the greeting's timestamp or, by default, a fresh one
    (:func:`~mailsec.transport.apop.new_banner`). Call :meth:`greeting` once, then
    :meth:`handle` for every line, :meth:`tls_started` after a handshake, and
    :meth:`connection_lost` when the connection ends in any way (it is safe to call more than
    once).
    """

    def __init__(
        self,
        store: MailStore,
        *,
        user: str,
        password: str,
        security: ConnectionSecurity | None = None,
        apop: bool = True,
        banner: str | None = None,
    ) -> None:
        if banner is not None and not apop:
            raise InputError("A banner was given with apop=False: a banner is only for APOP.")
        if banner is not None and parse_banner(banner) != banner:
            raise InputError(
                f"The banner {banner!r} is not a timestamp like '<1896.697170952@host>' "
                "(RFC 1939 §7)."
            )
        self.banner = (banner or new_banner()) if apop else None
        """The greeting's timestamp banner (RFC 1939 §7), or ``None`` without APOP."""
        self.store = store
        self.user = user
        self.password = password
        self.security = security or ConnectionSecurity()
        self.state = Pop3State.AUTHORIZATION
        self.given_user: str | None = None
        self.bad_commands = 0
        self.folder: Folder | None = None
        self.maildrop: list[int] = []
        """UIDs of the messages as numbered for this session (1-based positions)."""
        self.deleted: set[int] = set()
        """Message numbers marked by DELE."""
        self.retrieved: set[int] = set()
        """Message numbers sent with RETR (they get ``\\Seen`` in the UPDATE state)."""
        self.holds_lock = False
        self.auth_failures = 0
        """Wrong passwords on this connection (the shell reads it to slow its answers down)."""
        self.sasl_pending = False
        """An ``AUTH PLAIN`` without initial response waits for the client's next line."""

    # -- life cycle ----------------------------------------------------------------------------

    def greeting(self) -> Pop3Reply:
        """The greeting; with APOP it ends with the banner, as Dovecot's does (RFC 1939 §7)."""
        ready = "mailsec POP3 server ready."
        return _ok(ready if self.banner is None else f"{ready} {self.banner}")

    def connection_lost(self) -> None:
        """The connection ended without QUIT: nothing is deleted (RFC 1939 §6), the lock goes.
        The messages sent with RETR are marked ``\\Seen`` all the same, as Dovecot does: the
        client has them (a deletion is what must wait for QUIT, not the reading)."""
        if self.state is Pop3State.TRANSACTION and self.folder is not None:
            with contextlib.suppress(OSError):  # a full disk must not keep the lock held
                self._mark_seen(self.retrieved)
        self._release()
        self.state = Pop3State.CLOSED

    def tls_started(self) -> None:
        """The TLS handshake succeeded. The session stays in the AUTHORIZATION state; a user
        name given before it is forgotten, as everything said in plaintext must be (RFC 2595
        §4)."""
        self.security.active = True
        self.given_user = None

    def _mark_seen(self, numbers: set[int]) -> None:
        assert self.folder is not None
        for number in sorted(numbers):
            uid = self.maildrop[number - 1]
            msg = self.folder.messages.get(uid)
            if msg is not None and "\\Seen" not in msg.flags:
                self.folder.set_flags(uid, msg.flags | {"\\Seen"})

    def _release(self) -> None:
        if self.holds_lock:
            self.store.unlock_maildrop(self.user)
            self.holds_lock = False

    # -- commands ------------------------------------------------------------------------------

    def handle(self, line: bytes) -> Pop3Reply:
        """Carry out one command line (without its CRLF) and return the reply."""
        if self.state is Pop3State.CLOSED:
            return _err("Connection is closed.", close=True)
        if self.sasl_pending:
            self.sasl_pending = False
            return self._sasl_response(line, initial=False)
        reply = self._dispatch(line)
        if not reply.ok and reply.text.startswith("Unknown command"):
            return self._count_bad(reply)
        return reply

    def too_long(self) -> Pop3Reply:
        """The reply to a line longer than :data:`MAX_LINE` (whose rest the shell discarded)."""
        return self.handle_error("Input line too long.")

    def handle_error(self, text: str) -> Pop3Reply:
        return self._count_bad(_err(text))

    def _count_bad(self, reply: Pop3Reply) -> Pop3Reply:
        """Count a bad command; after :data:`MAX_BAD_COMMANDS` of them the server hangs up."""
        self.bad_commands += 1
        if self.bad_commands > MAX_BAD_COMMANDS:
            self.connection_lost()
            return _err("Too many bad commands.", close=True)
        return reply

    def _dispatch(self, line: bytes) -> Pop3Reply:
        text = line.decode("utf-8", "replace")
        name, _, args = text.partition(" ")
        keyword = name.upper()
        if not keyword.isascii() or not keyword.isalpha():
            return _err(
                f"Unknown command: {name}"
                if self.state is Pop3State.TRANSACTION
                else "Unknown command."
            )
        if self.state is Pop3State.AUTHORIZATION:
            handler = {
                "USER": self._user,
                "PASS": self._pass,
                "APOP": self._apop,
                "AUTH": self._auth,
                "CAPA": self._capa,
                "QUIT": self._quit,
                "STLS": self._stls,
            }.get(keyword)
            if handler is None:
                # Dovecot says only "Unknown command." before login, so as not to tell a
                # stranger which commands exist.
                return _err("Unknown command.")
        else:
            handler = {
                "STAT": self._stat,
                "LIST": self._list,
                "RETR": self._retr,
                "DELE": self._dele,
                "NOOP": self._noop,
                "RSET": self._rset,
                "QUIT": self._quit,
                "TOP": self._top,
                "UIDL": self._uidl,
                "CAPA": self._capa,
            }.get(keyword)
            if handler is None:
                return _err(f"Unknown command: {name}")
        return handler(args)

    # AUTHORIZATION (RFC 1939 §7) ------------------------------------------------------------------

    def _stls(self, args: str) -> Pop3Reply:
        """STLS (RFC 2595 §4): the shell starts TLS after the +OK. Without TLS configured it is
        an unknown command, as before; arguments are ignored, as Dovecot ignores them."""
        if not self.security.offered:
            return _err("Unknown command.")
        if self.security.active:
            return _err(TLS_TEXTS["active"])
        return Pop3Reply(True, TLS_TEXTS["begin"], starttls=True)

    def _user(self, args: str) -> Pop3Reply:
        if not self.security.login_allowed:
            return _err(TLS_TEXTS["plaintext_refused"])
        self.given_user = args
        return _ok()

    def _pass(self, args: str) -> Pop3Reply:
        if not self.security.login_allowed:
            return _err(TLS_TEXTS["plaintext_refused"])
        if self.given_user is None:
            return _err("No username given.")
        user, self.given_user = self.given_user, None
        if not credentials_match(user, args, user=self.user, password=self.password):
            # RFC 2449 §8.1.1 / RFC 3206 §4: [AUTH] says the credentials were wrong.
            return self._failed("[AUTH] Authentication failed.")
        return self._logged_in()

    def _apop(self, args: str) -> Pop3Reply:
        """APOP name digest (RFC 1939 §7). As Dovecot does, the form of the arguments is checked
        first, then whether a login is allowed (before a required TLS, APOP is refused like
        AUTH: the digest is a password's stand-in), then the user and digest together, in
        constant time. The server computes the digest from the password it holds in the clear."""
        if self.banner is None:
            return _err(APOP_TEXTS["disabled"])
        name, space, digest = args.partition(" ")
        if not space or len(digest.encode("utf-8", "replace")) != DIGEST_LENGTH:
            return _err(APOP_TEXTS["malformed"])  # Dovecot counts the octets
        if not is_digest(digest):
            return _err(APOP_TEXTS["not_hex"])
        if not self.security.login_allowed:
            return _err(TLS_TEXTS["auth_refused"])
        # A name given with USER is kept: Dovecot still accepts PASS after a failed APOP.
        expected = apop_digest(self.banner, self.password)
        # credentials_match compares both in constant time: the digest stands in for the password.
        if not credentials_match(name, digest.lower(), user=self.user, password=expected):
            return self._failed("[AUTH] Authentication failed.")
        return self._logged_in()

    def _failed(self, text: str) -> Pop3Reply:
        """A wrong password: counted (the shell slows the answer down); after
        :data:`~mailsec.limits.MAX_AUTH_FAILURES` of them the connection is closed."""
        self.auth_failures += 1
        if self.auth_failures >= MAX_AUTH_FAILURES:
            self.state = Pop3State.CLOSED
            return _err(f"{text} Too many failures: disconnecting.", close=True)
        return _err(text)

    def _logged_in(self) -> Pop3Reply:
        if not self.store.lock_maildrop(self.user):
            # RFC 1939 §8 and RFC 2449 §8.1.2: the maildrop is in use; Dovecot then hangs up.
            self.state = Pop3State.CLOSED
            return _err("[IN-USE] Mailbox is locked by another POP3 session.", close=True)
        self.holds_lock = True
        self.folder = self.store.inbox
        self.folder.sync()
        # A POP3 session counts as having seen the new mail: IMAP clients no longer get it as
        # \Recent afterwards (Dovecot opens the maildrop the same way).
        self.folder.claim_recent()
        self.maildrop = self.folder.uids
        self.state = Pop3State.TRANSACTION
        return _ok("Logged in.")

    def _auth(self, args: str) -> Pop3Reply:
        """AUTH (RFC 5034) with the PLAIN mechanism (RFC 4616); ``AUTH`` alone lists it (none
        while TLS is required and not active)."""
        if not args:
            return _ok("", (b"PLAIN",) if self.security.login_allowed else ())
        if not self.security.login_allowed:
            return _err(TLS_TEXTS["auth_refused"])
        mechanism, _, initial = args.partition(" ")
        if mechanism.upper() != "PLAIN":
            return _err("[AUTH] Unsupported authentication mechanism.")
        if not initial:
            self.sasl_pending = True
            return Pop3Reply(True, "", continuation=True)
        return self._sasl_response(initial.encode("utf-8", "surrogateescape"), initial=True)

    def _sasl_response(self, line: bytes, *, initial: bool) -> Pop3Reply:
        outcome = check_plain(line, initial=initial, user=self.user, password=self.password)
        if outcome is PlainOutcome.ACCEPTED:
            return self._logged_in()
        if outcome is PlainOutcome.REFUSED:
            return self._failed(_SASL_REFUSALS[outcome])
        return _err(_SASL_REFUSALS[outcome])

    def _capa(self, args: str) -> Pop3Reply:
        """CAPA (RFC 2449 §5); before login also STLS while it is offered (RFC 2595 §4), and
        USER and the SASL mechanisms only when a login is allowed (Dovecot lists ``SASL`` with
        no mechanism then)."""
        if self.state is not Pop3State.AUTHORIZATION:
            return _ok("", _CAPA_TRANS)
        tls = (b"STLS",) if self.security.may_start else ()
        login = (b"USER", b"SASL PLAIN") if self.security.login_allowed else (b"SASL",)
        return _ok("", (*_CAPA_TRANS, *tls, *login))

    # TRANSACTION (RFC 1939 §5) ------------------------------------------------------------------

    def _number(self, word: str) -> int | Pop3Reply:
        """A message number that exists and is not marked, or the -ERR reply."""
        if not word.isascii() or not word.isdigit():
            return _err(f"Invalid message number: {word}")
        if len(word) > 10:
            return _err(f"Message number too large: {word}")
        number = int(word)
        if not 1 <= number <= len(self.maildrop):
            return _err(f"There's no message {number}.")
        if number in self.deleted:
            return _err("Message is deleted.")
        return number

    def _size(self, number: int) -> int | None:
        assert self.folder is not None
        msg = self.folder.messages.get(self.maildrop[number - 1])
        return None if msg is None else msg.size

    def _live(self) -> list[int]:
        """The numbers of the messages not marked for deletion (what STAT, LIST and UIDL count)."""
        return [n for n in range(1, len(self.maildrop) + 1) if n not in self.deleted]

    def _stat(self, args: str) -> Pop3Reply:
        live = self._live()
        sizes = [self._size(n) or 0 for n in live]
        return _ok(f"{len(live)} {sum(sizes)}")

    def _one_arg(self, args: str) -> tuple[int | Pop3Reply, str]:
        word, _, rest = args.partition(" ")
        return self._number(word), rest

    def _lone_number(self, args: str) -> int | Pop3Reply:
        """The message number of LIST n, RETR and DELE, with nothing after it, or the -ERR."""
        number, rest = self._one_arg(args)
        if not isinstance(number, Pop3Reply) and rest:
            return _err(f"Noise after message number:  {rest}")
        return number

    def _list(self, args: str) -> Pop3Reply:
        if args:
            number = self._lone_number(args)
            if isinstance(number, Pop3Reply):
                return number
            return _ok(f"{number} {self._size(number) or 0}")
        live = self._live()
        lines = tuple(f"{n} {self._size(n) or 0}".encode() for n in live)
        return _ok(f"{len(live)} messages:", lines)

    def _uidl_of(self, number: int) -> str:
        assert self.folder is not None
        # Dovecot's default pop3_uidl_format %08Xu%08Xv: the IMAP UID and UIDVALIDITY, so the
        # same message has the same UIDL for every client and across restarts (RFC 1939 §7).
        return f"{self.maildrop[number - 1]:08x}{self.folder.uidvalidity:08x}"

    def _uidl(self, args: str) -> Pop3Reply:
        if args:
            number, _rest = self._one_arg(args)
            if isinstance(number, Pop3Reply):
                return number
            return _ok(f"{number} {self._uidl_of(number)}")
        live = self._live()
        return _ok("", tuple(f"{n} {self._uidl_of(n)}".encode() for n in live))

    def _read(self, number: int) -> bytes | Pop3Reply:
        assert self.folder is not None
        try:
            return self.folder.read(self.maildrop[number - 1])
        except KeyError:
            # Removed by someone else (an IMAP client) after this session began.
            return _err("Message was expunged by another session.")

    def _retr(self, args: str) -> Pop3Reply:
        number = self._lone_number(args)
        if isinstance(number, Pop3Reply):
            return number
        data = self._read(number)
        if isinstance(data, Pop3Reply):
            return data
        self.retrieved.add(number)
        return _ok(
            f"{len(data)} octets",
            body=data if data.endswith(b"\r\n") or not data else data + b"\r\n",
        )

    def _top(self, args: str) -> Pop3Reply:
        number, rest = self._one_arg(args)
        if isinstance(number, Pop3Reply):
            return number
        count_word, _, extra = rest.partition(" ")
        if not count_word:
            return _err("Noise after message number: ")
        if not count_word.isascii() or not count_word.isdigit():
            return _err(f"Invalid size: {count_word}")
        if extra:
            return _err(f"Noise after size: {extra}")
        data = self._read(number)
        if isinstance(data, Pop3Reply):
            return data
        lines = _split_lines(data)
        try:
            blank = lines.index(b"")
        except ValueError:
            return _ok("", lines)
        return _ok("", lines[: blank + 1 + int(count_word)])

    def _dele(self, args: str) -> Pop3Reply:
        number = self._lone_number(args)
        if isinstance(number, Pop3Reply):
            return number
        self.deleted.add(number)
        return _ok("Marked to be deleted.")

    def _noop(self, args: str) -> Pop3Reply:
        return _ok()

    def _rset(self, args: str) -> Pop3Reply:
        # Dovecot also forgets which messages were retrieved, so they do not become \Seen.
        self.deleted.clear()
        self.retrieved.clear()
        return _ok()

    # UPDATE (RFC 1939 §6) -----------------------------------------------------------------------

    def _quit(self, args: str) -> Pop3Reply:
        if self.state is Pop3State.AUTHORIZATION:
            self.state = Pop3State.CLOSED
            return Pop3Reply(True, "Logging out.", close=True)
        self.state = Pop3State.UPDATE
        assert self.folder is not None
        try:
            self._mark_seen(self.retrieved - self.deleted)
            removed = self.folder.expunge(self.maildrop[n - 1] for n in self.deleted)
        except OSError:
            self._release()
            self.state = Pop3State.CLOSED
            return _err("Some deleted messages were not removed.", close=True)
        self._release()
        self.state = Pop3State.CLOSED
        text = "Logging out, messages deleted." if removed else "Logging out."
        return Pop3Reply(True, text, close=True)


def _split_lines(data: bytes) -> tuple[bytes, ...]:
    """The lines of a CRLF message (a final CRLF does not start another line)."""
    if data.endswith(b"\r\n"):
        data = data[:-2]
    return tuple(data.split(b"\r\n")) if data else ()
