"""The network of the OP25B chapter: networks, hosts, their services and the policies in force.

Everything here is data. :data:`STANDARD_WORLD` is the small Internet the chapter uses::

    ISP A (198.51.100.0/24, 2001:db8:a::/48)        the Internet (203.0.113.0/24, 2001:db8:c::/48)
      home PC      198.51.100.23  dynamic pool        smtp.mailprovider.example  587, 465
      infected PC  198.51.100.77  dynamic pool        webmail.example            443
      mail.isp-a.example  198.51.100.200  port 25     mx.example.net             25 (example.net)
      [ISP A edge router: OP25B]
    ISP B (192.0.2.0/24, 2001:db8:b::/48)
      a customer's PC  192.0.2.55  dynamic pool
      [ISP B edge router: no OP25B]

Chapter 08's lesson on relay control and POP before SMTP uses a world of its own,
:data:`RELAY_WORLD`, so that this one stays as chapter 02 shows it::

    Sakura Trading's office (192.168.10.0/24, private) -- NAT router, public address 198.51.100.60
      Hanako's PC  192.168.10.23                      mail.hosting.example  203.0.113.30
      Ken's PC     192.168.10.24                        25 (sakura-trading.example), 587; POP3
    a far-away ISP (192.0.2.0/24)                     mx.example.net        203.0.113.10
      a spammer's machine  192.0.2.66

All addresses are documentation addresses (RFC 5737 for IPv4, RFC 3849 for IPv6) and all names are
under reserved ``.example`` names or ``example.net`` (RFC 2606), so nothing here points at a real
machine; the office LAN uses private addresses (RFC 1918). :class:`Policy` holds the switches the lab offers; every one can be turned off.
"""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mailsec.errors import InputError
from mailsec.i18n import gettext, texts
from mailsec.op25b.model_text import TEXT

__all__ = [
    "RELAY_WORLD",
    "STANDARD_WORLD",
    "Attempt",
    "Credentials",
    "Host",
    "Network",
    "Policy",
    "Service",
    "ServiceKind",
    "World",
    "check_address",
    "check_port",
    "is_address",
]


class ServiceKind(enum.Enum):
    """What a server offers on one port."""

    RELAY = "relay"
    """An ISP's outgoing mail server on port 25: relays for its own customers (RFC 5321 §3.6)."""
    MX = "mx"
    """A domain's incoming mail server on port 25: accepts mail for its own domains (RFC 5321 §5)."""
    SUBMISSION = "submission"
    """Message submission on port 587 with STARTTLS and SMTP AUTH (RFC 6409 §3.1)."""
    SUBMISSIONS = "submissions"
    """Message submission over implicit TLS on port 465 (RFC 8314 §3.3)."""
    WEBMAIL = "webmail"
    """A web page over HTTPS (port 443): the browser never speaks SMTP."""

    @property
    def description(self) -> str:
        return TEXT["services"][self.value]

    @property
    def speaks_smtp(self) -> bool:
        return self is not ServiceKind.WEBMAIL


@dataclass(frozen=True)
class Service:
    """One listening port of a host."""

    port: int
    kind: ServiceKind


@dataclass(frozen=True)
class Network:
    """A network with an edge router between it and the rest of the Internet."""

    id: str
    name: str
    ipv4: ipaddress.IPv4Network
    ipv6: ipaddress.IPv6Network
    dynamic_pool: ipaddress.IPv4Network | None = None
    """The addresses handed out to customers (DHCP/PPP); None for a network without customers."""
    dynamic_pool_v6: ipaddress.IPv6Network | None = None
    is_isp: bool = False
    """An access provider's network, with an edge router the model shows."""
    nat_address: ipaddress.IPv4Address | None = None
    """The one public address a NAT router gives every host of this (private) network on the
    Internet (NAPT, RFC 3022 §2.2); None where hosts use their own addresses."""

    @property
    def shown_name(self) -> str:
        """:attr:`name` in the current language (the course's networks are translated)."""
        return gettext(self.name)


