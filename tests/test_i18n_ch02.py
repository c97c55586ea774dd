"""Chapter 02 (OP25B) and its relay-control lab in the pseudo-locale: every word they show went
through the catalogs.

The OP25B lab is made under ``qps`` and driven through every prepared scenario, every choice of
its menus, every policy switch, the ports, bad input that shows an error and a replay over real
SMTP (a simulated drop and a delivery); the relay-control lab through every relay setting, sender
and recipient, its run button and a run after its servers stopped. After each step nothing may be
left outside the marks but data (:mod:`tests.pseudolocale`). The hops' reasons, the trace, the
diagram and the replay's progress come from :mod:`mailsec.op25b` and :mod:`mailsec.render.op25b`
and are marked too; the SMTP replies are wire text and go through as they are. The relay server
decides in its own thread, in the lab's language (:attr:`RelayControl.lang`).

The credentials menu is wide enough for its longest choice in every language, and the command
line's help, its output and its one-line errors are marked.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Iterator

import pytest

import mailsec.__main__ as cli_main
from mailsec.cli import op25b as op25b_cli
from mailsec.i18n import PSEUDO, language, set_language, using
from mailsec.labs import op25b, relaycontrol
from mailsec.labs.frame import Lab
from mailsec.op25b import simulate
from mailsec.op25b.relaycontrol import RelayControl, RelaySetting
from mailsec.op25b.relaystory import Recipient, Sender
from mailsec.op25b.scenarios import SCENARIOS
from tests.pseudolocale import words_outside_marks


@pytest.fixture(autouse=True)
def english_kernel() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def _clean(lab: Lab, found: list[str], step: str) -> None:
    found += [f"{step}: {w}" for w in words_outside_marks(lab)]


@pytest.fixture(scope="module")
def op25b_lab() -> Iterator[op25b.Op25bLab]:
    lab = op25b.op25b_lab(lang=PSEUDO, drop_timeout=0.3)
    yield lab
    lab.close_servers()


def test_the_op25b_lab_in_every_scenario(op25b_lab: op25b.Op25bLab) -> None:
    lab = op25b_lab
    found: list[str] = []
    _clean(lab, found, "start")
    for number, s in enumerate(SCENARIOS):
        lab.scenario_buttons[number].click()
        assert lab.error.value == "", s.id
        assert "⟦" in lab.replay_output.value, s.id  # the scenario's story, marked
        _clean(lab, found, s.id)
    assert found == []


def test_the_op25b_lab_through_every_menu_choice_and_switch(op25b_lab: op25b.Op25bLab) -> None:
    lab = op25b_lab
    found: list[str] = []
    lab.load_scenario(SCENARIOS[0])
    for menu in (lab.source, lab.destination, lab.credentials):
        start = menu.value
        for label, value in list(menu._options_full):
            menu.value = value
            _clean(lab, found, f"{menu.description} {label}")
        menu.value = start
    for port in ("25", "587", "465", "443", "110"):
        lab.port.value = port
        _clean(lab, found, f"port {port}")
    lab.port.value = "25"
    for name, box in lab.switches.items():
        box.value = not box.value
        _clean(lab, found, f"{name} switched")
        box.value = not box.value
    assert found == []


@pytest.mark.parametrize(
    ("control", "value"),
    [
        ("port", "x"),
        ("port", ""),
        ("port", "70000"),
        ("rcpt_to", "nobody"),
        ("rcpt_to", "taro@"),
        ("mail_from", "a b@example.net"),
    ],
)
def test_bad_input_shows_a_marked_error(
    op25b_lab: op25b.Op25bLab, control: str, value: str
) -> None:
    lab = op25b_lab
    lab.load_scenario(SCENARIOS[0])
    widget = getattr(lab, control)
    widget.value = value
    try:
        assert "⟦" in lab.error.value
        assert words_outside_marks(lab) == []
    finally:
        lab.load_scenario(SCENARIOS[0])
    assert lab.error.value == ""


def test_custom_credentials_left_empty_show_a_marked_error(op25b_lab: op25b.Op25bLab) -> None:
    lab = op25b_lab
    lab.load_scenario(SCENARIOS[0])
    custom = lab._preset_label[op25b.CUSTOM]
    lab.credentials.value = custom
    assert "⟦Credentials are chosen" in lab.error.value
    assert words_outside_marks(lab) == []
    lab.load_scenario(SCENARIOS[0])


@pytest.mark.parametrize("scenario_id", ["user-direct-25", "user-submission-587", "bot-webmail"])
def test_a_replay_over_real_smtp_is_marked(op25b_lab: op25b.Op25bLab, scenario_id: str) -> None:
    lab = op25b_lab
    lab.load_scenario(next(s for s in SCENARIOS if s.id == scenario_id))
    lab.replay_button.click()
    assert lab.error.value == ""
    assert lab.last_replay is not None and lab.last_replay.agrees_with_model
    assert words_outside_marks(lab) == []
    # The transcript's notes are the replay's words; what was sent stays as it was on the wire.
    text = lab.last_replay.text
    assert "⟦" in text
    assert "S: 220 " in text or lab.last_replay.simulated_drop or scenario_id == "bot-webmail"


def test_a_scenario_loaded_from_code_is_in_the_labs_language() -> None:
    """``op25b_lab("id")`` and ``lab.load_scenario(...)`` outside a callback speak the lab's
    language, not the kernel's."""
    lab = op25b.op25b_lab("bot-direct-25", lang=PSEUDO)
    try:
        assert language() == "en"
        assert words_outside_marks(lab) == []
        assert "⟦" in lab.result.value and "⟦" in lab.replay_output.value
    finally:
        lab.close_servers()


