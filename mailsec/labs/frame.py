"""The lab frame every chapter's lab is built on.

A :class:`Lab` is an ipywidgets ``VBox`` with a title, an introduction, the controls, an error area,
a result area and an explanation area. A lab's callback parses the controls, calls one pure function
of :mod:`mailsec`, hands the result to a renderer in :mod:`mailsec.render` and puts the HTML into the
result areas. Wrapping the callback with :meth:`Lab.action` gives every lab the same behaviour:

- bad input (an :class:`~mailsec.errors.MailsecError`) is shown as a plain-language message in the
  lab. When the inputs changed, the result of the old inputs is cleared with it, so no result is
  ever shown beside inputs it does not belong to; when a button's action is refused, nothing
  changed, and the result stays;
- an unexpected error is shown as a short message too, never a traceback (the exception is kept in
  ``lab.last_exception`` for whoever debugs it);
- every call is timed into ``lab.timings`` (seconds), which the latency benchmarks read.

Results are written into widget values (``HTML.value``), not printed into ``Output`` widgets, so they
work headless in tests and under nbval, and a test can read them.

Where widgets cannot be displayed (a static render, or a front end without ipywidgets) the lab's
current result is shown as plain HTML with a hint on how to make it interactive.

**Language.** Every lab factory takes ``lang=None`` and passes it on to its lab's constructor
(``SpfLab(..., lang=lang)``): a lab then builds its widgets and runs every callback wrapped by
:meth:`Lab.action` inside :func:`mailsec.i18n.using` ``(lang)`` (None: the kernel's language, see
:func:`mailsec.set_language`). Every subclass of :class:`Lab` declares it in its own signature, as
a keyword-only ``lang: str | None = None`` that it passes on to ``super().__init__(...,
lang=lang)``, so a type checker sees the parameter the factories pass. The frame
(``__init_subclass__``) wraps each subclass's ``__init__``: the wrapper checks ``lang`` (a bad one
is refused before anything is built), sets :attr:`Lab.lang` and runs the subclass's whole
``__init__`` -- the widgets it makes before it calls ``super().__init__`` too -- in that language.
A subclass whose ``__init__`` does not take ``lang`` is refused when the class is made. A factory
that makes widgets *before* it makes its lab builds them inside ``using(lang)`` too.

**Accessibility.** Every control must have the name a screen reader announces, its visible label,
and every lab must work with the keyboard alone:

- *Sliders* are :class:`Slider` (made with :func:`slider`), not ipywidgets' ``IntSlider``. An
  ``IntSlider`` draws its handle with noUiSlider, a ``div role="slider"`` that gets no name: its
  description is a ``<label>`` tied to nothing, and ipywidgets passes noUiSlider no handle
  attributes, so axe-core reports ``aria-input-field-name`` and a screen reader says only
  "slider, 4". Naming the handle from Python is impossible (the widget has no trait that reaches
  it), and patching ipywidgets' view from page scripts would be fragile. :class:`Slider` is a small
  ``anywidget`` widget (a custom widget whose JavaScript travels with it, no JupyterLab extension
  to build; the ``anywidget`` package ships its front end for JupyterLab 4 and Notebook 7) that
  draws a native ``<input type="range">`` inside its ``<label>``, with its value beside it in an
  ``<output>``: the browser names the range by its label, moves it with the arrow keys, Home, End and Page Up/Down, and sighted users
  still see a slider with its value beside it. It keeps the traits the labs and tests use
  (``value``, ``min``, ``max``, ``step``, ``description``, ``disabled``, ``observe("value")``),
  clamps ``value`` into ``min``-``max`` as ``IntSlider`` does, and sends the new value when the
  learner lets go (a drag's end, each key press), so a lab recomputes once per move.
- *Result areas* announce their changes politely. A live region announces changes to content it
  already holds, so it must be on the page before the result changes, and stay: wrapping the
  HTML written into an ipywidgets ``HTML`` in ``<div aria-live>`` would not do, since that widget
  replaces its whole content, region and all, on each change. The lab's result and explanation
  areas are :class:`LiveHTML` instead (made with :func:`live`): an ``HTML`` widget for Python
  (``value``, ``isinstance``), drawn by a small ``anywidget`` front end whose own element is the
  region, ``aria-live="polite"`` from the first render, even empty. A lab's status line is
  ``live(role="status")``. The error area keeps a plain ``HTML``: the error box
  (:func:`~mailsec.render.html.error_box`) is ``role="alert"``, which is announced when it appears.
- *Keys* pressed in a lab go to its controls: JupyterLab's notebook shortcuts act on any focused
  element that is not a text field (the arrow keys would move to another cell instead of through a
  menu or along a slider, Enter would open a cell for editing instead of pressing a button), so
  :class:`LiveHTML`, which every lab has, keeps the keys pressed in its lab from reaching
  JupyterLab (it stops their propagation at the lab's element, as ipywidgets' text boxes do for
  themselves), all but Escape, which still leaves for the notebook; Tab still moves focus, which
  is the browser's own behaviour.
- *Tab order* is the order of the controls in the lab, top to bottom and left to right, as
  ipywidgets' boxes lay them out; the browser test ``tests/browser/test_keyboard.py`` drives one
  lab a chapter with the keyboard alone.
"""

