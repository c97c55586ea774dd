"""The SPF renderer: words and symbols beside every colour, text alternatives on pictures."""

from __future__ import annotations

import html
import re

from mailsec.render.spf import (
    check_html,
    flow_svg,
    lint_html,
    lookup_meter,
    record_table,
    results_table,
    trace_html,
)
from mailsec.spf import check, example_resolver, lint


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_lookup_meter_says_the_count_in_words() -> None:
    meter = lookup_meter(7, voids=1)
    assert 'aria-label="7 of 10 DNS lookups · 1 of 2 void lookups"' in meter
    assert meter.count("■") == 7 and meter.count("□") == 3
    over = lookup_meter(11)
    assert "11 of 10 DNS lookups — over the limit: permerror (RFC 7208 §4.6.4)" in _text(over)
    assert over.count("✗") == 1


def test_verdict_has_a_symbol_a_word_and_a_machine_readable_result() -> None:
    outcome = check("203.0.113.66", "alice@example.com", "x.example", resolver=example_resolver())
    fragment = check_html(outcome)
    assert 'class="mailsec-spf-verdict" data-result="fail"' in fragment
    text = _text(fragment)
    assert "✗ fail" in text
    assert "The domain's administrator says this server must not send its mail." in text
    assert "Received-SPF: fail" in text
    assert "3 of 10 DNS lookups" in text


def test_trace_nests_included_records() -> None:
    outcome = check("198.51.100.25", "alice@example.com", "x.example", resolver=example_resolver())
    fragment = trace_html(outcome)
    # The provider's record is evaluated one level down (margin of 22 px per level).
    assert re.search(
        r"margin:2px 0 2px 22px[^>]*>.*SPF record of _spf\.mailhost\.example", fragment
    )
    assert "[RFC 7208 §5.2]" in _text(fragment)


def test_record_table_explains_each_term_and_marks_lookups() -> None:
    table = _text(record_table("v=spf1 ip4:192.0.2.0/24 mx:mail.example.com/24 ~all exp=x.example"))
    assert "matches IPv4 clients in 192.0.2.0/24" in table
    assert "mx → pass" in table and "all → softfail" in table
    assert "on fail, the explanation text is in the TXT record of x.example" in table
    broken = _text(record_table("v=spf1 ip4:192.0.2.0/33"))
    assert "syntax error" in broken and "larger than 32" in broken


def test_results_table_lists_the_seven_results() -> None:
    text = _text(results_table())
    for word in ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"):
        assert f" {word} " in text
    assert "550 5.7.23" in text


def test_lint_html_uses_severity_words() -> None:
    text = _text(lint_html(lint("toomany.example", resolver=example_resolver())))
    assert "✗ error" in text
    assert "13 of 10 DNS lookups" in text


def test_flow_diagram_has_a_title_and_a_description() -> None:
    svg = str(flow_svg())
    assert '<title id="spf-flow-title">How an SPF check works</title>' in svg
    assert 'aria-labelledby="spf-flow-title spf-flow-desc"' in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)
    assert "TXT record of example.com" in html.unescape(desc)
    assert "<figcaption>" in svg  # the same description as visible text
