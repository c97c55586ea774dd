"""Maintain the course's gettext catalogs with Babel: extract, update, compile, check.

::

    python -m mailsec.i18n_tools extract           # mailsec/locale/mailsec.pot from the source
    python -m mailsec.i18n_tools update            # merge it into each <lang>/LC_MESSAGES/mailsec.po
    python -m mailsec.i18n_tools compile           # mailsec.mo beside each .po
    python -m mailsec.i18n_tools check [--complete ja]

The recipe for a module (see :mod:`mailsec.i18n` for the API): put its sentences in
``TEXT = texts({...})`` with named placeholders, run ``extract`` and ``update``, translate the new
entries of ``mailsec/locale/ja/LC_MESSAGES/mailsec.po``, run ``compile``, and commit the
``.pot``, ``.po`` and ``.mo`` files together; ``check`` (a test runs it) says what was forgotten.

**extract** reads the package's source with :mod:`ast` (nothing is imported) in every module
that imports :mod:`mailsec.i18n`: the values of each ``texts({...})`` dict literal (strings,
tuples and lists of them, nested dicts, recursively; the keys are not messages, they become the
translator's comment), and the literal arguments of ``gettext``/``_`` and ``ngettext`` calls.
A value that is not a literal (an f-string, a name, a call) is refused: it could not be
translated. So is a positional placeholder (``{}``, ``{0}``): a translation may need to put the
words in another order, so every placeholder has a name. Messages with placeholders carry the
``python-brace-format`` flag. The template's dates are fixed and Babel's version is left out of
its header, and a message's location is its file without a line number (the translator's
comment names its key), so extracting twice writes the same bytes, ``check`` can compare them,
and an edit that only moves lines needs no new extraction.

**update** merges the template into every language's ``.po`` (creating ``ja``'s on the first
run) with Babel's ``Catalog.update`` and *no fuzzy matching*: a changed English sentence comes
back untranslated, never with the translation of a similar sentence that gettext would not show
anyway (fuzzy entries are not compiled) and a translator could miss. Translations of messages
that left the source are kept at the end of the file as obsolete (``#~``) entries; one that
comes back gets its translation again.

**compile** writes ``mailsec.mo`` beside each ``.po`` (fuzzy entries left out; same input, same
bytes). **check** fails when the template is not what ``extract`` would write, a ``.po`` lacks
messages of the template (run ``update``), a ``.mo`` is not what ``compile`` would write, a
translation's placeholders are not its message's (a dropped or renamed ``{rcpt}``), the
``Plural-Forms`` are not the language's, or -- with ``--complete LANG`` -- a message of LANG is
untranslated or fuzzy.

Babel is a tool of the maintainers (the ``test`` extra), not a dependency of the course: the
course reads the ``.mo`` files with the standard library's :mod:`gettext`.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import io
import string
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

__all__ = [
    "ExtractError",
    "check",
    "compile_catalogs",
    "extract",
    "main",
    "placeholders",
    "update",
]

PACKAGE = Path(__file__).resolve().parent
DOMAIN = "mailsec"
TRANSLATIONS = ("ja",)
"""The languages with a catalog (English is the source)."""

FIXED_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
"""The template's creation date and a new catalog's revision date: fixed, so the files are a
function of the source (git keeps the real history)."""
HEADER = """\
# The mailsec course's messages.
# This file is distributed under the same license as the mailsec project (MIT).
#"""
PROJECT = "mailsec"
FORMAT_FLAG = "python-brace-format"
_MODULE = "mailsec.i18n"
_FUNCTIONS = {"texts", "gettext", "ngettext", "_"}


