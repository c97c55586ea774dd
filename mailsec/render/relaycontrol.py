"""Chapter 08's relay-control pictures: the verdict, the timeline, the POP-before-SMTP table.

Every function takes a :class:`~mailsec.op25b.relaywire.RelayRun` (or the world) and returns a
:class:`Fragment`. Meaning is never in colour alone: every mark is a symbol and a word
("✓ accepted", "✗ refused"), and the verdict says in a sentence whether that was right. The
strings are in :data:`TEXT`, with named placeholders, so they can be translated.
"""

from __future__ import annotations

from mailsec.i18n import texts
from mailsec.op25b.model import RELAY_WORLD, World
from mailsec.op25b.relaycontrol import RelayGround, RelaySetting
from mailsec.op25b.relaystory import SERVER, Recipient, Sender
from mailsec.op25b.relaywire import RelayRun
from mailsec.render.html import (
    FONT,
    Fragment,
    badge,
    callout,
    code_block,
    escape,
    table,
    trace_list,
)
from mailsec.trace import Outcome

__all__ = [
    "TEXT",
    "explanation_html",
    "judgement",
    "table_html",
    "timeline_html",
    "transcripts_html",
    "verdict_html",
    "world_html",
]

TEXT = texts(
    {
        "verdict": "{server} on port {port}:",
        "accepted": "accepted",
        "refused": "refused",
        "judgement": {
            "owner-accepted": "Hanako's message goes out, as it should.",
            "owner-refused": "Hanako's own message is refused: she cannot send.",
            "other-accepted": "Relayed without any login: the server passes on mail from someone "
            "who never proved who they are.",
            "spammer-accepted": "The spammer's message is relayed: the server now sends spam under "
            "its own name.",
            "other-refused": "Refused: relay control keeps strangers from sending through the server.",
            "delivered": "Mail for the server's own domain is delivered, whoever sends it.",
        },
        "reply": "Reply to RCPT TO: {reply}",
        "agrees": "The real server and the model agree ({code}).",
        "disagrees": "The real server answered {wire}, the model says {model}: please report this.",
        "timeline_caption": "What happened, in order (the story's clock; no one waited)",
        "timeline_headers": ("Time", "Who (the address the server sees)", "What", "Result"),
        "who": "{label} ({own} → {public})",
        "who_direct": "{label} ({public})",
        "pop_login": "POP3 login as {user} (checking mail), then QUIT",
        "smtp_auth": "SMTP on port {port}: STARTTLS, SMTP AUTH as {user}, RCPT TO {rcpt}",
        "smtp_plain": "SMTP on port {port}, no login: RCPT TO {rcpt}",
        "logged_in": "logged in",
        "login_failed": "login refused",
        "window_opened": "Relaying open for {address} until {closes}.",
        "window_unused": "This setting does not relay on POP3 logins.",
        "table_caption": "The POP-before-SMTP table when the sender connected, at {at}",
        "table_headers": ("Address", "Logged in as", "Login at", "Relaying until", "At {at}"),
        "open": "open",
        "closed": "closed",
        "table_empty": "The table is empty.",
        "table_unused": "This setting does not use the POP-before-SMTP table: {setting}.",
        "transcripts": "The real sessions on 127.0.0.1",
        "pop_transcript": "POP3, as the server recorded it (password masked); the connection "
        "stands for {address}",
        "smtp_transcript": "SMTP, as the sender's program saw it",
        "explanation": "How the server decided",
        "lesson_title": "What this shows",
        "lessons": {
            "own-domain": "Mail for sakura-trading.example is delivery, not relaying: every setting "
            "takes it from anyone, as a domain's incoming server must. Relay control is about mail "
            "for other domains.",
            "open-relay/user": "Hanako's mail goes out, but so does everyone else's: an open relay "
            "asks nobody who they are. Pick the spammer to see who else uses it.",
            "open-relay/colleague": "Ken's program relays without any login. An open relay cannot "
            "tell a colleague from a stranger, because it never asks.",
            "open-relay/expired": "No window, no login, no questions: an open relay takes anything. "
            "That is convenient for Hanako and for every spammer alike.",
            "open-relay/spammer": "The spammer's message now leaves from {server} ({server_ip}): "
            "the recipient's server sees the hosting company's address, not {address}, and the "
            "hosting company's good name carries the spam. Soon blocklists list {server_ip}, and "
            "the office's own mail is refused everywhere too.",
            "smtp-auth/user": "SMTP AUTH proves who sends, in this very session (RFC 4954): the "
            "server relays for the account, not for an address.",
            "smtp-auth/colleague": "Ken's program has no password for this server. Sharing the "
            "office's address does not help it: SMTP AUTH looks at the session, not at the "
            "address.",
            "smtp-auth/expired": "With SMTP AUTH there is no window to expire: Hanako's program "
            "logs in with every message it sends, whenever that is.",
            "smtp-auth/spammer": "Relay control: mail for the server's own domain from anyone, "
            "relaying only for logged-in users. The spammer has to look elsewhere.",
            "pop-before-smtp/user": "It works as designed: Hanako's POP3 login opened relaying for "
            "her address for {minutes} minutes. But the server now trusts an address, not Hanako: "
            "pick Ken's PC.",
            "pop-before-smtp/colleague": "The flaw: Ken's PC shares the office's public address "
            "{address} with Hanako's, so her POP3 login opened relaying for his PC too. And the "
            "window outlived her login: her mail program had logged out, yet another program "
            "relays without any password until {closes}.",
            "pop-before-smtp/expired": "The other side of the window: it closed at {closes}, so "
            "Hanako's own message is refused until her program checks mail again. Mail programs "
            "worked around it by checking mail before every send.",
            "pop-before-smtp/spammer": "The spammer's address never logged in, so it is refused, "
            "as long as the spammer does not share an address with a user (a café's Wi-Fi, a "
            "mobile carrier's shared address).",
        },
        "world_caption": "Who is where",
        "world_headers": ("Machine", "Its address", "The address servers see", "What it is"),
    }
)


