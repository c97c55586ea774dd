"""Chapter 07's DMARC lab and the bank story behind it, each expectation with the rule it follows."""

from __future__ import annotations

import pytest

from mailsec.dmarc.scenarios import Changes, Scenario, run
from mailsec.errors import InputError
from mailsec.labs.dmarc import dmarc_lab
from mailsec.labs.frame import percentile

#: spf, dkim results, dmarc, disposition — and why.
EXPECTED = {
    # aligned SPF and DKIM pass (RFC 7489 §4.2)
    Scenario.GENUINE: ("pass", ("pass",), "pass", "none"),
    # everything passes for evil.example, nothing aligns with bank.example (§3.1); p=reject (§6.3)
    Scenario.OWN_DOMAIN: ("pass", ("pass",), "fail", "reject"),
    # SPF fail, no signature (§4.2)
    Scenario.SPOOFED: ("fail", (), "fail", "reject"),
    # forwarding breaks SPF but the aligned DKIM signature survives (§4.2, RFC 6376 §1.3)
    Scenario.FORWARDED: ("fail", ("pass",), "pass", "none"),
    # the list's changes break DKIM; its own MAIL FROM is not aligned; p=quarantine (§6.3)
    Scenario.MAILING_LIST: ("pass", ("fail",), "fail", "quarantine"),
    # the provider's domains are not news.example's (strict alignment, §3.1.1); quarantine
    Scenario.PROVIDER: ("none", ("pass",), "fail", "quarantine"),
    # no record at the subdomain: the organization's record and its sp= apply (§6.6.3, §6.3)
    Scenario.SUBDOMAIN: ("fail", (), "fail", "quarantine"),
}


@pytest.mark.parametrize("scenario", list(Scenario))
def test_each_scenario_at_alices_server(scenario):
    sent, check, record = run(scenario)
    spf, dkim, dmarc, disposition = EXPECTED[scenario]
    assert check.spf.result == spf
    assert tuple(v.result.value for v in check.dkim) == dkim
    assert (check.dmarc.result, check.disposition) == (dmarc, disposition)
    assert check.header.startswith("Authentication-Results: mx.example.net; ")
    assert record is not None and record.startswith("v=DMARC1")
    assert check.dmarc.from_domain == sent.from_domain


def test_the_list_is_delivered_only_when_its_arc_seal_is_trusted():
    """RFC 8617 §7.2: a receiver may use a trusted intermediary's recorded results."""
    _sent, plain, _ = run(Scenario.MAILING_LIST)
    assert plain.arc.result == "pass" and plain.disposition == "quarantine"
    _sent, trusted, _ = run(Scenario.MAILING_LIST, Changes(trust_list=True))
    assert trusted.dmarc.result == "fail" and trusted.disposition == "none"
    assert trusted.dmarc.override == "trusted_forwarder" and "arc=pass" in trusted.header


def test_policy_alignment_and_sampling_changes():
    _s, own, record = run(Scenario.OWN_DOMAIN, Changes(policy="none"))
    assert own.disposition == "none" and "p=none" in record  # §6.3: monitoring only
    _s, forwarded, _ = run(Scenario.FORWARDED, Changes(dkim_alignment="s"))
    assert forwarded.dmarc.result == "pass"  # d=bank.example is the From: domain exactly
    _s, sampled, _ = run(Scenario.PROVIDER, Changes(sample=0.7))
    assert sampled.disposition == "none" and sampled.dmarc.override == "sampled_out"  # §6.6.4
    _s, inside, _ = run(Scenario.PROVIDER, Changes(sample=0.3))
    assert inside.disposition == "quarantine"
    with pytest.raises(InputError, match="below 1"):
        run(Scenario.GENUINE, Changes(sample=1.0))


def test_the_lab_follows_its_controls():
    lab = dmarc_lab()
    assert 'data-disposition="reject"' in lab.result.value
    assert "not aligned" in lab.result.value and "bank.example" in lab.result.value
    lab.scenario.value = Scenario.FORWARDED
    assert 'data-result="pass"' in lab.result.value
    lab.scenario.value = Scenario.MAILING_LIST
    lab.trust.value = True
    assert lab.check.disposition == "none" and "Local policy" in lab.result.value
    lab.sample.value = 0.5
    lab.policy.value = "reject"
    assert lab.check.dmarc.record.policy == "reject"
    for scenario in Scenario:
        lab.scenario.value = scenario
        assert not lab.error.value, scenario
    assert percentile(lab.timings, 95) < 0.5  # generous; the benchmark measures the real budget
