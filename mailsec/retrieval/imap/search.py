"""SEARCH (RFC 3501 §6.4.4): a search program read into tests, one small parser per key.

:func:`matching_uids` reads the whole program (after an optional ``CHARSET``) and returns the UIDs of
the selected folder's messages that pass every key. Each key word has its parser in
:data:`_KEYS`; a parser takes the key's arguments off the token list and returns a test of one
UID. Message numbers and UIDs are read against the session's view (:class:`SearchScope`).
"""

from __future__ import annotations

import datetime
import email.utils
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.retrieval.imap.structure import header_value, split_header
from mailsec.retrieval.imap.syntax import Atom, Bad, No, astring, parse_ranges, search_date
from mailsec.retrieval.maildir import Folder

__all__ = ["SearchScope", "matching_uids", "search_key"]

Test = Callable[[int], bool]
"""Whether the message with this UID matches."""


@dataclass(frozen=True)
class SearchScope:
    """What a search looks at: the selected folder as one session sees it."""

    folder: Folder
    view: list[int]
    """The UIDs the client knows, in message-sequence order."""
    recent: set[int]
    """The UIDs that are \\Recent in this session."""
    uid_set: Callable[[str], list[int]]
    """The UIDs of the view named by a UID set (the session's rule, BAD when malformed)."""

    def flags(self, uid: int) -> frozenset[str]:
        msg = self.folder.messages.get(uid)
        return msg.flags if msg is not None else frozenset()


def matching_uids(scope: SearchScope, args: list[object]) -> list[int]:
    """The UIDs of the view, in order, that match every key of the program ``args``."""
    tokens = list(args)
    if tokens and isinstance(tokens[0], Atom) and tokens[0].upper() == "CHARSET":
        if len(tokens) < 2 or astring(tokens[1]).upper() not in ("UTF-8", "US-ASCII"):
            raise No("[BADCHARSET (UTF-8 US-ASCII)] Unknown charset")
        tokens = tokens[2:]
    if not tokens:
        raise Bad("Missing search parameters")
    tests = []
    while tokens:
        tests.append(search_key(scope, tokens))
    return [
        uid
        for uid in scope.view
        if uid in scope.folder.messages and all(test(uid) for test in tests)
    ]


def search_key(scope: SearchScope, tokens: list[object]) -> Test:
    """Take one key (with its arguments) off ``tokens`` and return its test."""
    token = tokens.pop(0)
    if isinstance(token, list):
        inner = list(token)
        tests = []
        while inner:
            tests.append(search_key(scope, inner))
        return lambda u: all(t(u) for t in tests)
    if not isinstance(token, Atom):
        raise Bad("Invalid search key")
    word = token.upper()
    parser = _KEYS.get(word)
    if parser is not None:
        return parser(scope, word, tokens)
    if word[0].isdigit() or word[0] == "*":
        return _sequence_key(scope, word)
    raise Bad(f"Unknown argument {word}")


def _argument(tokens: list[object]) -> object:
    """The next argument of a key; BAD when the program ends first."""
    if not tokens:
        raise Bad("Missing search parameters")
    return tokens.pop(0)


# -- flags ----------------------------------------------------------------------------------------

_FLAG_KEYS = {
    "SEEN": ("\\Seen", True),
    "UNSEEN": ("\\Seen", False),
    "DELETED": ("\\Deleted", True),
    "UNDELETED": ("\\Deleted", False),
    "FLAGGED": ("\\Flagged", True),
    "UNFLAGGED": ("\\Flagged", False),
    "ANSWERED": ("\\Answered", True),
    "UNANSWERED": ("\\Answered", False),
    "DRAFT": ("\\Draft", True),
    "UNDRAFT": ("\\Draft", False),
}
"""Keys that test one system flag: the flag, and whether it must be set."""


def _all_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    return lambda u: True


def _flag_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    flag, want = _FLAG_KEYS[word]
    return lambda u: (flag in scope.flags(u)) == want


def _recent_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    if word == "RECENT":
        return lambda u: u in scope.recent
    if word == "OLD":
        return lambda u: u not in scope.recent
    # NEW: recent and not yet seen.
    return lambda u: u in scope.recent and "\\Seen" not in scope.flags(u)


# -- NOT, OR ------------------------------------------------------------------------------------


def _not_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    if not tokens:
        raise Bad("Missing search parameters")
    inner = search_key(scope, tokens)
    return lambda u: not inner(u)


