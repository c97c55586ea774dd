"""Chapter 00 in a real browser: run all cells, change the journey lab, see the result change."""

from __future__ import annotations

from playwright.sync_api import expect

from mailsec.journey import Sending


def test_start_here_lab_answers_in_the_browser(notebook, screenshot) -> None:
    page = notebook("00-start-here.ipynb")
    lab = page.locator(".mailsec-lab").first
    expect(lab).to_contain_text("✓ delivered", timeout=20_000)
    assert "dropped by OP25B" not in lab.text_content()

    lab.locator(".mailsec-sending select").select_option(label=Sending.DIRECT_TO_MX.value)
    expect(lab).to_contain_text("✗ not delivered", timeout=10_000)
    assert "dropped by OP25B" in lab.text_content()

    lab.scroll_into_view_if_needed()
    path = screenshot(page, "00-start-here")
    assert path.stat().st_size > 10_000

    # The course's Jupyter configuration turns JupyterLab's news pop-up off: nothing covers the labs.
    expect(page.get_by_text("official Jupyter news")).to_have_count(0)
    disabled = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions"
    )
    assert "@jupyterlab/apputils-extension:announcements" in disabled
