"""Every chapter's labs work with the keyboard alone: one lab a chapter, driven in a real browser.

For each chapter (and one chapter of the Japanese edition) the test opens the notebook and runs it
(the ``notebook`` fixture), clicks the lab's heading, presses Tab into the lab and then uses only
the keyboard: Tab to walk the controls, arrow keys in menus and sliders, Enter or Space on buttons
and checkboxes. It checks

- that focus walks the lab's controls in the order they are laid out (top to bottom, and left to
  right within a row), each control once, and never leaves the lab on the way;
- that the keys change what the lab's live regions (``aria-live``, :mod:`mailsec.labs.frame`)
  show: the result a screen reader announces;
- that every slider has its visible label as its accessible name.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

# What the browser's Tab key stops at inside a lab (JupyterLab's own interface is out of scope).
_FOCUSABLE = (
    "button, input, select, textarea, summary, a[href], [contenteditable], "
    "[tabindex]:not([tabindex='-1'])"
)
# The lab's focusable controls in document order, visible and enabled, with their boxes.
_CONTROLS = """(lab, sel) => [...lab.querySelectorAll(sel)]
    .filter(e => !e.disabled && e.offsetParent !== null && e.getAttribute('tabindex') !== '-1')
    .map(e => { const r = e.getBoundingClientRect();
                return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,
                        left: r.left}; })"""
# The index of the focused element among the lab's controls, -1 outside them.
_FOCUSED = """(lab, sel) => [...lab.querySelectorAll(sel)]
    .filter(e => !e.disabled && e.offsetParent !== null && e.getAttribute('tabindex') !== '-1')
    .indexOf(document.activeElement)"""


@dataclass(frozen=True)
class Case:
    notebook: str
    lab: str  # a CSS selector of the lab
    # Each step: Tab forward to a control (a selector inside the lab), then press keys on it.
    # MENU stands for "the next choice of a menu": ArrowDown, or ArrowUp at the menu's last one.
    steps: tuple[tuple[str, tuple[str, ...]], ...]


MENU = ("menu",)
CASES = [
    Case("00-start-here.ipynb", ".mailsec-lab", ((".mailsec-sending select", MENU),)),
    Case(
        "01-pop3-vs-imap4.ipynb",
        ".mailsec-retrieval-lab",
        (
            (".mailsec-retrieval-protocol button:has-text('IMAP4')", ("Space",)),
            (".mailsec-retrieval-quota input", ("ArrowLeft",) * 3),
        ),
    ),
    Case("02-op25b.ipynb", ".mailsec-op25b-lab", ((".mailsec-op25b-destination select", MENU),)),
    Case(
        "03-spf.ipynb",
        ".mailsec-spf-limit-lab",
        ((".mailsec-spf-includes input", ("ArrowRight",) * 8),),
    ),
    Case(
        "04-hybrid-encryption.ipynb",
        ".mailsec-hybrid-plot",
        (
            (".mailsec-plot-metric button:has-text('bytes sent')", ("Enter",)),
            (".mailsec-plot-recipients input", ("ArrowRight",) * 3),
        ),
    ),
    Case("05-smime.ipynb", ".mailsec-smime-message", ((".mailsec-smime-transit select", MENU),)),
    Case("06-pgp.ipynb", ".mailsec-pgp-lab", ((".mailsec-pgp-reader select", MENU),)),
    Case(
        "07-dkim-dmarc.ipynb",
        ".mailsec-dkim-canonicalization",
        ((".mailsec-dkim-body-canon select", MENU), (".mailsec-dkim-length input", ("Space",))),
    ),
    Case(
        "08-transport-security.ipynb",
        ".mailsec-wiretap-lab",
        ((".mailsec-wiretap-setting select", MENU),),
    ),
    Case(
        "09-capstone.ipynb",
        ".mailsec-scenario-lab",
        ((".mailsec-scenario-picker select", MENU), (".mailsec-scenario-run", ("Enter",))),
    ),
    Case(
        "90-exam-practice.ipynb",
        ".mailsec-exam-lab",
        ((".mailsec-exam-choice button", ("Space",)), (".mailsec-exam-score-button", ("Enter",))),
    ),
    Case(
        "ja/03-spf.ipynb",
        ".mailsec-spf-limit-lab",
        ((".mailsec-spf-includes input", ("ArrowRight",) * 8),),
    ),
]


def _live_text(lab) -> str:
    return "\n".join(lab.locator("[aria-live]").all_inner_texts())


def _in_reading_order(boxes: list[dict]) -> bool:
    """Each control is to the right of the one before on the same row, or below it."""
    for before, after in itertools.pairwise(boxes):
        same_row = after["top"] < before["bottom"] - 2 and before["top"] < after["bottom"] - 2
        if same_row and after["left"] < before["left"]:
            return False
        if not same_row and after["top"] < before["top"]:
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c.notebook.removesuffix(".ipynb") for c in CASES])
def test_lab_works_with_the_keyboard_alone(notebook, screenshot, case: Case) -> None:
    page = notebook(case.notebook)
    lab = page.locator(case.lab).first
    lab.scroll_into_view_if_needed()
    expect(lab.locator("[aria-live]").first).to_be_attached(timeout=20_000)
    for slider in lab.locator("input[type=range]").all():
        label = slider.evaluate("e => e.labels[0].textContent")
        expect(slider).to_have_accessible_name(label.strip())

    # Into the lab with the keyboard: click the heading (no control), then Tab.
    # JupyterLab focuses the cell on the click; the lab's first control is a few Tabs on (past
    # the cell's own focusable parts, if any), and the first control reached must be the first.
    lab.locator("h3").first.click()
    for _ in range(6):
        page.keyboard.press("Tab")
        if lab.evaluate(_FOCUSED, _FOCUSABLE) >= 0:
            break
    boxes = lab.evaluate(_CONTROLS, _FOCUSABLE)
    assert boxes, "the lab has no control to focus"
    assert _in_reading_order(boxes), f"{case.notebook}: controls not laid out in reading order"
    walked = [lab.evaluate(_FOCUSED, _FOCUSABLE)]
    for _ in range(len(boxes) - 1):
        page.keyboard.press("Tab")
        walked.append(lab.evaluate(_FOCUSED, _FOCUSABLE))
    assert walked == list(range(len(boxes))), (
        f"{case.notebook}: Tab order {walked}, focus on "
        + page.evaluate("document.activeElement.outerHTML")[:300]
    )
    for _ in range(len(boxes) - 1):  # and back with Shift+Tab
        page.keyboard.press("Shift+Tab")
    assert lab.evaluate(_FOCUSED, _FOCUSABLE) == 0

    # To each step's control with Tab only, then operate it with keys.
    before = _live_text(lab)
    for selector, keys in case.steps:
        target = lab.locator(selector).first
        for _ in range(len(boxes)):
            if target.evaluate("e => e === document.activeElement"):
                break
            page.keyboard.press("Tab")
        expect(target).to_be_focused()
        if keys == MENU:
            chosen = target.input_value()
            page.keyboard.press("ArrowDown")
            if target.input_value() == chosen:
                page.keyboard.press("ArrowUp")
            assert target.input_value() != chosen, f"{selector}: the menu did not move"
        else:
            for key in keys:
                page.keyboard.press(key)
    page.wait_for_function(
        "([lab, before]) => [...lab.querySelectorAll('[aria-live]')]"
        ".map(e => e.innerText).join('\\n') !== before",
        arg=[lab.element_handle(), before],
        timeout=20_000,
    )
    assert _live_text(lab) != before
    screenshot(page, f"keyboard-{case.notebook.replace('/', '-').removesuffix('.ipynb')}")
