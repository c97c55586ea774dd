"""Chapter 08's APOP lab: a real APOP login, what an eavesdropper captured, and a word list.

``apop_lab()`` returns the lab. The learner picks (or types) Alice's password. The course's POP3
server (:class:`~mailsec.retrieval.servers.MailServers` on 127.0.0.1, plaintext, APOP offered)
is started with that password, and Python's ``poplib`` logs in with ``apop()`` for real: the
greeting carries the timestamp banner, the client answers ``APOP alice <digest>``. From the
server's transcript the lab takes what an eavesdropper on the wire would have captured
(:class:`~mailsec.transport.apop.ApopCapture`) and runs the offline dictionary search
(:func:`~mailsec.transport.apop.dictionary_search`) over the course's list of common passwords.

It shows the banner and the digest, "password found after N guesses in X ms" or "not in the word
list", and the lesson: the password itself never crossed the wire, yet against a dictionary the
digest is as good as the password (:mod:`mailsec.render.apop`).

The server runs while the lab lives and is started again when the password changes (it knows
one account). Everything stops with :meth:`ApopLab.close`, when the lab is garbage-collected, or
when Python exits.
"""

from __future__ import annotations

import poplib
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets

from mailsec.errors import InputError, MailsecError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, button, dropdown, live, tagged, text_box
from mailsec.limits import MAIL_CLIENT_TIMEOUT
from mailsec.render.apop import capture_html, explanation_html, verdict_html, wire_html
from mailsec.render.html import FONT, escape
from mailsec.retrieval.servers import MailServers
from mailsec.retrieval.transcript import Transcript
from mailsec.transport.apop import (
    MAX_WORD_LENGTH,
    ApopCapture,
    DictionaryResult,
    common_passwords,
    dictionary_search,
)

__all__ = ["PRESETS", "TEXT", "ApopLab", "ApopRun", "apop_lab"]

LOOPBACK = "127.0.0.1"
USER = "alice"
DEFAULT_PASSWORD = "sakura"
SETTLE = 5.0
"""Seconds to wait for the server to finish the session after QUIT (it takes milliseconds)."""

TEXT = texts(
    {
        "title": "Lab: APOP — the password stays home, the digest does not",
        "intro": "Alice's mail program logs in to the course's POP3 server with <code>APOP</code> "
        "(RFC 1939 §7): it answers the server's timestamp banner with MD5(banner + password) "
        "instead of the password. Pick or type Alice's password; every run is a real login over "
        "127.0.0.1 without TLS, and then an eavesdropper tries a list of {words} common passwords "
        "against what it captured.",
        "preset": "Example password:",
        "password": "Alice's password:",
        "run": "Log in with APOP",
        "own": "(type your own in the box below)",
        "status": "▶ poplib logged in as {user} to the course's POP3 server on {host} port {port} "
        "with APOP; the server was started with the password above.",
        "empty": "Type a password for Alice: the box is empty.",
        "line_break": "The password has a line break: type it on one line.",
        "too_long": "The password is {length:,} characters long: give one of at most {limit}.",
        "refused": "The server refused the APOP login ({reply}): the lab could not log in.",
        "no_session": "The server recorded no session: poplib could not reach it.",
        "stopped": "The lab is closed. Run the cell with apop_lab() again for a new one.",
        "presets": (
            "sakura — a common word",
            "letmein — near the top of every list",
            "sakura-2026 — a common word with a year",
            "correct horse battery staple — a long passphrase",
        ),
    }
)
"""Every sentence of the lab (named placeholders, for translation)."""

PASSWORDS = ("sakura", "letmein", "sakura-2026", "correct horse battery staple", "")
"""The example passwords; the last, empty, stands for a typed password."""


def presets() -> tuple[tuple[str, str], ...]:
    """The example passwords in the current language: (label, password); the last one stands
    for a typed password."""
    labels = (*TEXT["presets"], TEXT["own"])
    return tuple(zip(labels, PASSWORDS, strict=True))


PRESETS = tuple(zip((*TEXT.source["presets"], TEXT.source["own"]), PASSWORDS, strict=True))
"""The example passwords with their English labels (the lab shows :func:`presets`)."""


@dataclass(frozen=True)
class ApopRun:
    """One run: the real login, what was captured of it, and the dictionary search."""

    password: str
    port: int
    transcript: Transcript
    capture: ApopCapture
    logged_in: bool
    search: DictionaryResult


def check_password(text: str) -> str:
    """The password typed for Alice, or an :class:`InputError` saying what is wrong with it."""
    if not text:
        raise InputError(TEXT["empty"])
    if "\r" in text or "\n" in text:
        raise InputError(TEXT["line_break"])
    if len(text) > MAX_WORD_LENGTH:
        raise InputError(TEXT["too_long"].format(length=len(text), limit=MAX_WORD_LENGTH))
    return text


