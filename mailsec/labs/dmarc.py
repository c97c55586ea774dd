"""Chapter 07's DMARC lab: the bank story continued, with the domain's policy and alignment to
change and Alice's server's trust in a mailing list's ARC seals.

Each change runs the whole receiving side again (:func:`mailsec.dmarc.scenarios.run`: SPF, DKIM,
ARC and DMARC against the course zone); the course's DKIM keys are made once, before the lab
first appears.
"""

from __future__ import annotations

import ipywidgets as widgets

from mailsec.dkim.course import course_signers
from mailsec.dmarc.orgdomain import organizational_domain
from mailsec.dmarc.receiver import InboundCheck
from mailsec.dmarc.scenarios import Changes, Scenario, run
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, checkbox, dropdown, tagged
from mailsec.render.dmarc import disposition_html, identities_html, verdict_html
from mailsec.render.html import FONT, escape, trace_list

__all__ = ["DmarcLab", "dmarc_lab"]

TEXT = texts(
    {
        "title": "Lab: DMARC — does anything vouch for the From: people read?",
        "intro": "Alice's server (mx.example.net) checks every message: SPF for the envelope sender, "
        "DKIM for each signature, ARC for forwarders, then DMARC asks whether any pass is for the "
        "From: domain. Pick who sends, then change the From: domain's policy and alignment, "
        "the sampling draw for <code>pct=</code>, and whether Alice's server trusts the mailing "
        "list's ARC seals.",
        "scenario": "Who sends:",
        "policy": "Policy p=",
        "adkim": "DKIM alignment adkim=",
        "aspf": "SPF alignment aspf=",
        "sample": "pct draw (0–0.99):",
        "trust": "Alice's server trusts lists.example's ARC seals",
        "as_published": "as published",
        # A protocol token (an RFC 8601 result, a tag value) shown as it is written, in every
        # language: the message only marks it as seen by the translation.
        "token": "{token}",
        "modes": {"r": "r (relaxed)", "s": "s (strict)"},
    }
)


#: The p= values the policy menu offers.
POLICIES = ("none", "quarantine", "reject")


def _policies() -> list[tuple[str, str]]:
    """The policy menu: as published, then the three p= values."""
    return [(TEXT["as_published"], ""), *((TEXT["token"].format(token=p), p) for p in POLICIES)]


def _modes() -> list[tuple[str, str]]:
    """An alignment menu: as published, relaxed, strict."""
    return [(TEXT["as_published"], ""), *((label, m) for m, label in TEXT["modes"].items())]


class DmarcLab(Lab):
    """Pick a scenario, change the policy; see the identities, the verdict and what happened."""

    def __init__(self, *, lang: str | None = None) -> None:
        course_signers()  # the keys, made before the first callback
        organizational_domain("example.com")  # the Public Suffix List, read once (0.3 s)
        self.scenario = dropdown(
            TEXT["scenario"],
            [(s.label, s) for s in Scenario],
            Scenario.OWN_DOMAIN,
            "mailsec-dmarc-scenario",
        )
        self.policy = dropdown(
            TEXT["policy"], _policies(), "", "mailsec-dmarc-policy", width="260px"
        )
        self.adkim = dropdown(TEXT["adkim"], _modes(), "", "mailsec-dmarc-adkim", width="280px")
        self.aspf = dropdown(TEXT["aspf"], _modes(), "", "mailsec-dmarc-aspf", width="280px")
        self.sample = tagged(
            widgets.BoundedFloatText(
                value=0.0, min=0.0, max=0.99, step=0.05, description=TEXT["sample"],
                style={"description_width": "initial"}, layout=widgets.Layout(width="220px"),
            ),
            "mailsec-dmarc-sample",
        )  # fmt: skip
        self.trust = checkbox(
            TEXT["trust"], "mailsec-dmarc-trust", layout=widgets.Layout(width="auto")
        )
        self.story = widgets.HTML("")
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[
                self.scenario,
                self.story,
                widgets.HBox([self.policy, self.sample]),
                widgets.HBox([self.adkim, self.aspf]),
                self.trust,
            ],
            lang=lang,
        )
        self.add_class("mailsec-dmarc-lab")
        self.check: InboundCheck | None = None
        controls = [self.scenario, self.policy, self.adkim, self.aspf, self.sample, self.trust]
        self.on_change(controls, self.update)
        self.action(self.update)()

    def update(self) -> None:
        scenario = self.scenario.value
        self.story.value = f'<p style="{FONT}margin:2px 0 6px">{escape(scenario.story)}</p>'
        changes = Changes(
            policy=self.policy.value,
            dkim_alignment=self.adkim.value,
            spf_alignment=self.aspf.value,
            trust_list=self.trust.value,
            sample=float(self.sample.value),
        )
        _sent, check, record = run(scenario, changes)
        self.check = check
        self.show(
            verdict_html(check, record, check.dmarc.record_domain)
            + identities_html(check)
            + disposition_html(check),
            trace_list((*check.dmarc.trace, *check.arc.trace[-1:])),
        )


def dmarc_lab(*, lang: str | None = None) -> DmarcLab:
    """The DMARC lab, ready to display."""
    return DmarcLab(lang=lang)
