"""Self-checks: multiple-choice questions with immediate feedback and an explanation per answer.

A chapter's self-check is one line in its notebook; the questions are data in the package
(:mod:`mailsec.selfcheck`), so no cell shows the answers::

    from mailsec.labs.quiz import self_check

    self_check("03")

The answer is checked the moment a choice is picked (no submit button); the explanation of the
picked choice is shown, so a wrong answer teaches why it is wrong. Learners who want to write their
own questions pass :class:`~mailsec.selfcheck.Question` objects instead of a chapter number. Tests
drive it by setting ``quiz.questions[i].picker.value``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.i18n import language, texts, using
from mailsec.labs.frame import Lab, live
from mailsec.render.html import FONT, callout, escape
from mailsec.selfcheck import Choice, Question, questions
from mailsec.trace import Outcome

__all__ = ["Choice", "Question", "QuestionWidget", "SelfCheck", "self_check"]

TEXT = texts(
    {
        "title": "Self-check",
        "intro": "Pick an answer: you see at once whether it is right, and why.",
        "correct": "Correct",
        "not_quite": "Not quite",
        "score": "Score: <strong>{right} of {total}</strong> correct ({answered} answered).",
        "none": "A self-check needs at least one question.",
        "static": "Run the notebook in JupyterLab to answer and see the explanations.",
        "static_title": "Interactive self-check",
    }
)
"""The quiz's own words (see :mod:`mailsec.i18n`); the questions are data
(:mod:`mailsec.selfcheck`), in both languages."""

_CHOICE_CSS = (
    ".mailsec-quiz-choice .widget-radio-box label,"
    ".mailsec-quiz-choice .jupyter-widget-radio-box label{"
    "display:flex;align-items:flex-start;height:auto;"
    "min-height:var(--jp-widgets-radio-item-height,20px);line-height:1.45;"
    "white-space:normal;overflow-wrap:anywhere;padding:2px 0}"
    ".mailsec-quiz-choice .widget-radio-box input,"
    ".mailsec-quiz-choice .jupyter-widget-radio-box input{"
    "float:none;order:-1;flex:none;height:auto;margin-top:0.25em}"
)
"""Radio choices that wrap instead of overlapping the next one.

ipywidgets 8 draws each choice as ``<label>text<input type="radio"></label>`` in a column and
gives every label a fixed ``height`` and ``line-height`` of one line (about 20 px, so that the
radio button, floated left, sits on the text's line). A choice longer than the column wraps
inside that fixed box, and its second line spills over the next choice. Here the label's
height follows its text (``height:auto``, still at least one line), its lines are spaced as
prose (``line-height``), it wraps (``white-space:normal``; ``overflow-wrap:anywhere`` for a long
host name or a Japanese sentence without spaces) and it is a flex row: the radio button comes
first (``order:-1``, no longer floated, so wrapped lines do not flow under it) at the first
line's height, and the text beside it takes the rest of the width, so every line of a long
choice starts at the same indent and the next choice starts below its last line.
"""


class QuestionWidget(widgets.VBox):
    """One question: the prompt, radio buttons and the feedback area."""

    def __init__(self, number: int, question: Question) -> None:
        self.question = question
        self.lang = language()
        """The language it was made in: the feedback is written in it too."""
        self.prompt = widgets.HTML(
            f'<div style="{FONT}"><strong>{number}. {escape(question.prompt)}</strong></div>'
        )
        self.picker = widgets.RadioButtons(
            options=[c.text for c in question.choices],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        self.picker.add_class("mailsec-quiz-choice")
        self.feedback = live()
        self.picker.observe(self._on_pick, names="value")
        super().__init__([self.prompt, self.picker, self.feedback])

    @property
    def answered_correctly(self) -> bool | None:
        """True or False once answered, None before."""
        choice = self._picked()
        return None if choice is None else choice.correct

    def _picked(self) -> Choice | None:
        return next((c for c in self.question.choices if c.text == self.picker.value), None)

    def _on_pick(self, _change: object) -> None:
        with using(self.lang):
            self._show_feedback()

    def _show_feedback(self) -> None:
        choice = self._picked()
        if choice is None:
            self.feedback.value = ""
        elif choice.correct:
            self.feedback.value = callout(
                escape(choice.why), outcome=Outcome.OK, title=TEXT["correct"]
            )
        else:
            self.feedback.value = callout(
                escape(choice.why), outcome=Outcome.FAIL, title=TEXT["not_quite"]
            )


class SelfCheck(Lab):
    """A chapter's self-check: the questions and a running score."""

    def __init__(
        self, questions: Sequence[Question], *, title: str | None = None, lang: str | None = None
    ) -> None:
        if not questions:
            raise InputError(TEXT["none"])
        self.questions = [QuestionWidget(i, q) for i, q in enumerate(questions, start=1)]
        # A <style> applies wherever it is, even in a hidden widget, which takes no room.
        self.choice_css = widgets.HTML(
            f"<style>{_CHOICE_CSS}</style>", layout=widgets.Layout(display="none")
        )
        super().__init__(
            TEXT["title"] if title is None else title,
            intro=TEXT["intro"],
            controls=[self.choice_css, *self.questions],
            lang=lang,
        )
        self.add_class("mailsec-quiz")
        self.on_change([q.picker for q in self.questions], self._update_score)
        self._update_score()

    @property
    def score(self) -> tuple[int, int]:
        """(correct answers, questions)."""
        return sum(1 for q in self.questions if q.answered_correctly), len(self.questions)

    def _update_score(self) -> None:
        right, total = self.score
        answered = sum(1 for q in self.questions if q.answered_correctly is not None)
        score = TEXT["score"].format(right=right, total=total, answered=answered)
        self.show(f'<div style="{FONT}" aria-live="polite">{score}</div>')

    def static_html(self) -> str:
        with using(self.lang):
            return self._static_html()

    def _static_html(self) -> str:
        items = "".join(
            f"<li>{escape(q.question.prompt)}<ul>"
            + "".join(f"<li>{escape(c.text)}</li>" for c in q.question.choices)
            + "</ul></li>"
            for q in self.questions
        )
        return f'<div style="{FONT}"><h3>{escape(self.title)}</h3><ol>{items}</ol></div>' + callout(
            escape(TEXT["static"]), title=TEXT["static_title"]
        )


def self_check(
    chapter: str | Sequence[Question], *, title: str | None = None, lang: str | None = None
) -> SelfCheck:
    """A chapter's self-check widget (``self_check("03")``), or one of your own questions.

    A chapter's questions are shown in ``lang`` (default: the kernel's language), as its title,
    labels and score are; ``title`` replaces the title ("Self-check")."""
    if isinstance(chapter, str):
        with using(lang):
            return SelfCheck(questions(chapter, lang=lang), title=title, lang=lang)
    return SelfCheck(chapter, title=title, lang=lang)
