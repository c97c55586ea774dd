"""Chapter 09's pictures: one scenario's sequence diagram, header block, transcripts and verdicts,
and the defence matrix of a whole campaign.

Every function takes data of :mod:`mailsec.mailsystem.timeline` and returns a :class:`Fragment`.
Meaning is never in colour alone: a failed step is red, dashed *and* marked "✗"; an attacker's
lane says "attacker"; every matrix cell is a symbol and a word. The sequence diagram's
``<title>`` sums the run up in one sentence and its ``<desc>`` lists every step in words.

Scenario text is hostile input (an attacker writes the header values): everything is escaped,
control characters are replaced (they would break the SVG's XML), and the words drawn in the SVG
are cut to :data:`MAX_LABEL_CHARS` characters and a few lines. Steps are numbered from 1;
transcripts are shown as ``#1``, ``#2`` …, while :attr:`Event.transcript` and
:func:`transcript_view`'s ``index`` count from 0, like the tuple they point into.

The strings are in :data:`TEXT`, with named placeholders, so they can be translated.
"""

from __future__ import annotations

import hashlib
import re

from mailsec.i18n import texts
from mailsec.mailsystem.timeline import (
    Event,
    Lane,
    Mark,
    ScenarioRun,
    Transcript,
)
from mailsec.render.html import (
    FONT,
    MONO,
    OUTCOME_COLOURS,
    Fragment,
    badge,
    code_block,
    escape,
    table,
)
from mailsec.render.svg import text_width, wrap_text
from mailsec.trace import Outcome

__all__ = [
    "MAX_LABEL_CHARS",
    "SYMBOLS",
    "TEXT",
    "header_block",
    "result_words",
    "scenario_html",
    "sequence_diagram",
    "transcript_view",
    "verdict_table",
]

TEXT = texts(
    {
        # The sequence diagram.
        "svg_title": "Sequence diagram of “{title}”: {steps} steps between {lanes} participants; "
        "result: {result}.",
        "desc_lanes": "Participants, left to right: {lanes}.",
        "lane_attacker": "{label} (the attacker)",
        "lane_address": "{lane} at {address}",
        "desc_arrow": "Step {number}, {source} to {target}: {label}{outcome}.",
        "desc_note": "Step {number}, at {source}: {label}{outcome}.",
        "desc_outcome": " — {word}",
        "desc_detail": " {detail}",
        "desc_section": " ({section})",
        "desc_transcript": " Raw dialogue: transcript #{number}.",
        "outcome_words": {"ok": "passed", "warn": "warning", "fail": "failed", "info": ""},
        "attacker": "⚠ attacker",
        "control_tag": "[{control}] ",
        "step": "{number}. {symbol} {control}{label}",
        "transcript_mark": "transcript #{number}",
        # Results.
        "stopped_by": "stopped by {control}",
        "stopped": "stopped",
        "not_stopped": "not stopped",
        "arrived": "arrived",
        "lost": "lost",
        "lost_by": "lost: stopped by {control}",
        # The header block.
        "headers_title": "The header, hop by hop",
        "headers_explain": "Each hop adds its fields on top of the ones already there (RFC 5321 "
        "§4.4, RFC 8601 §5), so the final header reads from the newest hop at the top down to the "
        "sender's own fields at the bottom.",
        "stage": "{number}. added by {hop}",
        "stage_label": "Header fields added by {hop}",
        "final": "The final header, as the recipient's mail program sees it (newest on top)",
        "no_headers": "This run recorded no header fields.",
        # Transcripts.
        "transcript_title": "Transcript #{number}: {hop}",
        "transcript_label": "Transcript #{number}, {protocol}: {hop}",
        "tls": "inside TLS",
        "no_tls": "no TLS: readable on the wire",
        "client": "C:",
        "server": "S:",
        "transcript_legend": "C: what the client sent (shaded, bold) · S: what the server replied",
        "more_lines": "… {count} more lines not shown",
        "bad_index": "There is no transcript {index}: this run has {count}, numbered 0 to {last} "
        "(shown as #1 to #{count}).",
        "no_transcripts": "There is no transcript {index}: this run recorded no transcripts.",
        # Verdicts.
        "verdict_caption": "What each control did",
        "verdict_headers": ("Control", "Mark", "Why", "Rule"),
        # One scenario.
        "kind_attack": "attack",
        "kind_legitimate": "legitimate mail",
        "kind_tag": "({kind})",
        "separator": "; ",
        "result": "Result:",
        "sources": "Where the expected behaviour comes from: {sources}",
        "steps_summary": "The steps in words",
        "steps_headers": ("Step", "Where", "What happened", "Result", "Rule"),
        "from_to": "{source} → {target}",
        "on_lane": "at {source}",
        "transcripts_title": "Raw dialogues recorded (open one by its number)",
        "transcript_item": "transcript #{number}: {hop}",
        "no_transcript_list": "No raw dialogue was recorded.",
        # Mistakes in a scenario's data (the scenario's author sees these).
        "unknown_lane": "Step {number} (“{label}”) names the lane “{lane}”, which is not one of "
        "this run's lanes: {lanes}.",
        "unknown_transcript": "Step {number} (“{label}”) points to transcript {index}, but the "
        "run recorded {count}.",
    }
)