@dataclass(frozen=True)
class Host:
    """A machine in the model."""

    id: str
    """Short name used by the lab and the command line, e.g. ``home-pc``."""
    label: str
    """How the diagram names it, e.g. ``Home PC``."""
    hostname: str
    network: str
    """The id of its :class:`Network`."""
    ipv4: ipaddress.IPv4Address
    ipv6: ipaddress.IPv6Address
    description: str
    services: tuple[Service, ...] = ()
    accounts: tuple[tuple[str, str], ...] = ()
    """(user, password) pairs for SMTP AUTH or the webmail login. Course values, not secrets."""
    local_domains: tuple[str, ...] = ()
    """Domains this host receives mail for (an MX)."""
    mailboxes: tuple[str, ...] = ()
    """Addresses with a mailbox here."""
    is_client: bool = False
    """A user's machine that starts mail, rather than a server."""

    def service(self, port: int) -> Service | None:
        """The service listening on ``port``, or None."""
        return next((s for s in self.services if s.port == port), None)

    def password_of(self, user: str) -> str | None:
        return dict(self.accounts).get(user)

    @property
    def shown_label(self) -> str:
        """:attr:`label` in the current language (the course's hosts are translated)."""
        return gettext(self.label)

    @property
    def shown_description(self) -> str:
        """:attr:`description` in the current language."""
        return gettext(self.description)


MAX_CREDENTIAL = 255
"""The longest user name or password SASL PLAIN carries, in UTF-8 octets (RFC 4616 §2)."""


@dataclass(frozen=True)
class Credentials:
    """A user name and password a client logs in with (SMTP AUTH or a webmail login)."""

    user: str
    password: str

    def __post_init__(self) -> None:
        if not self.user.strip():
            raise InputError(TEXT["user_empty"])
        if not self.password:
            raise InputError(TEXT["password_empty"].format(user=self.user))
        # RFC 4616 §2: each is UTF-8 of at most 255 octets, without NUL (the separator); line
        # breaks and other control characters would end the SMTP command line early.
        for what, text in (("user name", self.user), ("password", self.password)):
            if not text.isprintable():
                raise InputError(TEXT["control"].format(what=TEXT["what"][what]))
            if len(text.encode("utf-8", "surrogatepass")) > MAX_CREDENTIAL:
                raise InputError(
                    TEXT["too_long"].format(what=TEXT["what"][what], limit=MAX_CREDENTIAL)
                )

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=...)"


@dataclass(frozen=True)
class Policy:
    """The switches of the model. The defaults are what the chapter's story starts from."""

    op25b: bool = True
    """ISP A's edge drops outbound TCP port 25 from its dynamic pool to outside hosts (RFC 5068 §3)."""
    submission_auth: bool = True
    """The submission service refuses MAIL until the client has authenticated (RFC 6409 §4.3)."""
    relay_control: bool = True
    """No open relay: an MX takes mail only for its own domains, an ISP's server only from its
    customers (RFC 5321 §3.6; RFC 2505 §2)."""
    ip25b: bool = False
    """Port-25 servers refuse mail from other ISPs' dynamic pools (Inbound Port 25 Blocking)."""

    def switched(self, **changes: bool) -> Policy:
        """A copy with some switches changed."""
        unknown = sorted(set(changes) - set(POLICY_SWITCHES))
        if unknown:
            raise InputError(
                TEXT["unknown_switch"].format(
                    unknown=", ".join(map(repr, unknown)), switches=", ".join(POLICY_SWITCHES)
                )
            )
        return Policy(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in POLICY_SWITCHES}


#: The policy switches, each with the words the lab and the command line show (translated when
#: looked up: ``POLICY_SWITCHES[name]`` and ``.items()`` give the current language's words).
POLICY_SWITCHES = texts(
    {
        "op25b": "OP25B at ISP A's edge (outbound port 25 blocking)",
        "submission_auth": "Submission (587/465) requires SMTP AUTH",
        "relay_control": "No open relay (MX: own domains only; ISP server: own customers only)",
        "ip25b": "IP25B at port-25 servers (refuse other ISPs' dynamic pools)",
    }
)


