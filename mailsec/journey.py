"""A message's journey from sender to reader, and where each chapter's mechanism acts on it.

This is the map of the course (chapter 00): pick how a message is sent, how it is read and how it is
protected, and :func:`plan_journey` lists the hops it takes — client to server to server to client —
with the protocol and port of each hop and the mechanism that acts there:

- OP25B at the sender's ISP edge (chapter 02),
- SPF, DKIM and DMARC at the recipient's mail exchanger (chapters 03 and 07),
- POP3 or IMAP4 when the reader fetches it (chapter 01),
- S/MIME or PGP end to end, with hybrid encryption inside (chapters 04-06).

Pure data: no network, nothing is sent. The chapters show each hop for real.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.trace import Outcome, Step

__all__ = ["Hop", "Journey", "Protection", "Reading", "Sending", "plan_journey"]


class Sending(enum.Enum):
    """How the message leaves the sender."""

    ISP_SERVER = "mail client → the ISP's own mail server"
    """The home user's mail client hands the message to the ISP's mail server (port 25 or 587)."""
    SUBMISSION = "mail client → a mail provider's submission port 587 (login required)"
    """The client logs in to its mail provider's submission service (RFC 6409) from anywhere."""
    WEBMAIL = "webmail in a browser (HTTPS, port 443)"
    """The person writes in a web page; the provider's servers send it on."""
    DIRECT_TO_MX = "a program on the home PC → the recipient's mail server, port 25"
    """What spam-sending malware does: skip every server and talk to the recipient's MX directly."""


class Reading(enum.Enum):
    """How the recipient reads the message."""

    POP3 = "POP3: download to the device"
    IMAP4 = "IMAP4: read it on the server"
    WEBMAIL = "webmail in a browser"


class Protection(enum.Enum):
    """Protection of the message's content from end to end."""

    NONE = "none (plain text)"
    SMIME = "S/MIME (certificates)"
    PGP = "PGP (OpenPGP keys)"


@dataclass(frozen=True)
class Hop:
    """One hop of the journey."""

    source: str
    destination: str
    protocol: str
    port: int | None
    outcome: Outcome
    note: str
    chapter: str
    """Which chapter shows this hop from the inside, e.g. "02 OP25B"."""


@dataclass(frozen=True)
class Journey:
    """The hops a message takes, whether it arrives, and the explanation."""

    sending: Sending
    reading: Reading
    protection: Protection
    hops: tuple[Hop, ...]
    delivered: bool
    steps: tuple[Step, ...]


SENDER_PC = "sender's home PC (ISP A)"
RECIPIENT_MX = "recipient's mail server (MX)"


def _sending_hops(sending: Sending) -> list[Hop]:
    if sending is Sending.ISP_SERVER:
        return [
            Hop(
                SENDER_PC,
                "ISP A's mail server",
                "SMTP",
                25,
                Outcome.OK,
                "Inside ISP A's own network: OP25B lets port 25 to the ISP's server pass.",
                "02 OP25B",
            ),
            Hop(
                "ISP A's mail server",
                RECIPIENT_MX,
                "SMTP",
                25,
                Outcome.OK,
                "Server to server on port 25, the normal path of Internet mail.",
                "02 OP25B",
            ),
        ]
    if sending is Sending.SUBMISSION:
        return [
            Hop(
                SENDER_PC,
                "mail provider's submission server",
                "SMTP + AUTH",
                587,
                Outcome.OK,
                "Port 587 is not port 25, so OP25B does not apply; the server asks for a login "
                "(RFC 6409).",
                "02 OP25B",
            ),
            Hop(
                "mail provider's submission server",
                RECIPIENT_MX,
                "SMTP",
                25,
                Outcome.OK,
                "The provider's server relays the mail to the recipient's MX.",
                "02 OP25B",
            ),
        ]
    if sending is Sending.WEBMAIL:
        return [
            Hop(
                SENDER_PC,
                "webmail service",
                "HTTPS",
                443,
                Outcome.OK,
                "A web page, not port 25: OP25B does not see mail here.",
                "02 OP25B",
            ),
            Hop(
                "webmail service",
                RECIPIENT_MX,
                "SMTP",
                25,
                Outcome.OK,
                "The webmail provider's servers send it on.",
                "02 OP25B",
            ),
        ]
    return [
        Hop(
            SENDER_PC,
            RECIPIENT_MX,
            "SMTP",
            25,
            Outcome.FAIL,
            "Dropped by OP25B: ISP A blocks port 25 from its customers' dynamic addresses to outside "
            "mail servers. The message never leaves ISP A.",
            "02 OP25B",
        ),
    ]


def _reading_hop(reading: Reading) -> Hop:
    if reading is Reading.POP3:
        return Hop(
            "recipient's mailbox",
            "recipient's device",
            "POP3",
            995,
            Outcome.OK,
            "The message is downloaded to one device; it can be read offline there.",
            "01 POP3 vs IMAP4",
        )
    if reading is Reading.IMAP4:
        return Hop(
            "recipient's mailbox",
            "recipient's devices",
            "IMAP4",
            993,
            Outcome.OK,
            "The message stays on the server; every device sees it and its read mark.",
            "01 POP3 vs IMAP4",
        )
    return Hop(
        "recipient's mailbox",
        "recipient's browser",
        "HTTPS",
        443,
        Outcome.OK,
        "The provider shows the mailbox as a web page; the mail stays on the server.",
        "01 POP3 vs IMAP4",
    )


def plan_journey(
    *,
    sending: Sending = Sending.ISP_SERVER,
    reading: Reading = Reading.IMAP4,
    protection: Protection = Protection.NONE,
) -> Journey:
    """The hops a message takes for the given ways of sending, reading and protecting it."""
    hops = _sending_hops(sending)
    steps = [Step(f"Sending: {sending.value}.", Outcome.INFO)]
    delivered = all(h.outcome is not Outcome.FAIL for h in hops)
    if delivered:
        hops.append(
            Hop(
                RECIPIENT_MX,
                "sender domain's DNS",
                "DNS (SPF, DKIM and DMARC records)",
                53,
                Outcome.OK,
                "The recipient's server asks the sender domain's DNS whether the sending server's "
                "IP address is allowed to send its mail (SPF), for the key that checks the "
                "message's DKIM signature, and for the From: domain's DMARC policy.",
                "03 SPF, 07 DKIM and DMARC",
            )
        )
        hops.append(_reading_hop(reading))
    for hop in hops:
        port = f" port {hop.port}" if hop.port else ""
        steps.append(
            Step(
                f"{hop.source} → {hop.destination} ({hop.protocol}{port}): {hop.note}",
                hop.outcome,
                section=f"chapter {hop.chapter}",
            )
        )
    if protection is Protection.NONE:
        steps.append(
            Step(
                "No end-to-end protection: every server on the way can read and change the "
                "message.",
                Outcome.WARN,
                section="chapters 04-06",
            )
        )
    else:
        steps.append(
            Step(
                f"{protection.value}: encrypted in the sender's client and decrypted only in the "
                "recipient's client (hybrid encryption); the servers on the way carry ciphertext, "
                "but still see the envelope and headers such as Subject.",
                Outcome.OK,
                section="chapters 04-06",
            )
        )
    steps.append(
        Step(
            "The message reaches the recipient."
            if delivered
            else "The message does not arrive: the first hop was dropped.",
            Outcome.OK if delivered else Outcome.FAIL,
        )
    )
    return Journey(sending, reading, protection, tuple(hops), delivered, tuple(steps))
