"""Mailbox names (RFC 3501 §5.1): how an argument becomes a name, which names are valid, which
folder a name opens, and what a LIST pattern matches.

Names are Maildir++ folders with ``.`` between levels (the NAMESPACE is ``(("" "."))``); ``INBOX``
is the INBOX in any case, other names are case-sensitive.

Every command that takes a mailbox name reads it with :func:`mailbox_name` (an existing
mailbox) or :func:`new_mailbox_name` (one to be made), and both refuse, with Dovecot's words, a
name that :func:`~mailsec.retrieval.maildir.folder_name_problem` refuses: ``./victim``, ``/``,
``..``, ``~x``, control characters. The Maildir checks again where names become paths.
LIST and LSUB patterns never become paths: they are matched against the folders that exist.
"""

from __future__ import annotations

from mailsec.retrieval.imap.syntax import LITERAL_AT_END, Bad, No, astring, tokenize
from mailsec.retrieval.maildir import Folder, MailStore, folder_name_problem

__all__ = [
    "ListPattern",
    "ancestors",
    "append_refusal",
    "check_name",
    "existing_folder",
    "list_pattern",
    "mailbox_name",
    "new_mailbox_name",
]


def mailbox_name(store: MailStore, token: object) -> str:
    """The mailbox a command argument names (``inbox`` in any case is ``INBOX``); NO with the
    reason when no mailbox can have that name."""
    name = store.normalise(astring(token))
    problem = folder_name_problem(name)
    if problem is not None:
        raise No(problem)
    return name


def new_mailbox_name(store: MailStore, token: object) -> str:
    """The name for a mailbox to be made (CREATE, RENAME): a trailing ``.`` only says that
    names will go below it (RFC 3501 §6.3.3), so it is dropped. NO when it cannot be made."""
    name = store.normalise(astring(token))
    stripped = name.rstrip(".") if name.endswith(".") and not name.endswith("..") else name
    check_name(stripped)
    return stripped


def check_name(name: str) -> None:
    """Refuse (NO with the reason) a name a new mailbox cannot have: everything
    :func:`mailbox_name` refuses, and wildcards, backslashes and quotes. INBOX is always valid."""
    if name == "INBOX":
        return
    problem = MailStore.check_name(name)
    if problem:
        raise No(problem)


def append_refusal(store: MailStore, first_line: bytes) -> str | None:
    """Why an APPEND whose first line is ``first_line`` is refused before its message is read,
    or None: its mailbox cannot exist, or does not. A mailbox name given as a literal itself is
    checked later, when the command runs."""
    head = LITERAL_AT_END.sub(b"", first_line).split(b" ", 2)
    try:
        tokens = tokenize([head[2]]) if len(head) > 2 else []
    except (Bad, No):
        return None  # malformed: the command itself answers BAD once it is read
    if not tokens or isinstance(tokens[0], (bytes, list)):
        return None
    name = store.normalise(astring(tokens[0]))
    problem = folder_name_problem(name)
    if problem is not None:
        return problem
    if not store.exists(name):
        return f"[TRYCREATE] Mailbox doesn't exist: {name}"
    return None


def existing_folder(store: MailStore, name: str, *, trycreate: bool = False) -> Folder:
    """The folder called ``name``, or NO. ``trycreate``: the client may create the mailbox and
    try again (RFC 3501 §7.1, APPEND, COPY and MOVE)."""
    try:
        return store.folder(name)
    except KeyError:
        code = "[TRYCREATE] " if trycreate else ""
        raise No(f"{code}Mailbox doesn't exist: {name}") from None


class ListPattern:
    """A LIST or LSUB pattern (RFC 3501 §6.3.8): ``*`` matches anything, ``%`` anything but the
    ``.`` between levels; INBOX matches in any case.

    Matching runs in time linear in the name (no regular expression, which backtracks: a pattern
    such as ``%*%*%*X`` took seconds per name and stalled every other session). The pattern is a
    small automaton whose positions are the bits of one integer: each character of the name moves
    every position at once (a "bitap" matcher with wildcards).
    """

    def __init__(self, full: str) -> None:
        self.ignore_case = full.upper().startswith("INBOX")
        text = full.lower() if self.ignore_case else full
        tokens: list[str] = []
        for char in text:
            if char in "*%" and tokens and tokens[-1] in "*%" and len(tokens[-1]) == 1:
                # A run of wildcards is one: '*' if any of them is '*', else '%'.
                tokens[-1] = "*" if "*" in (char, tokens[-1]) else "%"
            else:
                tokens.append(char)
        self.literals = sum(1 for t in tokens if t not in "*%")
        self.accept = 1 << len(tokens)
        self.star = sum(1 << i for i, t in enumerate(tokens) if t == "*")
        self.percent = sum(1 << i for i, t in enumerate(tokens) if t == "%")
        self.by_char: dict[str, int] = {}
        for i, t in enumerate(tokens):
            if t not in "*%":
                self.by_char[t] = self.by_char.get(t, 0) | 1 << i
        self.start = self._closure(1)

    def _closure(self, state: int) -> int:
        """A wildcard may match nothing: from its position the next one is reached too."""
        return state | (state & (self.star | self.percent)) << 1

    def match(self, name: str) -> bool:
        if len(name) < self.literals:
            return False  # every literal character of the pattern needs one of the name's
        state = self.start
        for char in name.lower() if self.ignore_case else name:
            moved = (state & self.by_char.get(char, 0)) << 1
            kept = state & (self.star if char == "." else self.star | self.percent)
            state = self._closure(moved | kept)
            if not state:
                return False
        return bool(state & self.accept)


def list_pattern(reference: str, pattern: str) -> ListPattern:
    """The names LIST and LSUB show for a reference and a pattern (RFC 3501 §6.3.8)."""
    return ListPattern(reference + pattern)


def ancestors(name: str) -> list[str]:
    """The names above ``name`` in the hierarchy: ``a.b.c`` has ``a`` and ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]
