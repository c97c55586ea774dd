"""The controls of chapter 01's devices lab: what each one is, its label, range and CSS class.

:class:`DevicesControls` builds them as attributes of the lab (``scenario``, ``protocol``,
``quota``, ``storage``, the event buttons ``b_mail`` ... ``b_last`` and so on);
:class:`~mailsec.labs.retrieval.DevicesLab` connects them to what they do.
"""

from __future__ import annotations

import ipywidgets as widgets

from mailsec.labs.frame import button, checkbox, dropdown, tagged
from mailsec.render.html import FONT
from mailsec.retrieval.model import ARCHIVE, Protocol, Scenario
from mailsec.retrieval.scenarios import SCENARIOS

__all__ = ["KB", "OWN", "OWN_STORAGE", "STORAGE_PER_DEVICE", "DevicesControls"]

KB = 1024
OWN = "own"
"""The scenario-picker value for the learner's own timeline."""
OWN_STORAGE = 300
"""The storage (KB) of each device when the learner's own timeline starts."""
STORAGE_PER_DEVICE = "Storage per device (KB):"
"""The storage slider's label in the learner's own timeline, where it sets every device's storage."""

_STYLE = {"description_width": "initial"}


def _button(text: str, css: str, tooltip: str) -> widgets.Button:
    """An event or step button: the class every such button has, and its own."""
    return button(text, "mailsec-retrieval-event", css, tooltip=tooltip)


