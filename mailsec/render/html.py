"""Small HTML building blocks shared by every chapter's renderer.

Everything here returns a ``str`` of HTML with inline styles only: no external CSS, scripts or
binaries, so the output works in JupyterLab, in a static render (GitHub, nbviewer) and in a
browser-only Jupyter. Meaning is never carried by colour alone: every coloured mark also has a word
or a symbol, and pictures carry a text alternative.

The words these blocks add themselves ("Cannot do that:", an outcome's word, "… 3 more lines")
are in :data:`TEXT` and shown in the current language (:mod:`mailsec.i18n`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from mailsec.glossary import Term, terms
from mailsec.i18n import ngettext, texts
from mailsec.trace import Outcome, Step

__all__ = [
    "CELL_ALIGN",
    "OUTCOME_COLOURS",
    "TABLE_STYLE",
    "TEXT",
    "Fragment",
    "badge",
    "callout",
    "code_block",
    "error_box",
    "escape",
    "glossary_table",
    "hex_preview",
    "kv_table",
    "table",
    "td",
    "th",
    "trace_list",
]

FONT = "font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; font-size: 14px;"
MONO = "font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 13px;"

TABLE_STYLE = f"{FONT}border-collapse:collapse;margin:4px 0;"
"""Every table's own style. The margin keeps JupyterLab from centring it (its stylesheet gives
rendered tables ``margin-left/right: auto``)."""
CELL_ALIGN = "text-align:left;"
"""Every cell says so inline: JupyterLab's stylesheet right-aligns rendered table cells
(``.jp-RenderedHTMLCommon td, th { text-align: right }``), and only an inline style beats it."""

#: Background and text colour per outcome; contrast ratios are above 4.5:1 (WCAG AA).
OUTCOME_COLOURS: dict[Outcome, tuple[str, str]] = {
    Outcome.INFO: ("#eef2f7", "#1f2d3d"),
    Outcome.OK: ("#e3f4e8", "#14532d"),
    Outcome.WARN: ("#fff4d6", "#713f12"),
    Outcome.FAIL: ("#fde4e4", "#7f1d1d"),
}
_SYMBOL = {Outcome.INFO: "•", Outcome.OK: "✓", Outcome.WARN: "!", Outcome.FAIL: "✗"}

TEXT = texts(
    {
        "outcomes": {"info": "info", "ok": "passed", "warn": "warning", "fail": "failed"},
        "cannot": "Cannot do that:",
        "decided": "How this was decided",
        "glossary_english": "English",
        "glossary_meaning": "Meaning",
        "glossary_caption": "Key terms",
    }
)
"""The words the building blocks add themselves (see :mod:`mailsec.i18n`)."""
_DEFAULT_TITLE: Any = object()  # a stand-in default: compared by identity only


def _outcome_word(outcome: Outcome) -> str:
    """The word for ``outcome`` in the current language (:attr:`Outcome.label` in English)."""
    return TEXT["outcomes"][outcome.value]


class Fragment(str):
    """A string of trusted HTML that Jupyter displays as HTML (and tests compare as text)."""

    def _repr_html_(self) -> str:
        return str(self)


def escape(text: object) -> str:
    """Escape any value for HTML text or attribute use."""
    return html.escape(str(text), quote=True)


def badge(outcome: Outcome, text: str | None = None) -> Fragment:
    """A coloured label with a symbol and a word, for example ``✓ passed``."""
    bg, fg = OUTCOME_COLOURS[outcome]
    word = escape(text if text is not None else _outcome_word(outcome))
    return Fragment(
        f'<span style="background:{bg};color:{fg};border:1px solid {fg}33;border-radius:4px;'
        f'padding:1px 6px;white-space:nowrap;font-weight:600">{_SYMBOL[outcome]} {word}</span>'
    )


def callout(
    body_html: str, *, outcome: Outcome = Outcome.INFO, title: str | None = None
) -> Fragment:
    """A boxed paragraph; ``body_html`` is trusted HTML built by mailsec."""
    bg, fg = OUTCOME_COLOURS[outcome]
    head = f"<strong>{_SYMBOL[outcome]} {escape(title)}</strong><br>" if title else ""
    return Fragment(
        f'<div role="note" style="{FONT}background:{bg};color:{fg};border-left:4px solid {fg};'
        f'padding:8px 12px;margin:6px 0;border-radius:4px">{head}{body_html}</div>'
    )


def error_box(message: str) -> Fragment:
    """A plain-language error for bad input: visible, readable, no traceback."""
    bg, fg = OUTCOME_COLOURS[Outcome.FAIL]
    return Fragment(
        f'<div role="alert" style="{FONT}background:{bg};color:{fg};border:1px solid {fg};'
        f'padding:8px 12px;margin:6px 0;border-radius:4px"><strong>✗ {escape(TEXT["cannot"])}</strong> '
        f"{escape(message)}</div>"
    )


def th(content_html: str, *, scope: str = "col", style: str = "") -> Fragment:
    """A header cell, aligned left; ``content_html`` is trusted HTML."""
    return Fragment(f'<th scope="{scope}" style="{CELL_ALIGN}{style}">{content_html}</th>')


def td(content_html: str, *, style: str = "", colspan: int | None = None) -> Fragment:
    """A data cell, aligned left; ``content_html`` is trusted HTML."""
    span = f' colspan="{colspan}"' if colspan else ""
    return Fragment(f'<td{span} style="{CELL_ALIGN}{style}">{content_html}</td>')


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    caption: str | None = None,
    html_cells: bool = False,
) -> Fragment:
    """A simple table. Cells are escaped unless ``html_cells`` says they are trusted HTML."""
    cell = (lambda v: str(v)) if html_cells else escape
    head = "".join(
        th(escape(h), style="padding:4px 8px;border-bottom:2px solid #888") for h in headers
    )
    body = "".join(
        "<tr>"
        + "".join(
            td(cell(v), style="padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top")
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    cap = (
        f'<caption style="text-align:left;font-weight:600;padding:4px 0">{escape(caption)}</caption>'
        if caption
        else ""
    )
    return Fragment(
        f'<table style="{TABLE_STYLE}">{cap}'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def data(text: object) -> Fragment:
    """Data shown as it is (bytes in hex, a fingerprint, an algorithm's name, the learner's own
    text): code, not words to translate."""
    return Fragment(f'<code style="font-size:inherit">{escape(text)}</code>')


def kv_table(pairs: Iterable[tuple[str, object]], *, caption: str | None = None) -> Fragment:
    """A two-column table of names and values; a value that is a :class:`Fragment` (such as
    :func:`data`) is HTML already, anything else is escaped."""
    rows = "".join(
        "<tr>"
        + th(
            escape(k),
            scope="row",
            style="padding:3px 8px;color:#444;font-weight:600;vertical-align:top",
        )
        + td(v if isinstance(v, Fragment) else escape(v), style=f"padding:3px 8px;{MONO}")
        + "</tr>"
        for k, v in pairs
    )
    cap = (
        f'<caption style="text-align:left;font-weight:600">{escape(caption)}</caption>'
        if caption
        else ""
    )
    return Fragment(f'<table style="{TABLE_STYLE}">{cap}<tbody>{rows}</tbody></table>')


def code_block(text: str, *, label: str | None = None, max_lines: int | None = None) -> Fragment:
    """Preformatted text (a transcript, a MIME message, a record), escaped."""
    lines = text.splitlines()
    more = ""
    if max_lines is not None and len(lines) > max_lines:
        count = len(lines) - max_lines
        more = "\n" + ngettext("… {count} more line", "… {count} more lines", count).format(
            count=count
        )
        lines = lines[:max_lines]
    # A plain <pre> may not be named (ARIA gives it the generic role); a labelled block is a
    # figure, the role ARIA names for code snippets and example text, so its label is announced.
    aria = f' role="figure" aria-label="{escape(label)}"' if label else ""
    return Fragment(
        f'<pre{aria} style="{MONO}background:#f6f8fa;color:#1f2328;padding:8px;border-radius:4px;'
        f'overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0">'
        f"{escape(chr(10).join(lines) + more)}</pre>"
    )


def hex_preview(data: bytes, *, limit: int = 32) -> Fragment:
    """The first ``limit`` bytes as hex, with the total size: ``3f 9a … (2,048 bytes)``."""
    shown = data[:limit].hex(" ")
    tail = " …" if len(data) > limit else ""
    size = ngettext("({count:,} byte)", "({count:,} bytes)", len(data)).format(count=len(data))
    return Fragment(f"{shown}{tail} {size}")


def trace_list(steps: Iterable[Step], *, title: str | None = _DEFAULT_TITLE) -> Fragment:
    """An explanation trace as a nested list: symbol, word, sentence, RFC section. The title is
    "How this was decided" unless given (None: no title)."""
    if title is _DEFAULT_TITLE:
        title = TEXT["decided"]
    items = []
    for step in steps:
        bg, fg = OUTCOME_COLOURS[step.outcome]
        cite = (
            f' <span style="color:#555;font-size:12px">[{escape(step.section)}]</span>'
            if step.section
            else ""
        )
        items.append(
            f'<li style="margin:2px 0 2px {step.depth * 22}px;list-style:none">'
            f'<span style="color:{fg};background:{bg};border-radius:3px;padding:0 4px" '
            f'title="{escape(_outcome_word(step.outcome))}">{_SYMBOL[step.outcome]}</span> '
            f"{escape(step.text)}{cite}</li>"
        )
    head = f'<div style="font-weight:600;margin-top:6px">{escape(title)}</div>' if title else ""
    return Fragment(
        f'<div style="{FONT}">{head}<ol style="padding-left:0;margin:4px 0">{"".join(items)}</ol></div>'
    )


def glossary_table(*english: str | Term) -> Fragment:
    """The glossary rows for the given terms (English, 日本語, meaning), ready to display.

    The columns are the same in both editions: the English term first, then the Japanese term,
    then the meaning in the current language (:meth:`~mailsec.glossary.Term.meaning_in`). The
    Japanese column's heading is 日本語 in every language; the other headings are translated."""
    entries = [t if isinstance(t, Term) else terms(t)[0] for t in english]
    return Fragment(
        table(
            (TEXT["glossary_english"], "日本語", TEXT["glossary_meaning"]),
            ((t.english, t.japanese, t.meaning_in()) for t in entries),
            caption=TEXT["glossary_caption"],
        )
    )
