"""HTML and SVG for chapter 01: the server mailbox and the devices, side by side.

Changes between two steps are marked three ways, so colour is never the only signal: a word in
the row (``NEW``, ``CHANGED``, ``REMOVED``), a symbol, and a background colour. Removed messages
stay visible for one step, struck through. Storage and quota bars carry their numbers as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mailsec.i18n import ngettext, texts
from mailsec.render.html import (
    FONT,
    MONO,
    OUTCOME_COLOURS,
    TABLE_STYLE,
    Fragment,
    escape,
    table,
    td,
    th,
    trace_list,
)
from mailsec.retrieval.model import (
    FOLDERS,
    Bounce,
    Change,
    ChangeKind,
    DeviceState,
    Flag,
    MessageView,
    QueuedMail,
    Run,
    ServerState,
    StepResult,
    format_size,
    shown,
)
from mailsec.trace import Outcome

__all__ = [
    "comparison_table",
    "explanation",
    "protocol_diagram",
    "step_view",
    "timeline",
]

TEXT = texts(
    {
        "marks": {"added": "NEW", "changed": "CHANGED", "removed": "REMOVED"},
        "read": "read",
        "unread": "unread",
        "flags_separator": " · ",
        "over": " — over the limit",
        "full": " — full",
        "nearly_full": " — nearly full",
        "percent": "{share}%",
        "no_space": "no space",
        "bar": "{label}: <strong>{used}</strong> of {total} ({percent}){word}",
        "headers_only": "headers only (body not stored)",
        "empty": "(empty)",
        "headers": ("#", "Subject", "Size", "State", "Change"),
        "folder_label": "{place}, folder {folder}",
        "queued": "{label} “{subject}” from {sender} ({size}): refused, next try {when}",
        "retry_time": "%d %b %H:%M",
        "waiting": "Waiting at the sender's server",
        "bounced": "{label} “{subject}” → back to {sender}: {reason} (<code>{code}</code>)",
        "bounced_title": "↩ Bounced to the sender",
        "server": "Server mailbox",
        "quota_used": "Quota used",
        "online": "● online",
        "offline": "○ offline",
        "online_changed": "● online (changed)",
        "offline_changed": "○ offline (changed)",
        "pending": "⇅ Waiting to be sent to the server",
        "device_state": "— {protocol}, {status}",
        "device_settings": "{settings}; {where}",
        "storage_used": "Storage used",
        "no_change": "no message changed place or state",
        "step": "<strong>Step {number}</strong> ({at}): {title} — {summary}.",
        "step_time": "%a %d %b %H:%M",
        "why": "What happened, and why",
        "shown": " ◀ shown",
        "timeline_time": "%a %H:%M",
        "timeline": "Timeline: {count} event(s) ({protocol})",
        "nothing": "(nothing)",
        "in_folder": "{label} in {folder} ({state})",
        "in_inbox": "{label} ({state})",
        "list_separator": ", ",
        "used": "{messages}; {size} used",
        "none": "none",
        "server_row": "Server",
        "bounced_row": "Bounced to sender",
        "waiting_row": "Still waiting at sender",
        "where": "Where",
        "under": "Under {protocol}",
        "at_the_end": "“{title}” at the end",
        "alt": "Left, POP3: the server's mailbox is emptied as mail is downloaded to one laptop, "
        "which keeps and manages the mail; a phone finds nothing left. Right, IMAP4: the mail "
        "stays in the server's mailbox (which has a quota); a laptop and a phone both show the "
        "same messages and the same read state.",
        "laptop": "Laptop",
        "phone": "Phone",
        "emptied": "emptied after download",
        "keeps_all": "keeps all mail",
        "nothing_left": "finds nothing left",
        "download_delete": "download + delete",
        "nothing_left_arrow": "nothing left",
        "keeps_all_quota": "keeps all mail (quota!)",
        "same_view": "same view",
        "sync_flags": "sync flags",
    }
)
"""Chapter 01's words on screen (see :mod:`mailsec.i18n`). Dates are formatted with the
``strftime`` patterns here (a translation may reorder them; month and day names stay as
Python writes them)."""

_MARK = {
    ChangeKind.ADDED: ("＋", "added", Outcome.OK),
    ChangeKind.CHANGED: ("✎", "changed", Outcome.WARN),
    ChangeKind.REMOVED: ("−", "removed", Outcome.FAIL),
}
_PANEL = (
    "flex:1 1 250px;min-width:230px;max-width:420px;border:1px solid #c8d1dc;border-radius:6px;"
    "padding:6px 8px;background:#fff;line-height:1.35"
)


def _flags_text(m: MessageView) -> str:
    words = [TEXT["read" if m.read else "unread"]]
    words += [f.value for f in (Flag.ANSWERED, Flag.FLAGGED, Flag.DELETED) if f in m.flags]
    return TEXT["flags_separator"].join(words)


def _bar(used: int, total: int, label: str) -> str:
    """A usage bar with its numbers in words (the bar itself is decoration)."""
    share = 0 if total <= 0 else min(100, round(used * 100 / total))
    over = used > total
    outcome = Outcome.FAIL if over or share >= 90 else Outcome.WARN if share >= 70 else Outcome.OK
    fg = OUTCOME_COLOURS[outcome][1]
    word = (
        TEXT["over"]
        if over
        else TEXT["full"]
        if share >= 100
        else TEXT["nearly_full"]
        if share >= 90
        else ""
    )
    pct = TEXT["percent"].format(share=share) if total > 0 else TEXT["no_space"]
    text = TEXT["bar"].format(
        label=escape(label),
        used=escape(format_size(used)),
        total=escape(format_size(total)),
        percent=escape(pct),
        word=escape(word),
    )
    return (
        f'<div style="margin:2px 0 6px">'
        f'<div style="font-size:12px">{text}</div>'
        f'<div aria-hidden="true" style="height:8px;background:#eef2f7;border-radius:4px;'
        f'overflow:hidden;border:1px solid #d0d7de"><div style="height:100%;width:{share}%;'
        f'background:{fg}"></div></div></div>'
    )


def _row(m: MessageView, change: Change | None, *, removed: bool = False) -> str:
    style = "padding:2px 6px;border-bottom:1px solid #eee;vertical-align:top"
    mark = ""
    row_style = ""
    if change is not None:
        symbol, word, outcome = _MARK[change.kind]
        bg, fg = OUTCOME_COLOURS[outcome]
        row_style = f' style="background:{bg};box-shadow:inset 4px 0 0 {fg}"'
        detail = f" {escape(change.detail)}" if change.kind is ChangeKind.CHANGED else ""
        mark = (
            f'<span class="mailsec-change mailsec-change-{change.kind.value}" '
            f'style="color:{fg};font-weight:700;font-size:11px;white-space:nowrap">'
            f"{symbol} {escape(TEXT['marks'][word])}</span>{detail}"
        )
    subject = escape(shown(m.subject))
    if removed or Flag.DELETED in m.flags:
        subject = f"<s>{subject}</s>"
    weight = "" if m.read else "font-weight:600;"
    body = (
        "" if m.body else f'<br><span style="font-size:11px">{escape(TEXT["headers_only"])}</span>'
    )
    return (
        f"<tr{row_style}>"
        + td(escape(m.label), style=f"{style};{MONO}")
        + td(f"{subject}{body}", style=f"{style};{weight}")
        + td(escape(format_size(m.size)), style=f"{style};white-space:nowrap")
        + td(escape(_flags_text(m)), style=f"{style};font-size:12px")
        + td(mark, style=f"{style};font-size:12px")
        + "</tr>"
    )


def _folder_table(
    folder: str,
    messages: Sequence[MessageView],
    changes: dict[tuple[str, str], Change],
    removed: Iterable[MessageView],
    *,
    place: str,
) -> str:
    rows = [_row(m, changes.get((folder, m.label))) for m in messages]
    rows += [_row(m, changes.get((folder, m.label)), removed=True) for m in removed]
    if not rows:
        rows = [
            "<tr>"
            + td(
                escape(TEXT["empty"]), style="padding:2px 6px;color:#555;font-size:12px", colspan=5
            )
            + "</tr>"
        ]
    head = "".join(
        th(h, style="padding:2px 6px;font-size:11px;color:#555") for h in TEXT["headers"]
    )
    aria = TEXT["folder_label"].format(place=place, folder=shown(folder))
    return (
        f'<table style="{TABLE_STYLE}width:100%;margin:2px 0 6px" '
        f'aria-label="{escape(aria)}">'
        f'<caption style="text-align:left;font-weight:600;font-size:13px">'
        f"{escape(shown(folder))}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _removed(
    previous: Iterable[MessageView], changes: dict[tuple[str, str], Change], folder: str
) -> list[MessageView]:
    return [
        m
        for m in previous
        if m.folder == folder
        and (c := changes.get((folder, m.label))) is not None
        and c.kind is ChangeKind.REMOVED
    ]


def _listed(title: str, items: str) -> str:
    """A small headed list under the server's mailbox (``title`` is markup, ``items`` are
    ``<li>`` elements)."""
    return (
        f'<div style="font-size:12px;margin-top:4px"><strong>{title}</strong>'
        f'<ul style="margin:2px 0;padding-left:18px">{items}</ul></div>'
    )


def _server_panel(step: StepResult, previous: StepResult | None) -> str:
    server: ServerState = step.server
    changes = step.changed("server")
    before = previous.server.messages if previous else ()
    folders = "".join(
        _folder_table(name, msgs, changes, _removed(before, changes, name), place=TEXT["server"])
        for name, msgs in server.folders
    )
    extra = ""
    if server.queue:
        items = "".join(
            "<li>"
            + escape(
                TEXT["queued"].format(
                    label=q.label,
                    subject=shown(q.subject),
                    sender=q.sender,
                    size=format_size(q.size),
                    when=q.next_retry.strftime(TEXT["retry_time"]),
                )
            )
            + "</li>"
            for q in server.queue
        )
        extra += _listed(TEXT["waiting"], items)
    if server.bounces:
        items = "".join(
            "<li>"
            + TEXT["bounced"].format(
                label=escape(b.label),
                subject=escape(shown(b.subject)),
                sender=escape(b.sender),
                reason=escape(b.reason),
                code=escape(b.reply.split(":")[0]),
            )
            + "</li>"
            for b in server.bounces
        )
        extra += _listed(TEXT["bounced_title"], items)
    return (
        f'<section class="mailsec-server" style="{_PANEL};background:#f8fafc" '
        f'aria-label="{escape(TEXT["server"])}">'
        f'<div style="font-weight:700">{escape(TEXT["server"])}</div>'
        f"{_bar(server.used, server.quota, TEXT['quota_used'])}{folders}{extra}</section>"
    )


def _device_panel(device: DeviceState, step: StepResult, previous: StepResult | None) -> str:
    changes = step.changed(device.name)
    before: tuple[MessageView, ...] = ()
    was_online = None
    if previous is not None:
        old = next((d for d in previous.devices if d.name == device.name), None)
        if old is not None:
            before = old.messages
            was_online = old.online
    status = TEXT["online" if device.online else "offline"]
    if was_online is not None and was_online != device.online:
        status = TEXT["online_changed" if device.online else "offline_changed"]
    gone = {f for (f, _), c in changes.items() if c.kind is ChangeKind.REMOVED}
    folders = sorted({m.folder for m in device.messages} | {INBOX_NAME} | gone, key=_folder_key)
    tables = "".join(
        _folder_table(
            f,
            [m for m in device.messages if m.folder == f],
            changes,
            _removed(before, changes, f),
            place=shown(device.name),
        )
        for f in folders
    )
    pending = ""
    if device.pending:
        items = "".join(f"<li>{escape(p)}</li>" for p in device.pending)
        pending = (
            f'<div style="font-size:12px"><strong>{escape(TEXT["pending"])}</strong>'
            f'<ul style="margin:2px 0;padding-left:18px">{items}</ul></div>'
        )
    where = device.protocol.description
    state = TEXT["device_state"].format(protocol=device.protocol.value, status=status)
    settings = TEXT["device_settings"].format(settings=device.settings, where=where)
    return (
        f'<section class="mailsec-device" style="{_PANEL}" '
        f'aria-label="{escape(shown(device.name))}">'
        f'<div style="font-weight:700">{escape(shown(device.name))} '
        f'<span style="font-weight:400;font-size:12px">{escape(state)}</span></div>'
        f'<div style="font-size:12px;color:#333">{escape(settings)}</div>'
        f"{_bar(device.used, device.capacity, TEXT['storage_used'])}{tables}{pending}</section>"
    )


INBOX_NAME = FOLDERS[0]


def _folder_key(name: str) -> tuple[int, str]:
    return (FOLDERS.index(name) if name in FOLDERS else len(FOLDERS), name)


def step_view(step: StepResult, previous: StepResult | None = None) -> Fragment:
    """The server and every device after ``step``, side by side, with changes marked."""
    panels = _server_panel(step, previous) + "".join(
        _device_panel(d, step, previous) for d in step.devices
    )
    count = len(step.changes)
    summary = (
        TEXT["no_change"]
        if count == 0
        else ngettext(
            "{count} change marked NEW / CHANGED / REMOVED",
            "{count} changes marked NEW / CHANGED / REMOVED",
            count,
        ).format(count=count)
    )
    line = TEXT["step"].format(
        number=step.number,
        at=escape(step.at.strftime(TEXT["step_time"])),
        title=escape(step.shown_title),
        summary=escape(summary),
    )
    return Fragment(
        f'<div style="{FONT}">'
        f'<div style="margin:4px 0">{line}</div>'
        f'<div class="mailsec-retrieval-panels" style="display:flex;flex-wrap:wrap;gap:8px;'
        f'align-items:flex-start">{panels}</div></div>'
    )


def explanation(step: StepResult) -> Fragment:
    """What happened in ``step`` and why, with the RFC sections."""
    return Fragment(trace_list(step.trace, title=TEXT["why"]))


def timeline(run: Run, current: int) -> Fragment:
    """The scenario's steps as a numbered list; the shown step is marked (not only by colour)."""
    items = []
    for step in run.steps:
        here = step.number == current
        style = "font-weight:700;background:#eef2f7" if here else ""
        mark = escape(TEXT["shown"]) if here else ""
        aria = ' aria-current="step"' if here else ""
        items.append(
            f'<li{aria} style="{style};padding:0 4px">{step.number}. '
            f"{escape(step.at.strftime(TEXT['timeline_time']))} "
            f"{escape(step.shown_title)}{mark}</li>"
        )
    return Fragment(
        f'<details style="{FONT}"><summary>'
        + escape(TEXT["timeline"].format(count=len(run.steps) - 1, protocol=run.protocol_label))
        + "</summary>"
        f'<ol style="list-style:none;padding-left:6px;margin:4px 0;font-size:12px">'
        f"{''.join(items)}</ol></details>"
    )