def _time(run: RelayRun, which: str) -> str:
    at = run.plan.login_at if which == "login" else run.plan.send_at
    return at.strftime("%H:%M")


def judgement(run: RelayRun) -> tuple[Outcome, str]:
    """Whether the server did the right thing for this sender: an outcome and its sentence."""
    accepted = run.send.accepted
    ruling = run.ruling
    if ruling is not None and ruling.ground is RelayGround.OWN_DOMAIN and accepted:
        return Outcome.OK, TEXT["judgement"]["delivered"]
    if run.plan.story.knows_password:
        key = "owner-accepted" if accepted else "owner-refused"
        return (Outcome.OK if accepted else Outcome.FAIL), TEXT["judgement"][key]
    if not accepted:
        return Outcome.OK, TEXT["judgement"]["other-refused"]
    if run.plan.sender is Sender.SPAMMER:
        return Outcome.FAIL, TEXT["judgement"]["spammer-accepted"]
    return Outcome.WARN, TEXT["judgement"]["other-accepted"]


def verdict_html(run: RelayRun, world: World = RELAY_WORLD) -> Fragment:
    """Accepted or refused, whether that was right, the reply, and the model beside the wire.

    The verdict element carries ``data-setting``, ``data-sender``, ``data-recipient``,
    ``data-accepted`` (yes/no), ``data-ground``, ``data-code``, ``data-address`` (what the server
    saw) and ``data-agrees`` (the real server and the model gave the same reply code).
    """
    send = run.send
    ground = run.ruling.ground.value if run.ruling is not None else ""
    outcome, sentence = judgement(run)
    word = TEXT["accepted"] if send.accepted else TEXT["refused"]
    server = world.host(SERVER).hostname
    head = (
        f'<div class="mailsec-relay-verdict" data-setting="{run.plan.setting.value}" '
        f'data-sender="{run.plan.sender.value}" data-recipient="{escape(run.plan.rcpt)}" '
        f'data-accepted="{"yes" if send.accepted else "no"}" data-ground="{ground}" '
        f'data-code="{send.rcpt_code or ""}" data-address="{send.address}" '
        f'data-agrees="{"yes" if run.agrees_with_model else "no"}" '
        f'style="{FONT}font-size:16px;margin:4px 0" aria-live="polite">'
        f"{escape(TEXT['verdict'].format(server=server, port=send.port))} "
        f'{badge(outcome, word)} <span style="color:#333">{escape(sentence)}</span></div>'
    )
    model = run.model.ruling.reply
    if run.agrees_with_model:
        agreement = TEXT["agrees"].format(code=send.rcpt_code)
    else:
        agreement = TEXT["disagrees"].format(
            wire=send.rcpt_code, model=model.code if model else "?"
        )
    return Fragment(
        head
        + f'<div style="{FONT}color:#333;margin:2px 0"><code>'
        + escape(TEXT["reply"].format(reply=send.rcpt_reply))
        + f"</code> · {escape(agreement)}</div>"
    )


def _who(world: World, host_id: str) -> str:
    host = world.host(host_id)
    public = world.public_ipv4(host)
    if public == host.ipv4:
        return TEXT["who_direct"].format(label=host.shown_label, public=public)
    return TEXT["who"].format(label=host.shown_label, own=host.ipv4, public=public)


