"""ARC in the course's mailing-list story (RFC 8617 §5.1, §5.2): the author signs with DKIM, the
list changes the Subject and adds a footer, the author's signature breaks, and the list's ARC set
carries what the list saw on arrival to the final receiver. Keys are generated here.

Other ARC test files import the helpers at the top of this one.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from mailsec import arc, dkim
from mailsec.arc import ArcResult, ArcValidation
from mailsec.dkim import DkimResult, key_record, zone_entry
from mailsec.errors import InputError
from mailsec.spf import ZoneResolver
from mailsec.trace import Outcome

T0 = 1_800_000_000
"""When the author signs and the list seals (January 2027)."""

AUTHOR_KEY = ed25519.Ed25519PrivateKey.generate()
LIST_KEY = ed25519.Ed25519PrivateKey.generate()
FORWARDER_KEY = ed25519.Ed25519PrivateKey.generate()

#: The DNS every party sees: the author's DKIM key, the list's and the forwarder's ARC keys.
ZONE_TEXT = "\n".join(
    (
        zone_entry("mail", "example.com", key_record(AUTHOR_KEY)),
        zone_entry("arc", "lists.example.org", key_record(LIST_KEY)),
        zone_entry("arc", "forward.example.net", key_record(FORWARDER_KEY)),
    )
)
ZONE = ZoneResolver.from_text(ZONE_TEXT)

MESSAGE = (
    b"From: Alice <alice@example.com>\r\n"
    b"To: Team <team@lists.example.org>\r\n"
    b"Subject: Lunch on Friday\r\n"
    b"Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"
    b"Message-ID: <lunch-1@example.com>\r\n"
    b"\r\n"
    b"Shall we meet at noon?\r\n"
)

FOOTER = b"-- \r\nteam mailing list: https://lists.example.org/team\r\n"
LIST_RESULTS = "dkim=pass header.d=example.com header.s=mail; arc=none"


def authored() -> bytes:
    """The message as it leaves the author's domain: DKIM-signed by example.com."""
    return dkim.sign(
        MESSAGE, domain="example.com", selector="mail", private_key=AUTHOR_KEY, timestamp=T0
    )


def list_changes(message: bytes) -> bytes:
    """What the list does to a post: a tag in the Subject, a List-Id, a footer."""
    changed = message.replace(b"Subject: Lunch", b"Subject: [team] Lunch")
    return b"List-Id: <team.lists.example.org>\r\n" + changed + FOOTER


def sealed_by(
    message: bytes, key: object, domain: str, authserv_id: str, results: str, **options: object
) -> bytes:
    """``message`` sealed by ``domain`` (selector "arc") with this story's DNS."""
    options.setdefault("resolver", ZONE)
    return arc.seal(
        message,
        domain=domain,
        selector="arc",
        private_key=key,
        authserv_id=authserv_id,
        results=results,
        **options,  # type: ignore[arg-type]
    )


def list_seal(message: bytes, results: str = LIST_RESULTS, **options: object) -> bytes:
    options.setdefault("now", T0)
    return sealed_by(
        message, LIST_KEY, "lists.example.org", "lists.example.org", results, **options
    )


def forward_seal(message: bytes, results: str = "arc=pass", **options: object) -> bytes:
    options.setdefault("now", T0 + 30)
    return sealed_by(
        message, FORWARDER_KEY, "forward.example.net", "mx.forward.example.net", results, **options
    )


def posted() -> bytes:
    """The post as the list sends it on: changed, then sealed (§5.1: changes come first)."""
    return list_seal(list_changes(authored()))


def check(message: bytes, resolver: object = ZONE, now: int = T0 + 60) -> ArcValidation:
    return arc.validate(message, resolver=resolver, now=now)


def texts(validation: ArcValidation) -> str:
    return "\n".join(step.text for step in validation.trace)


# -- the story ------------------------------------------------------------------------------------


def test_the_list_sees_a_dkim_pass_and_no_chain_on_arrival() -> None:
    (arrival,) = dkim.verify(authored(), resolver=ZONE, now=T0 + 10)
    assert arrival.result is DkimResult.PASS
    chain = check(authored())
    assert chain.result is ArcResult.NONE and chain.result == "none"
    assert chain.reason == "The message has no ARC header fields: there is no chain to validate."
    assert chain.instances == () and chain.highest_instance == 0


