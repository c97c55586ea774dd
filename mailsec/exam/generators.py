"""The six kinds of afternoon-style questions, each a course mechanism over a finite list of cases.

Each solver runs the mechanism for a case and returns the key of the right choice (whatever the
result names) and the values the wording's placeholders need: the OP25B path model (chapter 02),
the POP3/IMAP4 model (01), an SPF check against a small zone (03), the receiving server's
SPF/DKIM/DMARC checks (07: alignment, then disposition) and an MTA-STS delivery decision (08).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from mailsec.exam.afternoon import Generator, templates
from mailsec.exam.schema import Text

__all__ = ["GENERATORS"]

# The mechanisms' imports are local: loading the bank does not load DKIM keys or the OP25B world.


@dataclass(frozen=True)
class _Op25bCase:
    source: str
    destination: str
    port: int
    login: bool
    op25b: bool = True
    ip25b: bool = False


_ACCOUNTS = {
    "provider-smtp": ("hanako@mailprovider.example", "sakura-2026"),
    "webmail": ("lucky-prize-7@webmail.example", "free-signup"),
}


def _solve_op25b(case: _Op25bCase) -> tuple[str, Mapping[str, str | Text]]:
    from mailsec.op25b import Policy, simulate

    user, password = _ACCOUNTS.get(case.destination, (None, None)) if case.login else (None, None)
    result = simulate(
        case.source,
        case.destination,
        case.port,
        user=user,
        password=password,
        policy=Policy(op25b=case.op25b, ip25b=case.ip25b),
    )
    words = templates()["op25b-path"].words
    hop = result.final_hop
    return result.verdict.value, {
        "who": words[case.source],
        "server": words[case.destination],
        "port": str(case.port),
        "login": words["login-yes" if case.login else "login-no"],
        "op25b": words["on" if case.op25b else "off"],
        "ip25b": words["on" if case.ip25b else "off"],
        "host": result.attempt.destination.hostname,
        "reply": hop.reply.line if hop.reply else "",
    }


_OP25B_CASES = (
    _Op25bCase("home-pc", "recipient-mx", 25, login=False),
    _Op25bCase("infected-pc", "recipient-mx", 25, login=False),
    _Op25bCase("home-pc", "isp-a-mail", 25, login=False),
    _Op25bCase("home-pc", "provider-smtp", 587, login=True),
    _Op25bCase("home-pc", "provider-smtp", 587, login=False),
    _Op25bCase("home-pc", "provider-smtp", 465, login=True),
    _Op25bCase("home-pc", "provider-smtp", 25, login=True),
    _Op25bCase("infected-pc", "webmail", 443, login=True),
    _Op25bCase("infected-pc", "provider-smtp", 587, login=True),
    _Op25bCase("isp-b-host", "recipient-mx", 25, login=False, ip25b=True),
    _Op25bCase("isp-b-host", "isp-a-mail", 25, login=False),
    _Op25bCase("infected-pc", "recipient-mx", 25, login=False, op25b=False),
    _Op25bCase("home-pc", "recipient-mx", 587, login=False),
)


def _course_morning() -> datetime:
    return datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def _solve_retrieval(setting: str) -> tuple[str, Mapping[str, str | Text]]:
    from mailsec.retrieval.model import ImapSettings, PopSettings, run
    from mailsec.retrieval.scenarios import SCENARIOS

    clients: dict[str, PopSettings | ImapSettings] = {
        "pop-delete": PopSettings(),
        "pop-copy": PopSettings(leave_copy=True),
        "imap": ImapSettings(),
    }
    client = clients[setting]
    laptop = run(SCENARIOS["phone-then-laptop"], client=client, clock=_course_morning)
    shown = {(m.label, m.read) for m in laptop.final.device("Laptop").messages}
    outcomes = {
        frozenset(): "nothing",
        frozenset({("M1", False), ("M2", False), ("M3", False)}): "all-unread",
        frozenset({("M1", False), ("M2", False)}): "two-unread",
        frozenset({("M1", True), ("M2", False)}): "same-as-phone",
    }
    key = outcomes.get(frozenset(shown))
    if key is None:
        raise RuntimeError(f"The laptop ends with {sorted(shown)}, which no choice describes.")
    return key, {"setting": templates()["pop-imap-devices"].words[setting]}


_SPF_ZONE = """\
$ORIGIN example.com.
@      TXT "v=spf1 ip4:192.0.2.32/28 mx include:_spf.mailhost.example {ending}all"
@      MX  10 mail
mail   A   192.0.2.10
$ORIGIN mailhost.example.
_spf   TXT "v=spf1 ip4:198.51.100.0/24 ~all"
"""

_SPF_EXHIBIT = """\
example.com.              TXT  "v=spf1 ip4:192.0.2.32/28 mx include:_spf.mailhost.example {ending}all"
example.com.              MX   10 mail.example.com.
mail.example.com.         A    192.0.2.10
_spf.mailhost.example.    TXT  "v=spf1 ip4:198.51.100.0/24 ~all\""""

