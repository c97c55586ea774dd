"""Self-checks are data in the package: no notebook shows the answers, and right answers are spread."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from mailsec.errors import InputError
from mailsec.labs.quiz import self_check
from mailsec.selfcheck import CHAPTERS, Choice, Question, arranged, questions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("[0-9][0-9]-*.ipynb"))


def _right_position(question: Question) -> int:
    return [c.correct for c in question.choices].index(True)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_loads_with_one_right_answer_per_question(chapter: str) -> None:
    loaded = questions(chapter)
    assert 3 <= len(loaded) <= 8
    for question in loaded:
        assert sum(c.correct for c in question.choices) == 1, question.id
        assert all(c.why.strip() for c in question.choices), question.id


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_position_holds_most_of_a_chapters_right_answers(chapter: str) -> None:
    positions = Counter(_right_position(q) for q in questions(chapter))
    assert max(positions.values()) <= math.ceil(len(questions(chapter)) / 2), positions


def test_right_answers_are_spread_over_the_course() -> None:
    positions = Counter(_right_position(q) for ch in CHAPTERS for q in questions(ch))
    total = sum(positions.values())
    assert max(positions.values()) <= 0.45 * total, positions
    assert {0, 1, 2} <= set(positions), positions


def test_the_arrangement_is_fixed_whatever_order_the_choices_were_written_in() -> None:
    choices = (
        Choice("a", False, "no a"),
        Choice("b", True, "yes b"),
        Choice("c", False, "no c"),
    )
    one = arranged((Question("Which?", choices, "which"),))
    other = arranged((Question("Which?", choices[::-1], "which"),))
    assert one == other
    assert arranged(one) == one


def test_the_widget_shows_the_chapters_questions_in_the_arranged_order() -> None:
    quiz = self_check("03")
    assert [w.question for w in quiz.questions] == list(questions("03"))
    first = quiz.questions[0]
    right = next(c for c in first.question.choices if c.correct)
    first.picker.value = right.text
    assert "Correct" in first.feedback.value and quiz.score == (1, len(quiz.questions))


@pytest.mark.parametrize("bad", ["3", "99", "../00", 3])
def test_an_unknown_chapter_is_refused_with_a_sentence(bad: object) -> None:
    with pytest.raises(InputError, match=r"[Cc]hapter"):
        questions(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_cell_holds_an_answer_key(path: Path) -> None:
    """A learner must not see the answers above the quiz: no choices, no explanations, no flags."""
    nb = nbformat.read(path, as_version=4)
    explanations = [c.why for ch in CHAPTERS for q in questions(ch) for c in q.choices]
    for index, cell in enumerate(nb.cells):
        source = cell.source
        assert "Choice(" not in source and "Question(" not in source, (
            f"{path.name} cell {index} writes self-check questions; call self_check('NN')"
        )
        leaked = [why for why in explanations if why[:60] in source]
        assert not leaked, f"{path.name} cell {index} shows a self-check explanation: {leaked[0]!r}"


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if p.name[:2] in CHAPTERS], ids=lambda p: str(p.relative_to(ROOT))
)
def test_each_notebook_loads_its_own_chapters_self_check(path: Path) -> None:
    """Every chapter notebook, in both editions (90, the exam practice, is not a chapter)."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert f'self_check("{path.name[:2]}")' in code


@pytest.mark.parametrize(
    ("chapter", "qid", "point"),
    [
        ("01", "pop3-offline", "without any connection"),
        ("01", "pop3-storage-limit", "as long as the device's storage allows"),
        ("03", "both-sides", "needs both sides"),
    ],
)
def test_the_sources_points_are_asked_in_a_right_answer(chapter: str, qid: str, point: str) -> None:
    """COURSE.md's facts from the source are asked, and taught by the right answer itself."""
    question = next(q for q in questions(chapter) if q.id == qid)
    right = next(c for c in question.choices if c.correct)
    assert point in right.why


def test_the_data_files_are_valid_json_named_after_their_chapter() -> None:
    files = sorted((ROOT / "mailsec" / "data" / "selfcheck").glob("*.json"))
    assert [f.stem for f in files] == list(CHAPTERS)
    for file in files:
        assert json.loads(file.read_text("utf-8"))["chapter"] == file.stem
