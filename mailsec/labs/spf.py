"""Chapter 03's labs: SPF on the course's example zone (offline), and optionally on live DNS.

- :func:`spf_lab`: pick a domain, edit its SPF record, the connecting IP, MAIL FROM and HELO; see
  the verdict, the lookup counter, the header fields, the record term by term, lint's findings and
  the evaluation tree.
- :func:`spoofing_lab`: the bank's server and an attacker under ``-all``, ``~all``, ``?all`` and no
  record.
- :func:`lookup_limit_lab`: add ``include:`` terms until the 10-lookup limit breaks the record.
- :func:`blind_spots_lab`: forwarding, SRS and a forged ``From:`` header: what SPF does not check.
- :func:`live_lab`: the same check against real DNS; off by default, and it says plainly when there
  is no network.

Every callback parses the controls, calls one function of :mod:`mailsec.spf`, renders with
:mod:`mailsec.render.spf` and writes the HTML into the lab's result areas.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, button, checkbox, fit_menu, slider, tagged, text_box
from mailsec.labs.spf_live import LiveLab, live_lab
from mailsec.render.html import FONT, code_block, escape
from mailsec.render.spf import (
    blind_spot_html,
    check_html,
    headers_html,
    lint_html,
    lookup_meter,
    record_table,
    spoofing_html,
    trace_html,
    verdict_html,
)
from mailsec.spf.limits import domain_problem, ip_problem
from mailsec.spf.lint import lint
from mailsec.spf.lookup import DnsSource, OverlaySource
from mailsec.spf.mta import check
from mailsec.spf.result import SpfCheck
from mailsec.spf.scenarios import (
    BLIND_SPOTS,
    POLICIES,
    blind_spot,
    lookup_limit,
    spoofing_rows,
    txt_record,
)
from mailsec.spf.zone import ZoneResolver, example_resolver

__all__ = [
    "TEXT",
    "BlindSpotsLab",
    "LiveLab",
    "LookupLimitLab",
    "SpfLab",
    "SpoofingLab",
    "benchmark_drivers",
    "blind_spots_lab",
    "live_lab",
    "lookup_limit_lab",
    "spf_lab",
    "spoofing_lab",
]

TEXT = texts(
    {
        "domain_option": "{domain} — {description}",
        "domains": {
            "example.com": "Example Corp: own server + a mailing provider",
            "shop.example": "a web shop: a mx ~all",
            "news.example": "a newsletter with ?all",
            "bank.example": "a bank: -all with an explanation",
            "nospf.example": "no SPF record at all",
            "evil.example": "an attacker's own domain",
            "university.example": "a university that forwards mail",
            "toomany.example": "too many includes",
            "macros.example": "a record with macros",
            "legacy.example": "an old record using ptr",
            "broken.example": "a record with a typo",
            "twospf.example": "two SPF records",
        },
        "client_option": "{ip} — {who}",
        "clients": {
            "192.0.2.10": "example.com's own mail server",
            "2001:db8:10::10": "the same server over IPv6",
            "198.51.100.25": "the mailing provider (shared)",
            "203.0.113.66": "an attacker's bot",
            "192.0.2.40": "the bank's server",
            "192.0.2.20": "the shop's web server",
            "203.0.113.80": "the university's forwarder",
            "192.0.2.50": "a server listed via macros",
            "192.0.2.60": "the legacy host (has PTR)",
            "192.0.2.200": "the survey service",
        },
        "custom": "(type your own below)",
        "domain": "Sender's domain",
        "record": "Its SPF record",
        "record_placeholder": "v=spf1 ... (one TXT record per line; empty = no record)",
        "reset": "Restore the published record",
        "who": "Who connects",
        "ip": "Client IP",
        "mail_from": "MAIL FROM",
        "helo": "HELO",
        "spf_title": "SPF lab: would the receiving server accept this sender?",
        "spf_intro": "Pick the sender's domain and who connects. Change the client IP, MAIL FROM "
        "or HELO, or edit the domain's SPF record (the example zone is offline and nothing is "
        "published anywhere). The verdict, the lookup counter and the trace follow at once.",
        "null_sender": "MAIL FROM is empty (a null sender), so SPF checks postmaster@HELO, but "
        "HELO is empty too. Type a HELO name such as mail.example.com.",
        "bad_ip": "{problem}.",
        "space": "The domain {domain!r} contains a space; domain names cannot.",
        "policy": "bank.example's policy ends with",
        "no_record": "no record",
        "token": "{token}",
        "spoof_title": "Spoofing lab: the bank's server and an attacker, side by side",
        "spoof_intro": "Both send <code>MAIL FROM:&lt;security@bank.example&gt;</code>. Only the "
        "bank's server 192.0.2.40 is listed in the bank's record. Choose how the record ends and "
        "see what the receiving server does with the attacker's mail.",
        "bank_record": "bank.example's SPF record",
        "bank_none": "bank.example publishes no SPF record.",
        "as_received": "The attacker's message as received",
        "includes": "include: terms",
        "extra": "each provider's record also has an a: term (one more lookup each)",
        "last": "the last provider's server",
        "first": "the first provider's server",
        "limit_title": "Too many lookups: the limit of 10",
        "limit_intro": "growing.example sends through its own server (<code>mx</code>) and N "
        "service providers, each added with <code>include:</code>. Every include:, a, mx, ptr, "
        "exists and redirect= costs one DNS lookup, counted while the record is evaluated; the "
        "11th gives permerror (RFC 7208 §4.6.4).",
        "note": "Lint counts {count} lookups in the worst case (every include followed); "
        "evaluation stops counting as soon as a term matches.",
        "growing_record": "growing.example's SPF record",
        "situation": "Situation",
        "blind_title": "SPF's blind spots: forwarding and the From: header",
        "blind_intro": "SPF checks the envelope (the client IP and MAIL FROM), not the From: "
        "header a person reads, and it cannot know about forwarding. Pick a situation.",
    }
)
"""The labs' words, in the current language (see :mod:`mailsec.i18n`)."""

