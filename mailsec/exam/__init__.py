"""Exam practice: original four-choice questions (ア–エ) in the style of Japan's IT exams.

The course is written for learners preparing for IPA's exams, whose morning papers (午前) ask
four-choice questions — 「…はどれか。」 with the choices ア, イ, ウ and エ — and whose afternoon
papers (午後) ask about a scenario: a configuration, a log, a header. This module holds a bank of
such questions, written for this course (none is copied from a past paper), each with an
explanation and a link to the notebook section whose lab shows the answer.

**The bank** is data: ``mailsec/data/exam/questions.json``, one entry per question::

    {"id": "spf-envelope",            # unique, lower case and hyphens
     "topic": "03",                   # the chapter that teaches it, "00" to "09"
     "level": 1,                      # see Level
     "kind": "morning",               # optional: morning (the default) or afternoon
     "question": {"en": "...", "ja": "...はどれか。"},
     "exhibit": {"en": "...", "ja": "..."},   # optional: a record, a header, a table
     "choices": [{"en": "...", "ja": "..."}, ... four, in the order ア, イ, ウ, エ],
     "answer": "イ",
     "explanation": {"en": "...", "ja": "..."},
     "link": "03-spf.ipynb#Limits and pitfalls"}   # a notebook in notebooks/ and its heading

Every text is stored in both languages, and the one shown is chosen by
:func:`mailsec.i18n.language` when it is shown (:meth:`Text.get`). :func:`load` reads the file
strictly: an unknown field, a missing language, a duplicate id, an answer that is not a choice,
a number of choices other than four, two equal choices, or a link to a notebook or heading that
does not exist is each reported in a sentence of its own, and nothing is loaded.

**Levels** follow the exams (:class:`Level`): 1 for 基本情報技術者 and 情報セキュリティマネジメント
(what a mechanism is for, its terms), 2 for 応用情報技術者 (how it works and where it fails), 3 for
情報処理安全確保支援士 (protocol details, combined controls, reading results).

**Afternoon-style questions are generated** from real runs of the course's mechanisms
(:data:`GENERATORS`): the OP25B path model, the POP3/IMAP4 model, an SPF check against a small
zone, the receiving server's SPF/DKIM/DMARC checks (``Authentication-Results:``), and an MTA-STS
delivery decision. Each generator has a finite list of cases; a case is run, and the right answer
is the choice whose key the result names, so a question can never disagree with the mechanism.
Their wording (question, exhibit, choices and explanations, in both languages) is data too:
``mailsec/data/exam/afternoon.json``, checked as strictly as the bank.

:func:`draw` picks a set by topic, level and kind with the random generator it is given, and
:func:`score` marks the answers. The widget is :func:`mailsec.labs.exam.exam_lab`; the score and
the review are rendered by :mod:`mailsec.render.exam`.

**Layout.** Everything above is imported from here (``from mailsec.exam import draw``); the
modules are :mod:`~mailsec.exam.schema` (the question and its parts), :mod:`~mailsec.exam.loading`
(the strict reading of ``questions.json``), :mod:`~mailsec.exam.afternoon` (the templates and
:class:`Generator`), :mod:`~mailsec.exam.generators` (the six generators) and
:mod:`~mailsec.exam.drawing` (the bank, :func:`draw` and :func:`score`).
"""

from mailsec.exam.afternoon import Generator, load_templates
from mailsec.exam.drawing import Answered, Bank, Score, bank, draw, score
from mailsec.exam.generators import GENERATORS
from mailsec.exam.loading import load
from mailsec.exam.schema import (
    LETTERS,
    NOTEBOOKS,
    TOPICS,
    Kind,
    Level,
    Link,
    Question,
    Text,
    notebook_headings,
)

__all__ = [
    "GENERATORS",
    "LETTERS",
    "NOTEBOOKS",
    "TOPICS",
    "Answered",
    "Bank",
    "Generator",
    "Kind",
    "Level",
    "Link",
    "Question",
    "Score",
    "Text",
    "bank",
    "draw",
    "load",
    "load_templates",
    "notebook_headings",
    "score",
]
