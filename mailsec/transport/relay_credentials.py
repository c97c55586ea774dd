"""Passwords in a mail client's plaintext lines, as a wiretap reads them.

:class:`PasswordReader` takes the client's lines in order (:func:`client_commands` joins an IMAP
command with the literal it announces) and says which line gives a password away:

- POP3: ``USER`` then ``PASS`` (RFC 1939 §7), the password in clear;
- IMAP: ``LOGIN user password`` (RFC 3501 §6.2.3) as atoms, quoted strings or literals (§4.3);
- SASL ``PLAIN`` and ``LOGIN`` in SMTP's ``AUTH`` (RFC 4954 §4), POP3's (RFC 5034 §4) and IMAP's
  ``AUTHENTICATE`` (§6.2.2), with an initial response (RFC 4959) or on the following lines:
  base64, an encoding (RFC 4648 §4), not encryption. PLAIN's message is authorization identity,
  NUL, user, NUL, password (RFC 4616 §2); LOGIN sends the user, then the password. ``*``
  cancels an exchange (RFC 4954 §4).

APOP and CRAM-MD5 send a digest, not the password: nothing is read from them. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mailsec.errors import one_line
from mailsec.transport.relay_recording import MailProtocol

__all__ = ["NUL", "Found", "PasswordReader", "client_commands"]

NUL = "[NUL]"
"""How a NUL octet of a decoded SASL message is shown (PLAIN separates its parts with it)."""

_LITERAL = re.compile(rb"\{(\d{1,9})\+?\}\r?\n\Z")
"""The end of an IMAP line announcing a literal (RFC 3501 §4.3; LITERAL+ from RFC 7888)."""


@dataclass(frozen=True)
class Found:
    """What one client line gives away."""

    decoded: str | None
    """The line's base64 decoded, for a SASL response (NUL shown as [NUL])."""
    credential: tuple[str, str | None, str, str] | None
    """(mechanism, user, password, RFC section) when the line completes a login."""


_AUTH_SECTION = {
    MailProtocol.SMTP: "RFC 4954 §4",
    MailProtocol.POP3: "RFC 5034 §4",
    MailProtocol.IMAP: "RFC 3501 §6.2.2",
}


def _imap_strings(text: bytes) -> list[bytes]:
    """The arguments of an IMAP command: atoms, quoted strings and literals (RFC 3501 §4.3)."""
    found, pos = [], 0
    while pos < len(text):
        if text[pos : pos + 1] in (b" ", b"\r", b"\n"):
            pos += 1
        elif text[pos : pos + 1] == b'"':
            value, pos = bytearray(), pos + 1
            while pos < len(text) and text[pos : pos + 1] != b'"':
                pos += 2 if text[pos : pos + 1] == b"\\" else 1
                value += text[pos - 1 : pos]
            found.append(bytes(value))
            pos += 1
        elif match := re.match(rb"\{(\d{1,9})\+?\}\r?\n", text[pos:]):
            start = pos + match.end()
            found.append(text[start : start + int(match.group(1))])
            pos = start + int(match.group(1))
        else:
            end = text.find(b" ", pos)
            end = len(text) if end < 0 else end
            found.append(text[pos:end].rstrip(b"\r\n"))
            pos = end
    return found


class PasswordReader:
    """Reads the client's lines in order and finds the passwords in them."""

    def __init__(self, protocol: MailProtocol) -> None:
        self.protocol = protocol
        self.user: str | None = None
        self.sasl: bytes | None = None  # PLAIN or LOGIN, while its responses are awaited
        self.login_user: str | None = None

    def feed(self, line: bytes) -> Found | None:
        body = line.rstrip(b"\r\n")
        if self.sasl is not None:
            return self._response(body)
        words = body.split(None, 2 if self.protocol is MailProtocol.IMAP else 1)
        if self.protocol is MailProtocol.IMAP:
            words = words[1:]  # the tag
        command = words[0].upper() if words else b""
        rest = words[1] if len(words) > 1 else b""
        text = rest.decode("utf-8", "replace")
        if self.protocol is MailProtocol.POP3 and command == b"USER":
            self.user = text
        elif self.protocol is MailProtocol.POP3 and command == b"PASS":
            return Found(None, ("USER/PASS", self.user, text, "RFC 1939 §7"))
        elif self.protocol is MailProtocol.IMAP and command == b"LOGIN":
            args = _imap_strings(line.split(None, 2)[2] if len(line.split(None, 2)) > 2 else b"")
            if len(args) >= 2:
                user, password = (a.decode("utf-8", "replace") for a in args[:2])
                return Found(None, ("LOGIN", user, password, "RFC 3501 §6.2.3"))
        elif command in (b"AUTH", b"AUTHENTICATE"):
            parts = rest.split()
            mechanism = parts[0].upper() if parts else b""
            if mechanism in (b"PLAIN", b"LOGIN"):
                self.sasl, self.login_user = mechanism, None
                if len(parts) > 1:  # an initial response (RFC 4954 §4, RFC 4959)
                    return self._response(parts[1])
        return None

    def _response(self, body: bytes) -> Found | None:
        mechanism = self.sasl
        if body == b"*":  # the client cancels (RFC 4954 §4)
            self.sasl = None
            return None
        try:
            data = b"" if body == b"=" else base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            self.sasl = None
            return None
        decoded = data.decode("utf-8", "replace")
        name = f"{'AUTHENTICATE' if self.protocol is MailProtocol.IMAP else 'AUTH'} "
        name += (mechanism or b"").decode()
        section = _AUTH_SECTION[self.protocol]
        if mechanism == b"PLAIN":
            self.sasl = None
            parts = decoded.split("\0")
            shown = one_line(decoded.replace("\0", NUL))
            if len(parts) != 3:
                return Found(shown, None)
            return Found(shown, (name, parts[1], parts[2], section))
        if self.login_user is None:  # LOGIN: first the user name, then the password
            self.login_user = decoded
            return Found(one_line(decoded), None)
        self.sasl = None
        return Found(one_line(decoded), (name, self.login_user, decoded, section))


def client_commands(
    protocol: MailProtocol, lines: list[tuple[int, bytes]]
) -> Iterator[tuple[int, bytes]]:
    """The client's commands: an IMAP line announcing a literal is joined with what follows."""
    index = 0
    while index < len(lines):
        offset, line = lines[index]
        joined = 0
        while (
            protocol is MailProtocol.IMAP
            and _LITERAL.search(line)
            and index + 1 < len(lines)
            and joined < 4
        ):
            index += 1
            joined += 1
            line += lines[index][1]
        yield offset, line
        index += 1