#: Domains of the example zone offered in the main lab (each described by ``TEXT["domains"]``).
DOMAINS: tuple[str, ...] = tuple(TEXT.source["domains"])

#: Who connects: the menu's value (the English label) -> (IP, HELO). The menu shows the label in
#: the lab's language (``TEXT["clients"]`` by IP).
CLIENTS: dict[str, tuple[str, str]] = {
    "192.0.2.10 — example.com's own mail server": ("192.0.2.10", "mail.example.com"),
    "2001:db8:10::10 — the same server over IPv6": ("2001:db8:10::10", "mail.example.com"),
    "198.51.100.25 — the mailing provider (shared)": ("198.51.100.25", "out1.mailhost.example"),
    "203.0.113.66 — an attacker's bot": ("203.0.113.66", "bot.dyn.example"),
    "192.0.2.40 — the bank's server": ("192.0.2.40", "mx.bank.example"),
    "192.0.2.20 — the shop's web server": ("192.0.2.20", "shop.example"),
    "203.0.113.80 — the university's forwarder": ("203.0.113.80", "mx.university.example"),
    "192.0.2.50 — a server listed via macros": ("192.0.2.50", "h.macros.example"),
    "192.0.2.60 — the legacy host (has PTR)": ("192.0.2.60", "host.legacy.example"),
    "192.0.2.200 — the survey service": ("192.0.2.200", "mta.survey.example"),
}
CUSTOM_CLIENT = "(type your own below)"

_WIDE = widgets.Layout(width="560px")
_STYLE = {"description_width": "140px"}


def _client_options() -> list[tuple[str, str]]:
    """The "who connects" menu: (label in the current language, value)."""
    options = [
        (TEXT["client_option"].format(ip=ip, who=TEXT["clients"][ip]), value)
        for value, (ip, _helo) in CLIENTS.items()
    ]
    return [*options, (TEXT["custom"], CUSTOM_CLIENT)]


