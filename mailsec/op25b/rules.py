"""The rules of the model, one pure function per decision point.

The same functions decide in the path evaluation (:mod:`mailsec.op25b.path`) and inside the real
SMTP servers of the replay (:mod:`mailsec.op25b.replay`), so the model and the wire cannot disagree
about a rule. Each returns a :class:`Ruling`: the decision, a plain-language reason that names the
rule, where the rule comes from, and the SMTP reply a server sends for it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.i18n import texts
from mailsec.op25b.model import Credentials, Host, Policy, ServiceKind, World
from mailsec.trace import Outcome

__all__ = [
    "Decision",
    "Reply",
    "Ruling",
    "auth_ruling",
    "edge_ruling",
    "ip25b_ruling",
    "mail_ruling",
    "mailbox_ruling",
    "rcpt_ruling",
    "webmail_ruling",
]

SECTION_OP25B = "RFC 5068 §3"
SECTION_SUBMISSION = "RFC 6409 §4.3"
SECTION_AUTH_CODES = "RFC 4954 §6"
SECTION_RELAY = "RFC 5321 §3.6"
SECTION_MAILBOX = "RFC 5321 §3.3"
SECTION_IMPLICIT_TLS = "RFC 8314 §3.3"

TEXT = texts(
    {
        "decisions": {
            "PASSED": "passed",
            "DROPPED": "dropped by OP25B",
            "NO_SERVICE": "connection refused",
            "ACCEPTED": "accepted",
            "DELIVERED": "delivered",
            "HANDED_ON": "handed on (outside the model)",
            "RELAY_DENIED": "refused: relay denied",
            "AUTH_REQUIRED": "refused: authentication required",
            "AUTH_FAILED": "refused: authentication failed",
            "USER_UNKNOWN": "refused: no such mailbox",
            "DYNAMIC_REFUSED": "refused by IP25B",
            "LOGIN_REQUIRED": "refused: login required",
            "LOGIN_FAILED": "refused: login failed",
        },
        # The edge router's reasons (chapter 09's capstone shows them too).
        "edge_other": "{network}'s edge router passes the connection to port {port}: {network} "
        "has not deployed OP25B.",
        "edge_port": "ISP A's edge passes port {port}: OP25B blocks only port 25, so submission "
        "(587, 465) and web traffic (443) leave freely.",
        "edge_own": "ISP A's edge passes port 25 from {host} ({address}): it is ISP A's own "
        "server, not in the dynamic pool, so OP25B does not apply to it.",
        "edge_off": "ISP A's edge passes port 25 from its dynamic pool ({pool}) because OP25B "
        "is switched off.",
        "edge_drop": "Dropped by OP25B: ISP A's edge drops outbound TCP port 25 from its dynamic "
        "pool ({pool}) to servers outside ISP A ({server} is outside). Mail must go through ISP "
        "A's mail server or a submission port (587/465).",
        "auth_ok": "{server} accepts the login of {user}.",
        "auth_failed": "{server} refuses the login of {user!r}: wrong user name or password "
        "(reply 535).",
        "mail_auth_required": "{server} refuses MAIL FROM before SMTP AUTH: the submission "
        "service takes mail only from logged-in users (reply 530).",
        "mail_no_auth": "{server} accepts MAIL FROM without a login because 'submission requires "
        "AUTH' is switched off: anyone may now send through it.",
        "mail_ok": "The sender is accepted.",
        "relay_denied_domain": "{server} refuses to relay: {domain} is not one of its own domains "
        "({domains}). A server that relays for anyone is an open relay, which spammers abuse "
        "(reply 554).",
        "relay_denied_customer": "{server} refuses to relay: {client} ({address}) is not one of "
        "ISP A's customers. A server that relays for anyone is an open relay, which spammers "
        "abuse (reply 554).",
        "handed_on": "{server} accepts mail for {domain} and would pass it to {domain}'s own "
        "server, which is outside this model.",
        "handed_on_open": "{server} accepts mail for {domain} and would pass it to {domain}'s own "
        "server, which is outside this model: relay control is switched off (an open relay!).",
        "relays_customer": "{server} relays for {client}, a customer inside ISP A (so ISP A sees "
        "this mail and can limit or trace a sender that floods it); it will pass the message to "
        "{target}, the MX for {domain}.",
        "relays_user": "{server} relays for its logged-in user; it will pass the message to "
        "{target}, the MX for {domain}.",
        "relays": "{server} relays; it will pass the message to {target}, the MX for {domain}.",
        "relays_open": "{server} relays because relay control is switched off (an open relay!); "
        "it will pass the message to {target}, the MX for {domain}.",
        "ip25b": "Refused by IP25B: {server} does not take port-25 mail from {address}, an "
        "address in {network}'s dynamic pool; such clients must use their own provider's server "
        "or a submission port.",
        "mailbox_ok": "{server} is the MX for {domain} and has a mailbox for {rcpt}.",
        "mailbox_unknown": "{server} receives mail for {domain} but has no mailbox {rcpt} (reply "
        "550).",
        "login_page": "{server} shows its login page: a webmail site sends only for a logged-in "
        "account (choose credentials; free accounts are easy to get).",
        "login_failed": "{server} refuses the login of {user!r}: wrong user name or password.",
        "webmail_sent": "{user} is logged in to {server} and presses Send: the message travels "
        "as an HTTPS request on port 443, not as SMTP on port 25.",
    }
)


class Decision(enum.Enum):
    """What happened at one hop."""

    PASSED = "passed"
    """The packets went through this router."""
    DROPPED = "dropped by OP25B"
    """The ISP's edge router silently dropped the connection attempt."""
    NO_SERVICE = "connection refused"
    """Nothing listens on that port: the host answered with a TCP reset."""
    ACCEPTED = "accepted"
    """The server took the message and will pass it on."""
    DELIVERED = "delivered"
    """The message is in the recipient's mailbox."""
    HANDED_ON = "handed on (outside the model)"
    """Accepted for a domain this model has no server for."""
    RELAY_DENIED = "refused: relay denied"
    """The server does not relay for this client or domain (no open relay)."""
    AUTH_REQUIRED = "refused: authentication required"
    """The submission server wants SMTP AUTH before MAIL."""
    AUTH_FAILED = "refused: authentication failed"
    """Wrong user name or password."""
    USER_UNKNOWN = "refused: no such mailbox"
    """The recipient's domain is right but the mailbox does not exist."""
    DYNAMIC_REFUSED = "refused by IP25B"
    """A port-25 server refused a client from another ISP's dynamic pool."""
    LOGIN_REQUIRED = "refused: login required"
    """The webmail site wants a logged-in account."""
    LOGIN_FAILED = "refused: login failed"
    """Wrong webmail user name or password."""

    @property
    def outcome(self) -> Outcome:
        if self in (Decision.PASSED, Decision.ACCEPTED, Decision.DELIVERED):
            return Outcome.OK
        if self is Decision.HANDED_ON:
            return Outcome.WARN
        return Outcome.FAIL

    @property
    def label(self) -> str:
        """The decision in words, in the current language (:attr:`value` stays English)."""
        return TEXT["decisions"][self.name]


