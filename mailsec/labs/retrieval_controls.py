"""The controls of chapter 01's devices lab: what each one is, its label, range and CSS class.

:class:`DevicesControls` builds them as attributes of the lab (``scenario``, ``protocol``,
``quota``, ``storage``, the event buttons ``b_mail`` ... ``b_last`` and so on);
:class:`~mailsec.labs.retrieval.DevicesLab` connects them to what they do.
"""

from __future__ import annotations

import ipywidgets as widgets

from mailsec.i18n import texts
from mailsec.labs.frame import button, checkbox, dropdown, fit_menu, slider, tagged
from mailsec.render.html import FONT, escape
from mailsec.retrieval.model import ARCHIVE, Protocol, Scenario, shown
from mailsec.retrieval.scenarios import SCENARIOS

__all__ = ["KB", "OWN", "OWN_STORAGE", "TEXT", "DevicesControls"]

KB = 1024
OWN = "own"
"""The scenario-picker value for the learner's own timeline."""
OWN_STORAGE = 300
"""The storage (KB) of each device when the learner's own timeline starts."""

TEXT = texts(
    {
        "scenario": "Scenario:",
        "own": "Your own timeline (use the buttons below)",
        "protocol": "Protocol:",
        "pop3_tip": "Download mail to each device and manage it there",
        "imap4_tip": "Keep mail on the server; devices show the server's mailbox",
        "leave_copy": "POP3: leave a copy on the server",
        "remove_after": "remove from server after:",
        "days": ("1 day", "7 days", "14 days", "30 days"),
        "remove_deleted": "remove from server when deleted here",
        "expunge": "IMAP4: expunge at once when deleting",
        "full_reply": "When full, the server answers:",
        "temporary": "452 4.2.2 temporary: sender retries, bounces after 5 days",
        "permanent": "552 5.2.2 permanent: sender gets a bounce at once",
        "quota": "Mailbox quota (KB):",
        "devices": "Devices:",
        # The storage slider's label in the learner's own timeline, where it sets every
        # device's storage; in a prepared scenario it shows the storage of the device picked.
        "storage_per_device": "Storage per device (KB):",
        "storage_of": "Storage of {device} (KB):",
        "device": "Device:",
        "message": "Message:",
        "mail_size": "New mail size:",
        "size": "{size} KB",
        "step": "Show step:",
        "add_event": "Add an event",
        "look_back": "Look back",
        "buttons": {
            "mail": ("New mail arrives", "Someone sends mail"),
            "sync": ("Check mail", "The device checks for mail"),
            "read": ("Read", "Open the message"),
            "reply": ("Reply", "Answer the message"),
            "flag": ("Flag", "Flag the message as important"),
            "delete": ("Delete", "Delete the message"),
            "move": ("Move to {folder}", "Move the message to {folder}"),
            "expunge": ("Expunge", "Remove \\Deleted mail"),
            "online": ("Go offline", "Switch network on/off"),
            "wait": ("Wait 1 day", "Let a day pass"),
            "undo": ("Undo last event", "Remove the last event"),
            "clear": ("Clear events", "Start an empty timeline"),
            "prev": ("◀ Previous step", "Show the step before"),
            "next": ("Next step ▶", "Show the step after"),
            "last": ("Last step ▶▶", "Show the newest step"),
        },
        "go_offline": "Go offline",
        "go_online": "Go online",
    }
)
DELETE_AFTER = texts({"never": "never"}, context="delete from the server after")
"""The menu's "never" (the same English word as a key's owner trust "never", another word in
Japanese: a gettext context tells them apart)."""
"""The devices lab's labels, menus and buttons (see :mod:`mailsec.i18n`)."""

_STYLE = {"description_width": "initial"}


def _button(key: str, css: str) -> widgets.Button:
    """An event or step button: its label and tooltip, the class every such button has, and
    its own."""
    text, tooltip = TEXT["buttons"][key]
    folder = shown(ARCHIVE)
    return button(
        text.format(folder=folder),
        "mailsec-retrieval-event",
        css,
        tooltip=tooltip.format(folder=folder),
    )