def _label_px(text: str) -> float:
    """As tests/test_lab_controls.py estimates a label: 0.6 em a character, 1 em for CJK."""
    return sum(13 * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6) for c in text)


@pytest.mark.parametrize("lang", ["en", PSEUDO])
def test_the_credentials_menu_shows_its_longest_choice_whole(lang: str) -> None:
    lab = op25b.op25b_lab(lang=lang)
    try:
        menu = lab.credentials
        width = int(menu.layout.width.removesuffix("px"))
        description = int(menu.style.description_width.removesuffix("px"))
        longest = max(_label_px(label) for label in menu._options_labels)
        assert width - description - 40 >= longest, (width, longest)
        # Every choice still works by its label, and maps back to its preset.
        for label in menu._options_labels:
            menu.value = label
            assert lab.preset in op25b.CREDENTIAL_PRESETS
    finally:
        lab.close_servers()


@pytest.fixture(scope="module")
def relay_lab() -> Iterator[relaycontrol.RelayControlLab]:
    lab = relaycontrol.relay_control_lab(lang=PSEUDO)
    yield lab
    lab.close()


def test_the_relay_lab_for_every_setting_and_sender(
    relay_lab: relaycontrol.RelayControlLab,
) -> None:
    lab = relay_lab
    found: list[str] = []
    _clean(lab, found, "start")
    for setting in RelaySetting:
        lab.setting.value = setting
        for sender in Sender:
            lab.sender.value = sender
            assert lab.error.value == "", (setting, sender)
            _clean(lab, found, f"{setting.name} {sender.name}")
            # The server decided in its own thread, in the lab's language.
            ruling = lab.last_run.ruling if lab.last_run else None
            assert ruling is not None and all("⟦" in step.text for step in ruling.steps)
    lab.recipient.value = Recipient.OWN_DOMAIN
    _clean(lab, found, "own domain")
    lab.recipient.value = Recipient.OUTSIDE
    lab.run_button.click()
    _clean(lab, found, "run again")
    assert found == []


def test_the_relay_lab_after_close_says_so_in_its_language() -> None:
    lab = relaycontrol.relay_control_lab(lang=PSEUDO)
    lab.close()
    lab.action(lab.run)()
    assert "⟦This lab&#x27;s servers have been stopped" in lab.error.value


def test_a_relay_control_decides_in_the_language_it_was_made_in() -> None:
    with using(PSEUDO):
        control = RelayControl(RelaySetting.OPEN_RELAY)
    assert control.lang == PSEUDO
    assert RelayControl().lang == "en"


def test_the_model_speaks_the_language_it_is_read_in() -> None:
    result = simulate("infected-pc", "recipient-mx", 25)
    assert result.summary.startswith("Dropped by OP25B at ISP A's edge")
    with using(PSEUDO):
        marked = simulate("infected-pc", "recipient-mx", 25)
        summary = marked.summary
        assert marked.final_hop.decision.label == "⟦dropped by OP25B⟧"
    assert summary.startswith("⟦Dropped by OP25B at ISP A") and summary.endswith("⟧")
    assert all("⟦" in step.text for step in marked.trace)  # made in the pseudo-locale
    assert marked.final_hop.reason.startswith("⟦Dropped by OP25B: ISP A")
    assert marked.summary == result.summary  # a property: told in the language it is read in
    assert marked.final_hop.decision.value == "dropped by OP25B"  # the data stays English
    assert marked.verdict.value == "dropped"


def test_the_command_line_speaks_the_pseudo_locale(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # --lang takes the course's languages only: let the command line run in the pseudo-locale.
    monkeypatch.setattr(cli_main, "_requested", lambda _words: PSEUDO)
    assert cli_main.main(["op25b", "simulate", "--from", "infected-pc", "--to", "recipient-mx",
                          "--port", "25"]) == 0  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("⟦Attempt: infected-pc")
    assert out[1] == "⟦Path:⟧"
    assert out[2].startswith("  x 1. ⟦pc77.dyn.isp-a.example -> ⟦⟦ISP A⟧'s edge router⟧ port 25")
    assert out[-1].startswith("⟦Verdict: ⟦DROPPED⟧ - ⟦Dropped by OP25B")
    assert cli_main.main(["op25b", "scenarios"]) == 0
    out = capsys.readouterr().out
    assert "⟦Hanako through ISP A's mail server⟧" in out
    assert cli_main.main(["op25b", "hosts"]) == 0
    assert "⟦client⟧" in capsys.readouterr().out
    for argv in (
        ["op25b", "simulate", "--from", "nowhere", "--to", "recipient-mx", "--port", "25"],
        ["op25b", "simulate", "--from", "home-pc", "--port", "25"],
        ["op25b", "simulate", "--from", "home-pc", "--to", "isp-a-mail", "--port", "x"],
        ["op25b", "scenarios", "--run", "nope"],
    ):
        status = cli_main.main(argv)
        err = capsys.readouterr().err
        assert status == 1, argv
        assert err.count("\n") == 1 and "⟦" in err.partition(": error: ")[2], err
    assert language() == "en"


def test_the_command_line_help_is_marked() -> None:
    with using(PSEUDO):
        parser = argparse.ArgumentParser(prog="mailsec op25b")
        op25b_cli.configure(parser)
        text = parser.format_help()
        sub = parser._subparsers._group_actions[0].choices["simulate"].format_help()  # type: ignore[union-attr]
    assert "⟦send one message through the model" in text and "⟦list the model's hosts⟧" in text
    assert "⟦switch OP25B off at ISP A's edge⟧" in sub
