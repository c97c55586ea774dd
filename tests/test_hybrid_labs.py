"""Chapter 04's labs, driven headless by setting control values (as a learner would)."""

from __future__ import annotations

import re

import pytest

from mailsec.hybrid import KeyKind, Part, Transit, make_cast, measure
from mailsec.hybrid.reference import REFERENCE
from mailsec.labs.hybrid import pipeline_lab, signature_lab, size_speed_lab
from mailsec.render.hybrid import Metric, hybrid_diagram, size_speed_plot


@pytest.fixture(scope="module")
def cast():
    return make_cast()


def test_pipeline_lab_starts_readable(cast):
    lab = pipeline_lab(cast)
    assert lab.run.readable
    assert "Bob can read it" in lab.result.value
    assert "budget meeting" in lab.result.value
    assert "Which key protects what" in lab.result.value
    assert "RFC 8017 §7.1" in lab.explanation.value
    assert lab.error.value == ""


def test_pipeline_lab_own_text_and_recipients(cast):
    lab = pipeline_lab(cast)
    lab.text.value = "Only for Dave."
    lab.recipient_boxes["Bob"].value = False
    lab.recipient_boxes["Carol"].value = False
    lab.recipient_boxes["Dave"].value = True
    lab.reader.value = "Dave"
    assert lab.run.encryption.message.recipients == ("Dave",)
    assert "Only for Dave." in lab.result.value
    lab.reader.value = "Carol"
    assert not lab.run.readable
    assert "Carol cannot read it" in lab.result.value
    assert "Only for Dave." not in lab.result.value  # no plaintext for a non-recipient


def test_pipeline_lab_eve_cannot_read(cast):
    lab = pipeline_lab(cast)
    lab.reader.value = "Eve"
    assert "Eve cannot read it" in lab.result.value
    assert "budget meeting" not in lab.result.value


@pytest.mark.parametrize(
    "attack",
    [(Part.CIPHERTEXT, None), (Part.TAG, None), (Part.NONCE, None), (Part.WRAPPED_KEY, "Bob")],
)
def test_pipeline_lab_flipped_bit_releases_no_plaintext(cast, attack):
    """RFC 5116 §2.2: a failed tag check gives FAIL and no plaintext, shown as such."""
    lab = pipeline_lab(cast)
    lab.attack.value = attack
    assert not lab.run.readable
    assert "No plaintext was released" in lab.result.value
    assert "budget meeting" not in lab.result.value
    assert "changed on the way" in lab.result.value


def test_pipeline_lab_attacker_menu_shows_nothing_chosen_at_start_and_after_picking_it(cast):
    """The browser shows the option at ``index``; ``None`` there is a blank menu."""
    lab = pipeline_lab(cast)
    assert (lab.attack.index, lab.attack.label) == (0, "nothing: delivered as sent")
    lab.attack.value = (Part.CIPHERTEXT, None)
    assert not lab.run.readable
    lab.attack.index = 0  # what the browser sends when the learner picks the first option
    assert (lab.attack.index, lab.attack.label) == (0, "nothing: delivered as sent")
    assert lab.run.readable and lab.run.tampered is None


def test_pipeline_lab_carols_entry_changed_bob_still_reads(cast):
    lab = pipeline_lab(cast)
    lab.attack.value = (Part.EPHEMERAL_KEY, "Carol")
    assert lab.run.readable and lab.run.reader == "Bob"
    lab.reader.value = "Carol"
    assert not lab.run.readable


def test_pipeline_lab_bad_input_shows_a_message_and_clears_the_stale_result(cast):
    lab = pipeline_lab(cast)
    lab.byte.value = 5000
    assert lab.error.value == ""  # nothing is flipped yet, so any byte number is fine
    before = lab.result.value
    lab.attack.value = (Part.TAG, None)
    assert (
        "Byte 5000 is outside the authentication tag (16 bytes); pick 0 to 15." in lab.error.value
    )
    assert lab.result.value == ""
    lab.byte.value = 3
    assert lab.error.value == "" and lab.result.value not in ("", before)
    lab.text.value = "  "
    assert "Type a message first: the box is empty." in lab.error.value
    lab.text.value = "back"
    for box in lab.recipient_boxes.values():
        box.value = False
    assert "Tick at least one recipient" in lab.error.value
    lab.recipient_boxes["Bob"].value = True
    lab.attack.value = (Part.WRAPPED_KEY, "Dave")
    assert "Dave is not a recipient of this message" in lab.error.value
    assert "Traceback" not in lab.error.value
    assert lab.last_exception is not None


def test_signature_lab(cast):
    lab = signature_lab(cast)
    assert lab.run.check.valid
    assert "Signature valid" in lab.result.value
    lab.transit.value = Transit.MESSAGE_CHANGED
    assert "Signature NOT valid" in lab.result.value
    assert "← differs" in lab.result.value
    lab.algorithm.value = KeyKind.RSA
    assert lab.run.signature.algorithm.value == "RSA-PSS (SHA-256)"
    assert not lab.run.check.valid
    lab.transit.value = Transit.FORGED
    assert "Signature NOT valid" in lab.result.value
    lab.verify_with.value = "Mallory"
    assert "Valid signature, wrong person" in lab.result.value
    lab.text.value = ""
    assert "Type a message first" in lab.error.value


def test_size_speed_lab_switches_data_and_metric(cast):
    quick = measure((1024, 4096), keypair=cast.bob)
    lab = size_speed_lab(quick)
    assert lab.source.value == "quick"
    assert "measured on this machine just now" in lab.result.value
    lab.source.value = "reference"
    assert "a reference run on" in lab.result.value and "10 MB" in lab.result.value
    lab.metric.value = Metric.SIZE
    one = lab.result.value
    lab.recipients.value = 3
    assert lab.result.value != one
    assert "Bytes sent for 3 recipients" in lab.result.value


def test_size_speed_lab_without_a_quick_run():
    lab = size_speed_lab()
    assert lab.source.options == (
        ("reference run, 1 KB-10 MB (measured earlier, see source)", "reference"),
    )
    assert "<svg" in lab.result.value


def test_the_plot_has_axes_labels_and_a_text_alternative():
    svg = size_speed_plot(REFERENCE, metric=Metric.DECRYPT)
    assert 'role="img"' in svg and "aria-label=" in svg and "<desc>" in svg
    assert "message size (log scale)" in svg and "time to decrypt (log scale)" in svg
    for label in ("1 KB", "10 MB", "1 ms", "1 s"):
        assert f">{label}</text>" in svg
    # Both series are drawn: one square per point for public-key only, one circle for hybrid,
    # plus one of each in the legend.
    assert (
        len(re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="8" height="8"', svg))
        == len(REFERENCE.points) + 1
    )
    assert svg.count("<circle") == len(REFERENCE.points) + 1
    assert "stroke-dasharray" in svg  # not colour alone
    assert REFERENCE.source in svg


def test_the_diagram_has_a_text_alternative():
    svg = hybrid_diagram(["Bob", "Carol", "Dave"])
    assert "<title>Hybrid encryption</title>" in svg
    assert "wrapped key for Dave" in svg
    assert "never the content key itself" in svg
