"""The bank story continued, as messages a receiving server really checks: chapter 07's DMARC lab.

Each :class:`Scenario` builds a message and its SMTP envelope (the client's address, HELO, MAIL
FROM) from the course's domains, signs it with the course's DKIM keys where its sender would,
lets it pass through a forwarder or a mailing list where the story says so (the list seals with
ARC), and hands it to :func:`mailsec.dmarc.receiver.check_inbound` at Alice's server, with the
DMARC record of the From: domain as published or as the learner changed it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from mailsec import arc
from mailsec.dkim.course import course_resolver, course_signers, sign_as
from mailsec.dmarc.receiver import InboundCheck, check_inbound
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.spf.lookup import OverlaySource, as_source

__all__ = ["RECEIVER", "Changes", "Scenario", "Sent", "published_record", "run", "send"]

#: Alice's receiving server: the authserv-id of its Authentication-Results.
RECEIVER = "mx.example.net"
#: A fixed time for DKIM's clock (after the course's signatures were made, before they expire).
CRLF = b"\r\n"


class Scenario(enum.Enum):
    """Who sends what, and which way it travels."""

    GENUINE = "genuine"
    OWN_DOMAIN = "own_domain"
    SPOOFED = "spoofed"
    FORWARDED = "forwarded"
    MAILING_LIST = "mailing_list"
    PROVIDER = "provider"
    SUBDOMAIN = "subdomain"

    @property
    def label(self) -> str:
        return LABELS[self.value][0]

    @property
    def story(self) -> str:
        return LABELS[self.value][1]


LABELS = texts(
    {
        "genuine": (
            "the bank's own mail (genuine)",
            "bank.example's server 192.0.2.40 sends a statement notice from notice@bank.example and "
            "signs it with the bank's DKIM key.",
        ),
        "own_domain": (
            "phishing from the attacker's own domain",
            "The attacker sends from their own server 203.0.113.66 with MAIL FROM support@evil.example "
            "and signs with evil.example's DKIM key — all valid — but writes 'From: Bank "
            "<security@bank.example>'.",
        ),
        "spoofed": (
            "phishing that forges the bank's address everywhere",
            "The attacker's server 203.0.113.66 uses MAIL FROM security@bank.example and From: "
            "security@bank.example, with no DKIM signature (it has no bank key).",
        ),
        "forwarded": (
            "the bank's mail forwarded by the university",
            "The bank writes to Alice's university address; university.example (203.0.113.80) "
            "forwards it unchanged to Alice, keeping the bank's MAIL FROM.",
        ),
        "mailing_list": (
            "a colleague's mail through a mailing list",
            "Bob (bob@example.com, signed by example.com) writes to staff@lists.example; the list "
            "tags the Subject, adds a footer, seals with ARC what it saw, and resends from "
            "198.51.100.77 with its own MAIL FROM.",
        ),
        "provider": (
            "a newsletter through a mailing provider",
            "news.example's newsletter goes out through mailhost.example (198.51.100.25), which "
            "uses its own bounce address and signs with its own DKIM key, not news.example's.",
        ),
        "subdomain": (
            "a forged subdomain of a Japanese company",
            "Someone at 203.0.113.66 sends as info@news.example.co.jp; that subdomain publishes no "
            "DMARC record, so the company's record at example.co.jp applies, with its sp= tag.",
        ),
    }
)


MESSAGES = texts(
    {
        "sample": "The sampling draw must be at least 0 and below 1, not {sample}.",
    }
)


@dataclass(frozen=True)
class Sent:
    """A message as it reaches Alice's server, with its SMTP envelope."""

    message: bytes
    client_ip: str
    helo: str
    mail_from: str
    from_domain: str


def _message(sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    head = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Fri, 04 Dec 2026 09:00:00 +0900\r\nMessage-ID: <{message_id}>\r\n\r\n"
    )
    return (head + body.replace("\n", "\r\n")).encode("utf-8")


BANK_NOTICE = "Dear customer,\nyour December statement is ready in online banking.\n"
PHISH = "Dear customer,\nyour account is locked. Confirm your password at\nhttp://bank.example.evil.example/login\n"