MAX_LABEL_CHARS = 160
"""The most characters of an event's label drawn or listed; longer ones end with "…"."""
MAX_DETAIL_CHARS = 400
MAX_TRANSCRIPT_LINES = 500

# Layout of the sequence diagram (px).
LANE_GAP = 160
"""Between two lifelines: a lane's box (this minus 16) fits a 20-character name per line."""
BOX_W, PAD = LANE_GAP - 16, 8
LABEL_SIZE, LABEL_STEP = 12.5, 15
SUB_SIZE, SUB_STEP = 10.5, 13
STEP_SIZE, STEP_LINE = 11.5, 14
MARK_SIZE, MARK_STEP = 10, 13
WORDS_ROOM = 300
"""The widest an arrow's or a note's words run, however close its lanes are."""
MAX_STEP_LINES = 4
TOP, ROW_GAP, FOOT = 8, 12, 22

_STROKE = {
    Outcome.OK: "#15803d",
    Outcome.WARN: "#b45309",
    Outcome.FAIL: "#b91c1c",
    Outcome.INFO: "#475569",
}
SYMBOLS = {Outcome.OK: "✓", Outcome.WARN: "!", Outcome.FAIL: "✗", Outcome.INFO: "•"}
"""The sign beside each outcome's colour, so meaning never rests on colour alone."""
_HALO = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"'
_BREAKS = re.compile(r"[\t\r\n]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 forbids (and C1 controls): an attacker's header value may hold them."""


# -- text helpers ----------------------------------------------------------------------------------


def _plain(text: object, limit: int | None = None) -> str:
    """``text`` on one line, without characters XML forbids, cut to ``limit`` with "…"."""
    line = _UNSAFE.sub("\ufffd", _BREAKS.sub(" ", str(text)))
    if limit is not None and len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def _wrap(
    text: str, size: float, room: float, max_lines: int, *, bold: bool = False
) -> tuple[str, ...]:
    """``text`` wrapped to ``room`` px, at most ``max_lines`` lines (the last ends "…" if cut)."""
    lines = list(wrap_text(text, size, room, bold=bold))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…", size, bold=bold) > room:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return tuple(lines)


def _lane_name(lane: Lane) -> str:
    label = _plain(lane.label, 60)
    return TEXT["lane_attacker"].format(label=label) if lane.attacker else label


def result_words(run: ScenarioRun) -> tuple[Outcome, str]:
    """Whether the run went as it should, and the words for it ("stopped by DMARC", "lost")."""
    by = run.stopped_by.label if run.stopped_by else None
    if run.attack:
        if not run.defended:
            return Outcome.FAIL, TEXT["not_stopped"]
        return Outcome.OK, TEXT["stopped_by"].format(control=by) if by else TEXT["stopped"]
    if run.defended:
        return Outcome.OK, TEXT["arrived"]
    return Outcome.FAIL, TEXT["lost_by"].format(control=by) if by else TEXT["lost"]


def _tag(event: Event) -> str:
    return TEXT["control_tag"].format(control=event.control.label) if event.control else ""


def _step_words(number: int, event: Event) -> str:
    label = _plain(event.label, MAX_LABEL_CHARS)
    return TEXT["step"].format(
        number=number, symbol=SYMBOLS[event.outcome], control=_tag(event), label=label
    )


def _check(run: ScenarioRun) -> None:
    """Every event names known lanes and an existing transcript (else a ValueError saying which)."""
    ids = [lane.id for lane in run.lanes]
    for number, event in enumerate(run.events, start=1):
        facts = {"number": number, "label": _plain(event.label, 60), "lanes": ", ".join(ids)}
        for lane in (event.source, event.target):
            if lane is not None and lane not in ids:
                raise ValueError(TEXT["unknown_lane"].format(lane=lane, **facts))
        if event.transcript is not None and not 0 <= event.transcript < len(run.transcripts):
            count = len(run.transcripts)
            raise ValueError(
                TEXT["unknown_transcript"].format(index=event.transcript, count=count, **facts)
            )


# -- the sequence diagram --------------------------------------------------------------------------


def _alt_text(run: ScenarioRun) -> tuple[str, str]:
    """The diagram's title (one sentence) and description (every step in words)."""
    names = {lane.id: _lane_name(lane) for lane in run.lanes}
    lanes = TEXT["separator"].join(
        TEXT["lane_address"].format(lane=names[lane.id], address=_plain(lane.address, 80))
        if lane.address
        else names[lane.id]
        for lane in run.lanes
    )
    steps = [TEXT["desc_lanes"].format(lanes=lanes)]
    for number, event in enumerate(run.events, start=1):
        word = TEXT["outcome_words"][event.outcome.value]
        fields = {
            "number": number,
            "source": names[event.source],
            "target": names.get(event.target or "", ""),
            "label": _tag(event) + _plain(event.label, MAX_LABEL_CHARS),
            "outcome": TEXT["desc_outcome"].format(word=word) if word else "",
        }
        arrow = event.target is not None and event.target != event.source
        text = TEXT["desc_arrow" if arrow else "desc_note"].format(**fields)
        if event.detail:
            text += TEXT["desc_detail"].format(detail=_plain(event.detail, MAX_DETAIL_CHARS))
        if event.section:
            text += TEXT["desc_section"].format(section=_plain(event.section, 80))
        if event.transcript is not None:
            text += TEXT["desc_transcript"].format(number=event.transcript + 1)
        steps.append(text)
    title = TEXT["svg_title"].format(
        title=_plain(run.title, 120),
        steps=len(run.events),
        lanes=len(run.lanes),
        result=result_words(run)[1],
    )
    return title, " ".join(steps)


def _lane_lines(lane: Lane) -> list[tuple[str, float, bool]]:
    """The words in a lane's box: (line, font size, bold)."""
    room = BOX_W - 2 * PAD
    lines = [
        (t, LABEL_SIZE, True) for t in _wrap(_plain(lane.label, 60), LABEL_SIZE, room, 3, bold=True)
    ]
    if lane.attacker:
        lines.append((TEXT["attacker"], SUB_SIZE, True))
    if lane.address:
        lines += [(t, SUB_SIZE, False) for t in _wrap(_plain(lane.address, 80), SUB_SIZE, room, 2)]
    return lines


def _lane_boxes(run: ScenarioRun, x_of: dict[str, float]) -> tuple[str, float]:
    """Every lane's box at the top, and the height of the tallest."""
    boxes = [(lane, _lane_lines(lane)) for lane in run.lanes]
    height = max(
        (
            sum(LABEL_STEP if size == LABEL_SIZE else SUB_STEP for _t, size, _b in lines) + 2 * PAD
            for _lane, lines in boxes
        ),
        default=2 * PAD,
    )
    parts = []
    for lane, lines in boxes:
        x = x_of[lane.id]
        fill, stroke = ("#fde4e4", "#b91c1c") if lane.attacker else ("#ffffff", "#1f2d3d")
        parts.append(
            f'<rect x="{x - BOX_W / 2}" y="{TOP}" width="{BOX_W}" height="{height}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
        )
        y = TOP + PAD
        for text, size, bold in lines:
            y += LABEL_STEP if size == LABEL_SIZE else SUB_STEP
            weight = ' font-weight="700"' if bold else ""
            colour = "#7f1d1d" if lane.attacker else "#1f2d3d"
            parts.append(
                f'<text x="{x}" y="{y - 3}" text-anchor="middle" font-size="{size}"{weight} '
                f'fill="{colour}">{escape(text)}</text>'
            )
    return "".join(parts), height


def _words(lines: tuple[str, ...], centre: float, top: float, colour: str) -> str:
    return "".join(
        f'<text x="{centre:.1f}" y="{top + STEP_LINE * i + 11:.1f}" text-anchor="middle" '
        f'font-size="{STEP_SIZE}" fill="{colour}" {_HALO}>{escape(line)}</text>'
        for i, line in enumerate(lines)
    )


def _transcript_mark(event: Event, centre: float, y: float) -> str:
    if event.transcript is None:
        return ""
    words = TEXT["transcript_mark"].format(number=event.transcript + 1)
    return (
        f'<text x="{centre:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{MARK_SIZE}" '
        f'font-style="italic" fill="#334155" {_HALO}>{escape(words)}</text>'
    )


def _event_row(
    number: int, event: Event, x_of: dict[str, float], width: float, y: float, sid: str
) -> tuple[str, float]:
    """One step drawn from ``y`` down: an arrow with its words above, or a note box."""
    _bg, fg = OUTCOME_COLOURS[event.outcome]
    stroke = _STROKE[event.outcome]
    dash = ' stroke-dasharray="6 4"' if event.outcome is Outcome.FAIL else ""
    x1 = x_of[event.source]
    x2 = x_of[event.target] if event.target is not None else x1
    if x1 != x2:
        room = min(max(abs(x2 - x1) - 16, WORDS_ROOM), width - 8)
        centre = min(max((x1 + x2) / 2, room / 2 + 4), width - room / 2 - 4)
        lines = _wrap(_step_words(number, event), STEP_SIZE, room, MAX_STEP_LINES)
        line_y = y + STEP_LINE * len(lines) + 6
        back = -1 if x2 < x1 else 1
        svg = (
            _words(lines, centre, y, fg)
            + f'<line x1="{x1}" y1="{line_y}" x2="{x2 - back * 2}" y2="{line_y}" '
            f'stroke="{stroke}" stroke-width="2"{dash} marker-end="url(#{sid}-{event.outcome.value})"/>'
            + _transcript_mark(event, centre, line_y + MARK_STEP + 1)
        )
        bottom = line_y + (MARK_STEP + 4 if event.transcript is not None else 4)
        return svg, bottom - y + ROW_GAP
    most = min(WORDS_ROOM, width - 8)
    lines = _wrap(_step_words(number, event), STEP_SIZE, most - 2 * PAD, MAX_STEP_LINES)
    # As narrow as its words allow, so a short note sits squarely on its own lane.
    widest = max([text_width(line, STEP_SIZE) for line in lines] + [0])
    box_w = min(max(widest + 2 * PAD + 4, BOX_W), most)
    left = min(max(x1 - box_w / 2, 4), width - 4 - box_w)
    mark = MARK_STEP if event.transcript is not None else 0
    box_h = STEP_LINE * len(lines) + mark + 10
    bg, _fg = OUTCOME_COLOURS[event.outcome]
    svg = (
        f'<rect x="{left:.1f}" y="{y}" width="{box_w:.1f}" height="{box_h}" rx="4" fill="{bg}" '
        f'stroke="{stroke}" stroke-width="1.5"{dash}/>'
        f'<circle cx="{x1}" cy="{y}" r="3.5" fill="{stroke}"/>'
        + _words(lines, left + box_w / 2, y + 4, fg)
        + _transcript_mark(event, left + box_w / 2, y + box_h - 6)
    )
    return svg, box_h + ROW_GAP


def _svg_id(run: ScenarioRun) -> str:
    """Ids unique to this run, so two diagrams on one page keep their own titles and arrows."""
    return "mailsystem-" + hashlib.sha256(repr(run).encode("utf-8", "replace")).hexdigest()[:10]


def sequence_diagram(run: ScenarioRun) -> Fragment:
    """The run as an SVG sequence diagram: a lifeline per lane, an arrow or a note per step."""
    _check(run)
    sid = _svg_id(run)
    width = max(len(run.lanes), 2) * LANE_GAP
    x_of = {lane.id: LANE_GAP / 2 + i * LANE_GAP for i, lane in enumerate(run.lanes)}
    boxes, box_h = _lane_boxes(run, x_of)
    y = TOP + box_h + 16
    rows = []
    for number, event in enumerate(run.events, start=1):
        svg, height = _event_row(number, event, x_of, width, y, sid)
        rows.append(svg)
        y += height
    height = y + FOOT
    lifelines = "".join(
        f'<line x1="{x}" y1="{TOP + box_h}" x2="{x}" y2="{y}" stroke="'
        f'{"#b91c1c" if lane.attacker else "#94a3b8"}" stroke-width="1.5" '
        'stroke-dasharray="3 4"/>'
        f'<text x="{x}" y="{y + 15}" text-anchor="middle" font-size="11" font-weight="700" '
        f'fill="#1f2d3d">{escape(_wrap(_plain(lane.label, 60), 11, LANE_GAP - 10, 1, bold=True)[0])}</text>'
        for lane, x in zip(run.lanes, x_of.values(), strict=True)
    )
    markers = "".join(
        f'<marker id="{sid}-{o.value}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{c}"/></marker>'
        for o, c in _STROKE.items()
    )
    title, desc = _alt_text(run)
    return Fragment(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" style="max-width:100%;height:auto" '
        f'font-family="sans-serif" aria-labelledby="{sid}-title {sid}-desc" '
        f'class="mailsec-sequence"><title id="{sid}-title">{escape(title)}</title>'
        f'<desc id="{sid}-desc">{escape(desc)}</desc><defs>{markers}</defs>'
        f"{lifelines}{boxes}{''.join(rows)}</svg>"
    )


# -- headers, transcripts, verdicts ---------------------------------------------------------------


def _fields(fields: tuple[str, ...]) -> str:
    return "\n".join(f.replace("\r\n", "\n") for f in fields)


def header_block(run: ScenarioRun) -> Fragment:
    """Each hop's fields, oldest first, then the final header with the newest hop on top."""
    head = f'<div style="font-weight:600;margin-top:8px">{escape(TEXT["headers_title"])}</div>'
    if not run.headers:
        return Fragment(f'<div style="{FONT}">{head}<p>{escape(TEXT["no_headers"])}</p></div>')
    stages = "".join(
        f'<section aria-label="{escape(TEXT["stage_label"].format(hop=stage.hop))}" '
        'style="margin:4px 0 8px">'
        f'<div style="font-weight:600">{escape(TEXT["stage"].format(number=i, hop=stage.hop))}</div>'
        f"{code_block(_fields(stage.fields), label=TEXT['stage_label'].format(hop=stage.hop))}"
        "</section>"
        for i, stage in enumerate(run.headers, start=1)
    )
    final = "\n".join(_fields(stage.fields) for stage in reversed(run.headers))
    return Fragment(
        f'<div style="{FONT}max-width:900px">{head}'
        f'<p style="margin:4px 0">{escape(TEXT["headers_explain"])}</p>{stages}'
        f'<div style="font-weight:600">{escape(TEXT["final"])}</div>'
        f"{code_block(final, label=TEXT['final'])}</div>"
    )


def _transcript_line(client: bool, text: str) -> str:
    who = TEXT["client"] if client else TEXT["server"]
    style = (
        "background:#e8eef7;color:#1e3a8a;font-weight:700;"
        if client
        else "background:#ffffff;color:#1f2328;"
    )
    return (
        f'<span style="display:block;{style}padding:0 4px">'
        f"{escape(who)} {escape(_plain(text))}</span>"
    )


def transcript_view(run: ScenarioRun, index: int) -> Fragment:
    """Transcript ``index`` (counted from 0, shown as #index+1): the hop, TLS, its C:/S: lines.

    Raises :class:`IndexError` with a sentence listing the valid numbers.
    """
    count = len(run.transcripts)
    if not 0 <= index < count:
        if count == 0:
            raise IndexError(TEXT["no_transcripts"].format(index=index))
        raise IndexError(TEXT["bad_index"].format(index=index, count=count, last=count - 1))
    transcript: Transcript = run.transcripts[index]
    shown = transcript.lines[:MAX_TRANSCRIPT_LINES]
    body = "".join(_transcript_line(line.client, line.text) for line in shown)
    if len(transcript.lines) > len(shown):
        more = TEXT["more_lines"].format(count=len(transcript.lines) - len(shown))
        body += f'<span style="display:block;font-style:italic">{escape(more)}</span>'
    tls = badge(Outcome.OK, TEXT["tls"]) if transcript.tls else badge(Outcome.WARN, TEXT["no_tls"])
    number = index + 1
    label = TEXT["transcript_label"].format(
        number=number, protocol=transcript.protocol, hop=transcript.hop
    )
    return Fragment(
        f'<section role="log" aria-label="{escape(label)}" style="{FONT}border:1px solid #c8d1dc;'
        f'border-radius:6px;padding:6px 8px;margin:6px 0;max-width:900px">'
        f'<div style="font-weight:600">'
        f"{escape(TEXT['transcript_title'].format(number=number, hop=transcript.hop))}</div>"
        f'<div style="margin:4px 0">{badge(Outcome.INFO, transcript.protocol)} {tls}</div>'
        f'<div style="font-size:12px;color:#444">{escape(TEXT["transcript_legend"])}</div>'
        f'<pre style="{MONO}background:#f6f8fa;padding:6px;border-radius:4px;margin:4px 0;'
        f'white-space:pre-wrap;word-break:break-all">{body}</pre></section>'
    )


def _mark_outcome(run: ScenarioRun, mark: Mark) -> Outcome:
    """How a mark looks: as :attr:`Mark.outcome`, except that stopping good mail is a failure."""
    return Outcome.FAIL if (mark is Mark.STOPPED and not run.attack) else mark.outcome


def verdict_table(run: ScenarioRun) -> Fragment:
    """One row per control: its label, a badge with the mark's word, the reason, the rule."""
    rows = [
        (
            f'<span style="white-space:nowrap">{escape(v.control.label)}</span>',
            badge(_mark_outcome(run, v.mark), v.mark.label),
            escape(v.reason),
            escape(v.section or "—"),
        )
        for v in run.verdicts
    ]
    return table(TEXT["verdict_headers"], rows, caption=TEXT["verdict_caption"], html_cells=True)


# -- one scenario ---------------------------------------------------------------------------------


def _steps_table(run: ScenarioRun) -> str:
    """The steps as a table, in a collapsed section under the diagram (details and rules)."""
    names = {lane.id: _lane_name(lane) for lane in run.lanes}
    rows = []
    for number, event in enumerate(run.events, start=1):
        if event.target is not None and event.target != event.source:
            where = TEXT["from_to"].format(source=names[event.source], target=names[event.target])
        else:
            where = TEXT["on_lane"].format(source=names[event.source])
        what = escape(_tag(event) + _plain(event.label, MAX_LABEL_CHARS))
        if event.detail:
            what += f"<br><span style='color:#444'>{escape(event.detail)}</span>"
        if event.transcript is not None:
            mark = TEXT["transcript_mark"].format(number=event.transcript + 1)
            what += f"<br><em>{escape(mark)}</em>"
        word = TEXT["outcome_words"][event.outcome.value]
        result = badge(event.outcome, word) if word else ""
        rows.append((str(number), escape(where), what, result, escape(event.section or "")))
    return (
        f'<details style="{FONT}margin:4px 0"><summary>{escape(TEXT["steps_summary"])}</summary>'
        f"{table(TEXT['steps_headers'], rows, html_cells=True)}</details>"
    )


def _transcript_list(run: ScenarioRun) -> str:
    head = f'<div style="font-weight:600;margin-top:8px">{escape(TEXT["transcripts_title"])}</div>'
    if not run.transcripts:
        return f"{head}<p>{escape(TEXT['no_transcript_list'])}</p>"
    items = "".join(
        f"<li>{escape(TEXT['transcript_item'].format(number=i, hop=t.hop))}</li>"
        for i, t in enumerate(run.transcripts, start=1)
    )
    return f'{head}<ul style="margin:4px 0">{items}</ul>'


def scenario_html(run: ScenarioRun) -> Fragment:
    """The whole view of one run: outcome, diagram, verdicts, header block, transcript list."""
    outcome, words = result_words(run)
    kind = TEXT["kind_tag"].format(kind=TEXT["kind_attack" if run.attack else "kind_legitimate"])
    listed = TEXT["sources"].format(sources=TEXT["separator"].join(run.sources))
    sources = (
        f'<p style="font-size:12px;color:#444;margin:4px 0">{escape(listed)}</p>'
        if run.sources
        else ""
    )
    return Fragment(
        f'<div style="{FONT}overflow-wrap:anywhere">'
        f'<div style="font-size:16px;font-weight:700;margin:4px 0">{escape(run.title)} '
        f'<span style="font-size:12px;font-weight:400;color:#444">{escape(kind)}</span></div>'
        f'<p style="margin:4px 0">{escape(TEXT["result"])} {badge(outcome, words)} '
        f"{escape(run.outcome)}</p>{sources}"
        f'<div style="overflow-x:auto">{sequence_diagram(run)}</div>'
        f"{_steps_table(run)}{verdict_table(run)}{header_block(run)}{_transcript_list(run)}</div>"
    )