def _records_from_text(text: str) -> tuple[tuple[bytes, ...], ...]:
    """The text area as TXT records: one record per non-empty line."""
    return tuple(txt_record(line.strip()) for line in text.splitlines() if line.strip())


class SpfLab(Lab):
    """Edit a domain's SPF record and the SMTP session; see how the receiver decides."""

    def __init__(self, *, resolver: ZoneResolver | None = None, lang: str | None = None) -> None:
        self.zone = resolver if resolver is not None else example_resolver()
        self._quiet = False
        self.last_check: SpfCheck | None = None
        self.domain = tagged(
            fit_menu(
                widgets.Dropdown(
                    options=[
                        (TEXT["domain_option"].format(domain=d, description=TEXT["domains"][d]), d)
                        for d in DOMAINS
                    ],
                    value="example.com",
                    description=TEXT["domain"],
                    style=_STYLE,
                    layout=_WIDE,
                )
            ),
            "mailsec-spf-domain",
        )
        self.record = tagged(
            widgets.Textarea(
                value=self._zone_record_text("example.com"),
                description=TEXT["record"],
                placeholder=TEXT["record_placeholder"],
                style=_STYLE,
                layout=widgets.Layout(width="760px", height="64px"),
            ),
            "mailsec-spf-record",
        )
        self.reset = button(TEXT["reset"], "mailsec-spf-reset")
        self.client = tagged(
            widgets.Dropdown(
                options=_client_options(),
                value="203.0.113.66 — an attacker's bot",
                description=TEXT["who"],
                style=_STYLE,
                layout=_WIDE,
            ),
            "mailsec-spf-client",
        )
        self.ip = text_box("203.0.113.66", TEXT["ip"], "mailsec-spf-ip")
        self.mail_from = text_box("alice@example.com", TEXT["mail_from"], "mailsec-spf-mail-from")
        self.helo = text_box("bot.dyn.example", TEXT["helo"], "mailsec-spf-helo")
        super().__init__(
            TEXT["spf_title"],
            intro=TEXT["spf_intro"],
            controls=[
                self.domain,
                widgets.HBox([self.record, self.reset]),
                self.client,
                self.ip,
                self.mail_from,
                self.helo,
            ],
            lang=lang,
        )
        self.add_class("mailsec-spf-lab")
        self.on_change([self.domain], self._on_domain)
        self.on_change([self.client], self._on_client)
        self.on_change([self.record, self.ip, self.mail_from, self.helo], self._maybe_update)
        self.on_click(self.reset, self._on_reset)
        self.action(self.update)()

    # -- controls --------------------------------------------------------------------------------

    def _zone_record_text(self, domain: str) -> str:
        texts = [
            b"".join(r).decode("utf-8", "replace")
            for r in self.zone.records(domain, "TXT")
            if isinstance(r, tuple)  # a TXT record's strings: always, for TXT
        ]
        spf = [t for t in texts if t[:6].lower() == "v=spf1"]
        return "\n".join(spf)

    def _on_domain(self) -> None:
        domain = self.domain.value
        self._quiet = True
        try:
            self.record.value = self._zone_record_text(domain)
            local = self.mail_from.value.rpartition("@")[0] or "alice"
            self.mail_from.value = f"{local}@{domain}"
        finally:
            self._quiet = False
        self.update()

    def _on_client(self) -> None:
        if self.client.value == CUSTOM_CLIENT:
            return
        ip, helo = CLIENTS[self.client.value]
        self._quiet = True
        try:
            self.ip.value = ip
            self.helo.value = helo
        finally:
            self._quiet = False
        self.update()

    def _on_reset(self) -> None:
        self._quiet = True
        try:
            self.record.value = self._zone_record_text(self.domain.value)
        finally:
            self._quiet = False
        self.update()

    def _maybe_update(self) -> None:
        if not self._quiet:
            self.update()

    # -- evaluation ------------------------------------------------------------------------------

    def source(self) -> DnsSource:
        """The example zone, with the text area as the domain's TXT records if it was edited."""
        domain = self.domain.value
        if self.record.value.strip() == self._zone_record_text(domain).strip():
            return self.zone
        others = tuple(
            r
            for r in self.zone.records(domain, "TXT")
            if not (isinstance(r, tuple) and b"".join(r)[:6].lower() == b"v=spf1")
        )
        return OverlaySource(
            self.zone, {(domain, "TXT"): others + _records_from_text(self.record.value)}
        )

    def update(self) -> None:
        problem = ip_problem(self.ip.value)
        if problem:
            raise InputError(TEXT["bad_ip"].format(problem=problem))
        ip = self.ip.value.strip()
        mail_from = self.mail_from.value.strip()
        helo = self.helo.value.strip()
        if not mail_from and not helo:
            raise InputError(TEXT["null_sender"])
        sender_domain = mail_from.rpartition("@")[2] if mail_from else helo
        if any(ch.isspace() for ch in sender_domain):
            raise InputError(TEXT["space"].format(domain=sender_domain))
        source = self.source()
        outcome = check(ip, mail_from, helo, resolver=source, receiver="mx.alice.example")
        self.last_check = outcome
        explanation: str = trace_html(outcome)
        if outcome.record:
            explanation = (
                record_table(outcome.record)
                + lint_html(lint(outcome.domain, resolver=source))
                + explanation
            )
        elif self.record.value.strip() and domain_problem(outcome.domain) is None:
            first = self.record.value.strip().splitlines()[0]
            explanation = record_table(first) + explanation
        self.show(check_html(outcome), explanation)


