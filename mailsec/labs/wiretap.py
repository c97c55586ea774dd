"""Chapter 08's wiretap lab: a real login through a relay that listens, or strips STARTTLS.

``wiretap_lab()`` returns the lab. The learner picks the protocol (SMTP submission, POP3 or
IMAP), the mail program's TLS setting (none, use TLS if available, require STARTTLS, implicit
TLS) and whether an attacker on the path strips STARTTLS. *Run* (and every change) logs in for
real: Python's smtplib, poplib or imaplib (:mod:`mailsec.transport.relay_clients`) talks
through a recording relay on 127.0.0.1 (:mod:`mailsec.transport.relay`) to the course's
servers, and the lab shows what the eavesdropper learned
(:func:`mailsec.transport.relay_view.eavesdrop`): the lines with the password marked, or the
TLS records with the server's name, their sizes and times.

The servers are the provider of chapter 02 and chapter 01: the submission server
(:class:`~mailsec.op25b.smtpd.ModelSmtpServers`: STARTTLS on "587", implicit TLS on "465", no
login before TLS) and POP3/IMAP servers with a course certificate that refuse a login before
TLS (:class:`~mailsec.retrieval.servers.MailServers` with ``require_tls``). The account is
Hanako's, whose password is a fixed course value, not a secret; the lab shows it only where the
eavesdropper read it. Each server starts at its protocol's first run; a relay lives for one run.
Everything stops with :meth:`WiretapLab.close`, when the lab is garbage-collected, or when
Python exits.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from mailsec.errors import MailsecError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, button, checkbox, dropdown, live, tagged
from mailsec.op25b.model import HANAKO, HANAKO_PASSWORD
from mailsec.op25b.smtpd import ModelSmtpServers
from mailsec.render.html import FONT, escape, trace_list
from mailsec.render.wiretap import login_html, wiretap_html
from mailsec.transport.relay import Relay
from mailsec.transport.relay_clients import LoginResult, TlsSetting, log_in
from mailsec.transport.relay_recording import MailProtocol
from mailsec.transport.relay_view import Eavesdropped, eavesdrop

__all__ = ["TEXT", "WiretapLab", "WiretapRun", "wiretap_lab"]

LOOPBACK = "127.0.0.1"
ACCOUNT = HANAKO
MAIL_HOST = "mail.mailprovider.example"
"""The POP3/IMAP server's name (its course certificate is issued for it)."""
SUBMISSION_HOST = "provider-smtp"
"""The model host whose submission ports the SMTP runs use."""
RELAY_WAIT = 5.0
"""Seconds to wait for the relay to see a finished connection end (it takes milliseconds)."""

TEXT = texts(
    {
        "title": "Lab: the eavesdropper's view — TLS, STARTTLS and stripping",
        "intro": (
            "Hanako's mail program logs in to her provider (account <code>{account}</code>) through "
            "a wire somebody is listening to. Pick the protocol and the mail program's TLS setting, "
            "and decide whether an attacker on the path <em>strips STARTTLS</em> (deletes the "
            "server's offer of TLS). Every run is a real login; below you see what the eavesdropper "
            "read: ✗ the password, or ✓ only TLS records."
        ),
        "protocol": "Protocol:",
        "setting": "Mail program's TLS setting:",
        "strip": "An attacker on the path strips STARTTLS",
        "run": "Run",
        "protocols": {
            MailProtocol.SMTP: "SMTP submission (port 587 with STARTTLS / 465 with TLS)",
            MailProtocol.POP3: "POP3 (port 110 with STLS / 995 with TLS)",
            MailProtocol.IMAP: "IMAP (port 143 with STARTTLS / 993 with TLS)",
        },
        "settings": {
            TlsSetting.NONE: "No TLS",
            TlsSetting.OPPORTUNISTIC: "Use TLS if available (STARTTLS when offered)",
            TlsSetting.REQUIRED: "Require STARTTLS",
            TlsSetting.IMPLICIT: "TLS from the first byte (implicit TLS port)",
        },
        "status": (
            "▶ {protocol} to {server} port {port} (standing for {model}) through a relay on "
            "{host}; TLS setting: {setting}; attacker: {attacker}."
        ),
        "attacker_on": "strips STARTTLS",
        "attacker_off": "none (the eavesdropper only listens)",
        "no_recording": "The relay saw no connection: the mail program could not reach it.",
        "explanation": "How the eavesdropper's view was read",
        "stopped": "The lab is closed. Run the cell with wiretap_lab() again for a new one.",
    }
)
"""Every sentence of the lab (named placeholders, for translation)."""


@dataclass(frozen=True)
class WiretapRun:
    """One run of the lab: the mail program's login, and what the eavesdropper learned."""

    protocol: MailProtocol
    setting: TlsSetting
    strip: bool
    login: LoginResult
    seen: Eavesdropped


@dataclass(frozen=True)
class _Target:
    name: str
    port: int
    context: ssl.SSLContext
    model_port: int


