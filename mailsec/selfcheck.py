"""Self-check questions as data: one JSON file per chapter in ``mailsec/data/selfcheck/``.

A chapter's self-check is loaded by :func:`questions` (``questions("03")``) and shown by
:func:`mailsec.labs.quiz.self_check`; no notebook cell holds a question, so no answer is on screen
before the learner picks one. Every text is written in English and Japanese, side by side, as the
exam's questions are (:mod:`mailsec.exam.schema`); a file looks like this::

    {"chapter": "03",
     "questions": [
       {"id": "pass-proves",
        "prompt": {"en": "An SPF check gives pass. What does that prove?",
                   "ja": "SPFの確認結果がpassでした。これで何が証明されますか。"},
        "choices": [{"text": {"en": "...", "ja": "..."}, "correct": false,
                     "why": {"en": "No: ...", "ja": "いいえ。..."}},
                    {"text": {"en": "...", "ja": "..."}, "correct": true,
                     "why": {"en": "Right: ...", "ja": "正解です。..."}}]}]}

The self-check data is data, not catalog messages: a text without its Japanese (or English) is
an error that names the chapter, the question and the text, not a fallback to English.

Each choice carries the explanation shown when it is picked, so a wrong answer teaches why it is
wrong. The choices are rearranged (:func:`arranged`) so that the right answers are spread over
the positions, the same way every time and in both languages (the English texts decide the
order), so tests and screenshots see a stable order.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mailsec.errors import InputError
from mailsec.i18n import LANGUAGES, PSEUDO, checked, language, texts

__all__ = ["CHAPTERS", "Choice", "Question", "arranged", "questions"]

#: The chapters that have a self-check file.
CHAPTERS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09")

_CHAPTER_ID = re.compile(r"\d\d")
_QUESTION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_MAX_CHOICES = 6

TEXT = texts(
    {
        "choices": "The question {prompt} needs {low} to {high} choices, not {count}.",
        "no_correct": "The question {prompt} has no correct choice.",
        "same_text": "The question {prompt} has two choices with the same text.",
        "not_chapter": "{chapter} is not a chapter number; use two digits such as '03'.",
        "no_self_check": "Chapter {chapter} has no self-check; the chapters with one are "
        "{chapters}.",
        "names_chapter": "The self-check file of chapter {chapter} names chapter {named}.",
        "id_twice": "Chapter {chapter}'s self-check uses a question id twice: {ids}.",
        "bad_id": "Chapter {chapter}'s self-check has a question without a valid id: {qid}.",
        "one_right": "Question {qid} of chapter {chapter} needs exactly one right choice.",
        "not_pair": "Question {qid} of chapter {chapter}: its {what} is not a pair of texts "
        '{{"en": ..., "ja": ...}}.',
        "other_language": "Question {qid} of chapter {chapter}: its {what} has a language "
        "{lang} the course does not have; use 'en' and 'ja'.",
        "no_text": "Question {qid} of chapter {chapter}: its {what} has no text in {lang}.",
        "what_prompt": "prompt",
        "what_text": "choice {number}'s text",
        "what_why": "choice {number}'s explanation",
    }
)
"""The loader's sentences (see :mod:`mailsec.i18n`); the questions themselves are data."""


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
                TEXT["choices"].format(
                    prompt=repr(self.prompt), low=2, high=_MAX_CHOICES, count=len(self.choices)
                )
            )
        if not any(c.correct for c in self.choices):
            raise InputError(TEXT["no_correct"].format(prompt=repr(self.prompt)))
        if len({c.text for c in self.choices}) != len(self.choices):
            raise InputError(TEXT["same_text"].format(prompt=repr(self.prompt)))


def _order(question: Question, turn: int) -> list[int]:
    """The positions of ``question``'s choices, rearranged (see :func:`arranged`)."""
    right = [i for i, c in enumerate(question.choices) if c.correct]
    wrong = sorted(
        (i for i, c in enumerate(question.choices) if not c.correct),
        key=lambda i: _digest(f"{question.id}\0{question.choices[i].text}"),
    )
    at = turn % len(question.choices)
    return [*wrong[:at], *right, *wrong[at:]]


def _turns(chapter_questions: tuple[Question, ...]) -> list[int]:
    by_hash = sorted(range(len(chapter_questions)), key=lambda i: _digest(chapter_questions[i].id))
    slot = {index: turn for turn, index in enumerate(by_hash)}
    return [slot[index] for index in range(len(chapter_questions))]


