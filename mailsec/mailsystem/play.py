"""What a scenario of chapter 09 can do, and what it collects: :class:`Play`.

A play writes a letter (and signs and encrypts it with S/MIME when the defence is on), sends it
over the system's routes (through ISP A's edge, recorded as the sequence diagram's arrows),
submits it as Alice, finds where it landed in Bob's mailbox, and reads it with Bob's client over
IMAPS -- collecting the :class:`~mailsec.mailsystem.verdicts.Facts` the verdicts are made from.
The scenarios themselves are in :mod:`mailsec.mailsystem.scenarios`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import secrets
import ssl

from mailsec.i18n import texts
from mailsec.mailsystem.delivery import Session, send
from mailsec.mailsystem.plan import ACCOUNTS, WORLD, Defences
from mailsec.mailsystem.reader import Opened, open_smime, read_message
from mailsec.mailsystem.system import MailSystem
from mailsec.mailsystem.timeline import (
    Control,
    Event,
)
from mailsec.mailsystem.verdicts import Facts
from mailsec.smime.messages import sign_and_encrypt, sign_message
from mailsec.trace import Outcome

__all__ = ["ALICE", "BOB", "TEXT", "Play"]

ALICE = "alice@bank.example"
BOB = "bob@example.com"
FORGED_FROM = "bank.example Security <security@bank.example>"
ACCOUNT, FORGED_ACCOUNT = b"1234-5678", b"6666-0000"

TEXT = texts(
    {
        "read": "IMAPS 993: Bob's client fetched the message from {folder}",
        "read_failed": "IMAPS 993: Bob's client found nothing ({problem})",
        "read_hop": "mail.example.com:993 → Bob's client (IMAPS)",
        "opened": "S/MIME: {result} ({reason})",
        "landed": "The message is in Bob's {folder}.",
        "rejected": "example.com's MX refused the message: {reply}",
        "dropped": "ISP A's edge dropped the connection: the message never left the home network.",
        "lost": "The message did not arrive: {reply}",
        "captured": "The eavesdropper read Bob's password off the wire ({setting}).",
        "safe": "The eavesdropper read no password: {why}",
        "filled": "Bob's mailbox is filled to its quota with old newsletters",
        "emptied": "The old newsletters are removed again",
        "inside_tls": "the password went inside TLS: the wiretap saw only encrypted records",
        "wiretap_hop": "Bob's client ↔ mail.example.com:{port} (POP3), as the eavesdropper saw it",
        "pop3": "POP3: Bob's client logs in ({setting})",
        "settings": {
            "none": "No TLS",
            "opportunistic": "Use TLS if available (STARTTLS when offered)",
            "required": "Require STARTTLS",
            "implicit": "TLS from the first byte (implicit TLS port)",
        },
        "plain_reader": "Read as plain text: anyone with the mailbox password reads it.",
        "eve": ("Attacker on the path", "Wi-Fi or a router between"),
        "isp-edge": ("ISP A's edge router", "OP25B"),
        "chapter": "chapter {number}",
        "unknown": "Unknown scenario {name!r}: the scenarios are {names}.",
    }
)
"""Every sentence a scenario writes into its run (see :mod:`mailsec.i18n`)."""


def _letter(subject: str, body: str, *, sender: str = f"Alice <{ALICE}>", to: str = BOB,
            when: float) -> tuple[bytes, str]:  # fmt: skip
    """A plain-text message and its Message-ID."""
    message_id = f"<{secrets.token_hex(8)}@bank.example>"
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {email.utils.formatdate(when)}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode("ascii"), message_id


class Play:
    """What a scenario's play can do; collects the facts as it goes."""

    def __init__(self, system: MailSystem) -> None:
        self.system = system
        self.facts = Facts()
        self.message_id = ""

    @property
    def defences(self) -> Defences:
        return self.system.defences

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.system.clock(), dt.timezone.utc)

    def letter(self, subject: str, body: str, **options: str) -> bytes:
        message, self.message_id = _letter(subject, body, when=self.system.clock(), **options)
        return message

    def smime(self, message: bytes, *, encrypt: bool = True) -> bytes:
        """Alice's S/MIME, when the defence is on: signed, and encrypted to Bob."""
        if not self.defences.smime:
            return message
        alice, bob = self.system.users[ALICE], self.system.users[BOB]
        if encrypt:
            return sign_and_encrypt(
                message, key=alice.key, certificate=alice.certificate, recipients=[bob.certificate]
            )
        return sign_message(message, key=alice.key, certificate=alice.certificate)

    def send(
        self,
        source: str,
        target: str,
        port: int,
        *,
        mail_from: str,
        rcpts: list[str],
        message: bytes,
        starttls: str = "opportunistic",
        context: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
        helo: str | None = None,
    ) -> Session:
        """One SMTP session from ``source`` to ``target``'s course address (recorded); the
        options are :func:`~mailsec.mailsystem.delivery.send`'s."""
        client, server = WORLD.host(source), WORLD.host(target)
        assert self.system.internet is not None
        session = send(
            self.system.internet, client, str(server.ipv4), port,
            mail_from=mail_from, rcpts=rcpts, message=message, starttls=starttls,
            context=context, login=login, helo=helo,
            on_route=lambda route: self.system.journal.hop_started(client, route),
        )  # fmt: skip
        if session.route is not None and session.route.ruling is not None:
            self.facts.edge.append(session.route.ruling)
        self.system.journal.hop_ended(client, session)
        return session

    def submit(self, message: bytes, rcpt: str = BOB) -> Session:
        """Alice submits from home: 587, STARTTLS required, AUTH (RFC 6409, RFC 8314)."""
        return self.send(
            "alice-pc", "bank-submit", 587,
            mail_from=ALICE, rcpts=[rcpt], message=message, starttls="required",
            context=self.system.client_context(), login=(ALICE, ACCOUNTS[ALICE]),
        )  # fmt: skip

    def landed(self) -> str | None:
        """Where the message with :attr:`message_id` is in Bob's mailbox (None: nowhere)."""
        for folder in (None, "Junk"):
            for message in self.system.mailboxes.messages(BOB, folder):
                if self.message_id.encode() in message.split(b"\n\n", 1)[0]:
                    return folder or "INBOX"
        return None

    def read(self, *, key: bool = True) -> bytes | None:
        """Bob's client (or, without ``key``, another client) reads the message over IMAPS."""
        folder = self.facts.landed = self.landed()
        if folder is None:
            return None
        assert self.system.internet is not None
        reading = read_message(
            self.system.internet.listening_port("mailstore", 993),
            user="bob", password=ACCOUNTS[BOB], context=self.system.client_context(),
            folder=folder, message_id=self.message_id,
            hop=TEXT["read_hop"],
        )  # fmt: skip
        kept = self.system.journal.add_transcript(reading.transcript)
        index = kept if kept >= 0 else None
        if reading.message is None:
            label = TEXT["read_failed"].format(problem=reading.problem)
            self.system.journal.record(
                Event("mailstore", "bob-pc", label, Outcome.FAIL, transcript=index)
            )
            return None
        self.facts.read_over_tls = True
        label = TEXT["read"].format(folder=folder)
        self.system.journal.record(
            Event("mailstore", "bob-pc", label, Outcome.OK, transcript=index)
        )
        assert self.system.ca is not None  # the system is running
        opening = open_smime(
            reading.message,
            reader=self.system.users[BOB] if key else None,
            trusted=self.system.ca.certificate,
            now=self.now(),
        )
        self.facts.opening = opening
        look = {Opened.VALID: Outcome.OK, Opened.PLAIN: Outcome.INFO,
                Opened.ENCRYPTED_UNSIGNED: Outcome.INFO}.get(opening.result, Outcome.FAIL)  # fmt: skip
        if opening.result is Opened.NO_KEY:
            look = Outcome.OK if not key else Outcome.FAIL
        self.system.journal.record(
            Event("bob-pc", None, TEXT["opened"].format(result=opening.result.label,
                  reason=opening.reason), look, section="RFC 8551 §3", control=Control.SMIME)
        )  # fmt: skip
        return reading.message

    def outcome_of(self, session: Session) -> None:
        """The final sentence for a message sent straight to the MX."""
        if session.route is not None and session.route.dropped:
            self.facts.final = TEXT["dropped"]
            return
        folder = self.facts.landed = self.landed()
        if folder is not None:
            self.facts.final = TEXT["landed"].format(folder=folder)
        else:
            self.facts.final = TEXT["rejected"].format(reply=f"{session.code} {session.reply}")

    def delivered_to_bob(self) -> bool:
        """After delivery: where the message landed, and the final sentence."""
        folder = self.facts.landed = self.landed()
        if folder is None:
            last = self.system.journal.refusal
            self.facts.final = TEXT["lost"].format(reply=last)
            return False
        self.facts.final = TEXT["landed"].format(folder=folder)
        return folder == "INBOX"
