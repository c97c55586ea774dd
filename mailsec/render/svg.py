"""Fitting text into SVG boxes.

SVG neither wraps text nor lets Python measure it: the browser picks the font when it draws. So
the diagrams estimate widths on the generous side and wrap before a line could reach a box's edge.
A line counts the larger of two estimates:

- 0.6 em for each narrow character and 1 em for each wide one (Japanese kana and kanji, full-width
  forms: Unicode East Asian Width W or F), a rule of thumb that holds for long mixed text;
- each character's width by its class in DejaVu Sans, one of the widest common sans-serif fonts
  and the one Linux browsers fall back to, rounded up: capitals are about 0.7-0.85 em (0.75-0.9 em
  bold), ``m`` and ``w`` nearly 1 em, which is why a short bold name such as "Home PC" measures
  0.72 em a character.

Lines break at spaces and on either side of a wide character (Japanese has no spaces); a word too
long for a line on its own is broken between characters rather than left to spill out. A line made
of parts (``203.0.113.25 · port 587/465``) breaks between its parts first.

Japanese text follows the line-breaking rules of JIS X 4051 (kinsoku shori), as a browser's
``line-break: strict`` does: a character that never starts a line (closing brackets, 、。,
the long-vowel mark ー, small kana such as ッ and ょ, ・ and ！？) stays with the character
before it, and one that never ends a line (opening brackets such as （「) stays with the one
after it; a Latin word or a number inside Japanese (``SPF``, ``587``) is never cut; and the last
line is not left with a single Japanese character (the character before it comes down too).
These rules only join characters that have no space between them and are next to a wide one,
so text without Japanese wraps exactly as before.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

__all__ = ["is_wide", "text_width", "wrap_parts", "wrap_text"]

NARROW_EM = 0.6
WIDE_EM = 1.0

# Rounded-up DejaVu Sans advances by character class, in em: (regular, bold).
_SPACE = (0.33, 0.36)
_THIN = (0.34, 0.40)
"""Thin punctuation and letters: . , : ; ' ! | · i j l and the like."""
_SLIM = (0.42, 0.50)
"""f r t ( ) - / and the like."""
_LOWER = (0.64, 0.72)
_BROAD = (1.0, 1.1)
"""m w M W @ % and other very wide glyphs."""
_UPPER = (0.79, 0.87)
_DIGIT = (0.64, 0.70)
_OTHER = (0.84, 0.84)
"""Anything else (symbols, accented capitals ...): generous."""
_CLASSES: dict[str, tuple[float, float]] = {
    **dict.fromkeys(".,:;'!|·`ijlI", _THIN),
    **dict.fromkeys('frt()[]{}-/\\"', _SLIM),
    **dict.fromkeys("mwMW@%&", _BROAD),
}


def is_wide(char: str) -> bool:
    """True for a character that takes a full em: East Asian Wide or Fullwidth (UAX #11)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def _class_em(char: str, bold: bool) -> float:
    """The character's width by its class in DejaVu Sans, rounded up (em)."""
    if is_wide(char):
        return WIDE_EM
    if char.isspace():
        widths = _SPACE
    elif char in _CLASSES:
        widths = _CLASSES[char]
    elif char.isascii() and char.islower():
        widths = _LOWER
    elif char.isascii() and char.isupper():
        widths = _UPPER
    elif char.isdigit():
        widths = _DIGIT
    else:
        widths = _OTHER
    return widths[1] if bold else widths[0]


def text_width(text: str, font_size: float, *, bold: bool = False) -> float:
    """A generous estimate of ``text``'s width in pixels at ``font_size`` (see the module)."""
    rule_of_thumb = sum(WIDE_EM if is_wide(ch) else NARROW_EM for ch in text)
    by_class = sum(_class_em(ch, bold) for ch in text)
    return max(rule_of_thumb, by_class) * font_size