_SPF_CLIENTS = (
    "192.0.2.10",
    "192.0.2.40",
    "192.0.2.50",
    "198.51.100.25",
    "203.0.113.66",
    "192.0.2.100",
    "203.0.113.5",
)


def _solve_spf(case: tuple[str, str]) -> tuple[str, Mapping[str, str | Text]]:
    from mailsec import spf
    from mailsec.spf.zone import ZoneResolver

    ending, ip = case
    zone = ZoneResolver.from_text(_SPF_ZONE.format(ending=ending))
    outcome = spf.check(ip, "info@example.com", "sender.example", resolver=zone)
    return str(outcome.result), {
        "ip": ip,
        "zone": _SPF_EXHIBIT.format(ending=ending),
        "term": outcome.mechanism or "",
    }


_DMARC_PLAIN = ("genuine", "tampered", "forwarded", "own_domain", "spoofed", "provider")


def _inbound(case: tuple[str, str]) -> tuple[Any, Any, str | None]:
    """The chapter-07 scenario ``case`` (a name and a policy to publish, or "") as checked."""
    from mailsec.dkim.course import course_resolver
    from mailsec.dmarc.receiver import check_inbound
    from mailsec.dmarc.scenarios import RECEIVER, Changes, Scenario, run, send

    name, policy = case
    if name == "tampered":  # the bank's own mail, changed after it was signed (chapter 09)
        sent = send(Scenario.GENUINE)
        changed = sent.message.replace(b"statement is ready", b"statement is READY")
        check = check_inbound(
            changed,
            client_ip=sent.client_ip,
            helo=sent.helo,
            mail_from=sent.mail_from,
            authserv_id=RECEIVER,
            resolver=course_resolver(),
        )
        return sent, check, None
    return run(Scenario(name), Changes(policy=policy))


def _from_field(message: bytes) -> str:
    match = re.search(rb"^From:[ \t]*(.*)$", message, re.MULTILINE | re.IGNORECASE)
    return match.group(1).decode("utf-8").strip() if match else ""


def _envelope(sent: Any) -> dict[str, str]:
    return {
        "ip": sent.client_ip,
        "helo": sent.helo,
        "mail_from": sent.mail_from,
        "from_field": _from_field(sent.message),
    }


def _solve_alignment(case: tuple[str, str]) -> tuple[str, Mapping[str, str | Text]]:
    sent, check, _ = _inbound(case)
    dmarc = check.dmarc
    key = {
        (True, True): "both",
        (True, False): "spf",
        (False, True): "dkim",
        (False, False): "neither",
    }[(dmarc.spf_aligned, dmarc.dkim_aligned)]
    words = templates()["dmarc-alignment"].words
    signers = ", ".join(sorted({d.domain for d in dmarc.dkim if d.domain}))
    return key, {
        **_envelope(sent),
        "authres": check.header,
        "from_domain": dmarc.from_domain or "",
        "spf_domain": dmarc.spf.domain if dmarc.spf else "",
        "dkim_domains": signers or words["no-signature"],
    }