@dataclass(frozen=True)
class World:
    """Networks and hosts, looked up by id, host name or address."""

    networks: tuple[Network, ...]
    hosts: tuple[Host, ...]
    _index: Mapping[str, Host] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Host] = {}
        for host in self.hosts:
            for key in (host.id, host.hostname, str(host.ipv4), str(host.ipv6)):
                index[key.lower()] = host
        object.__setattr__(self, "_index", index)

    def host(self, name: str) -> Host:
        """The host called ``name`` (its id, host name, IPv4 or IPv6 address)."""
        key = name.strip().lower()
        if not key:
            raise InputError(TEXT["no_host"].format(hosts=self.host_ids()))
        with contextlib.suppress(ValueError):
            key = str(ipaddress.ip_address(key))
        found = self._index.get(key)
        if found is None:
            raise InputError(TEXT["unknown_host"].format(name=name, hosts=self.host_ids()))
        return found

    def network(self, network_id: str) -> Network:
        return next(n for n in self.networks if n.id == network_id)

    def network_of(self, host: Host) -> Network:
        return self.network(host.network)

    def host_ids(self, hosts: Iterable[Host] | None = None) -> str:
        return ", ".join(h.id for h in (self.hosts if hosts is None else hosts))

    @property
    def clients(self) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.is_client)

    @property
    def servers(self) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.services)

    def public_ipv4(self, host: Host) -> ipaddress.IPv4Address:
        """The address servers on the Internet see for ``host``: its network's NAT address when
        it sits behind a NAT router (RFC 3022 §2.2), otherwise its own."""
        net = next((n for n in self.networks if n.id == host.network), None)
        if net is not None and net.nat_address is not None:
            return net.nat_address
        return host.ipv4

    def in_dynamic_pool(self, host: Host) -> Network | None:
        """The network whose dynamic pool ``host``'s address is from, or None."""
        for net in self.networks:
            if net.dynamic_pool is not None and host.ipv4 in net.dynamic_pool:
                return net
        return None

    def mx_for(self, domain: str) -> Host | None:
        """The host that receives mail for ``domain`` (the model's MX lookup)."""
        domain = domain.lower()
        return next((h for h in self.hosts if domain in h.local_domains), None)


# -- input checks ---------------------------------------------------------------------------------

#: A mailbox as RFC 5321 §4.1.2 spells it, restricted to the dot-atom form learners type.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def check_address(text: str, *, what: str = "address") -> str:
    """``text`` as a mail address, or InputError saying what is wrong with it. ``what`` names
    the field in the errors: ``"address"``, ``"sender"`` or ``"recipient"`` (its words are
    translated), or any other words, shown as they are."""
    named = TEXT["what"].get(what, what)
    address = text.strip()
    if not address:
        raise InputError(TEXT["address_empty"].format(what=named))
    if "@" not in address:
        raise InputError(TEXT["address_no_at"].format(what=named, text=text))
    local, _, _domain = address.rpartition("@")
    # RFC 5321 §4.5.3.1.1 (local part) and §4.5.3.1.3 (path) limits.
    if len(local) > 64:
        raise InputError(TEXT["local_too_long"].format(what=named, text=text))
    if len(address) > 254:
        raise InputError(TEXT["address_too_long"].format(what=named, text=text))
    if not _ADDRESS.match(address):
        raise InputError(TEXT["address_invalid"].format(what=named, text=text))
    return address


def is_address(text: str) -> bool:
    """Whether ``text`` is a mail address :func:`check_address` accepts."""
    try:
        check_address(text)
    except InputError:
        return False
    return True


def check_port(value: object) -> int:
    """``value`` as a TCP port (1-65535), or InputError."""
    text = str(value).strip()
    if not text:
        raise InputError(TEXT["port_empty"])
    try:
        port = int(text)
    except ValueError:
        raise InputError(TEXT["port_not_number"].format(text=text)) from None
    if not 1 <= port <= 65535:
        raise InputError(TEXT["port_range"].format(port=port))
    return port


