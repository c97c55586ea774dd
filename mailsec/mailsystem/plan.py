"""The capstone's world: who is who, at which address, and which defences are switched on.

The mail system of chapter 09 is small but complete. Every machine has a course address
(RFC 5737 documentation ranges, each role its own, so no record covers a machine by accident)
and plays it on loopback: it sends from its own loopback alias -- ``127.x.y.z`` made of the last
three numbers of its course address (all of 127.0.0.0/8 is loopback on Linux, RFC 1122 §3.2.1.3)
-- so a receiving server learns who connects from the socket, as on the Internet, and never from
a claim of the client. Servers listen on free ports of 127.0.0.1; the system's routing table
(:mod:`mailsec.mailsystem.network`) takes a course address and port to that listener.

::

    ISP A (home broadband, OP25B at its edge)      bank.example (the sender's organization)
      alice-pc   198.51.100.140  Alice at home       smtp.bank.example 192.0.2.41  submission 587
      bot-pc     198.51.100.200  infected PC         out.bank.example  192.0.2.42  outbound MTA
    hosting (rented servers, no OP25B)             example.com (the recipient's organization)
      vps        203.0.113.66   attacker's server    mx.example.com    192.0.2.10  MX, port 25
    university.example                               mail.example.com  192.0.2.11  POP3/IMAP
      mx.university.example 203.0.113.140 forwards   bob-pc            192.0.2.100 Bob's client
    lists.example                                  DNS: ns.example 192.0.2.53, on 127.0.0.1
      mail.lists.example 192.0.2.200  mailing list

:class:`Defences` are the learner's switches (chapter 09's "defend example.com"); the DNS zone
(:func:`zone_text`) publishes the bank's records as the switches say.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields

from mailsec.dkim.course import course_signers
from mailsec.dkim.keys import zone_entry
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.op25b.model import Host, Network, Service, ServiceKind, World

__all__ = [
    "ACCOUNTS",
    "DESKTOP",
    "DMARC_POLICIES",
    "HOST_TEXT",
    "LOGINS",
    "PRESETS",
    "WORLD",
    "Defences",
    "loopback_alias",
    "zone_text",
]

V6 = ipaddress.IPv6Network("2001:db8::/32")


def _net(id_: str, name: str, cidr: str, pool: str | None = None, isp: bool = False) -> Network:
    return Network(
        id_,
        name,
        ipaddress.IPv4Network(cidr),
        V6,
        ipaddress.IPv4Network(pool) if pool else None,
        is_isp=isp,
    )


def _host(
    id_: str,
    hostname: str,
    net: str,
    ip: str,
    *,
    services: tuple[Service, ...] = (),
    accounts: tuple[tuple[str, str], ...] = (),
    local_domains: tuple[str, ...] = (),
    mailboxes: tuple[str, ...] = (),
    is_client: bool = False,
) -> Host:
    label, text = HOST_TEXT.source[id_]
    last = int(ipaddress.IPv4Address(ip)) & 0xFFFF
    return Host(
        id_,
        label,
        hostname,
        net,
        ipaddress.IPv4Address(ip),
        ipaddress.IPv6Address(f"2001:db8::{last:x}"),
        text,
        services=services,
        accounts=accounts,
        local_domains=local_domains,
        mailboxes=mailboxes,
        is_client=is_client,
    )


#: The course accounts (course values, printed by ``mailsystem start``; not secrets).
ACCOUNTS = {
    "alice@bank.example": "alice-course-password",
    "bob@example.com": "bob-course-password",
}

#: How each account logs in, and where: Alice submits mail with her address as the SMTP AUTH
#: user; Bob reads his with the POP3/IMAP user name ``bob``.
LOGINS = {
    "alice@bank.example": ("alice@bank.example", "submission"),
    "bob@example.com": ("bob", "pop3, imap, pop3s, imaps"),
}

HOST_TEXT = texts(
    {
        "alice-pc": ("Alice's PC", "Alice, a bank employee, writes from home."),
        "bot-pc": ("Infected PC", "A home PC in ISP A's pool, run by the attacker's bot."),
        "vps": ("Attacker's server", "A rented server; evil.example is the attacker's own domain."),
        "bank-submit": (
            "Bank submission",
            "The bank's submission server: port 587, STARTTLS then AUTH (RFC 6409).",
        ),
        "bank-out": (
            "Bank outbound MTA",
            "The bank's outbound MTA: signs with DKIM and delivers to the recipient's MX.",
        ),
        "mx": ("example.com MX", "example.com's MX: SPF, DKIM, ARC and DMARC checks, Junk, quota."),
        "mailstore": ("POP3/IMAP server", "Bob's mailbox: POP3 and IMAP4, with and without TLS."),
        "bob-pc": ("Bob's mail client", "Bob reads his mail here."),
        "university": ("University MX", "Forwards carol@university.example to Bob's mailbox."),
        "lists": (
            "Mailing list",
            "team@lists.example: tags the subject, adds a footer, seals with ARC.",
        ),
        "desktop": (
            "Your mail client",
            "A mail program on this computer (Thunderbird, say), outside the course's networks.",
        ),
    }
)
"""Each machine's name in the diagrams and one sentence about it, by id (see
:mod:`mailsec.i18n`). The :class:`~mailsec.op25b.model.Host` values keep the English; the
diagrams look the words up when a scenario is played."""


WORLD = World(
    networks=(
        # "isp-a" is the network chapter 02's edge rule knows as the ISP with OP25B.
        _net("isp-a", "ISP A (home broadband)", "198.51.100.0/24", "198.51.100.128/25", True),
        _net("hosting", "Hosting provider (rented servers)", "203.0.113.0/26"),
        _net("bank", "bank.example", "192.0.2.32/27"),
        _net("example", "example.com", "192.0.2.0/27"),
        _net("university", "university.example", "203.0.113.128/26"),
        _net("lists", "lists.example", "192.0.2.192/27"),
    ),
    hosts=(
        _host("alice-pc", "pc-140.isp-a.example", "isp-a", "198.51.100.140", is_client=True),
        _host("bot-pc", "pc-200.isp-a.example", "isp-a", "198.51.100.200", is_client=True),
        _host("vps", "mail.evil.example", "hosting", "203.0.113.66", is_client=True),
        _host("bank-submit", "smtp.bank.example", "bank", "192.0.2.41",
              services=(Service(587, ServiceKind.SUBMISSION),),
              accounts=(("alice@bank.example", ACCOUNTS["alice@bank.example"]),),
              local_domains=("bank.example",), mailboxes=("alice@bank.example",)),
        _host("bank-out", "out.bank.example", "bank", "192.0.2.42"),
        _host("mx", "mx.example.com", "example", "192.0.2.10",
              services=(Service(25, ServiceKind.MX),), local_domains=("example.com",),
              mailboxes=("bob@example.com",)),
        _host("mailstore", "mail.example.com", "example", "192.0.2.11",
              accounts=(("bob", ACCOUNTS["bob@example.com"]),)),
        _host("bob-pc", "bob-pc.example.com", "example", "192.0.2.100", is_client=True),
        _host("university", "mx.university.example", "university", "203.0.113.140",
              services=(Service(25, ServiceKind.MX),), local_domains=("university.example",)),
        _host("lists", "mail.lists.example", "lists", "192.0.2.200",
              services=(Service(25, ServiceKind.MX),), local_domains=("lists.example",)),
    ),
)  # fmt: skip

DESKTOP = _host("desktop", "localhost", "internet", "127.0.0.1", is_client=True)
"""Who connects from an address that is no machine's alias: the learner's own mail program."""

DNS_ADDRESS = "192.0.2.53"
"""The course address the DNS server plays (it listens on 127.0.0.1)."""

DMARC_POLICIES = ("off", "none", "quarantine", "reject")
"""The bank's DMARC choices: no record at all, or a record with this ``p=`` (RFC 7489 §6.3)."""