class ExtractError(Exception):
    """The source holds messages that cannot be extracted; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Catalog(Catalog):
    """Babel's catalog without the ``Generated-By`` header (it names Babel's version, so the
    files would change with it)."""

    @property
    def mime_headers(self) -> list[tuple[str, str]]:
        found = [(k, v) for k, v in super().mime_headers if k != "Generated-By"]
        name, value = found[-1]
        found[-1] = (name, value if value.endswith("\n") else value + "\n")
        return found

    @mime_headers.setter
    def mime_headers(self, headers: Any) -> None:
        # Babel's own property object: super() reads an attribute but cannot set one (and mypy
        # reads a property with a setter as an overload, which has no fset).
        vars(Catalog)["mime_headers"].__set__(self, headers)


# -- placeholders -------------------------------------------------------------------------------


class PositionalPlaceholder(ValueError):
    """A message has ``{}`` or ``{0}``."""


def placeholders(text: str) -> frozenset[str] | None:
    """The names of ``text``'s ``str.format`` placeholders (``{rcpt}``, ``{count:,}``,
    ``{lang!r}`` → ``rcpt``, ``count``, ``lang``), or None when ``text`` is not a format string
    (unbalanced braces). Raises :class:`PositionalPlaceholder` for ``{}`` or ``{0}``."""
    found: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    for _literal, name, spec, _conversion in parsed:
        if name is None:
            continue
        base = name.split(".", 1)[0].split("[", 1)[0]
        if not base or base.isdigit():
            raise PositionalPlaceholder(name)
        found.add(base)
        if spec and "{" in spec:
            inner = placeholders(spec)
            found |= inner or set()
    return frozenset(found)


# -- extract ------------------------------------------------------------------------------------


@dataclass
class _Found:
    """Messages and problems found in one module."""

    path: str
    messages: list[tuple[str | tuple[str, str], int, str, str | None]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _imports_i18n(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """The names bound to mailsec.i18n's functions, and the names bound to the module."""
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == _MODULE:
            for alias in node.names:
                if alias.name in _FUNCTIONS:
                    functions[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module == "mailsec":
            modules.update(a.asname or a.name for a in node.names if a.name == "i18n")
        elif isinstance(node, ast.Import):
            modules.update(a.asname for a in node.names if a.name == _MODULE and a.asname)
    return functions, modules


class _Finder(ast.NodeVisitor):
    def __init__(self, found: _Found, functions: dict[str, str], modules: set[str]) -> None:
        self.found, self.functions, self.modules = found, functions, modules
        self.target = "texts"
        self.context: str | None = None

    def _callee(self, func: ast.expr) -> str | None:
        if isinstance(func, ast.Name):
            return self.functions.get(func.id)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.modules
            and func.attr in _FUNCTIONS
        ):
            return func.attr
        return None

    def _problem(self, node: ast.AST, text: str) -> None:
        self.found.problems.append(f"{self.found.path}:{getattr(node, 'lineno', 0)}: {text}")

    def visit_Assign(self, node: ast.Assign) -> None:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        self.target = names[0] if names else "texts"
        self.generic_visit(node)
        self.target = "texts"

    def visit_Call(self, node: ast.Call) -> None:
        kind = self._callee(node.func)
        if kind == "texts":
            context = [k.value for k in node.keywords if k.arg == "context"]
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Dict):
                self._problem(node, "texts() takes one dict literal, so its strings can be read.")
            elif context and _literal(context[0]) is None:
                self._problem(node, "texts(context=...) takes a string literal.")
            else:
                self.context = _literal(context[0]) if context else None
                self._walk(node.args[0], self.target)
                self.context = None
        elif kind in ("gettext", "_"):
            text = _literal(node.args[0]) if node.args else None
            if text is not None:
                self._add(text, node.args[0], "gettext")
        elif kind == "ngettext":
            pair = [_literal(a) for a in node.args[:2]]
            if len(pair) == 2 and pair[0] is not None and pair[1] is not None:
                self._add((pair[0], pair[1]), node.args[0], "ngettext")
        self.generic_visit(node)

    def _walk(self, node: ast.expr, where: str) -> None:
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    self._problem(value, f"{where}: a ** inside texts() cannot be read.")
                    continue
                name = key.value if isinstance(key, ast.Constant) else ast.unparse(key)
                self._walk(value, f"{where}[{name!r}]")
        elif isinstance(node, (ast.Tuple, ast.List)):
            for i, item in enumerate(node.elts):
                self._walk(item, f"{where}[{i}]")
        elif isinstance(node, ast.Constant) and not isinstance(node.value, str):
            return  # a number, None, a bool: not words
        else:
            text = _literal(node)
            if text is None:
                how = "an f-string" if isinstance(node, ast.JoinedStr) else "not a string literal"
                self._problem(
                    node,
                    f"{where} is {how}: a translated text must be a literal, with named "
                    "placeholders filled in by .format() where it is used.",
                )
            elif text:
                self._add(text, node, where)

    def _add(self, message: str | tuple[str, str], node: ast.expr, where: str) -> None:
        texts_ = (message,) if isinstance(message, str) else message
        for text in texts_:
            try:
                placeholders(text)
            except PositionalPlaceholder as exc:
                self._problem(
                    node,
                    f"{where} has the positional placeholder {{{exc}}} in {text[:60]!r}: name "
                    "it (for example {count}), so a translation can put it where its grammar "
                    "needs it.",
                )
                return
        self.found.messages.append((message, node.lineno, where, self.context))


