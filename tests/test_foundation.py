"""The shared pieces every chapter uses: errors, traces, HTML blocks, the lab frame, the self-check,
the command line, and chapter 00's journey lab."""

from __future__ import annotations

import subprocess
import sys

import ipywidgets as widgets
import pytest

from mailsec import __main__ as cli
from mailsec.errors import DecryptionError, InputError, MailsecError
from mailsec.journey import Protection, Reading, Sending, plan_journey
from mailsec.labs.frame import Lab, percentile
from mailsec.labs.quiz import Choice, Question, self_check
from mailsec.labs.start import journey_lab
from mailsec.render.html import code_block, error_box, glossary_table, hex_preview, table
from mailsec.trace import Outcome, Step, steps_to_text

# -- errors and traces ---------------------------------------------------------------------------


def test_error_default_message_is_the_docstring() -> None:
    assert DecryptionError().message.startswith("The message could not be decrypted")
    assert InputError("Port 'x' is not a number.").message == "Port 'x' is not a number."
    assert isinstance(InputError("x"), ValueError)


def test_steps_to_text_indents_and_cites() -> None:
    text = steps_to_text(
        [Step("Look up TXT", section="RFC 7208 §4.4"), Step("match", Outcome.OK, depth=1)]
    )
    assert text == "- Look up TXT  [RFC 7208 §4.4]\n  + match"


# -- HTML blocks ---------------------------------------------------------------------------------


def test_html_blocks_escape_their_input() -> None:
    assert "<script>" not in table(("a",), [("<script>",)])
    assert "&lt;b&gt;" in code_block("<b>")
    assert "&lt;x&gt;" in error_box("<x>")
    assert 'role="alert"' in error_box("bad")


def test_hex_preview_shows_size_and_truncates() -> None:
    assert hex_preview(bytes(range(40)), limit=4) == "00 01 02 03 … (40 bytes)"


def test_glossary_table_has_japanese_terms_and_rejects_unknown_ones() -> None:
    assert "公開鍵暗号方式" in glossary_table("public-key cryptography")
    with pytest.raises(InputError, match="Not in the glossary: teleport"):
        glossary_table("teleport")


def test_chapter_terms_come_from_the_one_glossary() -> None:
    from mailsec.glossary import CHAPTER_TERMS, GLOSSARY, chapter_terms

    assert chapter_terms("03")
    assert all(GLOSSARY[t.english] is t for ts in CHAPTER_TERMS.values() for t in ts)
    with pytest.raises(InputError, match="No chapter '99' in the glossary"):
        chapter_terms("99")


# -- the lab frame -------------------------------------------------------------------------------


def _lab_with(fn) -> tuple[Lab, widgets.Text]:
    box = widgets.Text(value="")
    lab = Lab("t", controls=[box])
    lab.on_change([box], lambda: fn(lab, box.value))
    return lab, box


def test_lab_shows_input_errors_in_the_lab_and_clears_the_result_of_the_old_inputs() -> None:
    def update(lab: Lab, value: str) -> None:
        if not value.isdigit():
            raise InputError(f"{value!r} is not a number: type digits only.")
        lab.show(f"<b>{int(value) * 2}</b>")

    lab, box = _lab_with(update)
    box.value = "21"
    assert lab.result.value == "<b>42</b>" and lab.error.value == ""
    box.value = "x1"
    assert "&#x27;x1&#x27; is not a number" in lab.error.value
    assert lab.result.value == "" and lab.explanation.value == ""  # 42 is not the answer for x1
    assert isinstance(lab.last_exception, MailsecError)
    box.value = "5"
    assert lab.error.value == "" and lab.result.value == "<b>10</b>"
    assert len(lab.timings) == 3


def test_a_refused_button_action_keeps_the_result_it_did_not_change() -> None:
    lab = Lab("Buttons")
    button = widgets.Button(description="Do it")
    lab.show("<b>state</b>", "why")

    def refuse() -> None:
        raise InputError("Not now.")

    lab.on_click(button, refuse)
    button.click()
    assert "Not now." in lab.error.value
    assert (lab.result.value, lab.explanation.value) == ("<b>state</b>", "why")


