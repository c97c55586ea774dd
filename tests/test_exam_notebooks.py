"""The exam practice notebooks: both editions exist, are stripped, call the package, and no cell
(source, output or metadata) holds an answer or an explanation."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from mailsec import exam
from mailsec.editions import LANGUAGE_CELL, LANGUAGE_TAG
from tests.nbexpected import is_checked

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = ROOT / "notebooks" / "90-exam-practice.ipynb"
JAPANESE = ROOT / "notebooks" / "ja" / "90-exam-practice.ipynb"
EDITIONS = [ENGLISH, JAPANESE]


def _code(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_notebook_is_stripped_and_its_checked_cells_have_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
            if is_checked(cell):
                assert cell.metadata["mailsec"]["expected_outputs"]


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_notebook_shows_the_lab_and_a_set_for_one_chapter(path: Path) -> None:
    code = "\n".join(_code(nbformat.read(path, as_version=4)))
    assert "exam_lab()" in code
    assert 'draw(bank(), topics=["03"]' in code
    assert 'kinds="afternoon"' in code


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_cell_holds_an_answer_or_an_explanation(path: Path) -> None:
    raw = path.read_text("utf-8")
    for question in exam.bank().questions:
        for text in (question.explanation.en, question.explanation.ja):
            assert text[:40] not in raw, f"{path.name} shows the explanation of {question.id}"
    for generator in exam.GENERATORS:
        for text in generator.template.explanations.values():
            assert text.en[:40] not in raw and text.ja[:30] not in raw
    assert '"answer"' not in raw


def test_the_japanese_edition_has_the_same_code_after_its_language_cell() -> None:
    english, japanese = (nbformat.read(p, as_version=4) for p in EDITIONS)
    first = next(c for c in japanese.cells if c.cell_type == "code")
    assert first.source == LANGUAGE_CELL and LANGUAGE_TAG in first.metadata["tags"]
    assert _code(japanese)[1:] == _code(english)
    markdown = [c for c in japanese.cells if c.cell_type == "markdown"]
    assert len(markdown) == sum(c.cell_type == "markdown" for c in english.cells)
    assert "どれか" in "\n".join(c.source for c in markdown)


def test_the_japanese_edition_records_japanese_output() -> None:
    japanese = nbformat.read(JAPANESE, as_version=4)
    outputs = [
        o["text"]
        for c in japanese.cells
        if is_checked(c)
        for o in c.metadata["mailsec"]["expected_outputs"]
    ]
    assert outputs and all("はどれか。" in text for text in outputs)