@dataclass(frozen=True)
class Reply:
    """An SMTP reply: code, enhanced status code (RFC 3463) and text."""

    code: int
    status: str
    text: str

    @property
    def line(self) -> str:
        return f"{self.code} {self.status} {self.text}"

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400


@dataclass(frozen=True)
class Ruling:
    """The outcome of one rule."""

    decision: Decision
    reason: str
    section: str | None = None
    reply: Reply | None = None

    @property
    def allowed(self) -> bool:
        return self.decision.outcome is not Outcome.FAIL


def edge_ruling(world: World, policy: Policy, client: Host, server: Host, port: int) -> Ruling:
    """ISP A's edge router: does a connection from ``client`` to ``server:port`` leave the ISP?"""
    net = world.network_of(client)
    pool = world.in_dynamic_pool(client)
    if net.id != "isp-a":
        return Ruling(Decision.PASSED, TEXT["edge_other"].format(network=net.shown_name, port=port))
    if port != 25:
        return Ruling(
            Decision.PASSED,
            TEXT["edge_port"].format(port=port),
            SECTION_OP25B,
        )
    if pool is None:
        return Ruling(
            Decision.PASSED,
            TEXT["edge_own"].format(host=client.hostname, address=client.ipv4),
            SECTION_OP25B,
        )
    if not policy.op25b:
        return Ruling(
            Decision.PASSED,
            TEXT["edge_off"].format(pool=pool.dynamic_pool),
            SECTION_OP25B,
        )
    return Ruling(
        Decision.DROPPED,
        TEXT["edge_drop"].format(pool=pool.dynamic_pool, server=server.hostname),
        SECTION_OP25B,
    )