def _segments(text: str) -> list[tuple[str, bool]]:
    """``text`` cut where a line may break: (piece, whether a space came before it)."""
    pieces: list[tuple[str, bool]] = []
    word, word_spaced, spaced = "", False, False
    for char in text:
        if char.isspace():
            if word:
                pieces.append((word, word_spaced))
                word = ""
            spaced = True
        elif is_wide(char):
            if word:
                pieces.append((word, word_spaced))
                word = ""
            pieces.append((char, spaced))
            spaced = False
        else:
            if not word:
                word_spaced, spaced = spaced, False
            word += char
    if word:
        pieces.append((word, word_spaced))
    return pieces


NO_START = frozenset(
    "、。，．・：；？！゛゜ー―‐～〜…‥々ゝゞヽヾ"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "）〕］｝〉》」』】〙〗〟’”｠»"
    ",.:;!?)]}%"
)
"""Characters that never start a line (JIS X 4051's closing brackets, hyphens, dividing
punctuation, full stops, commas, iteration marks, prolonged sound mark and small kana)."""
NO_END = frozenset("（〔［｛〈《「『【〘〖〝‘“｟«([{")
"""Characters that never end a line (opening brackets)."""


def _units(text: str) -> list[tuple[str, bool]]:
    """:func:`_segments` joined where a line must not break (kinsoku, see the module)."""
    units: list[tuple[str, bool]] = []
    for piece, spaced in _segments(text):
        if units and not spaced:
            before = units[-1][0]
            if piece[0] in NO_START or before[-1] in NO_END:
                units[-1] = (before + piece, units[-1][1])
                continue
        units.append((piece, spaced))
    return units


def _joined(units: list[tuple[str, bool]]) -> str:
    line = ""
    for piece, spaced in units:
        line = f"{line} {piece}" if (line and spaced) else line + piece
    return line


def wrap_text(
    text: str, font_size: float, max_width: float, *, bold: bool = False
) -> tuple[str, ...]:
    """``text`` as lines that each fit ``max_width`` pixels by :func:`text_width`, broken by
    the rules of the module docstring."""

    def fits(line: str) -> bool:
        return text_width(line, font_size, bold=bold) <= max_width

    lines: list[list[tuple[str, bool]]] = []
    line: list[tuple[str, bool]] = []
    for piece, spaced in _units(text):
        if fits(_joined([*line, (piece, spaced)])):
            line.append((piece, spaced))
            continue
        if line:
            lines.append(line)
        cut = ""
        for char in piece:  # a piece too long for a line of its own is cut between characters
            if cut and not fits(cut + char):
                lines.append([(cut, False)])
                cut = ""
            cut += char
        line = [(cut, False)] if cut else []
    if line or not lines:
        lines.append(line)
    _no_lone_last_character(lines, fits)
    return tuple(_joined(units) for units in lines)


def _no_lone_last_character(
    lines: list[list[tuple[str, bool]]], fits: Callable[[str], bool]
) -> None:
    """Bring the previous line's last unit down to a last line that is one Japanese character
    (``…した`` / ``。`` never happens, kinsoku keeps it up; ``…ま`` / ``す`` would), when the two
    are not separated by a space and both lines still fit."""
    if len(lines) < 2 or len(lines[-1]) != 1 or len(lines[-2]) < 2:
        return
    (last, spaced) = lines[-1][0]
    moved = lines[-2][-1]
    if spaced or len(last) != 1 or not is_wide(last) or not any(is_wide(c) for c in moved[0]):
        return
    down = [(moved[0], False), (last, False)]
    if fits(_joined(down)):
        lines[-2].pop()
        lines[-1] = down


def wrap_parts(
    parts: tuple[str, ...] | list[str],
    font_size: float,
    max_width: float,
    *,
    joiner: str = " · ",
    bold: bool = False,
) -> tuple[str, ...]:
    """``parts`` joined by ``joiner`` where they fit on a line, each part wrapped if it must be."""
    lines: list[str] = []
    line = ""
    for part in parts:
        joined = f"{line}{joiner}{part}" if line else part
        if text_width(joined, font_size, bold=bold) <= max_width:
            line = joined
            continue
        if line:
            lines.append(line)
        *full, line = wrap_text(part, font_size, max_width, bold=bold)
        lines.extend(full)
    if line or not lines:
        lines.append(line)
    return tuple(lines)
