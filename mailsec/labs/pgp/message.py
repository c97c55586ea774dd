"""Chapter 06's message lab: Alice, Bob and Carol send each other PGP/MIME mail.

:func:`message_lab` returns the lab: encrypted and signed, encrypted only or signed only; an
attacker changes a byte on the way; the mail is opened by the recipient or by someone else; the
packets are listed like ``gpg --list-packets``. Keys are made once when the lab is built
(:func:`make_people`), never inside a callback, so callbacks stay fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import ipywidgets as widgets

from mailsec import openpgp
from mailsec.errors import InputError, MailsecError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, tagged
from mailsec.openpgp.pgpmime import Delivery, Protection, Tamper, deliver, protect
from mailsec.render.openpgp import delivery_html, person

__all__ = ["PEOPLE", "MessageLab", "make_people", "message_lab"]

PEOPLE = ("Alice", "Bob", "Carol")

TEXT = texts(
    {
        "from": "From:",
        "to": "To:",
        "opened_by": "Opened by:",
        "protection": "Protection:",
        "subject": "Subject:",
        "text": "Text:",
        "tamper": "In transit, change:",
        "title": "Lab: PGP/MIME mail between Alice, Bob and Carol",
        "intro": "Each person has a fresh key pair (Ed25519 for signing, Curve25519 for "
        "encryption) and everyone's public key. Pick who sends, who opens it, and what an "
        "attacker changes on the way. Try: <em>Opened by: Carol</em>, or change "
        "<em>one byte of the encrypted data</em>.",
        "empty": "The text is empty: type a few words for the mail.",
        "hidden": "{reader} cannot decrypt it, so the packets inside the encrypted data stay "
        "hidden.",
        "unlisted": "The packets cannot be listed: {error}",
    }
)
"""The lab's words (see :mod:`mailsec.i18n`)."""


def make_people(now: datetime | None = None) -> dict[str, openpgp.SecretKey]:
    """Fresh Ed25519 + Curve25519 keys for Alice, Bob and Carol (made at run time, never stored)."""
    return {
        name: openpgp.generate_key(f"{name} <{name.lower()}@example.org>", now=now)
        for name in PEOPLE
    }


class MessageLab(Lab):
    """Alice, Bob and Carol send PGP/MIME mail; change it in transit; open it as anyone."""

    def __init__(
        self, keys: Mapping[str, openpgp.SecretKey] | None = None, *, lang: str | None = None
    ) -> None:
        self.people = dict(keys) if keys is not None else make_people()
        names = [(person(name), name) for name in self.people]
        self.certs = [key.public for key in self.people.values()]
        self._sent: dict[tuple[object, ...], bytes] = {}
        self.delivery: Delivery | None = None
        wide = {"description_width": "initial"}
        self.sender = tagged(
            widgets.Dropdown(
                options=names, value=names[0][1], description=TEXT["from"], style=wide
            ),
            "mailsec-pgp-sender",
        )
        self.recipient = tagged(
            widgets.Dropdown(options=names, value=names[1][1], description=TEXT["to"], style=wide),
            "mailsec-pgp-recipient",
        )
        self.reader = tagged(
            widgets.Dropdown(
                options=names, value=names[1][1], description=TEXT["opened_by"], style=wide
            ),
            "mailsec-pgp-reader",
        )
        self.protection = tagged(
            widgets.ToggleButtons(
                options=[(p.label, p) for p in Protection],
                value=Protection.ENCRYPT_AND_SIGN,
                description=TEXT["protection"],
                style=wide,
            ),
            "mailsec-pgp-protection",
        )
        self.subject = tagged(
            widgets.Text(value="Lunch", description=TEXT["subject"], style=wide),
            "mailsec-pgp-subject",
        )
        self.text = tagged(
            widgets.Textarea(
                value="Hi Bob,\nlunch at noon tomorrow?\nAlice\n",
                description=TEXT["text"],
                style=wide,
                layout=widgets.Layout(width="520px", height="90px"),
            ),
            "mailsec-pgp-text",
        )
        self.tamper = tagged(
            widgets.Dropdown(
                description=TEXT["tamper"], style=wide, layout=widgets.Layout(width="560px")
            ),
            "mailsec-pgp-tamper",
        )
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[
                widgets.HBox([self.sender, self.recipient, self.reader]),
                self.protection,
                self.subject,
                self.text,
                self.tamper,
            ],
            lang=lang,
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
        options = [(t.label, t) for t in Tamper if t.applies_to(self.protection.value)]
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
            raise InputError(TEXT["empty"])
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
                note = TEXT["hidden"].format(reader=reader)
        except MailsecError as exc:
            packets, note = None, TEXT["unlisted"].format(error=exc.message)
        self.show(str(delivery_html(delivery, reader=reader, packets=packets, packets_note=note)))


def message_lab(
    keys: Mapping[str, openpgp.SecretKey] | None = None, *, lang: str | None = None
) -> MessageLab:
    """The message lab, ready to display (keys for Alice, Bob and Carol are made once here)."""
    return MessageLab(keys, lang=lang)
