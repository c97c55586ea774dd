"""The web-of-trust model: GnuPG's classic rules, the explanations, and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.openpgp.trust import (
    COMPARISON,
    CertificationUse,
    OwnerTrust,
    TrustPolicy,
    Validity,
    WebOfTrust,
    evaluate,
)
from mailsec.trace import Outcome, steps_to_text

RANK = {
    Validity.REVOKED: 0,
    Validity.UNKNOWN: 0,
    Validity.UNDEFINED: 1,
    Validity.MARGINAL: 2,
    Validity.FULL: 3,
    Validity.ULTIMATE: 4,
}


def chain(*names: str, trust: str = "full") -> WebOfTrust:
    """You -> names[0] -> names[1] -> ...; every owner trusted ``trust``."""
    web = WebOfTrust.build({"You": "ultimate", **dict.fromkeys(names, trust)})
    previous = "You"
    for name in names:
        web = web.with_certification(previous, name)
        previous = name
    return web


# -- the rules ---------------------------------------------------------------------------------


def test_own_key_is_ultimately_valid() -> None:
    result = evaluate(WebOfTrust.build({"You": "ultimate"}))
    assert result["You"].validity is Validity.ULTIMATE
    assert result["You"].path_length == 0
    assert result["You"].is_valid


def test_key_signed_by_own_key_is_fully_valid_whatever_its_owner_trust() -> None:
    web = WebOfTrust.build({"You": "ultimate", "Alice": "never"}, [("You", "Alice")])
    result = evaluate(web)
    assert result.validity("Alice") is Validity.FULL
    assert result["Alice"].certifications[0].use is CertificationUse.ULTIMATE


def test_one_fully_trusted_introducer_is_enough() -> None:
    web = chain("Alice", "Bob", trust="full")
    result = evaluate(web)
    assert result.validity("Bob") is Validity.FULL
    assert (result["Bob"].completes, result["Bob"].marginals) == (1, 0)
    assert result["Bob"].path_length == 2


def test_marginal_introducers_need_three() -> None:
    web = WebOfTrust.build(
        {"You": "ultimate", "M1": "marginal", "M2": "marginal", "M3": "marginal", "Zoe": "unknown"},
        [("You", "M1"), ("You", "M2"), ("You", "M3"), ("M1", "Zoe"), ("M2", "Zoe")],
    )
    assert evaluate(web).validity("Zoe") is Validity.MARGINAL
    assert not evaluate(web)["Zoe"].is_valid
    web = web.with_certification("M3", "Zoe")
    result = evaluate(web)
    assert result.validity("Zoe") is Validity.FULL
    assert result["Zoe"].marginals == 3


def test_policy_numbers_are_parameters() -> None:
    web = WebOfTrust.build(
        {"You": "ultimate", "M1": "marginal", "M2": "marginal", "F": "full", "Zoe": "unknown"},
        [("You", "M1"), ("You", "M2"), ("You", "F"), ("M1", "Zoe"), ("M2", "Zoe"), ("F", "Zoe")],
    )
    assert evaluate(web).validity("Zoe") is Validity.FULL
    strict = TrustPolicy(completes_needed=2, marginals_needed=3)
    # one complete and two marginals: neither threshold reached
    assert evaluate(web, strict).validity("Zoe") is Validity.MARGINAL
    lenient = TrustPolicy(completes_needed=2, marginals_needed=2)
    assert evaluate(web, lenient).validity("Zoe") is Validity.FULL


def test_only_fully_valid_keys_introduce() -> None:
    """Bob is trusted fully, but his key is only marginally valid: his certification of Carol
    counts for nothing (GnuPG builds each round's introducers from fully valid keys only)."""
    web = WebOfTrust.build(
        {"You": "ultimate", "Alice": "marginal", "Bob": "full", "Carol": "unknown"},
        [("You", "Alice"), ("Alice", "Bob"), ("Bob", "Carol")],
    )
    result = evaluate(web)
    assert result.validity("Bob") is Validity.MARGINAL
    assert result.validity("Carol") is Validity.UNKNOWN
    assert result["Carol"].certifications[0].use is CertificationUse.SIGNER_NOT_VALID
    assert "only fully valid keys introduce" in steps_to_text(result["Carol"].steps)


def test_untrusted_owner_gives_undefined() -> None:
    web = WebOfTrust.build(
        {"You": "ultimate", "Alice": "never", "Bob": "unknown"},
        [("You", "Alice"), ("Alice", "Bob")],
    )
    result = evaluate(web)
    assert result.validity("Bob") is Validity.UNDEFINED
    assert result["Bob"].certifications[0].use is CertificationUse.UNTRUSTED_OWNER
    assert result["Bob"].validity.gpg_letter == "q"


def test_nobody_certified_is_unknown() -> None:
    result = evaluate(WebOfTrust.build({"You": "ultimate", "Mallory": "full"}))
    assert result.validity("Mallory") is Validity.UNKNOWN
    assert "nobody has certified this key" in result["Mallory"].steps[0].text


def test_marginals_from_different_path_lengths_add_up() -> None:
    """GnuPG keeps the counts of a key between rounds (trustdb validity records)."""
    web = WebOfTrust.build(
        {
            "You": "ultimate",
            "A": "full",
            "M1": "marginal",
            "M2": "marginal",
            "M3": "marginal",
            "Z": "unknown",
        },
        [
            ("You", "A"),
            ("You", "M1"),
            ("You", "M2"),
            ("A", "M3"),
            ("M1", "Z"),
            ("M2", "Z"),
            ("M3", "Z"),
        ],
    )
    result = evaluate(web)
    assert result.validity("Z") is Validity.FULL
    assert result["Z"].path_length == 3


def test_max_cert_depth_limits_the_path() -> None:
    web = chain("A", "B", "C", "D", "E", "F")
    result = evaluate(web)  # default depth 5
    assert [result.validity(n) for n in "ABCDE"] == [Validity.FULL] * 5
    assert result.validity("F") is Validity.UNKNOWN
    assert result["F"].certifications[0].use is CertificationUse.TOO_DEEP
    assert any(s.outcome is Outcome.WARN and "maximum depth" in s.text for s in result.steps)
    shallow = evaluate(web, TrustPolicy(max_cert_depth=2))
    assert shallow.validity("B") is Validity.FULL
    assert shallow.validity("C") is Validity.UNKNOWN


def test_already_valid_key_does_not_need_a_later_certification() -> None:
    web = chain("A", "B").with_certification("You", "B")
    result = evaluate(web)
    uses = {c.signer: c.use for c in result["B"].certifications}
    assert uses == {"A": CertificationUse.NOT_NEEDED, "You": CertificationUse.ULTIMATE}


def test_no_ultimate_key_means_nothing_is_valid() -> None:
    web = WebOfTrust.build({"Alice": "full", "Bob": "full"}, [("Alice", "Bob")])
    result = evaluate(web)
    assert result.valid_names == ()
    assert result.steps[1].outcome is Outcome.FAIL
    assert "Mark your own key as 'ultimate'" in result.steps[1].text


# -- revocation (RFC 4880 §5.2.1, signature types 0x20 and 0x30) -------------------------------


def test_revoked_key_is_never_valid_and_stops_introducing() -> None:
    web = chain("Alice", "Bob")
    assert evaluate(web).validity("Bob") is Validity.FULL
    revoked = web.with_key_revoked("Alice")
    result = evaluate(revoked)
    assert result.validity("Alice") is Validity.REVOKED
    assert result.validity("Alice").gpg_letter == "r"
    assert result.validity("Bob") is Validity.UNKNOWN
    assert result["Bob"].certifications[0].use is CertificationUse.SIGNER_REVOKED
    # un-revoking (a test convenience; real revocations are final) restores the path
    assert evaluate(revoked.with_key_revoked("Alice", False)).validity("Bob") is Validity.FULL


def test_revoked_certification_stops_counting() -> None:
    web = chain("Alice", "Bob").with_certification_revoked("Alice", "Bob")
    result = evaluate(web)
    assert result.validity("Bob") is Validity.UNKNOWN
    assert result["Bob"].certifications[0].use is CertificationUse.REVOKED
    assert "RFC 4880 §5.2.1" in (result["Bob"].steps[1].section or "")
    # certifying again replaces the revoked certification
    assert evaluate(web.with_certification("Alice", "Bob")).validity("Bob") is Validity.FULL


def test_other_paths_survive_a_revocation() -> None:
    """Unlike a CA, one revoked introducer only cuts the paths that go through it."""
    web = WebOfTrust.build(
        {"You": "ultimate", "Alice": "full", "Bob": "full", "Carol": "unknown"},
        [("You", "Alice"), ("You", "Bob"), ("Alice", "Carol"), ("Bob", "Carol")],
    ).with_key_revoked("Alice")
    assert evaluate(web).validity("Carol") is Validity.FULL


# -- explanations --------------------------------------------------------------------------------


def test_trace_explains_each_round_and_cites_sources() -> None:
    web = chain("Alice", "Bob")
    result = evaluate(web)
    text = steps_to_text(result.steps)
    assert "Path length 0: your own key(s) You are valid" in text
    assert "Path length 1: keys certified by You: Alice full." in text
    assert "Path length 2: keys certified by Alice: Bob full." in text
    assert text.splitlines()[-1] == "+ Valid keys: You, Alice, Bob."
    bob = steps_to_text(result["Bob"].steps)
    assert bob == (
        "+ Bob: valid at path length 2 (1 of 1 complete, 0 of 3 marginal).  "
        "[GnuPG --completes-needed / --marginals-needed]\n"
        "  + Certified by Alice: Alice's key is valid and you trust Alice fully: one complete."
        "  [RFC 4880 §5.2.1]"
    )


def test_gpg_letters_round_trip() -> None:
    for validity in Validity:
        assert Validity.from_gpg_letter(validity.gpg_letter) is validity
    assert Validity.from_gpg_letter("o") is Validity.UNKNOWN
    with pytest.raises(InputError, match="gpg validity letter 'z'"):
        Validity.from_gpg_letter("z")
    assert [t.gpg_level for t in OwnerTrust] == [2, 3, 4, 5, 6]


def test_comparison_covers_revocation_and_trust_anchors() -> None:
    aspects = [row.aspect for row in COMPARISON]
    assert "Revocation" in aspects and "Where trust starts" in aspects
    assert all(row.pgp and row.smime for row in COMPARISON)


# -- bad input: a sentence that quotes the input and says what to do ----------------------------


def test_unknown_names_are_refused() -> None:
    web = WebOfTrust.build({"You": "ultimate"})
    with pytest.raises(InputError, match=r"There is no key named 'Eve' \(keys: You\)\."):
        web.with_certification("You", "Eve")


def test_self_certification_is_refused() -> None:
    web = WebOfTrust.build({"You": "ultimate", "Alice": "full"})
    with pytest.raises(InputError, match="Alice cannot certify their own key"):
        web.with_certification("Alice", "Alice")


def test_duplicate_and_bad_names_are_refused() -> None:
    web = WebOfTrust.build({"Alice": "full"})
    with pytest.raises(InputError, match="There are two keys named 'alice'"):
        web.with_key("alice")
    with pytest.raises(InputError, match="'1x' is not a usable name"):
        web.with_key("1x")


def test_bad_owner_trust_and_policy_are_refused() -> None:
    with pytest.raises(InputError, match="Owner trust 'total' is not one of: unknown, never"):
        WebOfTrust.build({"Alice": "total"})
    with pytest.raises(
        InputError, match=r"Marginals needed \(--marginals-needed\) = 0 is too small"
    ):
        TrustPolicy(marginals_needed=0)


def test_policy_follows_gnupg_limits() -> None:
    """gpg refuses to run with these numbers (GnuPG g10/gpg.c), so the model refuses them too."""
    with pytest.raises(InputError) as one_marginal:
        TrustPolicy(marginals_needed=1)
    assert one_marginal.value.message == (
        "Marginals needed (--marginals-needed) = 1 is too small: GnuPG refuses it "
        '("marginals-needed must be greater than 1"), because if one were enough, a marginally '
        "trusted person would count as much as a fully trusted one. Use 2 or more; GnuPG's "
        "default is 3."
    )
    with pytest.raises(InputError) as no_complete:
        TrustPolicy(completes_needed=0)
    assert no_complete.value.message == (
        "Completes needed (--completes-needed) = 0 is too small: GnuPG refuses it "
        '("completes-needed must be greater than 0"), because with none needed, a certification '
        "by any valid key would do, even by someone you do not trust to check keys. Use 1 or "
        "more; GnuPG's default is 1."
    )
    with pytest.raises(InputError, match=r"Max path length \(--max-cert-depth\) = 0 is too small"):
        TrustPolicy(max_cert_depth=0)
    with pytest.raises(InputError) as too_deep:
        TrustPolicy(max_cert_depth=256)
    assert too_deep.value.message == (
        "Max path length (--max-cert-depth) = 256 is too large: GnuPG accepts at most 255. "
        "Use a number from 1 to 255; GnuPG's default is 5."
    )
    with pytest.raises(InputError, match="at most 2147483647"):
        TrustPolicy(completes_needed=2**31)
    with pytest.raises(InputError, match=r"= '3' is not a whole number\. Type one such as 3"):
        TrustPolicy(marginals_needed="3")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="= True is not a whole number"):
        TrustPolicy(completes_needed=True)
    # What gpg accepts, the model accepts: the smallest and largest numbers of each rule.
    TrustPolicy(completes_needed=1, marginals_needed=2, max_cert_depth=1)
    TrustPolicy(completes_needed=2**31 - 1, marginals_needed=2**31 - 1, max_cert_depth=255)


