"""Chapter 02: sending mail and Outbound Port 25 Blocking (OP25B).

Where things live:

- the pure model (no sockets): :mod:`~mailsec.op25b.model` (networks, hosts, policies),
  :mod:`~mailsec.op25b.rules` (one function per decision point: the edge router, AUTH, MAIL FROM,
  RCPT TO, webmail), :mod:`~mailsec.op25b.path` (the hop-by-hop evaluation) and
  :mod:`~mailsec.op25b.scenarios` (the prepared stories);
- real SMTP on 127.0.0.1: :mod:`~mailsec.op25b.smtpd` (the model's mail servers, aiosmtpd) and
  :mod:`~mailsec.op25b.replay` (an attempt sent through them with :mod:`smtplib`, recorded);
- shown by :mod:`mailsec.render.op25b` (the network diagram, hop tables), driven by
  :mod:`mailsec.labs.op25b`, taught in ``notebooks/02-op25b.ipynb``; on the command line as
  ``mailsec op25b`` (:mod:`mailsec.cli.op25b`).

One call::

    from mailsec.op25b import simulate
    result = simulate("home-pc", "recipient-mx", 25)
    result.verdict          # Verdict.DROPPED
"""

from __future__ import annotations

from mailsec.op25b.model import (
    POLICY_SWITCHES,
    STANDARD_WORLD,
    Attempt,
    Credentials,
    Host,
    Network,
    Policy,
    ServiceKind,
    World,
)
from mailsec.op25b.path import Hop, PathResult, Verdict, evaluate
from mailsec.op25b.rules import Decision, Reply
from mailsec.op25b.scenarios import SCENARIOS, Scenario, scenario

__all__ = [
    "POLICY_SWITCHES",
    "SCENARIOS",
    "STANDARD_WORLD",
    "Attempt",
    "Credentials",
    "Decision",
    "Hop",
    "Host",
    "Network",
    "PathResult",
    "Policy",
    "Reply",
    "Scenario",
    "ServiceKind",
    "Verdict",
    "World",
    "evaluate",
    "scenario",
    "simulate",
]


def simulate(
    source: str,
    destination: str,
    port: object,
    *,
    mail_from: str | None = None,
    rcpt_to: str = "taro@example.net",
    user: str | None = None,
    password: str | None = None,
    policy: Policy | None = None,
    world: World = STANDARD_WORLD,
) -> PathResult:
    """Check the inputs and evaluate one attempt (the recipe the lab and command line use)."""
    credentials = None
    if user or password:
        credentials = Credentials(user or "", password or "")
    attempt = Attempt.create(
        world,
        source=source,
        destination=destination,
        port=port,
        mail_from=mail_from,
        rcpt_to=rcpt_to,
        credentials=credentials,
    )
    return evaluate(attempt, policy, world)
