"""Self-checks: multiple-choice questions with immediate feedback and an explanation per answer.

Each chapter ends with a self-check built from :class:`Question` data::

    from mailsec.labs.quiz import Choice, Question, self_check

    self_check([
        Question(
            "Does POP3 always delete mail from the server?",
            (
                Choice("Yes, always", False, "No: clients offer 'leave a copy on the server'."),
                Choice("No, it is a client setting", True, "Right: ... "),
            ),
        ),
    ])

The answer is checked the moment a choice is picked (no submit button); the explanation of the
picked choice is shown, so a wrong answer teaches why it is wrong. Tests drive it by setting
``quiz.questions[i].picker.value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.labs.frame import Lab
from mailsec.render.html import FONT, callout, escape
from mailsec.trace import Outcome

__all__ = ["Choice", "Question", "QuestionWidget", "SelfCheck", "self_check"]


@dataclass(frozen=True)
class Choice:
    """One possible answer and why it is right or wrong."""

    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    """A question with its choices; at least one choice is correct."""

    prompt: str
    choices: tuple[Choice, ...]

    def __post_init__(self) -> None:
        if len(self.choices) < 2:
            raise InputError(f"The question {self.prompt!r} needs at least two choices.")
        if not any(c.correct for c in self.choices):
            raise InputError(f"The question {self.prompt!r} has no correct choice.")


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


def self_check(questions: Sequence[Question], *, title: str = "Self-check") -> SelfCheck:
    """Build a chapter's self-check widget."""
    return SelfCheck(questions, title=title)
