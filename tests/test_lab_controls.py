"""Every lab's controls, checked together: menus always show a choice, buttons show their whole label.

These are the pitfalls of ipywidgets that one lab at a time does not reveal:

- a menu option whose value is ``None``: ipywidgets treats the value ``None`` as "nothing selected",
  so the menu shows blank when it starts there and goes blank again when the learner picks it
  (a row of toggle buttons or a column of radio buttons may start with none picked: it still
  shows every option, and that none is picked yet -- an exam question not answered yet);
- a button of the default width (148 px in JupyterLab) cuts a longer label off with "…".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import ipywidgets as widgets

from mailsec.labs.frame import Lab

#: JupyterLab's widget font is 13 px; a button of the default width leaves 128 px for its label
#: (148 px less 10 px padding on each side; ipywidgets 8's widgets CSS).
FONT_PX = 13
DEFAULT_LABEL_ROOM = 128
ICON_PX = 16


def label_width(text: str) -> float:
    """A generous estimate of a label's width in pixels: 0.6 em a character, 1 em for CJK."""
    return sum(FONT_PX * (1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6) for ch in text)


def controls(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from controls(child)


def menus(labs: dict[str, Lab]) -> Iterator[tuple[str, widgets.widget_selection._Selection]]:
    for name, lab in labs.items():
        for control in controls(lab):
            if isinstance(control, widgets.widget_selection._Selection):
                yield f"{name}: {control.description or type(control).__name__}", control


def test_no_menu_option_has_the_value_none(all_labs: dict[str, Lab]) -> None:
    found = [
        f"{where} → {label!r}"
        for where, menu in menus(all_labs)
        for label, value in menu._options_full
        if value is None
    ]
    assert found == []


#: Menus that show every option at once, so that none picked is a state the learner can see.
SHOW_EVERY_OPTION = (widgets.ToggleButtons, widgets.RadioButtons)


def test_every_menu_shows_a_choice_at_start_and_after_each_pick(all_labs: dict[str, Lab]) -> None:
    blank = [
        where
        for where, menu in menus(all_labs)
        if menu.options and menu.index is None and not isinstance(menu, SHOW_EVERY_OPTION)
    ]
    assert blank == []
    for where, menu in menus(all_labs):
        if menu.disabled:
            continue
        start_value = menu.value
        for label, value in list(menu._options_full):
            menu.value = value
            assert menu.index is not None and menu.label == label, f"{where}: {label!r}"
        menu.value = start_value


def with_parents(widget: widgets.Widget) -> Iterator[tuple[widgets.Widget, widgets.Widget]]:
    for child in getattr(widget, "children", ()) or ():
        yield child, widget
        yield from with_parents(child)


def test_every_button_is_sized_to_its_label(all_labs: dict[str, Lab]) -> None:
    """Width "auto" fits the label in a row (HBox, Box); in a column (VBox) it stretches across."""
    cut = []
    for name, lab in all_labs.items():
        for control, parent in with_parents(lab):
            if isinstance(control, widgets.Button) and control.layout.width != "auto":
                cut.append(f"{name}: {control.description!r} has width {control.layout.width}")
            if (
                isinstance(control, widgets.Button)
                and isinstance(parent, widgets.VBox)
                and control.layout.align_self is None
            ):
                cut.append(f"{name}: {control.description!r} stretches across its column")
            if isinstance(control, widgets.ToggleButtons) and control.style.button_width != "auto":
                cut.extend(
                    f"{name}: {label!r} in {control.description!r} is cut off"
                    for label in control._options_labels
                    if label_width(label) > DEFAULT_LABEL_ROOM
                )
    assert cut == []


def test_a_long_label_is_estimated_as_cut_off() -> None:
    assert label_width("Check with live DNS") > DEFAULT_LABEL_ROOM
    assert label_width("ライブのDNSで確認する") > DEFAULT_LABEL_ROOM
    assert label_width("Run") < DEFAULT_LABEL_ROOM
