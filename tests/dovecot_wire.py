"""Side by side with Dovecot, for ``tests/test_dovecot_compare_*.py``.

Where RFC 1939 and RFC 3501 leave a choice (error texts, which numbers are BAD, the UIDL format,
\\Seen after RETR, the POP3 lock reply) our servers follow Dovecot 2.3. Those tests run a private
Dovecot (its own configuration, base_dir and passwd-file in a temporary folder) and our servers
over Maildirs holding the same messages, send both the same commands over a bare connection
(:class:`Wire`, which reads the greeting apart) and compare the replies after :func:`normalise`
has removed what legitimately differs: timing figures Dovecot adds to tagged replies, UIDVALIDITY
values and dates; each test also leaves out the capability lists. Without Dovecot installed they
are skipped (:data:`needs_dovecot`).
"""

from __future__ import annotations

import re
import socket

import pytest

from mailsec.retrieval.servers import DovecotServers

needs_dovecot = pytest.mark.skipif(
    not DovecotServers.available(),
    reason="Dovecot is not installed (Debian packages dovecot-imapd and dovecot-pop3d)",
)

MESSAGES = [
    b"From: ann@example.org\nSubject: one\n\nFirst body\n.leading dot\n",
    b"From: bob@example.org\nSubject: two\n\nSecond\nbody\n",
    b"From: cy@example.org\nSubject: three\n\nThird\n",
]
TIMEOUT = 10
QUOTA = 100 * 1024


class Wire:
    """A bare connection that sends one line and reads the whole reply."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline()

    def pop3(self, line: bytes, *, multi: bool = False) -> list[bytes]:
        self.sock.sendall(line + b"\r\n")
        reply = [self.file.readline()]
        if multi and reply[0].startswith(b"+OK"):
            while reply[-1] != b".\r\n":
                reply.append(self.file.readline())
        return reply

    def imap(self, line: bytes) -> list[bytes]:
        tag = line.split(b" ", 1)[0] + b" "
        self.sock.sendall(line + b"\r\n")
        reply = []
        while True:
            got = self.file.readline()
            assert got, "connection closed"
            reply.append(got)
            literal = re.search(rb"\{(\d+)\}\r\n$", got)
            if literal:
                reply.append(self.file.read(int(literal.group(1))))
            if got.startswith(tag):
                return reply

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def normalise(lines: list[bytes]) -> list[str]:
    out = []
    for raw in lines:
        text = raw.decode("utf-8", "replace")
        text = re.sub(r" \(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)", "", text)
        text = re.sub(r"(UIDVALIDITY|COPYUID|APPENDUID) \d+", r"\1 V", text)
        text = re.sub(r"[0-9a-f]{8}([0-9a-f]{8})", lambda m: m.group(0)[:8] + "V", text)
        text = re.sub(r'INTERNALDATE "[^"]+"', 'INTERNALDATE "D"', text)
        out.append(text)
    return out
