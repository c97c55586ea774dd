"""Relay control and POP before SMTP in the pure model: each expectation names the RFC section it
comes from (RFC 5321 §3.6.2 relaying, RFC 2505 §2.1 and §3.4, RFC 4954 §4, RFC 6409 §3.3 and
§4.3, RFC 3022 §2.2 NAT). Times are passed in: no clock, no sleeps, no sockets."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from mailsec.errors import InputError
from mailsec.op25b.model import (
    OFFICE_PASSWORD,
    OFFICE_USER,
    POLICY_SWITCHES,
    RELAY_WORLD,
    STANDARD_WORLD,
    Credentials,
    Policy,
    ServiceKind,
)
from mailsec.op25b.relaycontrol import (
    DEFAULT_WINDOW,
    PopBeforeSmtp,
    RelayControl,
    RelayGround,
    RelaySetting,
    relay_ruling,
)
from mailsec.op25b.relaystory import START, Recipient, Sender, model_ruling, plan
from mailsec.op25b.rules import Decision, rcpt_ruling
from mailsec.trace import Outcome

SERVER = RELAY_WORLD.host("hosting-mail")
NAT = ipaddress.IPv4Address("198.51.100.60")
OUTSIDE = "taro@example.net"
T0 = START


def rule(
    client: str,
    rcpt: str = OUTSIDE,
    *,
    setting: RelaySetting = RelaySetting.POP_BEFORE_SMTP,
    windows: PopBeforeSmtp | None = None,
    at: dt.datetime = T0 + dt.timedelta(minutes=2),
    authenticated: bool = False,
    kind: ServiceKind = ServiceKind.MX,
    policy: Policy | None = None,
):
    return relay_ruling(
        RELAY_WORLD,
        SERVER,
        kind,
        RELAY_WORLD.host(client),
        rcpt,
        authenticated=authenticated,
        setting=setting,
        windows=windows if windows is not None else PopBeforeSmtp(),
        at=at,
        policy=policy,
    )


def hanako_logged_in(at: dt.datetime = T0) -> PopBeforeSmtp:
    """The table after Hanako's POP3 login from the office (its NAT address)."""
    table = PopBeforeSmtp()
    table.record_login(
        RELAY_WORLD.public_ipv4(RELAY_WORLD.host("user-pc")), user=OFFICE_USER, at=at
    )
    return table


# -- RFC 5321 §3.6.2: relaying is the server's choice; refusing it for policy is 550 ---------------


@pytest.mark.parametrize("setting", [RelaySetting.SMTP_AUTH, RelaySetting.POP_BEFORE_SMTP])
def test_5321_3_6_2_a_stranger_is_refused_with_550(setting: RelaySetting) -> None:
    found = rule("spammer", setting=setting)
    assert found.ruling.decision is Decision.RELAY_DENIED
    assert found.ground is RelayGround.NONE and not found.allowed and found.relaying
    assert found.ruling.reply is not None
    assert found.ruling.reply.line == "550 5.7.1 <taro@example.net>: Relay access denied"
    assert found.ruling.section == "RFC 5321 §3.6.2"
    assert found.steps[-1].outcome is Outcome.FAIL


def test_5321_3_6_2_accepted_relaying_names_the_next_server() -> None:
    found = rule("user-pc", windows=hanako_logged_in())
    assert found.ruling.decision is Decision.ACCEPTED
    assert "pass the message to mx.example.net, the MX for example.net" in found.ruling.reason
    elsewhere = rule("user-pc", "someone@example.org", windows=hanako_logged_in())
    assert elsewhere.ruling.decision is Decision.HANDED_ON  # outside the model, still 250
    assert elsewhere.ruling.reply is not None and elsewhere.ruling.reply.code == 250


# -- RFC 2505 §2.1: relay control refuses strangers but takes mail for its own domains -------------


@pytest.mark.parametrize("setting", list(RelaySetting))
def test_2505_2_1_mail_for_the_own_domain_is_delivery_from_anyone(setting: RelaySetting) -> None:
    found = rule("spammer", Recipient.OWN_DOMAIN.value, setting=setting)
    assert found.ground is RelayGround.OWN_DOMAIN and not found.relaying
    assert found.ruling.decision is Decision.DELIVERED
    assert any(s.section == "RFC 2505 §2.1" for s in found.steps)
    unknown = rule("spammer", "nobody@sakura-trading.example", setting=setting)
    assert unknown.ruling.decision is Decision.USER_UNKNOWN  # RFC 5321 §3.3, reply 550 5.1.1
    assert unknown.ruling.reply is not None and unknown.ruling.reply.status == "5.1.1"


