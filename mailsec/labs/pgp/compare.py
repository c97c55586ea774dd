"""Chapter 06's comparison lab: the same text with PGP/MIME and with S/MIME, side by side.

:func:`compare_lab` returns the lab: Alice signs (or encrypts for Bob) one text both ways, with
the course CA of :mod:`mailsec.pki` for S/MIME; the mail may change in transit, and the learner
takes away what Bob needs for each signature (Alice's OpenPGP key, or trust in the root CA).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from mailsec import openpgp
from mailsec.i18n import language, texts
from mailsec.labs.frame import Lab, checkbox, tagged
from mailsec.openpgp.pgpmime import (
    MailPair,
    SealedSideBySide,
    SideBySide,
    check_pair,
    encrypt_pair,
    open_pair,
    sign_pair,
)
from mailsec.render.openpgp import side_by_side_html

__all__ = ["CompareLab", "compare_lab"]

TEXT = texts(
    {
        "text": "Text:",
        "sign": "sign",
        "encrypt": "encrypt for Bob",
        "wants": "Alice wants to:",
        "change": "Change it in transit",
        "has_key": "Bob already has Alice's OpenPGP public key",
        "trusts_ca": "Bob's mail program trusts the course root CA",
        "title": "Lab: PGP and S/MIME side by side",
        "intro": "Alice signs the same text with PGP/MIME and with S/MIME. Compare the two mails, "
        "then take away what Bob needs for each: Alice's public key (PGP) or the root CA "
        "(S/MIME).",
    }
)
"""The lab's words (see :mod:`mailsec.i18n`)."""


class CompareLab(Lab):
    """The same text signed (or encrypted) with PGP/MIME and with S/MIME; change it in transit;
    take away what the reader needs for each signature."""

    def __init__(
        self,
        alice: openpgp.SecretKey | None = None,
        pki: Any = None,
        bob: openpgp.SecretKey | None = None,
        *,
        lang: str | None = None,
    ) -> None:
        from mailsec.pki import course_pki

        self.alice = alice or openpgp.generate_key("Alice <alice@example.org>")
        self.bob = bob or openpgp.generate_key("Bob <bob@example.org>")
        self.pki = pki or course_pki()
        self.pair: SideBySide | SealedSideBySide | None = None
        # By (encrypting, text, language): a pair's facts are words in the language it was made in.
        self._sent: dict[tuple[bool, str, str], MailPair] = {}
        wide = {"description_width": "initial"}
        self.text = tagged(
            widgets.Textarea(
                value="Hi Bob,\nthe invoice total is 120 EUR.\nAlice\n",
                description=TEXT["text"],
                style=wide,
                layout=widgets.Layout(width="520px", height="80px"),
            ),
            "mailsec-cmp-text",
        )
        self.action_picker = tagged(
            widgets.ToggleButtons(
                options=[(TEXT["sign"], "sign"), (TEXT["encrypt"], "encrypt")],
                value="sign",
                description=TEXT["wants"],
                style=wide,
            ),
            "mailsec-cmp-action",
        )
        self.change = checkbox(TEXT["change"], "mailsec-cmp-change")
        self.has_key = checkbox(TEXT["has_key"], "mailsec-cmp-has-key", value=True)
        self.trusts_ca = checkbox(TEXT["trusts_ca"], "mailsec-cmp-trusts-ca", value=True)
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[
                self.action_picker,
                self.text,
                widgets.HBox([self.change, self.has_key, self.trusts_ca]),
            ],
            lang=lang,
        )
        self.add_class("mailsec-cmp-lab")
        self.on_change(
            [self.action_picker, self.text, self.change, self.has_key, self.trusts_ca], self.update
        )
        self.update()

    def sent(self) -> MailPair:
        """Both mails as sent (made once per action and text; changing checkboxes reuses them)."""
        encrypting = self.action_picker.value == "encrypt"
        choice = (encrypting, self.text.value, language())
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
    *,
    lang: str | None = None,
) -> CompareLab:
    """PGP/MIME and S/MIME on the same message (signed, or encrypted for Bob), ready to display."""
    return CompareLab(alice, pki, bob, lang=lang)