def test_at_the_final_receiver_dkim_fails_but_arc_carries_the_lists_dkim_pass() -> None:
    delivered = posted()
    (author,) = dkim.verify(delivered, resolver=ZONE, now=T0 + 60)
    assert author.result is DkimResult.FAIL  # the Subject tag and the footer broke it
    assert author.reason == "The body hash does not match bh=: the body was changed after signing."

    chain = check(delivered)
    assert chain.result is ArcResult.PASS and chain.passed
    assert chain.reason == (
        "The chain of 1 ARC set verified; the last sealer is 'lists.example.org'. Use the "
        "results the sets recorded only from sealers you trust."
    )
    (first,) = chain.instances
    assert (first.instance, first.domain, first.selector) == (1, "lists.example.org", "arc")
    assert first.authserv_id == "lists.example.org"
    assert first.results == LIST_RESULTS
    assert "dkim=pass header.d=example.com" in (chain.instance(1).results or "")
    assert first.cv is ArcResult.NONE
    assert (first.ams_result, first.seal_result) == (DkimResult.PASS, DkimResult.PASS)
    assert chain.oldest_pass == 0 and not chain.closed
    last = chain.trace[-1]
    assert (last.text, last.outcome, last.section) == (
        "ARC result: pass.",
        Outcome.OK,
        "RFC 8617 §4.4",
    )


def test_the_sealed_message_puts_the_seal_on_top_and_keeps_the_lists_changes() -> None:
    delivered = posted()
    names = [field.name for field in dkim.read_message(delivered).fields]
    assert names[:5] == [
        "ARC-Seal",
        "ARC-Message-Signature",
        "ARC-Authentication-Results",
        "List-Id",
        "DKIM-Signature",
    ]
    assert b"Subject: [team] Lunch" in delivered and delivered.endswith(FOOTER)
    sets = check(delivered).sets
    (only,) = sets
    signed = only.message_signature.signature.signed_headers
    assert "dkim-signature" in signed and "list-id" in signed and "subject" in signed
    assert not any(name.startswith("arc-") for name in signed)  # RFC 8617 §4.1.2
    assert only.results.field.raw.startswith(
        b"ARC-Authentication-Results: i=1; lists.example.org; dkim=pass"
    )
    assert all(len(line) <= 78 for line in delivered.split(b"\r\n")[:20])


def test_a_forwarder_adds_set_2_with_cv_pass() -> None:
    forwarded = forward_seal(posted())
    chain = check(forwarded)
    assert chain.result == "pass" and chain.highest_instance == 2
    first, second = chain.instances
    assert (second.domain, second.cv, second.results) == (
        "forward.example.net",
        ArcResult.PASS,
        "arc=pass",
    )
    assert first.results == LIST_RESULTS  # the list's results still read as it wrote them
    assert chain.oldest_pass == 0  # the forwarder changed nothing
    assert [i.seal_result for i in chain.instances] == [DkimResult.PASS, DkimResult.PASS]
    assert "the last sealer is 'forward.example.net'" in chain.reason


def test_a_forwarder_that_changes_the_message_moves_the_oldest_pass() -> None:
    arrived = posted()
    on_arrival = check(arrived, now=T0 + 30)
    changed = arrived + b"Scanned by the forwarder.\r\n"
    chain = check(forward_seal(changed, chain=on_arrival))
    assert chain.result == "pass"  # each sealer vouches for the message as it sent it
    assert chain.instance(2).cv is ArcResult.PASS  # type: ignore[union-attr]
    assert chain.oldest_pass == 2
    assert chain.instance(1).ams_result is DkimResult.FAIL  # type: ignore[union-attr]
    assert chain.instance(2).ams_result is DkimResult.PASS  # type: ignore[union-attr]
    assert "the message was changed after set 1 (oldest-pass=2)" in texts(chain)


