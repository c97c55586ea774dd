"""Chapter 09: a whole small mail system on loopback, and an attacker's campaign against it.

- :mod:`~mailsec.mailsystem.plan` — the machines, their course addresses, the learner's
  :class:`~mailsec.mailsystem.plan.Defences` and the DNS zone they publish;
- :mod:`~mailsec.mailsystem.system` — :class:`MailSystem`: every server started in one call;
- :mod:`~mailsec.mailsystem.scenarios` — legitimate mail and attacks, each run over real sockets;
- :mod:`~mailsec.mailsystem.campaign` — the whole campaign and its defence matrix;
- :mod:`~mailsec.mailsystem.timeline` — what a scenario returns, as data.
"""

from mailsec.mailsystem.plan import PRESETS, Defences
from mailsec.mailsystem.system import MailSystem
from mailsec.mailsystem.timeline import Campaign, Control, Mark, ScenarioRun

__all__ = ["PRESETS", "Campaign", "Control", "Defences", "MailSystem", "Mark", "ScenarioRun"]
