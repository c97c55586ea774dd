"""Every lab of every chapter, made under the pseudo-locale, shows no word that skipped the catalog.

This is the floor every chapter stands on: each lab as it first appears (its controls, its first
result and its static view). The chapters' own tests (``test_i18n_ch*.py``) drive their labs
further: every menu choice, the buttons, and bad input that shows an error. In Japanese, every lab
is made and shows Japanese text (the catalog's completeness is checked by ``i18n_tools check``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mailsec.i18n import PSEUDO
from mailsec.labs.frame import Lab
from tests.alllabs import close_all_labs, make_all_labs
from tests.pseudolocale import visible, words_outside_marks

NAMES = (
    "journey", "devices", "wire", "wire without quota", "op25b", "spf", "spoofing",
    "lookup limit", "blind spots", "live", "pipeline", "signature", "size/speed", "smime message",
    "certificate", "efail", "trust", "pgp message", "compare", "canonicalization", "key record",
    "dmarc", "reports", "mta-sts", "wiretap", "relay", "apop", "defence", "scenario", "exam",
)  # fmt: skip
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def pseudo_labs() -> Iterator[dict[str, Lab]]:
    made = make_all_labs(PSEUDO)
    yield made
    close_all_labs(made)


@pytest.fixture(scope="module")
def japanese_labs() -> Iterator[dict[str, Lab]]:
    made = make_all_labs("ja")
    yield made
    close_all_labs(made)


def test_the_list_names_every_lab(pseudo_labs: dict[str, Lab]) -> None:
    assert set(NAMES) == set(pseudo_labs)


@pytest.mark.parametrize("name", NAMES)
def test_every_word_of_a_lab_at_start_went_through_the_catalog(
    pseudo_labs: dict[str, Lab], name: str
) -> None:
    assert words_outside_marks(pseudo_labs[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_lab_speaks_japanese(japanese_labs: dict[str, Lab], name: str) -> None:
    lab = japanese_labs[name]
    assert lab.lang == "ja"
    shown = " ".join(text for _where, segments in visible(lab) for text, _wire in segments)
    assert "⟦" not in shown
    assert len(_JAPANESE.findall(shown)) > 20, shown[:300]
    assert lab.error.value == ""
