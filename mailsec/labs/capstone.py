"""Chapter 09's labs: one message's journey through the whole mail system, and "defend example.com".

``scenario_lab()`` plays one scenario of the attacker's campaign
(:data:`~mailsec.mailsystem.scenarios.SCENARIOS`) against a fresh
:class:`~mailsec.mailsystem.system.MailSystem` with one of the instructor presets, and shows what
happened (:func:`~mailsec.render.mailsystem.scenario_html`: the sequence diagram, each control's
verdict, the header hop by hop); a menu below opens each hop's raw SMTP, POP3 or IMAP dialogue
(:func:`~mailsec.render.mailsystem.transcript_view`).

``defence_lab()`` is the game: the learner switches example.com's and the bank's defences
(:class:`~mailsec.mailsystem.plan.Defences`; a preset sets all seven at once) and presses *Run*;
the whole campaign (:func:`~mailsec.mailsystem.campaign.run_campaign`) plays against a fresh
system and the lab shows the defence matrix, the score (attacks stopped, legitimate messages
delivered) and why each miss happened.

Both labs run only when *Run* is pressed: a scenario takes a few tenths of a second and a whole
campaign about two seconds, too long to repeat on every change of a menu. A change clears the
result of the old choices (so no result ever stands beside inputs it does not belong to) and
says to press *Run*. Every run starts its own mail system and stops it before the callback
returns, so nothing runs between clicks: :meth:`ScenarioLab.close` and :meth:`DefenceLab.close`
only disable the controls and close the widgets, as the other server labs' ``close`` does.

Every sentence is in :data:`TEXT`, with named placeholders, and is shown in the lab's language:
``scenario_lab(lang="ja")`` and ``defence_lab(lang="ja")`` build and run in Japanese whatever the
kernel's language (:mod:`mailsec.i18n`; the lab frame passes ``lang`` on).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import ipywidgets as widgets

from mailsec.errors import MailsecError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, button, checkbox, dropdown, live, tagged
from mailsec.mailsystem.campaign import run_campaign
from mailsec.mailsystem.plan import DMARC_POLICIES, PRESETS, Defences
from mailsec.mailsystem.scenarios import SCENARIOS, run_scenario, scenario
from mailsec.mailsystem.system import MailSystem
from mailsec.mailsystem.timeline import Campaign, ScenarioRun
from mailsec.render.defence import defence_matrix
from mailsec.render.html import FONT, OUTCOME_COLOURS, callout, escape
from mailsec.render.mailsystem import scenario_html, transcript_view
from mailsec.trace import Outcome

__all__ = ["TEXT", "DefenceLab", "ScenarioLab", "defence_lab", "scenario_lab"]

CUSTOM = "custom"
"""The preset menu's stand-in value when the switches match no preset."""
NO_TRANSCRIPT = -1
"""The transcript menu's stand-in value when there is nothing to show."""