MESSAGES = texts(
    {
        "dmarc": "The DMARC policy {value!r} is not one of {choices}.",
        "switch": "The defence {name!r} must be True or False, not {value!r}.",
        "preset": "Unknown preset {name!r}: choose one of {choices}.",
    }
)


@dataclass(frozen=True)
class Defences:
    """The controls the learner switches (each is explained by :class:`~mailsec.mailsystem.
    timeline.Control`). The defaults are the recommended set: everything on."""

    op25b: bool = True
    """ISP A blocks outbound port 25 from its dynamic pool."""
    spf: bool = True
    """bank.example publishes ``v=spf1 ip4:192.0.2.42 -all``."""
    dkim: bool = True
    """The bank's outbound MTA signs with its key ``2026._domainkey.bank.example``."""
    dmarc: str = "reject"
    """bank.example's DMARC record: ``off`` (none published), ``none``, ``quarantine``, ``reject``."""
    arc: bool = True
    """example.com's MX trusts ARC seals from lists.example."""
    tls: bool = True
    """Retrieval requires TLS: the server refuses login before TLS; clients insist on it."""
    smime: bool = True
    """Alice signs and encrypts to Bob with S/MIME."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "dmarc":
                if value not in DMARC_POLICIES:
                    raise InputError(
                        MESSAGES["dmarc"].format(value=value, choices=", ".join(DMARC_POLICIES))
                    )
            elif not isinstance(value, bool):
                raise InputError(MESSAGES["switch"].format(name=f.name, value=value))

    @classmethod
    def preset(cls, name: str) -> Defences:
        """One of :data:`PRESETS` by name."""
        if name not in PRESETS:
            raise InputError(MESSAGES["preset"].format(name=name, choices=", ".join(PRESETS)))
        return PRESETS[name]


PRESETS: dict[str, Defences] = {
    "nothing": Defences(False, False, False, "off", False, False, False),
    "ports-only": Defences(True, False, False, "off", False, False, False),
    "spf-only": Defences(True, True, False, "off", False, False, False),
    "monitoring": Defences(True, True, True, "none", False, True, False),
    "no-arc": Defences(True, True, True, "reject", False, True, True),
    "recommended": Defences(),
}
"""Instructor presets, from nothing to everything (chapter 09's workshop plan)."""


def loopback_alias(address: ipaddress.IPv4Address | str) -> str:
    """The loopback address a host sends from: 127 and the last three numbers of its course
    address (192.0.2.41 → 127.0.2.41)."""
    parts = str(ipaddress.IPv4Address(address)).split(".")
    return ".".join(["127", *parts[1:]])


def _a(host_id: str) -> str:
    return str(WORLD.host(host_id).ipv4)


def zone_text(defences: Defences) -> str:
    """The course zone of this mail system, with the bank's records as ``defences`` say."""
    signers = course_signers()
    bank_out, vps, uni, lists = _a("bank-out"), _a("vps"), _a("university"), _a("lists")
    lines = [
        "$TTL 300",
        "$ORIGIN example.com.",
        "@ MX 10 mx.example.com.",
        f"mx A {_a('mx')}",
        f"mail A {_a('mailstore')}",
        f'@ TXT "v=spf1 ip4:{_a("mx")} -all"',
        '_dmarc TXT "v=DMARC1; p=reject"',
        "$ORIGIN bank.example.",
        "@ MX 10 mx.bank.example.",
        f"mx A {_a('bank-submit')}",
        f"smtp A {_a('bank-submit')}",
        f"out A {bank_out}",
    ]
    if defences.spf:
        lines.append(f'@ TXT "v=spf1 ip4:{bank_out} -all"')
    if defences.dmarc != "off":
        lines.append(f'_dmarc TXT "v=DMARC1; p={defences.dmarc}; rua=mailto:dmarc@bank.example"')
    lines += [
        "$ORIGIN evil.example.",
        f"@ A {vps}",
        f"mail A {vps}",
        f'@ TXT "v=spf1 ip4:{vps} -all"',
        '_dmarc TXT "v=DMARC1; p=none"',
        "$ORIGIN university.example.",
        "@ MX 10 mx.university.example.",
        f"mx A {uni}",
        f'@ TXT "v=spf1 ip4:{uni} -all"',
        "$ORIGIN lists.example.",
        "@ MX 10 mail.lists.example.",
        f"mail A {lists}",
        f'@ TXT "v=spf1 ip4:{lists} -all"',
        "$ORIGIN isp-a.example.",
        f"pc-140 A {_a('alice-pc')}",
        f"pc-200 A {_a('bot-pc')}",
        "$ORIGIN .",
    ]
    for domain in ("bank.example", "evil.example", "lists.example", "university.example"):
        signer = signers[domain]
        lines.append(zone_entry(signer.selector, domain, signer.record))
    return "\n".join(lines) + "\n"
