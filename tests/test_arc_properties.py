"""Properties of the ARC sealer and validator, tested with generated inputs:

- arbitrary bytes in an ARC header field never raise anything but InputError (for a message that
  cannot be read at all), and one extra ARC field never leaves a chain passing;
- the field readers raise nothing but their syntax error, whatever the text;
- whatever the message, a chain the sealer makes validates, and a changed body fails it.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_arc_story import T0, ZONE, check, list_seal, posted

from mailsec.arc import ArcResult, Part, parse_message_signature, parse_results, parse_seal
from mailsec.dkim import DkimSyntaxError
from mailsec.errors import InputError

POSTED = posted()
BODY_START = POSTED.index(b"\r\n\r\n") + 4

FIELD_NAMES = st.sampled_from([part.label for part in Part] + ["arc-SEAL", "Arc-Message-Signature"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FIELD_NAMES, st.binary(max_size=400))
def test_arbitrary_bytes_in_an_arc_field_raise_only_input_error(name: str, value: bytes) -> None:
    message = name.encode("ascii") + b":" + value + b"\r\n" + POSTED
    try:
        chain = check(message)
    except InputError:
        return
    assert chain.result is ArcResult.FAIL
    assert chain.reason and chain.trace[-1].text == "ARC result: fail."


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([parse_seal, parse_message_signature, parse_results]), st.text(max_size=300))
def test_the_readers_raise_only_their_syntax_error(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    try:
        parsed = parse(text)
    except DkimSyntaxError as exc:
        assert exc.message  # a sentence, never an empty error
    else:
        assert parsed.instance >= 1


TAGGISH = st.lists(
    st.tuples(
        st.sampled_from(["i", "a", "b", "bh", "c", "cv", "d", "h", "s", "t", "v", "x", "l"]),
        st.text(alphabet=string.printable, max_size=20),
    ),
    max_size=10,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(Part)), TAGGISH)
def test_tag_lists_made_of_arc_tags_fail_and_never_raise(part: Part, tags: list) -> None:  # type: ignore[type-arg]
    value = "; ".join(f"{name}={text}" for name, text in tags)
    message = f"{part.label}: {value}\r\n".encode("latin-1") + POSTED
    try:
        chain = check(message)
    except InputError:
        return
    assert chain.result is ArcResult.FAIL


PRINTABLE = st.text(alphabet=string.ascii_letters + string.digits + " .,;:=!?-", max_size=60)


@settings(max_examples=40, deadline=None)
@given(PRINTABLE, st.binary(max_size=300), PRINTABLE.filter(lambda s: s.strip() != ""))
def test_whatever_the_message_the_sealed_chain_validates(
    subject: str, body: bytes, results: str
) -> None:
    message = f"From: a@example.com\r\nSubject: {subject}\r\n\r\n".encode("ascii") + body
    sealed = list_seal(message, results=results)
    chain = check(sealed)
    assert chain.result is ArcResult.PASS, chain.reason
    assert chain.instance(1).results == " ".join(results.split()).strip()  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_changing_a_letter_of_the_body_after_sealing_fails(data: st.DataObject) -> None:
    letters = [i for i in range(BODY_START, len(POSTED)) if chr(POSTED[i]).isalpha()]
    position = data.draw(st.sampled_from(letters))
    other = data.draw(st.sampled_from([c for c in b"xyzXYZ" if c != POSTED[position]]))
    changed = POSTED[:position] + bytes([other]) + POSTED[position + 1 :]
    chain = check(changed)
    assert chain.result is ArcResult.FAIL
    assert "The body was changed after it was signed" in chain.reason


def test_the_zone_and_time_used_here_are_the_storys() -> None:
    assert check(POSTED, resolver=ZONE, now=T0).result is ArcResult.PASS
