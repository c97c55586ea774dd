"""DMARC evaluation, scenario by scenario, on an offline zone (RFC 7489 §3, §6.6).

Each test names the section its expectation comes from. SPF and DKIM outcomes are given as
simple values (the evaluation takes any object with ``.result``, ``.domain`` and ``.selector`` for
DKIM); the last tests run the course's own SPF and DKIM checks end to end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from mailsec.dmarc import (
    Disposition,
    DmarcResult,
    Policy,
    PolicyOverride,
    SpfInput,
    SpfScope,
    evaluate,
    evaluate_domain,
)
from mailsec.errors import InputError
from mailsec.spf import ZoneResolver
from mailsec.spf import check as spf_check
from mailsec.trace import steps_to_text

ZONE = ZoneResolver.from_text(
    r"""
_dmarc.example.com.            TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"
_dmarc.own.example.com.        TXT "v=DMARC1; p=none"
_dmarc.strict.example.         TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
_dmarc.nosp.example.           TXT "v=DMARC1; p=quarantine"
_dmarc.half.example.           TXT "v=DMARC1; p=reject; pct=50"
_dmarc.quarter.example.        TXT "v=DMARC1; p=quarantine; pct=25"
_dmarc.zero.example.           TXT "v=DMARC1; p=reject; pct=0"
_dmarc.monitor.example.        TXT "v=DMARC1; p=none"
_dmarc.twice.example.          TXT "v=DMARC1; p=reject"
_dmarc.twice.example.          TXT "v=DMARC1; p=none"
_dmarc.multi.fallback.example. TXT "v=DMARC1; p=none"
_dmarc.multi.fallback.example. TXT "v=DMARC1; p=quarantine"
_dmarc.fallback.example.       TXT "v=DMARC1; p=reject"
_dmarc.mixed.example.          TXT "v=spf1 -all"
_dmarc.mixed.example.          TXT "google-site-verification=abc"
_dmarc.mixed.example.          TXT "v=DMARC1; p=quarantine"
_dmarc.spfonly.example.        TXT "v=spf1 -all"
_dmarc.lower.example.          TXT "v=dmarc1; p=reject"
_dmarc.badp.example.           TXT "v=DMARC1; p=block; rua=mailto:d@badp.example"
_dmarc.broken.example.         TXT "v=DMARC1; p=block"
_dmarc.split.example.          TXT "v=DMARC1; " "p=reject"
_dmarc.example.co.jp.          TXT "v=DMARC1; p=reject"
_dmarc.xn--r8jz45g.jp.         TXT "v=DMARC1; p=quarantine"
""",
    timeouts=("_dmarc.slow.example",),
    failures=("_dmarc.servfail.example", "_dmarc.orgfail.example"),
)


@dataclass(frozen=True)
class Dkim:
    """A DKIM verification as the evaluation reads it (a test double)."""

    result: str
    domain: str | None
    selector: str | None = "sel"


def message(from_value: str = "Alice <alice@example.com>", *, extra: str = "") -> bytes:
    head = f"From: {from_value}\r\n" if from_value is not None else ""
    return (head + extra + "To: bob@example.net\r\nSubject: hi\r\n\r\nHello\r\n").encode()


def run(
    from_value: str,
    *,
    spf: SpfInput | None = None,
    dkim: tuple[Dkim, ...] = (),
    sample: float | random.Random | None = 0.0,
):  # type: ignore[no-untyped-def]
    return evaluate(message(from_value), spf=spf, dkim=dkim, resolver=ZONE, sample=sample)


# -- alignment decides the result (§3.1, §4.2, §6.6.2) ------------------------------------------


def test_aligned_spf_alone_passes() -> None:
    # §3.1.2 relaxed: bounces.example.com and example.com share the organizational domain.
    outcome = run("alice@example.com", spf=SpfInput("pass", "bounces.example.com"))
    assert outcome.result is DmarcResult.PASS
    assert outcome.disposition is Disposition.NONE
    assert outcome.spf is not None and outcome.spf.aligned
    assert outcome.dkim == ()
    assert outcome.reason == (
        "DMARC passed: SPF passed for a domain aligned with the From: domain example.com."
    )


def test_aligned_dkim_alone_passes() -> None:
    # §3.1.1: a DKIM pass for d=example.com is enough, whatever SPF said.
    outcome = run(
        "alice@example.com",
        spf=SpfInput("fail", "example.com"),
        dkim=(Dkim("pass", "example.com"),),
    )
    assert outcome.result is DmarcResult.PASS
    assert outcome.spf is not None and not outcome.spf.aligned
    assert [d.aligned for d in outcome.dkim] == [True]
    assert outcome.reason.startswith("DMARC passed: a DKIM signature passed")


def test_passes_for_other_domains_do_not_count() -> None:
    # §3.1: a forger's own SPF and DKIM pass, but for a domain that is not the From: domain's.
    outcome = run(
        "alice@example.com",
        spf=SpfInput("pass", "mailer.example.net"),
        dkim=(Dkim("pass", "mailer.example.net"),),
    )
    assert outcome.result is DmarcResult.FAIL
    assert outcome.policy is Policy.REJECT
    assert outcome.disposition is Disposition.REJECT
    assert not outcome.spf_aligned and not outcome.dkim_aligned


@pytest.mark.parametrize("spf_result", ["softfail", "neutral", "none", "temperror", "fail"])
def test_only_an_spf_pass_counts(spf_result: str) -> None:
    # §3.1.2 and §4.2: alignment applies to an identifier SPF *authenticated*.
    outcome = run("alice@example.com", spf=SpfInput(spf_result, "example.com"))
    assert outcome.result is DmarcResult.FAIL
    assert outcome.spf is not None and not outcome.spf.aligned


@pytest.mark.parametrize("dkim_result", ["fail", "permerror", "temperror", "neutral", "policy"])
def test_only_a_dkim_pass_counts(dkim_result: str) -> None:
    # §3.1.1: only signatures that verified are authenticated identifiers.
    outcome = run("alice@example.com", dkim=(Dkim(dkim_result, "example.com"),))
    assert outcome.result is DmarcResult.FAIL
    assert not outcome.dkim[0].aligned


def test_one_aligned_signature_among_several_is_enough() -> None:
    # §4.2 and §6.6.2: one aligned pass among all the identifiers makes DMARC pass.
    outcome = run(
        "alice@example.com",
        dkim=(
            Dkim("pass", "esp.example.net", "esp"),
            Dkim("fail", "example.com", "old"),
            Dkim("pass", "mail.example.com", "new"),
        ),
    )
    assert outcome.result is DmarcResult.PASS
    assert [(d.domain, d.selector, d.aligned) for d in outcome.dkim] == [
        ("esp.example.net", "esp", False),
        ("example.com", "old", False),
        ("mail.example.com", "new", True),
    ]


def test_a_signature_without_a_domain_cannot_align() -> None:
    outcome = run("alice@example.com", dkim=(Dkim("permerror", None, None),))
    assert outcome.result is DmarcResult.FAIL
    assert outcome.dkim[0].domain is None
    assert "names no signing domain" in steps_to_text(outcome.trace)


@pytest.mark.parametrize(
    ("spf_domain", "expected"),
    [("strict.example", "pass"), ("STRICT.example.", "pass"), ("mail.strict.example", "fail")],
)
def test_strict_spf_alignment_needs_the_same_domain(spf_domain: str, expected: str) -> None:
    # §3.1.2: aspf=s requires an exact match (case-insensitive); relaxed would accept the subdomain.
    outcome = run("alice@strict.example", spf=SpfInput("pass", spf_domain))
    assert outcome.result == expected
    relaxed = run("alice@nosp.example", spf=SpfInput("pass", "mail.nosp.example"))
    assert relaxed.result is DmarcResult.PASS


@pytest.mark.parametrize(
    ("d", "expected"),
    [("strict.example", "pass"), ("Strict.Example", "pass"), ("mail.strict.example", "fail")],
)
def test_strict_dkim_alignment_needs_the_same_domain(d: str, expected: str) -> None:
    # §3.1.1: adkim=s requires d= to be the From: domain itself.
    outcome = run("alice@strict.example", dkim=(Dkim("pass", d),))
    assert outcome.result == expected
    relaxed = run("alice@nosp.example", dkim=(Dkim("pass", "mail.nosp.example"),))
    assert relaxed.result is DmarcResult.PASS


def test_relaxed_alignment_works_across_subdomains_both_ways() -> None:
    # §3.1.1 example: From: news.example.com, d=example.com aligns in relaxed mode.
    outcome = run("n@news.example.com", dkim=(Dkim("pass", "example.com"),))
    assert outcome.result is DmarcResult.PASS


# -- which policy (§6.3 p and sp, §6.6.3) -----------------------------------------------------


def test_the_subdomain_policy_applies_to_subdomains() -> None:
    # §6.3 sp: the record at example.com asks sp=quarantine for its subdomains.
    outcome = run("n@news.example.com", spf=SpfInput("fail", "news.example.com"))
    assert outcome.result is DmarcResult.FAIL
    assert outcome.record_domain == "example.com"
    assert outcome.subdomain_policy is True
    assert outcome.policy is Policy.QUARANTINE
    assert outcome.disposition is Disposition.QUARANTINE


def test_the_domain_itself_gets_p_not_sp() -> None:
    # §6.3 sp "applies only to subdomains of the domain queried and not to the domain itself".
    outcome = run("a@example.com")
    assert outcome.policy is Policy.REJECT
    assert outcome.subdomain_policy is False
    assert outcome.disposition is Disposition.REJECT


def test_without_sp_the_policy_covers_subdomains() -> None:
    # §6.3 sp: "If absent, the policy specified by the "p" tag MUST be applied for subdomains."
    outcome = run("a@deep.sub.nosp.example")
    assert outcome.subdomain_policy is True
    assert outcome.policy is Policy.QUARANTINE
    assert "the record has no sp=, so p= covers subdomains too" in steps_to_text(outcome.trace)


def test_a_subdomain_with_its_own_record_uses_it() -> None:
    # §6.6.3 step 1: the From: domain's own record is found first; the organization is not asked.
    outcome = run("a@own.example.com")
    assert outcome.record_domain == "own.example.com"
    assert outcome.policy is Policy.NONE
    assert outcome.subdomain_policy is False
    assert [s.text for s in outcome.trace if "Asked DNS" in s.text] == [
        'Asked DNS for the TXT records at _dmarc.own.example.com: "v=DMARC1; p=none".'
    ]


def test_discovery_falls_back_to_the_organizational_domain() -> None:
    # §6.6.3 steps 1-3: nothing at _dmarc.mail.example.com, so _dmarc.example.com is asked.
    outcome = run("a@a.b.mail.example.com", dkim=(Dkim("pass", "example.com"),))
    queries = [s.data["query"] for s in outcome.trace if "query" in s.data]
    assert queries == ["TXT _dmarc.a.b.mail.example.com", "TXT _dmarc.example.com"]
    assert outcome.organizational_domain == "example.com"
    assert outcome.result is DmarcResult.PASS


def test_a_record_in_several_strings_is_joined() -> None:
    outcome = run("a@split.example")
    assert outcome.policy is Policy.REJECT


# -- no policy: none, temperror, permerror (§6.6.3) --------------------------------------------


def test_no_record_means_dmarc_does_not_apply() -> None:
    # §6.6.3 step 5: no record at either name; DMARC is not applied.
    outcome = run("a@mail.nowhere.example", spf=SpfInput("fail", "nowhere.example"))
    assert outcome.result is DmarcResult.NONE
    assert outcome.policy is None
    assert outcome.record is None
    assert outcome.disposition is Disposition.NONE
    assert outcome.reason == (
        "mail.nowhere.example publishes no DMARC record, nor does its organizational domain "
        "nowhere.example, so DMARC does not apply."
    )


def test_txt_records_that_are_not_dmarc_are_set_aside() -> None:
    # §6.6.3 step 2: an SPF record and a site-verification token at _dmarc do not count.
    outcome = run("a@mixed.example")
    assert outcome.policy is Policy.QUARANTINE
    assert "2 TXT record(s) at _dmarc.mixed.example do not start with v=DMARC1" in steps_to_text(
        outcome.trace
    )
    only_spf = run("a@spfonly.example")
    assert only_spf.result is DmarcResult.NONE
    # §6.3 v: "The value of this tag MUST match precisely", so v=dmarc1 is no DMARC record.
    lower = run("a@lower.example")
    assert lower.result is DmarcResult.NONE and lower.policy is None


def test_several_records_mean_no_record() -> None:
    # §6.6.3 step 5: "If the remaining set contains multiple records ... DMARC processing is not
    # applied to this message."
    outcome = run("a@twice.example")
    assert outcome.result is DmarcResult.NONE
    assert outcome.policy is None
    assert outcome.reason == (
        "_dmarc.twice.example has several DMARC records; with more than one, DMARC does not "
        "apply (RFC 7489 §6.6.3)."
    )


def test_several_records_at_the_from_domain_do_not_fall_back() -> None:
    # §6.6.3 step 3 asks the organizational domain only "if the set is now empty".
    outcome = run("a@multi.fallback.example")
    assert outcome.result is DmarcResult.NONE
    assert outcome.record_domain == "multi.fallback.example"
    assert "_dmarc.fallback.example" not in steps_to_text(outcome.trace)


@pytest.mark.parametrize(
    ("from_domain", "detail"),
    [
        ("slow.example", "timed out: no answer (test zone)"),
        ("servfail.example", "DNS error: SERVFAIL (test zone)"),
        ("x.orgfail.example", "DNS error: SERVFAIL (test zone)"),
    ],
)
def test_a_dns_failure_is_a_temperror(from_domain: str, detail: str) -> None:
    # RFC 7489 §11.2: temperror, "A temporary error occurred during DMARC evaluation"; a failure
    # is not the absence of a record (§6.6.3), so no policy and no fallback.
    outcome = run(f"a@{from_domain}")
    assert outcome.result is DmarcResult.TEMPERROR
    assert outcome.policy is None
    assert outcome.disposition is Disposition.NONE
    assert detail in outcome.reason


def test_an_invalid_policy_with_a_report_address_is_read_as_none() -> None:
    # §6.6.3 step 6.1: act as if p=none, so the owner gets reports about the mistake.
    outcome = run("a@badp.example")
    assert outcome.result is DmarcResult.FAIL
    assert outcome.policy is Policy.NONE
    assert outcome.disposition is Disposition.NONE
    assert outcome.record is not None and outcome.record.problems


def test_an_invalid_policy_without_a_report_address_is_a_permerror() -> None:
    # §6.6.3 step 6.2: "the Mail Receiver applies no DMARC processing"; §11.2 permerror.
    outcome = run("a@broken.example", dkim=(Dkim("pass", "broken.example"),))
    assert outcome.result is DmarcResult.PERMERROR
    assert outcome.policy is None
    assert outcome.disposition is Disposition.NONE
    assert outcome.reason == (
        "The DMARC record at _dmarc.broken.example cannot be used: p='block' is not a policy: "
        "use none, quarantine or reject (RFC 7489 §6.3)."
    )


# -- pct sampling (§6.6.4) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "sample", "disposition", "override"),
    [
        ("half.example", 0.0, "reject", None),
        ("half.example", 0.4999, "reject", None),
        ("half.example", 0.5, "quarantine", "sampled_out"),  # reject → quarantine
        ("half.example", 0.99, "quarantine", "sampled_out"),
        ("quarter.example", 0.2, "quarantine", None),
        ("quarter.example", 0.25, "none", "sampled_out"),  # quarantine → none
        ("zero.example", 0.0, "quarantine", "sampled_out"),  # pct=0: nothing is sampled in
        ("example.com", 0.999, "reject", None),  # pct=100 (default): everything is
        ("monitor.example", 0.0, "none", None),  # p=none has nothing to lower
    ],
)
def test_pct_applies_the_policy_to_a_share_and_lowers_it_for_the_rest(
    domain: str, sample: float, disposition: str, override: str | None
) -> None:
    # §6.6.4: messages not subject to "reject" are treated as "quarantine"; those not subject to
    # "quarantine" get normal local classification (none).
    outcome = run(f"a@{domain}", sample=sample)
    assert outcome.result is DmarcResult.FAIL
    assert outcome.disposition == disposition
    assert outcome.override == override


def test_a_passing_message_is_never_sampled() -> None:
    outcome = run("a@half.example", dkim=(Dkim("pass", "half.example"),), sample=0.9)
    assert outcome.disposition is Disposition.NONE
    assert outcome.override is None


def test_a_seeded_random_makes_sampling_repeatable() -> None:
    def dispositions(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [run("a@half.example", sample=rng).disposition.value for _ in range(400)]

    first, again = dispositions(7), dispositions(7)
    assert first == again
    rejected = first.count("reject")
    assert 150 < rejected < 250  # about pct=50 of 400
    assert set(first) == {"reject", "quarantine"}
    assert dispositions(8) != first


def test_without_a_sample_the_module_draws_one() -> None:
    seen = {run("a@half.example", sample=None).disposition for _ in range(60)}
    assert seen == {Disposition.REJECT, Disposition.QUARANTINE}


@pytest.mark.parametrize("bad", [1.0, -0.1, True, "0.5", float("nan")])
def test_a_sample_outside_zero_to_one_is_refused(bad: object) -> None:
    with pytest.raises(InputError) as caught:
        run("a@half.example", sample=bad)  # type: ignore[arg-type]
    assert caught.value.message.startswith("sample must be a number from 0 up to")


# -- the author domain (§6.6.1) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("", "The message has no From: field."),
        ("From: a@example.com\r\nFrom: b@example.com\r\n", "The message has 2 From: fields."),
        ("From: a@example.com, b@evil.example\r\n", "The From: field names authors in 2 domains"),
        ("From: undisclosed-recipients:;\r\n", "The From: field holds a group"),
        ("From: Alice\r\n", "The From: field's 'Alice' is not an address"),
        ("From: a@[192.0.2.1]\r\n", "The From: address has the domain literal '[192.0.2.1]'"),
        ('From: "Alice <a@example.com>\r\n', "The From: field has a quoted text that is never"),
        ("From: a@exa..mple.com\r\n", "The From: domain cannot be used: 'exa..mple.com' is not"),
        ("From: <>\r\n", "The From: field's '< >' is not an address"),
        ("From: \r\n", "The From: field holds no address"),
    ],
)
def test_no_single_author_domain_is_a_permerror_and_rejected(head: str, reason: str) -> None:
    # §6.6.1: such messages "are typically rejected"; that is this module's choice.
    data = (head + "To: bob@example.net\r\n\r\nHello\r\n").encode()
    outcome = evaluate(data, spf=SpfInput("pass", "example.com"), dkim=(), resolver=ZONE)
    assert outcome.result is DmarcResult.PERMERROR
    assert outcome.disposition is Disposition.REJECT
    assert outcome.from_domain is None and outcome.policy is None
    assert outcome.reason.startswith(reason)
    assert outcome.spf is not None and outcome.spf.result == "pass" and not outcome.spf.aligned
    assert outcome.trace[0].section == "RFC 7489 §6.6.1"


def test_several_addresses_in_one_domain_are_one_author_domain() -> None:
    outcome = run("a@example.com, B@EXAMPLE.COM", dkim=(Dkim("pass", "example.com"),))
    assert outcome.from_domain == "example.com"
    assert outcome.result is DmarcResult.PASS


def test_the_display_name_is_not_the_address() -> None:
    # A display name that looks like an address is text; the address in <> is the author.
    outcome = run('"alice@example.com" <mallory@evil.example>', dkim=(Dkim("pass", "example.com"),))
    assert outcome.from_domain == "evil.example"
    assert outcome.result is DmarcResult.NONE


def test_case_comments_and_folding_do_not_change_the_author_domain() -> None:
    data = b"From: Alice (Sales)\r\n <Alice@Example.COM> (work)\r\n\r\nHi\r\n"
    outcome = evaluate(data, spf=None, dkim=(Dkim("pass", "example.com"),), resolver=ZONE)
    assert outcome.from_domain == "example.com"
    assert outcome.result is DmarcResult.PASS


def test_an_internationalized_from_domain_is_looked_up_as_a_labels() -> None:
    outcome = run("taro@メール.例え.jp")
    assert outcome.from_domain == "xn--4dkua4c.xn--r8jz45g.jp"
    assert outcome.record_domain == "xn--r8jz45g.jp"
    assert outcome.policy is Policy.QUARANTINE


def test_a_message_too_large_to_read_is_an_input_error() -> None:
    with pytest.raises(InputError):
        evaluate(b"From: a@example.com\r\n" + b"X: y\r\n" * 30_000 + b"\r\n", spf=None, dkim=())


# -- public suffixes (§3.2) ---------------------------------------------------------------------


def test_a_multi_label_suffix_is_not_an_organization() -> None:
    # co.jp is a public suffix: example.co.jp and other.co.jp are different organizations.
    aligned = run("a@mail.example.co.jp", spf=SpfInput("pass", "bounce.example.co.jp"))
    assert aligned.organizational_domain == "example.co.jp"
    assert aligned.record_domain == "example.co.jp"
    assert aligned.result is DmarcResult.PASS
    other = run("a@example.co.jp", spf=SpfInput("pass", "other.co.jp"))
    assert other.result is DmarcResult.FAIL
    assert other.disposition is Disposition.REJECT


def test_a_from_domain_that_is_a_public_suffix_is_its_own_organization() -> None:
    outcome = run("a@co.jp", spf=SpfInput("pass", "example.co.jp"))
    assert outcome.organizational_domain == "co.jp"
    assert outcome.result is DmarcResult.NONE
    text = steps_to_text(outcome.trace)
    assert "co.jp is itself a public suffix" in text
    assert text.count("Asked DNS") == 1  # no second lookup of the same name


# -- inputs ------------------------------------------------------------------------------------


def test_spf_input_reads_text_and_refuses_what_is_not_a_result() -> None:
    given = SpfInput("PASS", "example.com", "helo")
    assert given.result == "pass" and given.scope is SpfScope.HELO
    with pytest.raises(InputError) as caught:
        SpfInput("maybe", "example.com")
    assert caught.value.message == (
        "'maybe' is not an SPF result: use one of none, neutral, pass, fail, softfail, "
        "temperror, permerror (RFC 7208 §2.6)."
    )
    with pytest.raises(InputError):
        SpfInput("pass", "example.com", "envelope")


def test_a_dkim_result_that_is_not_one_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        run("a@example.com", dkim=(Dkim("ok", "example.com"),))
    assert caught.value.message.startswith("'ok' is not a DKIM result")


def test_spf_must_be_an_spf_input() -> None:
    with pytest.raises(InputError) as caught:
        evaluate(message(), spf="pass", dkim=(), resolver=ZONE)  # type: ignore[arg-type]
    assert "SpfInput.from_check" in caught.value.message


def test_evaluate_domain_starts_from_a_domain() -> None:
    outcome = evaluate_domain("News.Example.COM.", spf=None, dkim=(), resolver=ZONE, sample=0.1)
    assert outcome.from_domain == "news.example.com"
    assert outcome.disposition is Disposition.QUARANTINE


def test_every_step_cites_an_rfc_section() -> None:
    outcome = run("a@news.example.com", spf=SpfInput("pass", "x.example"), sample=0.3)
    assert all(step.section and step.section.startswith("RFC ") for step in outcome.trace)
    sections = {step.section for step in outcome.trace}
    for expected in ("§6.6.1", "§3.2", "§6.6.3", "§6.3", "§3.1.2", "§6.6.2", "§6.6.4"):
        assert any(s.endswith(expected) for s in sections if s), expected


# -- end to end with the course's SPF and DKIM -------------------------------------------------


def test_spf_check_and_dkim_verify_feed_dmarc() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from mailsec import dkim

    key = ed25519.Ed25519PrivateKey.generate()
    zone = ZoneResolver.from_text(
        'example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"\n'
        '_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s"\n'
        + dkim.zone_entry("mail", "example.com", dkim.key_record(key))
        + "\n"
    )
    signed = dkim.sign(message(), domain="example.com", selector="mail", private_key=key)
    checks = dkim.verify(signed, resolver=zone)
    good = spf_check("192.0.2.10", "bounces@example.com", "mx.example.com", resolver=zone)
    outcome = evaluate(signed, spf=SpfInput.from_check(good), dkim=checks, resolver=zone)
    assert outcome.result is DmarcResult.PASS
    assert outcome.spf is not None and outcome.spf.aligned and outcome.spf.domain == "example.com"
    assert [(d.domain, d.selector, d.aligned) for d in outcome.dkim] == [
        ("example.com", "mail", True)
    ]
    # The same message from an unauthorised server, with its body changed on the way.
    tampered = signed.replace(b"Hello", b"Pay me")
    bad = spf_check("203.0.113.5", "bounces@example.com", "mx.evil.example", resolver=zone)
    outcome = evaluate(
        tampered,
        spf=SpfInput.from_check(bad),
        dkim=dkim.verify(tampered, resolver=zone),
        resolver=zone,
    )
    assert outcome.result is DmarcResult.FAIL
    assert outcome.disposition is Disposition.REJECT
    assert outcome.dkim[0].result == "fail"


def test_a_null_sender_uses_the_helo_identity() -> None:
    # RFC 7208 §2.4: for MAIL FROM:<> SPF checks the HELO name; DMARC then aligns that domain.
    zone = ZoneResolver.from_text(
        'mx.example.com. TXT "v=spf1 ip4:192.0.2.10 -all"\n'
        '_dmarc.example.com. TXT "v=DMARC1; p=reject"\n'
    )
    bounce = spf_check("192.0.2.10", "", "mx.example.com", resolver=zone)
    spf = SpfInput.from_check(bounce)
    assert spf == SpfInput("pass", "mx.example.com", SpfScope.HELO)
    outcome = evaluate(message("MAILER-DAEMON@example.com"), spf=spf, dkim=(), resolver=zone)
    assert outcome.result is DmarcResult.PASS
    assert "the HELO name, as MAIL FROM was empty" in steps_to_text(outcome.trace)


def test_overrides_are_named_for_reports() -> None:
    outcome = run("a@half.example", sample=0.75)
    assert outcome.override is PolicyOverride.SAMPLED_OUT
    assert "left this message out of the policy" in outcome.reason
