"""Exam practice in a real browser, in English and in Japanese: run all cells, answer the first
question, press Score, and read the score and the review."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def _to_top(target) -> None:
    """Scroll so that ``target`` starts at the top of the notebook's view (for a screenshot)."""
    target.evaluate("e => e.scrollIntoView({block: 'start'})")


def _answer_first_and_score(page, screenshot, name: str):
    """Answer the first question (ア), score the set; returns the lab's locator.

    Each question prints its four choices (``.mailsec-exam-choices``) and has a row of answer
    buttons ア–エ (``.mailsec-exam-choice``), none pressed at first."""
    lab = page.locator(".mailsec-exam-lab").first
    lab.scroll_into_view_if_needed()
    first = lab.locator(".mailsec-exam-question").first
    expect(first).to_be_visible(timeout=30_000)
    expect(first.locator(".mailsec-exam-choices li")).to_have_count(4)
    choices = first.locator(".mailsec-exam-choice button")
    expect(choices).to_have_text(["ア", "イ", "ウ", "エ"])
    expect(first.locator(".mailsec-exam-choice button.mod-active")).to_have_count(0)
    expect(lab.locator(".mailsec-exam-score")).to_have_count(0)  # nothing marked before Score
    _to_top(lab)
    screenshot(page, f"{name}-paper")

    choices.first.click()
    expect(choices.first).to_have_class(re.compile(r"\bmod-active\b"))
    lab.locator(".mailsec-exam-score-button").click()
    score = lab.locator(".mailsec-exam-score")
    expect(score).to_have_attribute("data-total", re.compile(r"[1-9]\d*"), timeout=30_000)
    assert int(score.get_attribute("data-total")) > 0
    assert int(score.get_attribute("data-score")) in (0, 1)
    review = lab.locator(".mailsec-exam-review")
    expect(review).to_be_visible()  # at least nine questions are not answered
    expect(review.locator(".mailsec-exam-review-item").first).to_be_visible()
    expect(first.locator("[role='note']")).to_be_visible()  # the first question's verdict
    _to_top(first)
    screenshot(page, f"{name}-verdict")
    _to_top(score)
    screenshot(page, f"{name}-score")
    review.scroll_into_view_if_needed()
    screenshot(page, f"{name}-review")
    assert "Traceback" not in lab.text_content()
    return lab


def test_exam_practice_in_english(notebook, screenshot) -> None:
    page = notebook("90-exam-practice.ipynb")
    lab = _answer_first_and_score(page, screenshot, "90-exam-practice")
    expect(lab.locator(".mailsec-exam-score")).to_contain_text("Score:")


def test_exam_practice_in_japanese(notebook, screenshot) -> None:
    page = notebook("ja/90-exam-practice.ipynb")
    lab = page.locator(".mailsec-exam-lab").first
    first = lab.locator(".mailsec-exam-question").first
    expect(first).to_contain_text("どれか", timeout=30_000)  # every question asks 「…はどれか。」
    lab = _answer_first_and_score(page, screenshot, "90-exam-practice-ja")
    expect(lab.locator(".mailsec-exam-review")).to_contain_text("どれか")
