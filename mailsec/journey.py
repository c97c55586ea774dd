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

from mailsec.i18n import texts
from mailsec.trace import Outcome, Step

__all__ = ["TEXT", "Hop", "Journey", "Protection", "Reading", "Sending", "label", "plan_journey"]


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


TEXT = texts(
    {
        "sending": {
            "ISP_SERVER": "mail client → the ISP's own mail server",
            "SUBMISSION": "mail client → a mail provider's submission port 587 (login required)",
            "WEBMAIL": "webmail in a browser (HTTPS, port 443)",
            "DIRECT_TO_MX": "a program on the home PC → the recipient's mail server, port 25",
        },
        "reading": {
            "POP3": "POP3: download to the device",
            "IMAP4": "IMAP4: read it on the server",
            "WEBMAIL": "webmail in a browser",
        },
        "protection": {
            "NONE": "none (plain text)",
            "SMIME": "S/MIME (certificates)",
            "PGP": "PGP (OpenPGP keys)",
        },
        "nodes": {
            "sender_pc": "sender's home PC (ISP A)",
            "recipient_mx": "recipient's mail server (MX)",
            "isp_server": "ISP A's mail server",
            "submission": "mail provider's submission server",
            "webmail": "webmail service",
            "dns": "sender domain's DNS",
            "mailbox": "recipient's mailbox",
            "device": "recipient's device",
            "devices": "recipient's devices",
            "browser": "recipient's browser",
        },
        "dns_protocol": "DNS (SPF, DKIM and DMARC records)",
        "chapters": {
            "01": "01 POP3 vs IMAP4",
            "02": "02 OP25B",
            "03+07": "03 SPF, 07 DKIM and DMARC",
        },
        "notes": {
            "isp_inside": "Inside ISP A's own network: OP25B lets port 25 to the ISP's server pass.",
            "isp_relay": "Server to server on port 25, the normal path of Internet mail.",
            "submission": "Port 587 is not port 25, so OP25B does not apply; the server asks for a "
            "login (RFC 6409).",
            "submission_relay": "The provider's server relays the mail to the recipient's MX.",
            "webmail": "A web page, not port 25: OP25B does not see mail here.",
            "webmail_relay": "The webmail provider's servers send it on.",
            "direct": "Dropped by OP25B: ISP A blocks port 25 from its customers' dynamic "
            "addresses to outside mail servers. The message never leaves ISP A.",
            "pop3": "The message is downloaded to one device; it can be read offline there.",
            "imap4": "The message stays on the server; every device sees it and its read mark.",
            "webmail_read": "The provider shows the mailbox as a web page; the mail stays on the "
            "server.",
            "dns": "The recipient's server asks the sender domain's DNS whether the sending "
            "server's IP address is allowed to send its mail (SPF), for the key that checks the "
            "message's DKIM signature, and for the From: domain's DMARC policy.",
        },
        "step_sending": "Sending: {way}.",
        "step_hop": "{source} → {destination} ({protocol} port {port}): {note}",
        "step_hop_portless": "{source} → {destination} ({protocol}): {note}",
        "chapter": "chapter {chapter}",
        "chapters_e2e": "chapters 04-06",
        "unprotected": "No end-to-end protection: every server on the way can read and change the "
        "message.",
        "protected": "{protection}: encrypted in the sender's client and decrypted only in the "
        "recipient's client (hybrid encryption); the servers on the way carry ciphertext, but "
        "still see the envelope and headers such as Subject.",
        "delivered": "The message reaches the recipient.",
        "dropped": "The message does not arrive: the first hop was dropped.",
    }
)
"""The journey's words (see :mod:`mailsec.i18n`): the menus' labels, the boxes' names, each
hop's note and the explanation. The enums' values stay the English data they always were."""


def label(member: Sending | Reading | Protection) -> str:
    """How a menu shows ``member``, in the current language (its value, in English)."""
    group = {Sending: "sending", Reading: "reading", Protection: "protection"}[type(member)]
    return TEXT[group][member.name]


