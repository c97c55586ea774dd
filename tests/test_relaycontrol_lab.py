"""The relay-control lab driven without a browser: set the widgets' values, read the verdict's
data-* attributes and the HTML. Every run is a real POP3 login and SMTP session on 127.0.0.1."""

from __future__ import annotations

import gc
import re
import time
import weakref
from collections.abc import Iterator

import pytest

from mailsec.errors import MailsecError
from mailsec.labs.frame import Lab, percentile
from mailsec.labs.relaycontrol import TEXT, RelayControlLab, relay_control_lab
from mailsec.op25b.relaycontrol import RelaySetting
from mailsec.op25b.relaystory import Recipient, Sender
from mailsec.render.relaycontrol import TEXT as RENDER_TEXT


@pytest.fixture(scope="module")
def lab() -> Iterator[RelayControlLab]:
    made = relay_control_lab()
    yield made
    made.close()


def verdict(lab: RelayControlLab) -> dict[str, str]:
    found = re.search(r'<div class="mailsec-relay-verdict"([^>]*)>', lab.result.value)
    assert found, lab.error.value or lab.result.value[:300]
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', found.group(1)))


def choose(
    lab: RelayControlLab,
    setting: RelaySetting,
    sender: Sender,
    recipient: Recipient = Recipient.OUTSIDE,
) -> dict[str, str]:
    lab.setting.value = setting
    lab.sender.value = sender
    lab.recipient.value = recipient
    assert lab.error.value == "", lab.error.value
    return verdict(lab)


def test_the_default_is_hanako_relaying_after_her_pop3_login(lab: RelayControlLab) -> None:
    assert verdict(lab) == {
        "setting": "pop-before-smtp",
        "sender": "user",
        "recipient": "taro@example.net",
        "accepted": "yes",
        "ground": "pop-window",
        "code": "250",
        "address": "198.51.100.60",
        "agrees": "yes",
    }
    assert "✓ accepted" in lab.result.value  # a word beside the colour
    assert "Relaying open for 198.51.100.60 until 10:10" in lab.result.value
    assert "RFC 6409 §3.3" in lab.explanation.value
    assert "mailsec-relay-timeline" in lab.result.value
    assert "mailsec-relay-table" in lab.result.value
    assert "mailsec-relay-transcript" in lab.result.value


def test_the_nat_flaw_the_colleague_relays_on_hanakos_login(lab: RelayControlLab) -> None:
    found = choose(lab, RelaySetting.POP_BEFORE_SMTP, Sender.COLLEAGUE)
    assert found["accepted"] == "yes" and found["ground"] == "pop-window"
    assert "! accepted" in lab.result.value  # a warning, not a success
    assert "Ken&#x27;s PC (192.168.10.24 → 198.51.100.60)" in lab.result.value
    assert "the window outlived her login" in lab.explanation.value
    assert "RFC 3022 §2.2" in lab.explanation.value and "RFC 2505 §3.4" in lab.explanation.value


def test_the_window_closes_for_hanako_too(lab: RelayControlLab) -> None:
    found = choose(lab, RelaySetting.POP_BEFORE_SMTP, Sender.EXPIRED)
    assert found["accepted"] == "no" and found["code"] == "550"
    assert "✗ refused" in lab.result.value and "✗ closed" in lab.result.value
    assert "closed at 10:10" in lab.explanation.value


def test_smtp_auth_refuses_the_colleague_and_relays_for_hanako_at_any_time(
    lab: RelayControlLab,
) -> None:
    found = choose(lab, RelaySetting.SMTP_AUTH, Sender.COLLEAGUE)
    assert found["accepted"] == "no" and found["ground"] == "none"
    assert "✓ refused" in lab.result.value  # refusing a stranger is right
    found = choose(lab, RelaySetting.SMTP_AUTH, Sender.EXPIRED)
    assert found["accepted"] == "yes" and found["ground"] == "smtp-auth"
    assert "STARTTLS, SMTP AUTH as hanako@sakura-trading.example" in lab.result.value
    assert "does not use the POP-before-SMTP table" in lab.result.value


def test_an_open_relay_carries_the_spammers_mail(lab: RelayControlLab) -> None:
    found = choose(lab, RelaySetting.OPEN_RELAY, Sender.SPAMMER)
    assert found["accepted"] == "yes" and found["ground"] == "open-relay"
    assert "✗ accepted" in lab.result.value
    assert "blocklists list 203.0.113.30" in lab.explanation.value
    found = choose(lab, RelaySetting.SMTP_AUTH, Sender.SPAMMER)
    assert found["accepted"] == "no" and found["code"] == "550"


def test_mail_for_the_own_domain_is_delivered_under_every_setting(lab: RelayControlLab) -> None:
    for setting in RelaySetting:
        found = choose(lab, setting, Sender.SPAMMER, Recipient.OWN_DOMAIN)
        assert found["accepted"] == "yes" and found["ground"] == "own-domain", setting
    assert "delivery, not relaying" in lab.explanation.value


def test_every_combination_agrees_with_the_model_and_is_quick(lab: RelayControlLab) -> None:
    for setting in RelaySetting:
        for sender in Sender:
            assert choose(lab, setting, sender)["agrees"] == "yes"
    assert percentile(lab.timings, 95) < 1.0


def test_the_texts_have_one_entry_per_choice() -> None:
    assert set(TEXT["settings"]) == set(RelaySetting)
    assert set(TEXT["senders"]) == set(Sender)
    assert set(TEXT["recipients"]) == set(Recipient)
    lessons = RENDER_TEXT["lessons"]
    assert {f"{s.value}/{p.value}" for s in RelaySetting for p in Sender} | {"own-domain"} == set(
        lessons
    )


def test_menus_show_a_choice_and_buttons_fit(lab: RelayControlLab) -> None:
    from test_lab_controls import (
        test_every_button_is_sized_to_its_label as _buttons_fit,
    )
    from test_lab_controls import (
        test_no_menu_option_has_the_value_none as _no_none,
    )

    labs: dict[str, Lab] = {"relay": lab}
    _no_none(labs)
    _buttons_fit(labs)


def test_the_static_view_shows_the_result() -> None:
    made = relay_control_lab(setting=RelaySetting.OPEN_RELAY, sender=Sender.SPAMMER)
    try:
        bundle = made._repr_mimebundle_()
        assert bundle is not None and "mailsec-relay-verdict" in bundle["text/html"]
    finally:
        made.close()


def test_closing_stops_the_servers_promptly_and_refuses_further_runs() -> None:
    made = relay_control_lab()
    servers = made._servers
    smtp, pop = servers.smtp, servers.pop
    assert smtp is not None and pop is not None and smtp.running and pop.running
    started = time.perf_counter()
    made.close()
    assert time.perf_counter() - started < 3
    assert not smtp.running and not pop.running and made.run_button.disabled
    with pytest.raises(MailsecError, match="This lab's servers have been stopped"):
        made.run()


def test_a_closed_lab_is_collected() -> None:
    made = relay_control_lab()
    smtp = made._servers.smtp
    gone = weakref.ref(made)
    made.close()
    del made
    gc.collect()
    assert gone() is None
    assert smtp is not None and not smtp.running