def arranged(chapter_questions: tuple[Question, ...]) -> tuple[Question, ...]:
    """The questions in their order, each one's choices rearranged so that right answers are spread.

    The arrangement is fixed (it depends only on the questions' ids and texts), so tests and
    screenshots see the same order every time, and balanced: taken in an order set by a hash of
    their ids, the questions put their right answer first, second, third, ... in turn, so no
    position holds most of a chapter's right answers. Wrong choices are ordered by a hash too.
    """
    return tuple(
        _rearranged(question, _order(question, turn))
        for question, turn in zip(chapter_questions, _turns(chapter_questions), strict=True)
    )


def _rearranged(question: Question, order: list[int]) -> Question:
    return Question(question.prompt, tuple(question.choices[i] for i in order), question.id)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def questions(chapter: str, *, lang: str | None = None) -> tuple[Question, ...]:
    """The self-check of ``chapter`` (one of :data:`CHAPTERS`), its choices shuffled, in ``lang``
    (default: the current language; the pseudo-locale marks the English texts)."""
    if not isinstance(chapter, str) or not _CHAPTER_ID.fullmatch(chapter):
        raise InputError(TEXT["not_chapter"].format(chapter=repr(chapter)))
    if chapter not in CHAPTERS:
        raise InputError(
            TEXT["no_self_check"].format(chapter=chapter, chapters=", ".join(CHAPTERS))
        )
    return _load(chapter)[checked(lang) if lang is not None else language()]


@functools.cache
def _load(chapter: str) -> dict[str, tuple[Question, ...]]:
    """The chapter's questions in every language (and the pseudo-locale), arranged alike."""
    path = resources.files("mailsec").joinpath(f"data/selfcheck/{chapter}.json")
    data = json.loads(path.read_text("utf-8"))
    if data.get("chapter") != chapter:
        raise InputError(
            TEXT["names_chapter"].format(chapter=chapter, named=repr(data.get("chapter")))
        )
    items = [_question(item, chapter) for item in data["questions"]]
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise InputError(TEXT["id_twice"].format(chapter=chapter, ids=ids))
    english = tuple(_in(item, "en") for item in items)
    turns = _turns(english)
    orders = [_order(q, turn) for q, turn in zip(english, turns, strict=True)]
    return {
        lang: tuple(
            _rearranged(_in(item, lang), order) for item, order in zip(items, orders, strict=True)
        )
        for lang in (*LANGUAGES, PSEUDO)
    }


def _in(item: dict[str, Any], lang: str) -> Question:
    """A checked question (:func:`_question`) in one language."""

    def text(pair: Mapping[str, str]) -> str:
        return "⟦" + pair["en"] + "⟧" if lang == PSEUDO else pair[lang]

    choices = tuple(Choice(text(c["text"]), c["correct"], text(c["why"])) for c in item["choices"])
    return Question(text(item["prompt"]), choices, item["id"])


def _question(item: dict[str, Any], chapter: str) -> dict[str, Any]:
    """``item`` checked: a valid id, one right choice, every text a pair of languages."""
    qid = item.get("id", "")
    if not isinstance(qid, str) or not _QUESTION_ID.fullmatch(qid):
        raise InputError(TEXT["bad_id"].format(chapter=chapter, qid=repr(qid)))

    def pair(owner: Any, key: str, what: str) -> dict[str, str]:
        return _pair(owner.get(key) if isinstance(owner, Mapping) else None, chapter, qid, what)

    raw = item.get("choices", ())
    choices: list[dict[str, Any]] = [
        {
            "text": pair(c, "text", TEXT["what_text"].format(number=n)),
            "correct": isinstance(c, Mapping) and c.get("correct") is True,
            "why": pair(c, "why", TEXT["what_why"].format(number=n)),
        }
        for n, c in enumerate(raw if isinstance(raw, list) else (), start=1)
    ]
    if sum(c["correct"] for c in choices) != 1:
        raise InputError(TEXT["one_right"].format(qid=repr(qid), chapter=chapter))
    return {"id": qid, "prompt": pair(item, "prompt", TEXT["what_prompt"]), "choices": choices}


def _pair(value: object, chapter: str, qid: str, what: str) -> dict[str, str]:
    """``{"en": ..., "ja": ...}``, both non-empty; anything else is refused with a sentence."""
    where = {"chapter": chapter, "qid": repr(qid), "what": what}
    if not isinstance(value, Mapping):
        raise InputError(TEXT["not_pair"].format(**where))
    for key in value:
        if key not in LANGUAGES:
            raise InputError(TEXT["other_language"].format(lang=repr(key), **where))
    for lang in LANGUAGES:
        item = value.get(lang)
        if not isinstance(item, str) or not item.strip():
            raise InputError(TEXT["no_text"].format(lang=repr(lang), **where))
    return {lang: value[lang] for lang in LANGUAGES}
