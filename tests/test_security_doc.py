"""SECURITY.md's table of limits and mailsec.limits agree: every limit, with its value."""

from __future__ import annotations

import re
from pathlib import Path

from mailsec import limits

ROOT = Path(__file__).resolve().parents[1]


def test_every_limit_is_in_the_table_with_its_value() -> None:
    text = (ROOT / "SECURITY.md").read_text("utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", text, re.M)}
    for name in limits.__all__:
        value = getattr(limits, name)
        assert name in rows, f"SECURITY.md has no row for {name}"
        assert f"{value:,}" in rows[name], (
            f"SECURITY.md gives {name} as {rows[name]!r}, not {value:,}"
        )
    extra = sorted(set(rows) - set(limits.__all__))
    assert not extra, f"SECURITY.md lists limits that mailsec.limits does not define: {extra}"


def test_every_limit_says_why() -> None:
    source = (ROOT / "mailsec" / "limits.py").read_text("utf-8")
    for name in limits.__all__:
        assert re.search(rf"#: .*\n(?:#: .*\n)*{name} = ", source), f"{name} has no #: comment"