_DMARC_DISPOSITION_CASES = (
    ("own_domain", "reject"),
    ("own_domain", "quarantine"),
    ("own_domain", "none"),
    ("spoofed", "reject"),
    ("spoofed", "quarantine"),
    ("spoofed", "none"),
    ("genuine", ""),
    ("forwarded", ""),
    ("subdomain", ""),
)


def _solve_disposition(case: tuple[str, str]) -> tuple[str, Mapping[str, str | Text]]:
    sent, check, record = _inbound(case)
    dmarc = check.dmarc
    shown = "; ".join(
        part for part in check.header.split("; ") if not part.startswith(("dmarc=", "arc="))
    )
    key = {"none": "inbox", "quarantine": "junk", "reject": "refused"}[dmarc.disposition.value]
    words = templates()["dmarc-disposition"].words
    tag = ("sp=" if dmarc.subdomain_policy else "p=") + (dmarc.policy.value if dmarc.policy else "")
    return key, {
        **_envelope(sent),
        "authres": shown,
        "record_domain": dmarc.record_domain or "",
        "record": record or "",
        "from_domain": dmarc.from_domain or "",
        "policy": tag,
        "verdict": words["pass" if dmarc.passed else "fail"],
    }


_MTA_STS_POLICY = (
    "version: STSv1\nmode: {mode}\nmx: mx1.example.net\nmx: *.backup.example.net\nmax_age: 604800\n"
)


def _solve_mta_sts(case: tuple[str, str, str]) -> tuple[str, Mapping[str, str | Text]]:
    from mailsec.transport import mtasts
    from mailsec.transport.mtasts_delivery import MxHost, TlsOutcome, decide_delivery

    mode, mx1, backup = case
    hosts = [
        MxHost("evil-mx.attacker.example", TlsOutcome.VALID, preference=5),
        MxHost("mx1.example.net", TlsOutcome(mx1), preference=10),
        MxHost("mx.backup.example.net", TlsOutcome(backup), preference=20),
    ]
    policy = mtasts.parse_policy(_MTA_STS_POLICY.format(mode=mode))
    delivery = decide_delivery(policy, hosts, domain="example.net")
    used = [v.host.name for v in delivery.verdicts if v.used]
    key = (
        {
            "evil-mx.attacker.example": "forged",
            "mx1.example.net": "mx1",
            "mx.backup.example.net": "backup",
        }[used[0]]
        if used
        else "nobody"
    )
    words = templates()["mta-sts-delivery"].words
    return key, {
        "mode": mode,
        "tls_evil": words[TlsOutcome.VALID.value],
        "tls_mx1": words[mx1],
        "tls_backup": words[backup],
    }


#: The generators of afternoon-style questions, each over a finite list of cases.
GENERATORS: tuple[Generator, ...] = (
    Generator("op25b-path", _OP25B_CASES, _solve_op25b),
    Generator("pop-imap-devices", ("pop-delete", "pop-copy", "imap"), _solve_retrieval),
    Generator(
        "spf-result",
        tuple((ending, ip) for ending in "-~?" for ip in _SPF_CLIENTS),
        _solve_spf,
    ),
    Generator("dmarc-alignment", tuple((name, "") for name in _DMARC_PLAIN), _solve_alignment),
    Generator("dmarc-disposition", _DMARC_DISPOSITION_CASES, _solve_disposition),
    Generator(
        "mta-sts-delivery",
        tuple(
            (mode, mx1, backup)
            for mode in ("enforce", "testing")
            for mx1 in ("valid", "expired", "no-starttls")
            for backup in ("valid", "expired")
        ),
        _solve_mta_sts,
    ),
)
