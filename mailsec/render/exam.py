"""The exam practice's HTML: a question as the paper prints it, the score, the verdicts, the review.

A question is printed as on the exam's question booklet: its number and text, its exhibit, and the
four choices, each after its letter (ア–エ) with the lines of a long choice under its text, not
under the letter. The lab's answer buttons then carry the letters only, like the answer sheet:
a widget's own labels cannot wrap a long line, and a choice can be a long Japanese sentence.

Every function takes the exam's own values (:class:`~mailsec.exam.Question`,
:class:`~mailsec.exam.Answered`, :class:`~mailsec.exam.Score`) and returns a :class:`Fragment`;
the lab (:mod:`mailsec.labs.exam`) only puts them on screen. A question's texts are shown in the
current language (:meth:`mailsec.exam.Text.get`), the words around them are in :data:`TEXT`.

Browser tests find the score by the CSS class ``mailsec-exam-score``, whose ``data-score`` and
``data-total`` attributes hold the numbers, and the review by ``mailsec-exam-review`` (one
``mailsec-exam-review-item`` per question to look at again). A verdict is a symbol and a word,
never a colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailsec.exam import LETTERS, Answered, Question, Score
from mailsec.i18n import ngettext, texts
from mailsec.render.html import FONT, Fragment, callout, code_block, escape
from mailsec.trace import Outcome

__all__ = [
    "TEXT",
    "choices_html",
    "drawn_html",
    "feedback_html",
    "paper_html",
    "question_html",
    "review_html",
    "score_html",
]

TEXT = texts(
    {
        "number": "Question {number}",
        "tags": "Chapter {topic} · level {level} ({exams}) · {kind}",
        "kinds": {"morning": "morning", "afternoon": "afternoon"},
        "result": "Score: {right} of {total} ({percent}%)",
        "right": "Right.",
        "wrong": "Not right: the answer is {answer}.",
        "missing": "Not answered: the answer is {answer}.",
        "review_title": "Review: the questions to look at again",
        "all_right": "Every answer is right. Draw a new set, or pick a higher level.",
        "your_answer": "Your answer: {answer}",
        "no_answer": "Your answer: none",
        "right_answer": "Right answer: {answer}",
        "revisit": "Revisit: {link}",
        "link": "chapter {chapter}, “{heading}”",
    }
)
"""The words around the questions (see :mod:`mailsec.i18n`); the questions are bilingual data."""

# The HTML widget's own line height (28 px, one control's height) spreads paragraphs apart.
_LINES = "line-height:1.5;"
# A widget's HTML is not styled as a notebook's Markdown is: a link is blue and underlined here.
_LINK = "color:#0b57d0;text-decoration:underline"


def choices_html(question: Question) -> Fragment:
    """The four choices, each after its letter; a long choice wraps under its own text."""
    items = "".join(
        f'<li style="display:flex;gap:0.75em;margin:3px 0">'
        f'<span style="flex:none;font-weight:600">{letter}</span>'
        f"<span>{escape(choice.get())}</span></li>"
        for letter, choice in zip(LETTERS, question.choices, strict=True)
    )
    return Fragment(
        f'<ol class="mailsec-exam-choices" style="list-style:none;padding-left:0.5em;'
        f'margin:6px 0">{items}</ol>'
    )


def question_html(number: int, question: Question) -> Fragment:
    """The question's tags (chapter, level, kind), its number and text, its exhibit and its
    four choices."""
    kind = TEXT["kinds"][question.kind.value]
    tags = TEXT["tags"].format(
        topic=question.topic, level=int(question.level), exams=question.level.exams, kind=kind
    )
    exhibit = code_block(question.exhibit.get()) if question.exhibit else ""
    return Fragment(
        f'<div style="{FONT}{_LINES}"><div style="color:#555;font-size:12px">{escape(tags)}</div>'
        f"<strong>{escape(TEXT['number'].format(number=number))}</strong> "
        f"{escape(question.text.get())}{exhibit}{choices_html(question)}</div>"
    )


def paper_html(questions: Sequence[Question]) -> Fragment:
    """The whole set as a list, each question with its four choices and no answer (the static
    view of the lab)."""
    items = "".join(
        f'<li style="margin:8px 0">{question_html(number, question)}</li>'
        for number, question in enumerate(questions, start=1)
    )
    return Fragment(f'<ol style="list-style:none;padding-left:0">{items}</ol>')


def drawn_html(drawn: int, asked: int) -> Fragment:
    """How many questions were drawn, and that there are no more when fewer than ``asked``."""
    message = ngettext(
        "{count} question drawn. Answer it, then press Score.",
        "{count} questions drawn. Answer them all, then press Score.",
        drawn,
    ).format(count=drawn)
    if drawn < asked:
        fewer = ngettext(
            "Only {count} question matches these choices.",
            "Only {count} questions match these choices; they are all here.",
            drawn,
        )
        message += " " + fewer.format(count=drawn)
    return Fragment(f'<div style="{FONT}">{escape(message)}</div>')


def feedback_html(answered: Answered) -> Fragment:
    """One question's verdict once the set is scored: right, wrong or not answered."""
    answer = answered.question.answer
    if answered.correct:
        return callout(escape(TEXT["right"]), outcome=Outcome.OK)
    if answered.given is None:
        return callout(escape(TEXT["missing"].format(answer=answer)), outcome=Outcome.WARN)
    return callout(escape(TEXT["wrong"].format(answer=answer)), outcome=Outcome.FAIL)