def comparison_table(pop: Run, imap: Run) -> Fragment:
    """The end of the same scenario under POP3 and under IMAP4, one row per place."""

    def describe(msgs: Sequence[MessageView]) -> str:
        if not msgs:
            return TEXT["nothing"]
        return TEXT["list_separator"].join(
            TEXT["in_inbox" if m.folder == INBOX_NAME else "in_folder"].format(
                label=m.label, folder=shown(m.folder), state=_flags_text(m)
            )
            for m in msgs
        )

    def used(run: Run) -> str:
        server = run.final.server
        return TEXT["used"].format(
            messages=describe(server.messages), size=format_size(server.used)
        )

    def labels(items: Iterable[QueuedMail | Bounce]) -> str:
        return TEXT["list_separator"].join(i.label for i in items) or TEXT["none"]

    rows: list[tuple[str, str, str]] = [(TEXT["server_row"], used(pop), used(imap))]
    for d_pop, d_imap in zip(pop.final.devices, imap.final.devices, strict=True):
        rows.append((shown(d_pop.name), describe(d_pop.messages), describe(d_imap.messages)))
    bounced = (labels(pop.final.server.bounces), labels(imap.final.server.bounces))
    waiting = (labels(pop.final.server.queue), labels(imap.final.server.queue))
    rows.append((TEXT["bounced_row"], *bounced))
    rows.append((TEXT["waiting_row"], *waiting))
    return Fragment(
        table(
            (
                TEXT["where"],
                TEXT["under"].format(protocol=pop.protocol_label),
                TEXT["under"].format(protocol=imap.protocol_label),
            ),
            rows,
            caption=TEXT["at_the_end"].format(title=shown(pop.scenario.title)),
        )
    )