def timeline_html(run: RelayRun, world: World = RELAY_WORLD) -> Fragment:
    """The POP3 login and the SMTP session, each with its time, its address and its result."""
    login, send, plan = run.login, run.send, run.plan
    if not login.ok:
        login_result = (
            badge(Outcome.FAIL, TEXT["login_failed"]) + f" <code>{escape(login.reply)}</code>"
        )
    else:
        if plan.setting is RelaySetting.POP_BEFORE_SMTP and login.window is not None:
            closes = login.window.closes.strftime("%H:%M")
            note = TEXT["window_opened"].format(address=login.address, closes=closes)
        else:
            note = TEXT["window_unused"]
        login_result = f"{badge(Outcome.OK, TEXT['logged_in'])} {escape(note)}"
    if plan.credentials is not None:
        what = TEXT["smtp_auth"].format(port=send.port, user=plan.credentials.user, rcpt=plan.rcpt)
    else:
        what = TEXT["smtp_plain"].format(port=send.port, rcpt=plan.rcpt)
    outcome, _ = judgement(run)
    rows = [
        (
            _time(run, "login"),
            escape(_who(world, login.host.id)),
            escape(TEXT["pop_login"].format(user=login.window.user if login.window else "?")),
            login_result,
        ),
        (
            _time(run, "send"),
            escape(_who(world, send.host.id)),
            escape(what),
            f"{badge(outcome, TEXT['accepted' if send.accepted else 'refused'])} "
            f"<code>{escape(send.rcpt_reply)}</code>",
        ),
    ]
    return Fragment(
        '<div class="mailsec-relay-timeline">'
        + table(TEXT["timeline_headers"], rows, caption=TEXT["timeline_caption"], html_cells=True)
        + "</div>"
    )


def table_html(run: RelayRun) -> Fragment:
    """The POP-before-SMTP table as the sender found it (a note for the other settings)."""
    at = run.plan.send_at
    if run.plan.setting is not RelaySetting.POP_BEFORE_SMTP:
        note = TEXT["table_unused"].format(setting=run.plan.setting.description)
        return Fragment(
            f'<div class="mailsec-relay-table" style="{FONT}color:#333;margin:4px 0">'
            f"{escape(note)}</div>"
        )
    rows = [
        (
            f"<code>{escape(w.address)}</code>",
            escape(w.user),
            w.opened.strftime("%H:%M"),
            w.closes.strftime("%H:%M"),
            badge(Outcome.OK, TEXT["open"])
            if w.is_open(at)
            else badge(Outcome.FAIL, TEXT["closed"]),
        )
        for w in run.windows
    ]
    headers = (*TEXT["table_headers"][:4], TEXT["table_headers"][4].format(at=at.strftime("%H:%M")))
    shown: str = table(
        headers,
        rows,
        caption=TEXT["table_caption"].format(at=at.strftime("%H:%M")),
        html_cells=True,
    )
    if not rows:
        shown += escape(TEXT["table_empty"])
    return Fragment(f'<div class="mailsec-relay-table">{shown}</div>')


def transcripts_html(run: RelayRun) -> Fragment:
    """Both real sessions, folded: the POP3 server's record and the SMTP client's view."""
    pop_label = TEXT["pop_transcript"].format(address=run.login.address)
    return Fragment(
        f'<details class="mailsec-relay-transcript" style="{FONT}margin:4px 0">'
        f"<summary>{escape(TEXT['transcripts'])}</summary>"
        f"<div>{escape(pop_label)}</div>{code_block(run.login.transcript, label=pop_label)}"
        f"<div>{escape(TEXT['smtp_transcript'])}</div>"
        f"{code_block(run.send.text, label=TEXT['smtp_transcript'])}</details>"
    )


def explanation_html(run: RelayRun, world: World = RELAY_WORLD) -> Fragment:
    """What this run shows, in a paragraph, and the server's decision step by step."""
    plan = run.plan
    if plan.rcpt == Recipient.OWN_DOMAIN.value:
        key = "own-domain"
    else:
        key = f"{plan.setting.value}/{plan.sender.value}"
    server = world.host(SERVER)
    window = run.ruling.window if run.ruling is not None else None
    lesson = TEXT["lessons"][key].format(
        server=server.hostname,
        server_ip=server.ipv4,
        address=run.send.address,
        closes=window.closes.strftime("%H:%M") if window else "?",
        minutes=int((window.closes - window.opened).total_seconds() // 60) if window else "?",
    )
    outcome, _ = judgement(run)
    steps = run.ruling.steps if run.ruling is not None else run.model.steps
    return Fragment(
        callout(escape(lesson), outcome=outcome, title=TEXT["lesson_title"])
        + trace_list(steps, title=TEXT["explanation"])
    )


def world_html(world: World = RELAY_WORLD) -> Fragment:
    """The machines of the lesson: their own address, the one servers see, and what they are."""
    rows = [
        (
            h.shown_label,
            str(h.ipv4),
            str(world.public_ipv4(h)),
            h.shown_description,
        )
        for h in world.hosts
    ]
    return Fragment(
        '<div class="mailsec-relay-world">'
        + table(TEXT["world_headers"], rows, caption=TEXT["world_caption"])
        + "</div>"
    )
