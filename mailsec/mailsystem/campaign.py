"""The attacker's whole campaign against one mail system, and its defence matrix.

:func:`run_campaign` starts a fresh :class:`~mailsec.mailsystem.system.MailSystem` with the
learner's :class:`~mailsec.mailsystem.plan.Defences`, plays every scenario in
:data:`~mailsec.mailsystem.scenarios.SCENARIOS` (attacks and legitimate mail alike: a defence
that stops forwarded mail is part of the score), stops the system, and returns a
:class:`~mailsec.mailsystem.timeline.Campaign`: its :meth:`~mailsec.mailsystem.timeline.
Campaign.mark` is the defence matrix, its ``stopped`` and ``delivered`` the score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mailsec.mailsystem.plan import Defences
from mailsec.mailsystem.scenarios import SCENARIOS, run_scenario, scenario
from mailsec.mailsystem.system import MailSystem
from mailsec.mailsystem.timeline import Campaign, ScenarioRun

__all__ = ["run_campaign"]


def run_campaign(
    defences: Defences | None = None,
    *,
    names: Iterable[str] | None = None,
    progress: Callable[[ScenarioRun], None] | None = None,
) -> Campaign:
    """Play the scenarios ``names`` (all by default) against a fresh system with ``defences``;
    ``progress`` is called after each one."""
    chosen = [scenario(n).name for n in names] if names is not None else [s.name for s in SCENARIOS]
    runs = []
    with MailSystem(defences) as system:
        for name in chosen:
            run = run_scenario(system, name)
            runs.append(run)
            if progress is not None:
                progress(run)
    return Campaign(tuple(runs))
