"""IMAP4rev1 (RFC 3501, a subset) with QUOTA (RFC 9208) as a pure state machine.

An :class:`ImapSession` is fed the client's lines (bytes without CRLF) and literals, and returns
an :class:`ImapResult`: the responses to send, and whether a literal must be read first. It never
touches a socket; :mod:`mailsec.retrieval.servers` is the thin asyncio shell around it.

What is built: CAPABILITY, NOOP, LOGOUT, LOGIN, SELECT, EXAMINE, CREATE, DELETE, RENAME, LIST,
LSUB, SUBSCRIBE, UNSUBSCRIBE, STATUS, APPEND, CHECK, CLOSE, EXPUNGE, SEARCH, FETCH (FLAGS, UID,
RFC822.SIZE, INTERNALDATE, ENVELOPE, BODY, BODYSTRUCTURE, RFC822*, ``BODY[...]`` and
``BODY.PEEK[...]`` with part numbers, HEADER, TEXT, MIME, HEADER.FIELDS[.NOT] and partial
``<start.length>``; FAST, ALL, FULL), STORE, COPY, UID FETCH/STORE/SEARCH/COPY/EXPUNGE,
GETQUOTAROOT, GETQUOTA, SETQUOTA (refused), IDLE (RFC 2177); synchronising and non-synchronising
literals (LITERAL+, RFC 7888); AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959); NAMESPACE
(RFC 2342); UNSELECT (RFC 3691); MOVE and UID MOVE (RFC 6851); STARTTLS (RFC 3501 §6.2.1) when
the shell has a certificate, with LOGINDISABLED and ``NO [PRIVACYREQUIRED]`` before it when TLS is
required. Not built: keywords (only system flags are stored).

Several sessions share one :class:`~mailsec.retrieval.maildir.MailStore`. A session with a
folder selected hears about other sessions' changes and reports them before its next tagged
reply (or at once while it idles): new mail as ``* n EXISTS``, flag changes as
``* n FETCH (FLAGS ...)``, removals as ``* n EXPUNGE`` -- but never while answering FETCH, STORE
or SEARCH, whose message numbers must not shift under the client (RFC 3501 §7.4.1).

Where RFC 3501 leaves a choice, replies follow Dovecot 2.3 (texts, ``BAD`` for a message number
beyond the mailbox, ``OK`` for STORE in a read-only mailbox, the quota root ``"User quota"``).

Where things live:

- :mod:`~mailsec.retrieval.imap.session` -- the state machine: the table of commands and the
  states they are allowed in, AUTHENTICATE and IDLE, untagged updates;
- :mod:`~mailsec.retrieval.imap.framing` -- reading commands: states, limits, lines and literals
  framed into commands within their bounds (before login, APPEND, LITERAL+);
- :mod:`~mailsec.retrieval.imap.auth`, :mod:`~mailsec.retrieval.imap.mailboxes`,
  :mod:`~mailsec.retrieval.imap.messages` -- the command handlers: any state and LOGIN; the
  authenticated state (mailboxes, quota); the selected state (messages);
- :mod:`~mailsec.retrieval.imap.syntax` -- tokens, literals, strings, dates, sequence sets;
- :mod:`~mailsec.retrieval.imap.names` -- mailbox names: valid names, LIST patterns, hierarchy;
- :mod:`~mailsec.retrieval.imap.fetch` -- FETCH items and how one message's are written;
- :mod:`~mailsec.retrieval.imap.structure` -- header fields, the MIME tree, ENVELOPE and
  BODYSTRUCTURE, part sections;
- :mod:`~mailsec.retrieval.imap.search` -- SEARCH keys, one small parser each.
"""

from mailsec.retrieval.imap.auth import CAPABILITIES
from mailsec.retrieval.imap.session import (
    MAX_BAD_COMMANDS,
    MAX_COMMAND_LITERALS,
    MAX_LINE,
    MAX_LITERAL,
    ImapResult,
    ImapSession,
    ImapState,
)
from mailsec.retrieval.imap.structure import MAX_MIME_DEPTH, header_value
from mailsec.retrieval.imap.syntax import MAX_NESTING, Atom, parse_ranges, parse_sequence_set

__all__ = [
    "CAPABILITIES",
    "MAX_BAD_COMMANDS",
    "MAX_COMMAND_LITERALS",
    "MAX_LINE",
    "MAX_LITERAL",
    "MAX_MIME_DEPTH",
    "MAX_NESTING",
    "Atom",
    "ImapResult",
    "ImapSession",
    "ImapState",
    "header_value",
    "parse_ranges",
    "parse_sequence_set",
]
