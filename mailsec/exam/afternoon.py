"""Afternoon-style questions made from real runs: the wording (``afternoon.json``) and :class:`Generator`.

A generator's wording -- question, exhibit, choices and explanations by key, in both languages,
with ``{placeholders}`` -- is data, read as strictly as the bank (:func:`load_templates`). A
:class:`Generator` runs a course mechanism for one of its cases, and the right answer is the
choice whose key the result names. The generators themselves are in
:mod:`mailsec.exam.generators`.
"""

from __future__ import annotations

import functools
import json
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from mailsec.errors import InputError
from mailsec.exam.loading import ID, Checker, default_notebooks, problems_sentence
from mailsec.exam.schema import LETTERS, Kind, Level, Link, Question, Text

__all__ = ["Generator", "Template", "fill", "load_templates", "templates"]


@dataclass(frozen=True)
class Template:
    """A generator's wording (afternoon.json): texts with {placeholders}, choices by key."""

    id: str
    topic: str
    level: Level
    link: Link
    question: Text
    exhibit: Text
    choices: tuple[tuple[str, Text], ...]
    explanations: Mapping[str, Text]
    words: Mapping[str, Text]
    shuffle: bool


_TEMPLATE_FIELDS = {
    "id",
    "topic",
    "level",
    "link",
    "question",
    "exhibit",
    "choices",
    "explanations",
    "words",
    "shuffle",
}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_templates(
    path: str | Path | None = None, *, notebooks: Path | None = None
) -> dict[str, Template]:
    """The generators' wording by generator id, checked like the bank (see :func:`load`)."""
    if path is None:
        raw = resources.files("mailsec").joinpath("data/exam/afternoon.json").read_text("utf-8")
        where = "The afternoon templates"
    else:
        raw, where = Path(path).read_text("utf-8"), f"The afternoon templates {Path(path).name}"
    checker = Checker(notebooks if notebooks is not None else default_notebooks())
    data = json.loads(raw)
    if (
        not isinstance(data, dict)
        or set(data) != {"generators"}
        or not isinstance(data["generators"], list)
    ):
        raise InputError(f'{where} must be one object with one field, "generators" (a list).')
    found: dict[str, Template] = {}
    for item in data["generators"]:
        template = _template(item, checker)
        if template is None:
            continue
        if template.id in found:
            checker.problem(f"The generator id {template.id!r} is used twice.")
        found[template.id] = template
    if checker.problems:
        raise InputError(problems_sentence(where, checker.problems))
    return found


def _template(item: Any, checker: Checker) -> Template | None:
    gid = item.get("id") if isinstance(item, dict) else None
    if not isinstance(gid, str) or not ID.fullmatch(gid):
        checker.problem(f"A generator has no valid id ({gid!r}).")
        return None
    owner = f"Generator {gid!r}"
    before = len(checker.problems)
    for key in sorted(set(item) - _TEMPLATE_FIELDS):
        checker.problem(f"{owner} has a field {key!r} the schema does not know.")
    for key in sorted(_TEMPLATE_FIELDS - set(item)):
        checker.problem(f"{owner} has no {key!r}.")
    if len(checker.problems) > before:
        return None
    for key in ("choices", "explanations", "words"):
        if not isinstance(item[key], dict):
            checker.problem(f"{owner}: its {key} must be an object of texts by key.")
    if len(checker.problems) > before:
        return None
    placed = checker.topic_and_level(item, owner)
    link = checker.link(item["link"], owner)
    question = checker.text(item["question"], owner, "question")
    exhibit = checker.text(item["exhibit"], owner, "exhibit")
    choices = {k: checker.text(v, owner, f"choice {k!r}") for k, v in item["choices"].items()}
    if len(choices) != len(LETTERS):
        checker.problem(f"{owner} has {len(choices)} choices; it needs four.")
    explanations = {
        k: checker.text(v, owner, f"explanation {k!r}") for k, v in item["explanations"].items()
    }
    if set(explanations) != set(choices):
        checker.problem(f"{owner} needs one explanation per choice key: {sorted(choices)}.")
    words = {k: checker.text(v, owner, f"word {k!r}", blank=True) for k, v in item["words"].items()}
    if not isinstance(item["shuffle"], bool):
        checker.problem(f"{owner}: 'shuffle' must be true or false.")
    if len(checker.problems) > before:
        return None
    texts = {"question": question, "exhibit": exhibit}
    texts |= {f"choice {k!r}": v for k, v in choices.items()}
    texts |= {f"explanation {k!r}": v for k, v in explanations.items()}
    for what, text in texts.items():
        assert text is not None
        if _fields(text.en) != _fields(text.ja):
            checker.problem(
                f"{owner}: its {what} uses the placeholders {sorted(_fields(text.en))} in English "
                f"but {sorted(_fields(text.ja))} in Japanese."
            )
    assert placed and link and question and exhibit
    return Template(
        gid,
        placed[0],
        placed[1],
        link,
        question,
        exhibit,
        tuple((k, v) for k, v in choices.items() if v is not None),
        {k: v for k, v in explanations.items() if v is not None},
        {k: v for k, v in words.items() if v is not None},
        item["shuffle"],
    )


@functools.cache
def templates() -> dict[str, Template]:
    return load_templates()


def fill(text: Text, values: Mapping[str, str | Text]) -> Text:
    """``text`` with its placeholders filled, each language from its own words."""

    def one(lang: str) -> str:
        shown = {k: v.get(lang) if isinstance(v, Text) else v for k, v in values.items()}
        return text.get(lang).format(**shown)

    return Text(one("en"), one("ja"))


@dataclass(frozen=True)
class Generator:
    """An afternoon-style question made from one run of a course mechanism.

    ``cases`` are the situations it can ask about; ``solve`` runs the mechanism for a case and
    returns the key of the right choice and the values its texts need (placeholders).
    """

    id: str
    cases: tuple[Any, ...]
    solve: Callable[[Any], tuple[str, Mapping[str, str | Text]]]
    kind: ClassVar[Kind] = Kind.AFTERNOON

    @property
    def template(self) -> Template:
        return templates()[self.id]

    @property
    def topic(self) -> str:
        return self.template.topic

    @property
    def level(self) -> Level:
        return self.template.level

    def question(self, case: Any, rng: random.Random | None = None) -> Question:
        """The question for ``case``; ``rng`` orders the choices when the template says so."""
        template = self.template
        key, values = self.solve(case)
        values = {**template.words, **values}
        keys = [k for k, _ in template.choices]
        if template.shuffle and rng is not None:
            rng.shuffle(keys)
        if key not in keys:
            raise RuntimeError(f"Generator {self.id!r} solved a case to {key!r}, not a choice key.")
        choices = dict(template.choices)
        return Question(
            f"{self.id}-{self.cases.index(case) + 1}",
            template.topic,
            template.level,
            Kind.AFTERNOON,
            fill(template.question, values),
            tuple(fill(choices[k], values) for k in keys),
            LETTERS[keys.index(key)],
            fill(template.explanations[key], values),
            template.link,
            fill(template.exhibit, values),
        )

    def generate(self, rng: random.Random) -> Question:
        """A question for a case ``rng`` picks (and orders the choices with)."""
        return self.question(rng.choice(self.cases), rng)
