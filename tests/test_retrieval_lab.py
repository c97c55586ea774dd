"""The devices lab driven headless (setting widget values, clicking buttons) and its renderer."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from mailsec.labs.retrieval import OWN, devices_lab
from mailsec.render.retrieval import comparison_table, explanation, protocol_diagram, step_view
from mailsec.retrieval.model import ImapSettings, PopSettings, Protocol, run
from mailsec.retrieval.scenarios import compare, get_scenario

START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def clock() -> datetime:
    return START


@pytest.fixture
def lab():
    return devices_lab(clock=clock)


def text(html: str) -> str:
    """The visible words of some HTML (tags dropped), for asserting on what a learner reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_lab_opens_on_a_prepared_scenario_at_its_last_step(lab):
    assert lab.error.value == "" and lab.last_exception is None
    assert lab.scenario.value == "phone-then-laptop"
    assert lab.step.value == lab.step.max == len(get_scenario("phone-then-laptop").events)
    shown = text(lab.result.value)
    assert "Server mailbox" in shown and "Phone" in shown and "Laptop" in shown
    assert "What happened, and why" in text(lab.explanation.value)


def test_switching_protocol_replays_the_same_story(lab):
    assert lab.run.final.device("Laptop").messages == ()  # POP3, download and delete
    before = lab.result.value
    lab.protocol.value = Protocol.IMAP4
    assert lab.result.value != before
    laptop = lab.run.final.device("Laptop")
    assert laptop.labels() == ("M1", "M2") and laptop.message("M1").read
    assert "＋ NEW" in text(lab.result.value)
    assert "mailsec-change-added" in lab.result.value
    assert "a view of the mailbox on the server" in text(lab.result.value)


def test_leave_copy_enables_its_options_and_changes_the_result(lab):
    assert lab.remove_after.disabled and lab.remove_deleted.disabled and lab.expunge.disabled
    lab.leave_copy.value = True
    assert not lab.remove_after.disabled and not lab.remove_deleted.disabled
    assert lab.run.final.device("Laptop").labels() == ("M1", "M2", "M3")
    lab.protocol.value = Protocol.IMAP4
    assert lab.leave_copy.disabled and lab.remove_after.disabled and not lab.expunge.disabled


def test_step_slider_and_buttons_show_earlier_steps(lab):
    lab.step.value = 5
    assert "Step 5" in text(lab.result.value) and "Phone opens M1" in text(lab.result.value)
    lab.b_prev.click()
    assert lab.step.value == 4 and "Step 4" in text(lab.result.value)
    lab.b_next.click()
    lab.b_next.click()
    assert lab.step.value == 6
    lab.b_last.click()
    assert lab.step.value == lab.step.max
    # Moving through steps does not play the scenario again.
    assert lab.error.value == ""


def test_prepared_scenario_sets_the_quota_and_shows_refusals(lab):
    lab.protocol.value = Protocol.IMAP4
    lab.scenario.value = "mailbox-full"
    assert lab.quota.value == 100
    assert "Mailbox full" in text(lab.story.value)
    assert "Bounced to the sender" in text(lab.result.value)
    refused = next(
        s.number for s in lab.run.steps if any(t.data.get("kind") == "refused" for t in s.trace)
    )
    lab.step.value = refused
    assert "452 4.2.2" in text(lab.explanation.value)
    assert "Waiting at the sender's server" in text(lab.result.value)
    lab.quota.value = 1000
    assert lab.run.final.server.bounces == () and lab.run.final.server.queue == ()


def test_permanent_reply_bounces_at_once(lab):
    lab.protocol.value = Protocol.IMAP4
    lab.scenario.value = "mailbox-full"
    lab.full_reply.value = "permanent"
    assert [b.reply[:9] for b in lab.run.final.server.bounces] == ["552 5.2.2", "552 5.2.2"]