def auth_ruling(server: Host, credentials: Credentials) -> Ruling:
    """SMTP AUTH on a submission service: are the user name and password right?"""
    if server.password_of(credentials.user) == credentials.password:
        return Ruling(
            Decision.ACCEPTED,
            TEXT["auth_ok"].format(server=server.hostname, user=credentials.user),
            SECTION_AUTH_CODES,
            Reply(235, "2.7.0", "Authentication successful"),
        )
    return Ruling(
        Decision.AUTH_FAILED,
        TEXT["auth_failed"].format(server=server.hostname, user=credentials.user),
        SECTION_AUTH_CODES,
        Reply(535, "5.7.8", "Authentication credentials invalid"),
    )


def mail_ruling(
    server: Host, kind: ServiceKind, client: Host, *, authenticated: bool, policy: Policy
) -> Ruling:
    """MAIL FROM: does the server accept a sender in this session?"""
    if kind in (ServiceKind.SUBMISSION, ServiceKind.SUBMISSIONS) and not authenticated:
        if policy.submission_auth:
            return Ruling(
                Decision.AUTH_REQUIRED,
                TEXT["mail_auth_required"].format(server=server.hostname),
                SECTION_SUBMISSION,
                Reply(530, "5.7.0", "Authentication required"),
            )
        return Ruling(
            Decision.ACCEPTED,
            TEXT["mail_no_auth"].format(server=server.hostname),
            SECTION_SUBMISSION,
            Reply(250, "2.1.0", "OK"),
        )
    return Ruling(Decision.ACCEPTED, TEXT["mail_ok"], None, Reply(250, "2.1.0", "OK"))


def rcpt_ruling(
    world: World,
    server: Host,
    kind: ServiceKind,
    client: Host,
    rcpt: str,
    *,
    authenticated: bool,
    policy: Policy,
) -> Ruling:
    """RCPT TO: does the server take mail for ``rcpt`` from ``client``?

    The rules in order: IP25B, the server's own mailboxes, relay control, then passing it on.
    """
    domain = rcpt.rpartition("@")[2].lower()
    early = _ip25b_ruling(world, server, kind, client, policy) or _mailbox_ruling(
        server, kind, rcpt, domain
    )
    if early is not None:
        return early
    relay_allowed = (
        not policy.relay_control
        or authenticated
        or kind in (ServiceKind.SUBMISSION, ServiceKind.SUBMISSIONS)
        or (kind is ServiceKind.RELAY and client.network == server.network)
    )
    if not relay_allowed:
        if kind is ServiceKind.MX:
            denied = TEXT["relay_denied_domain"].format(
                server=server.hostname, domain=domain, domains=", ".join(server.local_domains)
            )
        else:
            denied = TEXT["relay_denied_customer"].format(
                server=server.hostname, client=client.hostname, address=client.ipv4
            )
        return Ruling(
            Decision.RELAY_DENIED,
            denied,
            SECTION_RELAY,
            Reply(554, "5.7.1", f"<{rcpt}>: Relay access denied"),
        )
    target = world.mx_for(domain)
    if target is None:
        return Ruling(
            Decision.HANDED_ON,
            TEXT["handed_on" if policy.relay_control else "handed_on_open"].format(
                server=server.hostname, domain=domain
            ),
            SECTION_RELAY,
            Reply(250, "2.1.5", "OK"),
        )
    key = {
        ServiceKind.RELAY: "relays_customer",
        ServiceKind.SUBMISSION: "relays_user",
        ServiceKind.SUBMISSIONS: "relays_user",
        ServiceKind.MX: "relays",
    }[kind]
    if not policy.relay_control:
        key = "relays_open"
    return Ruling(
        Decision.ACCEPTED,
        TEXT[key].format(
            server=server.hostname, client=client.hostname, target=target.hostname, domain=domain
        ),
        SECTION_RELAY,
        Reply(250, "2.1.5", "OK"),
    )


