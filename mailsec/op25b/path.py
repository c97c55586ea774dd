"""The path of one sending attempt through the model, hop by hop. Pure: no sockets, no clock.

:func:`evaluate` follows a message from the source machine across its ISP's edge router to the first
server, through that server's SMTP decisions (AUTH, MAIL FROM, RCPT TO), on to the recipient's MX
when the server relays, and into the mailbox. Every hop carries a :class:`~mailsec.op25b.rules.Decision`
and a reason that names the rule; the result carries a :class:`Verdict` and an explanation trace.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.i18n import texts
from mailsec.op25b.model import (
    STANDARD_WORLD,
    Attempt,
    Credentials,
    Host,
    Policy,
    ServiceKind,
    World,
)
from mailsec.op25b.rules import (
    SECTION_IMPLICIT_TLS,
    SECTION_OP25B,
    Decision,
    Reply,
    Ruling,
    auth_ruling,
    edge_ruling,
    mail_ruling,
    rcpt_ruling,
    webmail_ruling,
)
from mailsec.trace import Outcome, Step, Trace

__all__ = ["MAILBOX", "Hop", "PathResult", "Verdict", "evaluate", "node_label"]

#: The node id of the recipient's mailbox in hops and diagrams.
MAILBOX = "mailbox"

TEXT = texts(
    {
        "verdicts": {
            "delivered": "delivered",
            "dropped": "dropped",
            "refused": "refused",
            "unreachable": "unreachable",
            "handed on": "handed on",
        },
        "delivered": "Delivered: the message reached the mailbox of {rcpt}.",
        "dropped": "Dropped by OP25B at ISP A's edge: the connection to {server} port {port} "
        "never arrives, so the sender only sees a timeout.",
        "unreachable": "Connection refused: nothing listens on port {port} at {node}.",
        "handed_on": "Accepted and handed on towards {domain}, which is outside this model.",
        "refused": "Refused by {node}: {why}.",
        "refused_reply": "Refused by {node}: {why} ({reply}).",
        # Why a server refused, after "Refused by {node}: " (a decision without "refused: ").
        "refusals": {
            "RELAY_DENIED": "relay denied",
            "AUTH_REQUIRED": "authentication required",
            "AUTH_FAILED": "authentication failed",
            "USER_UNKNOWN": "no such mailbox",
            "DYNAMIC_REFUSED": "IP25B",
            "LOGIN_REQUIRED": "login required",
            "LOGIN_FAILED": "login failed",
        },
        "mailbox": "the recipient's mailbox",
        "edge": "{network}'s edge router",
        "hop": "Hop {number}: {source} → {target}: {decision}. {reason}",
        "hop_port": "Hop {number}: {source} → {target} (port {port}): {decision}. {reason}",
        "reply": "{step} Reply: {reply}",
        "same_network": "{client} and {server} are both inside {network}: the connection never "
        "crosses an edge router, so OP25B does not apply.",
        "sender_connects": "Sender: {client} ({client_address}) connects to {server} "
        "({server_address}) on TCP port {port}.",
        "relay_connects": "Relay: {client} ({client_address}) connects to {server} "
        "({server_address}) on TCP port {port}.",
        "no_service": "Nothing listens on port {port} at {server} (it serves port {ports}): the "
        "host answers the connection attempt with a TCP reset at once.",
        "no_ports": "none",
        "service": "{server} port {port}: {service}.",
        "implicit_tls": "Port 465 is TLS from the first byte (implicit TLS): the password and "
        "the message travel encrypted.",
        "no_auth": "{server} offers no SMTP AUTH on port {port} (an MX or relay takes mail by "
        "its own rules), so the client sends without logging in.",
        "auth": "AUTH: {reason} ({reply})",
        "mail_from": "MAIL FROM: {reason}",
        "stored": "{server} stores the message in the mailbox of {rcpt}, where POP3 or IMAP4 can "
        "fetch it (chapter 01).",
        "sends": "{host} ({address}) sends from {sender} to {rcpt} through {server} port {port}.",
        "sends_login": "{host} ({address}) sends from {sender} to {rcpt} through {server} port "
        "{port}, logging in as {user}.",
        "verdict": "Verdict: {summary}",
    }
)

QUEUED = Reply(250, "2.0.0", "OK: queued for relay")
STORED = Reply(250, "2.0.0", "OK: delivered to mailbox")


class Verdict(enum.Enum):
    """How the whole attempt ended."""

    DELIVERED = "delivered"
    """The message is in the recipient's mailbox."""
    DROPPED = "dropped"
    """An edge router dropped the connection attempt (OP25B); the sender only sees a timeout."""
    REFUSED = "refused"
    """A server answered and refused (relay denied, AUTH required or failed, IP25B ...)."""
    UNREACHABLE = "unreachable"
    """Nothing listens on that port of that host (connection refused)."""
    HANDED_ON = "handed on"
    """Accepted for a domain outside the model."""

    @property
    def outcome(self) -> Outcome:
        return {
            "delivered": Outcome.OK,
            "handed on": Outcome.WARN,
        }.get(self.value, Outcome.FAIL)

    @property
    def label(self) -> str:
        """The verdict in words, in the current language (:attr:`value` stays English)."""
        return TEXT["verdicts"][self.value]