def test_removing_or_revoking_a_missing_certification_is_refused() -> None:
    web = WebOfTrust.build({"You": "ultimate", "Alice": "full"})
    with pytest.raises(InputError, match="You has not certified Alice's key"):
        web.without_certification("You", "Alice")
    with pytest.raises(InputError, match="so it cannot be revoked"):
        web.with_certification_revoked("You", "Alice")


# -- properties ----------------------------------------------------------------------------------

NAMES = ("You", "A", "B", "C", "D", "E", "F")
TRUSTS = [t for t in OwnerTrust if t is not OwnerTrust.ULTIMATE]


@st.composite
def webs(draw: st.DrawFn) -> WebOfTrust:
    count = draw(st.integers(2, len(NAMES)))
    names = NAMES[:count]
    trust = {n: draw(st.sampled_from(TRUSTS)) for n in names[1:]}
    pairs = [(a, b) for a in names for b in names if a != b and b != "You"]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=14))
    web = WebOfTrust.build({"You": OwnerTrust.ULTIMATE, **trust}, chosen)
    for name in names[1:]:
        if draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()):
            web = web.with_key_revoked(name)
    return web


@settings(max_examples=150, deadline=None)
@given(webs(), st.data())
def test_adding_a_certification_never_lowers_validity(web: WebOfTrust, data: st.DataObject) -> None:
    pairs = [
        (a, b) for a in web.names for b in web.names if a != b and web.certification(a, b) is None
    ]
    if not pairs:
        return
    signer, signee = data.draw(st.sampled_from(pairs))
    before = evaluate(web)
    after = evaluate(web.with_certification(signer, signee))
    for name in web.names:
        assert RANK[after.validity(name)] >= RANK[before.validity(name)], name


