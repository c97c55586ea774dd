"""Two widgets the labs need for keyboard and screen-reader users, drawn by small ``anywidget``
front ends (see :mod:`mailsec.labs.frame`, *Accessibility*, for why ipywidgets' own do not do):

- :class:`Slider` (:func:`slider`): a native ``<input type="range">`` inside its ``<label>``;
- :class:`LiveHTML` (:func:`live`): an HTML area that is an ARIA live region from its first render.
"""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

__all__ = ["LiveHTML", "Slider", "live", "slider"]

_SLIDER_ESM = """
function render({ model, el }) {
  // The range sits inside its label, which names it without an id (ids made here could clash
  // between widgets whose module is loaded apart).
  const label = document.createElement("label");
  label.className = "mailsec-slider-field";
  const text = document.createElement("span");
  text.className = "mailsec-slider-label widget-label-basic";
  const input = document.createElement("input");
  input.type = "range";
  input.className = "mailsec-slider-input";
  label.append(text, input);
  const readout = document.createElement("output");
  readout.className = "mailsec-slider-readout";
  readout.setAttribute("aria-hidden", "true"); // the range itself tells its value
  el.classList.add("mailsec-slider", "widget-inline-hbox");
  el.append(label, readout);
  const draw = () => {
    text.textContent = model.get("description");
    input.min = String(model.get("min"));
    input.max = String(model.get("max"));
    input.step = String(model.get("step"));
    input.value = String(model.get("value"));
    input.disabled = model.get("disabled");
    readout.textContent = String(model.get("value"));
  };
  input.addEventListener("input", () => { readout.textContent = input.value; });
  // The arrow keys move the slider, not JupyterLab's cell cursor.
  input.addEventListener("keydown", (event) => event.stopPropagation());
  input.addEventListener("change", () => {
    model.set("value", Number(input.value));
    model.save_changes();
  });
  const names = ["description", "min", "max", "step", "value", "disabled"];
  for (const name of names) model.on(`change:${name}`, draw);
  draw();
  return () => { for (const name of names) model.off(`change:${name}`, draw); };
}
export default { render };
"""
_SLIDER_CSS = """
.mailsec-slider { display: flex; align-items: center; gap: 8px;
  min-height: var(--jp-widgets-inline-height, 28px); }
.mailsec-slider-field { display: flex; flex: 1 1 auto; align-items: center; gap: 8px; }
.mailsec-slider-label { flex: none; font-size: var(--jp-widgets-font-size, 13px);
  color: var(--jp-widgets-label-color, inherit); }
.mailsec-slider-input { flex: 1 1 auto; min-width: 80px; margin: 0;
  accent-color: var(--jp-brand-color1, #1976d2); }
.mailsec-slider-input:focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2);
  outline-offset: 2px; }
.mailsec-slider-readout { flex: none; min-width: 3em; font-size: var(--jp-widgets-font-size, 13px); }
"""


class Slider(anywidget.AnyWidget):
    """A whole-number slider named by its visible label: a native ``<label>`` + ``<input
    type="range">`` (module docstring, *Accessibility*).

    ``value`` is kept within ``min``-``max`` as ipywidgets' ``IntSlider`` keeps it: a value outside
    is clamped, and moving ``min`` or ``max`` past the value moves the value with it.
    """

    _esm = _SLIDER_ESM
    _css = _SLIDER_CSS
    value = traitlets.Int(0).tag(sync=True)
    min = traitlets.Int(0).tag(sync=True)
    max = traitlets.Int(100).tag(sync=True)
    step = traitlets.Int(1).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, *, value: int = 0, min: int = 0, max: int = 100, **kwargs: Any) -> None:
        # min and max first, so the value is clamped into the range it is given with.
        super().__init__(min=min, max=max, **kwargs)
        self.value = value

    @traitlets.validate("value")
    def _clamp(self, proposal: Any) -> int:
        # Inside a method, min and max are the built-ins (the traits are class attributes).
        return min(max(int(proposal.value), self.min), self.max)

    @traitlets.validate("min")
    def _valid_min(self, proposal: Any) -> int:
        low = int(proposal.value)
        if low > self.max:
            raise traitlets.TraitError(f"min {low} is above max {self.max}")
        if low > self.value:
            self.value = low
        return low

    @traitlets.validate("max")
    def _valid_max(self, proposal: Any) -> int:
        high = int(proposal.value)
        if high < self.min:
            raise traitlets.TraitError(f"max {high} is below min {self.min}")
        if high < self.value:
            self.value = high
        return high


def slider(
    description: str,
    value: int,
    low: int,
    high: int,
    css: str,
    *,
    step: int = 1,
    width: str | None = None,
    disabled: bool = False,
) -> Slider:
    """A :class:`Slider` from ``low`` to ``high`` with the CSS class ``css``, ``width`` wide
    (label, slider and value together)."""
    made = Slider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        disabled=disabled,
        layout=widgets.Layout(width=width),
    )
    made.add_class(css)
    return made


_LIVE_ESM = """
function render({ model, el }) {
  el.classList.add("widget-html", "widget-inline-hbox");
  el.setAttribute("aria-live", "polite");
  const role = model.get("role");
  if (role) el.setAttribute("role", role);
  const content = document.createElement("div");
  content.className = "widget-html-content";
  el.append(content);
  const draw = () => { content.innerHTML = model.get("value"); };
  model.on("change:value", draw);
  draw();
  // Keys pressed inside the lab belong to its controls, not to JupyterLab's notebook shortcuts
  // (arrows would move to another cell, Enter would open the cell for editing).
  let tries = 0;
  const claim = () => {
    const lab = el.closest(".mailsec-lab");
    if (lab && !lab.dataset.mailsecKeys) {
      lab.dataset.mailsecKeys = "own";
      lab.addEventListener("keydown", (event) => {
        if (event.key !== "Escape") event.stopPropagation();
      });
    } else if (!lab && tries++ < 50) setTimeout(claim, 100);
  };
  claim();
  return () => model.off("change:value", draw);
}
export default { render };
"""


class LiveHTML(anywidget.AnyWidget, widgets.HTML):
    """An HTML area that is an ARIA live region (``aria-live="polite"``, and ``role`` if given)
    from its first render, even empty, so a screen reader announces each new ``value``.

    ipywidgets' ``HTML`` replaces its whole content on each change, so a live region written into
    ``value`` would be new each time, and a new region is not announced: the region here is the
    widget's own element, which stays. It is an ``HTML`` widget for Python (``value``, and
    ``isinstance`` checks), drawn by its own small front end.
    """

    _esm = _LIVE_ESM
    role = traitlets.Unicode("").tag(sync=True)


def live(value: str = "", *, role: str = "") -> LiveHTML:
    """An HTML area that announces its changes politely (:class:`LiveHTML`); ``role="status"``
    for a status line."""
    return LiveHTML(value=value, role=role)
