"""Commands of the selected state (RFC 3501 §6.4, RFC 3691, RFC 4315, RFC 6851): the messages of
the open mailbox.

FETCH, STORE, SEARCH, COPY and MOVE name messages by number or, after ``UID``, by UID
(``command.uid``); the session turns either into (number, UID) pairs. CLOSE, UNSELECT and EXPUNGE
end or tidy the selection. Handlers work as in :mod:`~mailsec.retrieval.imap.auth`; how items
and search keys are read is in :mod:`~mailsec.retrieval.imap.fetch` and
:mod:`~mailsec.retrieval.imap.search`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from mailsec.retrieval.imap.fetch import FetchedMessage, FetchItem, parse_fetch_items, render
from mailsec.retrieval.imap.mailboxes import OVERQUOTA
from mailsec.retrieval.imap.names import existing_folder, mailbox_name
from mailsec.retrieval.imap.search import SearchScope, matching_uids
from mailsec.retrieval.imap.syntax import Atom, Bad, No, compress, parse_flag_list
from mailsec.retrieval.maildir import Folder

if TYPE_CHECKING:
    from mailsec.retrieval.imap.session import Command, ImapSession

__all__ = ["close", "copy", "expunge", "fetch", "move", "search", "store", "unselect"]

GONE = "Some of the requested messages no longer exist."
"""The NO text when another session expunged a message the command names (Dovecot's)."""


def _selected(session: ImapSession) -> Folder:
    # The dispatcher runs these commands only in the selected state.
    assert session.folder is not None
    return session.folder


# -- ending the selection (RFC 3501 §6.4.2, RFC 3691) and EXPUNGE (§6.4.3, RFC 4315 §2.1) --------


def unselect(session: ImapSession, command: Command) -> str:
    # RFC 3691: like CLOSE, but nothing is expunged.
    session.leave_folder()
    return "Unselect completed."


def close(session: ImapSession, command: Command) -> str:
    folder = _selected(session)
    if not session.readonly:
        # RFC 3501 §6.4.2: CLOSE expunges silently (no untagged EXPUNGE to this client).
        folder.expunge(
            (
                u
                for u in session.view
                if "\\Deleted" in getattr(folder.messages.get(u), "flags", ())
            ),
            origin=session,
        )
    session.leave_folder()
    return "Close completed."


def expunge(session: ImapSession, command: Command) -> str:
    """EXPUNGE, or UID EXPUNGE (RFC 4315 §2.1): only the \\Deleted messages of a UID set."""
    folder = _selected(session)
    if session.readonly:
        raise No("Mailbox is read-only")
    allowed: set[int] | None = None
    if command.uid:
        if len(command.args) != 1 or not isinstance(command.args[0], Atom):
            raise Bad("Invalid arguments")
        allowed = set(session.uid_set(str(command.args[0])))
    elif command.args:
        raise Bad("Invalid arguments")
    doomed = [
        u
        for u in session.view
        if u in folder.messages
        and "\\Deleted" in folder.messages[u].flags
        and (allowed is None or u in allowed)
    ]
    folder.expunge(doomed, origin=session)
    # The EXPUNGE responses come from the session's updates, in ascending order with renumbering.
    return "Expunge completed."


# -- FETCH (RFC 3501 §6.4.5) ------------------------------------------------------------------


def fetch(session: ImapSession, command: Command) -> str:
    _selected(session)
    args = command.expect(2)
    targets = session.targets(args[0], command.uid)
    items = parse_fetch_items(args[1])
    if command.uid and not any(i.name == "UID" for i in items):
        items.insert(0, FetchItem("UID"))
    missing = False
    for number, uid in targets:
        response = _fetch_one(session, number, uid, items, by_uid=command.uid)
        if response is None:
            missing = True
        else:
            command.out.append(response)
    if missing:
        raise No(GONE)
    return "Fetch completed."


def _fetch_one(
    session: ImapSession, number: int, uid: int, items: list[FetchItem], *, by_uid: bool
) -> bytes | None:
    """The ``* n FETCH`` response for one message; ``None`` when it has gone."""
    folder = _selected(session)
    msg = folder.messages.get(uid)
    if msg is None:
        return None
    message = FetchedMessage(
        uid,
        msg.size,
        msg.internaldate,
        flags=lambda: session.flags_of(uid),
        read=lambda: folder.read(uid),
    )
    rendered = render(items, message)
    if rendered is None:
        return None
    parts, unpeeked = rendered
    if unpeeked and not session.readonly and "\\Seen" not in msg.flags:
        # RFC 3501 §6.4.5: BODY[...] sets \Seen; the new flags are reported.
        folder.set_flags(uid, msg.flags | {"\\Seen"}, origin=session)
        if not any(i.name == "FLAGS" for i in items):
            parts.insert(1 if by_uid else 0, f"FLAGS ({session.flags_of(uid)})".encode())
    return f"* {number} FETCH (".encode() + b" ".join(parts) + b")\r\n"


# -- STORE (RFC 3501 §6.4.6) ------------------------------------------------------------------

_STORE_MODES: dict[str, Callable[[frozenset[str], frozenset[str]], frozenset[str]]] = {
    "FLAGS": lambda old, given: given,
    "+FLAGS": lambda old, given: old | given,
    "-FLAGS": lambda old, given: old - given,
}
"""A message's new flags from its old ones and the command's, for each kind of STORE."""


def store(session: ImapSession, command: Command) -> str:
    folder = _selected(session)
    args = command.args
    if len(args) < 3 or not isinstance(args[1], Atom):
        raise Bad("Invalid arguments")
    targets = session.targets(args[0], command.uid)
    mode = args[1].upper()
    silent = mode.endswith(".SILENT")
    new_flags = _STORE_MODES.get(mode.removesuffix(".SILENT"))
    if new_flags is None:
        raise Bad(f"Invalid arguments: {args[1]}")
    flag_tokens = args[2] if len(args) == 3 and isinstance(args[2], list) else args[2:]
    flags = parse_flag_list(flag_tokens)
    if session.readonly:
        return "Store ignored with read-only mailbox."
    missing = False
    for number, uid in targets:
        msg = folder.messages.get(uid)
        if msg is None:
            missing = True
            continue
        try:
            folder.set_flags(uid, new_flags(msg.flags, flags), origin=session)
        except KeyError:
            missing = True
            continue
        session.flags_reported(uid)
        if not silent:
            uid_part = f"UID {uid} " if command.uid else ""
            command.out.append(
                f"* {number} FETCH ({uid_part}FLAGS ({session.flags_of(uid)}))\r\n".encode()
            )
    if missing:
        raise No(GONE)
    return "Store completed."


# -- COPY (RFC 3501 §6.4.7, RFC 4315 COPYUID) and MOVE (RFC 6851) -------------------------------


def _still_there(folder: Folder, targets: list[tuple[int, int]]) -> list[int]:
    """The UIDs of the targets, or NO when another session expunged any of them."""
    present = [u for _number, u in targets if u in folder.messages]
    if len(present) != len(targets):
        raise No(GONE)
    return present


def _copy_into(
    folder: Folder, destination: Folder, uids: Iterable[int], origin: ImapSession
) -> list[int]:
    """Copy messages with their flags and internal dates; their UIDs in the destination."""
    new_uids = []
    for uid in uids:
        msg = folder.messages[uid]
        data = folder.read(uid)
        new_uids.append(
            destination.add(data, flags=msg.flags, internaldate=msg.internaldate, origin=origin)
        )
    return new_uids


def _copy_arguments(
    session: ImapSession, command: Command
) -> tuple[Folder, list[tuple[int, int]], Folder]:
    """COPY's and MOVE's arguments: the open folder, the messages named and the destination
    (``NO [TRYCREATE]`` when it does not exist)."""
    folder = _selected(session)
    args = command.expect(2)
    targets = session.targets(args[0], command.uid)
    name = mailbox_name(session.store, args[1])
    return folder, targets, existing_folder(session.store, name, trycreate=True)


def copy(session: ImapSession, command: Command) -> str:
    folder, targets, destination = _copy_arguments(session, command)
    present = _still_there(folder, targets)
    if not session.store.fits(sum(folder.messages[u].size for u in present)):
        raise No(OVERQUOTA)
    if not present:
        return "No messages found."
    new_uids = _copy_into(folder, destination, present, session)
    src, dst = compress(present), compress(new_uids)
    return f"[COPYUID {destination.uidvalidity} {src} {dst}] Copy completed."


def move(session: ImapSession, command: Command) -> str:
    """MOVE (RFC 6851): copy, then expunge the originals; the new UIDs in an untagged OK."""
    folder, targets, destination = _copy_arguments(session, command)
    if session.readonly:
        # EXAMINE promises no change to the mailbox (RFC 3501 §6.3.2); Dovecot moves anyway.
        raise No("Mailbox is read-only.")
    present = _still_there(folder, targets)
    if not present:
        return "No messages found."
    new_uids = _copy_into(folder, destination, present, session)
    # Only now are the originals removed: a failure above leaves them where they were.
    folder.expunge(present, origin=session)
    command.out.append(
        f"* OK [COPYUID {destination.uidvalidity} {compress(present)} {compress(new_uids)}] "
        "Moved UIDs.\r\n".encode()
    )
    return "Move completed."


# -- SEARCH (RFC 3501 §6.4.4) -----------------------------------------------------------------


def search(session: ImapSession, command: Command) -> str:
    """SEARCH, or UID SEARCH: the matching messages' numbers (or UIDs) in one response."""
    folder = _selected(session)
    scope = SearchScope(folder, session.view, session.recent, session.uid_set)
    found = matching_uids(scope, command.args)
    if not command.uid:
        positions = session.positions()
        found = [positions[u] for u in found]
    command.out.append(("* SEARCH" + "".join(f" {n}" for n in found) + "\r\n").encode())
    return "Search completed."