TEXT = texts(
    {
        # Shared.
        "preset": "Defences (instructor preset):",
        "presets": {
            "nothing": "nothing — every defence off",
            "ports-only": "ports-only — only ISP A's OP25B",
            "spf-only": "spf-only — OP25B and SPF",
            "monitoring": "monitoring — OP25B, SPF, DKIM, DMARC p=none, TLS",
            "no-arc": "no-arc — everything but ARC",
            "recommended": "recommended — everything on",
            CUSTOM: "your own mix (change the switches below)",
        },
        "on": "on",
        "off": "off",
        "summary": "OP25B {op25b} · SPF {spf} · DKIM {dkim} · DMARC {dmarc} · ARC {arc} · "
        "TLS {tls} · S/MIME {smime}",
        "dmarc_summary": {
            "off": "off (no record)",
            "none": "p=none",
            "quarantine": "p=quarantine",
            "reject": "p=reject",
        },
        "closed": "This lab has been closed (close() was called): run the cell again for a new lab.",
        # The scenario lab.
        "scenario_title": "Lab: one message's journey through the whole mail system",
        "scenario_intro": "Pick a scenario — a legitimate message or one of the attacker's moves — "
        "and the defences, then press <em>Run this scenario</em>. It starts every server of the mail "
        "system on this computer (DNS, the bank's submission server and outbound MTA, ISP A's edge, "
        "example.com's MX, Bob's POP3/IMAP server …), plays the scenario over real connections, stops "
        "them again, and shows each step, what each control did, and the header hop by hop. Below the "
        "result, open each hop's raw dialogue.",
        "scenario": "Scenario:",
        "scenario_option": "{title} ({kind})",
        "kind_attack": "attack",
        "kind_legitimate": "legitimate mail",
        "scenario_run": "Run this scenario",
        "transcript": "Raw dialogue of one hop:",
        "transcript_option": "#{number}: {hop}",
        "no_transcripts": "no raw dialogue was recorded in this run",
        "not_run": "press Run first",
        "scenario_stale": "You changed the scenario or the defences. Press <em>Run this scenario</em> "
        "to play it.",
        "scenario_stale_title": "Not run yet",
        "scenario_status": "Played “{name}” against a fresh mail system in {seconds:.1f} s "
        "(defences: {summary}); every server has stopped again.",
        "defended_attack": "Defended: the attack was stopped.",
        "undefended_attack": "Not defended: the attack got through.",
        "defended_legitimate": "Defended: the legitimate message arrived and could be read.",
        "undefended_legitimate": "Not defended: the legitimate message was lost.",
        # The defence lab.
        "defence_title": "Lab: defend example.com — which controls stop the attacker's campaign?",
        "defence_intro": "The attacker sends phishing mail in the bank's name to example.com's users, "
        "taps networks and reads mailboxes. Switch the defences on or off (a preset sets them all at "
        "once), then press <em>Run the attacker's campaign</em>: every scenario — {attacks} attacks "
        "and {legitimate} legitimate messages — plays against a fresh mail system on this computer "
        "(a few seconds). Stop as many attacks as you can without losing legitimate mail.",
        "switches": {
            "op25b": "OP25B: ISP A blocks port 25 from home PCs",
            "spf": "SPF: bank.example publishes its sending server",
            "dkim": "DKIM: the bank's outbound MTA signs its mail",
            "arc": "ARC: example.com trusts lists.example's seals",
            "tls": "TLS: Bob's mail is read only over TLS",
            "smime": "S/MIME: Alice signs and encrypts to Bob",
        },
        "dmarc": "DMARC: bank.example's policy:",
        "dmarc_options": {
            "off": "off — no DMARC record",
            "none": "p=none — only report",
            "quarantine": "p=quarantine — failures go to Junk",
            "reject": "p=reject — failures are refused",
        },
        "defence_run": "Run the attacker's campaign",
        "running": "Running …",
        "progress": "Played {done} of {total}: {title}",
        "defence_status": "The campaign played {count} scenarios against a fresh mail system in "
        "{seconds:.1f} s; every server has stopped again.",
        "defence_stale": "You changed the defences. Press <em>Run the attacker's campaign</em> to see "
        "what they stop — and what they lose.",
        "defence_stale_title": "Not run with these defences yet",
        "score": "Score: {stopped} of {attacks} attacks stopped · {delivered} of {legitimate} "
        "legitimate messages delivered",
        "score_label": "Score of the campaign",
        "perfect": "Every attack stopped and every legitimate message delivered.",
        "lost_title": "Legitimate mail lost, and why",
        "lost_item": "{title}: {outcome}{by}",
        "lost_by": " (stopped by {control})",
        "nothing_lost": "No legitimate message was lost: every one arrived and could be read.",
        "explain_title": "How to read the matrix",
        "explain": "A row is one scenario, a column one control. For an attack, ✓ means this "
        "control stopped it; ! that it noticed something (a failed check in "
        "Authentication-Results, a broken signature) but the attack went on; • that it checked and "
        "was fooled or was not made for this attack; — that it never saw it. For legitimate mail, "
        "• passed is the right answer and ✗ stopped it means a good message was lost.",
    }
)
"""Every sentence of the two labs (named placeholders, for translation)."""

