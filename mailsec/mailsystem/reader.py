"""Bob's mail client: reading over IMAP4 with TLS, and opening S/MIME.

:func:`read_message` logs in to the system's IMAPS server (RFC 8314 §3: TLS from the first byte,
the certificate checked against the system's CA), selects the folder, finds the message by its
Message-ID and fetches it; the dialogue is kept as a :class:`~mailsec.mailsystem.timeline.
Transcript` (the password masked: this transcript is what Bob's client saw, not a wiretap).

:func:`open_smime` is what an S/MIME client does with it (RFC 8551): decrypt with the reader's
key when the message is encrypted, then verify the signature against the trusted CA and the
From: address. A reader without the key gets the opaque decryption error and no content.
"""

from __future__ import annotations

import datetime as dt
import enum
import imaplib
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509

from mailsec.errors import DecryptionError, InputError
from mailsec.i18n import texts
from mailsec.limits import MAIL_CLIENT_TIMEOUT
from mailsec.mailsystem.timeline import Transcript, TranscriptLine
from mailsec.pki.ca import Identity
from mailsec.smime.messages import MessageKind, decrypt_message, message_kind, verify_message

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["Opened", "Opening", "Reading", "open_smime", "read_message"]

MAX_SCAN = 50
"""Messages looked at to find one by Message-ID (the course mailbox holds a few)."""

MAX_LINES = 200

TEXT = texts(
    {
        "literal": "<{size} bytes of message>",
        "login": "{tag} LOGIN {user} <password>",
        "not_found": "the message {message_id} is not in {folder}",
        "opened": {
            "plain": "plain",
            "valid": "valid",
            "bad signature": "bad signature",
            "no key": "no key",
            "encrypted, unsigned": "encrypted, unsigned",
        },
        "not_smime": "not an S/MIME message",
        "no_private_key": "encrypted, and this client has no private key",
        "not_signed_inside": "decrypted; not signed",
        "not_signed": "not signed",
    }
)
"""The transcript's summaries and the S/MIME client's words (see :mod:`mailsec.i18n`)."""


class _RecordingImap(imaplib.IMAP4_SSL):
    """imaplib's IMAPS client, writing down both sides (literals summarised)."""

    def __init__(
        self,
        lines: list[TranscriptLine],
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext,
        timeout: float | None,
    ) -> None:
        self.lines = lines
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _keep(self, client: bool, text: str) -> None:
        if len(self.lines) < MAX_LINES:
            self.lines.append(TranscriptLine(client, text))

    def send(self, data: ReadableBuffer) -> None:
        text = bytes(data).decode("utf-8", "replace").rstrip("\r\n")
        words = text.split(" ")
        if len(words) >= 3 and words[1].upper() == "LOGIN":
            text = TEXT["login"].format(tag=words[0], user=words[2])
        self._keep(True, text)
        super().send(data)

    def read(self, size: int) -> bytes:
        data = super().read(size)
        self._keep(False, TEXT["literal"].format(size=len(data)))
        return data

    def readline(self) -> bytes:
        line = super().readline()
        self._keep(False, line.decode("utf-8", "replace").rstrip("\r\n"))
        return line


@dataclass(frozen=True)
class Reading:
    """What Bob's client fetched."""

    message: bytes | None
    transcript: Transcript
    problem: str = ""


def read_message(
    port: int,
    *,
    user: str,
    password: str,
    context: ssl.SSLContext,
    folder: str,
    message_id: str,
    hop: str,
    host: str = "127.0.0.1",
) -> Reading:
    """Fetch the message with ``message_id`` from ``folder`` over IMAPS (module docstring)."""
    lines: list[TranscriptLine] = []
    found: bytes | None = None
    problem = ""
    try:
        imap = _RecordingImap(lines, host, port, ssl_context=context, timeout=MAIL_CLIENT_TIMEOUT)
        try:
            imap.login(user, password)
            imap.select(folder, readonly=True)
            _, data = imap.search(None, "ALL")
            numbers = (data[0] or b"").split()[-MAX_SCAN:]
            for number in reversed(numbers):
                _, parts = imap.fetch(number.decode("ascii"), "(RFC822)")
                body = next((p[1] for p in parts if isinstance(p, tuple)), b"")
                if message_id.encode() in body.split(b"\r\n\r\n", 1)[0]:
                    found = body
                    break
            imap.logout()
        finally:
            imap.shutdown()
    except (OSError, imaplib.IMAP4.error) as exc:
        problem = str(exc)
    if found is None and not problem:
        problem = TEXT["not_found"].format(message_id=message_id, folder=folder)
    return Reading(found, Transcript(hop, "IMAP", tuple(lines), tls=True), problem)


class Opened(enum.Enum):
    """What the S/MIME client could make of a message."""

    PLAIN = "plain"
    """No S/MIME at all: nothing to check, nothing hidden."""
    VALID = "valid"
    """Decrypted (if encrypted) and the signature verified: from the signer, unchanged."""
    BAD_SIGNATURE = "bad signature"
    """The signature does not verify: changed after signing, or not from whom it says."""
    NO_KEY = "no key"
    """Encrypted, and this reader cannot decrypt it: the content stays hidden."""
    ENCRYPTED_UNSIGNED = "encrypted, unsigned"
    """Decrypted, but nothing says who wrote it."""

    @property
    def label(self) -> str:
        """The result in words, in the current language (the value in English)."""
        return TEXT["opened"][self.value]


@dataclass(frozen=True)
class Opening:
    """The S/MIME client's result: what it found and one sentence why."""

    result: Opened
    reason: str
    content: bytes | None = None


def open_smime(
    message: bytes,
    *,
    reader: Identity | None,
    trusted: x509.Certificate,
    now: dt.datetime | None = None,
) -> Opening:
    """Decrypt (with ``reader``'s key, if any) and verify ``message`` (module docstring)."""
    try:
        kind = message_kind(message)
    except InputError:
        return Opening(Opened.PLAIN, TEXT["not_smime"], message)
    if kind in (MessageKind.ENVELOPED, MessageKind.AUTH_ENVELOPED):
        if reader is None:
            return Opening(Opened.NO_KEY, TEXT["no_private_key"])
        try:
            inner = decrypt_message(message, key=reader.key, certificate=reader.certificate)
        except DecryptionError as exc:
            return Opening(Opened.NO_KEY, str(exc))
        message = bytes(inner.message)  # decrypt_message's is bytes already: not copied
        try:
            kind = message_kind(message)
        except InputError:
            return Opening(Opened.ENCRYPTED_UNSIGNED, TEXT["not_signed_inside"], message)
    if kind not in (MessageKind.SIGNED, MessageKind.OPAQUE_SIGNED):
        return Opening(
            Opened.PLAIN if kind is MessageKind.PLAIN else Opened.ENCRYPTED_UNSIGNED,
            TEXT["not_signed"],
            message,
        )
    checked = verify_message(message, trusted=[trusted], now=now)
    if checked.valid:
        return Opening(Opened.VALID, checked.status.description, checked.content)
    return Opening(Opened.BAD_SIGNATURE, checked.status.description)