def _or_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    if len(tokens) < 2:
        raise Bad("Missing search parameters")
    left = search_key(scope, tokens)
    right = search_key(scope, tokens)
    return lambda u: left(u) or right(u)


# -- message sets -------------------------------------------------------------------------------


def _uid_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    if not tokens or not isinstance(tokens[0], Atom):
        raise Bad("Invalid UID messageset")
    uids = set(scope.uid_set(str(tokens.pop(0))))
    return lambda u: u in uids


def _sequence_key(scope: SearchScope, word: str) -> Test:
    """A sequence set as a key: the messages with those numbers (numbers past the end match
    nothing)."""
    ranges = parse_ranges(word, len(scope.view))
    if ranges is None:
        raise Bad("Invalid messageset")
    view = scope.view
    uids = {uid for low, high in ranges for uid in view[max(low, 1) - 1 : min(high, len(view))]}
    return lambda u: u in uids


# -- dates and sizes ------------------------------------------------------------------------------

_DATE_TESTS: dict[str, Callable[[datetime.date, datetime.date], bool]] = {
    "BEFORE": lambda found, day: found < day,
    "ON": lambda found, day: found == day,
    "SINCE": lambda found, day: found >= day,
}


def _date_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    """BEFORE, ON, SINCE compare the internal date; SENTBEFORE, SENTON, SENTSINCE the Date:
    header."""
    day = search_date(astring(_argument(tokens)))
    compare = _DATE_TESTS[word.removeprefix("SENT")]
    message_day = _sent_day if word.startswith("SENT") else _internal_day

    def dated(u: int) -> bool:
        found = message_day(scope.folder, u)
        return found is not None and compare(found, day)

    return dated


def _internal_day(folder: Folder, uid: int) -> datetime.date | None:
    """The day of the internal date, in the server's time zone (UTC here)."""
    msg = folder.messages.get(uid)
    if msg is None:
        return None
    return datetime.datetime.fromtimestamp(msg.internaldate, datetime.timezone.utc).date()


def _sent_day(folder: Folder, uid: int) -> datetime.date | None:
    """RFC 3501 §6.4.4: the date part of the Date: header, ignoring time and zone."""
    if uid not in folder.messages:
        return None
    try:
        header = split_header(folder.read(uid))[0]
        sent = email.utils.parsedate_to_datetime(header_value(header, "Date"))
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return sent.date()


def _size_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    if not tokens or not str(tokens[0]).isdigit():
        raise Bad(f"Invalid size for {word}")
    limit = int(str(tokens.pop(0)))

    def size(u: int) -> int:
        msg = scope.folder.messages.get(u)
        return msg.size if msg is not None else 0

    return (lambda u: size(u) > limit) if word == "LARGER" else (lambda u: size(u) < limit)


# -- text ---------------------------------------------------------------------------------------


def _text_key(scope: SearchScope, word: str, tokens: list[object]) -> Test:
    """FROM, TO, CC, BCC, SUBJECT and HEADER look in one header field; BODY in the body; TEXT
    in the whole message. Case is ignored."""
    field = astring(_argument(tokens)) if word == "HEADER" else word
    needle = astring(_argument(tokens)).lower()

    def contains(u: int) -> bool:
        try:
            data = scope.folder.read(u)
        except KeyError:
            return False
        header, text = split_header(data)
        if field == "BODY":
            haystack = text.decode("utf-8", "replace")
        elif field == "TEXT":
            haystack = data.decode("utf-8", "replace")
        else:
            haystack = header_value(header, field)
        return needle in haystack.lower()

    return contains


_KEYS: dict[str, Callable[[SearchScope, str, list[object]], Test]] = {
    "ALL": _all_key,
    **dict.fromkeys(_FLAG_KEYS, _flag_key),
    **dict.fromkeys(("RECENT", "OLD", "NEW"), _recent_key),
    "NOT": _not_key,
    "OR": _or_key,
    "UID": _uid_key,
    **dict.fromkeys(("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"), _date_key),
    **dict.fromkeys(("LARGER", "SMALLER"), _size_key),
    **dict.fromkeys(("FROM", "TO", "CC", "BCC", "SUBJECT", "HEADER", "BODY", "TEXT"), _text_key),
}
"""The parser of each search key word (sequence sets, which start with a digit or ``*``, are
read by :func:`_sequence_key`)."""
