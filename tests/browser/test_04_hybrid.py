"""Chapter 04 in a real browser: run all cells, flip a bit, change a signed message, switch the plot."""

from __future__ import annotations

from playwright.sync_api import expect


def test_hybrid_labs_answer_in_the_browser(notebook, screenshot) -> None:
    page = notebook("04-hybrid-encryption.ipynb")

    lab = page.locator(".mailsec-hybrid-pipeline").first
    expect(lab).to_contain_text("Bob can read it", timeout=20_000)
    expect(lab).to_contain_text("budget meeting")

    lab.locator(".mailsec-hybrid-attack select").select_option(label="flip a bit of the ciphertext")
    expect(lab).to_contain_text("Bob cannot read it", timeout=10_000)
    expect(lab).to_contain_text("No plaintext was released")
    assert "budget meeting moves" not in lab.locator(".widget-html").nth(0).text_content()
    expect(lab).to_contain_text("changed on the way")

    lab.scroll_into_view_if_needed()
    path = screenshot(page, "04-hybrid-pipeline")
    assert path.stat().st_size > 10_000

    signed = page.locator(".mailsec-hybrid-signature").first
    expect(signed).to_contain_text("Signature valid")
    signed.locator(".mailsec-sign-transit select").select_option(
        label="one character of the message changed"
    )
    expect(signed).to_contain_text("Signature NOT valid", timeout=10_000)
    expect(signed).to_contain_text("← differs")
    signed.scroll_into_view_if_needed()
    path = screenshot(page, "04-hybrid-signature")
    assert path.stat().st_size > 10_000

    plot = page.locator(".mailsec-hybrid-plot").first
    expect(plot).to_contain_text("Time to decrypt")
    plot.locator(".mailsec-plot-metric button", has_text="bytes sent").click()
    expect(plot).to_contain_text("Bytes sent for 1 recipient", timeout=10_000)
    plot.locator(".mailsec-plot-source select").select_option(
        label="reference run, 1 KB-10 MB (measured earlier, see source)"
    )
    expect(plot).to_contain_text("a reference run on", timeout=10_000)
    plot.scroll_into_view_if_needed()
    path = screenshot(page, "04-hybrid-plot")
    assert path.stat().st_size > 10_000
