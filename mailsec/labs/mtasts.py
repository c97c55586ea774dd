"""Chapter 08's MTA-STS lab: will the sender deliver to example.net, and to which server?

The scenario: a sender has a message for example.net, whose MX hosts are ``mx1.example.net`` and
``mx.backup.example.net``. The learner edits example.net's policy file and its mode, picks what
the TLS handshake with each MX would show, and plays the attacker: a forged MX answer that puts
``evil-mx.attacker.example`` first, and a blocked policy lookup (the TXT query and the HTTPS
fetch), with or without a copy in the sender's cache. Each change runs one pure function,
:func:`mailsec.transport.mtasts_delivery.evaluate`, at a fixed time (:data:`NOW`), so the lab
shows the same thing on every machine.

The mode menu and the policy text are one input seen twice: picking a mode rewrites the text's
``mode:`` line, and a text that parses sets the menu.
"""

from __future__ import annotations

import re

import ipywidgets as widgets

from mailsec.i18n import texts
from mailsec.labs.frame import Lab, checkbox, dropdown, tagged
from mailsec.render.html import FONT, escape, trace_list
from mailsec.render.mtasts import explanation_html, mx_table_html, policy_html, verdict_html
from mailsec.spf.lookup import DnsAnswer, DnsStatus
from mailsec.transport.mtasts import Mode, Policy, parse_policy
from mailsec.transport.mtasts_cache import CachedPolicy, FetchFailure, record_name
from mailsec.transport.mtasts_delivery import Evaluation, MxHost, TlsOutcome, evaluate

__all__ = ["DEFAULT_POLICY", "MtaStsLab", "mtasts_lab"]

DOMAIN = "example.net"
RECORD_ID = "20240601T000000"
RECORD = f"v=STSv1; id={RECORD_ID};"
#: The lab's clock: 2026-01-01 00:00 UTC, fixed so that every run shows the same.
NOW = 1_767_225_600.0
#: How long ago the sender's cached copy was fetched: within a week's max_age, beyond a day's.
CACHE_AGE = 3 * 86_400

DEFAULT_POLICY = (
    "version: STSv1\nmode: enforce\nmx: mx1.example.net\nmx: *.backup.example.net\n"
    "max_age: 604800\n"
)

#: example.net's MX hosts and the attacker's forged one: (control name, host name, preference).
HOSTS = (
    ("mx1", "mx1.example.net", 10),
    ("backup", "mx.backup.example.net", 20),
    ("attacker", "evil-mx.attacker.example", 5),
)
ATTACKER = HOSTS[2][1]

TEXT = texts(
    {
        "title": "Lab: MTA-STS — which server gets the mail for example.net?",
        "intro": "A sender has a message for bob@example.net. Example.net publishes the record "
        '<code>_mta-sts.example.net TXT "{record}"</code> and the policy below at '
        "<code>https://mta-sts.example.net/.well-known/mta-sts.txt</code>. Edit the policy, pick "
        "its mode and what the TLS handshake with each MX would show, then play the attacker: "
        "forge the MX answer, block the policy lookup. Every row says in words whether the MX is "
        "allowed, whether TLS passes and whether it got the message.",
        "policy": "Policy file:",
        "mode": "Mode:",
        "tls": "TLS at {host}:",
        "spoof": "The attacker forges the MX answer (evil-mx.attacker.example comes first)",
        "block": "The attacker blocks the policy lookup (the TXT query and the HTTPS fetch)",
        "cached": "The sender fetched this policy {days} days ago and still has it in its cache",
        "blocked_dns": "no answer: the attacker dropped the query",
        "blocked_https": "the attacker blocked the connection to mta-sts.example.net.",
        "attacker_won": "The attacker's server {host} received the message.",
        "attacker_lost": "The forged MX {host} did not get the message: no mx line of the policy "
        "names it.",
        "valid_elsewhere": "Its certificate is valid, but for its own name: TLS alone proves only "
        "that the server is who it says, not that it is example.net's MX.",
        "first_use": "The lookup was blocked and the sender had no cached copy, so it never learned "
        "that example.net has a policy: MTA-STS protects only senders that fetched the policy "
        "before (trust on first use).",
        "expired_cache": "The cached copy had expired (max_age is shorter than the {days} days since "
        "the fetch), so it did not help. A long max_age, weeks or more, is what makes the cache a "
        "defence.",
        "modes": {
            "enforce": "enforce — deliver only where the policy allows",
            "testing": "testing — deliver anyway, report failures",
            "none": "none — withdraw the policy",
        },
    }
)


def modes() -> list[tuple[str, Mode]]:
    """The mode menu's options, in the current language: (label, mode)."""
    return [(TEXT["modes"][mode.value], mode) for mode in (Mode.ENFORCE, Mode.TESTING, Mode.NONE)]


_MODE_LINE = re.compile(r"^mode:[^\r\n]*", re.MULTILINE)
_VERSION_LINE = re.compile(r"^version:[^\r\n]*(\r?\n|\Z)", re.MULTILINE)