def spf_lab(*, resolver: ZoneResolver | None = None, lang: str | None = None) -> SpfLab:
    """The main SPF lab over the course's example zone (or ``resolver``'s zone)."""
    return SpfLab(resolver=resolver, lang=lang)


class SpoofingLab(Lab):
    """An attacker forges security@bank.example: what each policy ending does about it."""

    def __init__(self, *, lang: str | None = None) -> None:
        self.policy = widgets.ToggleButtons(
            options=[
                (TEXT["no_record"] if p == "no record" else TEXT["token"].format(token=p), p)
                for p in POLICIES
            ],
            value="-all",
            description=TEXT["policy"],
            style={"description_width": "220px"},
        )
        self.policy.add_class("mailsec-spf-policy")
        super().__init__(
            TEXT["spoof_title"],
            intro=TEXT["spoof_intro"],
            controls=[self.policy],
            lang=lang,
        )
        self.add_class("mailsec-spf-spoofing-lab")
        self.on_change([self.policy], self.update)
        self.action(self.update)()

    def update(self) -> None:
        policy = self.policy.value
        legit, attacker = spoofing_rows(policy)
        record = POLICIES[policy]
        shown = (
            code_block(record, label=TEXT["bank_record"])
            if record
            else f'<div style="{FONT}">{escape(TEXT["bank_none"])}</div>'
        )
        self.show(
            spoofing_html(policy, (legit, attacker)) + shown,
            f'<div style="{FONT}font-weight:600">{html.escape(TEXT["as_received"], quote=False)}</div>'
            + verdict_html(attacker.check)
            + headers_html(attacker.check),
        )


def spoofing_lab(*, lang: str | None = None) -> SpoofingLab:
    """The spoofing comparison lab."""
    return SpoofingLab(lang=lang)


