"""Real-browser tests: JupyterLab on 127.0.0.1 driven by headless Chromium through Playwright.

One JupyterLab server and one browser serve the whole session. The notebooks are copied into a
temporary folder first, so running them in the browser never writes outputs into the repository.

Before "Run All Cells" the fixture waits until the notebook's kernel is connected and idle, as
JupyterLab's own state says (the server is started with ``expose_app_in_browser``, which makes
the app ``window.jupyterapp``). The page alone cannot tell: until a kernel is attached, the
toolbar's execution indicator shows its default state, "idle" (JupyterLab 4.6), and a Run All
clicked then makes JupyterLab ask which kernel to start while it is already starting one; the
cells then wait for a kernel that is shut down.

A chapter's browser test looks like::

    def test_spf_lab(notebook, screenshot):
        page = notebook("03-spf.ipynb")          # opened, kernel ready, all cells run
        lab = page.locator(".mailsec-lab").first
        ...                                      # operate a control, wait for the result to change
        screenshot(page, "03-spf")

Screenshots go to ``artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailsec.retrieval.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("MAILSEC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
TOKEN = "mailsec-browser-test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def jupyter_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start JupyterLab on 127.0.0.1 over a copy of the notebooks; yields its base URL."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium'; .ci/run installs it)"
        )
    workdir = tmp_path_factory.mktemp("lab")
    shutil.copytree(NOTEBOOKS, workdir / "notebooks")
    settings = workdir / "settings"
    # Render every cell (no windowing), so what the test reads is on the page and in screenshots.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}', encoding="utf-8"
    )
    port = free_port()
    # The course's own Jupyter configuration (it turns the news pop-up off), as an installed
    # course has it in <prefix>/etc/jupyter; an editable install does not copy data files.
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTER_CONFIG_DIR=str(workdir / "cfg"),
        JUPYTER_CONFIG_PATH=str(ROOT / "jupyter-config"),
    )
    log = (workdir / "jupyter.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={TOKEN}",
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={workdir / 'notebooks'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(
                        "JupyterLab did not start:\n"
                        + (workdir / "jupyter.log").read_text(errors="replace")[-3000:]
                    ) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(jupyter_url: str) -> Iterator[object]:
    """One headless Chromium for the session."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


# The notebook at ``path`` is the current document and its kernel is connected and idle.
_KERNEL_READY = """(path) => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    if (!panel || !panel.context || panel.context.path !== path || !panel.sessionContext) {
        return false;
    }
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
# Every code cell has a number in its prompt and the kernel is idle, or some cell has shown an
# error, or a dialog is asking something.
_ALL_RUN = """() => {
    if (document.querySelector('.jp-Dialog')) return true;
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
    const error = document.querySelector("[data-mime-type='application/vnd.jupyter.error']");
    const idle = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
    return prompts.length > 0 && idle !== null
        && (error !== null || prompts.every(p => /\\[\\d+\\]/.test(p.textContent)));
}"""


def _no_dialog(page) -> None:
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise AssertionError(f"JupyterLab asks: {dialog.first.inner_text()[:300]!r}")


def _run_all(page, path: str, timeout_ms: int) -> None:
    """Wait for the kernel, run all cells from the menu and wait until every cell has run."""
    page.wait_for_function(_KERNEL_READY, arg=path, timeout=timeout_ms)
    _no_dialog(page)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(_ALL_RUN, timeout=timeout_ms)
    _no_dialog(page)


@pytest.fixture
def notebook(browser, jupyter_url: str) -> Iterator[Callable[..., object]]:
    """Open a notebook in JupyterLab, wait for its kernel, run all cells; returns the page."""
    pages = []

    def open_notebook(name: str, *, timeout_ms: int = 120_000):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        pages.append(context)
        # A workspace of its own, reset, so no notebook opened by an earlier test comes back.
        workspace = f"test{len(pages)}"
        page.goto(
            f"{jupyter_url}/lab/workspaces/{workspace}/tree/{name}?reset&token={TOKEN}",
            wait_until="domcontentloaded",
        )
        page.wait_for_selector(".jp-Notebook", timeout=timeout_ms)
        # Close the file browser so the notebook has the width of the page.
        page.locator(".jp-SideBar .lm-TabBar-tab.lm-mod-current").first.click()
        _run_all(page, name, timeout_ms)
        tracebacks = page.locator(
            ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
        )
        assert tracebacks.count() == 0, (
            f"a cell of {name} raised: {tracebacks.first.inner_text()[:500]}"
        )
        return page

    yield open_notebook
    for context in pages:
        context.close()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, name)`` saves the visible page under artifacts/screenshots/name.png."""

    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return save