def test_2505_2_1_an_open_relay_takes_a_strangers_mail_for_anywhere() -> None:
    found = rule("spammer", setting=RelaySetting.OPEN_RELAY, windows=PopBeforeSmtp())
    assert found.allowed and found.ground is RelayGround.OPEN_RELAY
    assert found.ruling.reply is not None and found.ruling.reply.code == 250
    warning = next(s for s in found.steps if s.outcome is Outcome.WARN)
    assert warning.section == "RFC 2505 §2.1"
    assert "hides their own address (the next server sees 203.0.113.30)" in warning.text
    assert "blocklists" in warning.text


def test_2505_2_1_an_isps_server_relays_for_its_own_network() -> None:
    isp = STANDARD_WORLD.host("isp-a-mail")
    found = relay_ruling(
        STANDARD_WORLD,
        isp,
        ServiceKind.RELAY,
        STANDARD_WORLD.host("home-pc"),
        OUTSIDE,
        authenticated=False,
        setting=RelaySetting.SMTP_AUTH,
    )
    assert found.ground is RelayGround.OWN_NETWORK and found.allowed
    outsider = relay_ruling(
        STANDARD_WORLD,
        isp,
        ServiceKind.RELAY,
        STANDARD_WORLD.host("isp-b-host"),
        "someone@example.org",
        authenticated=False,
        setting=RelaySetting.SMTP_AUTH,
    )
    assert outsider.ground is RelayGround.NONE


# -- RFC 4954 §4 and RFC 6409 §4.3: SMTP AUTH relays for the account, in every setting ---------------


@pytest.mark.parametrize("setting", list(RelaySetting))
def test_4954_4_an_authenticated_session_relays(setting: RelaySetting) -> None:
    found = rule("spammer", setting=setting, authenticated=True, kind=ServiceKind.SUBMISSION, at=T0)
    assert found.ground is RelayGround.SMTP_AUTH and found.allowed
    assert any(s.section == "RFC 4954 §4" and s.outcome is Outcome.OK for s in found.steps)


def test_6409_4_3_smtp_auth_ignores_pop_logins() -> None:
    found = rule("user-pc", setting=RelaySetting.SMTP_AUTH, windows=hanako_logged_in())
    assert found.ground is RelayGround.NONE
    assert "did not log in with SMTP AUTH" in found.ruling.reason


# -- RFC 6409 §3.3: POP before SMTP, a window that opens with a POP3 login --------------------------


def test_6409_3_3_a_pop3_login_opens_relaying_for_its_address() -> None:
    found = rule("user-pc", windows=hanako_logged_in())
    assert found.ground is RelayGround.POP_WINDOW and found.allowed
    assert found.address == NAT and found.window is not None
    assert found.window.user == OFFICE_USER
    assert found.window.closes == T0 + DEFAULT_WINDOW
    assert any(s.section == "RFC 6409 §3.3" and s.outcome is Outcome.OK for s in found.steps)


def test_6409_3_3_the_window_closes_after_ten_minutes() -> None:
    table = hanako_logged_in()
    just_before = rule("user-pc", windows=table, at=T0 + dt.timedelta(minutes=9, seconds=59))
    assert just_before.ground is RelayGround.POP_WINDOW
    closed = rule("user-pc", windows=table, at=T0 + DEFAULT_WINDOW)
    assert closed.ground is RelayGround.NONE
    assert "the POP-before-SMTP window of 198.51.100.60 closed at 10:10:00" in closed.ruling.reason
    again = hanako_logged_in(T0 + dt.timedelta(minutes=14))  # she checks her mail again
    assert rule("user-pc", windows=again, at=T0 + dt.timedelta(minutes=15)).allowed


def test_6409_3_3_an_address_that_never_logged_in_is_refused() -> None:
    found = rule("spammer", windows=hanako_logged_in())
    assert "192.0.2.66 is not in the POP-before-SMTP table" in found.steps[-2].text


# -- the flaws: RFC 3022 §2.2 (one address for a whole office) and RFC 2505 §3.4 ---------------------