def _literal(node: ast.expr) -> str | None:
    """A string literal, or two joined with ``+``; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _modules(source: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(source.rglob("*.py"), key=lambda p: p.relative_to(source).as_posix()):
        if "__pycache__" not in path.parts:
            yield path.relative_to(source.parent).as_posix(), path


def _version(source: Path) -> str:
    init = source / "__init__.py"
    if init.is_file():
        for node in ast.parse(init.read_text("utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                return str(node.value.value)
    return "0"


def extract(source: Path = PACKAGE) -> Catalog:
    """The template catalog of every message in the package at ``source`` (module docstring).
    Raises :class:`ExtractError` naming file:line of every message that cannot be extracted."""
    catalog = _Catalog(
        project=PROJECT,
        version=_version(source),
        copyright_holder="The mailsec authors",
        msgid_bugs_address="The mailsec authors",
        creation_date=FIXED_DATE,
        revision_date="YEAR-MO-DA HO:MI+ZONE",
        header_comment=HEADER,
        fuzzy=False,
        charset="utf-8",
    )
    problems: list[str] = []
    for name, path in _modules(source):
        text = path.read_text("utf-8")
        if _MODULE not in text and "i18n" not in text:
            continue
        tree = ast.parse(text, filename=name)
        functions, modules = _imports_i18n(tree)
        if path.resolve() == (source / "i18n.py").resolve():
            functions.update({f: f for f in _FUNCTIONS})
            functions["_"] = "gettext"
        if not functions and not modules:
            continue
        found = _Found(name)
        _Finder(found, functions, modules).visit(tree)
        problems += found.problems
        for message, line, where, context in found.messages:
            names: set[str] = set()
            for one in (message,) if isinstance(message, str) else message:
                names |= placeholders(one) or set()
            catalog.add(
                message,
                locations=[(name, line)],
                flags=[FORMAT_FLAG] if names else [],
                auto_comments=[where],
                context=context,
            )
    if problems:
        raise ExtractError(problems)
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False)
    return buffer.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    catalog.__class__ = _Catalog
    return catalog


def _pot(locale_dir: Path) -> Path:
    return locale_dir / f"{DOMAIN}.pot"


def _po(locale_dir: Path, lang: str) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _languages(locale_dir: Path) -> list[str]:
    found = {p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | set(TRANSLATIONS))


def _write(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def write_template(source: Path = PACKAGE, locale_dir: Path | None = None) -> Path:
    """Extract and write the template; its path."""
    locale_dir = locale_dir or source / "locale"
    path = _pot(locale_dir)
    _write(path, _po_bytes(extract(source)))
    return path


# -- update and compile -------------------------------------------------------------------------


def _new_catalog(lang: str, template: Catalog) -> Catalog:
    return _Catalog(
        locale=lang,
        domain=DOMAIN,
        header_comment=HEADER,
        project=template.project,
        version=template.version,
        copyright_holder="The mailsec authors",
        msgid_bugs_address=template.msgid_bugs_address,
        creation_date=template.creation_date,
        revision_date=FIXED_DATE,
        last_translator="The mailsec authors",
        language_team=lang,
        fuzzy=False,
        charset="utf-8",
    )


def _merged(lang: str, template: Catalog, po: Path) -> Catalog:
    catalog = _read(po, lang) if po.is_file() else _new_catalog(lang, template)
    # A message that left the source and came back gets its old translation again.
    for key, old in list(catalog.obsolete.items()):
        if key in template and key not in catalog:
            old.flags.discard("fuzzy")
            catalog[key] = old
            del catalog.obsolete[key]
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=True)
    catalog.fuzzy = False
    return catalog


def update(locale_dir: Path = PACKAGE / "locale") -> list[Path]:
    """Merge the template into every language's ``.po`` (module docstring); the paths."""
    template = _read(_pot(locale_dir))
    written = []
    for lang in _languages(locale_dir):
        po = _po(locale_dir, lang)
        _write(po, _po_bytes(_merged(lang, template, po)))
        written.append(po)
    return written


def compile_catalogs(locale_dir: Path = PACKAGE / "locale") -> list[Path]:
    """Write ``mailsec.mo`` beside every ``.po``; the paths."""
    written = []
    for lang in _languages(locale_dir):
        po = _po(locale_dir, lang)
        if po.is_file():
            mo = po.with_suffix(".mo")
            _write(mo, _mo_bytes(_read(po, lang)))
            written.append(mo)
    return written


# -- check --------------------------------------------------------------------------------------


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, (tuple, list)):
        return tuple(message.string)
    # None (babel's "no translation") counts as an empty one, as every caller reads it.
    return (message.string or "",)