from __future__ import annotations

import functools
import inspect
import math
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

import ipywidgets as widgets

from mailsec.errors import MailsecError
from mailsec.i18n import checked, texts, using
from mailsec.labs.accessible import Slider, live, slider
from mailsec.render.html import FONT, callout, error_box, escape

__all__ = [
    "Lab",
    "Slider",
    "button",
    "checkbox",
    "close_all",
    "dropdown",
    "live",
    "percentile",
    "slider",
    "tagged",
    "text_box",
]

F = TypeVar("F", bound=Callable[..., Any])
W = TypeVar("W", bound=widgets.DOMWidget)

TEXT = texts(
    {
        "static_hint": "This is a still picture of the lab. To change its inputs, open the "
        "notebook in JupyterLab (locally or on Binder) and run the cells (menu <em>Run ▸ Run All "
        "Cells</em>); the controls then appear here.",
        "static_title": "Interactive lab",
        "plain": "{title} (interactive lab: run this notebook in JupyterLab)",
        "unexpected": "Something unexpected went wrong inside the lab ({kind}: {error}). Change "
        "the inputs and try again; if it keeps happening, please report it.",
    }
)
"""The frame's own sentences (see :mod:`mailsec.i18n`)."""

_UNSET: Any = object()


def _in_language(init: Callable[..., None]) -> Callable[..., None]:
    """A lab class's ``__init__`` that runs inside ``using(lang)``, ``lang`` being the keyword it
    is called with (module docstring); it still receives ``lang`` itself.

    The outermost ``__init__`` decides: a ``super().__init__(...)`` without ``lang`` keeps the
    one already set.
    """
    if "lang" not in inspect.signature(init).parameters:
        raise TypeError(
            f"{init.__qualname__} must take lang: str | None = None (see mailsec.labs.frame)"
        )

    @functools.wraps(init)
    def wrapper(self: Lab, *args: Any, **kwargs: Any) -> None:
        lang = kwargs.get("lang", _UNSET)
        if lang is not _UNSET:
            self.lang = None if lang is None else checked(lang)  # refused before anything is built
        with using(self.lang):
            init(self, *args, **kwargs)

    return wrapper


