"""Commands of the authenticated state (RFC 3501 §6.3) and QUOTA (RFC 9208): mailboxes as a whole.

SELECT and EXAMINE open a mailbox; CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE change the
list of mailboxes that LIST, LSUB and STATUS report; APPEND adds a message; NAMESPACE and the
quota commands describe the store. Handlers work as in :mod:`~mailsec.retrieval.imap.auth`; what
a name may be is decided in :mod:`~mailsec.retrieval.imap.names`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from mailsec.retrieval.imap.names import (
    ancestors,
    check_name,
    existing_folder,
    list_pattern,
    mailbox_name,
    new_mailbox_name,
)
from mailsec.retrieval.imap.syntax import (
    Atom,
    Bad,
    No,
    astring,
    parse_date_time,
    parse_flag_list,
    quote,
)
from mailsec.retrieval.maildir import (
    QUOTA_ROOT,
    SYSTEM_FLAGS,
    Folder,
    MailStore,
    folder_name_problem,
)

if TYPE_CHECKING:
    from mailsec.retrieval.imap.session import Command, ImapSession

__all__ = [
    "append",
    "create",
    "delete",
    "getquota",
    "getquotaroot",
    "list_mailboxes",
    "namespace",
    "rename",
    "select",
    "setquota",
    "status",
    "subscribe",
]

OVERQUOTA = "[OVERQUOTA] Quota exceeded (mailbox for user is full)"
"""The NO text when a message would take the store over its quota (RFC 9208 §4.3, Dovecot's)."""


# -- SELECT and EXAMINE (RFC 3501 §6.3.1-6.3.2) -------------------------------------------------


def select(session: ImapSession, command: Command) -> str:
    """SELECT, or EXAMINE (read-only): open a mailbox and describe it."""
    examine = command.name == "EXAMINE"
    args = command.expect(1)
    if session.folder is not None:
        # RFC 3501 §6.3.1: selecting another mailbox first closes the current one, without
        # expunging, so a SELECT that fails leaves none selected; RFC 7162 §3.2.11 adds the
        # CLOSED response code that Dovecot sends.
        session.leave_folder()
        command.out.append(b"* OK [CLOSED] Previous mailbox closed.\r\n")
    name = mailbox_name(session.store, args[0])
    folder = existing_folder(session.store, name)
    folder.sync()
    session.enter_folder(folder, readonly=examine)
    command.out.extend(_opened(folder, session.view, session.recent, readonly=examine))
    if examine:
        return "[READ-ONLY] Examine completed."
    return "[READ-WRITE] Select completed."


def _opened(folder: Folder, view: list[int], recent: set[int], *, readonly: bool) -> list[bytes]:
    """The untagged responses that describe a mailbox just opened (RFC 3501 §6.3.1)."""
    flags = " ".join(SYSTEM_FLAGS)
    out = [f"* FLAGS ({flags})\r\n".encode()]
    if readonly:
        out.append(b"* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n")
    else:
        out.append(f"* OK [PERMANENTFLAGS ({flags})] Flags permitted.\r\n".encode())
    out.append(f"* {len(view)} EXISTS\r\n".encode())
    out.append(f"* {len(recent)} RECENT\r\n".encode())
    unseen = next(
        (i + 1 for i, u in enumerate(view) if "\\Seen" not in folder.messages[u].flags), None
    )
    if unseen is not None:
        out.append(f"* OK [UNSEEN {unseen}] First unseen.\r\n".encode())
    out.append(f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid\r\n".encode())
    out.append(f"* OK [UIDNEXT {folder.uidnext}] Predicted next UID\r\n".encode())
    return out


# -- CREATE, DELETE, RENAME (RFC 3501 §6.3.3-6.3.5) ---------------------------------------------


def create(session: ImapSession, command: Command) -> str:
    args = command.expect(1)
    store = session.store
    name = new_mailbox_name(store, args[0])
    if store.exists(name):
        raise No("[ALREADYEXISTS] Mailbox already exists")
    store.create_folder(name)
    return "Create completed."


def delete(session: ImapSession, command: Command) -> str:
    args = command.expect(1)
    store = session.store
    if astring(args[0]) == "":
        raise No("[CANNOT] Storage root can't be deleted.")
    name = mailbox_name(store, args[0])
    if name == "INBOX":
        raise No("INBOX can't be deleted.")
    if not store.exists(name):
        raise No(f"[NONEXISTENT] Mailbox doesn't exist: {name}")
    # RFC 3501 §6.3.4: the messages go with the folder (and stop counting for the quota).
    store.delete_folder(name)
    return "Delete completed."


def rename(session: ImapSession, command: Command) -> str:
    args = command.expect(2)
    store = session.store
    old, new = mailbox_name(store, args[0]), new_mailbox_name(store, args[1])
    if old == "INBOX":
        # RFC 3501 §6.3.5 allows moving INBOX's mail away; Dovecot refuses, and so do we.
        raise No("[CANNOT] Renaming INBOX isn't supported.")
    if not store.exists(old) and not store.has_children(old):
        raise No(f"[NONEXISTENT] Mailbox doesn't exist: {old}")
    if store.exists(new) or store.has_children(new):
        raise No("[ALREADYEXISTS] Target mailbox already exists.")
    if new.startswith(old + "."):
        raise No("[CANNOT] Can't rename mailbox under itself.")
    store.rename_folder(old, new)
    return "Rename completed."


# -- LIST, LSUB, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 §6.3.6-6.3.9) ---------------------------------


def list_mailboxes(session: ImapSession, command: Command) -> str:
    """LIST: the mailboxes a pattern matches; LSUB: the subscribed ones."""
    args = command.expect(2)
    reference, pattern = astring(args[0]), astring(args[1])
    if command.name == "LSUB":
        command.out.extend(_subscribed(session.store, reference, pattern))
        return "Lsub completed."
    command.out.extend(_listed(session.store, reference, pattern))
    return "List completed."


def _by_name(names: set[str] | dict[str, str]) -> list[str]:
    """Names in the order LIST and LSUB give them: INBOX first, then sorted."""
    return sorted(names, key=lambda n: (n != "INBOX", n))


def _listed(store: MailStore, reference: str, pattern: str) -> list[bytes]:
    """LIST's responses: every folder and every level above one (``\\Noselect`` when it is not
    a folder itself) that the pattern matches. An empty pattern asks for the delimiter."""
    if pattern == "":
        return [b'* LIST (\\Noselect) "." ""\r\n']
    regex = list_pattern(reference, pattern)
    names = store.folder_names()
    every = set(names)
    for name in names:
        every.update(ancestors(name))
    out = []
    for name in _by_name(every):
        if not regex.match(name):
            continue
        children = any(other.startswith(name + ".") for other in every)
        attrs = [] if name in names else ["\\Noselect"]
        attrs.append("\\HasChildren" if children else "\\HasNoChildren")
        out.append(f'* LIST ({" ".join(attrs)}) "." '.encode() + quote(name) + b"\r\n")
    return out


def _subscribed(store: MailStore, reference: str, pattern: str) -> list[bytes]:
    """LSUB's responses (RFC 3501 §6.3.9): only subscribed names; a parent that only has
    subscribed children shows as ``\\Noselect`` when ``%`` stops at it."""
    if pattern == "":
        return []
    regex = list_pattern(reference, pattern)
    stops_at_parents = "%" in reference + pattern
    subscribed = store.subscriptions()
    shown: dict[str, str] = {}
    for name in subscribed:
        if regex.match(name):
            shown[name] = ""
        for parent in ancestors(name):
            if parent not in subscribed and regex.match(parent) and stops_at_parents:
                shown.setdefault(parent, "\\Noselect")
    return [
        f'* LSUB ({shown[name]}) "." '.encode() + quote(name) + b"\r\n" for name in _by_name(shown)
    ]


def subscribe(session: ImapSession, command: Command) -> str:
    """SUBSCRIBE and UNSUBSCRIBE: the names LSUB lists (a name need not be a folder)."""
    args = command.expect(1)
    name = session.store.normalise(astring(args[0]))
    if command.name == "SUBSCRIBE" and folder_name_problem(name) is not None:
        raise No(f"Mailbox doesn't exist: {name}")  # Dovecot's answer to such a name
    name = mailbox_name(session.store, args[0])
    check_name(name)
    if command.name == "SUBSCRIBE":
        session.store.subscribe(name)
    else:
        session.store.unsubscribe(name)
    return f"{command.name.capitalize()} completed."


# -- STATUS (RFC 3501 §6.3.10) ----------------------------------------------------------------

_STATUS_ITEMS: dict[str, Callable[[Folder], int]] = {
    "MESSAGES": lambda folder: len(folder.messages),
    "RECENT": lambda folder: len(folder.claim_recent(keep=True)),
    "UIDNEXT": lambda folder: folder.uidnext,
    "UIDVALIDITY": lambda folder: folder.uidvalidity,
    "UNSEEN": lambda folder: sum(1 for m in folder.messages.values() if "\\Seen" not in m.flags),
}
"""How each STATUS item is counted, in the order they are answered."""
_STATUS_ORDER = tuple(_STATUS_ITEMS)


def status(session: ImapSession, command: Command) -> str:
    args = command.args
    if len(args) != 2 or not isinstance(args[1], list):
        raise Bad("Invalid arguments")
    name = mailbox_name(session.store, args[0])
    folder = existing_folder(session.store, name)
    folder.sync()
    values = []
    # Answered in a fixed order, whatever order they were asked in (as Dovecot does); an
    # unknown item sorts first, so nothing is counted before it is refused.
    for item in sorted(args[1], key=_status_rank):
        word = str(item).upper()
        count = _STATUS_ITEMS.get(word)
        if count is None:
            raise Bad(f"Invalid status item {item}")
        values.append(f"{word} {count(folder)}")
    command.out.append(b"* STATUS " + quote(name) + f" ({' '.join(values)})\r\n".encode())
    return "Status completed."


def _status_rank(item: object) -> int:
    word = str(item).upper()
    return _STATUS_ORDER.index(word) if word in _STATUS_ORDER else -1


# -- APPEND (RFC 3501 §6.3.11) ------------------------------------------------------------------


def append(session: ImapSession, command: Command) -> str:
    args = command.args
    if len(args) < 2 or not isinstance(args[-1], bytes):
        raise Bad("Invalid arguments")
    name = mailbox_name(session.store, args[0])
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
    folder = existing_folder(session.store, name, trycreate=True)
    if not session.store.fits(len(data)):
        raise No(OVERQUOTA)
    new_uid = folder.add(data, flags=flags, internaldate=date, origin=session)
    return f"[APPENDUID {folder.uidvalidity} {new_uid}] Append completed."


# -- NAMESPACE (RFC 2342) and QUOTA (RFC 9208) --------------------------------------------------


def namespace(session: ImapSession, command: Command) -> str:
    # RFC 2342 §5: one personal namespace, no prefix, "." between levels (Maildir++).
    command.out.append(b'* NAMESPACE (("" ".")) NIL NIL\r\n')
    return "Namespace completed."


def _quota_line(store: MailStore) -> bytes:
    used = math.ceil(store.used() / 1024)
    limit = math.ceil((store.quota or 0) / 1024)
    return f'* QUOTA "{QUOTA_ROOT}" (STORAGE {used} {limit})\r\n'.encode()


def getquotaroot(session: ImapSession, command: Command) -> str:
    args = command.expect(1)
    store = session.store
    name = mailbox_name(store, args[0])
    if not store.exists(name):
        raise No(f"Mailbox doesn't exist: {name}")
    if store.quota is None:
        command.out.append(b"* QUOTAROOT " + quote(name) + b"\r\n")
    else:
        command.out.append(b"* QUOTAROOT " + quote(name) + f' "{QUOTA_ROOT}"\r\n'.encode())
        command.out.append(_quota_line(store))
    return "Getquotaroot completed."


def getquota(session: ImapSession, command: Command) -> str:
    args = command.expect(1)
    if session.store.quota is None or astring(args[0]) != QUOTA_ROOT:
        raise No("Quota root doesn't exist")
    command.out.append(_quota_line(session.store))
    return "Getquota completed."


def setquota(session: ImapSession, command: Command) -> str:
    # RFC 9208 §4.1.3 lets a server refuse; the quota is the administrator's setting.
    raise No("Quota can be changed only by admin")
