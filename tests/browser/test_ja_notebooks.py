"""Every Japanese chapter in a real browser: open it, run all cells, check that nothing failed and
that the page is in Japanese, and save screenshots of the top of the notebook and of each lab.

The screenshots (``artifacts/screenshots/ja-<chapter>-top.png`` and ``ja-<chapter>-lab<N>.png``)
are for a person to look at: line breaks in Japanese paragraphs, fonts (no missing-glyph boxes),
labels cut off in widgets. A lab's screenshot shows the whole lab up to MAX_HEIGHT pixels. What
the page itself can tell about the layout -- labels shortened with an ellipsis, menus narrower
than their choice, boxes wider than the lab, radio-button choices running over each other, lab
texts without a Japanese character, outputs wider than their cell -- is written beside them to
``ja-<chapter>-layout.json``; it is a report, not a check, since the labs' layout and translation
belong to the labs.

``ja/90-exam-practice.ipynb`` is left out: ``test_90_exam_practice.py`` opens, runs and
photographs it already (``test_exam_practice_in_japanese``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"  # as in conftest.py
SCREENSHOTS = ROOT / "artifacts" / "screenshots"  # where conftest.py's ``screenshot`` saves

COVERED_ELSEWHERE = {"90-exam-practice.ipynb"}  # test_90_exam_practice.py
CHAPTERS = sorted(
    p.name for p in (NOTEBOOKS / "ja").glob("[0-9][0-9]-*.ipynb") if p.name not in COVERED_ELSEWHERE
)
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
LAB = ".mailsec-lab"
VIEW = {"width": 1280, "height": 900}  # the page's size in conftest.py's ``notebook``
MAX_HEIGHT = 4000  # the tallest view a lab's screenshot gets (a longer lab is cut at the bottom)

# The rectangle of ``lab`` that the notebook's scrolled view shows, for page.screenshot(clip=).
_VISIBLE = """(lab) => {
    const r = lab.getBoundingClientRect();
    const v = lab.closest('.jp-WindowedPanel-outer, .jp-Notebook').getBoundingClientRect();
    const top = Math.max(r.top, v.top), bottom = Math.min(r.bottom, v.bottom);
    const left = Math.max(r.left, v.left), right = Math.min(r.right, v.right);
    return {x: left, y: top, width: right - left, height: bottom - top};
}"""

# What the page can say about one lab's layout (see the module docstring).
_LAYOUT = r"""(lab) => {
    const japanese = /[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]/;
    const text = e => (e.innerText || e.textContent || '').replace(/\s+/g, ' ').trim();
    const where = e => {
        const css = [...e.classList].filter(c => c.startsWith('mailsec-')).join('.');
        let up = e.parentElement, owner = '';
        while (up && up !== lab && !owner) {
            owner = [...up.classList].filter(c => c.startsWith('mailsec-')).join('.');
            up = up.parentElement;
        }
        return css || owner || e.tagName.toLowerCase();
    };
    const canvas = document.createElement('canvas').getContext('2d');
    const width = (s, e) => {
        const st = getComputedStyle(e);
        canvas.font = `${st.fontStyle} ${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
        return canvas.measureText(s).width;
    };
    const box = lab.getBoundingClientRect();
    const out = {title: text(lab.querySelector('h3') || lab).slice(0, 80),
                 cut: [], narrow_menus: [], too_wide: [], scrolls: [], overlaps: [],
                 english: []};
    for (const e of lab.querySelectorAll('*')) {
        const st = getComputedStyle(e);
        if (st.display === 'none' || st.visibility === 'hidden' || !e.getClientRects().length) continue;
        const t = text(e);
        // A label or button whose text is cut (ellipsis or hidden overflow).
        if (t && e.children.length === 0 && e.scrollWidth > e.clientWidth + 1
                && (st.textOverflow === 'ellipsis' || st.overflowX === 'hidden')) {
            out.cut.push({where: where(e), text: t, shown_px: e.clientWidth, needs_px: e.scrollWidth});
        }
        if (e.tagName === 'SELECT' && e.selectedIndex >= 0) {
            const chosen = e.options[e.selectedIndex].text;
            const room = e.clientWidth - 28;  // the arrow and the padding
            if (width(chosen, e) > room) {
                out.narrow_menus.push({where: where(e), text: chosen, shown_px: room,
                                       needs_px: Math.ceil(width(chosen, e))});
            }
        }
        const r = e.getBoundingClientRect();
        if (r.width > 0 && r.right > box.right + 1 && !e.closest('[data-mailsec-wide]')) {
            e.setAttribute('data-mailsec-wide', '');
            out.too_wide.push({where: where(e), tag: e.tagName.toLowerCase(),
                               overflow_px: Math.round(r.right - box.right), text: t.slice(0, 80)});
        }
        if ((st.overflowX === 'auto' || st.overflowX === 'scroll')
                && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
            out.scrolls.push({where: where(e), tag: e.tagName.toLowerCase(),
                              hidden_px: e.scrollWidth - e.clientWidth, text: t.slice(0, 80)});
        }
    }
    // Words a student reads first: title, introduction, labels, buttons, choices in menus.
    const words = [...lab.querySelectorAll(
        'h3, h3 + p, label, button, .widget-label, .widget-label-basic, option, legend, th')];
    const seen = new Set();
    for (const e of words) {
        const t = text(e);
        if (!t || seen.has(t) || japanese.test(t) || !/[A-Za-z]{3,}.*\s.*[A-Za-z]{3,}/.test(t)) continue;
        seen.add(t);
        out.english.push({where: where(e), tag: e.tagName.toLowerCase(), text: t.slice(0, 120)});
    }
    // Radio-button choices whose text runs over the next choice (a label taller than its row).
    for (const group of lab.querySelectorAll('.widget-radio-box')) {
        const items = [...group.children];
        items.forEach((item, k) => {
            const next = items[k + 1];
            const over = Math.max(item.scrollHeight - item.clientHeight,
                next ? item.getBoundingClientRect().bottom - next.getBoundingClientRect().top : 0);
            if (over > 1) {
                out.overlaps.push({where: where(group), text: text(item).slice(0, 100),
                                   overlap_px: Math.round(over)});
            }
        });
    }
    for (const e of lab.querySelectorAll('[data-mailsec-wide]')) e.removeAttribute('data-mailsec-wide');
    return out;
}"""

# Outputs and text cells of the whole notebook that are wider than their cell (they scroll
# sideways or stick out), with the cell's number.
_OUTPUTS = r"""() => {
    const out = [];
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
    cells.forEach((cell, n) => {
        const room = cell.getBoundingClientRect().right;
        for (const e of cell.querySelectorAll('.jp-OutputArea-output, .jp-RenderedMarkdown, table, pre, svg')) {
            if (e.closest('.mailsec-lab') || !e.getClientRects().length) continue;
            const r = e.getBoundingClientRect();
            const hidden = e.scrollWidth - e.clientWidth;
            if (hidden > 1 || r.right > room + 1) {
                out.push({cell: n + 1, tag: e.tagName.toLowerCase(), cls: e.className.baseVal ?? e.className,
                          hidden_px: Math.max(hidden, 0), sticks_out_px: Math.max(Math.round(r.right - room), 0),
                          text: (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 80)});
            }
        }
    });
    return out;
}"""


def _to_top(target) -> None:
    """Scroll so that ``target`` starts at the top of the notebook's view (for a screenshot)."""
    target.evaluate("e => e.scrollIntoView({block: 'start'})")


@pytest.mark.parametrize("name", CHAPTERS, ids=[n.removesuffix(".ipynb") for n in CHAPTERS])
def test_japanese_notebook_runs_and_is_photographed(notebook, screenshot, name: str) -> None:
    page = notebook(f"ja/{name}")  # opened, kernel ready, all cells run, no error output
    stem = f"ja-{name.removesuffix('.ipynb')}"
    try:
        # The kernel has finished what Run All gave it.
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
            " === 'idle'",
            timeout=60_000,
        )

        # No traceback on stderr, and no lab shows its error box (mailsec.render.html.error_box).
        stderr = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            has_text="Traceback",
        )
        assert stderr.count() == 0, f"{name} printed: {stderr.first.inner_text()[:500]}"
        alerts = page.locator(".jp-OutputArea-output [role='alert']")
        assert alerts.count() == 0, f"{name} shows an error: {alerts.first.inner_text()[:500]}"

        # The first heading is Japanese, drawn in the notebook.
        heading = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown h1").first
        expect(heading).to_be_visible()
        assert JAPANESE.search(heading.inner_text()), heading.inner_text()

        # The top of the notebook.
        page.locator(".jp-Notebook .jp-Cell").first.evaluate(
            "e => e.scrollIntoView({block: 'start'})"
        )
        screenshot(page, f"{stem}-top")

        # Each lab, whole where it fits in MAX_HEIGHT, with what the page says of its layout.
        labs = page.locator(LAB)
        assert labs.count() > 0, f"{name} shows no lab"
        report = []
        for i in range(labs.count()):
            lab = labs.nth(i)
            _to_top(lab)
            expect(lab).to_be_visible()
            height = int(min(MAX_HEIGHT, lab.evaluate("e => e.offsetHeight") + 140))
            if height > VIEW["height"]:
                page.set_viewport_size({**VIEW, "height": height})
                _to_top(lab)
                page.wait_for_timeout(150)  # JupyterLab lays the panel out again
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            # The part of the lab inside the notebook's view (an element screenshot would
            # show the page's background below the view for a lab taller than it).
            clip = lab.evaluate(_VISIBLE)
            page.screenshot(path=str(SCREENSHOTS / f"{stem}-lab{i + 1}.png"), clip=clip)
            report.append({"screenshot": f"{stem}-lab{i + 1}.png", **lab.evaluate(_LAYOUT)})
            if height > VIEW["height"]:
                page.set_viewport_size(VIEW)
        (SCREENSHOTS / f"{stem}-layout.json").write_text(
            json.dumps(
                {"labs": report, "outputs": page.evaluate(_OUTPUTS)}, ensure_ascii=False, indent=1
            ),
            encoding="utf-8",
        )
    finally:
        # Shut the kernel down (its labs may run servers): ten chapters' kernels at once are many
        # for a small machine.
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