@dataclass(frozen=True)
class Hop:
    """One hop: from one node of the diagram to the next, and what happened on arrival."""

    source: str
    """Node id the hop starts at (a host id, ``isp-a-edge``, ``isp-b-edge`` or ``mailbox``)."""
    target: str
    port: int | None
    decision: Decision
    reason: str
    section: str | None = None
    reply: Reply | None = None
    """The SMTP reply that carried the decision, where a server decided."""
    leg: int = 1
    """1 for the sender's own connection, 2 for the first relay, and so on."""


@dataclass(frozen=True)
class PathResult:
    """The evaluated attempt."""

    attempt: Attempt
    policy: Policy
    hops: tuple[Hop, ...]
    verdict: Verdict
    trace: Trace

    @property
    def final_hop(self) -> Hop:
        return self.hops[-1]

    @property
    def summary(self) -> str:
        """One sentence saying how it ended and why."""
        hop = self.final_hop
        a = self.attempt
        if self.verdict is Verdict.DELIVERED:
            return TEXT["delivered"].format(rcpt=a.rcpt_to)
        if self.verdict is Verdict.DROPPED:
            return TEXT["dropped"].format(server=a.destination.hostname, port=a.port)
        if self.verdict is Verdict.UNREACHABLE:
            return TEXT["unreachable"].format(port=hop.port, node=node_label(hop.target))
        if self.verdict is Verdict.HANDED_ON:
            return TEXT["handed_on"].format(domain=a.rcpt_to.rpartition("@")[2])
        why = TEXT["refusals"].get(hop.decision.name) or hop.decision.label
        node = node_label(hop.target)
        if hop.reply:
            return TEXT["refused_reply"].format(node=node, why=why, reply=hop.reply.line)
        return TEXT["refused"].format(node=node, why=why)

    @property
    def blocked_by_op25b(self) -> bool:
        return self.final_hop.decision is Decision.DROPPED


def node_label(node: str, world: World = STANDARD_WORLD) -> str:
    """A node id in words: a host's name, an edge router or the mailbox."""
    if node == MAILBOX:
        return TEXT["mailbox"]
    if node.endswith("-edge"):
        return TEXT["edge"].format(network=world.network(node.removesuffix("-edge")).shown_name)
    try:
        return world.host(node).hostname
    except Exception:
        return node


_VERDICT_OF = {
    Decision.DELIVERED: Verdict.DELIVERED,
    Decision.DROPPED: Verdict.DROPPED,
    Decision.NO_SERVICE: Verdict.UNREACHABLE,
    Decision.HANDED_ON: Verdict.HANDED_ON,
}