def send(scenario: Scenario) -> Sent:
    """The message of ``scenario`` as it arrives, signed, forwarded or sealed on the way."""
    if scenario is Scenario.GENUINE or scenario is Scenario.FORWARDED:
        to = "alice@example.com" if scenario is Scenario.GENUINE else "alice@university.example"
        msg = _message(
            "Bank <notice@bank.example>", to, "Your statement", BANK_NOTICE, "n1@bank.example"
        )
        signed = sign_as("bank.example", msg)
        if scenario is Scenario.GENUINE:
            return Sent(
                signed, "192.0.2.40", "smtp.bank.example", "notice@bank.example", "bank.example"
            )
        return Sent(
            signed, "203.0.113.80", "mx.university.example", "notice@bank.example", "bank.example"
        )
    if scenario is Scenario.OWN_DOMAIN:
        msg = _message(
            "Bank <security@bank.example>",
            "alice@example.com",
            "Account locked",
            PHISH,
            "x1@evil.example",
        )
        return Sent(
            sign_as("evil.example", msg),
            "203.0.113.66",
            "evil.example",
            "support@evil.example",
            "bank.example",
        )
    if scenario is Scenario.SPOOFED:
        msg = _message(
            "Bank <security@bank.example>",
            "alice@example.com",
            "Account locked",
            PHISH,
            "x2@bank.example",
        )
        return Sent(msg, "203.0.113.66", "bank.example", "security@bank.example", "bank.example")
    if scenario is Scenario.MAILING_LIST:
        return _through_list()
    if scenario is Scenario.PROVIDER:
        msg = _message(
            "News <news@news.example>",
            "alice@example.com",
            "December news",
            "This month ...\n",
            "m1@mailhost.example",
        )
        return Sent(
            sign_as("mailhost.example", msg),
            "198.51.100.25",
            "out1.mailhost.example",
            "bounce-7@mailhost.example",
            "news.example",
        )
    msg = _message(
        "Info <info@news.example.co.jp>", "alice@example.com", "Campaign", PHISH, "j1@example.co.jp"
    )
    return Sent(
        msg, "203.0.113.66", "news.example.co.jp", "info@news.example.co.jp", "news.example.co.jp"
    )


def _through_list() -> Sent:
    """Bob's message as the list resends it: changed, then sealed with what the list saw."""
    msg = _message(
        "Bob <bob@example.com>",
        "staff@lists.example",
        "Friday party",
        "See you all at six.\n",
        "b1@example.com",
    )
    signed = sign_as("example.com", msg)
    changed = signed.replace(b"Subject: Friday party", b"Subject: [staff] Friday party")
    changed += (
        b"--\r\nstaff@lists.example: to leave the list, write to staff-leave@lists.example\r\n"
    )
    signer = course_signers()["lists.example"]
    sealed = arc.seal(
        changed,
        domain="lists.example",
        selector=signer.selector,
        private_key=signer.key,
        authserv_id="lists.example",
        results="spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com header.s=mail; "
        "dmarc=pass header.from=example.com",
        resolver=course_resolver(),
    )
    return Sent(
        sealed, "198.51.100.77", "mail.lists.example", "staff-bounces@lists.example", "example.com"
    )


@dataclass(frozen=True)
class Changes:
    """The learner's changes to the From: domain's DMARC record and to Alice's server."""

    policy: str = ""
    """``p=`` to publish instead (none, quarantine, reject), or "" for the record as it is."""
    dkim_alignment: str = ""
    """``adkim=`` (r, s) instead, or ""."""
    spf_alignment: str = ""
    """``aspf=`` (r, s) instead, or ""."""
    trust_list: bool = False
    """Alice's server trusts lists.example's ARC seals."""
    sample: float = 0.0
    """The draw that ``pct`` sampling compares with (0 ≤ sample < 1)."""


def published_record(domain: str) -> str | None:
    """The DMARC record at ``_dmarc.<domain>`` in the course zone, or None."""
    answer = as_source(course_resolver()).lookup(f"_dmarc.{domain}", "TXT")
    texts = [b"".join(r).decode("ascii", "replace") for r in answer.txt_records()]
    records = [t for t in texts if t.startswith("v=DMARC1")]
    return records[0] if len(records) == 1 else None


def _edited(record: str, changes: Changes) -> str:
    for tag, new in (
        ("p", changes.policy),
        ("adkim", changes.dkim_alignment),
        ("aspf", changes.spf_alignment),
    ):
        if not new:
            continue
        if re.search(rf"(?:^|;)\s*{tag}=", record):
            record = re.sub(rf"((?:^|;)\s*{tag}=)[^;]*", rf"\g<1>{new}", record)
        else:
            record = f"{record.rstrip('; ')}; {tag}={new}"
    return record


def run(
    scenario: Scenario, changes: Changes | None = None
) -> tuple[Sent, InboundCheck, str | None]:
    """The message of ``scenario`` checked at Alice's server; also the DMARC record used."""
    changes = changes or Changes()
    if not 0 <= changes.sample < 1:
        raise InputError(MESSAGES["sample"].format(sample=changes.sample))
    sent = send(scenario)
    resolver: object = course_resolver()
    record_domain = _record_domain(sent.from_domain)
    record = published_record(record_domain) if record_domain else None
    if record is not None and (changes.policy or changes.dkim_alignment or changes.spf_alignment):
        record = _edited(record, changes)
        resolver = OverlaySource(
            course_resolver(), {(f"_dmarc.{record_domain}", "TXT"): ((record.encode(),),)}
        )
    check = check_inbound(
        sent.message,
        client_ip=sent.client_ip,
        helo=sent.helo,
        mail_from=sent.mail_from,
        authserv_id=RECEIVER,
        resolver=resolver,
        trusted_sealers=("lists.example",) if changes.trust_list else (),
        sample=changes.sample,
    )
    return sent, check, record


def _record_domain(from_domain: str) -> str | None:
    """Where the From: domain's DMARC record is: its own name, else its organization's."""
    from mailsec.dmarc.orgdomain import organizational_domain

    if published_record(from_domain) is not None:
        return from_domain
    org = organizational_domain(from_domain)
    return org if published_record(org) is not None else None
