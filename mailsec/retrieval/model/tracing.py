"""The explanation trace of the step being played: plain sentences with the RFC section each comes from.

The server side and the device side both write into one :class:`_Trace`; the runner takes what a
step wrote and keeps it in that step's :class:`~mailsec.retrieval.model.results.StepResult`.
"""

from __future__ import annotations

from mailsec.trace import Outcome, Step


class _Trace:
    """The sentences written so far in the step being played."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def say(
        self,
        text: str,
        outcome: Outcome = Outcome.INFO,
        section: str | None = None,
        depth: int = 0,
        **data: object,
    ) -> None:
        """Add one sentence; ``data`` carries facts a test or a notebook can pick out (``kind``...)."""
        self.steps.append(Step(text, outcome, section, depth, data))

    def take(self) -> tuple[Step, ...]:
        """What was written since the last call, and start afresh for the next step."""
        steps, self.steps = tuple(self.steps), []
        return steps
