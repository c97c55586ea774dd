"""The course's loopback DNS server, which lived here before it became :mod:`mailsec.dnsserver`.

The tests' zones stand for the whole DNS (the RFC 7208 suite asks for ``foobar.com`` and expects
NXDOMAIN), so here a name outside the zone's domains does not exist instead of being refused.
"""

from __future__ import annotations

from typing import Any

from mailsec import dnsserver

__all__ = ["DnsServer"]


class DnsServer(dnsserver.DnsServer):
    """:class:`mailsec.dnsserver.DnsServer`, with ``refuse_outside=False`` unless told."""

    def __init__(self, zone_text: str, **options: Any) -> None:
        options.setdefault("refuse_outside", False)
        super().__init__(zone_text, **options)
