"""Changing one byte of an encrypted S/MIME message: every position gets a specific, true verdict."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.labs.smime import DEFAULT_BODY, DEFAULT_SUBJECT, message_lab
from mailsec.pki import course_pki
from mailsec.smime import ContentCipher, decrypt_message
from mailsec.smime.damage import SIGNATURE, SIGNED, STRUCTURE, Region, cbc_damage, entity_regions
from mailsec.smime.demo import MARKS, Delivery, deliver
from mailsec.trace import Outcome

CBC, GCM = ContentCipher.AES256_CBC, ContentCipher.AES256_GCM


@pytest.fixture(scope="module")
def pki():
    return course_pki()


def _deliver(pki, cipher: ContentCipher, flip_at: int | None, *, sign: bool = True) -> Delivery:
    return deliver(
        subject=DEFAULT_SUBJECT,
        body=DEFAULT_BODY,
        sign=sign,
        encrypt=True,
        signer=pki.alice,
        recipients=[pki.bob, pki.alice],
        reader=pki.bob,
        trusted=[pki.ca.certificate],
        cipher=cipher,
        flip_at=flip_at,
    )


@pytest.fixture(scope="module")
def entity(pki) -> bytes:
    sent = _deliver(pki, CBC, None).sent
    return decrypt_message(sent, key=pki.bob.key, certificate=pki.bob.certificate).entity


def test_a_signed_entity_is_mapped_into_its_regions_without_gaps(entity: bytes) -> None:
    spans = entity_regions(entity)
    assert spans[0].start == 0 and spans[-1].end == len(entity)
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    assert [s.region for s in spans] == [
        Region.HEADER,
        Region.PREAMBLE,
        Region.BOUNDARY,
        Region.SIGNED_HEADER,
        Region.SIGNED_TEXT,
        Region.BOUNDARY,
        Region.SIGNATURE_HEADER,
        Region.SIGNATURE,
        Region.BOUNDARY,
    ]
    text = next(s for s in spans if s.region is Region.SIGNED_TEXT)
    assert entity[text.start : text.end].startswith(b"Hi Bob,")


def test_an_unsigned_entity_is_header_and_text() -> None:
    entity = b'Content-Type: text/plain; charset="utf-8"\r\n\r\nHello\r\n'
    assert [s.region for s in entity_regions(entity)] == [Region.HEADER, Region.TEXT]


def test_the_model_of_cbc_damage_matches_what_decryption_really_does(pki) -> None:
    """One flipped ciphertext bit garbles its 16-byte block and flips the same bit one block on."""
    for offset in (40, 400, 1000, 2000):
        delivery = _deliver(pki, CBC, offset)
        got, damage = delivery.decrypted, delivery.damage
        assert got is not None and damage is not None
        entity = decrypt_message(
            delivery.sent, key=pki.bob.key, certificate=pki.bob.certificate
        ).entity
        assert damage == cbc_damage(entity, offset)
        changed = [i for i, (a, b) in enumerate(zip(entity, got.entity, strict=True)) if a != b]
        first, last = damage.garbled
        assert set(changed) - {damage.flipped} <= set(range(first, last + 1))
        assert (
            damage.flipped in changed and entity[damage.flipped] ^ got.entity[damage.flipped] == 1
        )


def test_a_change_in_the_last_block_touches_the_padding(entity: bytes) -> None:
    padded = (len(entity) // 16 + 1) * 16
    damage = cbc_damage(entity, padded - 1)
    assert damage.flipped is None and Region.PADDING in damage.touches


SIGNATURE_MARKS = {
    MARKS["cannot-decrypt"],
    MARKS["no-signature-found"],
    MARKS["signature-unreadable"],
    "signature: the message was changed after it was signed",
    "signed by alice@example.org, verified",
}


def _check_cbc_verdict(delivery: Delivery) -> None:
    damage = delivery.damage
    assert damage is not None
    assert any(damage.describe() == step.text for step in delivery.steps)
    verdict = delivery.marks[-1][1]
    assert verdict in SIGNATURE_MARKS, verdict
    touches = damage.touches
    if verdict == MARKS["cannot-decrypt"]:
        assert Region.PADDING in touches  # only a broken padding stops AES-CBC decryption
    elif verdict.endswith("verified"):
        assert not touches & (SIGNED | {Region.SIGNATURE}), touches
        assert "does not cover" in delivery.steps[-1].text
    elif touches & SIGNED and not touches & (STRUCTURE | SIGNATURE):
        assert verdict == "signature: the message was changed after it was signed"
    elif touches <= {Region.SIGNATURE}:
        assert verdict == MARKS["signature-unreadable"]
    if verdict != MARKS["cannot-decrypt"]:
        assert delivery.text, "with AES-CBC the changed text gets through and is shown"
        assert delivery.refused is None


def test_every_cbc_block_gets_a_specific_true_verdict(pki, entity: bytes) -> None:
    blocks = len(entity) // 16 + 1
    for block in range(blocks):
        _check_cbc_verdict(_deliver(pki, CBC, block * 16 + block * 7 % 16))


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0, max_value=6000))
def test_any_position_in_either_mode_gets_a_specific_verdict(pki, position: int) -> None:
    gcm = _deliver(pki, GCM, position)
    assert gcm.marks == ((Outcome.FAIL, MARKS["cannot-decrypt"]),)
    assert gcm.text is None and "integrity" in (gcm.refused or "")
    _check_cbc_verdict(_deliver(pki, CBC, position))


@settings(max_examples=30, deadline=None)
@given(position=st.integers(min_value=0, max_value=3000))
def test_unsigned_cbc_changes_get_through_unnoticed(pki, position: int) -> None:
    delivery = _deliver(pki, CBC, position, sign=False)
    verdict = delivery.marks[-1][1]
    assert verdict in (MARKS["not-signed"], MARKS["cannot-decrypt"])
    if verdict == MARKS["not-signed"]:
        assert delivery.text is not None and delivery.damage is not None


def test_the_lab_explains_a_garbled_structure_instead_of_blaming_the_learner(pki) -> None:
    lab = message_lab(pki)
    lab.cipher.value = CBC
    lab.transit.value = True
    lab.byte.value = 5  # the first block: the header that says the message is signed
    assert lab.error.value == ""
    assert MARKS["no-signature-found"] in lab.result.value
    assert "Alice did sign" in lab.explanation.value
    assert "header fields that say how the message is built" in lab.explanation.value
