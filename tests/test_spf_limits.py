"""Bounds on what one SPF check may cost: sender sizes and explanation lengths (RFC 5321, 7208)."""

from __future__ import annotations

import time

from mailsec import spf
from mailsec.spf.limits import MAX_EXPLANATION, MAX_LOCAL_PART
from mailsec.spf.zone import ZoneResolver


def _zone_with_long_explanation() -> ZoneResolver:
    strings = " ".join('"' + "%{s}" * 60 + '"' for _ in range(200))  # 48,000 characters of macros
    return ZoneResolver.from_text(
        f'big.example. TXT "v=spf1 -all exp=why.big.example"\nwhy.big.example. TXT {strings}\n'
    )


def test_a_long_explanation_is_cut_to_one_smtp_reply_line() -> None:
    zone = _zone_with_long_explanation()
    sender = "a" * MAX_LOCAL_PART + "@big.example"
    started = time.perf_counter()
    outcome = spf.check("192.0.2.1", sender, "mx.big.example", resolver=zone)
    assert time.perf_counter() - started < 5  # a last guard; it takes milliseconds
    assert outcome.result == "fail"
    assert outcome.explanation is not None
    assert len(outcome.explanation) == MAX_EXPLANATION and outcome.explanation.endswith("…")
    assert any("RFC 5321 §4.5.3.1.5" in (step.section or "") for step in outcome.trace)


def test_a_local_part_longer_than_64_octets_is_not_checked() -> None:
    zone = _zone_with_long_explanation()
    sender = "a" * (MAX_LOCAL_PART + 1) + "@big.example"
    outcome = spf.check("192.0.2.1", sender, "mx.big.example", resolver=zone)
    assert outcome.result == "none"
    assert outcome.explanation is None
    assert "65 octets long; RFC 5321 §4.5.3.1.1 allows at most 64" in (outcome.problem or "")
    assert outcome.lookups == 0


def test_a_local_part_of_64_multibyte_octets_counts_octets_not_characters() -> None:
    zone = _zone_with_long_explanation()
    sender = "あ" * 22 + "@big.example"  # 22 characters, 66 octets in UTF-8
    assert spf.check("192.0.2.1", sender, "mx.big.example", resolver=zone).result == "none"
