"""Chapter 07's DKIM labs, driven without a browser: what each change does to each
canonicalization (RFC 6376 §3.4), what the key record decides (§3.6), and bad input."""

from __future__ import annotations

import pytest

from mailsec.dkim.demo import (
    CANONICALIZATIONS,
    Change,
    KeyCase,
    apply_change,
    check_key,
    lab_message,
    try_all_canonicalizations,
)
from mailsec.errors import InputError
from mailsec.labs.dkim import canonicalization_lab, key_record_lab
from mailsec.labs.frame import percentile

MESSAGE = lab_message(
    "Alice <alice@example.com>", "Team meeting", "Hi all,\nthe meeting is on Friday at 10.\nAlice"
)

#: Which of simple/simple, simple/relaxed, relaxed/simple, relaxed/relaxed pass, and the rule.
EXPECTED = {
    Change.NOTHING: ("pass", "pass", "pass", "pass"),  # §6.1.3
    Change.SPACES: ("fail", "pass", "fail", "pass"),  # §3.4.4 relaxed body; §3.4.3 simple
    Change.REFOLD: ("fail", "fail", "pass", "pass"),  # §3.4.2 unfolding; §3.4.1 simple
    Change.NAME_CASE: ("fail", "fail", "pass", "pass"),  # §3.4.2 lower-case names
    Change.BLANK_LINES: ("pass", "pass", "pass", "pass"),  # §3.4.3 and §3.4.4: trailing CRLFs
    Change.NEW_HEADER: ("pass", "pass", "pass", "pass"),  # §5.4: unsigned fields do not count
    Change.SECOND_SUBJECT: ("pass", "pass", "pass", "pass"),  # §5.4.2: bottom-up, not oversigned
    Change.SUBJECT: ("fail", "fail", "fail", "fail"),  # a signed field changed
    Change.BODY_WORD: ("fail", "fail", "fail", "fail"),  # the body hash differs
    Change.FOOTER: ("fail", "fail", "fail", "fail"),  # no l=: the whole body is signed
}


@pytest.mark.parametrize("change", list(Change))
def test_each_change_against_each_canonicalization(change):
    trials = try_all_canonicalizations(MESSAGE, change)
    assert [t.canonicalization for t in trials] == list(CANONICALIZATIONS)
    assert tuple(t.verification.result.value for t in trials) == EXPECTED[change]
    assert all(t.received == apply_change(t.signed, change) for t in trials)


def test_body_length_lets_a_footer_through_and_oversigning_stops_a_second_subject():
    footer = try_all_canonicalizations(MESSAGE, Change.FOOTER, body_length=True)
    assert all(t.verification.passed and t.verification.unsigned_body > 0 for t in footer)
    second = try_all_canonicalizations(MESSAGE, Change.SECOND_SUBJECT, oversign=True)
    assert not any(t.verification.passed for t in second)


@pytest.mark.parametrize(
    ("case", "result", "words"),
    [
        (KeyCase.PUBLISHED, "pass", "verified"),
        (KeyCase.WRONG_SELECTOR, "permerror", "mial._domainkey.example.com"),
        (KeyCase.REVOKED, "permerror", "revoked"),
        (KeyCase.TESTING, "pass", "testing"),
    ],
)
def test_key_cases(case, result, words):
    check = check_key(MESSAGE, case)
    assert check.result == result and words in check.reason
    assert check.testing is (case is KeyCase.TESTING)


def test_an_edited_record_is_what_the_verifier_reads():
    from mailsec.dkim.course import course_signers

    record = course_signers()["example.com"].record
    assert check_key(MESSAGE, KeyCase.EDITED, record).passed
    assert check_key(MESSAGE, KeyCase.EDITED, record.replace("p=", "h=sha1; p=")).result == (
        "permerror"
    )
    assert check_key(MESSAGE, KeyCase.EDITED, "v=DKIM1; p=").result == "permerror"
    flipped = record[:-3] + ("A" if record[-3] != "A" else "B") + record[-2:]
    assert check_key(MESSAGE, KeyCase.EDITED, flipped).result in ("fail", "permerror")


def test_canonicalization_lab_follows_its_controls():
    lab = canonicalization_lab()
    assert 'data-result="fail"' in lab.result.value  # simple/simple with spaces changed
    lab.body_canon.value = "relaxed"
    assert 'data-result="pass"' in lab.result.value and not lab.error.value
    assert "↵" in lab.explanation.value  # the canonicalized data, made visible
    for change in Change:
        lab.change.value = change
        assert not lab.error.value, change
    lab.body.value = "   "
    assert "needs a body" in lab.error.value and lab.result.value == ""
    lab.body.value = "Back on Friday."
    assert not lab.error.value and lab.result.value
    lab.change.value = Change.BODY_WORD
    lab.body.value = "No weekday here."
    assert "Friday" in lab.error.value and lab.result.value == ""
    assert percentile(lab.timings, 95) < 0.5  # generous; the benchmark measures the real budget


def test_key_record_lab_switches_to_the_edited_record():
    lab = key_record_lab()
    assert lab.check.passed
    lab.record.value = lab.record.value.replace("p=", "t=y; p=")
    assert lab.case.value is KeyCase.EDITED and lab.check.testing
    lab.case.value = KeyCase.REVOKED
    assert lab.check.result == "permerror" and "revoked" in lab.result.value
    lab.record.value = "nonsense"
    assert lab.case.value is KeyCase.EDITED and "not a tag" in lab.result.value


def test_a_huge_message_is_refused():
    with pytest.raises(InputError, match="at most"):
        lab_message("a@example.com", "x", "y" * 200_000)
