"""Organizational domains (RFC 7489 §3.2) and identifier alignment (§3.1.1, §3.1.2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.dmarc import (
    AlignmentMode,
    is_aligned,
    is_public_suffix,
    normalize_domain,
    organizational_domain,
    public_suffix,
)
from mailsec.errors import InputError

RELAXED, STRICT = AlignmentMode.RELAXED, AlignmentMode.STRICT


@pytest.mark.parametrize(
    ("domain", "organization"),
    [
        ("example.com", "example.com"),
        ("mail.example.com", "example.com"),
        ("a.b.c.example.com", "example.com"),
        # A multi-label public suffix: co.jp is the suffix, so one more label is the organization.
        ("example.co.jp", "example.co.jp"),
        ("www.example.co.jp", "example.co.jp"),
        ("a.b.example.co.jp", "example.co.jp"),
        ("news.example.co.uk", "example.co.uk"),
        # The private section: every github.io name is its own organization.
        ("alice.github.io", "alice.github.io"),
        ("www.alice.github.io", "alice.github.io"),
        # A TLD missing from the list: the default rule "*" makes it the suffix.
        ("bank.example", "bank.example"),
        ("mail.bank.example", "bank.example"),
        # Wildcard and exception rules (*.kawasaki.jp, !city.kawasaki.jp).
        ("a.b.kawasaki.jp", "a.b.kawasaki.jp"),
        ("www.city.kawasaki.jp", "city.kawasaki.jp"),
    ],
)
def test_organizational_domain_is_the_suffix_and_one_label(domain: str, organization: str) -> None:
    assert organizational_domain(domain) == organization


@pytest.mark.parametrize("domain", ["com", "co.jp", "jp", "github.io", "b.kawasaki.jp"])
def test_a_public_suffix_is_its_own_organizational_domain(domain: str) -> None:
    # §3.2 gives no label to add; the module's choice is the name itself.
    assert is_public_suffix(domain)
    assert organizational_domain(domain) == domain


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("EXAMPLE.COM", "example.com"),
        ("Mail.Example.Co.JP.", "mail.example.co.jp"),
        ("example.com.", "example.com"),
        ("例え.jp", "xn--r8jz45g.jp"),
        ("メール.例え.JP", "xn--4dkua4c.xn--r8jz45g.jp"),
        ("XN--R8JZ45G.JP", "xn--r8jz45g.jp"),
    ],
)
def test_names_are_compared_in_one_form(written: str, normal: str) -> None:
    assert normalize_domain(written) == normal


def test_internationalized_names_have_the_organization_of_their_a_labels() -> None:
    assert organizational_domain("メール.例え.jp") == "xn--r8jz45g.jp"
    assert organizational_domain("www.xn--r8jz45g.jp") == "xn--r8jz45g.jp"
    assert public_suffix("例え.jp") == "jp"


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("", "The domain name is empty."),
        (".", "The domain name is empty."),
        (
            "a..example",
            "'a..example' is not a domain name: it has an empty label (two dots in a row, or a "
            "dot at the start).",
        ),
        (
            "exa mple.com",
            "'exa mple.com' is not a domain name: ' ' may not appear in one; use letters, digits "
            "and hyphens.",
        ),
        (
            "a" * 64 + ".com",
            "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'… (8 more "
            "characters) is not a domain name: the label 'aaaaaaaaaaaaaaaaaaaa'… (44 more "
            "characters) is longer than 63 characters (RFC 1035 §2.3.4).",
        ),
        (
            ".".join(["abcdefghi"] * 26),
            f"{'.'.join(['abcdefghi'] * 26)[:60]!r}… (199 more characters) is not a domain "
            "name: it is longer than 253 characters (RFC 1035 §2.3.4).",
        ),
    ],
)
def test_what_is_not_a_domain_is_refused_with_a_reason(domain: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        normalize_domain(domain)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("identifier", "from_domain", "relaxed", "strict"),
    [
        # §3.1.1/§3.1.2: strict needs the same name (without case); relaxed the same organization.
        ("example.com", "example.com", True, True),
        ("EXAMPLE.com.", "example.COM", True, True),
        ("mail.example.com", "example.com", True, False),
        ("example.com", "news.example.com", True, False),
        ("bounces.example.com", "news.example.com", True, False),
        ("example.net", "example.com", False, False),
        ("example.com.evil.example", "example.com", False, False),
        # Multi-label suffixes: the organizations differ though both end in co.jp.
        ("other.co.jp", "example.co.jp", False, False),
        ("mail.example.co.jp", "example.co.jp", True, False),
        # A public suffix aligns only with itself.
        ("co.jp", "example.co.jp", False, False),
        ("alice.github.io", "bob.github.io", False, False),
        ("例え.jp", "mail.xn--r8jz45g.jp", True, False),
        ("not a domain", "example.com", False, False),
    ],
)
def test_alignment_modes(identifier: str, from_domain: str, relaxed: bool, strict: bool) -> None:
    assert is_aligned(identifier, from_domain, RELAXED) is relaxed
    assert is_aligned(identifier, from_domain, STRICT) is strict


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
suffix = st.sampled_from(["com", "co.jp", "jp", "github.io", "example", "kawasaki.jp", "uk"])
domain = st.tuples(st.lists(label, max_size=4), suffix).map(lambda t: ".".join([*t[0], t[1]]))


@given(domain)
@settings(max_examples=300)
def test_the_organizational_domain_is_idempotent(name: str) -> None:
    organization = organizational_domain(name)
    assert organizational_domain(organization) == organization
    assert name == organization or name.endswith("." + organization)


@given(domain, st.sampled_from([str.upper, str.lower, lambda s: s + "."]))
@settings(max_examples=200)
def test_alignment_ignores_case_and_a_final_dot(name: str, change) -> None:  # type: ignore[no-untyped-def]
    assert is_aligned(change(name), name, STRICT)
    assert is_aligned(change(name), name, RELAXED)


@given(domain, domain)
@settings(max_examples=300)
def test_strict_alignment_implies_relaxed_and_relaxed_is_symmetric(a: str, b: str) -> None:
    if is_aligned(a, b, STRICT):
        assert is_aligned(a, b, RELAXED)
    assert is_aligned(a, b, RELAXED) == is_aligned(b, a, RELAXED)
