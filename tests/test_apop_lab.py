"""Chapter 08's APOP lab, driven without a browser: every run is a real APOP login with poplib,
the captured banner and digest are shown, the dictionary search finds a common password (or
not), bad input shows an error, and closing the lab stops its server."""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Iterator

import pytest

from mailsec.errors import MailsecError
from mailsec.labs.apop import PRESETS, ApopLab, apop_lab, check_password
from mailsec.transport.apop import MAX_WORD_LENGTH, apop_digest, common_passwords


def verdict(lab: ApopLab) -> dict[str, str]:
    """The data-* attributes of the lab's verdict element ({} when there is no result)."""
    found = re.search(r'<div class="mailsec-apop-verdict"([^>]*)>', lab.result.value)
    if not found:
        return {}
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', found.group(1)))


@pytest.fixture
def lab() -> Iterator[ApopLab]:
    made = apop_lab()
    yield made
    made.close()


def test_the_default_run_finds_sakura_in_the_list(lab: ApopLab) -> None:
    assert not lab.error.value, lab.error.value
    words = len(common_passwords())
    guesses = common_passwords().index("sakura") + 1
    assert verdict(lab) == {
        "found": "yes",
        "guesses": str(guesses),
        "words": str(words),
        "login": "ok",
    }
    run = lab.last_run
    assert run is not None and run.search.password == "sakura"
    assert f"found after {guesses} guesses in" in lab.result.value
    # The banner and the digest are shown, and they are what the real login exchanged.
    assert run.capture.digest == apop_digest(run.capture.banner, "sakura")
    assert run.capture.digest in lab.result.value
    assert run.capture.banner.replace("<", "&lt;").replace(">", "&gt;") in lab.result.value
    assert f"APOP alice {run.capture.digest}" in run.transcript.client_lines
    assert "mailsec-apop-capture" in lab.result.value and "mailsec-apop-wire" in lab.result.value
    explanation = lab.explanation.value
    assert "The password never crossed the wire" in explanation
    assert "as good as the password against a dictionary" in explanation
    assert "keeps the password in the clear" in explanation
    assert "RFC 8314" in explanation and "CVE-2007-1558" in explanation


def test_a_passphrase_is_not_in_the_word_list(lab: ApopLab) -> None:
    lab.preset.value = "correct horse battery staple"
    assert lab.password.value == "correct horse battery staple"  # the menu writes the box
    assert verdict(lab)["found"] == "no"
    assert verdict(lab)["guesses"] == str(len(common_passwords()))
    assert "not in the word list" in lab.result.value


def test_a_typed_password_logs_in_with_a_new_server_and_selects_its_example(lab: ApopLab) -> None:
    first = lab.last_run
    lab.password.value = "letmein"
    assert lab.preset.value == "letmein"
    run = lab.last_run
    assert run is not None and run is not first
    assert run.search.password == "letmein"
    assert run.capture.banner != first.capture.banner  # another connection, another banner
    lab.password.value = "my own 2nd secret"
    assert lab.preset.value == ""  # "type your own"
    assert verdict(lab)["found"] == "no" and verdict(lab)["login"] == "ok"


def test_bad_passwords_show_an_error_and_clear_the_result(lab: ApopLab) -> None:
    lab.password.value = ""
    assert "Type a password for Alice" in lab.error.value and lab.result.value == ""
    lab.password.value = "x" * (MAX_WORD_LENGTH + 1)
    assert f"at most {MAX_WORD_LENGTH}" in lab.error.value
    lab.password.value = "sunshine"
    assert not lab.error.value and verdict(lab)["found"] == "yes"


def test_the_run_button_logs_in_again_with_a_fresh_banner(lab: ApopLab) -> None:
    before = lab.last_run
    lab.run_button.click()
    assert lab.last_run is not None and before is not None
    assert lab.last_run.capture.banner != before.capture.banner
    assert lab.last_run.search.password == before.search.password


def test_every_preset_runs_quickly() -> None:
    made = apop_lab(password=PRESETS[0][1])
    try:
        for _label, password in PRESETS[1:-1]:
            made.preset.value = password
            assert not made.error.value and verdict(made)["login"] == "ok"
        assert all(t < 5 for t in made.timings)
    finally:
        made.close()


def test_check_password_pins_its_messages() -> None:
    assert check_password("sakura") == "sakura"
    with pytest.raises(MailsecError, match="the box is empty"):
        check_password("")
    with pytest.raises(MailsecError, match="type it on one line"):
        check_password("a\nb")


def test_closing_the_lab_stops_its_server_and_refuses_further_runs() -> None:
    made = apop_lab()
    mail = made._server.mail
    assert mail is not None and mail.running
    made.close()
    assert made._server.mail is None and not mail.running
    assert made.run_button.disabled and made.password.disabled
    with pytest.raises(MailsecError, match="The lab is closed"):
        made.run()


def test_a_closed_lab_is_collected() -> None:
    made = apop_lab()
    mail = made._server.mail
    assert mail is not None
    gone = weakref.ref(made)
    made.close()
    del made
    gc.collect()
    assert gone() is None
    assert not mail.running