def with_mode(text: str, mode: Mode) -> str:
    """``text`` with its first ``mode:`` line set to ``mode`` (one added after ``version:``, or
    at the top, when there is none)."""
    if _MODE_LINE.search(text):
        return _MODE_LINE.sub(f"mode: {mode}", text, count=1)
    version = _VERSION_LINE.search(text)
    if version:
        end = version.end()
        newline = version.group(1) or "\n"
        return (
            text[:end] + ("" if version.group(1) else "\n") + f"mode: {mode}{newline}" + text[end:]
        )
    return f"mode: {mode}\n{text}"


class MtaStsLab(Lab):
    """Edit example.net's policy and play the attacker; see which MX gets the message."""

    def __init__(self, *, lang: str | None = None) -> None:
        self._quiet = False
        self.evaluation: Evaluation | None = None
        self.policy_text = tagged(
            widgets.Textarea(
                value=DEFAULT_POLICY,
                description=TEXT["policy"],
                style={"description_width": "140px"},
                layout=widgets.Layout(width="560px", height="120px"),
            ),
            "mailsec-mtasts-policy",
        )
        self.mode = dropdown(TEXT["mode"], modes(), Mode.ENFORCE, "mailsec-mtasts-mode")
        self.tls = {
            key: dropdown(
                TEXT["tls"].format(host=host),
                [(t.label, t) for t in TlsOutcome],
                TlsOutcome.VALID,
                f"mailsec-mtasts-tls-{key}",
            )
            for key, host, _ in HOSTS
        }
        wide = widgets.Layout(width="auto")
        self.spoof = checkbox(TEXT["spoof"], "mailsec-mtasts-spoof", value=True, layout=wide)
        self.block = checkbox(TEXT["block"], "mailsec-mtasts-block", layout=wide)
        self.cached = checkbox(
            TEXT["cached"].format(days=CACHE_AGE // 86_400), "mailsec-mtasts-cached", layout=wide
        )
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"].format(record=escape(RECORD)),
            controls=[
                self.policy_text,
                self.mode,
                *self.tls.values(),
                self.spoof,
                self.block,
                self.cached,
            ],
            lang=lang,
        )
        self.add_class("mailsec-mtasts-lab")
        self.on_change([self.mode], self._on_mode)
        others = [self.policy_text, *self.tls.values(), self.spoof, self.block, self.cached]
        self.on_change(others, self.update)
        self.action(self.update)()

    def _on_mode(self) -> None:
        """Picking a mode rewrites the policy's mode line (which runs :meth:`update`)."""
        if self._quiet:
            return
        text = with_mode(self.policy_text.value, self.mode.value)
        if text != self.policy_text.value:
            self.policy_text.value = text
        else:
            self.update()

    def _hosts(self) -> list[MxHost]:
        return [
            MxHost(host, self.tls[key].value, preference)
            for key, host, preference in HOSTS
            if key != "attacker" or self.spoof.value
        ]

    def update(self) -> None:
        policy = parse_policy(self.policy_text.value)
        if policy.mode is not self.mode.value:
            self._quiet = True
            try:
                self.mode.value = policy.mode
            finally:
                self._quiet = False
        self.tls["attacker"].disabled = not self.spoof.value
        blocked = self.block.value
        name = record_name(DOMAIN)
        if blocked:
            answer = DnsAnswer(name, "TXT", DnsStatus.TIMEOUT, detail=TEXT["blocked_dns"])
        else:
            answer = DnsAnswer(name, "TXT", DnsStatus.ANSWER, ((RECORD.encode("ascii"),),))
        fetched: Policy | FetchFailure = FetchFailure(TEXT["blocked_https"]) if blocked else policy
        cached = CachedPolicy(policy, RECORD_ID, NOW - CACHE_AGE) if self.cached.value else None
        self.evaluation = evaluation = evaluate(
            DOMAIN,
            answer=answer,
            fetch=lambda: fetched,
            mx_hosts=self._hosts(),
            cached=cached,
            now=NOW,
        )
        self.show(
            verdict_html(evaluation, now=NOW)
            + mx_table_html(evaluation.delivery)
            + self._story(evaluation, cached),
            explanation_html(evaluation) + policy_html(policy) + trace_list(evaluation.trace),
        )

    def _story(self, evaluation: Evaluation, cached: CachedPolicy | None) -> str:
        """The scenario's sentences: did the attacker win, and why the cache did or did not help."""
        sentences = []
        used = evaluation.delivery.used
        if used is not None and used.name == ATTACKER:
            sentences.append(TEXT["attacker_won"].format(host=ATTACKER))
        elif self.spoof.value:
            sentences.append(TEXT["attacker_lost"].format(host=ATTACKER))
            if self.tls["attacker"].value is TlsOutcome.VALID:
                sentences.append(TEXT["valid_elsewhere"])
        if self.block.value and evaluation.policy is None:
            if cached is not None and not cached.is_fresh(NOW):
                sentences.append(TEXT["expired_cache"].format(days=CACHE_AGE // 86_400))
            else:
                sentences.append(TEXT["first_use"])
        return "".join(
            f'<p class="mailsec-mtasts-story" style="{FONT}margin:4px 0">{escape(s)}</p>'
            for s in sentences
        )


def mtasts_lab(*, lang: str | None = None) -> MtaStsLab:
    """The MTA-STS lab, ready to display."""
    return MtaStsLab(lang=lang)