def test_own_timeline_with_the_event_buttons(lab):
    lab.protocol.value = Protocol.IMAP4
    lab.scenario.value = OWN
    assert not lab.device_count.disabled and lab.run.final.server.messages == ()
    assert list(lab.device.options) == ["Phone", "Laptop"]
    lab.b_mail.click()
    lab.b_mail.click()
    assert lab.run.final.server.labels() == ("M1", "M2")
    lab.device.value = "Laptop"
    lab.message.value = "M2"
    lab.b_read.click()
    assert lab.run.final.device("Phone").message("M2").read
    lab.b_online.click()
    assert lab.b_online.description == "Go online"
    lab.message.value = "M1"
    lab.b_delete.click()
    assert lab.run.final.device("Laptop").pending == ("delete M1",)
    assert lab.run.final.server.labels() == ("M1", "M2")
    lab.b_online.click()
    assert lab.run.final.server.labels() == ("M2",)
    assert lab.error.value == ""
    lab.b_undo.click()
    assert lab.run.final.server.labels() == ("M1", "M2")
    lab.device_count.value = 3
    assert [d.name for d in lab.run.final.devices] == ["Phone", "Laptop", "Tablet"]
    lab.b_wait.click()
    assert (lab.run.final.at - lab.run.steps[-2].at).days == 1


def test_bad_input_shows_a_plain_message_and_keeps_the_last_result(lab):
    lab.scenario.value = OWN
    shown = lab.result.value
    lab.b_read.click()
    assert "Cannot do that" in lab.error.value
    assert "Phone has no message to pick" in text(lab.error.value)
    assert "Traceback" not in lab.error.value
    assert lab.result.value == shown
    lab.b_clear.click()
    lab.b_undo.click()
    assert "There is no event to undo" in text(lab.error.value)
    lab.b_mail.click()
    assert lab.error.value == ""


def test_read_says_the_mail_did_not_fit_when_that_is_why_the_device_has_none(lab):
    lab.scenario.value = OWN
    lab.storage.value = 20
    lab.mail_size.value = 30
    lab.b_mail.click()
    lab.b_sync.click()
    assert lab.run.final.device("Phone").messages == ()  # M1 stayed on the server
    lab.b_read.click()
    assert "Cannot do that" in lab.error.value
    assert lab.last_exception.message == (
        "Phone has no message to pick: M1 (30 KB) was larger than the storage free on Phone "
        "(20 KB in all), so its last 'Check mail' left it on the server. Raise 'Storage per "
        "device' or send smaller mail, then 'Check mail' again."
    )
    lab.b_mail.click()
    lab.b_sync.click()
    lab.b_delete.click()
    assert lab.last_exception.message.startswith(
        "Phone has no message to pick: M1 (30 KB) and M2 (30 KB) were larger than the storage "
        "free on Phone (20 KB in all), so its last 'Check mail' left them on the server."
    )
    lab.storage.value = 100  # now both fit
    lab.b_sync.click()
    assert lab.run.final.device("Phone").labels() == ("M1", "M2")


def test_read_before_any_check_says_to_check_mail_first(lab):
    lab.scenario.value = OWN
    lab.b_mail.click()
    lab.b_read.click()
    assert lab.last_exception.message == (
        "Phone has no message to pick: add mail with 'New mail arrives' and let the device "
        "'Check mail' first."
    )


def test_storage_slider_shows_the_picked_devices_storage(lab):
    assert lab.storage.disabled
    assert (lab.device.value, lab.storage.value) == ("Phone", 512)
    assert lab.storage.description == "Storage of Phone (KB):"
    lab.device.value = "Laptop"
    assert (lab.storage.value, lab.storage.description) == (4096, "Storage of Laptop (KB):")
    lab.scenario.value = "mailbox-full"
    assert (lab.device.value, lab.storage.value) == ("Phone", 1024)
    lab.scenario.value = OWN  # the learner's own devices share the storage the slider sets
    assert not lab.storage.disabled
    assert (lab.storage.value, lab.storage.description) == (300, "Storage per device (KB):")
    lab.storage.value = 100
    assert {d.capacity for d in lab.run.final.devices} == {100 * 1024}
    lab.scenario.value = "phone-then-laptop"
    assert lab.storage.value == 512
    lab.scenario.value = OWN
    assert lab.storage.value == 100


