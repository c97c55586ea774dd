"""Mailbox names (RFC 3501 §5.1): how an argument becomes a name, which names are valid, which
folder a name opens, and what a LIST pattern matches.

Names are Maildir++ folders with ``.`` between levels (the NAMESPACE is ``(("" "."))``); ``INBOX``
is the INBOX in any case, other names are case-sensitive.

:func:`check_name` is the one rule for what may name a mailbox. Today CREATE, RENAME (the new
name) and SUBSCRIBE go through it; the other commands look the name up as it is given.
"""

from __future__ import annotations

import re

from mailsec.retrieval.imap.syntax import No, astring
from mailsec.retrieval.maildir import Folder, MailStore

__all__ = [
    "ancestors",
    "check_name",
    "existing_folder",
    "list_pattern",
    "mailbox_name",
    "new_mailbox_name",
]


def mailbox_name(store: MailStore, token: object) -> str:
    """The mailbox a command argument names (``inbox`` in any case is ``INBOX``)."""
    return store.normalise(astring(token))


def new_mailbox_name(store: MailStore, token: object) -> str:
    """The name for a mailbox to be made (CREATE, RENAME): a trailing ``.`` only says that
    names will go below it (RFC 3501 §6.3.3), so it is dropped."""
    return mailbox_name(store, token).rstrip(".")


def check_name(name: str) -> None:
    """Refuse (NO with the reason) a name that cannot be a mailbox: not printable ASCII, mUTF-7
    (``&``), wildcards, ``/``, ``\\``, quotes, or an empty level. INBOX is always valid."""
    if name == "INBOX":
        return
    problem = MailStore.check_name(name)
    if problem:
        raise No(problem)


def existing_folder(store: MailStore, name: str, *, trycreate: bool = False) -> Folder:
    """The folder called ``name``, or NO. ``trycreate``: the client may create the mailbox and
    try again (RFC 3501 §7.1, APPEND, COPY and MOVE)."""
    try:
        return store.folder(name)
    except KeyError:
        code = "[TRYCREATE] " if trycreate else ""
        raise No(f"{code}Mailbox doesn't exist: {name}") from None


def list_pattern(reference: str, pattern: str) -> re.Pattern[str]:
    """The names LIST and LSUB show for a reference and a pattern (RFC 3501 §6.3.8): ``*``
    matches anything, ``%`` anything but the ``.`` between levels; INBOX matches in any case."""
    full = reference + pattern
    return re.compile(
        "^"
        + "".join(".*" if c == "*" else "[^.]*" if c == "%" else re.escape(c) for c in full)
        + "$",
        re.IGNORECASE if full.upper().startswith("INBOX") else 0,
    )


def ancestors(name: str) -> list[str]:
    """The names above ``name`` in the hierarchy: ``a.b.c`` has ``a`` and ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]