class Lab(widgets.VBox):
    """A lab: title, introduction, controls, error, result and explanation.

    ``below_result`` widgets (a replay button and its output, say) sit between the result and the
    explanation. ``lang`` is the lab's language (module docstring).
    """

    lang: str | None = None
    """The lab's language: None follows the kernel's (:func:`mailsec.set_language`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            # A deliberate patch of the class's method, which a plain assignment would hide from
            # the type checker (method-assign); the wrapper keeps the signature the class declares.
            setattr(cls, "__init__", _in_language(cls.__dict__["__init__"]))  # noqa: B010

    def __init__(
        self,
        title: str,
        *,
        intro: str = "",
        controls: Sequence[widgets.Widget] = (),
        below_result: Sequence[widgets.Widget] = (),
        lang: str | None = _UNSET,
    ) -> None:
        if lang is not _UNSET:
            self.lang = None if lang is None else checked(lang)
        self.title = title
        self.header = widgets.HTML(
            f'<div style="{FONT}"><h3 style="margin:4px 0">{escape(title)}</h3>'
            + (f'<p style="margin:2px 0 6px">{intro}</p>' if intro else "")
            + "</div>"
        )
        self.controls = widgets.VBox(list(controls))
        self.error = widgets.HTML("")
        self.result = live()
        self.explanation = live()
        self.timings: deque[float] = deque(maxlen=100_000)
        self.last_exception: BaseException | None = None
        super().__init__(
            [
                self.header,
                self.controls,
                self.error,
                self.result,
                *below_result,
                self.explanation,
            ],
            layout=widgets.Layout(border="1px solid #c8d1dc", padding="6px 10px", margin="6px 0"),
        )
        self.add_class("mailsec-lab")

    # -- showing results ------------------------------------------------------------------------

    def show(self, result_html: str, explanation_html: str = "") -> None:
        """Put a new result on screen and clear any error."""
        self.error.value = ""
        self.result.value = result_html
        self.explanation.value = explanation_html

    def show_error(self, message: str, *, keep_result: bool = False) -> None:
        """Show a plain-language error, and clear the result unless it still holds."""
        self.error.value = error_box(message)
        if not keep_result:
            self.result.value = ""
            self.explanation.value = ""

    # -- callbacks ------------------------------------------------------------------------------

    def action(self, fn: F, *, keep_result: bool = False) -> F:
        """Wrap a callback: time it, and turn any exception into a message in the lab.

        ``keep_result`` says that a failure leaves the inputs as they were (a refused button
        action), so the result on screen still belongs to them.
        """

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            with using(self.lang):
                try:
                    return fn(*args, **kwargs)
                except MailsecError as exc:
                    self.last_exception = exc
                    self.show_error(exc.message, keep_result=keep_result)
                except Exception as exc:
                    self.last_exception = exc
                    self.show_error(
                        TEXT["unexpected"].format(kind=type(exc).__name__, error=exc),
                        keep_result=keep_result,
                    )
                finally:
                    self.timings.append(time.perf_counter() - start)
            return None

        # The wrapper takes the arguments ``fn`` takes and returns what it returns, or None where
        # ``fn`` failed: the callbacks' results are not used, so it stands in for ``fn``.
        return cast(F, wrapper)

    def on_change(self, controls: Iterable[widgets.Widget], fn: Callable[[], None]) -> None:
        """Run ``fn`` (wrapped by :meth:`action`) whenever one of ``controls`` changes value."""
        wrapped = self.action(fn)
        for control in controls:
            control.observe(lambda _change: wrapped(), names="value")

    def on_click(self, button: widgets.Button, fn: Callable[[], None]) -> None:
        """Run ``fn`` (wrapped by :meth:`action`) when ``button`` is clicked.

        A click changes no input, so a refused action keeps the result on screen.
        """
        wrapped = self.action(fn, keep_result=True)
        button.on_click(lambda _b: wrapped())

    def close_with(self, stop: Callable[[], object], controls: Iterable[widgets.Widget]) -> None:
        """Close a lab that runs servers: ``stop`` them, disable ``controls``, and close every
        widget inside the lab and the lab itself (ipywidgets keeps open widgets alive, so closing
        is what lets the lab go; labs also stop their servers in a finalizer at exit)."""
        stop()
        for control in controls:
            control.disabled = True
        for child in self.children:
            close_all(child)
        widgets.VBox.close(self)

    # -- static view ----------------------------------------------------------------------------

    def static_html(self) -> str:
        """The lab as plain HTML: title, current result and explanation, and the hint."""
        with using(self.lang):
            hint = callout(TEXT["static_hint"], title=TEXT["static_title"])
        return (
            f'<div class="mailsec-lab-static" style="{FONT}">'
            f"{self.header.value}{self.error.value}{self.result.value}{self.explanation.value}"
            f"{hint}</div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/html"] = self.static_html()
            with using(self.lang):
                bundle["text/plain"] = TEXT["plain"].format(title=self.title)
        return bundle


FONT_PX = 13
"""JupyterLab's widget font size (px)."""
_MENU_ROOM_PX = 44
"""A menu's own padding and its arrow, besides the label (px)."""
_MENU_MOST_PX = 900
"""No menu grows wider than a lab (a longer label is cut, as the browser would)."""