_WIDE = "700px"
_LABEL = "250px"
"""Every menu's label is this wide, so the menus of a lab start in one column."""
_SWITCHES = ("op25b", "spf", "dkim", "arc", "tls", "smime")


def _aligned(*menus: widgets.Dropdown) -> None:
    for menu in menus:
        menu.style.description_width = _LABEL


def _preset_options() -> list[tuple[str, str]]:
    return [(TEXT["presets"].get(name, name), name) for name in PRESETS]


def _preset_of(defences: Defences) -> str:
    """The name of the preset equal to ``defences``, or :data:`CUSTOM`."""
    return next((name for name, preset in PRESETS.items() if preset == defences), CUSTOM)


def _summary(defences: Defences) -> str:
    words = {
        name: TEXT["on" if getattr(defences, name) else "off"] for name in ("op25b", *_SWITCHES)
    }
    return TEXT["summary"].format(dmarc=TEXT["dmarc_summary"][defences.dmarc], **words)


def _status(text: str) -> str:
    return f'<div style="{FONT}font-size:13px;color:#334155;margin:2px 0">{escape(text)}</div>'


def _stale(body_html: str, title: str) -> str:
    return callout(body_html, outcome=Outcome.INFO, title=title)


@contextmanager
def _busy(run_button: widgets.Button) -> Iterator[None]:
    """Disable ``run_button`` and say "Running" while a run lasts (the browser shows it at once:
    widget changes are sent as they happen, before the callback returns)."""
    label = run_button.description
    run_button.disabled = True
    run_button.description = TEXT["running"]
    try:
        yield
    finally:
        run_button.description = label
        run_button.disabled = False


