"""The seven SPF results (RFC 7208 §2.6) and the outcome of one check."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from mailsec.i18n import texts
from mailsec.trace import Outcome, ResultEnum, Step, Trace

__all__ = ["TEXT", "Event", "SpfCheck", "SpfResult", "TextRef", "materialize"]

TEXT = texts(
    {
        "meanings": {
            "none": "No SPF policy could be found for this domain, so SPF says nothing.",
            "neutral": "The domain's policy makes no statement about this server.",
            "pass": "This server is one the domain's administrator authorised to send its mail.",
            "fail": "The domain's administrator says this server must not send its mail.",
            "softfail": "The domain says this server is probably not authorised; accept, but be "
            "suspicious.",
            "temperror": "A temporary DNS problem stopped the check; the receiver should try "
            "again later.",
            "permerror": "The domain's SPF record is broken (syntax or limits); only its owner "
            "can fix it.",
        },
    }
)
"""What each result means, in the current language (see :mod:`mailsec.i18n`)."""


class SpfResult(ResultEnum):
    """An SPF result. Compares equal to its RFC name: ``SpfResult.PASS == "pass"``."""

    NONE = "none"
    """§2.6.1: no SPF record, or the domain could not be checked (not a valid domain name)."""
    NEUTRAL = "neutral"
    """§2.6.2: the domain says nothing about this host (``?``, or no term matched)."""
    PASS = "pass"
    """§2.6.3: the host is authorised to use the domain."""
    FAIL = "fail"
    """§2.6.4: the host is explicitly not authorised; receivers may reject the mail."""
    SOFTFAIL = "softfail"
    """§2.6.5: probably not authorised; accept but treat with suspicion."""
    TEMPERROR = "temperror"
    """§2.6.6: a transient DNS problem; try again later (SMTP 451)."""
    PERMERROR = "permerror"
    """§2.6.7: the published record is broken; the domain's administrator must fix it."""

    @classmethod
    def _tables(cls) -> tuple[Mapping[str, str], dict[str, Outcome], dict[str, str]]:
        return TEXT["meanings"], _OUTCOMES, _SECTIONS


_SECTIONS = {
    name: f"RFC 7208 §2.6.{i}"
    for i, name in enumerate(
        ("none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"), start=1
    )
}

_OUTCOMES = {
    "pass": Outcome.OK,
    "fail": Outcome.FAIL,
    "softfail": Outcome.WARN,
    "neutral": Outcome.INFO,
    "none": Outcome.INFO,
    "temperror": Outcome.WARN,
    "permerror": Outcome.FAIL,
}


TextRef: TypeAlias = tuple[Mapping[str, Any], str, Mapping[str, object]]
"""A sentence not formatted yet: a module's :class:`~mailsec.i18n.Texts`, its key, its values."""

Event: TypeAlias = (
    Step | tuple[str | TextRef, int, str | None, Outcome, Mapping[str, object] | None]
)
"""A step of an evaluation: a :class:`~mailsec.trace.Step`, or kept raw as ``(text, depth,
section, outcome, data)`` until the trace is read (see :func:`materialize`)."""


@dataclass(frozen=True)
class SpfCheck:
    """The outcome of one SPF check, with everything needed to explain it."""

    result: SpfResult
    explanation: str | None
    """The expanded ``exp=`` text when the result is fail and the domain published one."""
    client_ip: str
    sender: str
    """The identity checked: the MAIL FROM address, or postmaster@HELO for a null sender."""
    helo: str
    domain: str
    """The domain whose policy was checked (the sender's domain)."""
    identity: str = "mailfrom"
    """``"mailfrom"`` or ``"helo"`` (RFC 7208 §2.3, §2.4)."""
    mail_from: str = ""
    """The MAIL FROM as given (empty for a null sender)."""
    lookups: int = 0
    """Terms that caused DNS lookups (limit 10, §4.6.4)."""
    void_lookups: int = 0
    """Lookups that found nothing (limit 2, §4.6.4)."""
    mechanism: str | None = None
    """The term that decided: ``"-all"``, ``"include:_spf.example.net"``, or None."""
    problem: str | None = None
    """Why the result is permerror, temperror or none, in a sentence."""
    record: str | None = None
    """The SPF record of ``domain``, if one was found."""
    receiver: str = "unknown"
    """The host that did the check (for the header fields)."""
    events: tuple[Event, ...] = field(default=(), repr=False, compare=False)
    """The evaluation's raw events; :attr:`trace` turns them into steps when first read."""

    @functools.cached_property
    def trace(self) -> Trace:
        """The evaluation, step by step (built on first use, so checks stay fast)."""
        return materialize(self.events)

    @property
    def passed(self) -> bool:
        return self.result is SpfResult.PASS


def materialize(events: tuple[Event, ...]) -> Trace:
    """Turn evaluation events into :class:`~mailsec.trace.Step` objects.

    An event is a ``Step`` already, or a tuple ``(text, depth, section, outcome, data)`` whose
    ``text`` is a ``(texts, key, values)`` triple -- a module's :class:`~mailsec.i18n.Texts`, the
    key of the sentence and its named values -- formatted now, in the current language, and whose
    ``data`` values are made plain (a DNS answer becomes its one-line description).
    """
    steps = []
    for event in events:
        if isinstance(event, Step):
            steps.append(event)
            continue
        raw, depth, section, outcome, data = event
        if isinstance(raw, tuple):
            table, key, values = raw
            text: str = table[key].format(**values)
        else:
            text = raw
        if data:
            data = {k: (v.describe() if hasattr(v, "describe") else v) for k, v in data.items()}
        steps.append(Step(text, outcome, section, depth, data or {}))
    return tuple(steps)