class LookupLimitLab(Lab):
    """Add include: terms and watch the lookup counter hit the limit of 10."""

    def __init__(self, *, lang: str | None = None) -> None:
        self.includes = slider(TEXT["includes"], 4, 0, 14, "mailsec-spf-includes", width="560px")
        self.extra = checkbox(
            TEXT["extra"],
            "mailsec-spf-extra",
            layout=widgets.Layout(width="560px"),
        )
        self.client = tagged(
            widgets.ToggleButtons(
                options=[
                    (TEXT["last"], "last"),
                    (TEXT["first"], "first"),
                ],
                value="last",
                description=TEXT["who"],
                style={"description_width": "140px", "button_width": "auto"},
            ),
            "mailsec-spf-limit-client",
        )
        super().__init__(
            TEXT["limit_title"],
            intro=TEXT["limit_intro"],
            controls=[self.includes, self.extra, self.client],
            lang=lang,
        )
        self.add_class("mailsec-spf-limit-lab")
        self.on_change([self.includes, self.extra, self.client], self.update)
        self.action(self.update)()

    def update(self) -> None:
        outcome = lookup_limit(
            int(self.includes.value), extra_lookup=bool(self.extra.value), client=self.client.value
        )
        note = TEXT["note"].format(count=outcome.report.lookups)
        self.show(
            verdict_html(outcome.check)
            + lookup_meter(outcome.check.lookups, voids=outcome.check.void_lookups)
            + f'<div style="{FONT}color:#333">{escape(note)}</div>',
            code_block(outcome.record, label=TEXT["growing_record"])
            + lint_html(outcome.report)
            + trace_html(outcome.check),
        )


def lookup_limit_lab(*, lang: str | None = None) -> LookupLimitLab:
    """The lookup-limit lab."""
    return LookupLimitLab(lang=lang)


class BlindSpotsLab(Lab):
    """Forwarding and forged From: headers: what SPF does not protect."""

    def __init__(self, *, lang: str | None = None) -> None:
        self.situation = widgets.ToggleButtons(
            options=[(s.title, s.id) for s in BLIND_SPOTS],
            value="direct",
            description=TEXT["situation"],
            style={"description_width": "80px", "button_width": "auto"},
        )
        self.situation.add_class("mailsec-spf-situation")
        super().__init__(
            TEXT["blind_title"],
            intro=TEXT["blind_intro"],
            controls=[self.situation],
            lang=lang,
        )
        self.add_class("mailsec-spf-blind-lab")
        self.on_change([self.situation], self.update)
        self.action(self.update)()

    def update(self) -> None:
        outcome = blind_spot(self.situation.value)
        self.show(blind_spot_html(outcome), headers_html(outcome.check) + trace_html(outcome.check))


def blind_spots_lab(*, lang: str | None = None) -> BlindSpotsLab:
    """The forwarding / From: header lab."""
    return BlindSpotsLab(lang=lang)


def benchmark_drivers() -> list[tuple[str, Lab, Callable[[int], None]]]:
    """Labs and a function that changes one control (for benchmarks/bench_spf.py)."""
    main = spf_lab()
    domains = list(DOMAINS)
    clients = list(CLIENTS)

    def drive_main(i: int) -> None:
        step = i % 4
        if step == 0:
            main.domain.value = domains[(i // 4) % len(domains)]
        elif step == 1:
            main.client.value = clients[(i // 4) % len(clients)]
        elif step == 2:
            main.record.value = main.record.value + f" ip4:198.51.100.{i % 250}"
        else:
            main.mail_from.value = f"user{i}@{main.domain.value}"

    spoof = spoofing_lab()
    policies = list(POLICIES)
    limit = lookup_limit_lab()
    blind = blind_spots_lab()
    ids = [s.id for s in BLIND_SPOTS]
    return [
        ("spf_lab", main, drive_main),
        (
            "spoofing_lab",
            spoof,
            lambda i: setattr(spoof.policy, "value", policies[(i + 1) % len(policies)]),
        ),
        ("lookup_limit_lab", limit, lambda i: setattr(limit.includes, "value", (i * 5 + 1) % 15)),
        (
            "blind_spots_lab",
            blind,
            lambda i: setattr(blind.situation, "value", ids[(i + 1) % len(ids)]),
        ),
    ]
