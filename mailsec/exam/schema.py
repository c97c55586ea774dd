"""The exam's vocabulary: a question with its four choices (ア–エ), its level, kind and link.

Every text is stored in English and Japanese (:class:`Text`) and the one shown is chosen when it
is shown. A :class:`Link` names a notebook of the course and one of its headings;
:func:`notebook_headings` reads them from the notebooks (the loaders check links with it, and the
Japanese edition's headings give a link its Japanese anchor).
"""

from __future__ import annotations

import enum
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from mailsec.errors import InputError
from mailsec.i18n import PSEUDO, language

__all__ = [
    "LETTERS",
    "NOTEBOOKS",
    "TOPICS",
    "Kind",
    "Level",
    "Link",
    "Question",
    "Text",
    "notebook_headings",
]

#: The four choices of every question, in order.
LETTERS = ("ア", "イ", "ウ", "エ")
#: The chapters a question may belong to.
TOPICS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09")
#: The course's notebooks, where links point; absent in an installed package (then links are not
#: checked against it: the repository's tests do that).
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


class Level(enum.IntEnum):
    """How deep a question goes, after the IPA exam it prepares for."""

    BASIC = 1
    """基本情報技術者 (FE) and 情報セキュリティマネジメント (SG): what a mechanism is for, its terms."""
    APPLIED = 2
    """応用情報技術者 (AP): how a mechanism works and where it fails."""
    SPECIALIST = 3
    """情報処理安全確保支援士 (SC): protocol details, combined controls, reading results."""

    @property
    def exams(self) -> str:
        """The exams in their Japanese names (proper nouns, the same in every language)."""
        return {
            1: "基本情報技術者 / 情報セキュリティマネジメント",
            2: "応用情報技術者",
            3: "情報処理安全確保支援士",
        }[self.value]


class Kind(str, enum.Enum):
    """Morning questions ask one fact; afternoon questions read a scenario's exhibit."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


@dataclass(frozen=True)
class Text:
    """A text in English and Japanese; :meth:`get` gives the one to show now."""

    en: str
    ja: str

    def get(self, lang: str | None = None) -> str:
        """The text in ``lang`` (default: the current language; the pseudo-locale marks it)."""
        lang = lang or language()
        if lang == "ja":
            return self.ja
        if lang == PSEUDO:
            return "⟦" + self.en + "⟧"
        return self.en


@dataclass(frozen=True)
class Link:
    """Where the answer is shown: a notebook of the course and one of its headings."""

    notebook: str
    heading: str

    @classmethod
    def from_text(cls, text: str) -> Link:
        """``"07-dkim-dmarc.ipynb#Lab: DMARC and the bank"`` read into its two parts."""
        notebook, _, heading = text.partition("#")
        return cls(notebook, heading)

    def to_text(self) -> str:
        return f"{self.notebook}#{self.heading}"

    @property
    def chapter(self) -> str:
        return self.notebook[:2]

    def heading_in(self, lang: str | None = None) -> str:
        """The heading as the notebook in ``lang`` spells it.

        The Japanese notebooks (``notebooks/ja/``) mirror the English ones heading for heading,
        so the Japanese heading is the one at the same place; without that notebook (or when it
        does not mirror), the English heading is shown.
        """
        if (lang or language()) == "ja":
            english = notebook_headings(self.notebook)
            japanese = notebook_headings(f"ja/{self.notebook}")
            if len(english) == len(japanese) and self.heading in english:
                return japanese[english.index(self.heading)]
        return self.heading

    def href(self, lang: str | None = None) -> str:
        """The link relative to a notebook beside it, with JupyterLab's anchor for the heading
        (its text with spaces as hyphens)."""
        return f"{self.notebook}#{self.heading_in(lang).replace(' ', '-')}"


@dataclass(frozen=True)
class Question:
    """One four-choice question, with its right answer, explanation and link."""

    id: str
    topic: str
    level: Level
    kind: Kind
    text: Text
    choices: tuple[Text, ...]
    answer: str
    explanation: Text
    link: Link
    exhibit: Text | None = None

    def __post_init__(self) -> None:
        if len(self.choices) != len(LETTERS):
            raise InputError(
                f"Question {self.id!r} has {len(self.choices)} choices; an exam question has "
                "exactly four (ア, イ, ウ, エ)."
            )
        if self.answer not in LETTERS:
            raise InputError(
                f"Question {self.id!r} gives the answer {self.answer!r}, which is not one of "
                "ア, イ, ウ, エ."
            )

    @property
    def right(self) -> Text:
        """The text of the right choice."""
        return self.choices[LETTERS.index(self.answer)]

    def choice(self, letter: str) -> Text:
        """The choice ``letter`` (ア, イ, ウ or エ)."""
        return self.choices[LETTERS.index(letter)]


# -- notebooks ----------------------------------------------------------------------------------


def _heading_text(line: str) -> str:
    """A Markdown heading as JupyterLab's anchor sees it: the text without its markup."""
    return re.sub(r"[`*]", "", line.lstrip("#")).strip()


@functools.cache
def notebook_headings(name: str, folder: Path = NOTEBOOKS) -> tuple[str, ...]:
    """The headings of ``folder/name`` in order, as text; empty if there is no such notebook."""
    path = folder / name
    if not path.is_file():
        return ()
    cells = json.loads(path.read_text("utf-8")).get("cells", [])
    headings = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        headings += [_heading_text(line) for line in source.splitlines() if line.startswith("#")]
    return tuple(headings)
