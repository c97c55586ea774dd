"""The OP25B model: every rule, every prepared scenario, bad input. Pure, offline."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.op25b import (
    SCENARIOS,
    STANDARD_WORLD,
    Attempt,
    Credentials,
    Decision,
    Policy,
    Verdict,
    evaluate,
    scenario,
    simulate,
)
from mailsec.op25b.model import (
    BOT_WEBMAIL,
    BOT_WEBMAIL_PASSWORD,
    HANAKO,
    HANAKO_PASSWORD,
    check_address,
    check_port,
)
from mailsec.op25b.path import MAILBOX
from mailsec.trace import Outcome

W = STANDARD_WORLD


def decisions(result) -> list[Decision]:
    return [h.decision for h in result.hops]


# -- the world ------------------------------------------------------------------------------------


def test_addresses_are_documentation_addresses() -> None:
    """RFC 5737 §3 (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and RFC 3849 (2001:db8::/32)."""
    test_nets = [
        ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    ]
    doc6 = ipaddress.ip_network("2001:db8::/32")
    for host in W.hosts:
        assert any(host.ipv4 in n for n in test_nets), host.id
        assert host.ipv6 in doc6, host.id
        assert host.ipv4 in W.network_of(host).ipv4, host.id


def test_dynamic_pools_hold_the_customers_only() -> None:
    assert W.in_dynamic_pool(W.host("home-pc")).id == "isp-a"
    assert W.in_dynamic_pool(W.host("infected-pc")).id == "isp-a"
    assert W.in_dynamic_pool(W.host("isp-b-host")).id == "isp-b"
    assert W.in_dynamic_pool(W.host("isp-a-mail")) is None


@pytest.mark.parametrize(
    "name", ["recipient-mx", "mx.example.net", "203.0.113.10", "2001:db8:c::25", " MX.Example.NET "]
)
def test_hosts_are_found_by_id_name_or_address(name: str) -> None:
    assert W.host(name).id == "recipient-mx"


# -- OP25B at ISP A's edge (RFC 5068 §3) ------------------------------------------------------------


@pytest.mark.parametrize("source", ["home-pc", "infected-pc"])
def test_op25b_drops_port_25_from_the_dynamic_pool_to_outside(source: str) -> None:
    result = simulate(source, "recipient-mx", 25)
    assert result.verdict is Verdict.DROPPED
    assert decisions(result) == [Decision.DROPPED]
    hop = result.final_hop
    assert (hop.source, hop.target, hop.port) == (source, "isp-a-edge", 25)
    assert hop.section == "RFC 5068 §3"
    assert "Dropped by OP25B" in hop.reason and "198.51.100.0/25" in hop.reason
    assert hop.reply is None  # a drop has no SMTP reply: the server never hears of it
    assert result.blocked_by_op25b


@pytest.mark.parametrize("port", [587, 465, 443])
def test_op25b_leaves_other_ports_alone(port: int) -> None:
    dest = "webmail" if port == 443 else "provider-smtp"
    result = simulate("infected-pc", dest, port)
    assert result.hops[0].decision is Decision.PASSED
    assert "only port 25" in result.hops[0].reason


def test_mail_to_isps_own_server_never_meets_the_edge() -> None:
    result = simulate("home-pc", "isp-a-mail", 25)
    assert result.hops[0].source == "home-pc" and result.hops[0].target == "isp-a-mail"
    assert result.verdict is Verdict.DELIVERED


def test_isps_own_server_passes_the_edge_on_25() -> None:
    """OP25B is about the dynamic pool; ISP A's relay leaves on port 25 (RFC 5068 §3)."""
    result = simulate("home-pc", "isp-a-mail", 25)
    relay_edge = next(h for h in result.hops if h.source == "isp-a-mail")
    assert relay_edge.target == "isp-a-edge" and relay_edge.decision is Decision.PASSED
    assert "not in the dynamic pool" in relay_edge.reason


def test_op25b_switched_off_lets_port_25_out() -> None:
    result = simulate("infected-pc", "recipient-mx", 25, policy=Policy(op25b=False))
    assert result.verdict is Verdict.DELIVERED
    assert "switched off" in result.hops[0].reason


def test_isp_b_has_no_op25b() -> None:
    result = simulate("isp-b-host", "recipient-mx", 25)
    assert result.hops[0].target == "isp-b-edge" and result.hops[0].decision is Decision.PASSED
    assert result.verdict is Verdict.DELIVERED


# -- submission: RFC 6409 §4.3, RFC 4954 §6, RFC 8314 §3.3 ----------------------------------------------


def test_submission_without_auth_is_refused_with_530() -> None:
    result = simulate("home-pc", "provider-smtp", 587)
    assert result.verdict is Verdict.REFUSED
    assert result.final_hop.decision is Decision.AUTH_REQUIRED
    assert result.final_hop.reply.line == "530 5.7.0 Authentication required"
    assert result.final_hop.section == "RFC 6409 §4.3"


def test_submission_with_a_wrong_password_is_refused_with_535() -> None:
    result = simulate("home-pc", "provider-smtp", 587, user=HANAKO, password="nope")
    assert result.final_hop.decision is Decision.AUTH_FAILED
    assert result.final_hop.reply.line == "535 5.7.8 Authentication credentials invalid"
    assert result.summary == (
        "Refused by smtp.mailprovider.example: authentication failed "
        "(535 5.7.8 Authentication credentials invalid)."
    )


@pytest.mark.parametrize("port", [587, 465])
def test_submission_with_auth_is_relayed_to_the_mx(port: int) -> None:
    result = simulate("home-pc", "provider-smtp", port, user=HANAKO, password=HANAKO_PASSWORD)
    assert result.verdict is Verdict.DELIVERED
    assert [(h.source, h.target) for h in result.hops] == [
        ("home-pc", "isp-a-edge"),
        ("isp-a-edge", "provider-smtp"),
        ("provider-smtp", "recipient-mx"),
        ("recipient-mx", MAILBOX),
    ]
    assert [h.leg for h in result.hops] == [1, 1, 2, 2]
    tls_notes = [s for s in result.trace if s.section == "RFC 8314 §3.3"]
    assert bool(tls_notes) is (port == 465)


def test_submission_auth_switched_off_lets_anyone_send() -> None:
    result = simulate("infected-pc", "provider-smtp", 587, policy=Policy(submission_auth=False))
    assert result.verdict is Verdict.DELIVERED
    assert any("anyone may now send" in s.text for s in result.trace)


# -- relay control: RFC 5321 §3.6 ---------------------------------------------------------------


def test_mx_refuses_to_relay_for_other_domains() -> None:
    result = simulate("isp-b-host", "recipient-mx", 25, rcpt_to="someone@elsewhere.example")
    assert result.final_hop.decision is Decision.RELAY_DENIED
    assert result.final_hop.reply.code == 554 and result.final_hop.reply.status == "5.7.1"
    assert result.final_hop.section == "RFC 5321 §3.6"


def test_isp_server_refuses_to_relay_for_outsiders() -> None:
    result = simulate("isp-b-host", "isp-a-mail", 25)
    assert result.final_hop.decision is Decision.RELAY_DENIED
    assert "not one of ISP A's customers" in result.final_hop.reason


def test_open_relay_when_relay_control_is_off() -> None:
    result = simulate("isp-b-host", "isp-a-mail", 25, policy=Policy(relay_control=False))
    assert result.verdict is Verdict.DELIVERED
    outside = simulate(
        "isp-b-host",
        "recipient-mx",
        25,
        rcpt_to="someone@elsewhere.example",
        policy=Policy(relay_control=False),
    )
    assert outside.verdict is Verdict.HANDED_ON
    assert outside.verdict.outcome is Outcome.WARN


def test_mx_refuses_unknown_mailboxes_with_550() -> None:
    """RFC 5321 §3.3: RCPT for a mailbox that does not exist gets 550; 5.1.1 is RFC 3463 §3.2."""
    result = simulate("isp-b-host", "recipient-mx", 25, rcpt_to="nobody@example.net")
    assert result.final_hop.decision is Decision.USER_UNKNOWN
    assert result.final_hop.reply.code == 550 and result.final_hop.reply.status == "5.1.1"


def test_isp_server_hands_on_mail_for_domains_outside_the_model() -> None:
    result = simulate("home-pc", "isp-a-mail", 25, rcpt_to="friend@elsewhere.example")
    assert result.verdict is Verdict.HANDED_ON
    assert "outside this model" in result.summary


# -- IP25B -----------------------------------------------------------------------------------------


def test_ip25b_refuses_other_isps_dynamic_pools() -> None:
    result = simulate("isp-b-host", "recipient-mx", 25, policy=Policy(ip25b=True))
    assert result.final_hop.decision is Decision.DYNAMIC_REFUSED
    assert result.final_hop.reply.line == (
        "554 5.7.1 Client host [192.0.2.55] is in a dynamic address pool"
    )


def test_ip25b_does_not_refuse_the_servers_own_customers_or_other_servers() -> None:
    own = simulate("home-pc", "isp-a-mail", 25, policy=Policy(ip25b=True))
    assert own.verdict is Verdict.DELIVERED  # ISP A's customer, and then ISP A's server to the MX
    via_provider = simulate(
        "isp-b-host",
        "provider-smtp",
        587,
        user=HANAKO,
        password=HANAKO_PASSWORD,
        policy=Policy(ip25b=True),
    )
    assert via_provider.verdict is Verdict.DELIVERED


def test_ip25b_behind_op25b_off_still_stops_the_bot() -> None:
    result = simulate("infected-pc", "recipient-mx", 25, policy=Policy(op25b=False, ip25b=True))
    assert result.final_hop.decision is Decision.DYNAMIC_REFUSED


# -- webmail and closed ports -----------------------------------------------------------------------


def test_webmail_needs_a_login() -> None:
    assert simulate("infected-pc", "webmail", 443).final_hop.decision is Decision.LOGIN_REQUIRED
    wrong = simulate("infected-pc", "webmail", 443, user=BOT_WEBMAIL, password="x")
    assert wrong.final_hop.decision is Decision.LOGIN_FAILED


def test_webmail_is_not_stopped_by_op25b() -> None:
    result = simulate(
        "infected-pc", "webmail", 443, user=BOT_WEBMAIL, password=BOT_WEBMAIL_PASSWORD
    )
    assert result.verdict is Verdict.DELIVERED
    assert result.hops[0].port == 443 and result.hops[0].decision is Decision.PASSED
    webmail_to_mx = next(h for h in result.hops if h.source == "webmail")
    assert webmail_to_mx.port == 25 and webmail_to_mx.target == "recipient-mx"


@pytest.mark.parametrize(
    ("dest", "port"),
    [("provider-smtp", 25), ("recipient-mx", 587), ("webmail", 25), ("recipient-mx", 2525)],
)
def test_a_port_nobody_listens_on_is_refused_at_once(dest: str, port: int) -> None:
    result = simulate("isp-b-host", dest, port)
    assert result.verdict is Verdict.UNREACHABLE
    assert result.final_hop.decision is Decision.NO_SERVICE
    assert "TCP reset" in result.final_hop.reason


def test_op25b_drops_before_the_port_is_even_tried() -> None:
    """Port 25 to a host with no port 25 still dies at the edge: the router decides first."""
    assert simulate("home-pc", "provider-smtp", 25).verdict is Verdict.DROPPED
    assert (
        simulate("home-pc", "provider-smtp", 25, policy=Policy(op25b=False)).verdict
        is Verdict.UNREACHABLE
    )


def test_credentials_on_an_mx_are_not_used() -> None:
    result = simulate("isp-b-host", "recipient-mx", 25, user=HANAKO, password=HANAKO_PASSWORD)
    assert result.verdict is Verdict.DELIVERED
    assert any("offers no SMTP AUTH" in s.text for s in result.trace)


# -- the prepared scenarios --------------------------------------------------------------------------


def test_the_issue_lists_eight_scenarios_and_we_add_ip25b() -> None:
    ids = [s.id for s in SCENARIOS]
    assert ids == [
        "user-via-isp",
        "user-direct-25",
        "user-submission-587",
        "user-wrong-password",
        "bot-direct-25",
        "bot-webmail",
        "bot-stolen-587",
        "no-op25b",
        "isp-b-ip25b",
    ]


@pytest.mark.parametrize("s", SCENARIOS, ids=lambda s: s.id)
def test_every_scenario_reaches_its_story(s) -> None:
    result = s.evaluate()
    assert result.verdict is s.expected
    assert result.trace[-1].text.startswith("Verdict: ")


def test_scenario_verdicts_by_name() -> None:
    expected = {
        "user-via-isp": Verdict.DELIVERED,
        "user-direct-25": Verdict.DROPPED,
        "user-submission-587": Verdict.DELIVERED,
        "user-wrong-password": Verdict.REFUSED,
        "bot-direct-25": Verdict.DROPPED,
        "bot-webmail": Verdict.DELIVERED,
        "bot-stolen-587": Verdict.DELIVERED,
        "no-op25b": Verdict.DELIVERED,
        "isp-b-ip25b": Verdict.REFUSED,
    }
    assert {k: scenario(k).evaluate().verdict for k in expected} == expected


def test_unknown_scenario() -> None:
    with pytest.raises(InputError, match=r"^Unknown scenario 'x': choose one of user-via-isp, "):
        scenario("x")


# -- bad input: messages are pinned ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("0", "The port 0 is outside 1-65535: TCP ports run from 1 to 65535."),
        ("65536", "The port 65536 is outside 1-65535: TCP ports run from 1 to 65535."),
        ("-25", "The port -25 is outside 1-65535: TCP ports run from 1 to 65535."),
        (
            "smtp",
            "The port 'smtp' is not a number: type a number from 1 to 65535, such as 25 or 587.",
        ),
        ("", "The port is empty: type a number from 1 to 65535, such as 25 or 587."),
    ],
)
def test_bad_ports(port: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        check_port(port)
    assert info.value.message == message


def test_good_ports() -> None:
    assert [check_port(p) for p in ("1", " 587 ", 65535, "25")] == [1, 587, 65535, 25]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("taro", "has no '@'"),
        ("taro@", "is not a valid mail address"),
        ("@example.net", "is not a valid mail address"),
        ("taro@localhost", "is not a valid mail address"),
        ("ta ro@example.net", "is not a valid mail address"),
        ("taro@exa_mple.net", "is not a valid mail address"),
        ("taro..x@example.net", "is not a valid mail address"),
        ("x" * 65 + "@example.net", "local part longer than 64"),
    ],
)
def test_bad_addresses(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        check_address(text)


def test_unknown_hosts_name_the_choices() -> None:
    with pytest.raises(InputError) as info:
        simulate("laptop", "recipient-mx", 25)
    assert info.value.message == (
        "Unknown host 'laptop': this model has home-pc, infected-pc, isp-b-host, isp-a-mail, "
        "provider-smtp, webmail, recipient-mx (a host name or address from the diagram works too)."
    )


def test_a_server_cannot_be_the_source_nor_a_client_the_destination() -> None:
    with pytest.raises(InputError, match="is a server"):
        simulate("recipient-mx", "isp-a-mail", 25)
    with pytest.raises(InputError, match="is a user's machine"):
        simulate("home-pc", "infected-pc", 25)


def test_credentials_need_both_parts() -> None:
    with pytest.raises(InputError, match="user name is empty"):
        Credentials("", "pw")
    with pytest.raises(InputError, match="password for 'u' is empty"):
        Credentials("u", "")
    assert "sakura" not in repr(Credentials(HANAKO, HANAKO_PASSWORD))


def test_unknown_policy_switch() -> None:
    with pytest.raises(InputError, match="Unknown policy switch 'op26b'"):
        Policy().switched(op26b=False)
    assert Policy().switched(op25b=False) == Policy(op25b=False)


# -- properties over every attempt ------------------------------------------------------------------

_sources = st.sampled_from([h.id for h in W.clients])
_dests = st.sampled_from([h.id for h in W.servers])
_ports = st.one_of(st.sampled_from([25, 465, 587, 443]), st.integers(1, 65535))
_policies = st.builds(Policy, st.booleans(), st.booleans(), st.booleans(), st.booleans())
_creds = st.sampled_from(
    [None, (HANAKO, HANAKO_PASSWORD), (HANAKO, "wrong"), (BOT_WEBMAIL, BOT_WEBMAIL_PASSWORD)]
)
_rcpts = st.sampled_from(
    ["taro@example.net", "sales@example.net", "nobody@example.net", "x@elsewhere.example"]
)


@settings(max_examples=300, deadline=None)
@given(_sources, _dests, _ports, _policies, _creds, _rcpts)
def test_every_attempt_has_a_consistent_path(source, dest, port, policy, creds, rcpt) -> None:
    credentials = Credentials(*creds) if creds else None
    attempt = Attempt.create(
        W, source=source, destination=dest, port=port, rcpt_to=rcpt, credentials=credentials
    )
    result = evaluate(attempt, policy)
    assert result.hops, "every attempt has at least one hop"
    # Hops chain: each starts where the previous one ended.
    for before, after in zip(result.hops, result.hops[1:], strict=False):
        assert after.source == before.target
    # Only the last hop may fail; the verdict follows the last hop.
    assert all(h.decision.outcome is not Outcome.FAIL for h in result.hops[:-1])
    assert (result.verdict is Verdict.DELIVERED) == (result.final_hop.target == MAILBOX)
    # OP25B: with it on, nothing from ISP A's pool reaches an outside server on port 25 directly.
    if policy.op25b and port == 25 and source != "isp-b-host" and dest != "isp-a-mail":
        assert result.verdict is Verdict.DROPPED
    # A delivery always ends in a mailbox of the MX's own domain.
    if result.verdict is Verdict.DELIVERED:
        assert rcpt in W.host("recipient-mx").mailboxes