def protocol_diagram() -> Fragment:
    """POP3 and IMAP4 side by side as an SVG, with a text alternative."""
    alt = TEXT["alt"]
    t = TEXT
    ink = "#1f2d3d"

    def box(x: int, y: int, w: int, h: int, text: str, sub: str = "") -> str:
        extra = (
            f'<text x="{x + w / 2}" y="{y + h / 2 + 16}" text-anchor="middle" font-size="11">'
            f"{escape(sub)}</text>"
            if sub
            else ""
        )
        return (
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="#f8fafc" '
            f'stroke="{ink}"/><text x="{x + w / 2}" y="{y + h / 2 + 2}" text-anchor="middle" '
            f'font-size="13" font-weight="600">{escape(text)}</text>{extra}'
        )

    def arrow(x1: int, y1: int, x2: int, y2: int, label: str, dashed: bool = False) -> str:
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        # The label sits on the outer side of the arrow, so two arrows' labels never meet.
        left = x2 < x1
        x = (x1 + x2) / 2 + (-8 if left else 8)
        anchor = "end" if left else "start"
        return (
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{ink}" stroke-width="2"'
            f'{dash} marker-end="url(#mailsec-arrow)"/>'
            f'<text x="{x}" y="{(y1 + y2) / 2}" font-size="11" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )

    parts = [
        '<defs><marker id="mailsec-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{ink}"/></marker></defs>',
        '<text x="150" y="20" text-anchor="middle" font-size="15" font-weight="700">POP3</text>',
        box(80, 35, 140, 50, t["server"], t["emptied"]),
        box(10, 170, 120, 55, t["laptop"], t["keeps_all"]),
        box(170, 170, 120, 55, t["phone"], t["nothing_left"]),
        arrow(130, 85, 80, 168, t["download_delete"]),
        arrow(170, 85, 220, 168, t["nothing_left_arrow"], dashed=True),
        '<text x="470" y="20" text-anchor="middle" font-size="15" font-weight="700">IMAP4</text>',
        box(400, 35, 140, 50, t["server"], t["keeps_all_quota"]),
        box(330, 170, 120, 55, t["laptop"], t["same_view"]),
        box(490, 170, 120, 55, t["phone"], t["same_view"]),
        arrow(450, 85, 400, 168, t["sync_flags"]),
        arrow(490, 85, 540, 168, t["sync_flags"]),
        '<line x1="310" y1="10" x2="310" y2="235" stroke="#999" stroke-dasharray="2 3"/>',
    ]
    return Fragment(
        f'<figure style="{FONT}margin:6px 0"><svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 680 240" width="680" height="240" role="img" aria-label="{escape(alt)}" '
        f'font-family="system-ui, sans-serif" fill="{ink}"><title>{escape(alt)}</title>'
        f'<g transform="translate(50,0)">{"".join(parts)}</g></svg><figcaption style="font-size:12px">{escape(alt)}</figcaption>'
        "</figure>"
    )
