"""Chapter 00's lab: a message's journey, and where each chapter's mechanism acts on it."""

from __future__ import annotations

import ipywidgets as widgets

from mailsec.i18n import texts
from mailsec.journey import Protection, Reading, Sending, label, plan_journey
from mailsec.labs.frame import Lab, dropdown
from mailsec.render.journey import journey_html

__all__ = ["TEXT", "JourneyLab", "journey_lab"]

TEXT = texts(
    {
        "sending": "How it is sent:",
        "reading": "How it is read:",
        "protection": "Protection:",
        "title": "Lab: a message's journey",
        "intro": "Change the three choices and watch the path, the ports and the mechanisms "
        "change. Try <em>a program on the home PC → the recipient's mail server</em>.",
    }
)
"""The lab's words (see :mod:`mailsec.i18n`); the menus' options come from
:func:`mailsec.journey.label`."""


def _enum_menu(
    description: str,
    enum_type: type[Sending] | type[Reading] | type[Protection],
    value: object,
    css: str,
) -> widgets.Dropdown:
    return dropdown(description, [(label(m), m) for m in enum_type], value, css)


class JourneyLab(Lab):
    """Pick how a message is sent, read and protected; see its hops and what acts on each."""

    def __init__(self, *, lang: str | None = None) -> None:
        self.sending = _enum_menu(TEXT["sending"], Sending, Sending.ISP_SERVER, "mailsec-sending")
        self.reading = _enum_menu(TEXT["reading"], Reading, Reading.IMAP4, "mailsec-reading")
        self.protection = _enum_menu(
            TEXT["protection"], Protection, Protection.NONE, "mailsec-protection"
        )
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[self.sending, self.reading, self.protection],
            lang=lang,
        )
        self.on_change([self.sending, self.reading, self.protection], self.update)
        self.update()

    def update(self) -> None:
        journey = plan_journey(
            sending=self.sending.value,
            reading=self.reading.value,
            protection=self.protection.value,
        )
        self.journey = journey
        self.show(str(journey_html(journey)))


def journey_lab(*, lang: str | None = None) -> JourneyLab:
    """The chapter 00 lab, ready to display."""
    return JourneyLab(lang=lang)
