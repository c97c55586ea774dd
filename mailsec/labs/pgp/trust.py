"""Chapter 06's web-of-trust lab: a graph of keys the learner edits, and every key's validity.

:func:`trust_lab` returns the lab: owner trust per key, certifications added, revoked or removed,
keys revoked or expired, GnuPG's three numbers; the graph and every key's validity update at once,
with the reason. :meth:`TrustLab.ask_gnupg` hands the same graph to GnuPG
(:func:`mailsec.labs.pgp.trustcheck.gnupg_trust_check`).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, button, checkbox, dropdown, fit_menu, tagged
from mailsec.labs.pgp.trustcheck import gnupg_trust_check
from mailsec.openpgp.trust import (
    POLICY_LIMITS,
    OwnerTrust,
    TrustKey,
    TrustPolicy,
    TrustResult,
    WebOfTrust,
    evaluate,
)
from mailsec.render.html import Fragment, error_box
from mailsec.render.openpgp import gnupg_trust_html, person, trust_html

__all__ = ["SCENARIOS", "TrustLab", "trust_lab"]

TEXT = texts(
    {
        "scenarios": {
            "friends": "A circle of friends (Erin has 2 of 3 marginals)",
            "ca": "CA style: one introducer certifies everyone",
            "empty": "Only your key: nobody certified yet",
            "impostor": "An impostor: Mallory's 'Fake Bob' key, certified by her friends",
        },
        "revoked": "{name}'s key revoked",
        "expired": "expired",
        "expired_tip": "{name}'s key expired",
        "no_scenario": "Scenario {scenario!r} is not one of: {choices}; pick one of those.",
        "start_from": "Start from:",
        "title": "Lab: the web of trust",
        "intro": "Set how far you trust each person to check keys (owner trust), let people "
        "certify each other's keys, revoke a key, and see which keys become valid. "
        "Try: let <em>Dave</em> certify <em>Erin</em>, or revoke <em>Alice</em>'s key.",
        "owner_trust": "<strong>Your owner trust in each person, and revocations</strong>",
        "certifications": "<strong>Certifications</strong> (a signature on someone's key)",
        "rules": "<strong>GnuPG's rules</strong>",
        "signer": "Signer:",
        "signee": "certifies the key of:",
        "certify": "Certify",
        "revoke": "Revoke certification",
        "remove": "Remove",
        "new_placeholder": "a name, e.g. Frank",
        "new_person": "New person:",
        "add_key": "Add key",
        "focus": "Explain the key of:",
        "no_name": "Type a name for the new person first (for example 'Frank').",
    }
)
"""The lab's words (see :mod:`mailsec.i18n`)."""


def _friends() -> WebOfTrust:
    return WebOfTrust.build(
        {
            "You": "ultimate",
            "Alice": "full",
            "Bob": "marginal",
            "Carol": "marginal",
            "Dave": "marginal",
            "Erin": "unknown",
        },
        [
            ("You", "Alice"),
            ("You", "Bob"),
            ("You", "Carol"),
            ("Alice", "Dave"),
            ("Bob", "Erin"),
            ("Carol", "Erin"),
        ],
    )


def _ca_style() -> WebOfTrust:
    return WebOfTrust.build(
        {
            "You": "ultimate",
            "CA": "full",
            "Alice": "unknown",
            "Bob": "unknown",
            "Carol": "unknown",
            "Dave": "unknown",
        },
        [("You", "CA"), ("CA", "Alice"), ("CA", "Bob"), ("CA", "Carol"), ("CA", "Dave")],
    )


def _only_you() -> WebOfTrust:
    return WebOfTrust.build(
        {"You": "ultimate", "Alice": "unknown", "Bob": "unknown", "Carol": "unknown"}
    )


def _impostor() -> WebOfTrust:
    return WebOfTrust.build(
        {
            "You": "ultimate",
            "Alice": "full",
            "Bob": "unknown",
            "Fake Bob": "unknown",
            "Mallory": "full",
            "Sock Puppet": "full",
        },
        [
            ("You", "Alice"),
            ("Alice", "Bob"),
            ("Mallory", "Fake Bob"),
            ("Sock Puppet", "Fake Bob"),
            ("Mallory", "Sock Puppet"),
            ("Sock Puppet", "Mallory"),
        ],
    )


#: The starting graphs of the trust lab: (label in English, builder); the lab shows each label
#: in its own language.
SCENARIOS: dict[str, tuple[str, Callable[[], WebOfTrust]]] = {
    "friends": (TEXT.source["scenarios"]["friends"], _friends),
    "ca": (TEXT.source["scenarios"]["ca"], _ca_style),
    "empty": (TEXT.source["scenarios"]["empty"], _only_you),
    "impostor": (TEXT.source["scenarios"]["impostor"], _impostor),
}


