"""Broken chains, the limit of 50 sets, chains sealed as failed, and what the sealer refuses
(RFC 8617 §4.2.1, §5.1, §5.1.2, §5.2)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from test_arc_story import (
    LIST_KEY,
    T0,
    ZONE,
    ZONE_TEXT,
    check,
    forward_seal,
    list_seal,
    posted,
    texts,
)

from mailsec import arc
from mailsec.arc import MAX_INSTANCES, ArcResult, Part
from mailsec.arc.fields import read_arc_field
from mailsec.arc.signatures import check_message_signature, check_seal
from mailsec.dkim import DkimResult, key_record, read_message, zone_entry
from mailsec.dkim.canon import HeaderField, Message, canonicalize_body
from mailsec.errors import InputError
from mailsec.spf import ZoneResolver
from mailsec.trace import Outcome

TWO_SETS = forward_seal(posted())
EMPTY_ZONE = ZoneResolver.from_text('example.com. TXT "nothing here"')


def arc_fields(message: bytes) -> list[tuple[Part, int | None, HeaderField]]:
    fields = read_message(message).fields
    return [
        (found.part, found.instance, found.field)
        for position, field in enumerate(fields, start=1)
        if field.key.startswith("arc-")
        for found in [read_arc_field(field, position)]
    ]


def edited(message: bytes, keep=lambda part, instance: True, change=None) -> bytes:  # type: ignore[no-untyped-def]
    """``message`` without the ARC fields ``keep`` refuses, and with ``change`` applied to the
    raw bytes of those it returns a replacement for."""
    parsed = read_message(message)
    fields = []
    for position, field in enumerate(parsed.fields, start=1):
        if field.key.startswith("arc-"):
            found = read_arc_field(field, position)
            if not keep(found.part, found.instance):
                continue
            if change is not None:
                field = HeaderField(field.name, change(found.part, found.instance, field.raw))
        fields.append(field)
    return Message(tuple(fields), parsed.body).to_bytes()


def field_of(message: bytes, part: Part, instance: int) -> HeaderField:
    (field,) = [f for p, i, f in arc_fields(message) if (p, i) == (part, instance)]
    return field


# -- a broken structure (§5.2) ------------------------------------------------------------------


def test_a_gap_in_the_instances_fails() -> None:
    renumbered = edited(
        TWO_SETS, change=lambda part, i, raw: raw.replace(b"i=2;", b"i=3;") if i == 2 else raw
    )
    chain = check(renumbered)
    assert chain.result is ArcResult.FAIL
    assert chain.reason == "There is no ARC set 2: the sets must be numbered 1 to 3 without gaps."
    assert chain.highest_instance == 3
    assert chain.instances[1].instance == 3 and chain.instances[1].domain == "forward.example.net"


def test_a_chain_without_set_1_fails() -> None:
    chain = check(edited(TWO_SETS, keep=lambda part, i: i != 1))
    assert chain.reason == "There is no ARC set 1: the sets must be numbered 1 to 2 without gaps."


def test_a_whole_set_with_a_repeated_instance_fails() -> None:
    repeated = edited(
        TWO_SETS, change=lambda part, i, raw: raw.replace(b"i=2;", b"i=1;") if i == 2 else raw
    )
    chain = check(repeated)
    assert chain.result == "fail" and chain.highest_instance == 1
    assert chain.reason == (
        "ARC set 1 has 2 ARC-Authentication-Results fields; each set has exactly one."
    )


def test_a_duplicated_field_fails() -> None:
    extra = field_of(TWO_SETS, Part.RESULTS, 1).raw + b"\r\n"
    chain = check(extra + TWO_SETS)
    assert chain.result == "fail"
    assert chain.reason == (
        "ARC set 1 has 2 ARC-Authentication-Results fields; each set has exactly one."
    )


@pytest.mark.parametrize("part", list(Part))
def test_a_set_missing_one_field_fails(part: Part) -> None:
    chain = check(edited(TWO_SETS, keep=lambda p, i: (p, i) != (part, 2)))
    assert chain.result == "fail"
    assert chain.reason == (
        f"ARC set 2 has no {part.label}; each set has exactly one of each ARC field."
    )
    assert chain.trace[-2].section == "RFC 8617 §5.2"


def test_set_1_must_say_cv_none() -> None:
    chain = check(edited(TWO_SETS, change=lambda p, i, raw: raw.replace(b"cv=none", b"cv=pass")))
    assert chain.reason == (
        "The ARC-Seal of set 1 says cv=pass; the first sealer had no chain to validate, so it "
        "must say cv=none."
    )


def test_later_sets_must_say_cv_pass() -> None:
    chain = check(edited(TWO_SETS, change=lambda p, i, raw: raw.replace(b"cv=pass", b"cv=none")))
    assert chain.reason == (
        "The ARC-Seal of set 2 says cv=none; every seal after the first must say cv=pass."
    )


def test_the_structure_is_checked_before_any_dns_query() -> None:
    broken = edited(TWO_SETS, keep=lambda p, i: (p, i) != (Part.SEAL, 1))
    asked: list[str] = []

    class Recording:
        def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None):  # type: ignore[no-untyped-def]
            asked.append(name)
            return ZONE.lookup(name, rdtype)

    assert arc.validate(broken, resolver=Recording(), now=T0).result == "fail"
    assert asked == []


# -- cv=fail: sealed once, then closed (§5.1, §5.1.2) -------------------------------------------


def test_a_broken_chain_is_sealed_once_with_cv_fail_over_its_own_set_only() -> None:
    tampered = TWO_SETS.replace(b"noon?", b"one?")
    assert check(tampered).result == "fail"
    resealed = list_seal(tampered, results="arc=fail")
    new_seal = field_of(resealed, Part.SEAL, 3)
    assert b"i=3;" in new_seal.raw and b"cv=fail;" in new_seal.raw
    # §5.1.2: the seal signs only the set it belongs to, as if it were the only one.
    sets = {part: read_arc_field(field_of(resealed, part, 3), 1).value for part in Part}
    new_set = arc.ArcSet(3, sets[Part.RESULTS], sets[Part.MESSAGE_SIGNATURE], sets[Part.SEAL])  # type: ignore[arg-type]
    assert check_seal((), new_set, ZONE).result is DkimResult.PASS
    chain = check(resealed)
    assert (chain.result, chain.closed) == (ArcResult.FAIL, True)
    assert chain.reason == (
        "The newest ARC-Seal (i=3) says cv=fail: an intermediary found the chain broken and "
        "closed it."
    )


def test_a_closed_chain_is_not_sealed_again() -> None:
    closed = list_seal(TWO_SETS.replace(b"noon?", b"one?"), results="arc=fail")
    with pytest.raises(InputError) as caught:
        forward_seal(closed)
    assert str(caught.value) == (
        "The newest ARC-Seal already says cv=fail: an intermediary found the chain broken and "
        "closed it, and RFC 8617 §5.1 adds nothing after that."
    )


# -- the limit of 50 sets (§4.2.1) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def fifty() -> bytes:
    message = posted()
    for hop in range(2, MAX_INSTANCES + 1):
        message = list_seal(message, results=f"arc=pass hop={hop}")
    return message


def test_a_chain_of_50_sets_passes(fifty: bytes) -> None:
    chain = check(fifty)
    assert chain.result == "pass" and chain.highest_instance == 50
    assert [i.instance for i in chain.instances] == list(range(1, 51))
    assert all(i.seal_result is DkimResult.PASS for i in chain.instances)
    assert chain.instance(50).results == "arc=pass hop=50"  # type: ignore[union-attr]


def test_a_51st_set_is_refused_by_the_sealer(fifty: bytes) -> None:
    with pytest.raises(InputError) as caught:
        list_seal(fifty)
    assert str(caught.value) == (
        "The message already has ARC sets up to i=50; RFC 8617 §4.2.1 allows at most 50, so it "
        "cannot be sealed again."
    )


def test_a_chain_of_51_sets_fails_before_anything_is_verified(fifty: bytes) -> None:
    copies = b"".join(
        field_of(fifty, part, 50).raw.replace(b"i=50;", b"i=51;") + b"\r\n" for part in Part
    )
    chain = check(copies + fifty)
    assert chain.result == "fail"
    assert (
        chain.reason == "The message has 51 ARC sets; at most 50 are allowed, so the chain fails."
    )
    assert all(i.ams_result is None and i.seal_result is None for i in chain.instances)


def test_an_instance_above_50_fails_on_its_number() -> None:
    renumbered = edited(posted(), change=lambda p, i, raw: raw.replace(b"i=1;", b"i=51;"))
    chain = check(renumbered)
    assert chain.reason == "An ARC set has the instance i=51; instances go from 1 to 50."
    assert chain.trace[-2].section == "RFC 8617 §4.2.1"


# -- keys and DNS --------------------------------------------------------------------------------


def test_a_dns_failure_fails_the_chain_for_good() -> None:
    failing = ZoneResolver.from_text(ZONE_TEXT, failures=["arc._domainkey.lists.example.org"])
    chain = check(posted(), resolver=failing)
    assert chain.result is ArcResult.FAIL  # there is no temperror in ARC (§5.2.1)
    assert chain.instance(1).ams_result is DkimResult.TEMPERROR  # type: ignore[union-attr]
    assert chain.reason.startswith(
        "The newest ARC-Message-Signature (set 1, d='lists.example.org') does not verify. "
        "The key record at 'arc._domainkey.lists.example.org' could not be fetched"
    )
    permanent = [s for s in chain.trace if s.section == "RFC 8617 §5.2.1"]
    assert permanent and permanent[0].outcome is Outcome.WARN


def test_a_missing_or_revoked_key_fails_with_dkims_reason() -> None:
    missing = ZoneResolver.from_text(zone_entry("mail", "example.com", key_record(LIST_KEY)))
    chain = check(posted(), resolver=missing)
    assert chain.instance(1).ams_result is DkimResult.PERMERROR  # type: ignore[union-attr]
    assert "There is no key record at 'arc._domainkey.lists.example.org'" in chain.reason
    revoked = ZoneResolver.from_text(
        zone_entry("arc", "lists.example.org", "v=DKIM1; k=ed25519; p=")
    )
    chain = check(posted(), resolver=revoked)
    assert chain.reason.endswith(
        "The key at 'arc._domainkey.lists.example.org' has an empty p=: the domain revoked it."
    )


def test_a_seal_made_with_another_key_fails() -> None:
    other = ed25519.Ed25519PrivateKey.generate()
    zone = ZoneResolver.from_text(zone_entry("arc", "lists.example.org", key_record(other)))
    chain = check(posted(), resolver=zone)
    assert chain.result == "fail"
    assert "does not verify" in chain.reason
    assert "b= does not verify with the key." in texts(chain)


# -- what the sealer refuses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"authserv_id": "lists example"}, "authserv_id must be one word"),
        ({"authserv_id": "a;b"}, "authserv_id must be one word"),
        ({"results": "dkim=pass\r\nX-Evil: yes"}, "results must be one line of printable ASCII"),
        ({"results": "  "}, "results must be one line"),
        ({"results": "dkim=pass \u00e9"}, "results must be one line"),
        ({"headers": ("from", "ARC-Seal")}, "headers must not include 'ARC-Seal': RFC 8617"),
        ({"headers": ("from", "authentication-results")}, "must not include 'authentication"),
        ({"headers": "from"}, "headers must be a list of field names"),
        ({"headers": ("subject",)}, "headers must include 'from'"),
        ({"domain": "lists_example.org"}, "d='lists_example.org' is not a domain name"),
        ({"selector": "a b"}, "s='a b' is not a domain name"),
        (
            {"private_key": ec.generate_private_key(ec.SECP256R1())},
            "DKIM signs with an RSA or Ed25519 private key, not ECPrivateKey.",
        ),
    ],
)
def test_what_cannot_be_sealed_is_refused_with_a_sentence(options: dict, message: str) -> None:
    arguments: dict[str, object] = {
        "domain": "lists.example.org",
        "selector": "arc",
        "private_key": LIST_KEY,
        "authserv_id": "lists.example.org",
        "results": "dkim=pass",
        "now": T0,
        "resolver": ZONE,
    }
    arguments.update(options)
    with pytest.raises(InputError) as caught:
        arc.seal(posted(), **arguments)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_a_message_that_is_not_mail_is_an_input_error_for_both() -> None:
    with pytest.raises(InputError, match="not a header field"):
        arc.validate(b"no colon here\r\n\r\nbody", resolver=ZONE)
    with pytest.raises(InputError, match="A message is read as bytes"):
        arc.validate("ARC-Seal: i=1", resolver=ZONE)  # type: ignore[arg-type]


# -- one signature at a time (mailsec.arc.signatures) --------------------------------------------


def one_set(message: bytes, instance: int = 1) -> arc.ArcSet:
    found = {part: read_arc_field(field_of(message, part, instance), 1).value for part in Part}
    return arc.ArcSet(instance, *found.values())  # type: ignore[arg-type]


def test_an_expired_message_signature_fails_before_any_dns_query() -> None:
    message = posted()
    ams = one_set(message).message_signature
    expiring = replace(ams, signature=replace(ams.signature, expiration=T0 + 5))
    parsed = read_message(message)
    body = lambda method: canonicalize_body(parsed.body, method)  # noqa: E731
    check = check_message_signature(parsed, expiring, EMPTY_ZONE, T0 + 6, body)
    assert (check.result, check.reason) == (
        DkimResult.FAIL,
        "The signature expired at x=1800000005.",
    )
    assert check.steps == ()
    assert check_message_signature(parsed, expiring, ZONE, T0 + 5, body).passed


def test_a_seal_without_a_key_record_is_a_permerror() -> None:
    check = check_seal((), one_set(posted()), EMPTY_ZONE)
    assert check.result is DkimResult.PERMERROR
    assert check.reason.startswith("There is no key record at 'arc._domainkey.lists.example.org'")


def test_results_know_their_meaning_and_look() -> None:
    assert [r.outcome for r in ArcResult] == [Outcome.INFO, Outcome.OK, Outcome.FAIL]
    assert ArcResult.FAIL.meaning.endswith("as if it carried no ARC sets at all (RFC 8617 §5.2).")
    assert str(ArcResult.PASS) == "pass" and ArcResult.NONE.section == "RFC 8617 §4.4"
    assert check(posted()).instance(2) is None
