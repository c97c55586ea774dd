"""Commands of every state, and logging in (RFC 3501 §6.1-6.2, RFC 2177 IDLE, STARTTLS).

Each handler takes the session and the :class:`~mailsec.retrieval.imap.session.Command`, appends
untagged responses to ``command.out`` and returns the text of the tagged OK; it raises
:class:`~mailsec.retrieval.imap.syntax.Bad` or :class:`~mailsec.retrieval.imap.syntax.No` to
refuse. AUTHENTICATE, which reads the client's response on a line of its own, is part of the
session's input handling (:meth:`ImapSession.feed`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailsec.retrieval.imap.syntax import Bad, No, astring
from mailsec.retrieval.sasl import ConnectionSecurity, credentials_match

if TYPE_CHECKING:
    from mailsec.retrieval.imap.session import Command, ImapSession

__all__ = [
    "CAPABILITIES",
    "TLS_TEXTS",
    "capabilities_before_login",
    "capability",
    "idle",
    "login",
    "logout",
    "noop",
]

CAPABILITIES = (
    "IMAP4rev1 SASL-IR LITERAL+ IDLE NAMESPACE UNSELECT UIDPLUS MOVE QUOTA QUOTA=RES-STORAGE "
    "AUTH=PLAIN"
)
"""What this server can do (RFC 3501 §7.2.1, RFC 4959, RFC 7888, RFC 2177, RFC 4315, RFC 9208
§3.1, RFC 4616, RFC 2342, RFC 3691, RFC 6851)."""

_BEFORE_AUTH = CAPABILITIES.removesuffix(" AUTH=PLAIN")

TLS_TEXTS = {
    "begin": "Begin TLS negotiation now.",
    "active": "TLS is already active.",
    "alert": (
        "[ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it "
        "anyway. If anyone was listening, the password was exposed."
    ),
    "login_refused": (
        "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
    ),
    "authenticate_refused": "[PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled.",
}
"""The replies about TLS, in Dovecot's words (RFC 3501 §6.2.1, PRIVACYREQUIRED from RFC 5530)."""


def capabilities_before_login(security: ConnectionSecurity) -> str:
    """The capabilities before login: STARTTLS while it is offered (RFC 3501 §6.2.1), and
    AUTH=PLAIN when a login is allowed, LOGINDISABLED when it is not (§7.2.1), in Dovecot's
    order. Without TLS configured they are :data:`CAPABILITIES`."""
    tls = " STARTTLS" if security.may_start else ""
    login = " AUTH=PLAIN" if security.login_allowed else " LOGINDISABLED"
    return f"{_BEFORE_AUTH}{tls}{login}"


def capability(session: ImapSession, command: Command) -> str:
    if command.args:
        raise Bad("Invalid arguments")
    command.out.append(f"* CAPABILITY {session.capabilities()}\r\n".encode())
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
    """LOGIN (RFC 3501 §6.2.3); before TLS, when TLS is required, refused with Dovecot's alert
    (the password has crossed the network in the clear already)."""
    args = command.expect(2)
    if not session.security.login_allowed:
        command.out.append(f"* BAD {TLS_TEXTS['alert']}\r\n".encode())
        raise No(TLS_TEXTS["login_refused"])
    user, password = astring(args[0]), astring(args[1])
    if not credentials_match(user, password, user=session.user, password=session.password):
        session.auth_failures += 1
        raise No("[AUTHENTICATIONFAILED] Authentication failed.")
    session.logged_in()
    return f"[CAPABILITY {CAPABILITIES}] Logged in"
