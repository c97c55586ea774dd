"""Chapter 09's labs driven without a browser: set the widgets' values, click Run, read the
data-* attributes of the result and the HTML. Every run plays over real sockets on 127.0.0.1
against a fresh mail system.

The expected scores come from what each scenario means, not from a run recorded once:

- RFC 5068 §3: OP25B at ISP A's edge stops the bot's direct port-25 connection;
- RFC 7489 §6.6.4: DMARC ``p=reject`` refuses the bank's name forged from a rented server and
  behind the attacker's own domain (SPF and DKIM pass there, but not for the From: domain);
- RFC 8314 §3: requiring TLS stops the POP3 eavesdropper and STARTTLS stripping;
- RFC 8551 §3.3: S/MIME encryption keeps the message from a reader without Bob's key;
- a message changed in transit is only *noticed* (DKIM's body hash, S/MIME's signature break)
  — nothing in the system refuses it, so "recommended" stops 6 of the 7 attacks;
- RFC 7489 §4.2 / RFC 8617 §7.2: forwarded mail keeps DMARC only through the bank's DKIM
  signature, and the mailing list's ARC seal can vouch only for a DKIM pass before the list.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import fields

import pytest

from mailsec.errors import InputError, MailsecError
from mailsec.labs.capstone import (
    CUSTOM,
    NO_TRANSCRIPT,
    TEXT,
    DefenceLab,
    ScenarioLab,
    defence_lab,
    scenario_lab,
)
from mailsec.mailsystem.plan import PRESETS, Defences
from mailsec.mailsystem.scenarios import SCENARIOS
from mailsec.mailsystem.timeline import Control, Mark

ATTACKS = [s.name for s in SCENARIOS if s.attack]
LEGITIMATE = [s.name for s in SCENARIOS if not s.attack]
STOPPED_BY = {
    "bot-port25": Control.OP25B,
    "rented-server": Control.DMARC,
    "lookalike-domain": Control.DMARC,
    "pop3-eavesdrop": Control.TLS,
    "starttls-strip": Control.TLS,
    "reader-without-key": Control.SMIME,
}


@pytest.fixture(scope="module")
def defence() -> Iterator[DefenceLab]:
    made = defence_lab()
    yield made
    made.close()


@pytest.fixture(scope="module")
def journey() -> Iterator[ScenarioLab]:
    made = scenario_lab()
    yield made
    made.close()


def data(html: str, css: str) -> dict[str, str]:
    """The data-* attributes of the element with the class ``css``."""
    found = re.search(rf'<div class="{css}"([^>]*)>', html)
    assert found, html[:300]
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', found.group(1)))


def score(lab: DefenceLab) -> dict[str, str]:
    assert lab.error.value == "", lab.error.value
    return data(lab.result.value, "mailsec-defence-score")


# -- the defence lab ------------------------------------------------------------------------------


def test_the_recommended_defences_stop_every_attack_but_tampering(defence: DefenceLab) -> None:
    assert defence.defences() == Defences()
    assert score(defence) == {
        "stopped": "6",
        "attacks": str(len(ATTACKS)),
        "delivered": str(len(LEGITIMATE)),
        "legitimate": str(len(LEGITIMATE)),
    }
    assert len(ATTACKS) == 7 and len(LEGITIMATE) == 4
    campaign = defence.last_campaign
    assert campaign is not None
    assert [run.name for run in campaign.runs] == [s.name for s in SCENARIOS]
    for run in campaign.attacks:
        if run.name == "tampered":
            assert not run.defended
        else:
            assert run.defended and run.stopped_by is STOPPED_BY[run.name], run.name
    # A change in transit is noticed by the two controls that sign the content, and by no other.
    tampered = next(run for run in campaign.runs if run.name == "tampered")
    noticed = {c for c in Control if campaign.mark(tampered, c) is Mark.NOTICED}
    assert noticed == {Control.DKIM, Control.SMIME}
    # The miss is explained under the matrix, and no legitimate message was lost.
    assert "Score: 6 of 7 attacks stopped · 4 of 4 legitimate messages delivered" in (
        defence.result.value
    )
    assert "Attacks not stopped, and why:" in defence.result.value
    assert "A message altered in transit:" in defence.result.value
    assert data(defence.explanation.value, "mailsec-defence-lost") == {"lost": "0"}
    assert "✓ stopped it" in defence.result.value  # a word beside each colour


def test_with_no_defences_nothing_is_stopped_and_all_mail_arrives(defence: DefenceLab) -> None:
    defence.preset.value = "nothing"
    assert defence.defences() == PRESETS["nothing"]
    assert not any(box.value for box in defence.switches.values())
    assert defence.dmarc.value == "off"
    assert defence.last_campaign is None  # the preset changed the defences: not run yet
    defence.run_button.click()
    assert score(defence) == {"stopped": "0", "attacks": "7", "delivered": "4", "legitimate": "4"}
    campaign = defence.last_campaign
    assert campaign is not None and campaign.stopped == 0 and campaign.delivered == 4
    assert all(campaign.mark(run, c) is Mark.OFF for run in campaign.runs for c in Control)
    assert not defence.run_button.disabled
    assert defence.run_button.description == TEXT["defence_run"]
    assert "The campaign played 11 scenarios" in defence.status.value


def test_changing_a_switch_clears_the_matrix_and_asks_for_a_run(defence: DefenceLab) -> None:
    defence.preset.value = "nothing"
    defence.run_button.click()
    assert "mailsec-defence-score" in defence.result.value
    defence.switches["op25b"].value = True
    assert "mailsec-defence-score" not in defence.result.value
    assert "<table" not in defence.result.value
    assert "Press <em>Run the attacker's campaign</em>" in defence.result.value
    assert defence.explanation.value == "" and defence.status.value == ""
    assert defence.last_campaign is None
    # The preset menu follows the switches: OP25B alone is the "ports-only" preset.
    assert defence.preset.value == "ports-only"
    defence.run_button.click()
    assert score(defence)["stopped"] == "1"
    bot = next(run for run in defence.last_campaign.runs if run.name == "bot-port25")  # type: ignore[union-attr]
    assert bot.stopped_by is Control.OP25B
    # A mix no preset has: the menu says so, and a preset sets every switch back.
    defence.switches["smime"].value = True
    assert defence.preset.value == CUSTOM
    defence.preset.value = "recommended"
    assert defence.defences() == Defences()
    assert "mailsec-defence-score" not in defence.result.value


def test_without_dkim_forwarded_and_list_mail_are_lost_to_dmarc(defence: DefenceLab) -> None:
    """SPF fails after forwarding, so DMARC needs the bank's DKIM signature; the list's ARC seal
    vouches only for a DKIM pass before the list changed the message."""
    defence.preset.value = "recommended"
    defence.switches["dkim"].value = False
    defence.run_button.click()
    assert score(defence) == {"stopped": "6", "attacks": "7", "delivered": "2", "legitimate": "4"}
    campaign = defence.last_campaign
    assert campaign is not None
    lost = {run.name: run.stopped_by for run in campaign.legitimate if not run.defended}
    assert lost == {"forwarded": Control.DMARC, "mailing-list": Control.DMARC}
    assert data(defence.explanation.value, "mailsec-defence-lost") == {"lost": "2"}
    assert "Forwarded through the university:" in defence.explanation.value
    assert "(stopped by DMARC)" in defence.explanation.value
    assert "✗ stopped it" in defence.result.value  # good mail stopped is marked as a failure


def test_the_dmarc_menu_and_every_switch_are_labelled(defence: DefenceLab) -> None:
    assert [v for _label, v in defence.dmarc.options] == ["off", "none", "quarantine", "reject"]
    booleans = {f.name for f in fields(Defences) if f.name != "dmarc"}
    assert set(defence.switches) == booleans
    for control in defence.controls_of:
        assert control.description.strip(), control
    assert {v for _label, v in defence.preset.options} == {*PRESETS, CUSTOM}
    assert all(name in TEXT["presets"] for name in PRESETS)


def test_a_quarantine_policy_sends_the_forgeries_to_junk(defence: DefenceLab) -> None:
    """p=quarantine refuses nothing (RFC 7489 §6.3): the forgeries land in Junk, noticed by DMARC
    but delivered, so they count as not stopped."""
    defence.preset.value = "recommended"
    defence.dmarc.value = "quarantine"
    assert defence.preset.value == CUSTOM
    defence.run_button.click()
    assert score(defence) == {"stopped": "4", "attacks": "7", "delivered": "4", "legitimate": "4"}
    campaign = defence.last_campaign
    assert campaign is not None
    for name in ("rented-server", "lookalike-domain"):
        run = next(r for r in campaign.runs if r.name == name)
        assert not run.defended and campaign.mark(run, Control.DMARC) is Mark.NOTICED, name
        assert run.outcome == "The message is in Bob's Junk."


# -- the scenario lab -----------------------------------------------------------------------------


def test_the_normal_message_arrives_and_its_transcripts_are_offered(journey: ScenarioLab) -> None:
    assert data(journey.result.value, "mailsec-scenario-result") == {
        "scenario": "normal",
        "kind": "legitimate",
        "defended": "yes",
    }
    run = journey.last_run
    assert run is not None and len(run.transcripts) >= 3
    labels = [label for label, _value in journey.transcript.options]
    assert labels == [f"#{i}: {t.hop}" for i, t in enumerate(run.transcripts, start=1)]
    assert [value for _label, value in journey.transcript.options] == list(
        range(len(run.transcripts))
    )
    assert not journey.transcript.disabled
    # The first transcript is shown at once; picking another shows that one.
    assert "Transcript #1:" in journey.explanation.value
    assert "C: ehlo pc-140.isp-a.example" in journey.explanation.value
    journey.transcript.value = len(run.transcripts) - 1
    assert f"Transcript #{len(run.transcripts)}:" in journey.explanation.value
    assert "IMAPS" in journey.explanation.value
    assert journey.error.value == ""


def test_the_bot_is_stopped_by_op25b_and_recorded_no_dialogue(journey: ScenarioLab) -> None:
    journey.scenario.value = "bot-port25"
    journey.preset.value = "recommended"
    journey.run_button.click()
    assert data(journey.result.value, "mailsec-scenario-result")["defended"] == "yes"
    assert journey.last_run is not None and journey.last_run.stopped_by is Control.OP25B
    assert journey.transcript.options == ((TEXT["no_transcripts"], NO_TRANSCRIPT),)
    assert journey.transcript.disabled
    assert journey.explanation.value == ""
    # With no defences the same bot gets through.
    journey.preset.value = "nothing"
    journey.run_button.click()
    assert data(journey.result.value, "mailsec-scenario-result")["defended"] == "no"
    assert "Not defended: the attack got through." in journey.result.value


def test_changing_the_scenario_clears_the_old_run(journey: ScenarioLab) -> None:
    journey.scenario.value = "rented-server"
    journey.preset.value = "recommended"
    journey.run_button.click()
    assert "mailsec-scenario-result" in journey.result.value
    assert not journey.transcript.disabled
    journey.scenario.value = "lookalike-domain"
    assert "mailsec-scenario-result" not in journey.result.value
    assert "Run this scenario" in journey.result.value
    assert journey.last_run is None and journey.explanation.value == ""
    assert journey.transcript.disabled
    assert journey.transcript.options == ((TEXT["not_run"], NO_TRANSCRIPT),)
    journey.run_button.click()
    assert data(journey.result.value, "mailsec-scenario-result")["scenario"] == "lookalike-domain"
    assert journey.last_run is not None and journey.last_run.stopped_by is Control.DMARC


def test_every_scenario_is_in_the_menu_by_its_title(journey: ScenarioLab) -> None:
    assert [value for _label, value in journey.scenario.options] == [s.name for s in SCENARIOS]
    for (label, _value), s in zip(journey.scenario.options, SCENARIOS, strict=True):
        assert label.startswith(s.title)
    for control in (journey.scenario, journey.preset, journey.transcript):
        assert control.description.strip()
    assert journey.run_button.description == TEXT["scenario_run"]


# -- bad names, closing ---------------------------------------------------------------------------


def test_an_unknown_scenario_or_preset_is_refused_with_the_choices() -> None:
    with pytest.raises(
        InputError, match=r"Unknown scenario 'phishing': the scenarios are normal, "
    ):
        scenario_lab(name="phishing")
    with pytest.raises(InputError, match=r"Unknown preset 'all': choose one of nothing, "):
        scenario_lab(preset="all")
    with pytest.raises(InputError, match=r"Unknown preset 'all': choose one of nothing, "):
        defence_lab(preset="all")


def _threads_settle(before: set[threading.Thread]) -> set[threading.Thread]:
    deadline = time.monotonic() + 5
    while True:
        extra = {t for t in threading.enumerate() if t not in before and t.is_alive()}
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


def test_no_thread_is_left_after_runs_and_close() -> None:
    before = set(threading.enumerate())
    one = scenario_lab(name="tampered", preset="no-arc")
    game = defence_lab(preset="monitoring")
    assert score(game)["stopped"] == "3"  # OP25B and TLS (twice); p=none refuses nothing
    one.run_button.click()
    assert _threads_settle(before) == set()  # nothing runs between clicks
    one.close()
    game.close()
    assert _threads_settle(before) == set()
    assert one.run_button.disabled and game.run_button.disabled
    assert all(box.disabled for box in game.switches.values())
    # A closed lab refuses to run, with a sentence.
    game.action(game.run)()
    assert isinstance(game.last_exception, MailsecError)
    assert "close() was called" in str(game.last_exception)