@dataclass(frozen=True)
class Attempt:
    """Someone tries to send one message: from a source host to a first server and port."""

    source: Host
    destination: Host
    port: int
    mail_from: str
    rcpt_to: str
    credentials: Credentials | None = None

    @classmethod
    def create(
        cls,
        world: World,
        *,
        source: str,
        destination: str,
        port: object,
        mail_from: str | None = None,
        rcpt_to: str = "taro@example.net",
        credentials: Credentials | None = None,
    ) -> Attempt:
        """Check every input and build the attempt; bad input raises InputError."""
        src = world.host(source)
        if not src.is_client:
            raise InputError(
                TEXT["source_is_server"].format(source=source, hosts=world.host_ids(world.clients))
            )
        dst = world.host(destination)
        if dst.is_client:
            raise InputError(
                TEXT["destination_is_client"].format(
                    destination=destination, hosts=world.host_ids(world.servers)
                )
            )
        checked_port = check_port(port)
        sender = check_address(
            mail_from if mail_from is not None else default_sender(src, credentials),
            what="sender",
        )
        recipient = check_address(rcpt_to, what="recipient")
        return cls(src, dst, checked_port, sender, recipient, credentials)


def default_sender(source: Host, credentials: Credentials | None) -> str:
    """The From a client would use: the logged-in account, else the machine owner's ISP address."""
    if credentials is not None and "@" in credentials.user:
        return credentials.user
    return {
        "home-pc": "hanako@isp-a.example",
        "infected-pc": "support@bank.example",
        "isp-b-host": "jiro@isp-b.example",
    }.get(source.id, f"user@{source.hostname}")


# -- the chapter's world --------------------------------------------------------------------------

_V4 = ipaddress.IPv4Address
_V6 = ipaddress.IPv6Address

HANAKO = "hanako@mailprovider.example"
HANAKO_PASSWORD = "sakura-2026"  # a course value printed in the notebook, not a secret
BOT_WEBMAIL = "lucky-prize-7@webmail.example"
BOT_WEBMAIL_PASSWORD = "free-signup"  # anyone can sign up for a free webmail account

STANDARD_WORLD = World(
    networks=(
        Network(
            "isp-a",
            "ISP A",
            ipaddress.IPv4Network("198.51.100.0/24"),
            ipaddress.IPv6Network("2001:db8:a::/48"),
            dynamic_pool=ipaddress.IPv4Network("198.51.100.0/25"),
            dynamic_pool_v6=ipaddress.IPv6Network("2001:db8:a:100::/56"),
            is_isp=True,
        ),
        Network(
            "isp-b",
            "ISP B",
            ipaddress.IPv4Network("192.0.2.0/24"),
            ipaddress.IPv6Network("2001:db8:b::/48"),
            dynamic_pool=ipaddress.IPv4Network("192.0.2.0/25"),
            dynamic_pool_v6=ipaddress.IPv6Network("2001:db8:b:100::/56"),
            is_isp=True,
        ),
        Network(
            "internet",
            "the Internet",
            ipaddress.IPv4Network("203.0.113.0/24"),
            ipaddress.IPv6Network("2001:db8:c::/48"),
        ),
    ),
    hosts=(
        Host(
            "home-pc",
            "Home PC",
            "pc23.dyn.isp-a.example",
            "isp-a",
            _V4("198.51.100.23"),
            _V6("2001:db8:a:100::23"),
            "Hanako's PC at home; ISP A gives it an address from its dynamic pool.",
            is_client=True,
        ),
        Host(
            "infected-pc",
            "Infected PC (bot)",
            "pc77.dyn.isp-a.example",
            "isp-a",
            _V4("198.51.100.77"),
            _V6("2001:db8:a:100::77"),
            "A neighbour's PC taken over by malware that sends spam; same dynamic pool as Hanako.",
            is_client=True,
        ),
        Host(
            "isp-b-host",
            "PC on ISP B",
            "host55.dyn.isp-b.example",
            "isp-b",
            _V4("192.0.2.55"),
            _V6("2001:db8:b:100::55"),
            "Jiro's PC on ISP B, which has not deployed OP25B.",
            is_client=True,
        ),
        Host(
            "isp-a-mail",
            "ISP A mail server",
            "mail.isp-a.example",
            "isp-a",
            _V4("198.51.100.200"),
            _V6("2001:db8:a::25"),
            "ISP A's outgoing mail server: relays mail for ISP A's customers on port 25.",
            services=(Service(25, ServiceKind.RELAY),),
        ),
        Host(
            "provider-smtp",
            "Mail provider (submission)",
            "smtp.mailprovider.example",
            "internet",
            _V4("203.0.113.25"),
            _V6("2001:db8:c::587"),
            "Hanako's mail provider: submission on 587 (STARTTLS) and 465 (TLS), login required.",
            services=(Service(587, ServiceKind.SUBMISSION), Service(465, ServiceKind.SUBMISSIONS)),
            accounts=((HANAKO, HANAKO_PASSWORD),),
        ),
        Host(
            "webmail",
            "Webmail service",
            "webmail.example",
            "internet",
            _V4("203.0.113.80"),
            _V6("2001:db8:c::443"),
            "A free webmail site (like Gmail or Yahoo Mail): a web page over HTTPS, port 443.",
            services=(Service(443, ServiceKind.WEBMAIL),),
            accounts=((BOT_WEBMAIL, BOT_WEBMAIL_PASSWORD),),
        ),
        Host(
            "recipient-mx",
            "Recipient's MX",
            "mx.example.net",
            "internet",
            _V4("203.0.113.10"),
            _V6("2001:db8:c::25"),
            "The incoming mail server (MX) of example.net, where Taro's mailbox is.",
            services=(Service(25, ServiceKind.MX),),
            local_domains=("example.net",),
            mailboxes=("taro@example.net", "sales@example.net"),
        ),
    ),
)


