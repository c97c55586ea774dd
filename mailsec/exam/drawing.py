"""The course's bank, drawing a set from it, and scoring the answers."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mailsec.errors import InputError
from mailsec.exam.afternoon import Generator, templates
from mailsec.exam.generators import GENERATORS
from mailsec.exam.loading import load
from mailsec.exam.schema import LETTERS, TOPICS, Kind, Level, Question

__all__ = ["Answered", "Bank", "Score", "bank", "draw", "score"]


@dataclass(frozen=True)
class Bank:
    """The written questions and the generators of afternoon-style questions."""

    questions: tuple[Question, ...]
    generators: tuple[Generator, ...] = ()

    @property
    def items(self) -> tuple[Question | Generator, ...]:
        return (*self.questions, *self.generators)


@functools.cache
def bank() -> Bank:
    """The course's bank: the package's questions and :data:`GENERATORS`."""
    missing = sorted({g.id for g in GENERATORS} - set(templates()))
    if missing:
        raise InputError(f"The afternoon templates have no wording for {', '.join(missing)}.")
    return Bank(load(), GENERATORS)


def _chosen(
    values: Iterable[Any] | str | int | None, allowed: Iterable[Any], what: str
) -> set[Any] | None:
    if values is None:
        return None
    if isinstance(values, (str, int)):
        values = [values]
    chosen = set(values)
    unknown = sorted(str(v) for v in chosen - set(allowed))
    if unknown:
        raise InputError(
            f"{', '.join(unknown)} is not a {what}; choose from {', '.join(map(str, allowed))}."
        )
    return chosen


def draw(
    bank: Bank,
    *,
    topics: Iterable[str] | str | None = None,
    levels: Iterable[int] | int | None = None,
    kinds: Iterable[str] | str | None = None,
    count: int = 10,
    rng: random.Random,
) -> tuple[Question, ...]:
    """A set of at most ``count`` questions of the given topics, levels and kinds (None: all).

    The items are picked with ``rng`` without repeats; a generator picked makes one question from
    a case ``rng`` picks. Morning questions come first, then afternoon ones, as in the exams'
    papers. The same ``rng`` state gives the same set.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InputError(f"The number of questions must be a whole number from 1, not {count!r}.")
    wanted_topics = _chosen(topics, TOPICS, "chapter")
    wanted_levels = _chosen(levels, [level.value for level in Level], "level")
    wanted_kinds = _chosen(
        [kinds] if isinstance(kinds, str) else kinds, [k.value for k in Kind], "kind of question"
    )
    pool = [
        item
        for item in bank.items
        if (wanted_topics is None or item.topic in wanted_topics)
        and (wanted_levels is None or int(item.level) in wanted_levels)
        and (wanted_kinds is None or item.kind.value in wanted_kinds)
    ]
    if not pool:
        raise InputError(
            "No question matches this choice of chapters, levels and kinds; choose more of them."
        )
    picked = rng.sample(pool, min(count, len(pool)))
    made = [item.generate(rng) if isinstance(item, Generator) else item for item in picked]
    return tuple(sorted(made, key=lambda q: q.kind is Kind.AFTERNOON))


@dataclass(frozen=True)
class Answered:
    """One question of a set, the answer given (None: not answered) and whether it is right."""

    question: Question
    given: str | None

    @property
    def correct(self) -> bool:
        return self.given == self.question.answer


@dataclass(frozen=True)
class Score:
    """The marks of a set of questions."""

    answers: tuple[Answered, ...]

    @property
    def right(self) -> int:
        return sum(a.correct for a in self.answers)

    @property
    def total(self) -> int:
        return len(self.answers)

    @property
    def wrong(self) -> tuple[Answered, ...]:
        """The questions answered wrongly or not at all, in order: the ones to review."""
        return tuple(a for a in self.answers if not a.correct)


def score(questions: Sequence[Question], answers: Mapping[str, str | None]) -> Score:
    """Mark ``answers`` (question id → ア, イ, ウ, エ or None) for ``questions``."""
    ids = {q.id for q in questions}
    unknown = sorted(set(answers) - ids)
    if unknown:
        raise InputError(f"Answers were given for questions not in the set: {', '.join(unknown)}.")
    for qid, given in answers.items():
        if given is not None and given not in LETTERS:
            raise InputError(
                f"The answer {given!r} to question {qid!r} is not one of ア, イ, ウ, エ."
            )
    return Score(tuple(Answered(q, answers.get(q.id)) for q in questions))