def score_html(result: Score) -> Fragment:
    """The score line, with the numbers in ``data-`` attributes for browser tests."""
    percent = round(100 * result.right / result.total) if result.total else 0
    line = TEXT["result"].format(right=result.right, total=result.total, percent=percent)
    missing = sum(a.given is None for a in result.answers)
    unanswered = ngettext("{count} not answered.", "{count} not answered.", missing)
    extra = f" {escape(unanswered.format(count=missing))}" if missing else ""
    return Fragment(
        f'<div class="mailsec-exam-score" data-score="{result.right}" data-total="{result.total}" '
        f'role="status" aria-live="polite" style="{FONT}font-size:16px;margin:6px 0">'
        f"<strong>{escape(line)}</strong>{extra}</div>"
    )


def _review_item(number: int, answered: Answered) -> str:
    q = answered.question
    given = (
        TEXT["your_answer"].format(answer=f"{answered.given} {q.choice(answered.given).get()}")
        if answered.given
        else TEXT["no_answer"]
    )
    right = TEXT["right_answer"].format(answer=f"{q.answer} {q.right.get()}")
    link = TEXT["link"].format(chapter=q.link.chapter, heading=q.link.heading_in())
    anchor = f'<a href="{escape(q.link.href())}" target="_self" style="{_LINK}">{escape(link)}</a>'
    return (
        f'<li class="mailsec-exam-review-item" style="margin:10px 0">'
        f"<strong>{escape(TEXT['number'].format(number=number))}</strong> "
        f"{escape(q.text.get())}<br>{escape(given)}<br><strong>{escape(right)}</strong>"
        f"<div style='margin:4px 0'>{escape(q.explanation.get())}</div>"
        f"{escape(TEXT['revisit']).format(link=anchor)}</li>"
    )


def review_html(result: Score) -> Fragment:
    """Every wrong or missing answer: the question, both answers, the explanation, the link."""
    if not result.wrong:
        return callout(escape(TEXT["all_right"]), outcome=Outcome.OK)
    numbers = {a.question.id: n for n, a in enumerate(result.answers, start=1)}
    items = "".join(_review_item(numbers[a.question.id], a) for a in result.wrong)
    return Fragment(
        f'<div class="mailsec-exam-review" style="{FONT}{_LINES}"><h4 style="margin:8px 0 4px">'
        f"{escape(TEXT['review_title'])}</h4><ul style='list-style:none;padding-left:0'>"
        f"{items}</ul></div>"
    )