def _trust_options() -> list[tuple[str, OwnerTrust]]:
    return [(t.description, t) for t in OwnerTrust]


_WIDE = {"description_width": "initial"}


def _rule_box(name: str, css: str) -> widgets.IntText:
    """A box for one of GnuPG's three numbers, starting at GnuPG's default."""
    # No bounds on the box: a bounded box would quietly change a number GnuPG refuses into one
    # it accepts; TrustPolicy says instead why the number is refused.
    limit = POLICY_LIMITS[name]
    box = widgets.IntText(
        value=limit.default,
        description=limit.title,
        style=_WIDE,
        layout=widgets.Layout(width="190px"),
    )
    return tagged(box, css)


def _key_controls(key: TrustKey) -> tuple[widgets.Dropdown, widgets.Checkbox, widgets.Checkbox]:
    """One key's row: your owner trust in its owner, and whether it is revoked or expired."""
    trust = fit_menu(
        widgets.Dropdown(
            options=_trust_options(),
            value=key.owner_trust,
            description=person(key.name),
            style={"description_width": "90px"},
            layout=widgets.Layout(width="530px"),
        )
    )
    revoked = checkbox(
        TEXT["revoked"].format(name=key.name),
        "mailsec-wot-revoked",
        value=key.revoked,
        layout=widgets.Layout(width="auto", margin="0 16px 0 8px"),
    )
    expired = checkbox(
        TEXT["expired"],
        "mailsec-wot-expired",
        value=key.expired,
        tooltip=TEXT["expired_tip"].format(name=key.name),
        layout=widgets.Layout(width="auto"),
    )
    return tagged(trust, "mailsec-wot-trust"), revoked, expired


