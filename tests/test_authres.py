"""mailsec.authres: how Authentication-Results values are quoted (RFC 8601 §2.2), for every writer."""

from __future__ import annotations

import pytest

from mailsec.authres import comment, pvalue, value


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("pass", "pass"),
        ("mx.example.net", "mx.example.net"),
        ("a/b", '"a/b"'),  # "/" is a tspecial (RFC 2045 §5.1): a dot-atom allows it, a token not
        ("x=y", '"x=y"'),
        ("what?", '"what?"'),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
    ],
)
def test_values_are_tokens_or_quoted_strings(text, written):
    assert value(text) == written


def test_property_values_may_be_addresses_or_domains():
    assert pvalue("alice@example.com") == "alice@example.com"
    assert pvalue("@example.com") == "@example.com"
    assert pvalue("mail.example.com") == "mail.example.com"
    assert pvalue("not a domain") == '"not a domain"'


def test_nothing_a_sender_writes_adds_a_header_line():
    hostile = "x\r\nX-Injected: yes"
    for written in (value(hostile), pvalue(hostile), comment(hostile)):
        assert "\r" not in written and "\n" not in written
    assert comment("a (b) c\\") == "(a \\(b\\) c\\\\)"


def test_spf_writes_its_reason_by_this_rule():
    from mailsec import spf

    check = spf.check("192.0.2.1", "a@broken.example", "h.example", resolver=spf.example_resolver())
    field = spf.authentication_results(check)
    assert check.result == "permerror" and ' reason="' in field and "\n" not in field
