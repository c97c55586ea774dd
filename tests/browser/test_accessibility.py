"""axe-core over every notebook, English and Japanese: open it, Run All, wait until the labs have
rendered, inject axe-core (the npm package pinned in tests/browser/package.json, which .ci/run
installs with ``npm ci``) and check the WCAG 2.0 and 2.1 A and AA rules.

What is checked is the course's own content: the notebook's rendered Markdown cells
(``.jp-MarkdownOutput``) and its cells' outputs (``.jp-OutputArea-output``: HTML, SVG, text and the
labs' widgets). JupyterLab's own interface -- menus, toolbars, side bars, the cells' prompts and
editors -- is out of scope: it is JupyterLab's, not the course's, so the course can neither fix it
nor should its test fail on it (JupyterLab's accessibility is worked on upstream, in the
jupyterlab project). A violation inside the checked areas fails the test with a list of rule,
impact, element and notebook; the full axe results are saved for people to read under
``artifacts/accessibility/<notebook>.json`` (git-ignored; CI uploads them): violations, the
checks axe could not decide and leaves to a person ("incomplete", e.g. a label on an element that
cannot take one in every screen reader), and the rules that passed.

Without axe-core (``npm ci`` not run in tests/browser), the test skips and says how to install it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"  # as in conftest.py
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "artifacts" / "accessibility"

NAMES = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
NOTEBOOK_PATHS = NAMES + [
    f"ja/{name}" for name in sorted(p.name for p in (NOTEBOOKS / "ja").glob("[0-9][0-9]-*.ipynb"))
]

# The course's content on the page (see the module docstring); widget views are inside outputs.
INCLUDE = [".jp-MarkdownOutput", ".jp-OutputArea-output"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Every widget output in the notebook's model has been drawn: as many outputs on the page hold a
# widget view (``.jupyter-widgets``) as the model has outputs of the widget-view type.
_WIDGETS_DRAWN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const expected = panel.context.model.toJSON().cells.flatMap(c => c.outputs || [])
        .filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length;
    const drawn = [...document.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => o.querySelector(':scope > .jupyter-widgets')).length;
    return drawn >= expected;
}"""

_RUN_AXE = """async ([include, tags]) => {
    const context = {include: include.filter(s => document.querySelector(s)).map(s => [s])};
    if (!context.include.length) return {violations: [], incomplete: [], passes: [], empty: true};
    const results = await axe.run(context, {
        runOnly: {type: 'tag', values: tags},
        resultTypes: ['violations', 'incomplete'],
    });
    // Where each element is in the course's terms: its nearest mailsec-* classes (the lab's part).
    for (const rule of [...results.violations, ...results.incomplete]) {
        for (const node of rule.nodes) {
            const target = node.target[node.target.length - 1];
            let e = typeof target === 'string' ? document.querySelector(target) : null;
            node.mailsec = '';
            for (; e && !node.mailsec; e = e.parentElement) {
                node.mailsec = [...e.classList].filter(c => c.startsWith('mailsec-')).join('.');
            }
        }
    }
    return results;
}"""


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        pytest.skip(
            f"axe-core is not installed at {AXE.relative_to(ROOT)}: run `npm ci` in tests/browser "
            "(Debian packages 'nodejs' and 'npm'; .ci/run does both)"
        )
    return AXE


def _describe(path: str, violations: list[dict]) -> str:
    lines = [f"{path}: {sum(len(v['nodes']) for v in violations)} axe violation(s)"]
    for rule in violations:
        for node in rule["nodes"]:
            # The end of axe's CSS path: the element and its nearest parents.
            target = " > ".join(" ".join(map(str, node["target"])).split(" > ")[-3:])
            html = " ".join(node["html"].split())[:160]
            where = f" in .{node['mailsec']}" if node.get("mailsec") else ""
            lines.append(f"- {rule['id']} ({rule['impact']}): {target}{where}\n    {html}")
        lines.append(f"    {rule['help']} ({rule['helpUrl']})")
    return "\n".join(lines)


@pytest.mark.parametrize("path", NOTEBOOK_PATHS)
def test_notebook_passes_axe(axe_script: Path, notebook, path: str) -> None:
    """The rendered Markdown and outputs of ``path`` after Run All have no WCAG 2.0/2.1 A or AA
    violation that axe-core finds. JupyterLab's own interface is not checked: it is not the
    course's (see the module docstring)."""
    page = notebook(path)
    page.wait_for_function(_WIDGETS_DRAWN, polling=250, timeout=60_000)
    page.wait_for_timeout(500)  # the labs' first result, drawn after their widgets
    page.add_script_tag(path=str(axe_script))
    results = page.evaluate(_RUN_AXE, [INCLUDE, TAGS])
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / (path.replace("/", "-").removesuffix(".ipynb") + ".json")
    report.write_text(
        json.dumps(
            {"notebook": path, "include": INCLUDE, "tags": TAGS, **results},
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    assert not results.get("empty"), f"{path}: no rendered Markdown or outputs on the page"
    if results["violations"]:
        pytest.fail(_describe(path, results["violations"]), pytrace=False)


def test_the_readmes_name_the_pinned_axe_core() -> None:
    """The Accessibility section of both READMEs names the axe-core version the test runs."""
    lock = json.loads((Path(__file__).parent / "package-lock.json").read_text("utf-8"))
    version = lock["packages"]["node_modules/axe-core"]["version"]
    manifest = json.loads((Path(__file__).parent / "package.json").read_text("utf-8"))
    assert manifest["dependencies"]["axe-core"] == version  # pinned exactly
    for readme, heading in (
        ("README.md", "## Accessibility"),
        ("README.ja.md", "## アクセシビリティ"),
    ):
        section = (ROOT / readme).read_text("utf-8").split(heading, 1)[1].split("\n## ", 1)[0]
        assert f"axe-core](https://github.com/dequelabs/axe-core) {version}" in section, readme