# -- what a seal protects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        (
            b"Subject: [team] Lunch",
            b"Subject: [team] Dinner",
            "The newest ARC-Message-Signature (set 1, d='lists.example.org') does not verify. "
            "A signed header field was changed, or the signature was not made with this key.",
        ),
        (
            b"noon?",
            b"one?",
            "The newest ARC-Message-Signature (set 1, d='lists.example.org') does not verify. "
            "The body was changed after it was signed: its hash differs from bh=.",
        ),
        (
            b"lists.example.org; dkim=pass",
            b"lists.example.org; dkim=fail",
            "The ARC-Seal of set 1 (d='lists.example.org') does not verify. An ARC set up to "
            "this one was changed, removed or reordered, or the seal was not made with this key.",
        ),
    ],
    ids=["subject", "body", "recorded-results"],
)
def test_a_change_after_sealing_fails_the_chain(before: bytes, after: bytes, reason: str) -> None:
    delivered = posted()
    assert before in delivered
    chain = check(delivered.replace(before, after, 1))
    assert chain.result is ArcResult.FAIL
    assert chain.reason == reason
    assert chain.trace[-2].section == "RFC 8617 §5.2"


def test_a_forwarder_that_validates_after_its_own_changes_seals_the_chain_as_failed() -> None:
    changed = posted() + b"Scanned by the forwarder.\r\n"
    sealed = forward_seal(changed)  # validated as given: the list's signature no longer holds
    assert b"i=2; a=ed25519-sha256; t=1800000030; cv=fail;" in sealed
    chain = check(sealed)
    assert (chain.result, chain.closed) == (ArcResult.FAIL, True)


def test_a_validation_of_another_message_is_refused_as_chain() -> None:
    other = check(forward_seal(posted()))
    with pytest.raises(InputError, match="are not the ones chain= validated"):
        forward_seal(posted(), chain=other)
    with pytest.raises(InputError, match="chain must be the ArcValidation"):
        forward_seal(posted(), chain="pass")


def test_changing_the_message_after_sealing_is_what_section_5_1_forbids() -> None:
    """Sealing first and changing after (the wrong order) leaves a chain that fails."""
    sealed_first = list_changes(list_seal(authored()))
    assert check(sealed_first).result == "fail"
    assert check(list_seal(list_changes(authored()))).result == "pass"


def test_a_forged_earlier_set_fails_at_the_seal_above_it() -> None:
    forwarded = forward_seal(posted())
    forged = forwarded.replace(b"header.s=mail; arc=none", b"header.s=evil; arc=none")
    chain = check(forged)
    assert chain.result == "fail"
    assert chain.reason.startswith("The ARC-Seal of set 2 (d='forward.example.net') does not")
    assert chain.instance(2).seal_result is DkimResult.FAIL  # type: ignore[union-attr]
    assert chain.instance(1).seal_result is None  # §5.2: the algorithm stops at the first failure


def test_the_trace_walks_the_rfc_steps_in_order() -> None:
    chain = check(forward_seal(posted()))
    sections = [step.section for step in chain.trace if step.depth == 0]
    assert sections == [
        "RFC 8617 §4.2",
        "RFC 8617 §4.1",
        "RFC 8617 §4.2.1",
        "RFC 8617 §4.1.3",
        "RFC 8617 §5.2",  # structure
        "RFC 8617 §4.1.2",  # the newest AMS
        "RFC 8617 §4.1.2",  # the older AMS, for the oldest pass
        "RFC 8617 §5.2",  # oldest pass
        "RFC 8617 §4.1.3",  # seal 2
        "RFC 8617 §4.1.3",  # seal 1
        "RFC 8617 §5.2",
        "RFC 8617 §4.4",
    ]
    seal_steps = [s.text for s in chain.trace if s.section == "RFC 8617 §5.1.1"]
    assert seal_steps[0].startswith("Hashed the ARC sets 1 to 2 in order")
    assert seal_steps[1].startswith("Hashed ARC set 1 in order")


def test_ed25519_and_rsa_sealers_mix_in_one_chain() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    zone = ZoneResolver.from_text(
        ZONE_TEXT + "\n" + zone_entry("rsa", "forward.example.net", key_record(rsa_key))
    )
    message = arc.seal(
        posted(),
        domain="forward.example.net",
        selector="rsa",
        private_key=rsa_key,
        authserv_id="mx.forward.example.net",
        results="arc=pass",
        now=T0,
        resolver=zone,
    )
    assert b"a=rsa-sha256" in message and b"a=ed25519-sha256" in message
    assert check(message, resolver=zone).result == "pass"
