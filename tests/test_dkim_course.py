"""The course's DKIM keys: made at run time, published in the course zone beside SPF and DMARC."""

from __future__ import annotations

import pytest

from mailsec import dkim
from mailsec.dkim.course import (
    COURSE_SELECTORS,
    course_resolver,
    course_signers,
    course_zone_text,
    sign_as,
)
from mailsec.errors import InputError
from mailsec.spf.lookup import as_source

MAIL = b"From: <someone@{domain}>\r\nTo: <you@example.net>\r\nSubject: Hello\r\n\r\nHi.\r\n"


@pytest.mark.parametrize("domain", sorted(COURSE_SELECTORS))
def test_every_course_domain_signs_and_verifies(domain):
    signed = sign_as(domain, MAIL.replace(b"{domain}", domain.encode()))
    (check,) = dkim.verify(signed, resolver=course_resolver())
    selector, algorithm = COURSE_SELECTORS[domain]
    assert (check.result, check.domain, check.selector, check.algorithm) == (
        "pass", domain, selector, algorithm,
    )  # fmt: skip


def test_keys_are_made_once_and_differ_between_domains():
    assert course_signers() is course_signers()
    records = {s.record for s in course_signers().values()}
    assert len(records) == len(COURSE_SELECTORS)


def test_testing_and_revoked_selectors():
    signed = sign_as("example.com", MAIL.replace(b"{domain}", b"example.com"), testing=True)
    (check,) = dkim.verify(signed, resolver=course_resolver())
    assert (check.result, check.selector, check.testing) == ("pass", "test", True)
    answer = as_source(course_resolver()).lookup("2024._domainkey.bank.example", "TXT")
    assert [b"".join(r) for r in answer.records] == [b"v=DKIM1; k=rsa; p="]


def test_the_zone_keeps_spf_and_dmarc():
    text = course_zone_text()
    assert '_dmarc            TXT   "v=DMARC1; p=reject;' in text
    assert "v=spf1 ip4:192.0.2.40 ip4:192.0.2.41 -all" in text
    assert "PRIVATE" not in text


def test_an_unknown_domain_is_refused():
    with pytest.raises(InputError, match="no DKIM key in the course zone"):
        sign_as("nospf.example", MAIL)
