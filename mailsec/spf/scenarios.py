"""Prepared situations for the SPF chapter's labs: spoofing, the lookup limit and SPF's blind spots.

Each function is pure: it takes a DNS source (the course's example zone by default), evaluates
with :func:`mailsec.spf.check` and returns data for the labs to render.

- :func:`spoofing_rows`: a legitimate server and an attacker send as ``bank.example`` under a
  policy ending in ``-all``, ``~all``, ``?all`` or with no SPF record at all.
- :func:`lookup_limit`: a record with N ``include:`` terms, and what happens past 10 lookups.
- :data:`BLIND_SPOTS` and :func:`blind_spot`: direct delivery, plain forwarding (SPF breaks),
  forwarding with SRS, and a forged ``From:`` header that SPF never looks at.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.spf.lint import LintReport, lint
from mailsec.spf.lookup import DnsSource, MxRecord, OverlaySource, as_source
from mailsec.spf.mta import check
from mailsec.spf.result import SpfCheck, SpfResult
from mailsec.spf.zone import example_resolver

__all__ = [
    "BLIND_SPOTS",
    "POLICIES",
    "TEXT",
    "BlindSpot",
    "BlindSpotOutcome",
    "LimitOutcome",
    "SpoofRow",
    "blind_spot",
    "lookup_limit",
    "receiver_action",
    "spoofing_rows",
    "txt_record",
]

TEXT = texts(
    {
        "actions": {
            "pass": "Deliver: the server is authorised for this domain (§8.3).",
            "fail": "May reject during SMTP with '550 5.7.23 SPF fail' (§8.4).",
            "softfail": "Accept, but treat as suspicious, for example the spam folder (§8.5).",
            "neutral": "Treat as if there were no policy: SPF gives no protection here (§8.2).",
            "none": "No SPF information: other checks must decide (§8.1).",
            "temperror": "Ask the sender to try again later with '451 4.4.3' (§8.6).",
            "permerror": "The domain's record is broken; a local decision, often like none (§8.7).",
        },
        "no_policy": "{policy!r} is not one of the policies {policies}.",
        "bank_server": "The bank's own mail server",
        "attacker": "An attacker's bot (forged sender)",
        "includes": "The number of includes must be between 0 and 20, not {includes}.",
        "client": "client must be 'first' or 'last', not {client!r}.",
        "no_situation": "There is no situation {situation!r}; pick one of {known}.",
        "situations": {
            "direct": {
                "title": "Direct: the bank's server sends to Alice",
                "story": "The bank's own server 192.0.2.40 delivers a notice straight to "
                "Alice's mail provider.",
                "lesson": "SPF passes: the envelope sender's domain authorised this server. "
                "This is what SPF is for.",
            },
            "forwarded": {
                "title": "Forwarded: Alice's university forwards her mail",
                "story": "The same notice went to alice@university.example, which forwards "
                "everything to Alice's private mailbox. The university's server 203.0.113.80 "
                "keeps the original MAIL FROM.",
                "lesson": "SPF fails although nothing was forged: the bank never authorised the "
                "university's server. Plain forwarding breaks SPF; forwarders rewrite the "
                "envelope sender (SRS) and receivers rely on DKIM signatures, which survive "
                "forwarding.",
            },
            "srs": {
                "title": "Forwarded with SRS: the envelope sender is rewritten",
                "story": "The university rewrites MAIL FROM with the Sender Rewriting Scheme, so "
                "bounces come back through it.",
                "lesson": "SPF passes, but for university.example, not for the bank: SPF now "
                "vouches for the forwarder, and says nothing about whether the bank really sent "
                "the notice.",
            },
            "lookalike": {
                "title": "Forged From: header, attacker's own envelope",
                "story": "An attacker sends from 203.0.113.66 with MAIL FROM bounce@evil.example "
                "(a domain they own, with a valid SPF record) but writes 'From: Example Bank "
                "<security@bank.example>' in the message header.",
                "lesson": "SPF passes, for evil.example. SPF authenticates the envelope MAIL "
                "FROM, not the From: header a person reads; linking the two (alignment) is "
                "DMARC's job.",
            },
        },
    }
)
"""What the situations say, in the current language (see :mod:`mailsec.i18n`)."""

LEGITIMATE_IP = "192.0.2.40"
ATTACKER_IP = "203.0.113.66"

#: The endings the spoofing lab offers, with the record each gives bank.example ("none": no record).
POLICIES: dict[str, str | None] = {
    "-all": "v=spf1 ip4:192.0.2.40 ip4:192.0.2.41 -all",
    "~all": "v=spf1 ip4:192.0.2.40 ip4:192.0.2.41 ~all",
    "?all": "v=spf1 ip4:192.0.2.40 ip4:192.0.2.41 ?all",
    "no record": None,
}


def txt_record(text: str) -> tuple[bytes, ...]:
    """A record text as TXT character-strings of at most 255 octets (RFC 7208 §3.3)."""
    data = text.encode("utf-8")
    return tuple(data[i : i + 255] for i in range(0, max(len(data), 1), 255))


def receiver_action(result: SpfResult) -> str:
    """What a receiving server typically does with each result (RFC 7208 §8)."""
    return TEXT["actions"][result.value]


@dataclass(frozen=True)
class SpoofRow:
    """One sender in the spoofing lab."""

    who: str
    client_ip: str
    helo: str
    mail_from: str
    check: SpfCheck
    action: str


def spoofing_rows(policy: str, *, resolver: object | None = None) -> tuple[SpoofRow, SpoofRow]:
    """The bank's own server and an attacker, both sending as security@bank.example."""
    if policy not in POLICIES:
        raise InputError(TEXT["no_policy"].format(policy=policy, policies=", ".join(POLICIES)))
    base = as_source(resolver) if resolver is not None else example_resolver()
    record = POLICIES[policy]
    source = OverlaySource(base, {("bank.example", "TXT"): (txt_record(record),) if record else ()})
    rows = []
    for who, ip, helo in (
        (TEXT["bank_server"], LEGITIMATE_IP, "mx.bank.example"),
        (TEXT["attacker"], ATTACKER_IP, "mx.bank.example"),
    ):
        outcome = check(
            ip, "security@bank.example", helo, resolver=source, receiver="mx.alice.example"
        )
        rows.append(
            SpoofRow(
                who, ip, helo, "security@bank.example", outcome, receiver_action(outcome.result)
            )
        )
    return rows[0], rows[1]