class ScenarioLab(Lab):
    """A scenario and a preset in; the run, its verdicts and each hop's dialogue out."""

    _built = False
    """Set once the controls exist (ipywidgets closes a lab whose ``__init__`` raised, too)."""

    def __init__(
        self, *, name: str = "normal", preset: str = "recommended", lang: str | None = None
    ) -> None:
        chosen = scenario(name)  # an unknown name raises InputError naming the scenarios
        Defences.preset(preset)  # likewise for an unknown preset
        self._closed = False
        self._filling = False
        self.last_run: ScenarioRun | None = None
        self.scenario = dropdown(
            TEXT["scenario"],
            [
                (
                    TEXT["scenario_option"].format(
                        title=s.title, kind=TEXT["kind_attack" if s.attack else "kind_legitimate"]
                    ),
                    s.name,
                )
                for s in SCENARIOS
            ],
            chosen.name,
            "mailsec-scenario-picker",
            width=_WIDE,
        )
        self.preset = dropdown(
            TEXT["preset"],
            _preset_options(),
            preset,
            "mailsec-scenario-preset",
            width=_WIDE,
        )
        self.run_button = button(
            TEXT["scenario_run"], "mailsec-scenario-run", icon="play", button_style="primary"
        )
        self.status = tagged(live(role="status"), "mailsec-scenario-status")
        self.transcript = dropdown(
            TEXT["transcript"],
            [(TEXT["not_run"], NO_TRANSCRIPT)],
            NO_TRANSCRIPT,
            "mailsec-scenario-transcript",
            width=_WIDE,
        )
        self.transcript.disabled = True
        _aligned(self.scenario, self.preset, self.transcript)
        super().__init__(
            TEXT["scenario_title"],
            intro=TEXT["scenario_intro"],
            controls=[self.scenario, self.preset, widgets.HBox([self.run_button]), self.status],
            below_result=[self.transcript],
            lang=lang,
        )
        self.add_class("mailsec-scenario-lab")
        self._built = True
        self.on_change([self.scenario, self.preset], self._changed)
        self.on_change([self.transcript], self._show_transcript)
        self.on_click(self.run_button, self.run)
        self.action(self.run)()

    def defences(self) -> Defences:
        """The defences of the chosen preset."""
        return Defences.preset(self.preset.value)

    def run(self) -> None:
        """Play the chosen scenario against a fresh mail system and show what happened."""
        if self._closed:
            raise MailsecError(TEXT["closed"])
        defences = self.defences()
        with _busy(self.run_button):
            start = time.perf_counter()
            with MailSystem(defences) as system:
                played = run_scenario(system, self.scenario.value)
            seconds = time.perf_counter() - start
        self.last_run = played
        self.status.value = _status(
            TEXT["scenario_status"].format(
                name=played.name, seconds=seconds, summary=_summary(defences)
            )
        )
        self.show(_result_html(played))
        self._fill_transcripts(played)

    def _fill_transcripts(self, played: ScenarioRun | None) -> None:
        """Offer the run's transcripts (or say there are none) and show the first."""
        if played is None:
            options = [(TEXT["not_run"], NO_TRANSCRIPT)]
        elif not played.transcripts:
            options = [(TEXT["no_transcripts"], NO_TRANSCRIPT)]
        else:
            options = [
                (TEXT["transcript_option"].format(number=i, hop=t.hop), i - 1)
                for i, t in enumerate(played.transcripts, start=1)
            ]
        self._filling = True
        try:
            self.transcript.options = options
            self.transcript.value = options[0][1]
        finally:
            self._filling = False
        self.transcript.disabled = len(options) == 1 and options[0][1] == NO_TRANSCRIPT
        self._show_transcript()

    def _show_transcript(self) -> None:
        if self._filling:
            return
        index = self.transcript.value
        if self.last_run is None or index == NO_TRANSCRIPT:
            self.explanation.value = ""
            return
        self.explanation.value = transcript_view(self.last_run, index)

    def _changed(self) -> None:
        """A new scenario or preset: the old run no longer belongs to the menus."""
        self.last_run = None
        self.status.value = ""
        self.show(_stale(TEXT["scenario_stale"], TEXT["scenario_stale_title"]))
        self._fill_transcripts(None)

    def close(self) -> None:
        """Disable the controls and close the widgets; no server runs between clicks (each run
        starts and stops its own mail system), so there is nothing else to stop."""
        self._closed = True
        if not self._built:
            widgets.VBox.close(self)
            return
        self.close_with(
            lambda: None, (self.scenario, self.preset, self.run_button, self.transcript)
        )


def _result_html(played: ScenarioRun) -> str:
    """The run, inside a box whose data-* attributes say what happened (for tests)."""
    kind = "attack" if played.attack else "legitimate"
    verdict = ("defended" if played.defended else "undefended") + "_" + kind
    outcome = Outcome.OK if played.defended else Outcome.FAIL
    bg, fg = OUTCOME_COLOURS[outcome]
    symbol = "✓" if played.defended else "✗"
    return (
        f'<div class="mailsec-scenario-result" data-scenario="{escape(played.name)}" '
        f'data-kind="{kind}" data-defended="{"yes" if played.defended else "no"}">'
        f'<div style="{FONT}background:{bg};color:{fg};border-left:4px solid {fg};'
        f'padding:6px 10px;margin:6px 0;border-radius:4px;font-weight:700">'
        f"{symbol} {escape(TEXT[verdict])}</div>{scenario_html(played)}</div>"
    )


