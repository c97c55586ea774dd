"""Notebook runs under nbval: expected outputs from cell metadata, and outputs a learner can read.

1. Hand nbval the expected outputs that notebooks keep in cell metadata (see tests/nbexpected.py).
2. Fail any notebook cell whose output Jupyter would show as code instead of rendering it: a
   quoted string of HTML (a render function that returned ``str``), HTML printed as text, or the
   ``repr`` of a widget or other object.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import nbformat
import pytest

_QUOTED_HTML = re.compile(r"""^\s*['"]\s*<""")
_HTML_TEXT = re.compile(r"^\s*<(table|div|svg|span|p|ul|ol|figure|details|h\d)\b", re.IGNORECASE)
_OBJECT_REPR = re.compile(r"^\s*<[\w.]+( object)? at 0x[0-9a-f]+>|^\s*[A-Z]\w*\((children|layout)=")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None or type(item).__name__ != "IPyNbCell":
            continue
        expected = cell.get("metadata", {}).get("mailsec", {}).get("expected_outputs")
        if expected is not None:
            cell.outputs = [nbformat.from_dict(o) for o in expected]
            cell.execution_count = 1


def unrendered(output: dict[str, Any]) -> str | None:
    """Why Jupyter would show ``output`` as raw text instead of rendering it, or None."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
        return "HTML printed as text" if _HTML_TEXT.match(text) else None
    data = output.get("data") or {}
    if set(data) != {"text/plain"}:
        return None  # something richer than text is there, and Jupyter shows that
    text = data["text/plain"]
    if _QUOTED_HTML.match(text):
        return "a quoted string of HTML"
    if _OBJECT_REPR.match(text):
        return "the repr of an object"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    if type(item).__name__ == "IPyNbCell":
        for output in getattr(item, "test_outputs", None) or []:
            why = unrendered(output)
            if why:
                shown = (output.get("data") or {}).get("text/plain") or output.get("text", "")
                pytest.fail(
                    f"{item.name} shows {why} instead of rendered output: {shown[:120]!r}. "
                    "Return an object with _repr_html_ (mailsec.render.html.Fragment).",
                    pytrace=False,
                )
    return result
