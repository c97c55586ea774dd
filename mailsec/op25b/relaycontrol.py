"""Relay control and POP before SMTP: whom a mail server passes mail on for.

A mail server *relays* when it takes mail for a domain that is not its own and passes it on to
that domain's server (RFC 5321 §3.6.2). Whom it relays for is its :class:`RelaySetting`:

- ``OPEN_RELAY`` — anyone, to anywhere: an open relay (オープンリレー, 第三者中継). Spammers send
  through it: the recipients' servers see the relay's address instead of theirs, the relay's
  good name carries the spam, and soon blocklists list the relay itself. RFC 2505 §2.1 asks that
  every MTA can refuse to relay for strangers.
- ``SMTP_AUTH`` — relay control: mail for its own domains from anyone (that is delivery, not
  relaying); relaying only for users who logged in with SMTP AUTH in the same session
  (RFC 4954 §4), which mail programs do on the submission port 587 (RFC 6409 §4.3).
- ``POP_BEFORE_SMTP`` — as ``SMTP_AUTH``, and also for any client whose IP address logged in to
  the POP3 server a few minutes before. RFC 6409 §3.3 lists "prior POP authentication" among the
  ways servers authorise submission. The addresses and their windows are a
  :class:`PopBeforeSmtp` table.

POP before SMTP authorises an *address*, not a person or a program, and two flaws follow:
everyone behind the same NAT router shares one public address (RFC 3022 §2.2; RFC 2505 §3.4 notes
that such an address does not name one host), so a colleague's PC relays on Hanako's login; and
the window outlives the login, so a program that never logged in relays until the window closes.

Everything here is pure: the time is passed in, the table is bounded, nothing touches a socket.
:func:`relay_ruling` decides RCPT TO and explains itself step by step; :class:`RelayControl`
bundles a setting, its table and a clock, and stands in for chapter 02's RCPT rule in the real
servers: ``ModelSmtpServers(relay=RelayControl(...))`` (:mod:`mailsec.op25b.smtpd`), whose table a
real POP3 login fills (:mod:`mailsec.op25b.relaywire`).

A refused relay is answered ``550 5.7.1`` (RFC 5321 §3.6.2: a policy refusal SHOULD be 550;
RFC 3463 §3.8: 5.7.1 "delivery not authorized"). Chapter 02's rules answer 554, as Postfix does
by default; both are permanent refusals.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.errors import InputError
from mailsec.i18n import language, using
from mailsec.op25b.model import Host, Policy, ServiceKind, World
from mailsec.op25b.relaycontrol_text import TEXT
from mailsec.op25b.rules import Decision, Reply, Ruling, ip25b_ruling, mailbox_ruling
from mailsec.trace import Outcome, Step

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_WINDOW",
    "KEPT_RULINGS",
    "LoginWindow",
    "PopBeforeSmtp",
    "RelayControl",
    "RelayGround",
    "RelayRuling",
    "RelaySetting",
    "relay_ruling",
]

SECTION_RELAYING = "RFC 5321 §3.6.2"
SECTION_ANTI_RELAY = "RFC 2505 §2.1"
SECTION_NAT = "RFC 2505 §3.4"
SECTION_NAPT = "RFC 3022 §2.2"
SECTION_SMTP_AUTH = "RFC 4954 §4"
SECTION_SUBMISSION = "RFC 6409 §4.3"
SECTION_PRIOR_POP = "RFC 6409 §3.3"

DEFAULT_WINDOW = dt.timedelta(minutes=10)
"""How long a POP3 login opens relaying for its address. No RFC sets it; servers that offered
POP before SMTP kept an address for a few minutes up to half an hour."""
MAX_WINDOW = dt.timedelta(days=1)
"""The longest window :class:`PopBeforeSmtp` accepts (a longer one is a misconfiguration)."""
DEFAULT_CAPACITY = 1024
"""How many addresses the table holds; past that, closed windows go first, then the oldest."""
KEPT_RULINGS = 100
"""How many rulings :attr:`RelayControl.decided` keeps (the oldest go first)."""

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(at: dt.datetime, what: str | None = None) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InputError(TEXT["no_zone"].format(what=what or TEXT["time"], value=at))
    return at


def _address(value: object) -> Address:
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise InputError(TEXT["not_address"].format(value=value)) from None


class RelaySetting(enum.Enum):
    """Whom a mail server relays for (mail to domains that are not its own)."""

    OPEN_RELAY = "open-relay"
    """Anyone, to anywhere: an open relay (RFC 2505 §2.1 asks that every MTA can refuse this)."""
    SMTP_AUTH = "smtp-auth"
    """Relay control: only for users logged in with SMTP AUTH (RFC 4954 §4; RFC 6409 §4.3)."""
    POP_BEFORE_SMTP = "pop-before-smtp"
    """Relay control: SMTP AUTH users, and any address with a recent POP3 login (RFC 6409 §3.3)."""

    @property
    def description(self) -> str:
        return TEXT["settings"][self.value]


class RelayGround(enum.Enum):
    """Why the server took the mail (or ``NONE`` when it refused)."""

    OWN_DOMAIN = "own-domain"
    """The mail is for one of the server's own domains: delivery, not relaying."""
    SMTP_AUTH = "smtp-auth"
    """The client logged in with SMTP AUTH in this session."""
    OPEN_RELAY = "open-relay"
    """The server relays for anyone."""
    OWN_NETWORK = "own-network"
    """An ISP's outgoing server relays for addresses in its own network (RFC 2505 §2.1)."""
    POP_WINDOW = "pop-window"
    """The client's address logged in to POP3 a few minutes ago."""
    NONE = "none"
    """No ground: the server refused."""

    @property
    def description(self) -> str:
        return TEXT["grounds"][self.value]