class DefenceLab(Lab):
    """Seven defences in; the whole campaign, its defence matrix and score out."""

    _built = False
    """Set once the controls exist (ipywidgets closes a lab whose ``__init__`` raised, too)."""

    def __init__(self, *, preset: str = "recommended", lang: str | None = None) -> None:
        start = Defences.preset(preset)  # an unknown preset raises InputError naming them
        self._closed = False
        self._syncing = False
        self.last_campaign: Campaign | None = None
        self.preset = dropdown(
            TEXT["preset"],
            [*_preset_options(), (TEXT["presets"][CUSTOM], CUSTOM)],
            preset,
            "mailsec-defence-preset",
            width=_WIDE,
        )
        self.switches: dict[str, widgets.Checkbox] = {
            name: checkbox(
                TEXT["switches"][name],
                f"mailsec-defence-{name}",
                value=getattr(start, name),
                layout=widgets.Layout(width="auto", margin="2px 16px 2px 0"),
            )
            for name in _SWITCHES
        }
        self.dmarc = dropdown(
            TEXT["dmarc"],
            [(TEXT["dmarc_options"][p], p) for p in DMARC_POLICIES],
            start.dmarc,
            "mailsec-defence-dmarc",
            width="520px",
        )
        _aligned(self.preset, self.dmarc)
        self.run_button = button(
            TEXT["defence_run"], "mailsec-defence-run", icon="play", button_style="primary"
        )
        self.status = tagged(live(role="status"), "mailsec-defence-status")
        s = self.switches
        grid = widgets.GridBox(
            [s["op25b"], s["spf"], s["dkim"], s["arc"], s["tls"], s["smime"]],
            layout=widgets.Layout(
                grid_template_columns="repeat(2, minmax(0, max-content))",
                grid_gap="0 12px",
                margin="4px 0",
            ),
        )
        super().__init__(
            TEXT["defence_title"],
            intro=TEXT["defence_intro"].format(
                attacks=sum(sc.attack for sc in SCENARIOS),
                legitimate=sum(not sc.attack for sc in SCENARIOS),
            ),
            controls=[self.preset, grid, self.dmarc, widgets.HBox([self.run_button]), self.status],
            lang=lang,
        )
        self.add_class("mailsec-defence-lab")
        self._built = True
        self.on_change([self.preset], self._preset_chosen)
        self.on_change([*self.switches.values(), self.dmarc], self._switch_changed)
        self.on_click(self.run_button, self.run)
        self.action(self.run)()

    @property
    def controls_of(self) -> tuple[widgets.Widget, ...]:
        """Every control a learner operates."""
        return (self.preset, *self.switches.values(), self.dmarc, self.run_button)

    def defences(self) -> Defences:
        """The defences the switches show."""
        return Defences(
            dmarc=self.dmarc.value, **{name: box.value for name, box in self.switches.items()}
        )

    def run(self, *, progress: Callable[[ScenarioRun], None] | None = None) -> None:
        """Play the whole campaign against a fresh mail system and show the defence matrix."""
        if self._closed:
            raise MailsecError(TEXT["closed"])
        defences = self.defences()
        total, done = len(SCENARIOS), 0

        def played(one: ScenarioRun) -> None:
            nonlocal done
            done += 1
            self.status.value = _status(
                TEXT["progress"].format(done=done, total=total, title=one.title)
            )
            if progress is not None:
                progress(one)

        with _busy(self.run_button):
            start = time.perf_counter()
            campaign = run_campaign(defences, progress=played)
            seconds = time.perf_counter() - start
        self.last_campaign = campaign
        self.status.value = _status(
            TEXT["defence_status"].format(count=len(campaign.runs), seconds=seconds)
        )
        self.show(_score_html(campaign) + defence_matrix(campaign), _lost_html(campaign))

    def _preset_chosen(self) -> None:
        """A preset sets every switch at once (one "changed" notice, not seven)."""
        if self._syncing or self.preset.value == CUSTOM:
            return
        chosen = Defences.preset(self.preset.value)
        self._syncing = True
        try:
            for name, box in self.switches.items():
                box.value = getattr(chosen, name)
            self.dmarc.value = chosen.dmarc
        finally:
            self._syncing = False
        self._mark_stale()

    def _switch_changed(self) -> None:
        """One switch changed: the preset menu names the preset it now matches, if any."""
        if self._syncing:
            return
        self._syncing = True
        try:
            self.preset.value = _preset_of(self.defences())
        finally:
            self._syncing = False
        self._mark_stale()

    def _mark_stale(self) -> None:
        """The matrix on screen belongs to other defences: clear it and ask for a run."""
        self.last_campaign = None
        self.status.value = ""
        self.show(_stale(TEXT["defence_stale"], TEXT["defence_stale_title"]))

    def close(self) -> None:
        """Disable the controls and close the widgets; no server runs between clicks (each
        campaign starts and stops its own mail system), so there is nothing else to stop."""
        self._closed = True
        if not self._built:
            widgets.VBox.close(self)
            return
        self.close_with(lambda: None, self.controls_of)