def test_comparison_is_part_of_the_explanation(lab):
    assert "Compare the end of this timeline" in lab.explanation.value
    assert "Under POP3 (download and delete from the server)" in text(lab.explanation.value)


def test_every_callback_is_timed(lab):
    count = len(lab.timings)
    lab.protocol.value = Protocol.IMAP4
    lab.b_prev.click()
    assert len(lab.timings) >= count + 2


def test_static_view_shows_the_current_result(lab):
    static = lab.static_html()
    assert "Server mailbox" in static and "run the cells" in static


# -- the renderer ---------------------------------------------------------------------------------


def test_changes_are_marked_with_words_not_only_colour():
    r = run(get_scenario("phone-then-laptop"), client=ImapSettings(), clock=clock)
    deleted = next(s for s in r.steps if s.title == "Phone deletes M3")
    html = step_view(deleted, r.steps[deleted.number - 1])
    words = text(html)
    assert "− REMOVED" in words and "<s>50% off today only</s>" in html
    read = next(s for s in r.steps if s.title == "Phone opens M1")
    assert "✎ CHANGED +\\Seen" in text(step_view(read, r.steps[read.number - 1]))


def test_offline_status_and_pending_changes_are_in_words():
    r = run(get_scenario("commute-offline"), client=ImapSettings(), clock=clock)
    step = next(s for s in r.steps if s.title == "Phone deletes M2")
    words = text(step_view(step, r.steps[step.number - 1]))
    assert "○ offline" in words and "Waiting to be sent to the server" in words
    assert "delete M2" in words


def test_quota_bar_states_its_numbers():
    r = run(get_scenario("mailbox-full"), client=ImapSettings(), clock=clock)
    words = text(step_view(r.steps[3]))
    assert "Quota used: 90 KB of 100 KB (90%) — nearly full" in words


def test_explanation_lists_the_rfc_sections():
    r = run(get_scenario("phone-then-laptop"), client=PopSettings(), clock=clock)
    sync = next(s for s in r.steps if s.title == "Phone checks for mail")
    words = text(explanation(sync))
    assert "[RFC 1939 §7]" in words and "[RFC 1939 §6]" in words


def test_comparison_table_rows():
    pop, imap = compare(get_scenario("new-phone"), clock=clock)
    words = text(comparison_table(pop, imap))
    assert (
        "New phone M4 (unread) M1 (read), M3 (unread · \\Flagged), M4 (unread), "
        "M2 in Archive (unread)" in words
    )


def test_protocol_diagram_has_a_text_alternative():
    svg = protocol_diagram()
    assert 'role="img"' in svg and "<title>" in svg and "<figcaption" in svg
    assert "POP3" in svg and "IMAP4" in svg


def test_factory_opens_a_chosen_scenario_and_protocol():
    lab = devices_lab("mixed-clients", protocol="imap4", clock=clock)
    assert lab.scenario.value == "mixed-clients" and lab.protocol.value is Protocol.IMAP4
    assert lab.run.final.device("Old laptop").protocol is Protocol.POP3
    assert "Pitfall" in text(lab.story.value)


def test_factory_refuses_unknown_names():
    from mailsec.errors import InputError

    with pytest.raises(InputError, match="no prepared scenario called 'holiday'"):
        devices_lab("holiday")
    with pytest.raises(InputError, match="The protocol 'SMTP' is not one this lab knows"):
        devices_lab(protocol="SMTP")


def test_lab_stories_start_at_eight_in_the_morning():
    late = devices_lab(clock=lambda: datetime(2026, 11, 2, 22, 47, 13, tzinfo=timezone.utc))
    assert late.run.steps[0].at == START
    # "In the evening she opens her laptop": ten hours later.
    assert late.run.final.at.hour == 18
