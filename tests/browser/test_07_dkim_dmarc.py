"""Chapter 07 in a real browser: run all cells, then use the DKIM, DMARC and report labs."""

from __future__ import annotations

from playwright.sync_api import expect


def _show(page, selector: str):
    """The first element matching ``selector``, scrolled into view (every cell is rendered)."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    return target


def test_dkim_and_dmarc_labs_answer_in_the_browser(notebook, screenshot) -> None:
    page = notebook("07-dkim-dmarc.ipynb")

    # Canonicalization: spaces changed in the body break simple/simple; relaxed body survives.
    canon = _show(page, ".mailsec-dkim-canonicalization")
    verdict = canon.locator(".mailsec-dkim-verdict")
    expect(verdict).to_have_attribute("data-result", "fail", timeout=30_000)
    canon.locator(".mailsec-dkim-body-canon select").select_option(label="relaxed")
    expect(verdict).to_have_attribute("data-result", "pass", timeout=10_000)
    # A footer fails everything until l= is ticked.
    canon.locator(".mailsec-dkim-change select").select_option(
        label="a mailing list appends a footer"
    )
    expect(verdict).to_have_attribute("data-result", "fail", timeout=10_000)
    canon.locator(".mailsec-dkim-length input").check()
    expect(verdict).to_have_attribute("data-result", "pass", timeout=10_000)
    expect(canon).to_contain_text("nobody signed them")
    verdict.scroll_into_view_if_needed()
    screenshot(page, "07-dkim-canonicalization")

    # The key record: revoked is a permerror; a broken record typed in by hand too.
    keys = _show(page, ".mailsec-dkim-keys")
    key_verdict = keys.locator(".mailsec-dkim-verdict")
    expect(key_verdict).to_have_attribute("data-result", "pass", timeout=10_000)
    keys.locator(".mailsec-dkim-key-case select").select_option(index=2)
    expect(key_verdict).to_have_attribute("data-result", "permerror", timeout=10_000)
    expect(keys).to_contain_text("revoked")
    record = keys.locator(".mailsec-dkim-record input")
    record.fill("v=DKIM1; k=ed25519; p=")
    record.press("Enter")
    expect(key_verdict).to_have_attribute("data-result", "permerror", timeout=10_000)

    # DMARC: the attacker's own domain is rejected; the forwarded mail passes through DKIM.
    lab = _show(page, ".mailsec-dmarc-lab")
    dmarc_verdict = lab.locator(".mailsec-dmarc-verdict")
    expect(dmarc_verdict).to_have_attribute("data-disposition", "reject", timeout=10_000)
    expect(lab).to_contain_text("not aligned")
    screenshot(page, "07-dmarc")
    lab.locator(".mailsec-dmarc-scenario select").select_option(
        label="the bank's mail forwarded by the university"
    )
    expect(dmarc_verdict).to_have_attribute("data-result", "pass", timeout=10_000)
    lab.locator(".mailsec-dmarc-scenario select").select_option(
        label="a colleague's mail through a mailing list"
    )
    expect(dmarc_verdict).to_have_attribute("data-disposition", "quarantine", timeout=10_000)
    lab.locator(".mailsec-dmarc-trust input").check()
    expect(dmarc_verdict).to_have_attribute("data-disposition", "none", timeout=10_000)
    expect(lab).to_contain_text("arc=pass")
    assert "Traceback" not in lab.text_content()

    # The report viewer draws a chart whose text alternative gives the numbers.
    reports = _show(page, ".mailsec-dmarc-reports")
    chart = reports.locator("svg[role=img]").first
    expect(chart).to_be_visible(timeout=10_000)
    assert "203.0.113.66" in (chart.get_attribute("aria-label") or "")
    chart.scroll_into_view_if_needed()
    path = screenshot(page, "07-dmarc-reports")
    assert path.stat().st_size > 10_000