class TrustLab(Lab):
    """Edit a web of trust and watch each key's validity change."""

    def __init__(self, scenario: str = "friends", *, lang: str | None = None) -> None:
        if scenario not in SCENARIOS:
            raise InputError(
                TEXT["no_scenario"].format(scenario=scenario, choices=", ".join(SCENARIOS))
            )
        self.web: WebOfTrust = SCENARIOS[scenario][1]()
        self.trust_result: TrustResult | None = None
        self.scenario = dropdown(
            TEXT["start_from"],
            [(TEXT["scenarios"][key], key) for key in SCENARIOS],
            scenario,
            "mailsec-wot-scenario",
            width="480px",
        )
        # One row per key: owner trust and "revoked", rebuilt when the set of keys changes.
        self.trust: dict[str, widgets.Dropdown] = {}
        self.revoked: dict[str, widgets.Checkbox] = {}
        self.expired: dict[str, widgets.Checkbox] = {}
        self.key_rows = widgets.VBox([])
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[
                self.scenario,
                widgets.HTML(TEXT["owner_trust"]),
                self.key_rows,
                widgets.HTML(TEXT["certifications"]),
                self._certification_row(),
                widgets.HTML(TEXT["rules"]),
                self._rules_row(),
                self._new_key_row(),
            ],
            lang=lang,
        )
        self.add_class("mailsec-wot-lab")
        self.on_change([self.scenario], self._load_scenario)
        self.on_change([self.completes, self.marginals, self.depth, self.focus], self.update)
        self.on_click(self.certify_button, self._certify)
        self.on_click(self.revoke_button, self._revoke_certification)
        self.on_click(self.remove_button, self._remove_certification)
        self.on_click(self.add_button, self._add_key)
        self._rebuild_rows()
        self.update()

    # -- building the controls -----------------------------------------------------------------

    def _certification_row(self) -> widgets.HBox:
        """Signer, signee and the three buttons that certify, revoke or remove."""
        # Each control carries its own label, so a screen reader says what it is for.
        self.signer = widgets.Dropdown(
            description=TEXT["signer"], style=_WIDE, layout=widgets.Layout(width="190px")
        )
        self.signee = widgets.Dropdown(
            description=TEXT["signee"], style=_WIDE, layout=widgets.Layout(width="270px")
        )
        tagged(self.signer, "mailsec-wot-signer")
        tagged(self.signee, "mailsec-wot-signee")
        self.certify_button = button(TEXT["certify"], "mailsec-wot-certify", button_style="primary")
        self.revoke_button = button(TEXT["revoke"], "mailsec-wot-revoke-cert")
        self.remove_button = button(TEXT["remove"], "mailsec-wot-remove-cert")
        return widgets.HBox(
            [self.signer, self.signee, self.certify_button, self.revoke_button, self.remove_button]
        )

    def _rules_row(self) -> widgets.HBox:
        """GnuPG's three numbers."""
        self.completes = _rule_box("completes_needed", "mailsec-wot-completes")
        self.marginals = _rule_box("marginals_needed", "mailsec-wot-marginals")
        self.depth = _rule_box("max_cert_depth", "mailsec-wot-depth")
        return widgets.HBox([self.completes, self.marginals, self.depth])

    def _new_key_row(self) -> widgets.HBox:
        """A new person's name and its button, and the key whose validity is explained."""
        self.new_name = widgets.Text(
            placeholder=TEXT["new_placeholder"],
            description=TEXT["new_person"],
            style=_WIDE,
            layout=widgets.Layout(width="260px"),
        )
        tagged(self.new_name, "mailsec-wot-new-name")
        self.add_button = button(TEXT["add_key"], "mailsec-wot-add-key")
        self.focus = widgets.Dropdown(
            description=TEXT["focus"], style=_WIDE, layout=widgets.Layout(width="280px")
        )
        tagged(self.focus, "mailsec-wot-focus")
        return widgets.HBox([self.new_name, self.add_button, self.focus])

    # -- the controls that follow the set of keys ----------------------------------------------

    def _rebuild_rows(self) -> None:
        names = list(self.web.names)
        self.trust, self.revoked, self.expired = {}, {}, {}
        rows = []
        for key in self.web.keys:
            trust, revoked, expired = _key_controls(key)
            self.trust[key.name] = trust
            self.revoked[key.name] = revoked
            self.expired[key.name] = expired
            rows.append(widgets.HBox([trust, revoked, expired]))
            self.on_change([trust, revoked, expired], self._read_key_rows)
        self.key_rows.children = rows
        focus = self.focus.value if self.focus.value in names else names[-1] if names else None
        shown = [(person(name), name) for name in names]
        with self.hold_trait_notifications():
            self.signer.options = shown
            self.signee.options = shown
            if len(names) > 1:
                self.signer.value, self.signee.value = names[0], names[1]
            self.focus.options = shown
            self.focus.value = focus

    def _read_key_rows(self) -> None:
        web = self.web
        for name in web.names:
            web = web.with_owner_trust(name, self.trust[name].value)
            web = web.with_key_revoked(name, self.revoked[name].value)
            web = web.with_key_expired(name, self.expired[name].value)
        self.web = web
        self.update()

    # -- callbacks -----------------------------------------------------------------------------

    def _load_scenario(self) -> None:
        self.web = SCENARIOS[self.scenario.value][1]()
        self._rebuild_rows()
        self.update()

    def _certify(self) -> None:
        self.web = self.web.with_certification(self.signer.value, self.signee.value)
        self.focus.value = self.signee.value  # fires update()
        self.update()

    def _revoke_certification(self) -> None:
        self.web = self.web.with_certification_revoked(self.signer.value, self.signee.value)
        self.update()

    def _remove_certification(self) -> None:
        self.web = self.web.without_certification(self.signer.value, self.signee.value)
        self.update()

    def _add_key(self) -> None:
        name = self.new_name.value.strip()
        if not name:
            raise InputError(TEXT["no_name"])
        self.web = self.web.with_key(name)
        self.new_name.value = ""
        self._rebuild_rows()
        self.focus.value = name
        self.update()

    def policy(self) -> TrustPolicy:
        """The rules in GnuPG's three boxes; numbers GnuPG refuses are refused with its reason."""
        return TrustPolicy(
            completes_needed=self.completes.value,
            marginals_needed=self.marginals.value,
            max_cert_depth=self.depth.value,
        )

    def update(self) -> None:
        try:
            policy = self.policy()
        except InputError:
            # The graph on screen was computed with other rules: take it away with the error.
            self.trust_result = None
            self.show("")
            raise
        result = evaluate(self.web, policy)
        self.trust_result = result
        focus = self.focus.value if self.focus.value in self.web.names else None
        self.show(str(trust_html(result, focus=focus)))

    def ask_gnupg(self, *, gpg: str | None = None) -> Fragment:
        """GnuPG's validity for the graph and rules as they are in the lab, next to the model's.

        Rules GnuPG refuses are said in the lab's own words and gpg is not run; a notebook cell
        shows the result, not a traceback. ``gpg``: as for :func:`gnupg_trust_check`.
        """
        try:
            policy = self.policy()
        except InputError as exc:
            return Fragment(error_box(exc.message))
        return gnupg_trust_html(gnupg_trust_check(self.web, policy, gpg=gpg))


def trust_lab(scenario: str = "friends", *, lang: str | None = None) -> TrustLab:
    """The web-of-trust lab, ready to display (``scenario``: friends, ca, empty or impostor)."""
    return TrustLab(scenario, lang=lang)
