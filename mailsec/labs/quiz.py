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
from mailsec.labs.frame import Lab
from mailsec.render.html import FONT, callout, escape
from mailsec.selfcheck import Choice, Question, questions
from mailsec.trace import Outcome

__all__ = ["Choice", "Question", "QuestionWidget", "SelfCheck", "self_check"]


class QuestionWidget(widgets.VBox):
    """One question: the prompt, radio buttons and the feedback area."""

    def __init__(self, number: int, question: Question) -> None:
        self.question = question
        self.prompt = widgets.HTML(
            f'<div style="{FONT}"><strong>{number}. {escape(question.prompt)}</strong></div>'
        )
        self.picker = widgets.RadioButtons(
            options=[c.text for c in question.choices],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        self.picker.add_class("mailsec-quiz-choice")
        self.feedback = widgets.HTML("")
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
        choice = self._picked()
        if choice is None:
            self.feedback.value = ""
        elif choice.correct:
            self.feedback.value = callout(escape(choice.why), outcome=Outcome.OK, title="Correct")
        else:
            self.feedback.value = callout(
                escape(choice.why), outcome=Outcome.FAIL, title="Not quite"
            )


class SelfCheck(Lab):
    """A chapter's self-check: the questions and a running score."""

    def __init__(self, questions: Sequence[Question], *, title: str = "Self-check") -> None:
        if not questions:
            raise InputError("A self-check needs at least one question.")
        self.questions = [QuestionWidget(i, q) for i, q in enumerate(questions, start=1)]
        super().__init__(
            title,
            intro="Pick an answer: you see at once whether it is right, and why.",
            controls=self.questions,
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
        self.show(
            f'<div style="{FONT}" aria-live="polite">Score: <strong>{right} of {total}</strong> '
            f"correct ({answered} answered).</div>"
        )

    def static_html(self) -> str:
        items = "".join(
            f"<li>{escape(q.question.prompt)}<ul>"
            + "".join(f"<li>{escape(c.text)}</li>" for c in q.question.choices)
            + "</ul></li>"
            for q in self.questions
        )
        return f'<div style="{FONT}"><h3>{escape(self.title)}</h3><ol>{items}</ol></div>' + callout(
            "Run the notebook in JupyterLab to answer and see the explanations.",
            title="Interactive self-check",
        )


def self_check(
    chapter: str | Sequence[Question], *, title: str = "Self-check", lang: str | None = None
) -> SelfCheck:
    """A chapter's self-check widget (``self_check("03")``), or one of your own questions."""
    if isinstance(chapter, str):
        return SelfCheck(questions(chapter), title=title, lang=lang)
    return SelfCheck(chapter, title=title, lang=lang)
