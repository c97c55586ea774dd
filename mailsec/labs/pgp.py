"""Chapter 06's labs: the web of trust, OpenPGP messages, GnuPG, and PGP next to S/MIME.

Each function returns a ready :class:`~mailsec.labs.frame.Lab`:

- :func:`message_lab` — Alice, Bob and Carol send each other PGP/MIME mail (encrypted and
  signed, encrypted only, signed only); an attacker changes a byte on the way; the mail is opened
  by the recipient or by someone else; the packets are listed like ``gpg --list-packets``.
- :func:`compare_lab` — the same text signed with PGP/MIME and with S/MIME (the course CA of
  :mod:`mailsec.pki`), side by side, with what the reader needs for each.
- :func:`exchange_with_gnupg` — not a widget: mail from mailsec to GnuPG and back, in a
  temporary GNUPGHOME; it says plainly when gpg is not installed.
- :func:`gnupg_trust_check` — not a widget: the same web of trust built with real keys in a
  temporary GNUPGHOME, and GnuPG's own validity next to the model's. If gpg fails, the result
  says so and agrees with nothing.
- :func:`trust_lab` — a web of trust the learner edits: owner trust per key, certifications
  added, revoked or removed, keys revoked, GnuPG's three numbers; the graph and every key's
  validity update at once, with the reason.

Keys are generated once when a lab is built, never inside a callback, so callbacks stay fast.

Whether gpg succeeded is read from what it says for programs — its exit status, its status lines
(``--status-fd``) and its ``--with-colons`` listings — never from its messages to people, which
are translated into the user's language.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from mailsec import openpgp
from mailsec.errors import InputError, MailsecError
from mailsec.labs.frame import Lab
from mailsec.openpgp.pgpmime import (
    Delivery,
    MailPair,
    Protection,
    SealedSideBySide,
    SideBySide,
    Tamper,
    check_pair,
    deliver,
    encrypt_message,
    encrypt_pair,
    open_pair,
    protect,
    read_message,
    sign_pair,
)
from mailsec.openpgp.trust import (
    GNUPG_MODEL,
    POLICY_LIMITS,
    OwnerTrust,
    TrustPolicy,
    TrustResult,
    Validity,
    WebOfTrust,
    evaluate,
)
from mailsec.render.html import Fragment, error_box
from mailsec.render.openpgp import delivery_html, gnupg_trust_html, side_by_side_html, trust_html
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "PEOPLE",
    "SCENARIOS",
    "TRUST_CHECK_WORDS",
    "CompareLab",
    "GnupgExchange",
    "GnupgTrustCheck",
    "GpgRun",
    "MessageLab",
    "TrustLab",
    "compare_lab",
    "exchange_with_gnupg",
    "gnupg_trust_check",
    "make_people",
    "message_lab",
    "trust_lab",
]


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
        self.expired: dict[str, widgets.Checkbox] = {}
        self.key_rows = widgets.VBox([])

        # Each control carries its own label, so a screen reader says what it is for.
        self.signer = widgets.Dropdown(
            description="Signer:", style=wide, layout=widgets.Layout(width="190px")
        )
        self.signee = widgets.Dropdown(
            description="certifies the key of:", style=wide, layout=widgets.Layout(width="270px")
        )
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
                self.signee,
                self.certify_button,
                self.revoke_button,
                self.remove_button,
            ]
        )

        def rule_box(name: str, css: str) -> widgets.IntText:
            # No bounds on the box: a bounded box would quietly change a number GnuPG refuses
            # into one it accepts; TrustPolicy says instead why the number is refused.
            limit = POLICY_LIMITS[name]
            box = widgets.IntText(
                value=limit.default,
                description=limit.label,
                style=wide,
                layout=widgets.Layout(width="190px"),
            )
            box.add_class(css)
            return box

        self.completes = rule_box("completes_needed", "mailsec-wot-completes")
        self.marginals = rule_box("marginals_needed", "mailsec-wot-marginals")
        self.depth = rule_box("max_cert_depth", "mailsec-wot-depth")

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
        self.trust, self.revoked, self.expired = {}, {}, {}
        rows = []
        for key in self.web.keys:
            trust = widgets.Dropdown(
                options=_TRUST_OPTIONS,
                value=key.owner_trust,
                description=key.name,
                style={"description_width": "90px"},
                layout=widgets.Layout(width="530px"),
            )
            trust.add_class("mailsec-wot-trust")
            revoked = widgets.Checkbox(
                value=key.revoked,
                description=f"{key.name}'s key revoked",
                indent=False,
                layout=widgets.Layout(width="auto", margin="0 16px 0 8px"),
            )
            revoked.add_class("mailsec-wot-revoked")
            expired = widgets.Checkbox(
                value=key.expired,
                description="expired",
                tooltip=f"{key.name}'s key expired",
                indent=False,
                layout=widgets.Layout(width="auto"),
            )
            expired.add_class("mailsec-wot-expired")
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


def trust_lab(scenario: str = "friends") -> TrustLab:
    """The web-of-trust lab, ready to display (``scenario``: friends, ca, empty or impostor)."""
    return TrustLab(scenario)


# -- the message lab ------------------------------------------------------------------------------

PEOPLE = ("Alice", "Bob", "Carol")


def make_people(now: datetime | None = None) -> dict[str, openpgp.SecretKey]:
    """Fresh Ed25519 + Curve25519 keys for Alice, Bob and Carol (made at run time, never stored)."""
    return {
        name: openpgp.generate_key(f"{name} <{name.lower()}@example.org>", now=now)
        for name in PEOPLE
    }


class MessageLab(Lab):
    """Alice, Bob and Carol send PGP/MIME mail; change it in transit; open it as anyone."""

    def __init__(self, keys: Mapping[str, openpgp.SecretKey] | None = None) -> None:
        self.people = dict(keys) if keys is not None else make_people()
        names = list(self.people)
        self.certs = [key.public for key in self.people.values()]
        self._sent: dict[tuple[object, ...], bytes] = {}
        self.delivery: Delivery | None = None
        wide = {"description_width": "initial"}
        self.sender = widgets.Dropdown(
            options=names, value=names[0], description="From:", style=wide
        )
        self.recipient = widgets.Dropdown(
            options=names, value=names[1], description="To:", style=wide
        )
        self.reader = widgets.Dropdown(
            options=names, value=names[1], description="Opened by:", style=wide
        )
        self.protection = widgets.ToggleButtons(
            options=[(p.value, p) for p in Protection],
            value=Protection.ENCRYPT_AND_SIGN,
            description="Protection:",
            style=wide,
        )
        self.subject = widgets.Text(value="Lunch", description="Subject:", style=wide)
        self.text = widgets.Textarea(
            value="Hi Bob,\nlunch at noon tomorrow?\nAlice\n",
            description="Text:",
            style=wide,
            layout=widgets.Layout(width="520px", height="90px"),
        )
        self.tamper = widgets.Dropdown(
            description="In transit, change:", style=wide, layout=widgets.Layout(width="560px")
        )
        for control, css in (
            (self.sender, "mailsec-pgp-sender"),
            (self.recipient, "mailsec-pgp-recipient"),
            (self.reader, "mailsec-pgp-reader"),
            (self.protection, "mailsec-pgp-protection"),
            (self.subject, "mailsec-pgp-subject"),
            (self.text, "mailsec-pgp-text"),
            (self.tamper, "mailsec-pgp-tamper"),
        ):
            control.add_class(css)
        super().__init__(
            "Lab: PGP/MIME mail between Alice, Bob and Carol",
            intro="Each person has a fresh key pair (Ed25519 for signing, Curve25519 for "
            "encryption) and everyone's public key. Pick who sends, who opens it, and what an "
            "attacker changes on the way. Try: <em>Opened by: Carol</em>, or change "
            "<em>one byte of the encrypted data</em>.",
            controls=[
                widgets.HBox([self.sender, self.recipient, self.reader]),
                self.protection,
                self.subject,
                self.text,
                self.tamper,
            ],
        )
        self.add_class("mailsec-pgp-lab")
        self._set_tamper_options()
        self.on_change([self.protection], self._protection_changed)
        self.on_change(
            [self.sender, self.recipient, self.reader, self.subject, self.text, self.tamper],
            self.update,
        )
        self.update()

    def _set_tamper_options(self) -> None:
        current = self.tamper.value
        options = [(t.value, t) for t in Tamper if t.applies_to(self.protection.value)]
        with self.hold_trait_notifications():
            self.tamper.options = options
            self.tamper.value = current if current in dict(options).values() else Tamper.NOTHING

    def _protection_changed(self) -> None:
        self._set_tamper_options()
        self.update()

    def sent(self) -> bytes:
        """The mail as sent (made once per choice of sender, recipient, protection and text)."""
        text = self.text.value
        if not text.strip():
            raise InputError("The text is empty: type a few words for the mail.")
        choice = (
            self.sender.value,
            self.recipient.value,
            self.protection.value,
            self.subject.value,
            text,
        )
        if choice not in self._sent:
            sender, recipient = self.people[self.sender.value], self.people[self.recipient.value]
            headers = {
                "From": sender.user_ids[0],
                "To": recipient.user_ids[0],
                "Subject": self.subject.value or "(no subject)",
            }
            self._sent[choice] = protect(
                self.protection.value,
                text,
                sender=sender,
                recipient=recipient.public,
                headers=headers,
            )
        return self._sent[choice]

    def update(self) -> None:
        reader = self.reader.value
        delivery = deliver(
            self.sent(), tamper=self.tamper.value, reader=self.people[reader], certs=self.certs
        )
        self.delivery = delivery
        note = ""
        try:
            packets: tuple[object, ...] | None = openpgp.list_packets(
                delivery.openpgp_data, keys=[self.people[reader]]
            )
            if delivery.encrypted and delivery.result is None:
                note = f"{reader} cannot decrypt it, so the packets inside the encrypted data stay hidden."
        except MailsecError as exc:
            packets, note = None, f"The packets cannot be listed: {exc.message}"
        self.show(str(delivery_html(delivery, reader=reader, packets=packets, packets_note=note)))


def message_lab(keys: Mapping[str, openpgp.SecretKey] | None = None) -> MessageLab:
    """The message lab, ready to display (keys for Alice, Bob and Carol are made once here)."""
    return MessageLab(keys)


# -- PGP next to S/MIME ---------------------------------------------------------------------------


class CompareLab(Lab):
    """The same text signed (or encrypted) with PGP/MIME and with S/MIME; change it in transit;
    take away what the reader needs for each signature."""

    def __init__(
        self,
        alice: openpgp.SecretKey | None = None,
        pki: Any = None,
        bob: openpgp.SecretKey | None = None,
    ) -> None:
        from mailsec.pki import course_pki

        self.alice = alice or openpgp.generate_key("Alice <alice@example.org>")
        self.bob = bob or openpgp.generate_key("Bob <bob@example.org>")
        self.pki = pki or course_pki()
        self.pair: SideBySide | SealedSideBySide | None = None
        self._sent: dict[tuple[bool, str], MailPair] = {}
        wide = {"description_width": "initial"}
        self.text = widgets.Textarea(
            value="Hi Bob,\nthe invoice total is 120 EUR.\nAlice\n",
            description="Text:",
            style=wide,
            layout=widgets.Layout(width="520px", height="80px"),
        )
        self.action_picker = widgets.ToggleButtons(
            options=[("sign", "sign"), ("encrypt for Bob", "encrypt")],
            value="sign",
            description="Alice wants to:",
            style=wide,
        )
        self.change = widgets.Checkbox(
            value=False, description="Change it in transit", indent=False
        )
        self.has_key = widgets.Checkbox(
            value=True, description="Bob already has Alice's OpenPGP public key", indent=False
        )
        self.trusts_ca = widgets.Checkbox(
            value=True, description="Bob's mail program trusts the course root CA", indent=False
        )
        for control, css in (
            (self.text, "mailsec-cmp-text"),
            (self.action_picker, "mailsec-cmp-action"),
            (self.change, "mailsec-cmp-change"),
            (self.has_key, "mailsec-cmp-has-key"),
            (self.trusts_ca, "mailsec-cmp-trusts-ca"),
        ):
            control.add_class(css)
        super().__init__(
            "Lab: PGP and S/MIME side by side",
            intro="Alice signs the same text with PGP/MIME and with S/MIME. Compare the two mails, "
            "then take away what Bob needs for each: Alice's public key (PGP) or the root CA "
            "(S/MIME).",
            controls=[
                self.action_picker,
                self.text,
                widgets.HBox([self.change, self.has_key, self.trusts_ca]),
            ],
        )
        self.add_class("mailsec-cmp-lab")
        self.on_change(
            [self.action_picker, self.text, self.change, self.has_key, self.trusts_ca], self.update
        )
        self.update()

    def sent(self) -> MailPair:
        """Both mails as sent (made once per action and text; changing checkboxes reuses them)."""
        encrypting = self.action_picker.value == "encrypt"
        choice = (encrypting, self.text.value)
        if choice not in self._sent:
            headers = {
                "From": "Alice <alice@example.org>",
                "To": "Bob <bob@example.org>",
                "Subject": "Invoice",
            }
            if encrypting:
                pair = encrypt_pair(
                    self.text.value,
                    pgp_recipient=self.bob,
                    smime_key=self.pki.bob.key,
                    smime_certificate=self.pki.bob.certificate,
                    headers=headers,
                )
            else:
                pair = sign_pair(
                    self.text.value,
                    pgp_key=self.alice,
                    smime_key=self.pki.alice.key,
                    smime_certificate=self.pki.alice.certificate,
                    headers=headers,
                )
            self._sent[choice] = pair
        return self._sent[choice]

    def update(self) -> None:
        pair = self.sent()
        # Who trusts what only matters for checking a signature.
        self.has_key.disabled = self.trusts_ca.disabled = pair.encrypted
        if pair.encrypted:
            result: SideBySide | SealedSideBySide = open_pair(
                pair,
                pgp_recipient=self.bob,
                smime_key=self.pki.bob.key,
                smime_certificate=self.pki.bob.certificate,
                change_ciphertext=self.change.value,
            )
        else:
            result = check_pair(
                pair,
                pgp_certs=[self.alice.public] if self.has_key.value else [],
                # Untrusting the course CA: Bob's program trusts only some other root.
                smime_trusted=[
                    self.pki.ca.certificate
                    if self.trusts_ca.value
                    else self.pki.unknown_root.certificate
                ],
                change_text=self.change.value,
            )
        self.pair = result
        self.show(str(side_by_side_html(result)))


def compare_lab(
    alice: openpgp.SecretKey | None = None,
    pki: Any = None,
    bob: openpgp.SecretKey | None = None,
) -> CompareLab:
    """PGP/MIME and S/MIME on the same message (signed, or encrypted for Bob), ready to display."""
    return CompareLab(alice, pki, bob)


# -- GnuPG in the notebook --------------------------------------------------------------------------


#: The status keywords by which gpg reports an error on its status channel (GnuPG doc/DETAILS).
GPG_ERROR_KEYWORDS = frozenset({"ERROR", "FAILURE"})
_STATUS_PREFIX = "[GNUPG:] "


@dataclass(frozen=True)
class GpgRun:
    """One gpg command and what it printed."""

    command: str
    returncode: int
    output: str
    """What gpg said on standard error (its messages to people, in the user's language)."""
    status: tuple[tuple[str, ...], ...] = ()
    """Its status lines (``--status-fd``), each split into keyword and arguments: the
    machine-readable account of what it did, the same in every language (GnuPG doc/DETAILS)."""

    @property
    def failed(self) -> bool:
        """gpg exited with an error status or reported an error on its status channel."""
        return self.returncode != 0 or any(line[0] in GPG_ERROR_KEYWORDS for line in self.status)

    def said(self, keyword: str) -> tuple[tuple[str, ...], ...]:
        """The arguments of every status line with ``keyword`` (``GOODSIG``, ``VALIDSIG`` ...)."""
        return tuple(line[1:] for line in self.status if line[0] == keyword)


def _run_gpg(
    binary: str, shown: tuple[str, ...], options: tuple[str, ...], stdin: bytes, timeout: float
) -> tuple[GpgRun, bytes]:
    """Run gpg with ``options`` and ``shown``; return the run and what gpg wrote to stdout.

    The status lines go to standard error with gpg's messages (``--status-fd 2``) and are told
    apart by their ``[GNUPG:]`` prefix, so standard output stays free for data.
    """
    result = subprocess.run(
        [binary, "--status-fd", "2", *options, *shown],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    said: list[str] = []
    status: list[tuple[str, ...]] = []
    for line in result.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith(_STATUS_PREFIX):
            status.append(tuple(line[len(_STATUS_PREFIX) :].split()) or ("",))
        else:
            said.append(line)
    command = " ".join(["gpg", *shown])
    return GpgRun(command, result.returncode, "\n".join(said).strip(), tuple(status)), result.stdout


@dataclass(frozen=True)
class GnupgExchange:
    """Mail between mailsec and GnuPG, both ways, in a throw-away GNUPGHOME."""

    available: bool
    version: str
    runs: tuple[GpgRun, ...] = ()
    gpg_read_ours: bool = False
    """gpg decrypted Alice's PGP/MIME mail to Bob and found a good signature."""
    we_read_theirs: bool = False
    """mailsec decrypted gpg's reply and found a good signature."""
    reply_text: str = ""
    steps: Trace = ()


def _gpg_missing(what: str) -> Step:
    return Step(
        f"GnuPG (gpg) is not installed here, so this {what} was not run. Install the "
        "Debian/Ubuntu package 'gnupg' (Binder's environment has it) and run the cell again.",
        Outcome.WARN,
    )


def exchange_with_gnupg(
    alice: openpgp.SecretKey,
    bob: openpgp.SecretKey,
    *,
    text: str = "Hi Bob, this mail was encrypted by mailsec.\n",
    reply: str = "Hi Alice, GnuPG read it and wrote this reply.\n",
    gpg: str | None = None,
    timeout: float = 60.0,
) -> GnupgExchange:
    # ``gpg``: the program to run (a name on PATH or a path); None means "gpg".
    """Alice (mailsec) writes to Bob, who uses GnuPG; Bob answers with GnuPG; mailsec reads it.

    Bob's secret key and Alice's certificate are imported into a temporary GNUPGHOME, removed at
    the end. Without gpg the result says so (``available`` False) and nothing is run.
    """
    binary = shutil.which(gpg or "gpg")
    if not binary:
        return GnupgExchange(False, "", steps=(_gpg_missing("exchange"),))
    runs: list[GpgRun] = []
    steps: list[Step] = []
    root = Path(tempfile.mkdtemp(prefix="mailsec-gpg-"))
    home = root / "home"
    home.mkdir(mode=0o700)

    def run(*args: str, stdin: bytes = b"") -> tuple[GpgRun, bytes]:
        done, stdout = _run_gpg(
            binary, args, ("--homedir", str(home), "--batch", "--no-tty"), stdin, timeout
        )
        runs.append(done)
        return done, stdout

    try:
        version = run("--version")[1].decode("utf-8", "replace").splitlines()[0]
        run("--import", stdin=bob.to_bytes(armor=True))
        run("--import", stdin=alice.public.to_bytes(armor=True))
        steps.append(
            Step(
                f"{version}: imported Bob's secret key and Alice's certificate into a temporary GNUPGHOME.",
                Outcome.INFO,
            )
        )
        mail = encrypt_message(
            text,
            [bob.public],
            sign_with=[alice],
            headers={"From": alice.user_ids[0], "To": bob.user_ids[0], "Subject": "From mailsec"},
        )
        armored = list(mail.iter_parts())[1].get_payload(decode=True) or b""
        opened, plaintext = run("--trust-model", "always", "--decrypt", stdin=armored)
        # A good signature is a VALIDSIG line naming Alice's primary key (its last argument);
        # gpg's "Good signature" message is in the user's language.
        gpg_read_ours = (
            not opened.failed
            and bool(opened.said("DECRYPTION_OKAY"))
            and any(args[-1:] == (alice.fingerprint,) for args in opened.said("VALIDSIG"))
            and not opened.said("BADSIG")
            and text.strip().encode() in plaintext
        )
        steps.append(
            Step(
                "gpg decrypted mailsec's PGP/MIME mail and found a good signature from Alice."
                if gpg_read_ours
                else "gpg could not decrypt or verify mailsec's mail; see its messages below.",
                Outcome.OK if gpg_read_ours else Outcome.FAIL,
                "RFC 3156 §6.2",
            )
        )
        entity = (
            b'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
            + reply.replace("\n", "\r\n").encode()
        )
        sealed, sealed_bytes = run(
            "--trust-model",
            "always",
            "--armor",
            "--sign",
            "--encrypt",
            "-u",
            bob.fingerprint,
            "-r",
            alice.fingerprint,
            stdin=entity,
        )
        we_read_theirs, reply_text = False, ""
        if not sealed.failed:
            message = (
                b"MIME-Version: 1.0\r\n"
                b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="gpg"\r\n'
                b"\r\n--gpg\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
                b"--gpg\r\nContent-Type: application/octet-stream\r\n\r\n"
                + sealed_bytes
                + b"\r\n--gpg--\r\n"
            )
            try:
                result = read_message(message, keys=[alice], certs=[bob.public])
                we_read_theirs = bool(result.signature_valid)
                reply_text = result.text or ""
            except MailsecError as exc:
                steps.append(Step(f"mailsec refused gpg's reply: {exc.message}", Outcome.FAIL))
        steps.append(
            Step(
                "mailsec decrypted GnuPG's reply and found a good signature from Bob."
                if we_read_theirs
                else "mailsec could not read GnuPG's reply.",
                Outcome.OK if we_read_theirs else Outcome.FAIL,
                "RFC 3156 §6.2",
            )
        )
        return GnupgExchange(
            True, version, tuple(runs), gpg_read_ours, we_read_theirs, reply_text, tuple(steps)
        )
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


#: What the GnuPG check says about its outcome, in one place.
TRUST_CHECK_WORDS: Mapping[str, str] = {
    "same": "GnuPG computes the same validity for every key.",
    "different": "GnuPG disagrees with the model for: {names}.",
    "missing": "GnuPG listed no validity for: {names}.",
    "failed": "gpg stopped with an error (exit status {returncode}{status}), so GnuPG computed "
    "nothing to compare with the model: {command}",
    "stale": "gpg's trust database was not brought up to date with these rules (its 'tru' "
    "record says {flags!r}), so its validity cannot be compared with the model's.",
    "no_keys": "The graph has no keys, so there is nothing to compare.",
}


class _GpgFailed(Exception):
    """A gpg command failed; the check stops and reports it."""

    def __init__(self, run: GpgRun) -> None:
        super().__init__(run.command)
        self.run = run


@dataclass(frozen=True)
class GnupgTrustCheck:
    """The same web of trust computed by GnuPG with real keys, next to the model's answer."""

    available: bool
    version: str = ""
    rows: tuple[tuple[str, Validity, Validity | None], ...] = ()
    """(key, the model's validity, GnuPG's validity) for every key; empty when gpg failed."""
    commands: tuple[str, ...] = ()
    steps: Trace = ()
    failure: GpgRun | None = None
    """The gpg command that failed, with its exit status and what it said, if one did."""

    @property
    def agree(self) -> bool:
        """GnuPG ran without an error and gave every key the model's validity."""
        return (
            self.available
            and self.failure is None
            and bool(self.rows)
            and all(gnupg is not None and model is gnupg for _name, model, gnupg in self.rows)
        )


def gnupg_trust_check(
    web: WebOfTrust,
    policy: TrustPolicy | None = None,
    *,
    gpg: str | None = None,
    timeout: float = 60.0,
) -> GnupgTrustCheck:
    """Build ``web`` with real keys in a temporary GNUPGHOME and let GnuPG compute validity.

    One Ed25519 key per person (``gpg --quick-gen-key``), one ``--quick-sign-key`` per
    certification, ``--quick-revoke-sig`` and the stored revocation certificate for revocations,
    owner trust with ``--import-ownertrust``, then ``gpg --check-trustdb --trust-model classic``
    with the policy's three numbers, and the validity letters of ``--list-keys --with-colons``.
    Keys, certifications, their revocations and expiry are dated in that order one to two hours
    back, so each revocation is newer than what it revokes and expired keys expired before now.

    Success is read from what gpg says for programs, never from its messages to people (which
    are translated): its exit status, the ERROR and FAILURE lines of ``--status-fd``, and the
    ``tru`` record of ``--with-colons``, which says whether the trust database is up to date. If
    any command fails, the result carries it in ``failure``, has no rows, and does not agree.
    """
    policy = policy or TrustPolicy()
    model = evaluate(web, policy)
    binary = shutil.which(gpg or "gpg")
    if not binary:
        return GnupgTrustCheck(False, steps=(_gpg_missing("check"),))
    root = Path(tempfile.mkdtemp(prefix="mailsec-wot-"))
    home = root / "home"
    home.mkdir(mode=0o700)
    commands: list[str] = []
    now = int(time.time())
    version = ""

    def run(*args: str, stdin: bytes = b"", when: int | None = None) -> tuple[GpgRun, str]:
        faked = ("--faked-system-time", f"{when}!") if when else ()
        options = (
            "--homedir",
            str(home),
            "--batch",
            "--yes",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            *faked,
        )
        done, stdout = _run_gpg(binary, args, options, stdin, timeout)
        commands.append(done.command)
        if done.failed:
            raise _GpgFailed(done)
        return done, stdout.decode("utf-8", "replace")

    try:
        version = run("--version")[1].splitlines()[0]
        if not web.keys:
            return GnupgTrustCheck(
                True, version, (), tuple(commands), (Step(TRUST_CHECK_WORDS["no_keys"]),)
            )
        uids = {
            key.name: f"{key.name} <{key.name.lower().replace(' ', '.')}@example.org>"
            for key in web.keys
        }
        for uid in uids.values():
            run("--quick-gen-key", uid, "ed25519", "cert", "0", when=now - 7200)
        fingerprints: dict[str, str] = {}
        current: str | None = None
        by_uid = {uid: name for name, uid in uids.items()}
        for line in run("--list-keys", "--with-colons")[1].splitlines():
            fields = line.split(":")
            if fields[0] == "pub":
                current = None
            elif fields[0] == "fpr" and current is None:
                current = fields[9]
            elif fields[0] == "uid" and current is not None and fields[9] in by_uid:
                fingerprints[by_uid[fields[9]]] = current
        for cert in web.certifications:
            run(
                "-u",
                fingerprints[cert.signer],
                "--quick-sign-key",
                fingerprints[cert.signee],
                when=now - 5400,
            )
        for cert in web.certifications:
            if cert.revoked:  # before any key expires: an expired key cannot sign any more
                run(
                    "--quick-revoke-sig",
                    fingerprints[cert.signee],
                    fingerprints[cert.signer],
                    when=now - 5200,
                )
        for key in web.keys:
            if key.expired:  # it expired 4000 s ago, after its certifications were made
                run("--quick-set-expire", fingerprints[key.name], "seconds=1000", when=now - 5000)
        for key in web.keys:
            if key.revoked:
                stored = (home / "openpgp-revocs.d" / f"{fingerprints[key.name]}.rev").read_text()
                # gpg stores the revocation certificate "disarmed" by a colon before the armor line.
                run("--import", stdin=stored.replace(":-----BEGIN", "-----BEGIN").encode())
        ownertrust = "".join(
            f"{fingerprints[k.name]}:{k.owner_trust.gpg_level}:\n" for k in web.keys
        )
        run("--import-ownertrust", stdin=ownertrust.encode())
        options = (
            "--trust-model",
            "classic",
            "--completes-needed",
            str(policy.completes_needed),
            "--marginals-needed",
            str(policy.marginals_needed),
            "--max-cert-depth",
            str(policy.max_cert_depth),
        )
        run(*options, "--check-trustdb")
        letters: dict[str, str] = {}
        stale = ""
        current = None
        by_fpr = {fpr: name for name, fpr in fingerprints.items()}
        for line in run(*options, "--list-keys", "--with-colons")[1].splitlines():
            fields = line.split(":")
            if fields[0] == "tru":
                # Field 2: "o" the trust database is out of date, "t" it was built with another
                # trust model (GnuPG doc/DETAILS). "m" (other numbers) is left out: the database
                # keeps each number in one byte, so numbers above 255 always differ from it.
                stale = "".join(flag for flag in fields[1] if flag in "ot")
            elif fields[0] == "pub":
                current = fields[1]
            elif fields[0] == "fpr" and current is not None:
                if fields[9] in by_fpr:
                    letters[by_fpr[fields[9]]] = current
                current = None
        if stale:
            return GnupgTrustCheck(
                True,
                version,
                (),
                tuple(commands),
                (Step(TRUST_CHECK_WORDS["stale"].format(flags=stale), Outcome.FAIL),),
            )
        rows = tuple(
            (
                k.name,
                k.validity,
                Validity.from_gpg_letter(letters[k.name]) if k.name in letters else None,
            )
            for k in model.keys
        )
        check = GnupgTrustCheck(True, version, rows, tuple(commands))
        missing = [n for n, _m, g in rows if g is None]
        different = [n for n, m, g in rows if g is not None and m is not g]
        verdicts = []
        if different:
            verdicts.append(TRUST_CHECK_WORDS["different"].format(names=", ".join(different)))
        if missing:
            verdicts.append(TRUST_CHECK_WORDS["missing"].format(names=", ".join(missing)))
        verdict = " ".join(verdicts) if verdicts else TRUST_CHECK_WORDS["same"]
        return replace(
            check, steps=(Step(verdict, Outcome.OK if check.agree else Outcome.FAIL, GNUPG_MODEL),)
        )
    except _GpgFailed as failed:
        keywords = sorted({line[0] for line in failed.run.status if line[0] in GPG_ERROR_KEYWORDS})
        verdict = TRUST_CHECK_WORDS["failed"].format(
            returncode=failed.run.returncode,
            status=f", status {' '.join(keywords)}" if keywords else "",
            command=failed.run.command,
        )
        return GnupgTrustCheck(
            True,
            version,
            (),
            tuple(commands),
            (Step(verdict, Outcome.FAIL),),
            failure=failed.run,
        )
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)
