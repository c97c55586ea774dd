"""Every table the course draws aligns its cells left, whatever the page's own styles say.

JupyterLab's stylesheet right-aligns the cells of rendered HTML tables
(``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td, th, tr { text-align: right }``) and centres
the tables (``margin-left/right: auto``). Inline styles win over it, so every cell carries
``text-align:left`` and every table its own margin.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mailsec.glossary import GLOSSARY
from mailsec.labs.frame import Lab
from mailsec.op25b.scenarios import SCENARIOS
from mailsec.render import openpgp
from mailsec.render.html import glossary_table, kv_table, table
from mailsec.render.op25b import scenarios_table, world_table
from mailsec.render.spf import record_table, results_table


class Tables(HTMLParser):
    """The style of every table and every cell of some HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[str] = []
        self.cells: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = (dict(attrs).get("style") or "").replace(" ", "")
        if tag == "table":
            self.tables.append(style)
        elif tag in ("td", "th"):
            self.cells.append((tag, style))


def misaligned(html: str) -> list[str]:
    found = Tables(html)
    return [
        f"<{tag} style={style!r}>" for tag, style in found.cells if "text-align:left" not in style
    ]


def uncentred(html: str) -> list[str]:
    return [style for style in Tables(html).tables if "margin:" not in style]


STANDALONE = {
    "glossary_table": lambda: glossary_table(*list(GLOSSARY)[:5]),
    "table": lambda: table(("a", "b"), [("1", "2")], caption="c"),
    "kv_table": lambda: kv_table([("name", "value")], caption="c"),
    "record_table": lambda: record_table("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all"),
    "results_table": results_table,
    "world_table": world_table,
    "scenarios_table": lambda: scenarios_table(SCENARIOS),
    "openpgp comparison_table": openpgp.comparison_table,
}


@pytest.mark.parametrize("render", STANDALONE.values(), ids=STANDALONE.keys())
def test_tables_align_their_cells_left(render) -> None:
    html = str(render())
    assert Tables(html).cells, "no cells: the check would pass on nothing"
    assert misaligned(html) == []
    assert uncentred(html) == []


def lab_html(lab: Lab) -> str:
    return lab.result.value + lab.explanation.value + lab.static_html()


def test_every_table_in_every_lab_aligns_its_cells_left(all_labs: dict[str, Lab]) -> None:
    devices = all_labs["devices"]
    shown = {name: lab_html(lab) for name, lab in all_labs.items()}
    devices.step.value = 3  # a step with messages on the server and on the phone
    shown["devices, step 3"] = lab_html(devices)
    tables = sum(len(Tables(html).tables) for html in shown.values())
    assert tables >= 30, "too few tables rendered for the check to mean much"
    bad = {name: misaligned(html) for name, html in shown.items() if misaligned(html)}
    assert bad == {}
    assert {name: uncentred(html) for name, html in shown.items() if uncentred(html)} == {}


def test_every_public_html_renderer_returns_something_jupyter_renders() -> None:
    """A renderer returning ``str`` shows as a quoted string when a notebook cell ends with it."""
    import ast
    from pathlib import Path

    text_helpers = {
        "escape", "format_bytes", "format_seconds", "policy_text", "alt_text",
        "source_text", "note_text", "person",  # plain text the caller puts into a caption or a line
    }  # fmt: skip
    root = Path(__file__).resolve().parents[1] / "mailsec" / "render"
    offenders = []
    for path in sorted(root.glob("*.py")):
        for node in ast.parse(path.read_text("utf-8")).body:
            if (
                isinstance(node, ast.FunctionDef)
                and not node.name.startswith("_")
                and node.name not in text_helpers
                and isinstance(node.returns, ast.Name)
                and node.returns.id == "str"
            ):
                offenders.append(f"{path.name}:{node.name}")
    assert not offenders, f"return a Fragment (mailsec.render.html) from: {offenders}"