def _ip25b_ruling(
    world: World, server: Host, kind: ServiceKind, client: Host, policy: Policy
) -> Ruling | None:
    """IP25B: a receiving server refuses port 25 from other networks' dynamic pools."""
    if kind not in (ServiceKind.RELAY, ServiceKind.MX) or not policy.ip25b:
        return None
    pool = world.in_dynamic_pool(client)
    if pool is None or pool.id == server.network:
        return None
    return Ruling(
        Decision.DYNAMIC_REFUSED,
        TEXT["ip25b"].format(server=server.hostname, address=client.ipv4, network=pool.shown_name),
        None,
        Reply(554, "5.7.1", f"Client host [{client.ipv4}] is in a dynamic address pool"),
    )


def _mailbox_ruling(server: Host, kind: ServiceKind, rcpt: str, domain: str) -> Ruling | None:
    """An MX takes mail for its own domains' mailboxes, and refuses unknown users (550)."""
    if kind is not ServiceKind.MX or domain not in server.local_domains:
        return None
    if rcpt.lower() in server.mailboxes:
        return Ruling(
            Decision.DELIVERED,
            TEXT["mailbox_ok"].format(server=server.hostname, domain=domain, rcpt=rcpt),
            SECTION_MAILBOX,
            Reply(250, "2.1.5", "OK"),
        )
    return Ruling(
        Decision.USER_UNKNOWN,
        TEXT["mailbox_unknown"].format(server=server.hostname, domain=domain, rcpt=rcpt),
        SECTION_MAILBOX,
        Reply(550, "5.1.1", f"<{rcpt}>: Recipient address rejected: User unknown"),
    )


def ip25b_ruling(
    world: World, server: Host, kind: ServiceKind, client: Host, policy: Policy
) -> Ruling | None:
    """IP25B's refusal of ``client``, or None: the first rule of :func:`rcpt_ruling`, shared
    with the relay settings of :mod:`mailsec.op25b.relaycontrol`."""
    return _ip25b_ruling(world, server, kind, client, policy)


def mailbox_ruling(server: Host, rcpt: str) -> Ruling | None:
    """``server``'s answer for ``rcpt`` in one of its own domains (a mailbox, or 550), or None
    when ``rcpt`` is for another domain; for any kind of service (chapter 02's MX rule)."""
    domain = rcpt.rpartition("@")[2].lower()
    return _mailbox_ruling(server, ServiceKind.MX, rcpt, domain)


def webmail_ruling(server: Host, credentials: Credentials | None) -> Ruling:
    """The webmail site's login: webmail sends only for a logged-in account."""
    if credentials is None:
        return Ruling(
            Decision.LOGIN_REQUIRED,
            TEXT["login_page"].format(server=server.hostname),
        )
    if server.password_of(credentials.user) != credentials.password:
        return Ruling(
            Decision.LOGIN_FAILED,
            TEXT["login_failed"].format(server=server.hostname, user=credentials.user),
        )
    return Ruling(
        Decision.ACCEPTED,
        TEXT["webmail_sent"].format(user=credentials.user, server=server.hostname),
    )
