"""The course's languages: English (the source), Japanese, and a pseudo-locale for tests.

Every string a learner or a command-line user sees is written in English in the module that
uses it, in one dict per module, and looked up through this module when it is shown::

    from mailsec.i18n import texts

    TEXT = texts({
        "stored": "Stored in {rcpt}'s {folder}",     # placeholders are named, never positional
        "headers": ("Control", "Mark", "Why"),       # tuples and nested dicts are translated too
    })

    TEXT["stored"].format(rcpt=rcpt, folder=folder)  # the current language's text, at use time

A few sentences are not in such a dict (a one-off in a function): :func:`gettext` (imported as
``_``) and :func:`ngettext` mark and translate them where they stand. Counts that change the
words use :func:`ngettext` with plural forms (Japanese has one form, English two)::

    ngettext("{count} more line", "{count} more lines", count).format(count=count)

The same English word can need two translations ("never" delete a message, "never" trust a key):
a dict given a ``context`` (``texts({...}, context="delete after")``) has its messages looked up
with that gettext context (``msgctxt``), so a catalog can tell them apart.

Only literals are extracted: ``gettext(variable)`` translates at run time a string that was
extracted elsewhere (a value of a :class:`Texts`), never a string built on the fly.

**Catalogs.** The English strings are the message ids. ``mailsec/locale/mailsec.pot`` is
extracted from the source by ``python -m mailsec.i18n_tools extract``; each language's
``mailsec/locale/<lang>/LC_MESSAGES/mailsec.po`` is updated from it (``update``), translated, and
compiled to ``mailsec.mo`` beside it (``compile``). The ``.po`` and ``.mo`` files are committed
and shipped as package data, so an editable install, Binder and a wheel all work without a build
step; ``python -m mailsec.i18n_tools check`` (run by the tests) says whether the ``.pot`` is
current, the ``.mo`` files are compiled from the current ``.po`` files and every translation keeps
its message's placeholders. Reading a ``.mo`` needs only the standard library's :mod:`gettext`;
Babel is a tool of the maintainers, not a dependency of the course.

**Choosing the language.** Once per kernel, :func:`set_language` (``mailsec.set_language("ja")``);
a lab factory's ``lang=`` keeps that lab in its own language (:func:`using`, which the lab frame
enters while it builds its widgets and around every callback); the command line follows
``--lang`` before the group, else ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
(:func:`language_from_environment`). English is the default. A language is a context variable:
:func:`using` in one thread (or asyncio task) does not change another's; work handed to another
thread takes its language along explicitly (the mail system's servers do).

**The pseudo-locale** ``qps`` (a private-use tag, as RFC 5646 §4.5 reserves them for such uses)
is made on the fly, not from a catalog: each translated string comes back as ``⟦…⟧`` around its
text, so a test that drives a lab under ``qps`` finds every visible string that did not go
through here. Placeholders (``{name}``) are kept as they are.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import os
import re
import threading
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mailsec.errors import InputError

__all__ = [
    "LANGUAGES",
    "PSEUDO",
    "Texts",
    "checked",
    "gettext",
    "language",
    "language_from_environment",
    "ngettext",
    "normalize",
    "pgettext",
    "reload_catalogs",
    "set_language",
    "texts",
    "using",
]

LANGUAGES = ("en", "ja")
"""The course's languages, the source language first."""

PSEUDO = "qps"
"""The pseudo-locale that marks every translated string (for tests)."""

DOMAIN = "mailsec"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_default = "en"
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("mailsec_lang", default=None)
_catalogs: dict[str, _gettext.NullTranslations] = {}
_lock = threading.Lock()
_generation = 0
"""Bumped by :func:`reload_catalogs`, so every :class:`Texts` forgets what it translated."""
_TAG = re.compile(r"[-_.@]")


def normalize(lang: str) -> str | None:
    """The course language a tag names (``"ja"``, ``"ja_JP.UTF-8"``, ``"JA-jp"`` → ``"ja"``;
    ``"qps"`` → the pseudo-locale), or None when it names none of them."""
    primary = _TAG.split(str(lang).strip().lower(), maxsplit=1)[0]
    return primary if primary in (*LANGUAGES, PSEUDO) else None


