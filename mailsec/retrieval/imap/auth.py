"""Commands of every state, and logging in (RFC 3501 §6.1-6.2, RFC 2177 IDLE).

Each handler takes the session and the :class:`~mailsec.retrieval.imap.session.Command`, appends
untagged responses to ``command.out`` and returns the text of the tagged OK; it raises
:class:`~mailsec.retrieval.imap.syntax.Bad` or :class:`~mailsec.retrieval.imap.syntax.No` to
refuse. AUTHENTICATE, which reads the client's response on a line of its own, is part of the
session's input handling (:meth:`ImapSession.feed`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailsec.retrieval.imap.syntax import Bad, No, astring
from mailsec.retrieval.sasl import credentials_match

if TYPE_CHECKING:
    from mailsec.retrieval.imap.session import Command, ImapSession

__all__ = ["CAPABILITIES", "capability", "idle", "login", "logout", "noop"]

CAPABILITIES = (
    "IMAP4rev1 SASL-IR LITERAL+ IDLE NAMESPACE UNSELECT UIDPLUS MOVE QUOTA QUOTA=RES-STORAGE "
    "AUTH=PLAIN"
)
"""What this server can do (RFC 3501 §7.2.1, RFC 4959, RFC 7888, RFC 2177, RFC 4315, RFC 9208
§3.1, RFC 4616, RFC 2342, RFC 3691, RFC 6851)."""


def capability(session: ImapSession, command: Command) -> str:
    if command.args:
        raise Bad("Invalid arguments")
    command.out.append(f"* CAPABILITY {CAPABILITIES}\r\n".encode())
    return "Capability completed."


def noop(session: ImapSession, command: Command) -> str:
    """NOOP, and CHECK in the selected state: look for changes (reported as untagged updates)."""
    if session.folder is not None:
        session.folder.sync()
    return "NOOP completed." if command.name == "NOOP" else "Check completed."


def idle(session: ImapSession, command: Command) -> str:
    """IDLE (RFC 2177): the session answers ``+ idling`` and pushes updates until DONE."""
    if command.args:
        raise Bad("Invalid arguments")
    session.idling = command.tag
    return ""


def logout(session: ImapSession, command: Command) -> str:
    session.connection_lost()
    command.out.append(b"* BYE Logging out\r\n")
    return "Logout completed."


def login(session: ImapSession, command: Command) -> str:
    args = command.expect(2)
    user, password = astring(args[0]), astring(args[1])
    if not credentials_match(user, password, user=session.user, password=session.password):
        session.auth_failures += 1
        raise No("[AUTHENTICATIONFAILED] Authentication failed.")
    session.logged_in()
    return f"[CAPABILITY {CAPABILITIES}] Logged in"