class DevicesControls:
    """The devices lab's widgets; the lab sets ``base`` (the scenario shown) before building them."""

    base: Scenario

    def _setting_controls(self, scenario: str, protocol: Protocol) -> widgets.VBox:
        """The scenario and its story, the protocol and its options, the mailbox and devices."""
        self.scenario = dropdown(
            "Scenario:",
            [(s.title, k) for k, s in SCENARIOS.items()]
            + [("Your own timeline (use the buttons below)", OWN)],
            scenario,
            "mailsec-retrieval-scenario",
            width="520px",
        )
        self.story = widgets.HTML("")
        return widgets.VBox(
            [
                self.scenario,
                self.story,
                *self._protocol_controls(protocol),
                *self._mailbox_controls(),
            ]
        )

    def _protocol_controls(self, protocol: Protocol) -> list[widgets.Widget]:
        """POP3 or IMAP4, and each protocol's client options."""
        self.protocol = tagged(
            widgets.ToggleButtons(
                options=[("POP3", Protocol.POP3), ("IMAP4", Protocol.IMAP4)],
                value=protocol,
                description="Protocol:",
                style=_STYLE,
                tooltips=[
                    "Download mail to each device and manage it there",
                    "Keep mail on the server; devices show the server's mailbox",
                ],
            ),
            "mailsec-retrieval-protocol",
        )
        self.leave_copy = checkbox(
            "POP3: leave a copy on the server", "mailsec-retrieval-leave-copy"
        )
        self.remove_after = dropdown(
            "remove from server after:",
            [("never", 0), ("1 day", 1), ("7 days", 7), ("14 days", 14), ("30 days", 30)],
            0,
            "mailsec-retrieval-remove-after",
            width="300px",
        )
        self.remove_deleted = checkbox(
            "remove from server when deleted here", "mailsec-retrieval-remove-deleted"
        )
        self.expunge = checkbox(
            "IMAP4: expunge at once when deleting", "mailsec-retrieval-expunge", value=True
        )
        return [
            self.protocol,
            widgets.HBox([self.leave_copy, self.remove_after, self.remove_deleted]),
            self.expunge,
        ]

    def _mailbox_controls(self) -> list[widgets.Widget]:
        """The server's quota and its answer when full; the devices and their storage."""
        self.full_reply = dropdown(
            "When full, the server answers:",
            [
                ("452 4.2.2 temporary: sender retries, bounces after 5 days", "temporary"),
                ("552 5.2.2 permanent: sender gets a bounce at once", "permanent"),
            ],
            "temporary",
            "mailsec-retrieval-full-reply",
            width="640px",
        )
        self.quota = tagged(
            widgets.IntSlider(
                value=self.base.quota // KB,
                min=30,
                max=1000,
                step=10,
                description="Mailbox quota (KB):",
                style=_STYLE,
                layout=widgets.Layout(width="420px"),
            ),
            "mailsec-retrieval-quota",
        )
        self.device_count = tagged(
            widgets.IntSlider(
                value=2, min=1, max=4, description="Devices:", style=_STYLE, disabled=True
            ),
            "mailsec-retrieval-devices",
        )
        # Steps of 4 KB reach the prepared devices' 512 KB, 1 MB and 4 MB as well as 300 KB.
        self.storage = tagged(
            widgets.IntSlider(
                value=OWN_STORAGE,
                min=20,
                max=4096,
                step=4,
                description=STORAGE_PER_DEVICE,
                style=_STYLE,
                layout=widgets.Layout(width="420px"),
                disabled=True,
            ),
            "mailsec-retrieval-storage",
        )
        return [self.quota, self.full_reply, widgets.HBox([self.device_count, self.storage])]

    def _event_controls(self) -> widgets.VBox:
        """The event buttons with the device, message and size they act on, and the step slider."""
        self.device = tagged(
            widgets.Dropdown(description="Device:", style=_STYLE), "mailsec-retrieval-device"
        )
        self.message = tagged(
            widgets.Dropdown(description="Message:", style=_STYLE), "mailsec-retrieval-message"
        )
        self.mail_size = dropdown(
            "New mail size:",
            [("10 KB", 10), ("30 KB", 30), ("60 KB", 60), ("150 KB", 150)],
            30,
            "mailsec-retrieval-size",
            width="200px",
        )
        self.step = tagged(
            widgets.IntSlider(
                value=0,
                min=0,
                max=0,
                description="Show step:",
                style=_STYLE,
                layout=widgets.Layout(width="520px"),
            ),
            "mailsec-retrieval-step",
        )
        self._event_buttons()
        heading = f'<div style="{FONT}"><strong>{{}}</strong></div>'
        return widgets.VBox(
            [
                widgets.HTML(heading.format("Add an event")),
                widgets.HBox([self.b_mail, self.mail_size, self.b_wait]),
                widgets.HBox([self.device, self.b_sync, self.b_online]),
                widgets.HBox([self.message, self.b_read, self.b_reply, self.b_flag]),
                widgets.HBox([self.b_delete, self.b_move, self.b_expunge]),
                widgets.HBox([self.b_undo, self.b_clear]),
                widgets.HTML(heading.format("Look back")),
                widgets.HBox([self.b_prev, self.step, self.b_next, self.b_last]),
            ]
        )

    def _event_buttons(self) -> None:
        self.b_mail = _button(
            "New mail arrives", "mailsec-retrieval-new-mail", "Someone sends mail"
        )
        self.b_sync = _button("Check mail", "mailsec-retrieval-sync", "The device checks for mail")
        self.b_read = _button("Read", "mailsec-retrieval-read", "Open the message")
        self.b_reply = _button("Reply", "mailsec-retrieval-reply", "Answer the message")
        self.b_flag = _button("Flag", "mailsec-retrieval-flag", "Flag the message as important")
        self.b_delete = _button("Delete", "mailsec-retrieval-delete", "Delete the message")
        self.b_move = _button(
            f"Move to {ARCHIVE}", "mailsec-retrieval-move", "Move the message to Archive"
        )
        self.b_expunge = _button(
            "Expunge", "mailsec-retrieval-expunge-now", "Remove \\Deleted mail"
        )
        self.b_online = _button("Go offline", "mailsec-retrieval-online", "Switch network on/off")
        self.b_wait = _button("Wait 1 day", "mailsec-retrieval-wait", "Let a day pass")
        self.b_undo = _button("Undo last event", "mailsec-retrieval-undo", "Remove the last event")
        self.b_clear = _button("Clear events", "mailsec-retrieval-clear", "Start an empty timeline")
        self.b_prev = _button("◀ Previous step", "mailsec-retrieval-prev", "Show the step before")
        self.b_next = _button("Next step ▶", "mailsec-retrieval-next", "Show the step after")
        self.b_last = _button("Last step ▶▶", "mailsec-retrieval-last", "Show the newest step")