@dataclass(frozen=True)
class LoginWindow:
    """Relaying opened for ``address`` by ``user``'s POP3 login, from ``opened`` until ``closes``."""

    address: Address
    user: str
    opened: dt.datetime
    closes: dt.datetime

    def is_open(self, at: dt.datetime) -> bool:
        return self.opened <= _aware(at) < self.closes


class PopBeforeSmtp:
    """The POP-before-SMTP table: which addresses logged in to POP3, and until when they may relay.

    Bounded (``capacity`` addresses; when full, closed windows are forgotten first, then the
    oldest), and safe to share between the POP3 server's thread and the SMTP server's. One entry
    per address: a new login from the same address starts its window again. Closed windows stay
    while there is room, so a refusal can say when the window closed.
    """

    def __init__(
        self, *, window: dt.timedelta = DEFAULT_WINDOW, capacity: int = DEFAULT_CAPACITY
    ) -> None:
        if not isinstance(window, dt.timedelta) or not dt.timedelta(0) < window <= MAX_WINDOW:
            raise InputError(TEXT["bad_window"].format(window=window, most=MAX_WINDOW))
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise InputError(TEXT["bad_capacity"].format(capacity=capacity))
        self.window = window
        self.capacity = capacity
        self._entries: OrderedDict[Address, LoginWindow] = OrderedDict()
        self._lock = threading.Lock()

    def record_login(self, address: object, *, user: str, at: dt.datetime) -> LoginWindow:
        """A successful POP3 login of ``user`` from ``address`` at ``at``: open its window."""
        key = _address(address)
        entry = LoginWindow(key, user, _aware(at), at + self.window)
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.capacity:
                closed = next((k for k, e in self._entries.items() if not e.is_open(at)), None)
                self._entries.pop(closed if closed is not None else next(iter(self._entries)))
            self._entries[key] = entry
        return entry

    def lookup(self, address: object) -> LoginWindow | None:
        """The last login from ``address`` that the table remembers, open or closed."""
        key = _address(address)
        with self._lock:
            return self._entries.get(key)

    def open_for(self, address: object, *, at: dt.datetime) -> LoginWindow | None:
        """The window of ``address`` when it is open at ``at``, else None."""
        entry = self.lookup(address)
        return entry if entry is not None and entry.is_open(at) else None

    @property
    def entries(self) -> tuple[LoginWindow, ...]:
        """Every remembered login, oldest first."""
        with self._lock:
            return tuple(self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class RelayRuling:
    """The server's answer to RCPT TO under a relay setting, with its reasons step by step."""

    ruling: Ruling
    """The decision, its one-sentence reason, the rule's RFC section and the SMTP reply."""
    ground: RelayGround
    setting: RelaySetting
    client: Host
    address: ipaddress.IPv4Address
    """The address the server saw: the client's own, or its NAT router's."""
    rcpt: str
    at: dt.datetime | None
    window: LoginWindow | None
    """The client address's POP-before-SMTP window, open or closed, when the table has one."""
    steps: tuple[Step, ...]

    @property
    def allowed(self) -> bool:
        return self.ruling.allowed

    @property
    def relaying(self) -> bool:
        """Whether the mail is for another domain (so taking it means relaying it)."""
        return self.ground is not RelayGround.OWN_DOMAIN


def _check_setting(setting: object) -> RelaySetting:
    if not isinstance(setting, RelaySetting):
        raise InputError(
            TEXT["unknown_setting"].format(
                setting=setting, names=", ".join(s.name for s in RelaySetting)
            )
        )
    return setting


def _clock(at: dt.datetime | None) -> str:
    return at.strftime("%H:%M:%S") if at is not None else "?"


def _address_step(world: World, client: Host, address: ipaddress.IPv4Address) -> Step:
    if address == client.ipv4:
        return Step(TEXT["sees"].format(address=address, label=client.shown_label))
    return Step(
        TEXT["sees_nat"].format(
            address=address,
            label=client.shown_label,
            own=client.ipv4,
            network=world.network_of(client).shown_name,
        ),
        Outcome.INFO,
        SECTION_NAPT,
    )


def _domain_step(server: Host, domain: str, *, own: bool) -> Step:
    if own:
        return Step(
            TEXT["own_domain"].format(domain=domain, server=server.hostname),
            Outcome.INFO,
            SECTION_ANTI_RELAY,
        )
    own_domains = ", ".join(server.local_domains) or TEXT["no_domains"]
    return Step(
        TEXT["other_domain"].format(domain=domain, server=server.hostname, domains=own_domains),
        Outcome.INFO,
        SECTION_RELAYING,
    )


def _refusal(rcpt: str, reason: str) -> Ruling:
    return Ruling(
        Decision.RELAY_DENIED,
        reason,
        SECTION_RELAYING,
        Reply(550, "5.7.1", f"<{rcpt}>: Relay access denied"),
    )


def _pop_window_steps(
    window: LoginWindow | None, address: ipaddress.IPv4Address, at: dt.datetime
) -> list[Step]:
    """What the table says about ``address`` at ``at``."""
    if window is None:
        return [
            Step(
                TEXT["not_in_table"].format(address=address),
                Outcome.FAIL,
                SECTION_PRIOR_POP,
            )
        ]
    if not window.is_open(at):
        return [
            Step(
                TEXT["window_closed"].format(
                    user=window.user,
                    address=address,
                    opened=_clock(window.opened),
                    closes=_clock(window.closes),
                    now=_clock(at),
                ),
                Outcome.FAIL,
                SECTION_PRIOR_POP,
            )
        ]
    return [
        Step(
            TEXT["in_table"].format(
                address=address,
                user=window.user,
                opened=_clock(window.opened),
                closes=_clock(window.closes),
            ),
            Outcome.OK,
            SECTION_PRIOR_POP,
        ),
        Step(
            TEXT["an_address"].format(address=address, closes=_clock(window.closes)),
            Outcome.WARN,
            SECTION_NAT,
        ),
    ]


def _ground(
    world: World,
    server: Host,
    kind: ServiceKind,
    client: Host,
    *,
    authenticated: bool,
    setting: RelaySetting,
    window: LoginWindow | None,
    at: dt.datetime | None,
) -> tuple[RelayGround, list[Step]]:
    """Whether relaying is allowed for this session, and the steps that decided it."""
    if authenticated:
        return RelayGround.SMTP_AUTH, [
            Step(
                TEXT["authenticated"],
                Outcome.OK,
                SECTION_SMTP_AUTH,
            )
        ]
    steps = [Step(TEXT["not_authenticated"], Outcome.INFO, SECTION_SMTP_AUTH)]
    if setting is RelaySetting.OPEN_RELAY:
        steps.append(
            Step(
                TEXT["open_relay"].format(server=server.hostname, address=server.ipv4),
                Outcome.WARN,
                SECTION_ANTI_RELAY,
            )
        )
        return RelayGround.OPEN_RELAY, steps
    if kind is ServiceKind.RELAY and client.network == server.network:
        steps.append(
            Step(
                TEXT["own_network"].format(client=client.hostname, server=server.hostname),
                Outcome.OK,
                SECTION_ANTI_RELAY,
            )
        )
        return RelayGround.OWN_NETWORK, steps
    if setting is RelaySetting.POP_BEFORE_SMTP:
        assert at is not None
        address = world.public_ipv4(client)
        steps += _pop_window_steps(window, address, at)
        if window is not None and window.is_open(at):
            return RelayGround.POP_WINDOW, steps
    return RelayGround.NONE, steps


def relay_ruling(
    world: World,
    server: Host,
    kind: ServiceKind,
    client: Host,
    rcpt: str,
    *,
    authenticated: bool,
    setting: RelaySetting,
    windows: PopBeforeSmtp | None = None,
    at: dt.datetime | None = None,
    policy: Policy | None = None,
) -> RelayRuling:
    """RCPT TO under ``setting``: does ``server`` take mail for ``rcpt`` from ``client``?

    In order: IP25B (as in chapter 02, when ``policy`` switches it on), the server's own domains
    (delivery), then the grounds for relaying: SMTP AUTH, an open relay, an ISP's own network,
    a POP-before-SMTP window (``windows`` at the time ``at``). Nothing else relays.
    """
    _check_setting(setting)
    if setting is RelaySetting.POP_BEFORE_SMTP and (windows is None or at is None):
        raise InputError(TEXT["needs_table"])
    if at is not None:
        _aware(at)
    address = world.public_ipv4(client)
    window = windows.lookup(address) if windows is not None else None
    steps = [_address_step(world, client, address)]

    def done(ruling: Ruling, ground: RelayGround) -> RelayRuling:
        outcome = Outcome.OK if ruling.allowed else Outcome.FAIL
        if ground is RelayGround.OPEN_RELAY:
            outcome = Outcome.WARN  # taken, but for anyone at all
        last = Step(ruling.reason, outcome, ruling.section)
        return RelayRuling(
            ruling, ground, setting, client, address, rcpt, at, window, (*steps, last)
        )

    early = ip25b_ruling(world, server, kind, client, policy or Policy())
    if early is not None:
        return done(early, RelayGround.NONE)
    domain = rcpt.rpartition("@")[2].lower()
    own = mailbox_ruling(server, rcpt)
    steps.append(_domain_step(server, domain, own=own is not None))
    if own is not None:
        return done(own, RelayGround.OWN_DOMAIN)
    ground, reasons = _ground(
        world,
        server,
        kind,
        client,
        authenticated=authenticated,
        setting=setting,
        window=window,
        at=at,
    )
    steps.extend(reasons)
    if ground is RelayGround.NONE:
        return done(_refusal(rcpt, _refusal_reason(server, address, setting, window)), ground)
    return done(_relayed(world, server, domain, ground), ground)


def _relayed(world: World, server: Host, domain: str, ground: RelayGround) -> Ruling:
    """The server takes the mail on ``ground`` and passes it to ``domain``'s server."""
    target = world.mx_for(domain)
    reason = TEXT["relays" if target is not None else "relays_outside"].format(
        server=server.hostname,
        ground=ground.description,
        target=target.hostname if target is not None else "",
        domain=domain,
    )
    return Ruling(
        Decision.ACCEPTED if target is not None else Decision.HANDED_ON,
        reason,
        SECTION_RELAYING,
        Reply(250, "2.1.5", "OK"),
    )


def _refusal_reason(
    server: Host, address: ipaddress.IPv4Address, setting: RelaySetting, window: LoginWindow | None
) -> str:
    if setting is RelaySetting.SMTP_AUTH:
        return TEXT["refuses_auth"].format(server=server.hostname)
    if window is not None:
        return TEXT["refuses_window"].format(
            server=server.hostname, address=address, closes=_clock(window.closes)
        )
    return TEXT["refuses_no_login"].format(server=server.hostname, address=address)


class RelayControl:
    """A server's relay setting, its POP-before-SMTP table and its clock.

    Hand it to the real servers as ``ModelSmtpServers(relay=...)``: their RCPT TO then decides with
    :meth:`rcpt_ruling` (chapter 02's rules stay for everything else), and each decision is kept
    in :attr:`decided`. A POP3 login reaches the table through :meth:`pop_login`.

    The rulings are made in the SMTP server's thread, in the language that was current when the
    control was made (:attr:`lang`), so that a lab shows the server's reasons in its own.
    """

    def __init__(
        self,
        setting: RelaySetting = RelaySetting.SMTP_AUTH,
        *,
        windows: PopBeforeSmtp | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.setting = _check_setting(setting)
        self.windows = windows if windows is not None else PopBeforeSmtp()
        self.clock = clock
        self.decided: deque[RelayRuling] = deque(maxlen=KEPT_RULINGS)
        """The rulings made so far, newest last."""
        self.lang = language()
        """The language of the rulings' reasons (the one current when the control was made)."""

    def pop_login(self, address: object, *, user: str) -> LoginWindow:
        """A successful POP3 login from ``address`` now: open its window (the table records it
        whatever the setting; only ``POP_BEFORE_SMTP`` relays on it)."""
        return self.windows.record_login(address, user=user, at=self.clock())

    def rcpt_ruling(
        self,
        world: World,
        server: Host,
        kind: ServiceKind,
        client: Host,
        rcpt: str,
        *,
        authenticated: bool,
        policy: Policy,
    ) -> Ruling:
        """RCPT TO now, with the signature of :func:`mailsec.op25b.rules.rcpt_ruling`."""
        with using(self.lang):
            decided = self._decide(
                world, server, kind, client, rcpt, authenticated=authenticated, policy=policy
            )
        self.decided.append(decided)
        return decided.ruling

    def _decide(
        self,
        world: World,
        server: Host,
        kind: ServiceKind,
        client: Host,
        rcpt: str,
        *,
        authenticated: bool,
        policy: Policy,
    ) -> RelayRuling:
        return relay_ruling(
            world,
            server,
            kind,
            client,
            rcpt,
            authenticated=authenticated,
            setting=self.setting,
            windows=self.windows,
            at=self.clock(),
            policy=policy,
        )
