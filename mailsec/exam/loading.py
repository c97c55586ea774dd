"""Reading the bank of written questions (``mailsec/data/exam/questions.json``), strictly.

:func:`load` reports every problem of the file, each in a sentence of its own, in one
:class:`~mailsec.errors.InputError`, and loads nothing then. :class:`Checker` collects those
sentences; the afternoon templates (:mod:`mailsec.exam.afternoon`) are read with it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from mailsec.errors import InputError
from mailsec.exam.schema import (
    LETTERS,
    NOTEBOOKS,
    TOPICS,
    Kind,
    Level,
    Link,
    Question,
    Text,
    notebook_headings,
)
from mailsec.i18n import LANGUAGES

__all__ = ["ID", "Checker", "default_notebooks", "load", "problems_sentence"]

#: A question's or a generator's id.
ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_NOTEBOOK = re.compile(r"\d\d-[a-z0-9-]+\.ipynb")
_FIELDS = {
    "id",
    "topic",
    "level",
    "kind",
    "question",
    "exhibit",
    "choices",
    "answer",
    "explanation",
    "link",
}
_REQUIRED = ("id", "topic", "level", "question", "choices", "answer", "explanation", "link")
_LANGUAGE_NAMES = {"en": "English", "ja": "Japanese"}


def problems_sentence(where: str, problems: Sequence[str]) -> str:
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    return f"{where} has {count}:\n" + "\n".join(f"- {p}" for p in problems)


class Checker:
    """Collects one sentence per problem while the data is read."""

    def __init__(self, notebooks: Path | None) -> None:
        self.problems: list[str] = []
        self.notebooks = notebooks

    def problem(self, sentence: str) -> None:
        self.problems.append(sentence)

    def text(self, value: object, owner: str, what: str, *, blank: bool = False) -> Text | None:
        """``{"en": ..., "ja": ...}`` as a :class:`Text`, or None after reporting why not."""
        if not isinstance(value, Mapping):
            self.problem(f'{owner}: its {what} is not a pair of texts {{"en": ..., "ja": ...}}.')
            return None
        ok = True
        for key in value:
            if key not in LANGUAGES:
                self.problem(
                    f"{owner}: its {what} has a language {key!r} the course does not have; "
                    "use 'en' and 'ja'."
                )
                ok = False
        for lang in LANGUAGES:
            item = value.get(lang)
            if item is None:
                self.problem(f"{owner}: its {what} has no {_LANGUAGE_NAMES[lang]} text ({lang!r}).")
                ok = False
            elif not isinstance(item, str) or (not blank and not item.strip()):
                self.problem(f"{owner}: its {what} has an empty {_LANGUAGE_NAMES[lang]} text.")
                ok = False
        return Text(value["en"], value["ja"]) if ok else None

    def link(self, value: object, owner: str) -> Link | None:
        if not isinstance(value, str) or "#" not in value:
            self.problem(
                f"{owner}: its link {value!r} is not a notebook and a heading, "
                "such as '03-spf.ipynb#Limits and pitfalls'."
            )
            return None
        link = Link.from_text(value)
        if not _NOTEBOOK.fullmatch(link.notebook):
            self.problem(
                f"{owner}: its link names {link.notebook!r}, which is not a notebook name."
            )
            return None
        if self.notebooks is None:
            return link
        headings = notebook_headings(link.notebook, self.notebooks)
        if not headings:
            self.problem(
                f"{owner}: its link points to {link.notebook}, which is not a notebook in "
                f"{self.notebooks.name}/."
            )
            return None
        if link.heading not in headings:
            self.problem(
                f"{owner}: its link points to the heading {link.heading!r}, which "
                f"{link.notebook} does not have."
            )
            return None
        return link

    def topic_and_level(self, item: Mapping[str, Any], owner: str) -> tuple[str, Level] | None:
        topic, level = item.get("topic"), item.get("level")
        good_topic = topic if isinstance(topic, str) and topic in TOPICS else None
        if good_topic is None:
            self.problem(f"{owner}: its topic {topic!r} is not a chapter from '00' to '09'.")
        good_level = None
        if isinstance(level, int) and not isinstance(level, bool) and level in (1, 2, 3):
            good_level = Level(level)
        else:
            self.problem(f"{owner}: its level {level!r} is not 1, 2 or 3.")
        if good_topic is None or good_level is None:
            return None
        return good_topic, good_level


def default_notebooks() -> Path | None:
    return NOTEBOOKS if NOTEBOOKS.is_dir() else None


def load(path: str | Path | None = None, *, notebooks: Path | None = None) -> tuple[Question, ...]:
    """The questions of the bank at ``path`` (default: the package's), checked strictly.

    Links are checked against ``notebooks`` (default: the repository's ``notebooks/`` when it is
    there). Every problem is reported, each in a sentence, in one :class:`InputError`.
    """
    if path is None:
        source = resources.files("mailsec").joinpath("data/exam/questions.json")
        where, raw = "The exam bank", source.read_text("utf-8")
    else:
        where, raw = f"The exam bank {Path(path).name}", Path(path).read_text("utf-8")
    checker = Checker(notebooks if notebooks is not None else default_notebooks())
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where} is not valid JSON: {exc}.") from None
    if not isinstance(data, dict) or set(data) != {"questions"}:
        raise InputError(f'{where} must be one object with one field, "questions" (a list).')
    items = data["questions"]
    if not isinstance(items, list):
        raise InputError(f'{where}: "questions" must be a list.')
    loaded = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        question = _question(item, index, checker)
        if question is None:
            continue
        if question.id in seen:
            checker.problem(
                f"The id {question.id!r} is used by two questions; every question needs its own."
            )
        seen.add(question.id)
        loaded.append(question)
    if checker.problems:
        raise InputError(problems_sentence(where, checker.problems))
    return tuple(loaded)


def _question(item: object, index: int, checker: Checker) -> Question | None:
    if not isinstance(item, dict):
        checker.problem(f"Entry {index} is not an object.")
        return None
    qid = item.get("id")
    if not isinstance(qid, str) or not ID.fullmatch(qid):
        checker.problem(
            f"Entry {index} has no valid id ({qid!r}): use lower-case letters, digits and hyphens."
        )
        return None
    owner = f"Question {qid!r}"
    before = len(checker.problems)
    for key in sorted(set(item) - _FIELDS):
        checker.problem(
            f"{owner} has a field {key!r} the schema does not know; the fields are "
            f"{', '.join(sorted(_FIELDS))}."
        )
    for key in _REQUIRED:
        if key not in item:
            checker.problem(f"{owner} has no {key!r}.")
    if len(checker.problems) > before:
        return None
    placed = checker.topic_and_level(item, owner)
    kind = item.get("kind", Kind.MORNING.value)
    if kind not in (k.value for k in Kind):
        checker.problem(f"{owner}: its kind {kind!r} is not 'morning' or 'afternoon'.")
    text = checker.text(item["question"], owner, "question")
    exhibit = checker.text(item["exhibit"], owner, "exhibit") if "exhibit" in item else None
    explanation = checker.text(item["explanation"], owner, "explanation")
    choices = _choices(item["choices"], owner, checker)
    answer = item["answer"]
    if answer not in LETTERS:
        checker.problem(
            f"{owner} gives the answer {answer!r}, which is not one of the choices ア, イ, ウ, エ."
        )
    link = checker.link(item["link"], owner)
    if len(checker.problems) > before:
        return None
    assert placed and text and explanation and choices and link  # no problem was reported
    return Question(
        qid,
        placed[0],
        placed[1],
        Kind(kind),
        text,
        choices,
        answer,
        explanation,
        link,
        exhibit,
    )


def _choices(value: object, owner: str, checker: Checker) -> tuple[Text, ...] | None:
    if not isinstance(value, list):
        checker.problem(f"{owner}: its choices are not a list.")
        return None
    if len(value) != len(LETTERS):
        checker.problem(
            f"{owner} has {len(value)} choices; an exam question has exactly four (ア, イ, ウ, エ)."
        )
        return None
    texts = [
        checker.text(choice, owner, f"choice {letter}")
        for letter, choice in zip(LETTERS, value, strict=True)
    ]
    found = tuple(t for t in texts if t is not None)
    if len(found) != len(texts):
        return None
    duplicated = False
    for lang in LANGUAGES:
        words = [t.get(lang).strip() for t in found]
        for word in sorted({w for w in words if words.count(w) > 1}):
            checker.problem(
                f"{owner} has two choices with the same {_LANGUAGE_NAMES[lang]} text: {word!r}."
            )
            duplicated = True
    return None if duplicated else found
