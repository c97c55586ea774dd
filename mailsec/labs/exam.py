"""Exam practice: a set of four-choice questions drawn from the bank, answered, scored, reviewed.

One line in the notebook shows it::

    from mailsec.labs.exam import exam_lab

    exam_lab()                                  # ten questions from every chapter and level
    exam_lab(topics=["03", "07"], levels=[2, 3], count=5, seed=1)

Pick the chapters, the level and the kind of question, press **New set**, answer every question
(its buttons ア–エ, as on an answer sheet, under the choices printed in full) and press **Score**.
The whole set is shown at once, as on an exam paper, and nothing says
whether an answer is right until the set is scored: then the score appears, each question says
right or wrong, and the review below lists every wrong or missing answer with the right one, the
explanation and a link to the notebook section whose lab shows it. The questions and answers are
data in the package (:mod:`mailsec.exam`); no notebook cell holds them, and the HTML of the
questions, the score and the review is made by :mod:`mailsec.render.exam`.

Tests drive it by setting ``lab.sheets[i].picker.value`` (a letter) and clicking
``lab.score_button``; a browser test finds the lab by the CSS class ``mailsec-exam-lab``, a
question's answer buttons by ``mailsec-exam-choice`` and the score by
``mailsec-exam-score``, whose ``data-score`` and ``data-total`` attributes hold the numbers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import ipywidgets as widgets

from mailsec import exam
from mailsec.exam import LETTERS, TOPICS, Bank, Kind, Level, Question, Score
from mailsec.i18n import texts, using
from mailsec.labs.frame import Lab, button, dropdown, live, tagged
from mailsec.render.exam import (
    drawn_html,
    feedback_html,
    paper_html,
    question_html,
    review_html,
    score_html,
)
from mailsec.render.html import FONT, callout, escape

__all__ = ["ExamLab", "QuestionSheet", "exam_lab"]

TEXT = texts(
    {
        "title": "Exam practice",
        "intro": "Questions in the style of the IPA exams' morning (午前) and afternoon (午後) "
        "papers, written for this course. Pick what to practise, answer every question, then "
        "press <em>Score</em>: the review explains each wrong answer and links to the lab that "
        "shows it.",
        "topic": "Chapter:",
        "level": "Level:",
        "kind": "Kind:",
        "count": "Questions:",
        "all_topics": "all chapters",
        "all_levels": "all levels",
        "all_kinds": "morning and afternoon",
        "morning": "morning (one fact)",
        "afternoon": "afternoon (a scenario to read)",
        "new_set": "New set",
        "new_set_tip": "Draw another set of questions with these choices",
        "score": "Score",
        "score_tip": "Mark the answers and show the review",
        "answer": "Answer:",
        "chapters": {
            "00": "Start here: a message's journey",
            "01": "POP3 vs IMAP4",
            "02": "OP25B",
            "03": "SPF",
            "04": "Hybrid encryption",
            "05": "S/MIME",
            "06": "PGP",
            "07": "DKIM and DMARC",
            "08": "Transport security",
            "09": "Capstone",
        },
        "static_title": "Interactive exam practice",
        "static_hint": "Run the notebook in JupyterLab to answer the questions and see the "
        "explanations.",
    }
)
"""The lab's own sentences (see :mod:`mailsec.i18n`); the words around the questions are in
:data:`mailsec.render.exam.TEXT`, and the questions are bilingual data."""

_ALL = "all"  # the menus' stand-in for "no filter" (ipywidgets shows the value None as blank)
_COUNTS = (5, 10, 20, 40)


def _level_label(level: Level) -> str:
    return f"{int(level)} · {level.exams}"


class QuestionSheet(widgets.VBox):
    """One question of the set: its text, exhibit and choices (:func:`question_html`), a row of
    answer buttons ア–エ, none pressed at first, and a feedback line that stays empty until the
    set is scored.

    The buttons carry the letters only, as an exam's answer sheet does: a widget's label cannot
    wrap, and a choice can be a long sentence; each button's tooltip is its choice's text."""

    def __init__(self, number: int, question: Question) -> None:
        self.question = question
        self.number = number
        self.prompt = widgets.HTML(question_html(number, question))
        self.picker = tagged(
            widgets.ToggleButtons(
                options=LETTERS,
                value=None,
                description=TEXT["answer"],
                tooltips=[choice.get() for choice in question.choices],
                style={"description_width": "initial", "button_width": "3em"},
                # The label beside the buttons (ipywidgets puts it above them otherwise).
                layout=widgets.Layout(display="flex", flex_flow="row wrap", align_items="center"),
            ),
            "mailsec-exam-choice",
        )
        self.feedback = live()
        super().__init__(
            [self.prompt, self.picker, self.feedback],
            layout=widgets.Layout(border_bottom="1px solid #e1e4e8", padding="4px 0"),
        )
        self.add_class("mailsec-exam-question")

    @property
    def given(self) -> str | None:
        """The letter picked, or None."""
        return self.picker.value


class ExamLab(Lab):
    """A set of exam questions to answer and score; see the module docstring."""

    def __init__(
        self,
        *,
        topics: Iterable[str] | str | None = None,
        levels: Iterable[int] | int | None = None,
        kinds: Iterable[str] | str | None = None,
        count: int = 10,
        seed: int | None = None,
        bank: Bank | None = None,
        lang: str | None = None,
    ) -> None:
        self.bank = bank if bank is not None else exam.bank()
        self.rng = random.Random(seed)
        self.topics = _selection(topics)
        self.levels = _selection(levels)
        self.kinds = _selection(kinds)
        self._make_menus(count)
        self.new_set_button = button(
            TEXT["new_set"], "mailsec-exam-new", tooltip=TEXT["new_set_tip"], icon="refresh"
        )
        self.score_button = button(
            TEXT["score"],
            "mailsec-exam-score-button",
            tooltip=TEXT["score_tip"],
            icon="check",
            button_style="primary",
        )
        self.status = live(role="status")
        self.sheets: list[QuestionSheet] = []
        self.paper = tagged(widgets.VBox([]), "mailsec-exam-paper")
        self.questions: tuple[Question, ...] = ()
        self.last_score: Score | None = None
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[
                widgets.HBox([self.topic, self.level], layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox([self.kind, self.count], layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox([self.new_set_button]),
                self.status,
                self.paper,
                widgets.HBox([self.score_button]),
            ],
            lang=lang,
        )
        self.add_class("mailsec-exam-lab")
        self.on_change([self.topic, self.level, self.kind, self.count], self.new_set)
        self.on_click(self.new_set_button, self.new_set)
        self.on_click(self.score_button, self.mark)
        self._draw(self.topics, self.levels, self.kinds)

    def _make_menus(self, count: int) -> None:
        """The chapter, level, kind and count menus, showing the filters given to the factory."""
        chapters = TEXT["chapters"]
        self.topic = dropdown(
            TEXT["topic"],
            [(TEXT["all_topics"], _ALL), *[(f"{t} · {chapters[t]}", t) for t in TOPICS]],
            _first(self.topics),
            "mailsec-exam-topic",
            width="360px",
        )
        self.level = dropdown(
            TEXT["level"],
            [(TEXT["all_levels"], _ALL), *[(_level_label(lv), str(int(lv))) for lv in Level]],
            _first(self.levels),
            "mailsec-exam-level",
            width="420px",
        )
        self.kind = dropdown(
            TEXT["kind"],
            [
                (TEXT["all_kinds"], _ALL),
                (TEXT["morning"], Kind.MORNING.value),
                (TEXT["afternoon"], Kind.AFTERNOON.value),
            ],
            _first(self.kinds),
            "mailsec-exam-kind",
            width="360px",
        )
        counts = sorted({*_COUNTS, count}) if isinstance(count, int) and count > 0 else _COUNTS
        self.count = dropdown(
            TEXT["count"],
            [(str(n), n) for n in counts],
            count if count in counts else 10,
            "mailsec-exam-count",
            width="200px",
        )

    # -- actions --------------------------------------------------------------------------------

    def new_set(self) -> None:
        """Draw a new set with the menus' choices."""
        self._draw(_menu(self.topic), _menu(self.level), _menu(self.kind))

    def _draw(
        self, topics: list[str] | None, levels: list[str] | None, kinds: list[str] | None
    ) -> None:
        self._clear()
        drawn = exam.draw(
            self.bank,
            topics=topics,
            levels=[int(v) for v in levels] if levels is not None else None,
            kinds=kinds,
            count=self.count.value,
            rng=self.rng,
        )
        self.questions = drawn
        self.sheets = [QuestionSheet(n, q) for n, q in enumerate(drawn, start=1)]
        self.paper.children = self.sheets
        self.status.value = drawn_html(len(drawn), self.count.value)

    def _clear(self) -> None:
        for sheet in self.sheets:
            sheet.close()
        self.sheets = []
        self.paper.children = ()
        self.questions = ()
        self.last_score = None
        self.status.value = ""
        self.show("")

    def mark(self) -> None:
        """Score the answers given so far; show the score, each question's verdict and the
        review."""
        result = exam.score(self.questions, {s.question.id: s.given for s in self.sheets})
        self.last_score = result
        for sheet, answered in zip(self.sheets, result.answers, strict=True):
            sheet.feedback.value = feedback_html(answered)
        self.show(score_html(result), review_html(result))

    # -- static view ----------------------------------------------------------------------------

    def static_html(self) -> str:
        with using(self.lang):
            paper = paper_html(self.questions)
            hint = callout(escape(TEXT["static_hint"]), title=TEXT["static_title"])
        return (
            f'<div class="mailsec-lab-static" style="{FONT}">{self.header.value}{paper}{hint}</div>'
        )


def _selection(values: Iterable[str] | Iterable[int] | str | int | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, (str, int)):
        return [str(values)]
    return [str(v) for v in values]


def _first(values: list[str] | None) -> str:
    """The menu value for a filter given to the factory: one value shows it, more show "all"
    (the set is still drawn from all of them until a menu is changed)."""
    return values[0] if values is not None and len(values) == 1 else _ALL


def _menu(control: widgets.Dropdown) -> list[str] | None:
    return None if control.value == _ALL else [control.value]


def exam_lab(
    *,
    topics: Iterable[str] | str | None = None,
    levels: Iterable[int] | int | None = None,
    kinds: Iterable[str] | str | None = None,
    count: int = 10,
    seed: int | None = None,
    lang: str | None = None,
) -> ExamLab:
    """The exam practice lab, ready to display (see the module docstring).

    ``topics`` (chapters such as "03"), ``levels`` (1, 2, 3) and ``kinds`` ("morning",
    "afternoon") choose the first set; ``seed`` makes the sets repeatable; ``lang`` keeps the
    lab in one language (None: the kernel's).
    """
    return ExamLab(
        topics=topics,
        levels=levels,
        kinds=kinds,
        count=count,
        seed=seed,
        lang=lang,
    )