def _score_html(campaign: Campaign) -> str:
    """The score in large type, its numbers also as data-* attributes (for tests)."""
    attacks, legitimate = len(campaign.attacks), len(campaign.legitimate)
    perfect = campaign.stopped == attacks and campaign.delivered == legitimate
    outcome = Outcome.OK if perfect else (Outcome.WARN if campaign.stopped else Outcome.FAIL)
    bg, fg = OUTCOME_COLOURS[outcome]
    score = TEXT["score"].format(
        stopped=campaign.stopped,
        attacks=attacks,
        delivered=campaign.delivered,
        legitimate=legitimate,
    )
    extra = f'<div style="font-weight:400">{escape(TEXT["perfect"])}</div>' if perfect else ""
    return (
        f'<div class="mailsec-defence-score" role="status" '
        f'aria-label="{escape(TEXT["score_label"])}" data-stopped="{campaign.stopped}" '
        f'data-attacks="{attacks}" data-delivered="{campaign.delivered}" '
        f'data-legitimate="{legitimate}" style="{FONT}font-size:16px;font-weight:700;'
        f"background:{bg};color:{fg};border-left:4px solid {fg};padding:6px 10px;margin:6px 0;"
        f'border-radius:4px">{escape(score)}{extra}</div>'
    )


def _lost_html(campaign: Campaign) -> str:
    """Each lost legitimate message and why (the matrix lists the missed attacks itself), and
    how to read the matrix."""
    lost = [run for run in campaign.legitimate if not run.defended]
    if lost:
        items = "".join(
            "<li>"
            + escape(
                TEXT["lost_item"].format(
                    title=run.title,
                    outcome=run.outcome,
                    by=TEXT["lost_by"].format(control=run.stopped_by.label)
                    if run.stopped_by
                    else "",
                )
            )
            + "</li>"
            for run in lost
        )
        body = f"<ul style='margin:4px 0'>{items}</ul>"
        part = callout(body, outcome=Outcome.FAIL, title=TEXT["lost_title"])
    else:
        part = callout(escape(TEXT["nothing_lost"]), outcome=Outcome.OK)
    return (
        f'<div class="mailsec-defence-lost" data-lost="{len(lost)}">{part}</div>'
        f'<details style="{FONT}margin:4px 0"><summary>{escape(TEXT["explain_title"])}</summary>'
        f'<p style="margin:4px 0;max-width:900px">{escape(TEXT["explain"])}</p></details>'
    )


def scenario_lab(
    *, name: str = "normal", preset: str = "recommended", lang: str | None = None
) -> ScenarioLab:
    """The scenario lab, ready to display; it has played ``name`` once with ``preset``.
    ``lang`` (``"en"``, ``"ja"``) is its language; None follows the kernel's.

    An unknown scenario or preset raises :class:`~mailsec.errors.InputError` naming the choices.
    """
    return ScenarioLab(name=name, preset=preset, lang=lang)


def defence_lab(*, preset: str = "recommended", lang: str | None = None) -> DefenceLab:
    """The "defend example.com" lab, ready to display; it has run the campaign once with
    ``preset``, so it shows a defence matrix at once. ``lang`` (``"en"``, ``"ja"``) is its
    language; None follows the kernel's.

    An unknown preset raises :class:`~mailsec.errors.InputError` naming the presets.
    """
    return DefenceLab(preset=preset, lang=lang)
