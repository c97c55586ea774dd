"""Chapter 06's labs: the web of trust, OpenPGP messages, GnuPG, and PGP next to S/MIME.

Each function returns a ready :class:`~mailsec.labs.frame.Lab`:

- :func:`trust_lab` — a web of trust the learner edits: owner trust per key, certifications
  added, revoked or removed, keys revoked, GnuPG's three numbers; the graph and every key's
  validity update at once, with the reason.

Keys are generated once when a lab is built, never inside a callback, so callbacks stay fast.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.labs.frame import Lab
from mailsec.openpgp.trust import (
    OwnerTrust,
    TrustPolicy,
    TrustResult,
    WebOfTrust,
    evaluate,
)
from mailsec.render.openpgp import trust_html

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


#: The starting graphs of the trust lab: (label, builder).
SCENARIOS: dict[str, tuple[str, Callable[[], WebOfTrust]]] = {
    "friends": ("A circle of friends (Erin has 2 of 3 marginals)", _friends),
    "ca": ("CA style: one introducer certifies everyone", _ca_style),
    "empty": ("Only your key: nobody certified yet", _only_you),
}

_TRUST_OPTIONS = [(t.description, t) for t in OwnerTrust]


class TrustLab(Lab):
    """Edit a web of trust and watch each key's validity change."""

    def __init__(self, scenario: str = "friends") -> None:
        if scenario not in SCENARIOS:
            raise InputError(
                f"Scenario {scenario!r} is not one of: {', '.join(SCENARIOS)}; pick one of those."
            )
        self.web: WebOfTrust = SCENARIOS[scenario][1]()
        self.trust_result: TrustResult | None = None
        wide = {"description_width": "initial"}

        self.scenario = widgets.Dropdown(
            options=[(label, key) for key, (label, _build) in SCENARIOS.items()],
            value=scenario,
            description="Start from:",
            style=wide,
            layout=widgets.Layout(width="480px"),
        )
        self.scenario.add_class("mailsec-wot-scenario")

        # One row per key: owner trust and "revoked", rebuilt when the set of keys changes.
        self.trust: dict[str, widgets.Dropdown] = {}
        self.revoked: dict[str, widgets.Checkbox] = {}
        self.key_rows = widgets.VBox([])

        self.signer = widgets.Dropdown(description="", layout=widgets.Layout(width="130px"))
        self.signee = widgets.Dropdown(description="", layout=widgets.Layout(width="130px"))
        self.signer.add_class("mailsec-wot-signer")
        self.signee.add_class("mailsec-wot-signee")
        self.certify_button = widgets.Button(description="Certify", button_style="primary")
        self.revoke_button = widgets.Button(description="Revoke certification")
        self.remove_button = widgets.Button(description="Remove")
        self.certify_button.add_class("mailsec-wot-certify")
        self.revoke_button.add_class("mailsec-wot-revoke-cert")
        self.remove_button.add_class("mailsec-wot-remove-cert")
        for button in (self.certify_button, self.revoke_button, self.remove_button):
            button.layout = widgets.Layout(width="auto")
        cert_row = widgets.HBox(
            [
                self.signer,
                widgets.HTML("&nbsp;certifies the key of&nbsp;"),
                self.signee,
                self.certify_button,
                self.revoke_button,
                self.remove_button,
            ]
        )

        self.completes = widgets.BoundedIntText(
            value=1,
            min=1,
            max=9,
            description="completes needed",
            style=wide,
            layout=widgets.Layout(width="190px"),
        )
        self.marginals = widgets.BoundedIntText(
            value=3,
            min=1,
            max=9,
            description="marginals needed",
            style=wide,
            layout=widgets.Layout(width="190px"),
        )
        self.depth = widgets.BoundedIntText(
            value=5,
            min=1,
            max=9,
            description="max path length",
            style=wide,
            layout=widgets.Layout(width="190px"),
        )
        self.completes.add_class("mailsec-wot-completes")
        self.marginals.add_class("mailsec-wot-marginals")
        self.depth.add_class("mailsec-wot-depth")

        self.new_name = widgets.Text(
            placeholder="a name, e.g. Frank",
            description="New person:",
            style=wide,
            layout=widgets.Layout(width="260px"),
        )
        self.new_name.add_class("mailsec-wot-new-name")
        self.add_button = widgets.Button(description="Add key", layout=widgets.Layout(width="auto"))
        self.add_button.add_class("mailsec-wot-add-key")

        self.focus = widgets.Dropdown(
            description="Explain the key of:", style=wide, layout=widgets.Layout(width="280px")
        )
        self.focus.add_class("mailsec-wot-focus")

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
                cert_row,
                widgets.HTML("<strong>GnuPG's rules</strong>"),
                widgets.HBox([self.completes, self.marginals, self.depth]),
                widgets.HBox([self.new_name, self.add_button, self.focus]),
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

    # -- the controls that follow the set of keys ----------------------------------------------

    def _rebuild_rows(self) -> None:
        names = list(self.web.names)
        self.trust, self.revoked = {}, {}
        rows = []
        for key in self.web.keys:
            trust = widgets.Dropdown(
                options=_TRUST_OPTIONS,
                value=key.owner_trust,
                layout=widgets.Layout(width="430px"),
            )
            trust.add_class("mailsec-wot-trust")
            revoked = widgets.Checkbox(value=key.revoked, description="revoked", indent=False)
            revoked.add_class("mailsec-wot-revoked")
            self.trust[key.name] = trust
            self.revoked[key.name] = revoked
            label = widgets.HTML(
                f"<strong>{key.name}</strong>", layout=widgets.Layout(width="90px")
            )
            rows.append(widgets.HBox([label, trust, revoked]))
            self.on_change([trust, revoked], self._read_key_rows)
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
        return TrustPolicy(
            completes_needed=self.completes.value,
            marginals_needed=self.marginals.value,
            max_cert_depth=self.depth.value,
        )

    def update(self) -> None:
        result = evaluate(self.web, self.policy())
        self.trust_result = result
        focus = self.focus.value if self.focus.value in self.web.names else None
        self.show(str(trust_html(result, focus=focus)))


def trust_lab(scenario: str = "friends") -> TrustLab:
    """The web-of-trust lab, ready to display (``scenario``: friends, ca or empty)."""
    return TrustLab(scenario)
