"""Chapter 02's lab: send a message through the model network and watch OP25B act on it.

``op25b_lab()`` returns the lab: prepared scenarios (one click each), pickers for the source,
the first server, the port, the credentials, the addresses and the policy switches; the network
diagram with the path coloured hop by hop, the verdict and the hop table. The button
"Replay over real SMTP" sends the same message over real SMTP servers on 127.0.0.1 and shows the
whole conversation with every reply code (a dropped attempt is a simulated drop of a few seconds).
"""

from __future__ import annotations

import functools
import weakref
from pathlib import Path

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.i18n import texts, using
from mailsec.labs.frame import Lab, button, checkbox, fit_menu, live, tagged
from mailsec.op25b import simulate
from mailsec.op25b.model import (
    BOT_WEBMAIL,
    BOT_WEBMAIL_PASSWORD,
    HANAKO,
    HANAKO_PASSWORD,
    POLICY_SWITCHES,
    STANDARD_WORLD,
    Policy,
    World,
)
from mailsec.op25b.path import PathResult
from mailsec.op25b.replay import LoopbackMailServers, Replay
from mailsec.op25b.scenarios import SCENARIOS, Scenario, scenario
from mailsec.render.html import FONT, escape
from mailsec.render.op25b import explanation_html, path_html, progress_html, replay_html

__all__ = ["CREDENTIAL_PRESETS", "TEXT", "Op25bLab", "op25b_lab"]

TEXT = texts(
    {
        "title": "Lab: send a message past OP25B",
        "intro": "Pick a prepared scenario, or choose the sender's machine, the first server, the "
        "port and the credentials yourself. The diagram shows the path hop by hop: green ✓ "
        "passed, red ✗ dropped or refused. <em>Replay over real SMTP</em> sends the same message "
        "through real mail servers running on this machine and shows every command and reply "
        "code.",
        "replay": "Replay over real SMTP",
        "replay_tooltip": "Send this message through real SMTP servers on 127.0.0.1",
        "scenarios": "Prepared scenarios (one click)",
        "attempt": "The attempt",
        "policies": "Policies (switch any off)",
        "source": "Sender's machine:",
        "destination": "First server:",
        "host_option": "{label} — {where}",
        "port": "Port:",
        "port_placeholder": "a port, 1-65535",
        "credentials": "Credentials:",
        # The credential choices, in the order of CREDENTIAL_PRESETS.
        "presets": (
            "none (no login)",
            "{user} (right password)",
            "{user} (wrong password)",
            "{user} (the bot's free webmail account)",
            "type my own below",
        ),
        "user": "User:",
        "user_placeholder": "user name",
        "password": "Password:",
        "password_placeholder": "password",
        "mail_from": "From (MAIL FROM):",
        "mail_from_placeholder": "empty: the account, or the machine owner's address",
        "rcpt_to": "To (RCPT TO):",
        "no_login": "Credentials are chosen but the user and password are empty: type them, or "
        "choose '{none}'.",
        "loaded": "{title}.",
        "starting": "Starting the mail servers on 127.0.0.1 …",
    }
)

#: The credential choices: label -> (user, password). "custom" uses the text boxes as typed. The
#: menu shows each in the lab's language (:data:`TEXT` ``["presets"]``, the same order).
CREDENTIAL_PRESETS: dict[str, tuple[str, str] | None] = {
    "none (no login)": None,
    f"{HANAKO} (right password)": (HANAKO, HANAKO_PASSWORD),
    f"{HANAKO} (wrong password)": (HANAKO, "sakura-2025"),
    f"{BOT_WEBMAIL} (the bot's free webmail account)": (BOT_WEBMAIL, BOT_WEBMAIL_PASSWORD),
    "type my own below": None,
}
_PRESET_USERS = ("", HANAKO, HANAKO, BOT_WEBMAIL, "")
"""The account each credential choice names (its label's ``{user}``)."""
CUSTOM = "type my own below"
NONE = "none (no login)"

_WIDE = widgets.Layout(width="480px")
_STYLE = {"description_width": "150px"}


def _heading(text: str) -> widgets.HTML:
    """A small heading above a group of controls."""
    return widgets.HTML(f'<div style="{FONT}font-weight:600;margin:6px 0 2px">{text}</div>')