@dataclass(frozen=True)
class LimitOutcome:
    """The lookup-limit lab: the record built, the check and lint's count."""

    record: str
    check: SpfCheck
    report: LintReport
    client_ip: str


def lookup_limit(
    includes: int, *, extra_lookup: bool = False, client: str = "last"
) -> LimitOutcome:
    """A domain with ``mx`` and ``includes`` service providers, each included with include:.

    ``extra_lookup`` gives each provider's record an ``a:`` term too (one more lookup each).
    ``client`` is ``"last"`` (a server of the last provider: evaluation must walk every include)
    or ``"first"`` (the first provider's server: it matches early).
    """
    if not 0 <= includes <= 20:
        raise InputError(TEXT["includes"].format(includes=includes))
    if client not in ("first", "last"):
        raise InputError(TEXT["client"].format(client=client))
    records: dict[tuple[str, str], tuple] = {
        ("growing.example", "MX"): (MxRecord(10, "mail.growing.example"),),
        ("mail.growing.example", "A"): (ipaddress.ip_address("192.0.2.150"),),
    }
    terms = ["mx"]
    for k in range(1, includes + 1):
        name = f"spf.service{k}.example"
        own = f"ip4:198.51.100.{k}"
        inner = (
            f"v=spf1 a:mta.service{k}.example {own} ~all" if extra_lookup else f"v=spf1 {own} ~all"
        )
        records[(name, "TXT")] = (txt_record(inner),)
        records[(f"mta.service{k}.example", "A")] = (ipaddress.ip_address(f"192.0.2.{150 + k}"),)
        terms.append(f"include:{name}")
    record = "v=spf1 " + " ".join(terms) + " -all"
    records[("growing.example", "TXT")] = (txt_record(record),)
    source: DnsSource = OverlaySource(example_resolver(), records)
    k = includes if client == "last" else 1
    ip = f"198.51.100.{k}" if includes else "198.51.100.1"
    outcome = check(ip, "news@growing.example", "mta.growing.example", resolver=source)
    return LimitOutcome(record, outcome, lint("growing.example", resolver=source), ip)


@dataclass(frozen=True)
class BlindSpot:
    """A delivery situation that shows what SPF does and does not check."""

    id: str
    client_ip: str
    helo: str
    mail_from: str
    header_from: str
    """The From: header the person reading the mail sees."""

    @property
    def title(self) -> str:
        """The situation in a few words (a button's label), in the current language."""
        return TEXT["situations"][self.id]["title"]

    @property
    def story(self) -> str:
        """What happens, in the current language."""
        return TEXT["situations"][self.id]["story"]

    @property
    def lesson(self) -> str:
        """What the situation shows about SPF, in the current language."""
        return TEXT["situations"][self.id]["lesson"]


BLIND_SPOTS: tuple[BlindSpot, ...] = (
    BlindSpot(
        "direct",
        "192.0.2.40",
        "mx.bank.example",
        "notice@bank.example",
        "Example Bank <notice@bank.example>",
    ),
    BlindSpot(
        "forwarded",
        "203.0.113.80",
        "mx.university.example",
        "notice@bank.example",
        "Example Bank <notice@bank.example>",
    ),
    BlindSpot(
        "srs",
        "203.0.113.80",
        "mx.university.example",
        "SRS0=HHH=TT=bank.example=notice@university.example",
        "Example Bank <notice@bank.example>",
    ),
    BlindSpot(
        "lookalike",
        "203.0.113.66",
        "evil.example",
        "bounce@evil.example",
        "Example Bank <security@bank.example>",
    ),
)


@dataclass(frozen=True)
class BlindSpotOutcome:
    """A blind-spot situation evaluated."""

    situation: BlindSpot
    check: SpfCheck
    header_from_domain: str
    aligned: bool
    """True when the From: header's domain is the domain SPF checked."""


def blind_spot(situation_id: str, *, resolver: object | None = None) -> BlindSpotOutcome:
    """Evaluate one of :data:`BLIND_SPOTS` by its id."""
    situation = next((s for s in BLIND_SPOTS if s.id == situation_id), None)
    if situation is None:
        known = ", ".join(s.id for s in BLIND_SPOTS)
        raise InputError(TEXT["no_situation"].format(situation=situation_id, known=known))
    source = resolver if resolver is not None else example_resolver()
    outcome = check(
        situation.client_ip,
        situation.mail_from,
        situation.helo,
        resolver=source,
        receiver="mx.alice.example",
    )
    address = situation.header_from.rsplit("<", 1)[-1].rstrip(">")
    from_domain = address.rpartition("@")[2].lower()
    return BlindSpotOutcome(situation, outcome, from_domain, from_domain == outcome.domain.lower())
