"""Chapter 03's live lab: the same SPF check against this machine's real DNS; off by default.

Before it believes an answer such as "no SPF record", it asks the DNS two questions with known
answers (:func:`~mailsec.spf.probe.probe_dns`), so a missing network, a captive portal or a DNS
server that invents answers is named as such instead of being reported as a verdict about the
domain. :mod:`mailsec.labs.spf` re-exports :class:`LiveLab` and :func:`live_lab`.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, button, checkbox, text_box
from mailsec.render.html import callout, escape
from mailsec.render.spf import check_html, record_table, trace_html
from mailsec.spf.limits import domain_problem, ip_problem
from mailsec.spf.lookup import as_source, system_resolver
from mailsec.spf.mta import check
from mailsec.spf.probe import ABSENT_NAME, KNOWN_NAME, DnsHealth, probe_dns
from mailsec.trace import Outcome

__all__ = ["DNS_PROBLEMS", "TEXT", "LiveLab", "live_lab"]


TEXT = texts(
    {
        "off": "Live mode is off. The course works entirely offline on its example zone; tick "
        "<strong>Use live DNS</strong> to ask this machine's DNS servers about a real domain.",
        "no_resolver": "No network DNS is configured on this machine ({error}). The offline labs "
        "above still work.",
        "no_network": "No network",
        "unusable": "DNS is not usable here",
        "unreachable": "No network: the DNS lookup of {known} got no answer ({answer}). This "
        "machine cannot reach a DNS server, so live mode cannot work here; the offline labs "
        "above still do.",
        "denies": "This machine's DNS server answers, but it says that {known} does not exist "
        "({answer}). That name exists wherever the Internet's DNS works: it is one of the root "
        "name servers. So an answer about {domain} would mean nothing either, and live mode does "
        "not check it. This happens behind a captive portal (the log-in page of a hotel, café or "
        "airport network: log in first, then try again) or with a broken DNS server. The offline "
        "labs above still work.",
        "invents": "This machine's DNS server gave an address for {absent} ({answer}), a name "
        "that cannot exist (RFC 6761 §6.4): it makes answers up, so what it says about {domain} "
        "cannot be trusted, and live mode does not check it. This happens behind a captive "
        "portal (log in first, then try again) or with a DNS server that redirects unknown "
        "names. The offline labs above still work.",
        "enabled": "Use live DNS (needs a network)",
        "mail_from": "MAIL FROM",
        "ip": "Client IP",
        "helo": "HELO",
        "run": "Check with live DNS",
        "title": "Live mode: a real domain's SPF record",
        "intro": "Asks real DNS, so it needs a network. Try your own organisation's domain; "
        "192.0.2.1 is a documentation address that no real server uses, so expect fail, "
        "softfail or neutral.",
        "offline": "Offline",
        "on": "Live mode is on: press <strong>Check with live DNS</strong>.",
        "live": "Live DNS",
        "bad_ip": "{problem}.",
        "cannot": "Cannot check {domain!r}: {problem}. Type an address like "
        "postmaster@example.org.",
    }
)
"""The live lab's words, in the current language (see :mod:`mailsec.i18n`)."""

#: What the live lab says, by what :func:`~mailsec.spf.probe.probe_dns` found, before any SPF
#: check: the keys of the title and the text in :data:`TEXT`.
DNS_PROBLEMS: dict[DnsHealth, tuple[str, str]] = {
    DnsHealth.UNREACHABLE: ("no_network", "unreachable"),
    DnsHealth.DENIES_EVERYTHING: ("unusable", "denies"),
    DnsHealth.INVENTS_ANSWERS: ("unusable", "invents"),
}


def _live_resolver() -> object:
    """This machine's DNS, with short waits: a live check answers in seconds or says why not."""
    return system_resolver(timeout=2.0, lifetime=4.0)


class LiveLab(Lab):
    """Check a real domain with live DNS (off by default)."""

    def __init__(
        self,
        *,
        enabled: bool = False,
        resolver_factory: Callable[[], object] = _live_resolver,
        time_limit: float = 8.0,
        lang: str | None = None,
    ) -> None:
        self.resolver_factory = resolver_factory
        self.time_limit = time_limit
        self.enabled = checkbox(TEXT["enabled"], "mailsec-spf-live-enabled", value=enabled)
        self.mail_from = text_box(
            "postmaster@gmail.com", TEXT["mail_from"], "mailsec-spf-live-mail-from"
        )
        self.ip = text_box("192.0.2.1", TEXT["ip"], "mailsec-spf-live-ip")
        self.helo = text_box("mail.example.org", TEXT["helo"], "mailsec-spf-live-helo")
        self.run = button(TEXT["run"], "mailsec-spf-live-run", button_style="primary")
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[self.enabled, self.mail_from, self.ip, self.helo, widgets.HBox([self.run])],
            lang=lang,
        )
        self.add_class("mailsec-spf-live-lab")
        self.on_click(self.run, self.update)
        self.on_change([self.enabled], self._on_toggle)
        self._on_toggle()

    def _on_toggle(self) -> None:
        if not self.enabled.value:
            self.show(callout(TEXT["off"], title=TEXT["offline"]))
        else:
            self.show(callout(TEXT["on"], title=TEXT["live"]))

    def update(self) -> None:
        if not self.enabled.value:
            self.show(callout(TEXT["off"], title=TEXT["offline"]))
            return
        problem = ip_problem(self.ip.value)
        if problem:
            raise InputError(TEXT["bad_ip"].format(problem=problem))
        ip = self.ip.value.strip()
        mail_from = self.mail_from.value.strip()
        domain = mail_from.rpartition("@")[2] if mail_from else self.helo.value.strip()
        problem = domain_problem(domain)
        if problem:
            raise InputError(TEXT["cannot"].format(domain=domain, problem=problem))
        try:
            resolver = self.resolver_factory()
        except Exception as exc:  # no /etc/resolv.conf, no configured servers ...
            self.show(
                callout(
                    escape(TEXT["no_resolver"].format(error=type(exc).__name__)),
                    outcome=Outcome.WARN,
                    title=TEXT["no_network"],
                )
            )
            return
        # Before believing "no SPF record", make sure this DNS answers known questions truly.
        probe = probe_dns(as_source(resolver), lifetime=4.0)
        if not probe.usable:
            title, text = DNS_PROBLEMS[probe.health]
            message = TEXT[text].format(
                known=KNOWN_NAME,
                absent=ABSENT_NAME,
                domain=domain,
                answer=probe.answers[-1].describe(),
            )
            self.show(callout(escape(message), outcome=Outcome.WARN, title=TEXT[title]))
            return
        outcome = check(
            ip,
            mail_from,
            self.helo.value.strip(),
            resolver=resolver,
            time_limit=self.time_limit,
            receiver="this-notebook.invalid",
        )
        explanation: str = trace_html(outcome)
        if outcome.record:
            explanation = record_table(outcome.record) + explanation
        self.show(check_html(outcome), explanation)


def live_lab(
    *,
    enabled: bool = False,
    resolver_factory: Callable[[], object] = _live_resolver,
    lang: str | None = None,
) -> LiveLab:
    """The live-DNS lab; off by default.

    ``resolver_factory`` makes the resolver when *Check* is pressed: this machine's DNS by
    default, or anything :func:`~mailsec.spf.lookup.as_source` accepts (tests pass their own).
    """
    return LiveLab(enabled=enabled, resolver_factory=resolver_factory, lang=lang)