def text_px(text: str) -> float:
    """A generous estimate of ``text``'s width in the widgets' font (px): 0.6 em a character,
    1 em a wide (Japanese) one."""
    return sum(FONT_PX * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6) for c in text)


def _px(width: object) -> float | None:
    text = str(width or "")
    return (
        float(text[:-2]) if text.endswith("px") and text[:-2].replace(".", "").isdigit() else None
    )


def fit_menu(picker: widgets.Dropdown) -> widgets.Dropdown:
    """Make ``picker`` wide enough to show its description and its longest choice whole, now and
    whenever its choices change: a menu keeps the width it was given unless a label needs more,
    as Japanese labels often do. The layout is replaced, not changed, since labs share layouts.
    Returns ``picker``."""

    def fit(_change: object = None) -> None:
        labels = picker._options_labels or ("",)
        description = _px(picker.style.description_width)
        if description is None:
            description = text_px(picker.description) + 8 if picker.description else 0
        need = min(
            _MENU_MOST_PX,
            math.ceil(description + _MENU_ROOM_PX + max(text_px(label) for label in labels)),
        )
        given = _px(picker.layout.width)
        if given is None or need > given:
            state = picker.layout.get_state()
            kept = {k: v for k, v in state.items() if not k.startswith("_") and v is not None}
            picker.layout = widgets.Layout(**{**kept, "width": f"{need}px"})

    fit()
    picker.observe(fit, names="options")
    return picker


def dropdown(
    description: str, options: Sequence[object], value: object, css: str, *, width: str = "560px"
) -> widgets.Dropdown:
    """A labelled menu with the CSS class ``css``, which browser tests use to find it, at least
    ``width`` wide and wider where a label needs it (:func:`fit_menu`).

    No option may have the value ``None``: ipywidgets shows such a menu blank, as if nothing were
    picked. Give that option a stand-in value instead.
    """
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    if value is None or any(v is None for v in values):
        raise ValueError(
            f"The menu {description!r} has an option with the value None, which ipywidgets shows "
            "as a blank menu; use a stand-in value."
        )
    picker = widgets.Dropdown(
        options=list(options),
        value=value,
        description=description,
        style={"description_width": "initial"},
        layout=widgets.Layout(width=width),
    )
    return tagged(fit_menu(picker), css)


def text_box(
    value: str, description: str, css: str, *, width: str = "560px", label: str = "140px"
) -> widgets.Text:
    """A one-line text box ``width`` wide, its label ``label`` wide, with the CSS class ``css``."""
    box = widgets.Text(
        value=value,
        description=description,
        style={"description_width": label},
        layout=widgets.Layout(width=width),
    )
    return tagged(box, css)


def tagged(widget: W, *css: str) -> W:
    """``widget`` with the CSS classes ``css`` added, which browser tests use to find it."""
    for name in css:
        widget.add_class(name)
    return widget


def button(
    description: str,
    *css: str,
    tooltip: str | None = None,
    icon: str = "",
    button_style: str = "",
    margin: str | None = None,
) -> widgets.Button:
    """A button as wide as its label (not ipywidgets' fixed width, which cuts long labels off),
    with the CSS classes ``css``."""
    return tagged(
        widgets.Button(
            description=description,
            tooltip=tooltip,
            icon=icon,
            button_style=button_style,
            layout=widgets.Layout(width="auto", margin=margin),
        ),
        *css,
    )


def checkbox(
    description: str,
    css: str,
    *,
    value: bool = False,
    tooltip: str | None = None,
    layout: widgets.Layout | None = None,
) -> widgets.Checkbox:
    """A checkbox with its label on the right and no indent, with the CSS class ``css``.

    Without ``layout`` it keeps ipywidgets' width, which lines checkboxes up in a column.
    """
    box = widgets.Checkbox(value=value, description=description, tooltip=tooltip, indent=False)
    if layout is not None:
        box.layout = layout
    return tagged(box, css)


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q!r} is outside 0-100")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def close_all(widget: widgets.Widget) -> None:
    """Close a widget and everything inside it: a closed box leaves its children open, and an
    open widget stays registered -- with the lab's callbacks, which hold the lab."""
    for child in getattr(widget, "children", ()):
        close_all(child)
    widget.close()