def test_lab_turns_an_unexpected_exception_into_a_message_not_a_traceback() -> None:
    def update(lab: Lab, value: str) -> None:
        raise KeyError(value)

    lab, box = _lab_with(update)
    box.value = "boom"
    assert "Something unexpected went wrong" in lab.error.value
    assert "Traceback" not in lab.error.value
    assert isinstance(lab.last_exception, KeyError)


def test_lab_static_view_has_the_result_and_the_hint() -> None:
    lab = Lab("Static")
    lab.show("<p>the result</p>")
    bundle = lab._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<p>the result</p>" in bundle["text/html"]
    assert "Run All Cells" in bundle["text/html"]


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 95) == 95.0
    assert percentile(values, 50) == 50.0
    with pytest.raises(ValueError):
        percentile([], 50)


# -- self-check ----------------------------------------------------------------------------------


def _quiz():
    return self_check(
        [
            Question("2+2?", (Choice("4", True, "Yes."), Choice("5", False, "No: 2+2 is 4."))),
            Question("Sky?", (Choice("blue", True, "Often."), Choice("green", False, "Rarely."))),
        ]
    )


def test_self_check_gives_immediate_feedback_and_a_score() -> None:
    quiz = _quiz()
    assert quiz.score == (0, 2)
    quiz.questions[0].picker.value = "5"
    assert "Not quite" in quiz.questions[0].feedback.value
    assert "2+2 is 4" in quiz.questions[0].feedback.value
    quiz.questions[0].picker.value = "4"
    quiz.questions[1].picker.value = "blue"
    assert quiz.score == (2, 2)
    assert "2 of 2" in quiz.result.value


def test_a_question_needs_a_correct_choice() -> None:
    with pytest.raises(InputError, match="has no correct choice"):
        Question("?", (Choice("a", False, ""), Choice("b", False, "")))


# -- chapter 00: the journey ---------------------------------------------------------------------


def test_malware_straight_to_port_25_is_dropped_by_op25b() -> None:
    journey = plan_journey(sending=Sending.DIRECT_TO_MX)
    assert not journey.delivered
    assert [h.outcome for h in journey.hops] == [Outcome.FAIL]
    assert "OP25B" in journey.hops[0].note


@pytest.mark.parametrize("sending", [Sending.ISP_SERVER, Sending.SUBMISSION, Sending.WEBMAIL])
def test_legitimate_ways_of_sending_deliver_and_pass_through_spf(sending: Sending) -> None:
    journey = plan_journey(sending=sending, reading=Reading.POP3)
    assert journey.delivered
    assert any("SPF" in h.protocol for h in journey.hops)
    assert journey.hops[-1].protocol == "POP3"


def test_webmail_does_not_use_port_25_from_the_home_pc() -> None:
    first = plan_journey(sending=Sending.WEBMAIL).hops[0]
    assert (first.protocol, first.port) == ("HTTPS", 443)


def test_end_to_end_protection_is_explained() -> None:
    plain = steps_to_text(plan_journey(protection=Protection.NONE).steps)
    smime = steps_to_text(plan_journey(protection=Protection.SMIME).steps)
    assert "every server on the way can read" in plain
    assert "Subject" in smime


def test_journey_lab_redraws_when_a_choice_changes() -> None:
    lab = journey_lab()
    before = lab.result.value
    assert "✓ delivered" in before
    lab.sending.value = Sending.DIRECT_TO_MX
    assert lab.result.value != before
    assert "dropped by OP25B" in lab.result.value
    assert "<title" in lab.result.value  # the diagram has a text alternative


# -- command line --------------------------------------------------------------------------------


def test_help_lists_every_group(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for name, _module, _text in cli.GROUPS:
        assert f"  {name} " in out


def test_unknown_group_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mailsec", "nonsense"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "invalid choice: 'nonsense'" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_matches_python_dash_m() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "mailsec"]
    assert script.value == "mailsec.__main__:main"


def test_a_menu_option_may_not_have_the_value_none() -> None:
    """ipywidgets shows a menu whose value is None as blank: the shared factory refuses it."""
    from mailsec.labs.frame import dropdown

    with pytest.raises(ValueError, match="blank menu"):
        dropdown("Attack:", [("nothing", None), ("flip", "flip")], "flip", "x")
    with pytest.raises(ValueError, match="blank menu"):
        dropdown("Attack:", ["a", "b"], None, "x")
    assert dropdown("Attack:", [("nothing", "none")], "none", "x").value == "none"