class _Servers:
    """The lab's servers, started when first needed; stopped together (also by the finalizer,
    which must not hold the lab itself)."""

    def __init__(self) -> None:
        self.smtp: ModelSmtpServers | None = None
        self.mail: Any = None  # MailServers, imported when POP3 or IMAP is first used
        self.mail_context: ssl.SSLContext | None = None
        self.folder: str | None = None

    def target(self, protocol: MailProtocol, implicit: bool) -> _Target:
        model_port = protocol.ports[1 if implicit else 0]
        if protocol is MailProtocol.SMTP:
            if self.smtp is None:
                self.smtp = ModelSmtpServers().start()
            host = self.smtp.world.host(SUBMISSION_HOST)
            port = self.smtp.ports[(SUBMISSION_HOST, model_port)]
            context = self.smtp.client_context()  # trusts the submission servers' course CA
            return _Target(host.hostname, port, context, model_port)
        mail = self._mail()
        ports = {
            MailProtocol.POP3: (mail.pop3_port, mail.pop3s_port),
            MailProtocol.IMAP: (mail.imap_port, mail.imaps_port),
        }[protocol]
        assert self.mail_context is not None
        return _Target(MAIL_HOST, ports[1 if implicit else 0], self.mail_context, model_port)

    def _mail(self) -> Any:
        if self.mail is None:
            from mailsec.retrieval.servers import MailServers, ServerTls

            tls = ServerTls.course([MAIL_HOST])
            self.folder = tempfile.mkdtemp(prefix="mailsec-wiretap-")
            self.mail = MailServers(
                Path(self.folder) / "Maildir",
                user=ACCOUNT,
                password=HANAKO_PASSWORD,
                tls=tls.context,
                require_tls=True,
                pop3s_port=0,
                imaps_port=0,
            ).start()
            self.mail_context = tls.client_context()
        return self.mail

    def stop(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        if self.mail is not None:
            self.mail.stop()
            self.mail = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _run_once(
    servers: _Servers, protocol: MailProtocol, setting: TlsSetting, strip: bool
) -> WiretapRun:
    """One real login through a fresh relay, and what the eavesdropper learned from it."""
    target = servers.target(protocol, setting is TlsSetting.IMPLICIT)
    with Relay(LOOPBACK, target.port, protocol=protocol, strip=strip) as relay:
        login = log_in(
            protocol,
            target.name,
            relay.port,
            ACCOUNT,
            HANAKO_PASSWORD,
            tls=setting,
            context=target.context,
            address=LOOPBACK,
        )
        relay.wait_until_idle(RELAY_WAIT)
        recordings = relay.recordings
    if not recordings:
        raise MailsecError(TEXT["no_recording"])
    return WiretapRun(protocol, setting, strip, login, eavesdrop(recordings[-1]))


class WiretapLab(Lab):
    """Protocol, TLS setting and attacker in; a real login and the eavesdropper's view out."""

    def __init__(
        self, *, protocol: MailProtocol = MailProtocol.SMTP, lang: str | None = None
    ) -> None:
        self._servers = _Servers()
        self._finalizer = weakref.finalize(self, self._servers.stop)
        self.protocol = dropdown(
            TEXT["protocol"],
            [(TEXT["protocols"][p], p) for p in MailProtocol],
            protocol,
            "mailsec-wiretap-protocol",
        )
        self.setting = dropdown(
            TEXT["setting"],
            [(TEXT["settings"][s], s) for s in TlsSetting],
            TlsSetting.OPPORTUNISTIC,
            "mailsec-wiretap-setting",
        )
        self.strip = checkbox(
            TEXT["strip"], "mailsec-wiretap-strip", layout=widgets.Layout(width="auto")
        )
        self.run_button = button(
            TEXT["run"], "mailsec-wiretap-run", icon="play", button_style="primary"
        )
        self.status = tagged(live(role="status"), "mailsec-wiretap-status")
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"].format(account=escape(ACCOUNT)),
            controls=[
                self.protocol,
                self.setting,
                widgets.HBox([self.strip, self.run_button]),
                self.status,
            ],
            lang=lang,
        )
        self.add_class("mailsec-wiretap-lab")
        self.last_run: WiretapRun | None = None
        self.on_change([self.protocol, self.setting, self.strip], self.run)
        self.on_click(self.run_button, self.run)
        self.action(self.run)()

    def run(self) -> None:
        """Log in once with the chosen settings and show what the eavesdropper learned."""
        if not self._finalizer.alive:
            raise MailsecError(TEXT["stopped"])
        protocol, setting, strip = self.protocol.value, self.setting.value, self.strip.value
        run = _run_once(self._servers, protocol, setting, strip)
        self.last_run = run
        self._show_status(run)
        self.show(
            wiretap_html(run.login, run.seen),
            login_html(run.login) + trace_list(run.seen.trace, title=TEXT["explanation"]),
        )

    def _show_status(self, run: WiretapRun) -> None:
        target = self._servers.target(run.protocol, run.setting is TlsSetting.IMPLICIT)
        self.status.value = (
            f'<div style="{FONT}font-size:13px">'
            + escape(
                TEXT["status"].format(
                    protocol=run.protocol.value,
                    server=target.name,
                    port=target.port,
                    model=target.model_port,
                    host=LOOPBACK,
                    setting=TEXT["settings"][run.setting],
                    attacker=TEXT["attacker_on" if run.strip else "attacker_off"],
                )
            )
            + "</div>"
        )

    def close(self) -> None:
        """Stop the lab's servers and close its widgets (see :meth:`Lab.close_with`)."""
        self.close_with(self._finalizer, (self.protocol, self.setting, self.strip, self.run_button))


def wiretap_lab(
    *, protocol: MailProtocol = MailProtocol.SMTP, lang: str | None = None
) -> WiretapLab:
    """The wiretap lab, ready to display; it has logged in once with its default settings."""
    return WiretapLab(protocol=protocol, lang=lang)
