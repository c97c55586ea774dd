"""Chapter 08's MTA-STS lab, driven without a browser: the controls change the decision (RFC 8461
§4.1 names, §4.2 certificates, §5 modes, §3.3 and §10.2 the blocked lookup and the cache), bad
policy text shows an error and clears the result, and every callback is quick."""

from __future__ import annotations

import re

import ipywidgets as widgets
import pytest

from mailsec.labs.frame import percentile
from mailsec.labs.mtasts import DEFAULT_POLICY, mtasts_lab, with_mode
from mailsec.transport.mtasts import Mode, parse_policy
from mailsec.transport.mtasts_delivery import TlsOutcome


def verdict(lab) -> dict[str, str]:
    """The data-* attributes of the lab's verdict element ({} when there is no result)."""
    found = re.search(r'<div class="mailsec-mtasts-verdict"([^>]*)>', lab.result.value)
    if not found:
        return {}
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', found.group(1)))


@pytest.fixture
def lab():
    return mtasts_lab()


def test_the_default_is_enforce_and_the_forged_mx_is_skipped(lab):
    assert verdict(lab) == {
        "result": "delivered",
        "mode": "enforce",
        "source": "fetched",
        "used": "mx1.example.net",
        "report": "yes",
    }
    assert not lab.error.value
    assert "did not get the message" in lab.result.value
    assert "✗ no: matches no mx line" in lab.result.value  # a word beside every colour
    assert "RFC 8461 §4.1" in lab.explanation.value


def test_4_2_a_bad_certificate_moves_the_mail_to_the_backup_then_stops_it(lab):
    lab.tls["mx1"].value = TlsOutcome.EXPIRED
    assert verdict(lab)["used"] == "mx.backup.example.net"
    lab.tls["backup"].value = TlsOutcome.NO_STARTTLS
    assert verdict(lab)["result"] == "deferred" and verdict(lab)["used"] == ""
    assert "stays in the sender&#x27;s queue" in lab.result.value


def test_5_testing_mode_hands_the_mail_to_the_forged_mx_and_reports(lab):
    lab.mode.value = Mode.TESTING
    assert "mode: testing" in lab.policy_text.value  # the menu rewrites the text
    assert verdict(lab)["result"] == "delivered-reported"
    assert verdict(lab)["used"] == "evil-mx.attacker.example"
    assert "attacker&#x27;s server" in lab.result.value
    lab.spoof.value = False
    assert verdict(lab)["result"] == "delivered" and lab.tls["attacker"].disabled


def test_5_mode_none_follows_from_the_text_to_the_menu(lab):
    lab.policy_text.value = "version: STSv1\nmode: none\nmax_age: 86400\n"
    assert lab.mode.value is Mode.NONE
    assert verdict(lab)["result"] == "mode-none"


def test_10_2_a_blocked_lookup_wins_without_a_cache_and_loses_with_one(lab):
    lab.block.value = True
    assert verdict(lab)["result"] == "no-policy"
    assert verdict(lab)["used"] == "evil-mx.attacker.example"
    assert "trust on first use" in lab.result.value
    lab.cached.value = True
    assert verdict(lab)["source"] == "cache" and verdict(lab)["used"] == "mx1.example.net"
    lab.policy_text.value = lab.policy_text.value.replace("604800", "86400")  # one day < three
    assert verdict(lab)["result"] == "no-policy" and "had expired" in lab.result.value


def test_3_3_an_unblocked_lookup_refreshes_a_three_day_old_copy(lab):
    lab.cached.value = True
    assert verdict(lab)["source"] == "fetched"  # older than a day: fetched again (§3.3)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("version: STSv1\nmode: enforce\nmax_age: 1\n", "has no mx line"),
        ("mode enforce", "Line 1 of the policy"),
        (DEFAULT_POLICY.replace("mx1", "mx 1"), "Line 3 of the policy"),
        ("x" * 70_000, "larger than 65,536 bytes"),
        ("version: STSv1\x00", "control character"),
    ],
)
def test_bad_policy_text_shows_an_error_and_clears_the_result(lab, text, words):
    lab.policy_text.value = text
    assert words in lab.error.value and lab.result.value == "" and lab.explanation.value == ""
    assert verdict(lab) == {}
    lab.policy_text.value = DEFAULT_POLICY
    assert not lab.error.value and verdict(lab)["result"] == "delivered"


def test_the_mode_menu_keeps_a_broken_text_broken(lab):
    lab.policy_text.value = "version: STSv1\nmx: mx1.example.net\nmax_age: 1"
    assert "no mode line" in lab.error.value
    lab.mode.value = Mode.TESTING  # adds the mode line: now the text is a policy
    assert not lab.error.value and verdict(lab)["mode"] == "testing"


def test_with_mode_rewrites_or_adds_the_mode_line():
    assert parse_policy(with_mode(DEFAULT_POLICY, Mode.NONE)).mode is Mode.NONE
    assert with_mode("version: STSv1", Mode.ENFORCE) == "version: STSv1\nmode: enforce\n"
    assert with_mode("version: STSv1\r\nmx: a\r\n", Mode.TESTING).startswith(
        "version: STSv1\r\nmode: testing\r\nmx: a"
    )
    assert with_mode("mx: a", Mode.NONE) == "mode: none\nmx: a"


def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _all_widgets(child)


def test_every_control_is_tagged_and_every_menu_shows_a_choice(lab):
    controls = [w for w in _all_widgets(lab) if isinstance(w, widgets.ValueWidget) and w is not lab]
    assert len(controls) >= 8
    for control in controls:
        if isinstance(control, widgets.HTML):
            continue
        assert any(c.startswith("mailsec-mtasts-") for c in control._dom_classes), control
        if isinstance(control, widgets.Dropdown):
            assert control.index is not None
            assert all(value is not None for _, value in control._options_full)


def test_every_combination_of_the_attack_controls_gives_a_result(lab):
    for spoof in (False, True):
        for block in (False, True):
            for cached in (False, True):
                for mode in Mode:
                    lab.spoof.value, lab.block.value, lab.cached.value = spoof, block, cached
                    lab.mode.value = mode
                    assert not lab.error.value and verdict(lab), (spoof, block, cached, mode)
    assert lab.last_exception is None
    assert percentile(lab.timings, 95) < 0.1  # generous; a callback takes about a millisecond


def test_the_static_view_shows_the_default_result(lab):
    static = lab.static_html()
    assert "mailsec-mtasts-verdict" in static and "Interactive lab" in static