def test_3022_2_2_the_colleague_behind_the_same_nat_relays_on_hanakos_login() -> None:
    colleague = RELAY_WORLD.host("colleague-pc")
    assert RELAY_WORLD.public_ipv4(colleague) == NAT != colleague.ipv4
    found = rule("colleague-pc", windows=hanako_logged_in(), at=T0 + dt.timedelta(minutes=5))
    assert found.ground is RelayGround.POP_WINDOW and found.allowed
    assert found.steps[0].section == "RFC 3022 §2.2"
    assert "not from Ken's PC's own address 192.168.10.24" in found.steps[0].text
    caveat = next(s for s in found.steps if s.outcome is Outcome.WARN)
    assert caveat.section == "RFC 2505 §3.4"
    assert "an address, not a person or a program" in caveat.text


def test_2505_3_4_the_window_outlives_the_login() -> None:
    """The table has no logout: after Hanako's session ended, any program on her address relays
    until the window closes, though it never logged in."""
    table = hanako_logged_in()
    for minutes in (1, 5, 9):
        found = rule("user-pc", windows=table, at=T0 + dt.timedelta(minutes=minutes))
        assert found.ground is RelayGround.POP_WINDOW


# -- IP25B still comes first when the policy switches it on (chapter 02's rule) ---------------------


def test_ip25b_applies_before_the_relay_setting() -> None:
    found = rule("spammer", setting=RelaySetting.OPEN_RELAY, policy=Policy(ip25b=True))
    assert found.ruling.decision is Decision.DYNAMIC_REFUSED and not found.allowed


# -- the table: bounded, one entry per address, inputs checked -------------------------------------


def test_the_table_is_bounded_and_forgets_closed_windows_first() -> None:
    table = PopBeforeSmtp(capacity=2)
    table.record_login("192.0.2.1", user="a", at=T0)
    table.record_login("192.0.2.2", user="b", at=T0 + dt.timedelta(minutes=11))
    table.record_login("192.0.2.3", user="c", at=T0 + dt.timedelta(minutes=12))
    assert [str(w.address) for w in table.entries] == ["192.0.2.2", "192.0.2.3"]
    table.record_login("192.0.2.4", user="d", at=T0 + dt.timedelta(minutes=13))  # all open
    assert [str(w.address) for w in table.entries] == ["192.0.2.3", "192.0.2.4"]
    assert len(table) == 2


def test_a_new_login_from_the_same_address_restarts_its_window() -> None:
    table = hanako_logged_in()
    table.record_login(NAT, user=OFFICE_USER, at=T0 + dt.timedelta(minutes=8))
    assert len(table) == 1
    assert table.open_for(NAT, at=T0 + dt.timedelta(minutes=17)) is not None
    table.clear()
    assert table.lookup(NAT) is None


def test_the_table_rejects_bad_input_with_a_sentence() -> None:
    with pytest.raises(InputError, match=r"'pop3\.example' is not an IP address"):
        PopBeforeSmtp().record_login("pop3.example", user="a", at=T0)
    with pytest.raises(InputError, match="has no time zone: pass an aware datetime"):
        PopBeforeSmtp().record_login(NAT, user="a", at=dt.datetime(2026, 6, 1, 10, 0))
    with pytest.raises(InputError, match="should be a timedelta longer than zero"):
        PopBeforeSmtp(window=dt.timedelta(0))
    with pytest.raises(InputError, match="should be a whole number of addresses, 1 or more"):
        PopBeforeSmtp(capacity=0)


def test_settings_are_checked() -> None:
    with pytest.raises(InputError, match="Unknown relay setting 'open-relay'"):
        RelayControl("open-relay")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="POP before SMTP needs the table of logins and the time"):
        relay_ruling(
            RELAY_WORLD,
            SERVER,
            ServiceKind.MX,
            RELAY_WORLD.host("user-pc"),
            OUTSIDE,
            authenticated=False,
            setting=RelaySetting.POP_BEFORE_SMTP,
        )


