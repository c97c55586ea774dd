"""Properties of canonicalization and of the tag-list reader, tested with generated inputs.

- Canonicalizing twice gives what canonicalizing once gives (RFC 6376 §3.4: the canonical form
  is a fixed point, or signer and verifier could disagree).
- Relaxed canonicalization does not change under the whitespace changes that §3.4.2 and §3.4.4
  exist to tolerate: runs of spaces and tabs, spaces around the colon and at line ends,
  refolding, the case of the field name, empty lines at the end of the body.
- The tag-list reader gives back what was written, whatever the folding whitespace, and the
  verifier turns any text in a DKIM-Signature into a result, never an exception.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from test_dkim_verify import ED_KEY, MESSAGE, T0, FailingDns, signed, zone

from mailsec.dkim import canon, key_record, parse_tag_list, verify
from mailsec.dkim.canon import HeaderField
from mailsec.errors import InputError
from mailsec.spf import DnsStatus

SIGNED = signed(ED_KEY)
SIGNED_ZONE = zone(("mail", key_record(ED_KEY)))

WSP = st.text(alphabet=" \t", min_size=1, max_size=4)
WORD = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=8
)
NAME = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=":"),
    min_size=1,
    max_size=12,
)


@st.composite
def header_fields(draw: st.DrawFn) -> tuple[str, list[str]]:
    return draw(NAME), draw(st.lists(WORD, min_size=0, max_size=6))


def write_field(draw: st.DrawFn, name: str, words: list[str]) -> HeaderField:
    """One way of writing ``name: words`` that §3.4.2 treats as the same field."""
    before = draw(st.sampled_from(["", " ", "\t "]))
    after = draw(st.sampled_from(["", " ", "  \t"]))
    parts = []
    for word in words:
        # between words: a run of WSP, or a fold (CRLF followed by WSP)
        gap = draw(st.one_of(WSP, WSP.map(lambda w: "\r\n" + w), st.just(" \r\n\t")))
        parts.append(gap + word)
    trailing = draw(st.sampled_from(["", " ", "\t\t", "\r\n "])) if words else ""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)
    raw = f"{cased}{before}:{after}{''.join(parts)}{trailing}"
    return HeaderField(cased, raw.encode("ascii"))


@given(st.data(), header_fields())
def test_relaxed_header_ignores_the_whitespace_3_4_2_allows(
    data: st.DataObject, field: tuple[str, list[str]]
) -> None:
    name, words = field
    first = write_field(data.draw, name, words)
    second = write_field(data.draw, name, words)
    expected = (name.lower() + ":" + " ".join(words) + "\r\n").encode("ascii")
    assert canon.header_relaxed(first) == canon.header_relaxed(second) == expected


@given(st.data(), header_fields())
def test_header_canonicalization_is_idempotent(
    data: st.DataObject, field: tuple[str, list[str]]
) -> None:
    written = write_field(data.draw, *field)
    for method in canon.Canon:
        once = canon.canonicalize_header(written, method)
        again = canon.canonicalize_header(HeaderField(written.name, once[:-2]), method)
        assert again == once


@given(st.binary(max_size=300))
def test_body_canonicalization_is_idempotent_for_any_bytes(body: bytes) -> None:
    for method in canon.Canon:
        once = canon.canonicalize_body(body, method)
        assert canon.canonicalize_body(once, method) == once
        assert once == b"" or once.endswith(b"\r\n")


def reference_body(body: bytes, relaxed: bool) -> bytes:
    """§3.4.3 and §3.4.4 written the slow, obvious way: line by line, then the empty lines."""
    if relaxed:
        lines = [re.sub(rb"[ \t]+", b" ", line).rstrip(b" ") for line in body.split(b"\r\n")]
        body = b"\r\n".join(lines)
    while body.endswith(b"\r\n"):
        body = body[:-2]
    return body + b"\r\n" if body or not relaxed else b""


@given(
    st.lists(st.sampled_from([b"a", b" ", b"\t", b"\r", b"\n", b"\r\n", b"\xff"]), max_size=40).map(
        b"".join
    )
)
def test_body_canonicalization_matches_a_line_by_line_reference(body: bytes) -> None:
    assert canon.body_simple(body) == reference_body(body, relaxed=False)
    assert canon.body_relaxed(body) == reference_body(body, relaxed=True)


LINES = st.lists(st.lists(WORD, max_size=5), max_size=6)


@given(st.data(), LINES)
def test_relaxed_body_ignores_the_whitespace_3_4_4_allows(
    data: st.DataObject, lines: list[list[str]]
) -> None:
    def write() -> bytes:
        out = []
        for words in lines:
            line = "".join(data.draw(st.sampled_from([" ", "\t", "  \t "])) + w for w in words)
            out.append(line.lstrip(" \t") + data.draw(st.sampled_from(["", " ", "\t \t"])))
        blank = "\r\n" * data.draw(st.integers(0, 3))
        return ("\r\n".join(out) + ("\r\n" if out else "") + blank).encode("ascii")

    expected = b"".join((" ".join(words) + "\r\n").encode() for words in lines)
    # Trailing empty lines are removed too (§3.4.4), so the expected form drops them.
    while expected.endswith(b"\r\n\r\n"):
        expected = expected[:-2]
    if expected == b"\r\n":
        expected = b""
    assert canon.body_relaxed(write()) == canon.body_relaxed(write()) == expected


TAG_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
TAG_VALUE = st.lists(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=";"),
        min_size=1,
        max_size=6,
    ),
    min_size=0,
    max_size=3,
)
FWS = st.sampled_from(["", " ", "\t", "\r\n ", " \r\n\t "])


@given(st.dictionaries(TAG_NAME, TAG_VALUE, min_size=1, max_size=6), st.data())
def test_tag_lists_read_back_what_was_written(
    tags: dict[str, list[str]], data: st.DataObject
) -> None:
    pieces = []
    for name, words in tags.items():
        value = (
            data.draw(FWS).join(words)
            if len(words) < 2
            else words[0]
            + "".join(data.draw(st.sampled_from([" ", "\r\n "])) + w for w in words[1:])
        )
        pieces.append(
            f"{data.draw(FWS)}{name}{data.draw(FWS)}={data.draw(FWS)}{value}{data.draw(FWS)}"
        )
    text = ";".join(pieces) + data.draw(st.sampled_from(["", ";", "; "]))
    parsed = parse_tag_list(text)
    assert parsed.names == tuple(tags)
    for name, words in tags.items():
        value = parsed.get(name)
        assert value is not None
        assert value.split() == " ".join(words).split()


SIGNATURE_TEXT = st.lists(
    st.sampled_from([*"v=1;a-rsha256dexmpl.cobh:AZ/+ \t@i", "\r\n ", "\r\n", "\x00", "é"]),
    max_size=120,
).map("".join)


@settings(max_examples=300)
@given(SIGNATURE_TEXT)
def test_any_dkim_signature_text_gives_a_result_not_an_exception(text: str) -> None:
    message = b"DKIM-Signature: " + text.encode("utf-8") + b"\r\n" + MESSAGE
    try:
        results = verify(message, resolver=FailingDns(DnsStatus.ERROR), now=0)
    except InputError as exc:  # only a header section that is not one may raise
        assert "not a header field" in exc.message
        return
    assert len(results) == 1
    assert results[0].result in ("permerror", "temperror")
    assert results[0].reason


@settings(max_examples=200)
@given(st.data())
def test_a_damaged_signed_message_gives_results_or_an_input_error(data: st.DataObject) -> None:
    message = bytearray(SIGNED)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(message) - 1))
        message[at] = data.draw(st.sampled_from(b" \t\r\n;=:@.aZ0\x00\xff"))
    try:
        results = verify(bytes(message), resolver=SIGNED_ZONE, now=T0)
    except InputError as exc:
        assert exc.message  # a header section that is no longer one
        return
    assert all(r.result in ("pass", "fail", "permerror") and r.reason for r in results)