class _Walk:
    """Collects hops and steps while following the message."""

    def __init__(self, world: World, policy: Policy, attempt: Attempt) -> None:
        self.world = world
        self.policy = policy
        self.attempt = attempt
        self.hops: list[Hop] = []
        self.steps: list[Step] = []

    def hop(self, hop: Hop, *, depth: int = 1) -> None:
        self.hops.append(hop)
        text = TEXT["hop_port" if hop.port else "hop"].format(
            number=len(self.hops),
            source=node_label(hop.source, self.world),
            target=node_label(hop.target, self.world),
            port=hop.port,
            decision=hop.decision.label,
            reason=hop.reason,
        )
        if hop.reply:
            text = TEXT["reply"].format(step=text, reply=hop.reply.line)
        self.steps.append(
            Step(
                text,
                hop.decision.outcome,
                hop.section,
                depth,
                {"decision": hop.decision.name, "leg": hop.leg},
            )
        )

    def note(self, text: str, section: str | None = None, *, depth: int = 2) -> None:
        self.steps.append(Step(text, Outcome.INFO, section, depth))

    def connect(self, client: Host, server: Host, port: int, leg: int) -> str | None:
        """Cross the client's edge if needed; the node the connection arrives from, or None."""
        net = self.world.network_of(client)
        if client.network == server.network:
            self.note(
                TEXT["same_network"].format(
                    client=client.hostname, server=server.hostname, network=net.shown_name
                ),
                SECTION_OP25B,
            )
            return client.id
        if not net.is_isp:
            return client.id
        ruling = edge_ruling(self.world, self.policy, client, server, port)
        edge = f"{net.id}-edge"
        self.hop(
            Hop(client.id, edge, port, ruling.decision, ruling.reason, ruling.section, leg=leg)
        )
        return edge if ruling.allowed else None

    def leg(
        self,
        client: Host,
        server: Host,
        port: int,
        credentials: Credentials | None,
        leg: int,
    ) -> None:
        """One connection: the edge router, then the service on the port, then the envelope."""
        self.note(
            TEXT["relay_connects" if leg > 1 else "sender_connects"].format(
                client=client.hostname,
                client_address=client.ipv4,
                server=server.hostname,
                server_address=server.ipv4,
                port=port,
            ),
            depth=0,
        )
        came_from = self.connect(client, server, port, leg)
        if came_from is None:
            return
        service = server.service(port)
        if service is None:
            ports = ", ".join(str(s.port) for s in server.services) or TEXT["no_ports"]
            self.hop(
                Hop(
                    came_from,
                    server.id,
                    port,
                    Decision.NO_SERVICE,
                    TEXT["no_service"].format(port=port, server=server.hostname, ports=ports),
                    "RFC 9293 §3.5.2",
                    leg=leg,
                )
            )
            return
        kind = service.kind
        self.note(
            TEXT["service"].format(server=server.hostname, port=port, service=kind.description)
        )
        if kind is ServiceKind.WEBMAIL:
            self._webmail(came_from, server, port, credentials, leg)
            return
        authenticated = self._login(came_from, server, port, kind, credentials, leg)
        if authenticated is not None:
            self._envelope(came_from, client, server, port, kind, authenticated, leg)

    def _webmail(
        self, came_from: str, server: Host, port: int, credentials: Credentials | None, leg: int
    ) -> None:
        """A webmail site takes the message over HTTPS and sends it on itself."""
        domain = self.attempt.rcpt_to.rpartition("@")[2].lower()
        ruling = webmail_ruling(server, credentials)
        decision = ruling.decision
        if ruling.allowed and self.world.mx_for(domain) is None:
            decision = Decision.HANDED_ON
        self.hop(Hop(came_from, server.id, port, decision, ruling.reason, leg=leg))
        if decision is Decision.ACCEPTED:
            self.forward(server, leg)

    def _login(
        self,
        came_from: str,
        server: Host,
        port: int,
        kind: ServiceKind,
        credentials: Credentials | None,
        leg: int,
    ) -> bool | None:
        """SMTP AUTH where the service offers it: True logged in, False not, None refused."""
        if kind is ServiceKind.SUBMISSIONS:
            self.note(
                TEXT["implicit_tls"],
                SECTION_IMPLICIT_TLS,
            )
        if credentials is None:
            return False
        if kind not in (ServiceKind.SUBMISSION, ServiceKind.SUBMISSIONS):
            self.note(TEXT["no_auth"].format(server=server.hostname, port=port))
            return False
        ruling = auth_ruling(server, credentials)
        if not ruling.allowed:
            self.hop(self._refusal(came_from, server, port, ruling, leg))
            return None
        self.note(
            TEXT["auth"].format(
                reason=ruling.reason, reply=ruling.reply.line if ruling.reply else ""
            )
        )
        return True

    def _envelope(
        self,
        came_from: str,
        client: Host,
        server: Host,
        port: int,
        kind: ServiceKind,
        authenticated: bool,
        leg: int,
    ) -> None:
        """MAIL FROM and RCPT TO decide: refused, stored here, or accepted to pass on."""
        a = self.attempt
        ruling = mail_ruling(server, kind, client, authenticated=authenticated, policy=self.policy)
        if not ruling.allowed:
            self.hop(self._refusal(came_from, server, port, ruling, leg))
            return
        if ruling.section is not None:
            self.steps.append(
                Step(
                    TEXT["mail_from"].format(reason=ruling.reason),
                    Outcome.WARN,
                    ruling.section,
                    2,
                )
            )
        ruling = rcpt_ruling(
            self.world,
            server,
            kind,
            client,
            a.rcpt_to,
            authenticated=authenticated,
            policy=self.policy,
        )
        if not ruling.allowed:
            self.hop(self._refusal(came_from, server, port, ruling, leg))
            return
        if ruling.decision is Decision.DELIVERED:
            self.hop(
                Hop(
                    came_from,
                    server.id,
                    port,
                    Decision.ACCEPTED,
                    ruling.reason,
                    ruling.section,
                    STORED,
                    leg,
                )
            )
            self.hop(
                Hop(
                    server.id,
                    MAILBOX,
                    None,
                    Decision.DELIVERED,
                    TEXT["stored"].format(server=server.hostname, rcpt=a.rcpt_to),
                    "RFC 5321 §4.4",
                    leg=leg,
                )
            )
            return
        reply = QUEUED if ruling.decision is Decision.ACCEPTED else ruling.reply
        self.hop(
            Hop(
                came_from,
                server.id,
                port,
                ruling.decision,
                ruling.reason,
                ruling.section,
                reply,
                leg,
            )
        )
        if ruling.decision is Decision.ACCEPTED:
            self.forward(server, leg)

    def forward(self, server: Host, leg: int) -> None:
        """The accepting server passes the message on to the recipient domain's MX on port 25."""
        target = self.world.mx_for(self.attempt.rcpt_to.rpartition("@")[2])
        if target is None or target is server or leg >= 3:
            return
        self.leg(server, target, 25, None, leg + 1)

    @staticmethod
    def _refusal(came_from: str, server: Host, port: int, ruling: Ruling, leg: int) -> Hop:
        return Hop(
            came_from,
            server.id,
            port,
            ruling.decision,
            ruling.reason,
            ruling.section,
            ruling.reply,
            leg,
        )


def evaluate(
    attempt: Attempt, policy: Policy | None = None, world: World = STANDARD_WORLD
) -> PathResult:
    """Follow ``attempt`` through ``world`` under ``policy``; returns the hops, verdict and trace."""
    policy = policy if policy is not None else Policy()
    walk = _Walk(world, policy, attempt)
    walk.note(
        TEXT["sends_login" if attempt.credentials else "sends"].format(
            host=attempt.source.shown_label,
            address=attempt.source.ipv4,
            sender=attempt.mail_from,
            rcpt=attempt.rcpt_to,
            server=attempt.destination.hostname,
            port=attempt.port,
            user=attempt.credentials.user if attempt.credentials else "",
        ),
        depth=0,
    )
    walk.leg(attempt.source, attempt.destination, attempt.port, attempt.credentials, 1)
    final = walk.hops[-1]
    verdict = _VERDICT_OF.get(final.decision, Verdict.REFUSED)
    result = PathResult(attempt, policy, tuple(walk.hops), verdict, ())
    verdict_step = Step(
        TEXT["verdict"].format(summary=result.summary), verdict.outcome, final.section
    )
    steps = (*walk.steps, verdict_step)
    return PathResult(attempt, policy, tuple(walk.hops), verdict, steps)