@settings(max_examples=150, deadline=None)
@given(webs())
def test_valid_keys_have_a_counted_chain_within_the_depth(web: WebOfTrust) -> None:
    result = evaluate(web)
    for key in result.keys:
        if key.validity is Validity.FULL:
            assert key.path_length is not None
            assert 1 <= key.path_length <= result.policy.max_cert_depth
            counted = [c for c in key.certifications if c.use.counted]
            assert counted, key
            assert any(result[c.signer].introduces for c in counted)
            assert (
                key.completes >= result.policy.completes_needed
                or key.marginals >= result.policy.marginals_needed
            )
        elif key.validity is Validity.MARGINAL:
            assert key.completes + key.marginals > 0


@settings(max_examples=100, deadline=None)
@given(webs())
def test_key_order_does_not_matter(web: WebOfTrust) -> None:
    shuffled = WebOfTrust(tuple(reversed(web.keys)), tuple(reversed(web.certifications)))
    a, b = evaluate(web), evaluate(shuffled)
    assert {k.name: k.validity for k in a.keys} == {k.name: k.validity for k in b.keys}


def test_revoking_your_own_key_leaves_no_starting_point() -> None:
    result = evaluate(chain("Alice").with_key_revoked("You"))
    assert result.validity("You") is Validity.REVOKED
    assert result.validity("Alice") is Validity.UNKNOWN
    assert any(s.text.startswith("Your own key is revoked") for s in result.steps)


def test_expired_key_is_not_valid_and_stops_introducing() -> None:
    """RFC 4880 §5.2.3.6: past its expiration time a key is not valid; extending it restores it."""
    web = chain("Alice", "Bob").with_key_expired("Alice")
    result = evaluate(web)
    assert result.validity("Alice") is Validity.EXPIRED
    assert Validity.EXPIRED.gpg_letter == "e"
    assert result.validity("Bob") is Validity.UNKNOWN
    assert result["Bob"].certifications[0].use is CertificationUse.SIGNER_EXPIRED
    assert result["Alice"].steps[0].section == "RFC 4880 §5.2.3.6"
    assert evaluate(web.with_key_expired("Alice", False)).validity("Bob") is Validity.FULL


def test_revoked_wins_over_expired() -> None:
    """GnuPG shows a key that is both revoked and expired as revoked (the final state)."""
    web = chain("Alice").with_key_expired("Alice").with_key_revoked("Alice")
    assert evaluate(web).validity("Alice") is Validity.REVOKED
