"""Chapter 08's relay-control lab: open relay, SMTP AUTH, or POP before SMTP — who may send?

``relay_control_lab()`` returns the lab. Sakura Trading's mail is hosted on
``mail.hosting.example``; at 10:00 Hanako's mail program checks her mail (a POP3 login). The
learner picks the server's relay setting (:class:`~mailsec.op25b.relaycontrol.RelaySetting`),
who sends next (:class:`~mailsec.op25b.relaystory.Sender`: Hanako, a colleague behind the same
NAT address, Hanako after the window closed, a spammer) and where to (another domain, or the
office's own). Every change runs the story for real on 127.0.0.1
(:meth:`~mailsec.op25b.relaywire.RelayServers.run`): a POP3 login on chapter 01's server, then
an SMTP session with chapter 02's server, whose RCPT TO reply the lab shows with the reason, the
POP-before-SMTP table, both transcripts and the pure model's decision beside the server's.

The story's clock stands still between events, so "fifteen minutes later" takes no time and
every run reads the same. The servers start with the lab and stop with :meth:`RelayControlLab.close`,
when the lab is garbage-collected, or when Python exits.
"""

from __future__ import annotations

import weakref

import ipywidgets as widgets

from mailsec.errors import MailsecError
from mailsec.i18n import texts, using
from mailsec.labs.frame import Lab, button, dropdown, live, tagged
from mailsec.op25b.model import OFFICE_USER
from mailsec.op25b.relaycontrol import RelaySetting
from mailsec.op25b.relaystory import Recipient, Sender, plan
from mailsec.op25b.relaywire import RelayRun, RelayServers
from mailsec.render.html import FONT, escape
from mailsec.render.relaycontrol import (
    explanation_html,
    table_html,
    timeline_html,
    transcripts_html,
    verdict_html,
    world_html,
)

__all__ = ["TEXT", "RelayControlLab", "relay_control_lab"]

TEXT = texts(
    {
        "title": "Lab: open relay, SMTP AUTH or POP before SMTP — who may send through the server?",
        "intro": "Sakura Trading's mail is hosted on <code>mail.hosting.example</code>. At 10:00 "
        "Hanako's mail program checks her mail (a POP3 login as <code>{user}</code>) from the "
        "office, whose NAT router gives every PC one public address. Pick the server's relay "
        "setting and who sends next: the lab logs in and sends for real over POP3 and SMTP on this "
        "machine and shows whether the server relays, and why.",
        "setting": "The server relays for:",
        "settings": {
            RelaySetting.OPEN_RELAY: "anyone, to anywhere (open relay)",
            RelaySetting.SMTP_AUTH: "logged-in users only (relay control with SMTP AUTH)",
            RelaySetting.POP_BEFORE_SMTP: "logged-in users and recent POP3 logins (POP before SMTP)",
        },
        "sender": "Who sends next:",
        "senders": {
            Sender.USER: "Hanako, 2 minutes after her POP3 login",
            Sender.COLLEAGUE: "a program on Ken's PC, behind the same NAT, 5 minutes later",
            Sender.EXPIRED: "Hanako again, 15 minutes after her POP3 login",
            Sender.SPAMMER: "a spammer on another network, 3 minutes later",
        },
        "recipient": "To:",
        "recipients": {
            Recipient.OUTSIDE: "taro@example.net (another domain: relaying)",
            Recipient.OWN_DOMAIN: "info@sakura-trading.example (the office's own domain)",
        },
        "run": "Run again",
        "status": "Real servers on {host}: SMTP port {smtp} stands for port 25, {submission} for "
        "587, POP3 port {pop3} for 110.",
        "stopped": "This lab's servers have been stopped (close() was called): run the cell again "
        "for a new lab.",
    }
)


class RelayControlLab(Lab):
    """Relay setting, sender and recipient in; a real POP3 login and SMTP session out."""

    def __init__(
        self,
        *,
        setting: RelaySetting = RelaySetting.POP_BEFORE_SMTP,
        sender: Sender = Sender.USER,
        recipient: Recipient = Recipient.OUTSIDE,
        lang: str | None = None,
    ) -> None:
        self._servers = RelayServers()
        self._finalizer = weakref.finalize(self, self._servers.stop)
        self.last_run: RelayRun | None = None
        self.setting = dropdown(
            TEXT["setting"],
            [(label, s) for s, label in TEXT["settings"].items()],
            RelaySetting(setting),
            "mailsec-relay-setting",
        )
        self.sender = dropdown(
            TEXT["sender"],
            [(label, s) for s, label in TEXT["senders"].items()],
            Sender(sender),
            "mailsec-relay-sender",
        )
        self.recipient = dropdown(
            TEXT["recipient"],
            [(label, r) for r, label in TEXT["recipients"].items()],
            Recipient(recipient),
            "mailsec-relay-recipient",
        )
        self.run_button = button(TEXT["run"], "mailsec-relay-run", icon="play")
        self.status = tagged(live(role="status"), "mailsec-relay-status")
        self.world = tagged(widgets.HTML(world_html()), "mailsec-relay-world-view")
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"].format(user=escape(OFFICE_USER)),
            controls=[
                self.world,
                self.setting,
                self.sender,
                widgets.HBox([self.recipient, self.run_button]),
                self.status,
            ],
            lang=lang,
        )
        self.add_class("mailsec-relay-lab")
        self.on_change([self.setting, self.sender, self.recipient], self.run)
        self.on_click(self.run_button, self.run)
        self.action(self.run)()

    def run(self) -> None:
        """Play the story once with the chosen controls, for real, and show the outcome (in the
        lab's language, however it is called)."""
        with using(self.lang):
            self._run()

    def _run(self) -> None:
        if not self._finalizer.alive:
            raise MailsecError(TEXT["stopped"])
        events = plan(self.setting.value, self.sender.value, self.recipient.value)
        run = self._servers.run(events)
        self.last_run = run
        self._show_status()
        self.show(
            verdict_html(run) + timeline_html(run) + table_html(run) + transcripts_html(run),
            explanation_html(run),
        )

    def _show_status(self) -> None:
        smtp, pop = self._servers.smtp, self._servers.pop
        if smtp is None or pop is None:
            return
        self.status.value = (
            f'<div style="{FONT}font-size:13px">'
            + escape(
                TEXT["status"].format(
                    host=pop.host,
                    smtp=smtp.ports[("hosting-mail", 25)],
                    submission=smtp.ports[("hosting-mail", 587)],
                    pop3=pop.pop3_port,
                )
            )
            + "</div>"
        )

    def close(self) -> None:
        """Stop the lab's servers and close its widgets (see :meth:`Lab.close_with`)."""
        self.close_with(
            self._finalizer, (self.setting, self.sender, self.recipient, self.run_button)
        )


def relay_control_lab(
    *,
    setting: RelaySetting = RelaySetting.POP_BEFORE_SMTP,
    sender: Sender = Sender.USER,
    recipient: Recipient = Recipient.OUTSIDE,
    lang: str | None = None,
) -> RelayControlLab:
    """The relay-control lab, ready to display; it has run the story once with these choices."""
    return RelayControlLab(setting=setting, sender=sender, recipient=recipient, lang=lang)
