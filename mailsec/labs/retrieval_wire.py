"""Chapter 01's wire lab: real POP3 and IMAP4 servers, real clients, the conversation on the wire.

``wire_lab()`` starts a POP3 and an IMAP4 server on free ports of 127.0.0.1 over a temporary
Maildir holding a few sample messages. The learner picks what a mail client should do (list,
download and keep, download and delete, lose the connection before QUIT, two devices at once, a
full mailbox ...) and presses *Run*: Python's ``poplib`` or ``imaplib`` runs that session and the
lab shows the conversation, what changed in the Maildir and why. The servers stop with the *Stop
servers* button, or when the lab is garbage-collected, or when Python exits.

The servers are also there for code cells: ``lab.servers.host``, ``lab.servers.pop3_port`` and
``lab.servers.imap_port`` accept ``poplib``/``imaplib`` connections as user ``alice`` with password
``secret``; ``lab.refresh()`` then shows those sessions' transcripts too.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, button, dropdown, live, tagged
from mailsec.render.html import FONT, callout, escape, trace_list
from mailsec.render.transcript import changes_table, conversations, maildir_table
from mailsec.retrieval.servers import (
    SAMPLE_MESSAGES,
    MailServers,
    WireAction,
    WireRun,
    reset_mailbox,
    run_wire_action,
)
from mailsec.trace import Outcome

__all__ = ["NO_QUOTA", "QUOTAS", "TEXT", "WireLab", "wire_lab"]

USER = "alice"
PASSWORD = "secret"
NO_QUOTA = "no quota"
"""The quota menu's value for "no quota". Not ``None``: ipywidgets takes a value of ``None`` for
"nothing selected" and would show the menu blank."""
#: Quota choices (label, bytes or NO_QUOTA). 4 KB holds the samples but not the 4 KB newsletter too.
QUOTAS: tuple[tuple[str, int | str], ...] = (
    ("no quota", NO_QUOTA),
    ("2 KB", 2 * 1024),
    ("4 KB", 4 * 1024),
    ("16 KB", 16 * 1024),
)
DEFAULT_QUOTA = 4 * 1024

TEXT = texts(
    {
        "quotas": {"no quota": "no quota", "2 KB": "2 KB", "4 KB": "4 KB", "16 KB": "16 KB"},
        "action": "Client does",
        "run": "Run",
        "negative": "The quota {quota} is negative: give a number of bytes, 0 or more.",
        "bytes": "{quota:,} bytes",
        "quota": "Mailbox quota",
        "refresh": "Show my sessions",
        "refresh_tip": "Show the sessions your own code cells ran against these servers",
        "reset": "Reset mailbox",
        "stop": "Stop servers",
        "title": "Wire lab: a real POP3 and IMAP4 server",
        "intro": "Pick what the mail client should do and press <b>Run</b>. Python's poplib or "
        "imaplib talks to real servers on this computer; below you see the conversation, what "
        "changed on the server, and why.",
        "stopped_error": "The servers are stopped. Run the cell with wire_lab() again to start "
        "new ones.",
        "from_code": "These are the sessions your own code ran since the last step.",
        "from_code_title": "From your code",
        "reset_done": "The mailbox holds the three sample messages again.",
        "reset_title": "Reset",
        "stopped": "<b>■ Servers stopped.</b> Run the cell with <code>wire_lab()</code> again to "
        "start new ones.",
        "no_quota": "no quota",
        "used": "{used:,} of {quota:,} bytes used",
        "status": "▶ Running on {host}: POP3 port <code>{pop3}</code>, IMAP port "
        "<code>{imap}</code>; user <code>{user}</code>, password <code>{password}</code>. "
        "Mailbox: {limit}.",
        "why": "What happened and why",
    }
)
"""The wire lab's words (see :mod:`mailsec.i18n`)."""


def _stop(servers: MailServers, folder: str) -> None:
    servers.stop()
    shutil.rmtree(folder, ignore_errors=True)


