"""Self-check questions as data: one JSON file per chapter in ``mailsec/data/selfcheck/``.

A chapter's self-check is loaded by :func:`questions` (``questions("03")``) and shown by
:func:`mailsec.labs.quiz.self_check`; no notebook cell holds a question, so no answer is on screen
before the learner picks one. A file looks like this::

    {"chapter": "03",
     "questions": [
       {"id": "pass-proves",
        "prompt": "An SPF check gives pass. What does that prove?",
        "choices": [{"text": "...", "correct": false, "why": "No: ..."},
                    {"text": "...", "correct": true, "why": "Right: ..."}]}]}

Each choice carries the explanation shown when it is picked, so a wrong answer teaches why it is
wrong. The choices are rearranged (:func:`arranged`) so that the right answers are spread over
the positions, the same way every time, so tests and screenshots see a stable order.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mailsec.errors import InputError

__all__ = ["CHAPTERS", "Choice", "Question", "arranged", "questions"]

#: The chapters that have a self-check file.
CHAPTERS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09")

_CHAPTER_ID = re.compile(r"\d\d")
_QUESTION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_MAX_CHOICES = 6


@dataclass(frozen=True)
class Choice:
    """One possible answer and why it is right or wrong."""

    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    """A question with its choices; at least one choice is correct.

    ``id`` names the question within its chapter (it also fixes the order of its choices); a
    question written in a notebook for practice may leave it empty.
    """

    prompt: str
    choices: tuple[Choice, ...]
    id: str = ""

    def __post_init__(self) -> None:
        if not 2 <= len(self.choices) <= _MAX_CHOICES:
            raise InputError(
                f"The question {self.prompt!r} needs 2 to {_MAX_CHOICES} choices, "
                f"not {len(self.choices)}."
            )
        if not any(c.correct for c in self.choices):
            raise InputError(f"The question {self.prompt!r} has no correct choice.")
        if len({c.text for c in self.choices}) != len(self.choices):
            raise InputError(f"The question {self.prompt!r} has two choices with the same text.")


def arranged(chapter_questions: tuple[Question, ...]) -> tuple[Question, ...]:
    """The questions in their order, each one's choices rearranged so that right answers are spread.

    The arrangement is fixed (it depends only on the questions' ids and texts), so tests and
    screenshots see the same order every time, and balanced: taken in an order set by a hash of
    their ids, the questions put their right answer first, second, third, ... in turn, so no
    position holds most of a chapter's right answers. Wrong choices are ordered by a hash too.
    """
    by_hash = sorted(range(len(chapter_questions)), key=lambda i: _digest(chapter_questions[i].id))
    slot = {index: turn for turn, index in enumerate(by_hash)}
    result = []
    for index, question in enumerate(chapter_questions):
        right = [c for c in question.choices if c.correct]
        wrong = sorted(
            (c for c in question.choices if not c.correct),
            key=lambda c: _digest(f"{question.id}\0{c.text}"),
        )
        at = slot[index] % len(question.choices)
        choices = (*wrong[:at], *right, *wrong[at:])
        result.append(Question(question.prompt, choices, question.id))
    return tuple(result)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def questions(chapter: str) -> tuple[Question, ...]:
    """The self-check of ``chapter`` (one of :data:`CHAPTERS`), its choices shuffled."""
    if not isinstance(chapter, str) or not _CHAPTER_ID.fullmatch(chapter):
        raise InputError(f"{chapter!r} is not a chapter number; use two digits such as '03'.")
    if chapter not in CHAPTERS:
        raise InputError(
            f"Chapter {chapter} has no self-check; the chapters with one are {', '.join(CHAPTERS)}."
        )
    return _load(chapter)


@functools.cache
def _load(chapter: str) -> tuple[Question, ...]:
    path = resources.files("mailsec").joinpath(f"data/selfcheck/{chapter}.json")
    data = json.loads(path.read_text("utf-8"))
    if data.get("chapter") != chapter:
        raise InputError(
            f"The self-check file of chapter {chapter} names chapter {data.get('chapter')!r}."
        )
    loaded = tuple(_question(item, chapter) for item in data["questions"])
    ids = [q.id for q in loaded]
    if len(set(ids)) != len(ids):
        raise InputError(f"Chapter {chapter}'s self-check uses a question id twice: {ids}.")
    return arranged(loaded)


def _question(item: dict[str, Any], chapter: str) -> Question:
    qid = item.get("id", "")
    if not isinstance(qid, str) or not _QUESTION_ID.fullmatch(qid):
        raise InputError(
            f"Chapter {chapter}'s self-check has a question without a valid id: {qid!r}."
        )
    choices = tuple(
        Choice(_text(c, "text"), c.get("correct") is True, _text(c, "why"))
        for c in item.get("choices", ())
    )
    if sum(c.correct for c in choices) != 1:
        raise InputError(f"Question {qid!r} of chapter {chapter} needs exactly one right choice.")
    return Question(_text(item, "prompt"), choices, qid)


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"A self-check entry has no {key!r} text: {item!r:.80}.")
    return value