class _Server:
    """The course's POP3 server for Alice's current password (started again when it changes);
    stopped by the finalizer, which must not hold the lab itself."""

    def __init__(self) -> None:
        self.mail: MailServers | None = None
        self.folder: str | None = None

    def serving(self, password: str) -> MailServers:
        if self.mail is not None and self.mail.password == password:
            return self.mail
        self.stop_server()
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="mailsec-apop-")
        self.mail = MailServers(
            Path(self.folder) / "Maildir", user=USER, password=password, host=LOOPBACK
        ).start()
        return self.mail

    def stop_server(self) -> None:
        if self.mail is not None:
            self.mail.stop()
            self.mail = None

    def stop(self) -> None:
        self.stop_server()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def log_in(server: _Server, password: str) -> ApopRun:
    """One real APOP login with ``poplib`` and the dictionary search over what it captured."""
    mail = server.serving(password)
    mail.clear_transcripts()
    client = poplib.POP3(LOOPBACK, mail.pop3_port, timeout=MAIL_CLIENT_TIMEOUT)
    try:
        try:
            client.apop(USER, password)
            logged_in = True
        except poplib.error_proto as refused:
            raise MailsecError(TEXT["refused"].format(reply=refused)) from None
        client.quit()
    finally:
        client.close()
    mail.wait_until_idle(SETTLE)
    if not mail.transcripts:
        raise MailsecError(TEXT["no_session"])
    transcript = mail.transcripts[-1]
    capture = ApopCapture.from_lines(transcript.server_lines[0], transcript.client_lines)
    search = dictionary_search(capture.banner, capture.digest)
    return ApopRun(password, mail.pop3_port, transcript, capture, logged_in, search)


class ApopLab(Lab):
    """Alice's password in; a real APOP login, its capture and the dictionary search out."""

    def __init__(self, *, password: str = DEFAULT_PASSWORD, lang: str | None = None) -> None:
        self._server = _Server()
        self._finalizer = weakref.finalize(self, self._server.stop)
        self._quiet = False
        self.last_run: ApopRun | None = None
        self.preset = dropdown(
            TEXT["preset"],
            presets(),
            password if password in PASSWORDS else "",
            "mailsec-apop-preset",
        )
        self.password = text_box(password, TEXT["password"], "mailsec-apop-password")
        self.password.continuous_update = False  # a login per finished entry, not per key
        self.run_button = button(
            TEXT["run"], "mailsec-apop-run", icon="play", button_style="primary"
        )
        self.status = tagged(live(role="status"), "mailsec-apop-status")
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"].format(words=len(common_passwords())),
            controls=[
                self.preset,
                widgets.HBox([self.password, self.run_button]),
                self.status,
            ],
            lang=lang,
        )
        self.add_class("mailsec-apop-lab")
        self.on_change([self.preset], self._on_preset)
        self.on_change([self.password], self._on_password)
        self.on_click(self.run_button, self.run)
        self.action(self.run)()

    def _on_preset(self) -> None:
        """Picking an example writes it into the box (which runs :meth:`run`)."""
        if self._quiet or not self.preset.value:
            return
        if self.password.value != self.preset.value:
            self.password.value = self.preset.value
        else:
            self.run()

    def _on_password(self) -> None:
        """A typed password selects its example, or "type your own"; then a run."""
        wanted = self.password.value if self.password.value in PASSWORDS else ""
        if self.preset.value != wanted:
            self._quiet = True
            try:
                self.preset.value = wanted
            finally:
                self._quiet = False
        self.run()

    def run(self) -> None:
        """Log in with APOP once with the password in the box and show what was captured."""
        if not self._finalizer.alive:
            raise MailsecError(TEXT["stopped"])
        password = check_password(self.password.value)
        run = log_in(self._server, password)
        self.last_run = run
        self.status.value = (
            f'<div style="{FONT}font-size:13px">'
            + escape(TEXT["status"].format(user=USER, host=LOOPBACK, port=run.port))
            + "</div>"
        )
        self.show(
            verdict_html(run.search, logged_in=run.logged_in)
            + capture_html(run.capture)
            + wire_html(run.transcript),
            explanation_html(run.search),
        )

    def close(self) -> None:
        """Stop the lab's servers and close its widgets (see :meth:`Lab.close_with`)."""
        self.close_with(self._finalizer, (self.preset, self.password, self.run_button))


def apop_lab(*, password: str = DEFAULT_PASSWORD, lang: str | None = None) -> ApopLab:
    """The APOP lab, ready to display; it has logged in once with ``password``."""
    return ApopLab(password=password, lang=lang)