def checked(lang: str) -> str:
    """The course language ``lang`` names (:func:`normalize`); an unknown tag raises
    :class:`~mailsec.errors.InputError` naming the choices."""
    found = normalize(lang)
    if found is None:
        raise InputError(
            MESSAGES["unknown"].format(lang=str(lang)[:40], choices=", ".join(LANGUAGES))
        )
    return found


def set_language(lang: str) -> None:
    """Show the course in ``lang`` (``"en"`` or ``"ja"``) from now on, in this kernel.

    Labs already on screen keep their language until they are made again; a lab made with
    ``lang=`` keeps its own.
    """
    global _default
    _default = checked(lang)


def language() -> str:
    """The language strings are shown in now."""
    return _current.get() or _default


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[None]:
    """Inside the block, show strings in ``lang`` (None: the kernel's language). Blocks nest:
    the innermost decides, and leaving it restores the one outside."""
    token = _current.set(checked(lang) if lang is not None else None)
    try:
        yield
    finally:
        _current.reset(token)


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the POSIX variables ask for: the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set decides (as gettext reads them); ``ja_JP.UTF-8`` means Japanese, and
    anything else (``C``, ``POSIX``, a language the course does not have), or nothing, English."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            found = normalize(value)
            return found if found in LANGUAGES else "en"
    return "en"


def _catalog(lang: str) -> _gettext.NullTranslations:
    found = _catalogs.get(lang)
    if found is None:
        with _lock:
            found = _catalogs.get(lang)
            if found is None:
                found = _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
                _catalogs[lang] = found
    return found


def reload_catalogs() -> None:
    """Read the ``.mo`` files again (after ``i18n_tools compile``, in a running kernel)."""
    global _generation
    with _lock:
        _catalogs.clear()
        _generation += 1


def _pseudo(text: str) -> str:
    return "⟦" + text + "⟧" if text else text


def gettext(message: str) -> str:
    """``message`` in the current language (itself in English, or when not translated yet)."""
    if not message:
        return message  # gettext("") would be the catalog's header
    lang = language()
    if lang == "en":
        return message
    if lang == PSEUDO:
        return _pseudo(message)
    return _catalog(lang).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for the count ``n``, in the current language."""
    lang = language()
    if lang == "en":
        return singular if n == 1 else plural
    if lang == PSEUDO:
        return _pseudo(singular if n == 1 else plural)
    return _catalog(lang).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, as translated in ``context`` (gettext's msgctxt)."""
    if not message:
        return message
    lang = language()
    if lang == "en":
        return message
    if lang == PSEUDO:
        return _pseudo(message)
    return _catalog(lang).pgettext(context, message)


def _translated(value: Any, context: str | None = None) -> Any:
    if isinstance(value, str):
        return gettext(value) if context is None else pgettext(context, value)
    if isinstance(value, (tuple, list)):
        return type(value)(_translated(v, context) for v in value)
    if isinstance(value, Mapping):
        return types.MappingProxyType({k: _translated(v, context) for k, v in value.items()})
    return value


class Texts(Mapping[Any, Any]):
    """A module's strings by key (a name; a number where the strings name numbers, such as TLS
    versions), each translated when it is looked up (see the module docstring): strings, tuples
    of them and nested dicts (read-only once translated). The English source stays available as
    :attr:`source`; ``python -m mailsec.i18n_tools extract`` reads the dict literal given to
    :func:`texts` from the module's source."""

    def __init__(self, source: Mapping[Any, Any], context: str | None = None) -> None:
        self.source = dict(source)
        self.context = context
        self._cache: dict[tuple[int, str, Any], Any] = {}

    def __getitem__(self, key: Any) -> Any:
        slot = (_generation, language(), key)
        found = self._cache.get(slot, self)
        if found is self:
            found = self._cache[slot] = _translated(self.source[key], self.context)
        return found

    def __iter__(self) -> Iterator[Any]:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)

    def __repr__(self) -> str:
        context = "" if self.context is None else f", context={self.context!r}"
        return f"texts({self.source!r}{context})"


def texts(source: Mapping[Any, Any], *, context: str | None = None) -> Texts:
    """Wrap a module's dict of English strings (see the module docstring); ``context`` is the
    gettext context of all of them (a string literal), for words that need telling apart."""
    return Texts(source, context)


MESSAGES = texts(
    {
        "unknown": "The language {lang!r} is not one of the course's: choose {choices}.",
    }
)
