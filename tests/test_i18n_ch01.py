"""Chapters 00 and 01 under the pseudo-locale: every string a learner sees went through gettext.

The journey lab (every way of sending, reading and protecting), the devices lab (every prepared
scenario under POP3 and IMAP4, every event button, a step back, a refused event) and the wire lab
(every client action, the refresh, reset and quota controls, a run after the servers stopped,
and the lab without a quota) are driven under ``qps``; what is left outside the marks must be
data (:mod:`tests.pseudolocale`). The ``mailsec serve`` command says
a bad argument in one marked line. The prepared scenarios' names, subjects, titles and stories
are data in English, listed for translation in :data:`mailsec.retrieval.scenarios.NAMES`: a
test checks that the list is complete.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mailsec.__main__ import _main
from mailsec.i18n import PSEUDO, using
from mailsec.journey import Protection, Reading, Sending
from mailsec.labs.frame import Lab
from mailsec.labs.retrieval import DevicesLab, devices_lab
from mailsec.labs.retrieval_controls import OWN
from mailsec.labs.retrieval_wire import WireLab, wire_lab
from mailsec.labs.start import journey_lab
from mailsec.render.transcript import note_text
from mailsec.retrieval.model import AddDevice, MailArrives, Protocol
from mailsec.retrieval.scenarios import NAMES, SCENARIOS
from mailsec.retrieval.servers.wire import NEW_MAIL, NEWSLETTER, SAMPLE_MESSAGES, SUBJECTS
from tests.pseudolocale import words_outside_marks


#: What these labs show that is data the collector does not know yet (the lead may move it into
#: :mod:`tests.pseudolocale`): protocol names with their version or port, IMAP flags, message
#: labels, RFC sections naming a command, and folder names.
def unmarked(lab: Lab) -> list[str]:
    """What the lab shows outside the marks that is not data."""
    return words_outside_marks(lab)


def assert_marked(lab: Lab, what: str) -> None:
    wrong = unmarked(lab)
    assert wrong == [], f"{what}: {wrong}"


# -- chapter 00: the journey ----------------------------------------------------------------------


def test_journey_lab_is_marked_for_every_choice() -> None:
    lab = journey_lab(lang=PSEUDO)
    assert_marked(lab, "start")
    for sending in Sending:
        lab.sending.value = sending
        assert_marked(lab, sending.name)
    for reading in Reading:
        lab.reading.value = reading
        assert_marked(lab, reading.name)
    for protection in Protection:
        lab.protection.value = protection
        assert_marked(lab, protection.name)
    assert "⟦" in lab.sending.options[0][0]


# -- chapter 01: the devices lab ------------------------------------------------------------------


@pytest.fixture
def devices() -> DevicesLab:
    return devices_lab(lang=PSEUDO)


def test_every_scenario_under_both_protocols_is_marked(devices: DevicesLab) -> None:
    assert_marked(devices, "start")
    for key in SCENARIOS:
        devices.scenario.value = key
        for protocol in (Protocol.IMAP4, Protocol.POP3):
            devices.protocol.value = protocol
            assert_marked(devices, f"{key} {protocol.value}")
            devices.step.value = devices.step.max // 2
            assert_marked(devices, f"{key} {protocol.value} halfway")
    devices.leave_copy.value = True
    devices.remove_after.value = 7
    devices.remove_deleted.value = True
    devices.full_reply.value = "permanent"
    assert_marked(devices, "POP3 settings")


def test_every_event_button_is_marked(devices: DevicesLab) -> None:
    devices.scenario.value = OWN
    for name in (
        "b_mail",
        "b_mail",
        "b_sync",
        "b_read",
        "b_reply",
        "b_flag",
        "b_move",
        "b_online",
        "b_delete",
        "b_online",
        "b_expunge",
        "b_wait",
        "b_prev",
        "b_next",
        "b_last",
        "b_undo",
    ):
        getattr(devices, name).click()
        assert devices.error.value == "", name
        assert_marked(devices, name)
    devices.protocol.value = Protocol.IMAP4
    assert_marked(devices, "IMAP4")
    devices.b_clear.click()
    assert_marked(devices, "cleared")


def test_a_refused_event_says_why_in_the_lab_language(devices: DevicesLab) -> None:
    devices.scenario.value = OWN
    devices.b_clear.click()
    devices.b_read.click()  # no message on the device yet
    assert "⟦" in devices.error.value
    assert_marked(devices, "no message")
    devices.b_clear.click()
    devices.b_undo.click()  # nothing to undo
    assert "⟦" in devices.error.value
    assert_marked(devices, "nothing to undo")


def test_every_prepared_name_is_listed_for_translation() -> None:
    names = NAMES.source
    for scenario in SCENARIOS.values():
        assert scenario.title in names["titles"]
        assert scenario.story in names["stories"]
        for spec in scenario.devices:
            assert spec.name in names["devices"]
        for event in scenario.events:
            if isinstance(event, MailArrives):
                assert event.subject in names["subjects"]
            if isinstance(event, AddDevice):
                assert event.spec.name in names["devices"]


def test_every_sample_subject_is_listed_for_translation() -> None:
    for message in (*SAMPLE_MESSAGES, NEWSLETTER, NEW_MAIL):
        found = re.search(rb"^Subject: (.*)$", message, re.M)
        assert found is not None
        assert found.group(1).decode() in SUBJECTS.source["samples"]


# -- chapter 01: the wire lab ---------------------------------------------------------------------


@pytest.fixture
def wire() -> Iterator[WireLab]:
    lab = wire_lab(lang=PSEUDO)
    yield lab
    lab.close()


def test_every_wire_action_is_marked(wire: WireLab) -> None:
    assert_marked(wire, "start")
    for _label, action in wire.action_picker.options:
        wire.action_picker.value = action
        wire.run_button.click()
        assert wire.error.value == "", action
        assert_marked(wire, action.value)
    wire.refresh_button.click()
    assert_marked(wire, "refresh")
    wire.reset_button.click()
    assert_marked(wire, "reset")
    wire.quota_picker.value = wire.quota_picker.options[1][1]
    assert_marked(wire, "quota")
    wire.stop_button.click()
    assert_marked(wire, "stopped")
    wire.refresh_button.click()
    assert "⟦" in wire.error.value
    assert_marked(wire, "refused after stop")


def test_wire_lab_without_quota_is_marked() -> None:
    lab = wire_lab(quota=None, lang=PSEUDO)
    try:
        assert_marked(lab, "no quota")
    finally:
        lab.close()


def test_the_servers_notes_are_shown_in_the_reader_language() -> None:
    with using(PSEUDO):
        assert note_text("POP3 connection opened from 127.0.0.1:4000").startswith("⟦")
        assert note_text("session ended by LOGOUT") == "⟦session ended by LOGOUT⟧"
        assert note_text("an overlong line (over 8192 octets) was discarded").startswith("⟦")
        assert note_text("something else") == "something else"


# -- mailsec serve --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        ["--pop3-port", "abc", "--imap-port", "0"],
        ["--pop3-port", "0", "--imap-port", "0", "--host", "192.0.2.1"],
        ["--pop3-port", "0", "--imap-port", "0", "--tls-cert", "x.pem"],
    ],
)
def test_serve_says_a_bad_argument_in_one_marked_line(
    bad: list[str], tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["serve", "--maildir", str(tmp_path), "--user", "alice", "--password", "secret", *bad]
    with using(PSEUDO):
        status = _main(args)
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "⟦" in lines[0], err
