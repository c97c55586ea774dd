"""Is live DNS usable here? Two questions to ask before a live SPF check believes its answers.

A live check that trusts any resolver can mislead: behind a captive portal (the log-in page of a
hotel or café network) or a broken resolver, *every* name may come back NXDOMAIN, and the check
then reports that a real domain "publishes no SPF record". Other captive portals answer every name
with their own address. So the live lab first asks two questions whose answers are known:

1. ``A a.root-servers.net`` must have an answer. It names the first of the thirteen root name
   servers: it is in the root zone's own NS records and in every resolver's root hints, the list a
   resolver starts from (RFC 9609 §2 and §3; IANA keeps the list at
   https://www.iana.org/domains/root/servers). A resolver that says it does not exist is not
   answering from the Internet's DNS at all. (``example.com`` or ``iana.org`` exist too, but by an
   operator's choice that could change; the root servers' names cannot go away while DNS works.)
2. ``A mailsec-probe.invalid`` must have **no** answer: RFC 6761 §6.4 reserves ``.invalid`` so that
   such names never exist. A resolver that gives an address for it makes answers up.

:func:`probe_dns` asks both and returns a :class:`DnsProbe` with what it asked and what came back;
it has no network code of its own, so tests pass in a source that answers as they need.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.spf.lookup import DnsAnswer, DnsSource, DnsStatus

__all__ = ["ABSENT_NAME", "KNOWN_NAME", "DnsHealth", "DnsProbe", "probe_dns"]

KNOWN_NAME = "a.root-servers.net"
"""A name that exists wherever the Internet's DNS works: the first root name server (RFC 9609)."""
ABSENT_NAME = "mailsec-probe.invalid"
"""A name that can never exist: ``.invalid`` is reserved for that (RFC 6761 §6.4)."""


class DnsHealth(enum.Enum):
    """Whether this machine's DNS can be trusted for a live check."""

    USABLE = "usable"
    """The known name has an answer and the impossible one has none."""
    UNREACHABLE = "unreachable"
    """No DNS server answered (a timeout or another failure): there is no working network."""
    DENIES_EVERYTHING = "denies everything"
    """A server answers, but says a name that must exist does not: a captive portal or a broken
    resolver."""
    INVENTS_ANSWERS = "invents answers"
    """A server gives an address for a name that cannot exist: its answers are made up."""


@dataclass(frozen=True)
class DnsProbe:
    """What :func:`probe_dns` found: the verdict and every question with its answer."""

    health: DnsHealth
    answers: tuple[DnsAnswer, ...]

    @property
    def usable(self) -> bool:
        return self.health is DnsHealth.USABLE


def probe_dns(source: DnsSource, *, lifetime: float = 4.0) -> DnsProbe:
    """Ask ``source`` the two questions of the module docstring (each within ``lifetime`` s)."""
    known = source.lookup(KNOWN_NAME, "A", lifetime=lifetime)
    if known.status.is_failure:
        return DnsProbe(DnsHealth.UNREACHABLE, (known,))
    if known.status is not DnsStatus.ANSWER:
        return DnsProbe(DnsHealth.DENIES_EVERYTHING, (known,))
    absent = source.lookup(ABSENT_NAME, "A", lifetime=lifetime)
    if absent.status is DnsStatus.ANSWER:
        return DnsProbe(DnsHealth.INVENTS_ANSWERS, (known, absent))
    return DnsProbe(DnsHealth.USABLE, (known, absent))
