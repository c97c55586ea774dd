"""Explanation traces: how a result was reached, as data.

Every evaluation in mailsec returns its result together with a tuple of :class:`Step` objects. A step
says, in plain language, what was checked or done, where the rule comes from (an RFC section) and
how it turned out. Steps nest through ``depth`` (an SPF ``include:`` evaluates a whole record one
level down), so :mod:`mailsec.render` can draw the trace as a list or a tree.

Topic modules may subclass :class:`Step` or put topic-specific facts in ``data``; the renderer only
relies on the fields below.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mailsec.i18n import texts

__all__ = ["Outcome", "ResultEnum", "Step", "Trace", "steps_to_text"]


class Outcome(enum.Enum):
    """How one step turned out, for colouring and for a screen reader's word."""

    INFO = "info"
    """Something happened or was looked up; no judgement."""
    OK = "ok"
    """A check passed, a hop delivered, a signature verified."""
    WARN = "warn"
    """Allowed, but worth a second look (softfail, a risky setting)."""
    FAIL = "fail"
    """A check failed, a packet was dropped, a message was refused."""

    @property
    def label(self) -> str:
        """A word that carries the meaning without colour, in the current language."""
        return TEXT["labels"][self.value]


TEXT = texts(
    {
        "labels": {"info": "info", "ok": "passed", "warn": "warning", "fail": "failed"},
    }
)
"""The outcomes' words (see :mod:`mailsec.i18n`); a step's own text is written by its module."""


class ResultEnum(str, enum.Enum):
    """The base of a check's result (SPF, DKIM, ARC, DMARC): it compares equal to its RFC name
    (``SpfResult.PASS == "pass"``), prints as that name, and says what it means, how it looks
    (an :class:`Outcome`) and where its rule is. Each result names its three tables with
    :meth:`_tables`: meanings, outcomes and sections, by value (a string for one section)."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def _tables(cls) -> tuple[Mapping[str, str], Mapping[str, Outcome], Mapping[str, str] | str]:
        raise NotImplementedError

    @property
    def meaning(self) -> str:
        """What the result means, in one sentence for a learner."""
        return self._tables()[0][self.value]

    @property
    def outcome(self) -> Outcome:
        """How the result looks in a trace or a badge."""
        return self._tables()[1][self.value]

    @property
    def section(self) -> str:
        """Where the result is defined, for example ``"RFC 7208 §2.6.3"``."""
        sections = self._tables()[2]
        return sections if isinstance(sections, str) else sections[self.value]


@dataclass(frozen=True)
class Step:
    """One step of an explanation."""

    text: str
    """What was checked or done, as a sentence a learner can read."""
    outcome: Outcome = Outcome.INFO
    section: str | None = None
    """Where the rule lives, for example ``"RFC 7208 §5.1"``."""
    depth: int = 0
    """Nesting level: 0 for the top, 1 inside an include, and so on."""
    data: Mapping[str, object] = field(default_factory=dict)
    """Facts behind the step (a DNS query and its answer, a byte count ...)."""


Trace = tuple[Step, ...]


def steps_to_text(steps: Iterable[Step]) -> str:
    """The trace as indented plain text, for the command line and for tests."""
    lines = []
    for step in steps:
        mark = {"info": "-", "ok": "+", "warn": "~", "fail": "x"}[step.outcome.value]
        cite = f"  [{step.section}]" if step.section else ""
        lines.append(f"{'  ' * step.depth}{mark} {step.text}{cite}")
    return "\n".join(lines)
