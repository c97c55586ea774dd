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
from mailsec.labs.frame import Lab, button, checkbox, dropdown, tagged
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
from mailsec.render.openpgp import gnupg_trust_html, trust_html

__all__ = ["SCENARIOS", "TrustLab", "trust_lab"]


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


#: The starting graphs of the trust lab: (label, builder).
SCENARIOS: dict[str, tuple[str, Callable[[], WebOfTrust]]] = {
    "friends": ("A circle of friends (Erin has 2 of 3 marginals)", _friends),
    "ca": ("CA style: one introducer certifies everyone", _ca_style),
    "empty": ("Only your key: nobody certified yet", _only_you),
    "impostor": ("An impostor: Mallory's 'Fake Bob' key, certified by her friends", _impostor),
}


_TRUST_OPTIONS = [(t.description, t) for t in OwnerTrust]
_WIDE = {"description_width": "initial"}


def _rule_box(name: str, css: str) -> widgets.IntText:
    """A box for one of GnuPG's three numbers, starting at GnuPG's default."""
    # No bounds on the box: a bounded box would quietly change a number GnuPG refuses into one
    # it accepts; TrustPolicy says instead why the number is refused.
    limit = POLICY_LIMITS[name]
    box = widgets.IntText(
        value=limit.default,
        description=limit.label,
        style=_WIDE,
        layout=widgets.Layout(width="190px"),
    )
    return tagged(box, css)


def _key_controls(key: TrustKey) -> tuple[widgets.Dropdown, widgets.Checkbox, widgets.Checkbox]:
    """One key's row: your owner trust in its owner, and whether it is revoked or expired."""
    trust = widgets.Dropdown(
        options=_TRUST_OPTIONS,
        value=key.owner_trust,
        description=key.name,
        style={"description_width": "90px"},
        layout=widgets.Layout(width="530px"),
    )
    revoked = checkbox(
        f"{key.name}'s key revoked",
        "mailsec-wot-revoked",
        value=key.revoked,
        layout=widgets.Layout(width="auto", margin="0 16px 0 8px"),
    )
    expired = checkbox(
        "expired",
        "mailsec-wot-expired",
        value=key.expired,
        tooltip=f"{key.name}'s key expired",
        layout=widgets.Layout(width="auto"),
    )
    return tagged(trust, "mailsec-wot-trust"), revoked, expired


class TrustLab(Lab):
    """Edit a web of trust and watch each key's validity change."""

    def __init__(self, scenario: str = "friends") -> None:
        if scenario not in SCENARIOS:
            raise InputError(
                f"Scenario {scenario!r} is not one of: {', '.join(SCENARIOS)}; pick one of those."
            )
        self.web: WebOfTrust = SCENARIOS[scenario][1]()
        self.trust_result: TrustResult | None = None
        self.scenario = dropdown(
            "Start from:",
            [(label, key) for key, (label, _build) in SCENARIOS.items()],
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
            "Lab: the web of trust",
            intro="Set how far you trust each person to check keys (owner trust), let people "
            "certify each other's keys, revoke a key, and see which keys become valid. "
            "Try: let <em>Dave</em> certify <em>Erin</em>, or revoke <em>Alice</em>'s key.",
            controls=[
                self.scenario,
                widgets.HTML("<strong>Your owner trust in each person, and revocations</strong>"),
                self.key_rows,
                widgets.HTML("<strong>Certifications</strong> (a signature on someone's key)"),
                self._certification_row(),
                widgets.HTML("<strong>GnuPG's rules</strong>"),
                self._rules_row(),
                self._new_key_row(),
            ],
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
            description="Signer:", style=_WIDE, layout=widgets.Layout(width="190px")
        )
        self.signee = widgets.Dropdown(
            description="certifies the key of:", style=_WIDE, layout=widgets.Layout(width="270px")
        )
        tagged(self.signer, "mailsec-wot-signer")
        tagged(self.signee, "mailsec-wot-signee")
        self.certify_button = button("Certify", "mailsec-wot-certify", button_style="primary")
        self.revoke_button = button("Revoke certification", "mailsec-wot-revoke-cert")
        self.remove_button = button("Remove", "mailsec-wot-remove-cert")
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
            placeholder="a name, e.g. Frank",
            description="New person:",
            style=_WIDE,
            layout=widgets.Layout(width="260px"),
        )
        tagged(self.new_name, "mailsec-wot-new-name")
        self.add_button = button("Add key", "mailsec-wot-add-key")
        self.focus = widgets.Dropdown(
            description="Explain the key of:", style=_WIDE, layout=widgets.Layout(width="280px")
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
        with self.hold_trait_notifications():
            self.signer.options = names
            self.signee.options = names
            if len(names) > 1:
                self.signer.value, self.signee.value = names[0], names[1]
            self.focus.options = names
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
            raise InputError("Type a name for the new person first (for example 'Frank').")
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
