"""Chapter 00's lab: a message's journey, and where each chapter's mechanism acts on it."""

from __future__ import annotations

import ipywidgets as widgets

from mailsec.journey import Protection, Reading, Sending, plan_journey
from mailsec.labs.frame import Lab, dropdown
from mailsec.render.journey import journey_html

__all__ = ["JourneyLab", "journey_lab"]


def _enum_menu(description: str, enum_type: type, value: object, css: str) -> widgets.Dropdown:
    return dropdown(description, [(m.value, m) for m in enum_type], value, css)


class JourneyLab(Lab):
    """Pick how a message is sent, read and protected; see its hops and what acts on each."""

    def __init__(self) -> None:
        self.sending = _enum_menu("How it is sent:", Sending, Sending.ISP_SERVER, "mailsec-sending")
        self.reading = _enum_menu("How it is read:", Reading, Reading.IMAP4, "mailsec-reading")
        self.protection = _enum_menu(
            "Protection:", Protection, Protection.NONE, "mailsec-protection"
        )
        super().__init__(
            "Lab: a message's journey",
            intro="Change the three choices and watch the path, the ports and the mechanisms change. "
            "Try <em>a program on the home PC → the recipient's mail server</em>.",
            controls=[self.sending, self.reading, self.protection],
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