class DevicesControls:
    """The devices lab's widgets; the lab sets ``base`` (the scenario shown) before building them."""

    base: Scenario

    def _setting_controls(self, scenario: str, protocol: Protocol) -> widgets.VBox:
        """The scenario and its story, the protocol and its options, the mailbox and devices."""
        self.scenario = dropdown(
            TEXT["scenario"],
            [(shown(s.title), k) for k, s in SCENARIOS.items()] + [(TEXT["own"], OWN)],
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
                description=TEXT["protocol"],
                style=_STYLE,
                tooltips=[TEXT["pop3_tip"], TEXT["imap4_tip"]],
            ),
            "mailsec-retrieval-protocol",
        )
        self.leave_copy = checkbox(TEXT["leave_copy"], "mailsec-retrieval-leave-copy")
        self.remove_after = dropdown(
            TEXT["remove_after"],
            [(DELETE_AFTER["never"], 0), *zip(TEXT["days"], (1, 7, 14, 30), strict=True)],
            0,
            "mailsec-retrieval-remove-after",
            width="300px",
        )
        self.remove_deleted = checkbox(TEXT["remove_deleted"], "mailsec-retrieval-remove-deleted")
        self.expunge = checkbox(TEXT["expunge"], "mailsec-retrieval-expunge", value=True)
        return [
            self.protocol,
            widgets.HBox([self.leave_copy, self.remove_after, self.remove_deleted]),
            self.expunge,
        ]

    def _mailbox_controls(self) -> list[widgets.Widget]:
        """The server's quota and its answer when full; the devices and their storage."""
        self.full_reply = dropdown(
            TEXT["full_reply"],
            [(TEXT["temporary"], "temporary"), (TEXT["permanent"], "permanent")],
            "temporary",
            "mailsec-retrieval-full-reply",
            width="640px",
        )
        self.quota = slider(
            TEXT["quota"],
            self.base.quota // KB,
            30,
            1000,
            "mailsec-retrieval-quota",
            step=10,
            width="420px",
        )
        self.device_count = slider(
            TEXT["devices"], 2, 1, 4, "mailsec-retrieval-devices", width="260px", disabled=True
        )
        # Steps of 4 KB reach the prepared devices' 512 KB, 1 MB and 4 MB as well as 300 KB.
        self.storage = slider(
            TEXT["storage_per_device"],
            OWN_STORAGE,
            20,
            4096,
            "mailsec-retrieval-storage",
            step=4,
            width="420px",
            disabled=True,
        )
        return [self.quota, self.full_reply, widgets.HBox([self.device_count, self.storage])]

    def _event_controls(self) -> widgets.VBox:
        """The event buttons with the device, message and size they act on, and the step slider."""
        self.device = tagged(
            fit_menu(widgets.Dropdown(description=TEXT["device"], style=_STYLE)),
            "mailsec-retrieval-device",
        )
        self.message = tagged(
            fit_menu(widgets.Dropdown(description=TEXT["message"], style=_STYLE)),
            "mailsec-retrieval-message",
        )
        self.mail_size = dropdown(
            TEXT["mail_size"],
            [(TEXT["size"].format(size=size), size) for size in (10, 30, 60, 150)],
            30,
            "mailsec-retrieval-size",
            width="200px",
        )
        self.step = slider(TEXT["step"], 0, 0, 0, "mailsec-retrieval-step", width="520px")
        self._event_buttons()
        heading = f'<div style="{FONT}"><strong>{{}}</strong></div>'
        return widgets.VBox(
            [
                widgets.HTML(heading.format(escape(TEXT["add_event"]))),
                widgets.HBox([self.b_mail, self.mail_size, self.b_wait]),
                widgets.HBox([self.device, self.b_sync, self.b_online]),
                widgets.HBox([self.message, self.b_read, self.b_reply, self.b_flag]),
                widgets.HBox([self.b_delete, self.b_move, self.b_expunge]),
                widgets.HBox([self.b_undo, self.b_clear]),
                widgets.HTML(heading.format(escape(TEXT["look_back"]))),
                widgets.HBox([self.b_prev, self.step, self.b_next, self.b_last]),
            ]
        )

    def _event_buttons(self) -> None:
        self.b_mail = _button("mail", "mailsec-retrieval-new-mail")
        self.b_sync = _button("sync", "mailsec-retrieval-sync")
        self.b_read = _button("read", "mailsec-retrieval-read")
        self.b_reply = _button("reply", "mailsec-retrieval-reply")
        self.b_flag = _button("flag", "mailsec-retrieval-flag")
        self.b_delete = _button("delete", "mailsec-retrieval-delete")
        self.b_move = _button("move", "mailsec-retrieval-move")
        self.b_expunge = _button("expunge", "mailsec-retrieval-expunge-now")
        self.b_online = _button("online", "mailsec-retrieval-online")
        self.b_wait = _button("wait", "mailsec-retrieval-wait")
        self.b_undo = _button("undo", "mailsec-retrieval-undo")
        self.b_clear = _button("clear", "mailsec-retrieval-clear")
        self.b_prev = _button("prev", "mailsec-retrieval-prev")
        self.b_next = _button("next", "mailsec-retrieval-next")
        self.b_last = _button("last", "mailsec-retrieval-last")
