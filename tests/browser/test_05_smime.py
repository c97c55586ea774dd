"""Chapter 05 in a real browser: run all cells, change a byte, switch views, pick certificates."""

from __future__ import annotations

from playwright.sync_api import expect


def _show(page, selector: str):
    """The first element matching ``selector``, scrolled into view (every cell is rendered)."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    return target


def test_smime_labs_answer_in_the_browser(notebook, screenshot) -> None:
    page = notebook("05-smime.ipynb")

    diagram = _show(page, "svg[aria-label^='S/MIME overview']")
    expect(diagram).to_be_visible()
    path = screenshot(page, "05-smime-diagram")
    assert path.stat().st_size > 10_000

    lab = page.locator(".mailsec-smime-message").first
    expect(lab).to_contain_text("signed by alice@example.org, verified", timeout=20_000)
    expect(lab).to_contain_text("team leads +3%")

    # A byte changes on the way: AES-GCM refuses, and no text is shown.
    lab.locator(".mailsec-smime-transit select").select_option(label="one byte is changed")
    expect(lab).to_contain_text("cannot decrypt", timeout=10_000)
    expect(lab).to_contain_text("integrity check")
    result = lab.locator(".widget-html").filter(has_text="Bob's mail program").first
    assert "team leads" not in result.text_content()
    lab.scroll_into_view_if_needed()
    path = screenshot(page, "05-smime-tampered")
    assert path.stat().st_size > 10_000

    # What a mail program without S/MIME shows: the Subject, and an smime.p7m attachment.
    lab.locator(".mailsec-smime-transit select").select_option(label="nothing happens")
    lab.locator(".mailsec-smime-view select").select_option(label="A mail program without S/MIME")
    expect(lab).to_contain_text("smime.p7m (application/pkcs7-mime", timeout=10_000)
    expect(lab).to_contain_text("Salary table for next year")
    lab.locator(".mailsec-smime-view select").select_option(
        label="CMS structure (inside smime.p7m / smime.p7s)"
    )
    expect(lab).to_contain_text("KeyAgreeRecipientInfo (ECDH)", timeout=10_000)
    lab.scroll_into_view_if_needed()
    path = screenshot(page, "05-smime-cms")
    assert path.stat().st_size > 10_000

    viewer = page.locator(".mailsec-smime-certificates").first
    expect(viewer).to_contain_text("valid for S/MIME")
    viewer.locator(".mailsec-cert-which select").select_option(
        label="Alice's old certificate (expired)"
    )
    expect(viewer).to_contain_text("it has expired", timeout=10_000)
    viewer.scroll_into_view_if_needed()
    path = screenshot(page, "05-smime-certificate")
    assert path.stat().st_size > 10_000

    efail = page.locator(".mailsec-smime-efail").first
    expect(efail).to_contain_text("Change not detected")
    efail.locator(".mailsec-efail-cipher select").select_option(
        label="AES-256-GCM (AuthEnvelopedData, S/MIME 4.0)"
    )
    expect(efail).to_contain_text("Change detected", timeout=10_000)
    efail.scroll_into_view_if_needed()
    path = screenshot(page, "05-smime-efail")
    assert path.stat().st_size > 10_000