def test_the_control_records_logins_and_rulings_at_its_clock() -> None:
    now = [T0]
    control = RelayControl(RelaySetting.POP_BEFORE_SMTP, clock=lambda: now[0])
    control.pop_login(NAT, user=OFFICE_USER)
    colleague = RELAY_WORLD.host("colleague-pc")
    grounds = []
    for minutes in (3, 10):
        now[0] = T0 + dt.timedelta(minutes=minutes)
        control.rcpt_ruling(
            RELAY_WORLD,
            SERVER,
            ServiceKind.MX,
            colleague,
            OUTSIDE,
            authenticated=False,
            policy=Policy(),
        )
        grounds.append(control.decided[-1].ground)
    assert grounds == [RelayGround.POP_WINDOW, RelayGround.NONE]


# -- the story: every setting, sender and recipient in the model -----------------------------------

EXPECTED = {
    # (setting, sender): ground for mail to another domain
    (RelaySetting.OPEN_RELAY, Sender.USER): RelayGround.OPEN_RELAY,
    (RelaySetting.OPEN_RELAY, Sender.COLLEAGUE): RelayGround.OPEN_RELAY,
    (RelaySetting.OPEN_RELAY, Sender.EXPIRED): RelayGround.OPEN_RELAY,
    (RelaySetting.OPEN_RELAY, Sender.SPAMMER): RelayGround.OPEN_RELAY,
    (RelaySetting.SMTP_AUTH, Sender.USER): RelayGround.SMTP_AUTH,
    (RelaySetting.SMTP_AUTH, Sender.COLLEAGUE): RelayGround.NONE,
    (RelaySetting.SMTP_AUTH, Sender.EXPIRED): RelayGround.SMTP_AUTH,
    (RelaySetting.SMTP_AUTH, Sender.SPAMMER): RelayGround.NONE,
    (RelaySetting.POP_BEFORE_SMTP, Sender.USER): RelayGround.POP_WINDOW,
    (RelaySetting.POP_BEFORE_SMTP, Sender.COLLEAGUE): RelayGround.POP_WINDOW,
    (RelaySetting.POP_BEFORE_SMTP, Sender.EXPIRED): RelayGround.NONE,
    (RelaySetting.POP_BEFORE_SMTP, Sender.SPAMMER): RelayGround.NONE,
}


@pytest.mark.parametrize(("setting", "sender"), list(EXPECTED))
def test_the_story_in_the_model(setting: RelaySetting, sender: Sender) -> None:
    events = plan(setting, sender)
    assert model_ruling(events).ground is EXPECTED[(setting, sender)]
    assert model_ruling(plan(setting, sender, Recipient.OWN_DOMAIN)).ground is (
        RelayGround.OWN_DOMAIN
    )


def test_only_hanakos_program_logs_in_and_only_where_the_server_wants_smtp_auth() -> None:
    assert plan(RelaySetting.SMTP_AUTH, Sender.USER).port == 587
    assert plan(RelaySetting.SMTP_AUTH, Sender.USER).credentials == Credentials(
        OFFICE_USER, OFFICE_PASSWORD
    )
    assert plan(RelaySetting.SMTP_AUTH, Sender.COLLEAGUE).credentials is None
    assert plan(RelaySetting.POP_BEFORE_SMTP, Sender.USER).port == 25
    assert plan(RelaySetting.POP_BEFORE_SMTP, Sender.EXPIRED).send_at == T0 + dt.timedelta(
        minutes=15
    )


# -- chapter 02's defaults are unchanged ------------------------------------------------------------


def test_chapter_02_is_unchanged() -> None:
    assert Policy().as_dict() == {
        "op25b": True,
        "submission_auth": True,
        "relay_control": True,
        "ip25b": False,
    }
    assert list(POLICY_SWITCHES) == ["op25b", "submission_auth", "relay_control", "ip25b"]
    assert [h.id for h in STANDARD_WORLD.hosts] == [
        "home-pc",
        "infected-pc",
        "isp-b-host",
        "isp-a-mail",
        "provider-smtp",
        "webmail",
        "recipient-mx",
    ]
    assert all(n.nat_address is None for n in STANDARD_WORLD.networks)
    assert all(STANDARD_WORLD.public_ipv4(h) == h.ipv4 for h in STANDARD_WORLD.hosts)
    mx = STANDARD_WORLD.host("recipient-mx")
    refused = rcpt_ruling(
        STANDARD_WORLD,
        mx,
        ServiceKind.MX,
        STANDARD_WORLD.host("isp-b-host"),
        "someone@example.org",
        authenticated=False,
        policy=Policy(),
    )
    assert refused.reply is not None and refused.reply.code == 554  # chapter 02 keeps its 554