class WireLab(Lab):
    """The wire lab: controls, the servers it owns, and the last run."""

    def __init__(self, *, quota: int | None = DEFAULT_QUOTA, lang: str | None = None) -> None:
        self.folder = tempfile.mkdtemp(prefix="mailsec-wire-")
        self.servers = MailServers(
            maildir=Path(self.folder) / "Maildir", user=USER, password=PASSWORD, quota=quota
        )
        self.servers.start()
        # Stop the servers and remove the temporary Maildir when the lab goes away, even if
        # the learner never presses Stop (and at interpreter exit).
        self._finalizer = weakref.finalize(self, _stop, self.servers, self.folder)
        reset_mailbox(self.servers)
        self.last_run: WireRun | None = None

        self.action_picker = dropdown(
            TEXT["action"],
            [(a.label, a) for a in WireAction],
            WireAction.POP3_LIST,
            "mailsec-wire-action",
            width="460px",
        )
        self.run_button = button(
            TEXT["run"], "mailsec-wire-run", icon="play", button_style="primary"
        )
        choices = [(TEXT["quotas"][label], value) for label, value in QUOTAS]
        if quota is not None and quota not in [value for _label, value in choices]:
            if quota < 0:
                raise InputError(TEXT["negative"].format(quota=quota))
            choices.append((TEXT["bytes"].format(quota=quota), quota))
        self.quota_picker = tagged(
            widgets.Dropdown(
                options=choices,
                value=NO_QUOTA if quota is None else quota,
                description=TEXT["quota"],
                style={"description_width": "initial"},
            ),
            "mailsec-wire-quota",
        )
        self.refresh_button = button(
            TEXT["refresh"],
            "mailsec-wire-refresh",
            icon="refresh",
            tooltip=TEXT["refresh_tip"],
        )
        self.reset_button = button(TEXT["reset"], "mailsec-wire-reset", icon="undo")
        self.stop_button = button(
            TEXT["stop"], "mailsec-wire-stop", icon="stop", button_style="warning"
        )
        self.status = tagged(live(role="status"), "mailsec-wire-status")
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[
                widgets.HBox([self.action_picker, self.run_button, self.refresh_button]),
                widgets.HBox([self.quota_picker, self.reset_button, self.stop_button]),
                self.status,
            ],
            lang=lang,
        )
        self.add_class("mailsec-wire-lab")
        self.on_click(self.run_button, self.run_selected)
        self.on_click(self.refresh_button, self.refresh)
        self.on_click(self.reset_button, self.reset)
        self.on_click(self.stop_button, self.stop)
        self.on_change([self.quota_picker], self.change_quota)
        self._show_status()
        self.run_selected()

    # -- callbacks -------------------------------------------------------------------------------

    def _need_servers(self) -> None:
        if not self.servers.running:
            raise InputError(TEXT["stopped_error"])

    def run_selected(self) -> None:
        """Run the chosen client session and show it."""
        self._need_servers()
        self.servers.clear_transcripts()
        run = run_wire_action(self.servers, self.action_picker.value)
        self.last_run = run
        self._show_run(run)

    def refresh(self) -> None:
        """Show the sessions run from code cells since the last step, and the Maildir now."""
        self._need_servers()
        self.servers.wait_until_idle(1.0)
        transcripts = self.servers.transcripts
        self.servers.clear_transcripts()
        snapshot = self.servers.snapshot()
        self.show(
            conversations(transcripts) + maildir_table(snapshot),
            callout(TEXT["from_code"], title=TEXT["from_code_title"]),
        )

    def reset(self) -> None:
        """Put the sample messages back (and nothing else)."""
        self._need_servers()
        reset_mailbox(self.servers, SAMPLE_MESSAGES)
        self._show_status()
        self.show(
            maildir_table(self.servers.snapshot()),
            callout(TEXT["reset_done"], title=TEXT["reset_title"]),
        )

    def change_quota(self) -> None:
        self._need_servers()
        choice = self.quota_picker.value
        self.servers.set_quota(None if choice == NO_QUOTA else choice)
        self._show_status()

    def stop(self) -> None:
        """Stop both servers and remove the temporary Maildir."""
        self._finalizer()
        for control in (
            self.run_button,
            self.reset_button,
            self.stop_button,
            self.quota_picker,
            self.action_picker,
        ):
            control.disabled = True
        self.status.value = f'<div style="{FONT}">{TEXT["stopped"]}</div>'

    def close(self) -> None:
        """Close the lab's widgets and stop its servers (ipywidgets keeps open widgets alive,
        so closing is what lets the lab go; the finalizer also runs at interpreter exit)."""
        self.stop()
        for child in self.children:
            child.close()
        super().close()

    # -- showing -----------------------------------------------------------------------------------

    def _show_status(self) -> None:
        used = self.servers.used if self.servers.running else 0
        quota = self.servers.quota
        limit = TEXT["no_quota"] if quota is None else TEXT["used"].format(used=used, quota=quota)
        status = TEXT["status"].format(
            host=escape(self.servers.host),
            pop3=self.servers.pop3_port,
            imap=self.servers.imap_port,
            user=USER,
            password=PASSWORD,
            limit=escape(limit),
        )
        self.status.value = f'<div style="{FONT};font-size:13px">{status}</div>'

    def _show_run(self, run: WireRun) -> None:
        self._show_status()
        headline = callout(
            escape(run.action.description),
            outcome=Outcome.INFO,
            title=run.action.label,
        )
        # What happened and what changed first; the whole conversation and the Maildir below.
        self.show(
            headline + trace_list(run.steps, title=TEXT["why"]) + changes_table(run.changes),
            conversations(run.transcripts) + maildir_table(run.after),
        )


def wire_lab(*, quota: int | None = DEFAULT_QUOTA, lang: str | None = None) -> WireLab:
    """The wire lab, ready to display: real servers with sample mail and a client to drive them."""
    return WireLab(quota=quota, lang=lang)