# -- chapter 08's world: an office behind NAT, its hosting company's mail server, a spammer ---------

OFFICE_USER = "hanako@sakura-trading.example"
OFFICE_PASSWORD = "ume-2026"  # a course value printed in the notebook, not a secret
OFFICE_DOMAIN = "sakura-trading.example"

RELAY_WORLD = World(
    networks=(
        Network(
            "office",
            "Sakura Trading's office",
            ipaddress.IPv4Network("192.168.10.0/24"),
            ipaddress.IPv6Network("2001:db8:5::/48"),
            nat_address=_V4("198.51.100.60"),
        ),
        Network(
            "far-isp",
            "a far-away ISP",
            ipaddress.IPv4Network("192.0.2.0/24"),
            ipaddress.IPv6Network("2001:db8:b::/48"),
            dynamic_pool=ipaddress.IPv4Network("192.0.2.0/25"),
            is_isp=True,
        ),
        Network(
            "internet",
            "the Internet",
            ipaddress.IPv4Network("203.0.113.0/24"),
            ipaddress.IPv6Network("2001:db8:c::/48"),
        ),
    ),
    hosts=(
        Host(
            "user-pc",
            "Hanako's PC",
            "hanako-pc.office.sakura-trading.example",
            "office",
            _V4("192.168.10.23"),
            _V6("2001:db8:5::23"),
            "Hanako's PC in the office: its mail program reads her mail with POP3 and sends "
            "through the hosting company's server.",
            is_client=True,
        ),
        Host(
            "colleague-pc",
            "Ken's PC",
            "ken-pc.office.sakura-trading.example",
            "office",
            _V4("192.168.10.24"),
            _V6("2001:db8:5::24"),
            "Ken's PC in the same office, behind the same NAT router as Hanako's.",
            is_client=True,
        ),
        Host(
            "spammer",
            "Spammer's machine",
            "host66.far-isp.example",
            "far-isp",
            _V4("192.0.2.66"),
            _V6("2001:db8:b:100::66"),
            "A machine on another network that looks for servers to send its spam through.",
            is_client=True,
        ),
        Host(
            "hosting-mail",
            "Hosting company's mail server",
            "mail.hosting.example",
            "internet",
            _V4("203.0.113.30"),
            _V6("2001:db8:c::30"),
            "Sakura Trading's mail is hosted here: SMTP on 25 (mail for sakura-trading.example), "
            "submission on 587 with SMTP AUTH, and POP3 for reading.",
            services=(Service(25, ServiceKind.MX), Service(587, ServiceKind.SUBMISSION)),
            accounts=((OFFICE_USER, OFFICE_PASSWORD),),
            local_domains=(OFFICE_DOMAIN,),
            mailboxes=(OFFICE_USER, f"ken@{OFFICE_DOMAIN}", f"info@{OFFICE_DOMAIN}"),
        ),
        STANDARD_WORLD.host("recipient-mx"),
    ),
)
"""Chapter 08's world for relay control and POP before SMTP (see the module docstring)."""
