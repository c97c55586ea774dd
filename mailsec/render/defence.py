"""Chapter 09's defence matrix: attacks and legitimate mail × controls, the score and the misses.

Rows are the campaign's runs (attacks first), columns its controls, and each cell is a symbol
and a word (:attr:`Mark.label`), never a colour alone. A control that stopped *legitimate* mail
is marked "✗" in red: a good message was lost. Under the table: the score, and for every attack
that got through, what happened and which controls only noticed it.
"""

from __future__ import annotations

from mailsec.i18n import language, texts
from mailsec.mailsystem.timeline import Campaign, Control, Mark, ScenarioRun
from mailsec.render.html import FONT, OUTCOME_COLOURS, TABLE_STYLE, Fragment, escape, td, th
from mailsec.render.mailsystem import SYMBOLS, result_words
from mailsec.trace import Outcome

__all__ = ["TEXT", "defence_matrix"]

TEXT = texts(
    {
        "matrix_caption": "What each control did with each scenario: ✓ stopped it · ! noticed it, "
        "but the attack went on · • passed it · — could not see it · ○ switched off. In a "
        "legitimate row, ✗ stopped it means a good message was lost.",
        "matrix_scenario": "Scenario",
        "matrix_result": "Result",
        "tag_attack": "attack",
        "tag_legitimate": "legitimate",
        "score": "Attacks stopped: {stopped} of {attacks}; legitimate messages delivered: "
        "{delivered} of {legitimate}",
        "misses": "Attacks not stopped, and why:",
        "miss": "{title}: {outcome} Noticed by {noticed}; no control stopped it.",
        "miss_unseen": "{title}: {outcome} No control saw anything wrong.",
        "no_verdict": "“{title}” has no verdict for {control}: every run needs one per control "
        "of the campaign.",
    }
)

_GREY = ("#ececec", "#3b3b3b")
_MARK_CELL = {
    Mark.STOPPED: ("✓", OUTCOME_COLOURS[Outcome.OK]),
    Mark.NOTICED: ("!", OUTCOME_COLOURS[Outcome.WARN]),
    Mark.PASSED: ("•", OUTCOME_COLOURS[Outcome.INFO]),
    Mark.BLIND: ("—", _GREY),
    Mark.OFF: ("○", _GREY),
}
_WRONGLY_STOPPED = ("✗", OUTCOME_COLOURS[Outcome.FAIL])
_CELL = "padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top;"
_HEAD = "padding:4px 8px;border-bottom:2px solid #888;"

# Line breaking of Japanese in the matrix, chosen per language (English keeps its styles as they
# were, byte for byte). A browser may break Japanese between any two characters, and a table
# column shrinks to its narrowest content: "阻止した" came out as "阻止し" over "た". The short
# words of the mark, result and heading cells get ``word-break:keep-all`` (no break inside a run
# of Japanese characters, only at spaces and punctuation), so a column is at least as wide as
# its longest word; ``overflow-wrap:break-word`` (not ``anywhere``, which would lower that
# minimum again) still breaks a word that cannot fit at all. The scenario titles are phrases:
# they keep ``overflow-wrap:anywhere`` and break between characters, with ``line-break:strict``
# (the kinsoku rules: no line starts with 、。）or a small kana, none ends with （), and the
# attack/legitimate tag beside them never wraps.
_JA_WORDS = "word-break:keep-all;overflow-wrap:break-word;line-break:strict;"
_JA_PHRASE = ";line-break:strict"
_JA_TAG = ";white-space:nowrap"


def _ja(style: str) -> str:
    """``style`` in Japanese (the module's comment above), else nothing."""
    return style if language() == "ja" else ""


def _mark(run: ScenarioRun, control: Control) -> Mark:
    for verdict in run.verdicts:
        if verdict.control is control:
            return verdict.mark
    raise ValueError(TEXT["no_verdict"].format(title=run.title, control=control.label))


def _matrix_row(run: ScenarioRun, controls: tuple[Control, ...]) -> str:
    tag = TEXT["tag_attack" if run.attack else "tag_legitimate"]
    tag_colour = "#7f1d1d" if run.attack else "#1e3a8a"
    head = th(
        f'{escape(run.title)} <span style="font-size:11px;font-weight:600;color:{tag_colour};'
        f'border:1px solid {tag_colour};border-radius:3px;padding:0 3px{_ja(_JA_TAG)}">'
        f"{escape(tag)}</span>",
        scope="row",
        style=f"{_CELL}font-weight:600;min-width:130px;overflow-wrap:anywhere{_ja(_JA_PHRASE)}",
    )
    cells = []
    for control in controls:
        mark = _mark(run, control)
        wrong = mark is Mark.STOPPED and not run.attack
        symbol, (bg, fg) = _WRONGLY_STOPPED if wrong else _MARK_CELL[mark]
        style = f"{_CELL}{_ja(_JA_WORDS)}padding:4px 6px;font-size:13px;background:{bg};color:{fg}"
        cells.append(td(f"{symbol} {escape(mark.label)}", style=style))
    outcome, words = result_words(run)
    bg, fg = OUTCOME_COLOURS[outcome]
    # Not a badge: a badge never wraps, and this column must fit beside seven others.
    result = td(
        f"{SYMBOLS[outcome]} {escape(words)}",
        style=f"{_CELL}{_ja(_JA_WORDS)}padding:4px 6px;font-weight:600;background:{bg};color:{fg};"
        "min-width:90px",
    )
    return f"<tr>{head}{''.join(cells)}{result}</tr>"


def _miss(run: ScenarioRun) -> str:
    """Why an attack got through: what happened, and which controls only noticed it."""
    noticed = [v.control.label for v in run.verdicts if v.mark is Mark.NOTICED]
    if not noticed:
        return TEXT["miss_unseen"].format(title=run.title, outcome=run.outcome)
    return TEXT["miss"].format(title=run.title, outcome=run.outcome, noticed=", ".join(noticed))


def defence_matrix(campaign: Campaign) -> Fragment:
    """Which control did what with each scenario, the result, the score and every miss."""
    runs = (*campaign.attacks, *campaign.legitimate)
    headers = (
        TEXT["matrix_scenario"],
        *(c.label for c in campaign.controls),
        TEXT["matrix_result"],
    )
    head = "".join(th(escape(h), style=_HEAD + _ja(_JA_WORDS)) for h in headers)
    body = "".join(_matrix_row(run, campaign.controls) for run in runs)
    score = TEXT["score"].format(
        stopped=campaign.stopped,
        attacks=len(campaign.attacks),
        delivered=campaign.delivered,
        legitimate=len(campaign.legitimate),
    )
    misses = [run for run in campaign.attacks if not run.defended]
    missed = ""
    if misses:
        items = "".join(f"<li>{escape(_miss(run))}</li>" for run in misses)
        missed = f'<p style="margin:4px 0">{escape(TEXT["misses"])}</p><ul>{items}</ul>'
    return Fragment(
        f'<div style="{FONT}"><div style="overflow-x:auto">'
        f'<table style="{TABLE_STYLE}">'
        f'<caption style="text-align:left;padding:4px 0;max-width:900px">'
        f"{escape(TEXT['matrix_caption'])}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        f'<p style="font-weight:700;margin:6px 0">{escape(score)}</p>{missed}</div>'
    )
