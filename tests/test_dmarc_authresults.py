"""Authentication-Results (RFC 8601) for DMARC evaluations: written, read back, and refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.dmarc import (
    SpfInput,
    authentication_results,
    evaluate,
    parse_authentication_results,
)
from mailsec.errors import InputError
from mailsec.spf import ZoneResolver

ZONE = ZoneResolver.from_text(
    '_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine"\n',
    failures=("_dmarc.down.example",),
)


@dataclass(frozen=True)
class Dkim:
    result: str
    domain: str | None
    selector: str | None


def outcome(from_address: str = "alice@news.example.com", **kwargs):  # type: ignore[no-untyped-def]
    data = f"From: {from_address}\r\nTo: b@example.net\r\n\r\nHi\r\n".encode()
    kwargs.setdefault("spf", SpfInput("pass", "bounces.example.com"))
    kwargs.setdefault(
        "dkim", (Dkim("pass", "example.com", "mail"), Dkim("fail", "x.example", "s2"))
    )
    return evaluate(data, resolver=ZONE, sample=0.0, **kwargs)


def test_the_value_carries_spf_each_signature_and_dmarc() -> None:
    value = authentication_results(outcome(), authserv_id="mx.example.net")
    assert value == (
        "mx.example.net; spf=pass smtp.mailfrom=bounces.example.com; "
        "dkim=pass header.d=example.com header.s=mail; "
        "dkim=fail header.d=x.example header.s=s2; "
        "dmarc=pass (p=reject sp=quarantine dis=none) header.from=news.example.com"
    )


def test_it_reads_back_what_it_writes() -> None:
    evaluation = outcome(spf=SpfInput("softfail", "bounces.example.com"), dkim=())
    value = authentication_results(evaluation, authserv_id="mx.example.net")
    parsed = parse_authentication_results("Authentication-Results: " + value)
    assert parsed.authserv_id == "mx.example.net"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "softfail"),
        ("dkim", "none"),
        ("dmarc", "fail"),
    ]
    (dmarc,) = parsed.find("dmarc")
    assert dmarc.get("header.from") == "news.example.com"
    assert dmarc.comments == ("p=reject sp=quarantine dis=quarantine",)
    assert parsed.find("spf")[0].get("smtp.mailfrom") == "bounces.example.com"


def test_the_helo_identity_is_written_as_smtp_helo() -> None:
    evaluation = outcome(spf=SpfInput("pass", "mx.example.com", "helo"))
    parsed = parse_authentication_results(authentication_results(evaluation, authserv_id="mx"))
    assert parsed.find("spf")[0].properties == (("smtp.helo", "mx.example.com"),)


@pytest.mark.parametrize(
    ("from_address", "reason"),
    [
        ("a@down.example", "DNS lookup of _dmarc.down.example failed"),
        ("a@b.example, c@d.example", "no single From: domain"),
    ],
)
def test_errors_carry_a_short_ascii_reason(from_address: str, reason: str) -> None:
    evaluation = outcome(from_address)
    value = authentication_results(evaluation, authserv_id="mx")
    assert value.isascii()
    (dmarc,) = parse_authentication_results(value).find("dmarc")
    assert dmarc.result == evaluation.result.value
    assert dmarc.reason == reason


def test_values_that_are_not_tokens_are_quoted() -> None:
    # RFC 8601 §2.2: a value is a token or a quoted-string (RFC 2045 §5.1 tspecials).
    tricky = 'odd "selector"; dmarc=pass\r\nX-Injected: yes'
    evaluation = outcome(dkim=(Dkim("pass", "example.com", tricky),))
    value = authentication_results(evaluation, authserv_id="mx (main); spf=pass")
    assert "\r" not in value and "\n" not in value
    assert value.startswith('"mx (main); spf=pass"; ')
    parsed = parse_authentication_results(value)
    assert parsed.authserv_id == "mx (main); spf=pass"
    assert [r.method for r in parsed.results] == ["spf", "dkim", "dmarc"]
    assert (
        parsed.find("dkim")[0].get("header.s") == 'odd "selector"; dmarc=pass\\r\\nX-Injected: yes'
    )


def test_an_empty_authserv_id_is_refused() -> None:
    with pytest.raises(InputError):
        authentication_results(outcome(), authserv_id="  ")


def test_real_world_forms_are_read() -> None:
    # RFC 8601 Appendix B.4-style: version, method versions, comments, CFWS around '=' and '.'.
    parsed = parse_authentication_results(
        "example.com 1;\r\n"
        "  spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=user@example.com;\r\n"
        '  dkim/1 = pass reason="good signature" header . d = example.com header.b=AbC/+9x=;\r\n'
        "  dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com"
    )
    assert parsed.version == 1
    spf, dkim, dmarc = parsed.results
    assert spf.get("smtp.mailfrom") == "user@example.com"
    assert spf.comments == ("sender IP is 192.0.2.1",)
    assert (dkim.version, dkim.reason, dkim.get("header.d")) == (1, "good signature", "example.com")
    assert dkim.get("header.b") == "AbC/+9x="
    assert dmarc.get("HEADER.FROM") == "example.com"


def test_no_result_is_read_as_none() -> None:
    # RFC 8601 §2.2 no-result: "authserv-id; none".
    parsed = parse_authentication_results("mx.example.net; none")
    assert parsed.results == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "",
            "Expected the authserv-id at character 1 of the Authentication-Results value, found "
            "the end of the value.",
        ),
        (
            "mx.example.net",
            "Expected ';' at character 15 of the Authentication-Results value, "
            "found the end of the value.",
        ),
        (
            "mx; spf",
            "Expected '=' at character 8 of the Authentication-Results value, found the "
            "end of the value.",
        ),
        (
            "mx; spf=pass smtp",
            "Expected '.' at character 18 of the Authentication-Results value, "
            "found the end of the value.",
        ),
        (
            "mx; spf=pass (open",
            "The comment that opens at character 14 of the "
            "Authentication-Results value is never closed.",
        ),
        (
            'mx; dkim=pass reason="x',
            "The quoted string that opens at character 22 of the "
            "Authentication-Results value is never closed.",
        ),
        (
            "mx; spf=pass; ;",
            "Expected a method name such as dkim at character 15 of the Authentication-Results "
            "value, found ';'.",
        ),
        (
            "mx; spf=pass " + "(" * 40 + ")" * 40,
            "The Authentication-Results value nests comments more than 16 deep.",
        ),
    ],
)
def test_what_is_not_rfc_8601_is_refused(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_authentication_results(text)
    assert caught.value.message == message


def test_an_oversized_value_is_refused_before_reading() -> None:
    with pytest.raises(InputError) as caught:
        parse_authentication_results("mx; spf=pass smtp.mailfrom=" + "a" * 20_000)
    assert "characters long" in caught.value.message


#: Printable text (what is not printable is written as an escape, so it cannot round-trip).
printable = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=20)
printable = printable.filter(str.isprintable)


@given(printable, printable, st.sampled_from(["pass", "fail", "neutral", "permerror"]))
@settings(max_examples=200)
def test_any_selector_and_authserv_id_round_trip(server: str, selector: str, result: str) -> None:
    if not server.strip():
        return
    evaluation = outcome(dkim=(Dkim(result, "example.com", selector),))
    parsed = parse_authentication_results(authentication_results(evaluation, authserv_id=server))
    assert parsed.authserv_id == server.strip()
    (dkim,) = parsed.find("dkim")
    assert (dkim.result, dkim.get("header.s")) == (result, selector)


@given(st.text(max_size=60))
@settings(max_examples=300)
def test_the_reader_reads_or_refuses_any_text(text: str) -> None:
    try:
        parse_authentication_results(text)
    except InputError as exc:
        assert exc.message
