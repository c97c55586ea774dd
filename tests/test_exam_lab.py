"""The exam practice lab, driven headless: draw a set, answer, score, review, in both languages."""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import pytest

from mailsec import exam
from mailsec.exam import LETTERS, Kind
from mailsec.i18n import set_language
from mailsec.labs.exam import ExamLab, exam_lab


def _wrong(letter: str) -> str:
    return next(other for other in LETTERS if other != letter)


def _controls(widget: widgets.Widget):
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _controls(child)


@pytest.fixture
def lab() -> ExamLab:
    made = exam_lab(topics=["03"], count=5, seed=3, lang="en")
    yield made
    made.close()


def test_the_lab_draws_a_set_of_the_asked_chapter_with_labelled_controls(lab: ExamLab) -> None:
    assert "mailsec-exam-lab" in lab._dom_classes and "mailsec-lab" in lab._dom_classes
    assert len(lab.sheets) == 5 and {s.question.topic for s in lab.sheets} == {"03"}
    assert lab.topic.value == "03" and lab.level.value == "all"
    for control in _controls(lab):
        if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.Button)):
            assert control.description.strip(), control
    for sheet in lab.sheets:
        assert sheet.picker.options == LETTERS  # the answer sheet: the letters only
        assert sheet.picker.tooltips == tuple(c.en for c in sheet.question.choices)
        assert sheet.picker.value is None and sheet.feedback.value == ""
        shown = html.unescape(sheet.prompt.value)  # the booklet: the question and its choices
        assert 'class="mailsec-exam-choices"' in shown
        assert all(choice.en in shown for choice in sheet.question.choices)
    assert lab.result.value == "" and lab.explanation.value == ""


def test_nothing_tells_the_answer_before_the_set_is_scored(lab: ExamLab) -> None:
    shown = lab.status.value + "".join(s.prompt.value + s.feedback.value for s in lab.sheets)
    shown += lab.static_html()
    for sheet in lab.sheets:
        assert sheet.question.explanation.en[:40] not in shown
    lab.sheets[0].picker.value = lab.sheets[0].question.answer
    assert lab.sheets[0].feedback.value == "" and lab.result.value == ""


def test_scoring_shows_the_score_and_reviews_the_wrong_answers(lab: ExamLab) -> None:
    first, second = lab.sheets[0], lab.sheets[1]
    first.picker.value = first.question.answer
    second.picker.value = _wrong(second.question.answer)
    lab.score_button.click()
    assert lab.error.value == ""
    assert lab.last_score is not None and (lab.last_score.right, lab.last_score.total) == (1, 5)
    score = re.search(
        r'class="mailsec-exam-score" data-score="(\d+)" data-total="(\d+)"', lab.result.value
    )
    assert score and score.groups() == ("1", "5")
    assert "Score: 1 of 5 (20%)" in lab.result.value and "3 not answered." in lab.result.value
    assert "Right." in first.feedback.value
    assert f"the answer is {second.question.answer}" in second.feedback.value
    review = lab.explanation.value
    assert review.count('class="mailsec-exam-review-item"') == 4
    assert first.question.text.en[:30] not in review
    html_explanation = second.question.explanation.en.replace("'", "&#x27;")
    assert html_explanation[:60] in review
    assert f"Your answer: {second.picker.value}" in review
    assert f'href="{second.question.link.href("en")}' in review.replace("&#x27;", "'")


def test_a_perfect_set_says_so(lab: ExamLab) -> None:
    for sheet in lab.sheets:
        sheet.picker.value = sheet.question.answer
    lab.score_button.click()
    assert 'data-score="5" data-total="5"' in lab.result.value
    assert "Every answer is right" in lab.explanation.value


def test_new_set_and_the_menus_draw_again(lab: ExamLab) -> None:
    before = [s.question.id for s in lab.sheets]
    lab.sheets[0].picker.value = "ア"
    lab.score_button.click()
    lab.new_set_button.click()
    assert [s.question.id for s in lab.sheets] != before
    assert lab.result.value == "" and lab.explanation.value == ""
    lab.topic.value = "07"
    lab.level.value = "3"
    assert lab.sheets and {(s.question.topic, int(s.question.level)) for s in lab.sheets} == {
        ("07", 3)
    }
    lab.count.value = 20
    assert "Only" in lab.status.value  # fewer level-3 questions of chapter 07 than 20


def test_an_impossible_choice_is_a_message_in_the_lab(lab: ExamLab) -> None:
    lab.topic.value = "00"
    lab.kind.value = Kind.AFTERNOON.value
    assert "No question matches" in lab.error.value
    assert lab.sheets == [] and lab.paper.children == ()
    lab.kind.value = "all"
    assert lab.error.value == "" and lab.sheets


def test_afternoon_questions_show_their_exhibit() -> None:
    made = exam_lab(kinds="afternoon", topics="07", count=1, seed=2, lang="en")
    (sheet,) = made.sheets
    assert sheet.question.kind is Kind.AFTERNOON
    assert "<pre" in sheet.prompt.value and "Authentication-Results:" in sheet.prompt.value
    made.close()


def test_the_same_seed_draws_the_same_set() -> None:
    one, two = exam_lab(seed=11, lang="en"), exam_lab(seed=11, lang="en")
    assert [s.question for s in one.sheets] == [s.question for s in two.sheets]
    one.close()
    two.close()


def test_in_japanese_the_lab_shows_the_japanese_question_text() -> None:
    made = exam_lab(topics=["01"], count=3, seed=4, lang="ja")
    for sheet in made.sheets:
        assert sheet.question.text.ja in sheet.prompt.value.replace("&#x27;", "'")
        assert sheet.question.text.en not in sheet.prompt.value
        assert sheet.question.choices[0].ja in html.unescape(sheet.prompt.value)
        assert sheet.picker.tooltips[0] == sheet.question.choices[0].ja
    sheet = made.sheets[0]
    sheet.picker.value = _wrong(sheet.question.answer)
    made.score_button.click()  # the callback runs in the lab's language, whatever the kernel's
    assert sheet.question.explanation.ja[:30] in made.explanation.value
    made.close()


def test_without_lang_the_lab_follows_the_kernels_language() -> None:
    set_language("ja")
    try:
        made = exam_lab(topics=["05"], count=2, seed=1)
        assert made.sheets[0].question.text.ja in made.sheets[0].prompt.value
    finally:
        set_language("en")
    made.close()


def test_the_lab_uses_the_package_bank_and_never_mutates_it() -> None:
    made = exam_lab(seed=1, lang="en")
    assert made.bank is exam.bank()
    assert all(
        s.question in exam.bank().questions or s.question.kind is Kind.AFTERNOON
        for s in made.sheets
    )
    made.close()