def _node(key: str) -> str:
    return TEXT["nodes"][key]


def _note(key: str) -> str:
    return TEXT["notes"][key]


def _chapter(key: str) -> str:
    return TEXT["chapters"][key]


def _sending_hops(sending: Sending) -> list[Hop]:
    pc, mx = _node("sender_pc"), _node("recipient_mx")
    if sending is Sending.ISP_SERVER:
        isp = _node("isp_server")
        return [
            Hop(pc, isp, "SMTP", 25, Outcome.OK, _note("isp_inside"), _chapter("02")),
            Hop(isp, mx, "SMTP", 25, Outcome.OK, _note("isp_relay"), _chapter("02")),
        ]
    if sending is Sending.SUBMISSION:
        server = _node("submission")
        return [
            Hop(pc, server, "SMTP + AUTH", 587, Outcome.OK, _note("submission"), _chapter("02")),
            Hop(server, mx, "SMTP", 25, Outcome.OK, _note("submission_relay"), _chapter("02")),
        ]
    if sending is Sending.WEBMAIL:
        web = _node("webmail")
        return [
            Hop(pc, web, "HTTPS", 443, Outcome.OK, _note("webmail"), _chapter("02")),
            Hop(web, mx, "SMTP", 25, Outcome.OK, _note("webmail_relay"), _chapter("02")),
        ]
    return [Hop(pc, mx, "SMTP", 25, Outcome.FAIL, _note("direct"), _chapter("02"))]


def _reading_hop(reading: Reading) -> Hop:
    box = _node("mailbox")
    if reading is Reading.POP3:
        return Hop(box, _node("device"), "POP3", 995, Outcome.OK, _note("pop3"), _chapter("01"))
    if reading is Reading.IMAP4:
        return Hop(box, _node("devices"), "IMAP4", 993, Outcome.OK, _note("imap4"), _chapter("01"))
    return Hop(
        box, _node("browser"), "HTTPS", 443, Outcome.OK, _note("webmail_read"), _chapter("01")
    )


def plan_journey(
    *,
    sending: Sending = Sending.ISP_SERVER,
    reading: Reading = Reading.IMAP4,
    protection: Protection = Protection.NONE,
) -> Journey:
    """The hops a message takes for the given ways of sending, reading and protecting it."""
    hops = _sending_hops(sending)
    steps = [Step(TEXT["step_sending"].format(way=label(sending)), Outcome.INFO)]
    delivered = all(h.outcome is not Outcome.FAIL for h in hops)
    if delivered:
        hops.append(
            Hop(
                _node("recipient_mx"),
                _node("dns"),
                TEXT["dns_protocol"],
                53,
                Outcome.OK,
                _note("dns"),
                _chapter("03+07"),
            )
        )
        hops.append(_reading_hop(reading))
    for hop in hops:
        fields = {
            "source": hop.source,
            "destination": hop.destination,
            "protocol": hop.protocol,
            "port": hop.port,
            "note": hop.note,
        }
        text = TEXT["step_hop" if hop.port else "step_hop_portless"].format(**fields)
        steps.append(Step(text, hop.outcome, section=TEXT["chapter"].format(chapter=hop.chapter)))
    if protection is Protection.NONE:
        steps.append(Step(TEXT["unprotected"], Outcome.WARN, section=TEXT["chapters_e2e"]))
    else:
        steps.append(
            Step(
                TEXT["protected"].format(protection=label(protection)),
                Outcome.OK,
                section=TEXT["chapters_e2e"],
            )
        )
    steps.append(
        Step(
            TEXT["delivered"] if delivered else TEXT["dropped"],
            Outcome.OK if delivered else Outcome.FAIL,
        )
    )
    return Journey(sending, reading, protection, tuple(hops), delivered, tuple(steps))