class Op25bLab(Lab):
    """The OP25B lab: pick an attempt, see its path; replay it over real SMTP."""

    def __init__(
        self,
        world: World = STANDARD_WORLD,
        *,
        servers: LoopbackMailServers | None = None,
        maildir_root: Path | str | None = None,
        drop_timeout: float = 2.0,
        lang: str | None = None,
    ) -> None:
        self.world = world
        self._servers = servers
        self._maildir_root = maildir_root
        self._drop_timeout = drop_timeout
        self._quiet = False
        self.last_result: PathResult | None = None
        self.last_replay: Replay | None = None

        self.scenario_buttons = [
            button(
                s.shown_title,
                "mailsec-op25b-scenario",
                f"mailsec-op25b-scenario-{s.id}",
                tooltip=s.shown_story,
                margin="2px",
            )
            for s in SCENARIOS
        ]
        self.replay_button = button(
            TEXT["replay"],
            "mailsec-op25b-replay",
            icon="play",
            button_style="primary",
            tooltip=TEXT["replay_tooltip"],
        )
        self.replay_output = tagged(live(), "mailsec-op25b-replay-output")
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[
                _heading(escape(TEXT["scenarios"])),
                widgets.Box(
                    self.scenario_buttons,
                    layout=widgets.Layout(display="flex", flex_flow="row wrap"),
                ),
                widgets.HBox(
                    [self._attempt_controls(), self._policy_controls()],
                    layout=widgets.Layout(flex_flow="row wrap"),
                ),
            ],
            # The replay sits under the result, so the conversation appears next to the diagram.
            below_result=[widgets.HBox([self.replay_button]), self.replay_output],
            lang=lang,
        )
        self.add_class("mailsec-op25b-lab")
        inputs = [
            self.source,
            self.destination,
            self.port,
            self.user,
            self.password,
            self.mail_from,
            self.rcpt_to,
            *self.switches.values(),
        ]
        self.on_change(inputs, self.update)
        self.on_change([self.credentials], self._preset_chosen)
        for scenario_button, s in zip(self.scenario_buttons, SCENARIOS, strict=True):
            self.on_click(scenario_button, functools.partial(self.load_scenario, s))
        self.on_click(self.replay_button, self.replay)
        self.update()

    # -- building the controls ------------------------------------------------------------------

    def _attempt_controls(self) -> widgets.VBox:
        """The attempt: the sender's machine, the first server, the port, login and addresses."""
        world = self.world
        self.source = self._dropdown(
            TEXT["source"],
            [
                (TEXT["host_option"].format(label=h.shown_label, where=h.ipv4), h.id)
                for h in world.clients
            ],
            "home-pc",
            "mailsec-op25b-source",
        )
        self.destination = self._dropdown(
            TEXT["destination"],
            [
                (TEXT["host_option"].format(label=h.shown_label, where=h.hostname), h.id)
                for h in world.servers
            ],
            "recipient-mx",
            "mailsec-op25b-destination",
        )
        self.port = widgets.Combobox(
            value="25",
            options=["25", "587", "465", "443"],
            ensure_option=False,
            placeholder=TEXT["port_placeholder"],
            description=TEXT["port"],
            style=_STYLE,
            layout=widgets.Layout(width="300px"),
        )
        tagged(self.port, "mailsec-op25b-port")
        # The menu's values are the labels it shows (in the lab's language), so that picking
        # one by its words works; _preset_key maps a label back to its CREDENTIAL_PRESETS key.
        shown = [
            label.format(user=user)
            for label, user in zip(TEXT["presets"], _PRESET_USERS, strict=True)
        ]
        self._preset_key = dict(zip(shown, CREDENTIAL_PRESETS, strict=True))
        self._preset_label = dict(zip(CREDENTIAL_PRESETS, shown, strict=True))
        self.credentials = self._dropdown(
            TEXT["credentials"], shown, self._preset_label[NONE], "mailsec-op25b-credentials"
        )
        self.user = widgets.Text(
            description=TEXT["user"],
            placeholder=TEXT["user_placeholder"],
            style=_STYLE,
            layout=_WIDE,
        )
        tagged(self.user, "mailsec-op25b-user")
        self.password = widgets.Password(
            description=TEXT["password"],
            placeholder=TEXT["password_placeholder"],
            style=_STYLE,
            layout=_WIDE,
        )
        tagged(self.password, "mailsec-op25b-password")
        self.mail_from = widgets.Text(
            description=TEXT["mail_from"],
            placeholder=TEXT["mail_from_placeholder"],
            style=_STYLE,
            layout=_WIDE,
        )
        tagged(self.mail_from, "mailsec-op25b-from")
        self.rcpt_to = widgets.Text(
            value="taro@example.net", description=TEXT["rcpt_to"], style=_STYLE, layout=_WIDE
        )
        tagged(self.rcpt_to, "mailsec-op25b-to")
        return widgets.VBox(
            [
                _heading(escape(TEXT["attempt"])),
                self.source,
                self.destination,
                self.port,
                self.credentials,
                self.user,
                self.password,
                self.mail_from,
                self.rcpt_to,
            ]
        )

    def _policy_controls(self) -> widgets.VBox:
        """One checkbox per policy switch, on as in :class:`Policy`."""
        self.switches = {
            name: checkbox(
                text,
                f"mailsec-op25b-policy-{name.replace('_', '-')}",
                value=getattr(Policy(), name),
                layout=widgets.Layout(width="auto"),
            )
            for name, text in POLICY_SWITCHES.items()
        }
        return widgets.VBox(
            [_heading(escape(TEXT["policies"])), *self.switches.values()],
            layout=widgets.Layout(margin="0 0 0 16px"),
        )

    @staticmethod
    def _dropdown(description: str, options: list, value: object, css: str) -> widgets.Dropdown:
        picker = widgets.Dropdown(
            options=options, value=value, description=description, style=_STYLE, layout=_WIDE
        )
        picker.add_class(css)
        return fit_menu(picker)  # a menu shows a value longer than itself cut off

    # -- reading the controls ---------------------------------------------------------------------

    @property
    def policy(self) -> Policy:
        return Policy(**{name: box.value for name, box in self.switches.items()})

    @property
    def preset(self) -> str:
        """The credential choice as a :data:`CREDENTIAL_PRESETS` key (English)."""
        return self._preset_key[self.credentials.value]

    def _credentials(self) -> tuple[str | None, str | None]:
        if self.preset == NONE:
            return None, None
        user, password = self.user.value, self.password.value
        if not user.strip() and not password:
            raise InputError(TEXT["no_login"].format(none=self._preset_label[NONE]))
        return user, password

    def evaluate(self) -> PathResult:
        """The path for the controls as they are now (InputError for bad input), in the lab's
        language."""
        with using(self.lang):
            return self._evaluate()

    def _evaluate(self) -> PathResult:
        user, password = self._credentials()
        return simulate(
            self.source.value,
            self.destination.value,
            self.port.value,
            mail_from=self.mail_from.value if self.mail_from.value.strip() else None,
            rcpt_to=self.rcpt_to.value,
            user=user,
            password=password,
            policy=self.policy,
            world=self.world,
        )

    # -- callbacks ---------------------------------------------------------------------------------

    def update(self) -> None:
        """Model callback: evaluate and draw (quick; benchmarked)."""
        if self._quiet:
            return
        with using(self.lang):
            result = self.evaluate()
            self.last_result = result
            self.show(path_html(result, self.world), explanation_html(result))
            self.replay_output.value = ""

    def _preset_chosen(self) -> None:
        preset = CREDENTIAL_PRESETS.get(self.preset)
        if self.preset != CUSTOM:
            self._quiet = True
            try:
                self.user.value, self.password.value = preset if preset else ("", "")
            finally:
                self._quiet = False
        self.update()

    def load_scenario(self, s: Scenario) -> None:
        """Set every control to a prepared scenario, then evaluate once (in the lab's language,
        however it is called)."""
        with using(self.lang):
            self._load_scenario(s)

    def _load_scenario(self, s: Scenario) -> None:
        self._quiet = True
        try:
            self.source.value = s.source
            self.destination.value = s.destination
            self.port.value = str(s.port)
            preset = next(
                (k for k, v in CREDENTIAL_PRESETS.items() if v == (s.user, s.password)), None
            )
            if s.user is None:
                preset = NONE
            elif preset is None:
                preset = CUSTOM
            self.credentials.value = self._preset_label[preset]
            self.user.value = s.user or ""
            self.password.value = s.password or ""
            self.mail_from.value = s.mail_from
            self.rcpt_to.value = s.rcpt_to
            for name, box in self.switches.items():
                box.value = getattr(s.policy, name)
        finally:
            self._quiet = False
        self.update()
        title = escape(TEXT["loaded"].format(title=s.shown_title))
        self.replay_output.value = (
            f'<div style="{FONT}"><strong>{title}</strong> {escape(s.shown_story)}</div>'
        )

    @property
    def servers(self) -> LoopbackMailServers:
        if self._servers is None:
            self._servers = LoopbackMailServers(
                self.world, maildir_root=self._maildir_root, drop_timeout=self._drop_timeout
            )
            weakref.finalize(self, self._servers.stop)
        return self._servers

    def replay(self) -> None:
        """Replay the current attempt over real SMTP on 127.0.0.1, showing progress."""
        with using(self.lang):
            self._replay()

    def _replay(self) -> None:
        result = self.evaluate()
        self.replay_button.disabled = True
        try:
            self.replay_output.value = progress_html(TEXT["starting"])
            servers = self.servers.start()
            done = servers.replay(
                result.attempt,
                result.policy,
                progress=lambda text: setattr(self.replay_output, "value", progress_html(text)),
            )
            self.replay_output.value = replay_html(done, self.world)
            self.last_replay = done
        finally:
            self.replay_button.disabled = False

    def close_servers(self) -> None:
        """Stop the loopback servers (they also stop when the lab is garbage-collected)."""
        if self._servers is not None:
            self._servers.stop()


def op25b_lab(
    scenario_id: str | None = None,
    *,
    maildir_root: Path | str | None = None,
    drop_timeout: float = 2.0,
    world: World = STANDARD_WORLD,
    lang: str | None = None,
) -> Op25bLab:
    """The chapter's lab, ready to display; ``scenario_id`` preloads a prepared scenario."""
    lab = Op25bLab(world, maildir_root=maildir_root, drop_timeout=drop_timeout, lang=lang)
    if scenario_id is not None:
        lab.load_scenario(scenario(scenario_id))
    return lab
