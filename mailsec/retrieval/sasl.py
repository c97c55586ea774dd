"""SASL PLAIN (RFC 4616) and the credential check that POP3 and IMAP share.

Both servers know one account. POP3 (``USER``/``PASS``, ``AUTH PLAIN``, RFC 5034) and IMAP
(``LOGIN``, ``AUTHENTICATE PLAIN``, RFC 3501 §6.2) ask the same three questions, answered here once:

- :class:`ConnectionSecurity` -- may this connection log in at all? A server that requires TLS
  refuses every login before TLS is active (RFC 2595 §3.2, RFC 3501 §6.2.3, RFC 8314 §3), from
  any address: unlike Dovecot, the course does not count a loopback connection as secure;

- :func:`credentials_match` -- are this user name and password the account's? Both are compared
  in constant time (:func:`hmac.compare_digest`), so the time taken does not tell how much of a
  guess was right;
- :func:`check_plain` -- what a client's PLAIN response amounts to: the client gave up (``*``),
  the response is not base64 of ``authzid NUL authcid NUL password``, or the credentials are
  accepted or refused.

The reply texts are each protocol's own (they follow Dovecot's) and stay in
:mod:`mailsec.retrieval.pop3` and :mod:`mailsec.retrieval.imap`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hmac
from dataclasses import dataclass

__all__ = [
    "ConnectionSecurity",
    "PlainOutcome",
    "check_plain",
    "credentials_match",
    "decode_plain",
]


@dataclass
class ConnectionSecurity:
    """What one connection offers and requires of TLS, and whether it is inside TLS now.

    The default is a server without TLS: nothing offered, nothing required, every login allowed.
    The shell sets :attr:`active` when a handshake has succeeded (after STLS or STARTTLS, or at
    once on an implicit-TLS port, RFC 8314 §3.3).
    """

    offered: bool = False
    """The server has a certificate: it can start TLS (STLS, RFC 2595 §4; STARTTLS, RFC 3501
    §6.2.1)."""
    required: bool = False
    """Logins are refused until TLS is active (Dovecot's ``ssl = required``)."""
    active: bool = False
    """This connection is inside TLS now."""

    @property
    def may_start(self) -> bool:
        """STLS / STARTTLS is offered (advertised, and would be accepted) now."""
        return self.offered and not self.active

    @property
    def login_allowed(self) -> bool:
        """A login may be tried now: TLS is active or not required."""
        return self.active or not self.required


class PlainOutcome(enum.Enum):
    """What a client's SASL PLAIN response amounts to."""

    ACCEPTED = "accepted"
    """The credentials are the account's: the client is logged in."""
    REFUSED = "refused"
    """Well formed, but the user, the password or the authorisation identity is wrong."""
    MALFORMED = "malformed"
    """Not base64 of three UTF-8 strings separated by NUL (RFC 4616 §2)."""
    ABORTED = "aborted"
    """The client answered a continuation request with ``*`` (RFC 3501 §6.2.2, RFC 5034 §4)."""


def decode_plain(data: bytes) -> tuple[str, str, str] | None:
    """A SASL PLAIN response (RFC 4616 §2): base64 of authzid NUL authcid NUL password;
    ``None`` when it is not one."""
    try:
        raw = base64.b64decode(b"" if data == b"=" else data, validate=True)
        authzid, user, password = raw.decode("utf-8").split("\0")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return authzid, user, password


def credentials_match(given_user: str, given_password: str, *, user: str, password: str) -> bool:
    """Whether the client's user name and password are the account's, compared in constant time
    (only the lengths can show); both are always compared."""
    user_ok = hmac.compare_digest(_octets(given_user), _octets(user))
    password_ok = hmac.compare_digest(_octets(given_password), _octets(password))
    return user_ok & password_ok


def check_plain(response: bytes, *, initial: bool, user: str, password: str) -> PlainOutcome:
    """Check a PLAIN response: sent with the command (``initial``, SASL-IR RFC 4959) or on the
    line after a continuation request. The authorisation identity must be empty or the user
    itself: this server lets no one act for another (RFC 4616 §2)."""
    if response == b"*" and not initial:
        return PlainOutcome.ABORTED
    credentials = decode_plain(response)
    if credentials is None:
        return PlainOutcome.MALFORMED
    authzid, given_user, given_password = credentials
    if not credentials_match(given_user, given_password, user=user, password=password):
        return PlainOutcome.REFUSED
    if authzid not in ("", given_user):
        return PlainOutcome.REFUSED
    return PlainOutcome.ACCEPTED


def _octets(text: str) -> bytes:
    # compare_digest takes str only when it is ASCII; any text encodes one-to-one this way.
    return text.encode("utf-8", "surrogatepass")