def _placeholder_problem(message: Message) -> str | None:
    """Why a translation's placeholders are not its message's (None: they are)."""
    try:
        wanted: set[str] = set()
        for one in _ids(message):
            wanted |= placeholders(one) or set()
    except PositionalPlaceholder:
        return None  # extract refuses these; the template check reports it
    seen: set[str] = set()
    for form in _strings(message):
        if not form:
            continue
        try:
            names = placeholders(form)
        except PositionalPlaceholder as exc:
            return f"has the positional placeholder {{{exc}}}"
        if names is None:
            return "has unbalanced braces (write {{ and }} for a brace itself)"
        if not names <= wanted:
            extra = ", ".join("{" + n + "}" for n in sorted(names - wanted))
            return f"has {extra}, which its message does not have"
        seen |= names
    if any(_strings(message)) and seen != wanted:
        missing = ", ".join("{" + n + "}" for n in sorted(wanted - seen))
        return f"drops {missing}"
    return None


def check(
    source: Path = PACKAGE,
    locale_dir: Path | None = None,
    *,
    complete: Sequence[str] = (),
) -> list[str]:
    """Every problem of the catalogs, one sentence each (module docstring); [] when none."""
    locale_dir = locale_dir or source / "locale"
    problems: list[str] = []
    pot = _pot(locale_dir)
    try:
        fresh = _po_bytes(extract(source))
    except ExtractError as exc:
        return exc.problems
    if not pot.is_file():
        return [f"{pot} is missing: run 'python -m mailsec.i18n_tools extract'."]
    if pot.read_bytes() != fresh:
        problems.append(
            f"{pot} is not what the source extracts to: run 'python -m mailsec.i18n_tools "
            "extract', then 'update' and 'compile'."
        )
    template = _read(pot)
    for lang in _languages(locale_dir):
        po = _po(locale_dir, lang)
        if not po.is_file():
            problems.append(f"{po} is missing: run 'python -m mailsec.i18n_tools update'.")
            continue
        catalog = _read(po, lang)
        missing = [m.id for m in template if m.id and catalog.get(m.id, m.context) is None]
        if missing:
            problems.append(
                f"{po} lacks {len(missing)} message(s) of the template, the first "
                f"{_shown(missing[0])}: run 'python -m mailsec.i18n_tools update'."
            )
        expected = _new_catalog(lang, template).plural_forms
        if catalog.plural_forms != expected:
            problems.append(f"{po} has Plural-Forms {catalog.plural_forms!r}, not {expected!r}.")
        for message in catalog:
            if not message.id:
                continue
            why = _placeholder_problem(message)
            if why is not None:
                problems.append(
                    f"{po}:{message.lineno}: the translation of {_shown(message.id)} {why}."
                )
            if lang in complete and (not all(_strings(message)) or message.fuzzy):
                problems.append(
                    f"{po}:{message.lineno}: {_shown(message.id)} is not translated "
                    f"{'(fuzzy)' if message.fuzzy else ''}".rstrip()
                    + "."
                )
        mo = po.with_suffix(".mo")
        if not mo.is_file() or mo.read_bytes() != _mo_bytes(catalog):
            problems.append(
                f"{mo} is not compiled from the current {po.name}: run "
                "'python -m mailsec.i18n_tools compile'."
            )
    return problems


def _shown(message_id: object) -> str:
    text = message_id[0] if isinstance(message_id, (tuple, list)) else str(message_id)
    return repr(text if len(text) <= 60 else text[:59] + "…")


# -- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mailsec.i18n_tools extract|update|compile|check``."""
    parser = argparse.ArgumentParser(
        prog="python -m mailsec.i18n_tools",
        description="Extract, update, compile and check the mailsec gettext catalogs.",
    )
    parser.add_argument("command", choices=("extract", "update", "compile", "check"))
    parser.add_argument(
        "--source", type=Path, default=PACKAGE, help="the package to extract from (mailsec)"
    )
    parser.add_argument(
        "--locale-dir", type=Path, default=None, help="where the catalogs are (SOURCE/locale)"
    )
    parser.add_argument(
        "--complete",
        action="append",
        default=[],
        metavar="LANG",
        help="check: also require every message of LANG to be translated",
    )
    args = parser.parse_args(argv)
    locale_dir = args.locale_dir or args.source / "locale"
    try:
        if args.command == "extract":
            path = write_template(args.source, locale_dir)
            print(f"{path}: {sum(1 for m in _read(path) if m.id)} messages")
        elif args.command == "update":
            for path in update(locale_dir):
                catalog = _read(path)
                done = sum(1 for m in catalog if m.id and all(_strings(m)) and not m.fuzzy)
                print(f"{path}: {done} of {sum(1 for m in catalog if m.id)} translated")
        elif args.command == "compile":
            for path in compile_catalogs(locale_dir):
                print(path)
        else:
            problems = check(args.source, locale_dir, complete=args.complete)
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                return 1
            print("The catalogs are current.")
    except ExtractError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
