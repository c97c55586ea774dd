"""Fitting text into SVG boxes: the width estimate and the line breaking."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailsec.render.svg import text_width, wrap_parts, wrap_text


def test_width_is_generous_for_short_bold_names() -> None:
    """DejaVu Sans Bold draws "Home PC" 63.4 px wide at 12.5 px (measured in Chromium)."""
    assert text_width("Home PC", 12.5, bold=True) >= 63.4
    assert text_width("Webmail service", 12.5, bold=True) >= 115.5
    assert text_width("IP25B off · relay control on", 10.5) >= 139.0


def test_width_is_never_below_the_rule_of_thumb() -> None:
    assert text_width("...", 10) == 3 * 0.6 * 10
    assert text_width("日本語", 10) == 30


def test_names_break_at_spaces() -> None:
    assert wrap_text("Mail provider (submission)", 12.5, 152, bold=True) == (
        "Mail provider",
        "(submission)",
    )
    assert wrap_text("Home PC", 12.5, 152, bold=True) == ("Home PC",)


def test_japanese_breaks_between_characters() -> None:
    assert wrap_text("メールプロバイダ（送信用サーバ）", 12.5, 152) == (
        "メールプロバイダ（送信用",
        "サーバ）",
    )


def test_a_word_longer_than_a_line_is_cut() -> None:
    lines = wrap_text("smtp.mailprovider.example.invalid", 10, 100)
    assert "".join(lines) == "smtp.mailprovider.example.invalid"
    assert all(text_width(line, 10) <= 100 for line in lines)


def test_parts_break_between_parts_first() -> None:
    assert wrap_parts(("203.0.113.25", "port 587/465"), 10.5, 152) == (
        "203.0.113.25",
        "port 587/465",
    )
    assert wrap_parts(("203.0.113.80", "port 443"), 10.5, 152) == ("203.0.113.80 · port 443",)


@given(
    st.text(alphabet=st.sampled_from("abc XYZ mw 12.· 日本語テスト（）"), min_size=0, max_size=60),
    st.integers(min_value=20, max_value=200),
)
def test_every_line_fits_and_nothing_is_lost(text: str, width: int) -> None:
    lines = wrap_text(text, 10, width)
    assert all(text_width(line, 10) <= width or len(line) == 1 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
