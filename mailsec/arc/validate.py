"""Validating a message's ARC chain, step by step (RFC 8617 §5.2).

A receiver that sees ARC sets on a message validates them in this order; the first rule broken
decides ``fail``, and every step is recorded in the trace:

1. collect the ARC header fields and read each one (§4.1); none at all is ``none``, and more than
   50 sets, or an instance above 50, is ``fail`` (§4.2.1);
2. if the newest ARC-Seal says ``cv=fail``, a sealer already found the chain broken: ``fail``;
3. check the structure: every instance from 1 to N has exactly one ARC-Authentication-Results,
   ARC-Message-Signature and ARC-Seal, and the seals say ``cv=none`` at 1 and ``cv=pass`` after;
4. verify the newest ARC-Message-Signature: the message as the last sealer sent it;
5. verify the older ARC-Message-Signatures from N-1 down, to find the "oldest pass": how far back
   the message is unchanged (information only: mailing lists are expected to change it);
6. verify every ARC-Seal from N down to 1, each over the sets up to its own;
7. ``pass``.

A ``pass`` says the recorded results are the sealers' own, not that they are true: a receiver
uses the AAR of a set only if it trusts the sealer of that set. A DNS failure is a ``fail`` too
(§5.2.1). Only a message that cannot be read at all raises
:class:`~mailsec.errors.InputError`; anything wrong inside an ARC field is a result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from mailsec.arc.fields import (
    MAX_INSTANCES,
    PART_NAMES,
    ArcField,
    ArcSet,
    MessageSignature,
    Part,
    ResultsField,
    Seal,
    read_arc_field,
)
from mailsec.arc.result import ArcInstance, ArcResult, ArcValidation
from mailsec.arc.signatures import SignatureCheck, check_message_signature, check_seal
from mailsec.dkim import canon
from mailsec.dkim.canon import Canon, Message, read_message
from mailsec.dkim.result import DkimResult, format_step
from mailsec.dkim.signature import Signature, clock_seconds
from mailsec.errors import quoted
from mailsec.i18n import ngettext, texts
from mailsec.spf.lookup import DnsSource, as_source
from mailsec.trace import Outcome, Step

__all__ = ["validate"]

STEPS = texts(
    {
        "found": "Found {fields} in {sets}: {instances}.",
        "no_instance": "none readable",
        "bare_lf": "Lines of the message end in a bare LF; they were read as ending in CRLF, as mail "
        "on the wire does.",
        "fields_ok": "Every ARC header field could be read.",
        "newest_cv": "The newest ARC-Seal (i={instance}) says cv={cv}.",
        "structure_ok": "{sets} one ARC-Authentication-Results, ARC-Message-Signature and "
        "ARC-Seal, and {statuses}.",
        "one_set": "Set 1 has",
        "sets": "Sets 1 to {highest} each have",
        "one_status": "its seal says cv=none",
        "statuses": "the seals say cv=none at 1 and cv=pass after",
        "ams": "The ARC-Message-Signature of set {instance} (d={domain}, s={selector}):",
        "seal": "The ARC-Seal of set {instance} (d={domain}, s={selector}):",
        "checked": "{result}: {reason}",
        "permanent": "A temporary failure still fails the chain: the sealers cannot be asked again.",
        "oldest_all": "Every ARC-Message-Signature verifies (oldest-pass=0): what they signed is "
        "unchanged since set 1.",
        "oldest": "The ARC-Message-Signature of set {failed} does not verify: the message was changed "
        "after set {failed} (oldest-pass={oldest}).",
        "oldest_none": "There is only one ARC-Message-Signature (oldest-pass=0).",
        "result": "ARC result: {result}.",
    }
)

REASONS = texts(
    {
        "none": "The message has no ARC header fields: there is no chain to validate.",
        "malformed": "{part} (header field {position}) cannot be read: {problem}",
        "too_many": "The message has {count} ARC sets; at most {limit} are allowed, so the chain "
        "fails.",
        "too_high": "An ARC set has the instance i={instance}; instances go from 1 to {limit}.",
        "closed": "The newest ARC-Seal (i={instance}) says cv=fail: an intermediary found the chain "
        "broken and closed it.",
        "gap": "There is no ARC set {instance}: the sets must be numbered 1 to {highest} without gaps.",
        "missing": "ARC set {instance} has no {part}; each set has exactly one of each ARC field.",
        "duplicate": "ARC set {instance} has {count} {part} fields; each set has exactly one.",
        "first_cv": "The ARC-Seal of set 1 says cv={cv}; the first sealer had no chain to validate, "
        "so it must say cv=none.",
        "later_cv": "The ARC-Seal of set {instance} says cv={cv}; every seal after the first must "
        "say cv=pass.",
        "ams_failed": "The newest ARC-Message-Signature (set {instance}, d={domain}) does not "
        "verify. {problem}",
        "seal_failed": "The ARC-Seal of set {instance} (d={domain}) does not verify. {problem}",
    }
)

_SECTIONS = {
    "none": "RFC 8617 §5.2",
    "too_many": "RFC 8617 §5.2",
    "too_high": "RFC 8617 §4.2.1",
    "closed": "RFC 8617 §5.2",
    "gap": "RFC 8617 §5.2",
    "missing": "RFC 8617 §5.2",
    "duplicate": "RFC 8617 §5.2",
    "first_cv": "RFC 8617 §5.2",
    "later_cv": "RFC 8617 §5.2",
    "ams_failed": "RFC 8617 §5.2",
    "seal_failed": "RFC 8617 §5.2",
}


def validate(
    message: bytes,
    *,
    resolver: object | None = None,
    now: float | Callable[[], float] | None = None,
) -> ArcValidation:
    """Validate the ARC chain of ``message`` (RFC 8617 §5.2).

    ``resolver`` is a ``dns.resolver.Resolver``, the offline
    :class:`~mailsec.spf.zone.ZoneResolver`, or None for the system's DNS. ``now`` (seconds since
    1970, or a clock such as ``time.time``) is compared with an ARC-Message-Signature's ``x=``.

    Returns an :class:`~mailsec.arc.result.ArcValidation`; raises
    :class:`~mailsec.errors.InputError` only for a message that cannot be read at all.
    """
    parsed = read_message(message)
    found = tuple(
        read_arc_field(header, position)
        for position, header in enumerate(parsed.fields, start=1)
        if header.key in PART_NAMES
    )
    run = _Run(parsed, found, clock_seconds(now))
    if not found:
        return run.finish(ArcResult.NONE, "none")
    run.describe_fields()
    stopped = _read(run) or _count(run) or _newest(run) or _structure(run)
    if stopped is not None:
        return stopped
    return _signatures(run, as_source(resolver))


class _InstanceFacts(TypedDict, total=False):
    """What is known of one ARC set, as :class:`~mailsec.arc.result.ArcInstance` reports it."""

    domain: str | None
    selector: str | None
    cv: ArcResult | None
    authserv_id: str | None
    results: str | None
    ams_domain: str | None
    ams_selector: str | None
    ams_result: DkimResult | None
    ams_reason: str
    seal_result: DkimResult | None
    seal_reason: str


@dataclass
class _Run:
    """One validation while it runs: the fields found, the steps so far, the facts per set."""

    message: Message
    found: tuple[ArcField, ...]
    now: int
    steps: list[Step] = field(default_factory=list)
    facts: dict[int, _InstanceFacts] = field(default_factory=dict)
    sets: tuple[ArcSet, ...] = ()
    oldest_pass: int | None = None
    closed: bool = False
    bodies: dict[Canon, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[tuple[int, Part]] = set()
        for arc_field in self.found:
            if arc_field.instance is None:
                continue
            facts = self.facts.setdefault(arc_field.instance, _InstanceFacts())
            # A duplicated field is reported by the structure check; the first one's facts stand.
            if arc_field.value is not None and (arc_field.instance, arc_field.part) not in seen:
                seen.add((arc_field.instance, arc_field.part))
                facts.update(_facts(arc_field.value))

    @property
    def highest(self) -> int:
        return max(self.facts, default=0)

    def body(self, method: Canon) -> bytes:
        """The canonicalized body, computed once per method for every signature."""
        if method not in self.bodies:
            self.bodies[method] = canon.canonicalize_body(self.message.body, method)
        return self.bodies[method]

    def step(
        self,
        key: str,
        outcome: Outcome = Outcome.INFO,
        section: str | None = None,
        **values: object,
    ) -> None:
        template = _template(key, STEPS, values)
        self.steps.append(format_step(template, outcome, section, values))

    def describe_fields(self) -> None:
        count, sets = len(self.found), len(self.facts)
        numbers = ", ".join(str(n) for n in sorted(self.facts)[:60]) or STEPS["no_instance"]
        self.step(
            "found",
            section="RFC 8617 §4.2",
            fields=ngettext("{count} ARC header field", "{count} ARC header fields", count).format(
                count=count
            ),
            sets=ngettext("{count} instance", "{count} instances", sets).format(count=sets),
            instances=numbers,
        )
        if self.message.bare_line_ends:
            self.step("bare_lf", Outcome.WARN, "RFC 6376 §5.3")

    def record(self, instance: int, facts: _InstanceFacts) -> None:
        self.facts.setdefault(instance, _InstanceFacts()).update(facts)

    def finish(
        self, result: ArcResult, key: str, section: str | None = None, **values: object
    ) -> ArcValidation:
        """End with ``result`` for the reason ``REASONS[key]``, citing where the rule lives."""
        template = _template(key, REASONS, values)
        reason = template.format(**values)
        section = section or _SECTIONS.get(key)
        if section is not None:
            self.steps.append(Step(reason, result.outcome, section))
        self.step("result", result.outcome, result.section, result=result.value)
        return ArcValidation(
            result,
            reason,
            instances=tuple(self._instances()),
            highest_instance=self.highest,
            oldest_pass=self.oldest_pass,
            closed=self.closed,
            trace=tuple(self.steps),
            sets=self.sets,
            fields=tuple(arc_field.field for arc_field in self.found),
        )

    def _instances(self) -> list[ArcInstance]:
        return [ArcInstance(number, **facts) for number, facts in sorted(self.facts.items())]


def _template(key: str, table: Mapping[str, str], values: Mapping[str, object]) -> str:
    """``table[key]``, or the form of a sentence whose words change with its count."""
    if key not in _COUNTED:
        return table[key]
    count = values["count"]
    assert isinstance(count, int)  # a sentence with a count is given it as a number
    return _counted(key, count)


def _counted(key: str, count: int) -> str:
    """The sentence ``key`` whose words change with ``count`` (see :func:`ngettext`)."""
    if key == "count_ok":
        return ngettext(
            "{count} ARC set, within the limit of {limit}.",
            "{count} ARC sets, within the limit of {limit}.",
            count,
        )
    return ngettext(
        "The chain of {count} ARC set verified; the last sealer is {domain}. Use the results "
        "the sets recorded only from sealers you trust.",
        "The chain of {count} ARC sets verified; the last sealer is {domain}. Use the results "
        "the sets recorded only from sealers you trust.",
        count,
    )


_COUNTED = ("count_ok", "passed")
"""The steps and reasons of :func:`_counted`."""


def _facts(value: ResultsField | MessageSignature | Seal) -> _InstanceFacts:
    """What a field tells about its set, for the :class:`ArcInstance` a learner reads."""
    if isinstance(value, ResultsField):
        return {"authserv_id": value.authserv_id, "results": value.results}
    if isinstance(value, MessageSignature):
        return {"ams_domain": value.signature.domain, "ams_selector": value.signature.selector}
    return {"domain": value.signature.domain, "selector": value.signature.selector, "cv": value.cv}


# -- §5.2 steps 1 to 3: the fields, their number, the newest cv=, the structure -----------------


def _read(run: _Run) -> ArcValidation | None:
    """Every ARC field must be readable (§4.1)."""
    for arc_field in run.found:
        if arc_field.problem:
            return run.finish(
                ArcResult.FAIL,
                "malformed",
                arc_field.part.section,
                part=arc_field.part.label,
                position=arc_field.position,
                problem=arc_field.problem,
            )
    run.step("fields_ok", Outcome.OK, "RFC 8617 §4.1")
    return None


def _count(run: _Run) -> ArcValidation | None:
    """At most 50 sets, numbered at most 50 (§4.2.1, §5.2)."""
    count = len(run.facts)
    if count > MAX_INSTANCES:
        return run.finish(ArcResult.FAIL, "too_many", count=count, limit=MAX_INSTANCES)
    if run.highest > MAX_INSTANCES:
        return run.finish(ArcResult.FAIL, "too_high", instance=run.highest, limit=MAX_INSTANCES)
    run.step("count_ok", Outcome.OK, "RFC 8617 §4.2.1", count=count, limit=MAX_INSTANCES)
    return None


def _newest(run: _Run) -> ArcValidation | None:
    """A chain whose newest seal says cv=fail was closed by its sealer (§5.2)."""
    newest = [f for f in run.found if f.part is Part.SEAL and f.instance == run.highest]
    statuses = [f.value.cv for f in newest if isinstance(f.value, Seal)]
    if ArcResult.FAIL in statuses:
        run.closed = True
        return run.finish(ArcResult.FAIL, "closed", instance=run.highest)
    if statuses:
        run.step("newest_cv", section="RFC 8617 §4.1.3", instance=run.highest, cv=statuses[0])
    return None


def _structure(run: _Run) -> ArcValidation | None:
    """Sets 1 to N, each with one field of each part; cv=none at 1 and pass after (§5.2)."""
    sets: list[ArcSet] = []
    for instance in range(1, run.highest + 1):
        if instance not in run.facts:
            return run.finish(ArcResult.FAIL, "gap", instance=instance, highest=run.highest)
        parts: dict[Part, list[ArcField]] = {part: [] for part in Part}
        for arc_field in run.found:
            if arc_field.instance == instance:
                parts[arc_field.part].append(arc_field)
        for part, fields in parts.items():
            if len(fields) != 1:
                key = "missing" if not fields else "duplicate"
                return run.finish(
                    ArcResult.FAIL, key, instance=instance, part=part.label, count=len(fields)
                )
        results = parts[Part.RESULTS][0].value
        signature = parts[Part.MESSAGE_SIGNATURE][0].value
        seal = parts[Part.SEAL][0].value
        # Every field was read (_read ended the check at one that was not), each as its part.
        assert isinstance(results, ResultsField)
        assert isinstance(signature, MessageSignature)
        assert isinstance(seal, Seal)
        arc_set = ArcSet(instance, results, signature, seal)
        expected = ArcResult.NONE if instance == 1 else ArcResult.PASS
        if arc_set.seal.cv is not expected:
            key = "first_cv" if instance == 1 else "later_cv"
            return run.finish(ArcResult.FAIL, key, instance=instance, cv=arc_set.seal.cv.value)
        sets.append(arc_set)
    run.sets = tuple(sets)
    one = run.highest == 1
    sets_text = STEPS["one_set"] if one else STEPS["sets"].format(highest=run.highest)
    statuses = STEPS["one_status" if one else "statuses"]
    run.step("structure_ok", Outcome.OK, "RFC 8617 §5.2", sets=sets_text, statuses=statuses)
    return None


# -- §5.2 steps 4 to 7: the signatures ---------------------------------------------------------


def _signatures(run: _Run, source: DnsSource) -> ArcValidation:
    """The newest AMS, the older ones for the oldest pass, then every seal from N down."""
    sets, newest = run.sets, run.sets[-1]
    check = _message_signature(run, newest.message_signature, source)
    if not check.passed:
        return _failed(run, "ams_failed", newest.message_signature.signature, newest, check)
    _oldest_pass(run, source)
    for arc_set in reversed(sets):
        check = _seal(run, sets[: arc_set.instance - 1], arc_set, source)
        if not check.passed:
            return _failed(run, "seal_failed", arc_set.seal.signature, arc_set, check)
    count = len(sets)
    domain = quoted(newest.seal.signature.domain)
    return run.finish(ArcResult.PASS, "passed", "RFC 8617 §5.2", count=count, domain=domain)


def _failed(
    run: _Run, key: str, signature: Signature, arc_set: ArcSet, check: SignatureCheck
) -> ArcValidation:
    """The chain fails because ``signature`` of ``arc_set`` did not verify (§5.2)."""
    domain = quoted(signature.domain)
    return run.finish(
        ArcResult.FAIL, key, instance=arc_set.instance, domain=domain, problem=check.reason
    )


def _oldest_pass(run: _Run, source: DnsSource) -> None:
    """§5.2: verify the older AMSs from N-1 down; the oldest pass is the set above the first
    that fails, or 0 when none does."""
    run.oldest_pass = 0
    if len(run.sets) == 1:
        run.step("oldest_none", section="RFC 8617 §5.2")
        return
    for arc_set in reversed(run.sets[:-1]):
        if not _message_signature(run, arc_set.message_signature, source).passed:
            run.oldest_pass = arc_set.instance + 1
            run.step(
                "oldest",
                Outcome.WARN,
                "RFC 8617 §5.2",
                failed=arc_set.instance,
                oldest=run.oldest_pass,
            )
            return
    run.step("oldest_all", Outcome.OK, "RFC 8617 §5.2")


def _message_signature(run: _Run, ams: MessageSignature, source: DnsSource) -> SignatureCheck:
    signature = ams.signature
    run.step("ams", section="RFC 8617 §4.1.2", instance=ams.instance, **_who(signature))
    check = check_message_signature(run.message, ams, source, run.now, run.body)
    _report(run, check)
    run.record(ams.instance, _InstanceFacts(ams_result=check.result, ams_reason=check.reason))
    return check


def _seal(
    run: _Run, earlier: Sequence[ArcSet], arc_set: ArcSet, source: DnsSource
) -> SignatureCheck:
    signature = arc_set.seal.signature
    run.step("seal", section="RFC 8617 §4.1.3", instance=arc_set.instance, **_who(signature))
    check = check_seal(earlier, arc_set, source)
    _report(run, check)
    run.record(arc_set.instance, _InstanceFacts(seal_result=check.result, seal_reason=check.reason))
    return check


class _Who(TypedDict):
    domain: str
    selector: str


def _who(signature: Signature) -> _Who:
    return {"domain": quoted(signature.domain), "selector": quoted(signature.selector)}


def _report(run: _Run, check: SignatureCheck) -> None:
    run.steps.extend(check.steps)
    result = check.result
    text = STEPS["checked"].format(result=result.value, reason=check.reason)
    run.steps.append(Step(text, result.outcome, result.section, depth=1))
    if result is DkimResult.TEMPERROR:
        run.steps.append(Step(STEPS["permanent"], Outcome.WARN, "RFC 8617 §5.2.1", depth=1))
