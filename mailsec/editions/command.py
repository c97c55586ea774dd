"""``python -m mailsec.editions status|diff NN|stamp NN``: the editions' command line (see
:mod:`mailsec.editions` for what each command does)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mailsec.cli import USAGE_ERROR, OneLineParser
from mailsec.editions import (
    DEFAULT_NOTEBOOKS,
    ENGLISH_PATTERN,
    JAPANESE_FOLDER,
    TEXT,
    Status,
    check,
    english_notebook,
    garbled,
    git_markdown,
    markdown_diff,
    markdown_hash,
    markdown_sources,
    pairs,
    read_notebook,
    record_of,
    shown,
    stamp,
    status_of,
    unreadable,
)
from mailsec.errors import InputError, one_line
from mailsec.i18n import language_from_environment, using

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m mailsec.editions", description=TEXT["description"])
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=None,
        help=TEXT["notebooks_help"],
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help=TEXT["status_help"])
    for name in ("diff", "stamp"):
        sub = commands.add_parser(name, help=TEXT[f"{name}_help"])
        sub.add_argument("number", metavar="NN", help=TEXT["number_help"])
    return parser


def _status(notebooks: Path, out: Any) -> int:
    if not any(Path(notebooks).glob(ENGLISH_PATTERN)):
        raise InputError(TEXT["no_english"].format(folder=shown(notebooks)))
    worst = 0
    rows = [(english, japanese, check(english, japanese)) for english, japanese in pairs(notebooks)]
    width = max((len(e.name) for e, _j, _p in rows), default=0)
    for english, _japanese, problems in rows:
        status = status_of(problems)
        print(f"{english.name:<{width}}  {status.label}", file=out)
        for problem in problems:
            print(f"    {problem.message}", file=out)
        worst = max(worst, 0 if status is Status.CURRENT else 1)
    return worst


def _diff(english_path: Path, japanese_path: Path, out: Any, err: Any) -> int:
    names = {"english": shown(english_path), "japanese": shown(japanese_path)}
    if not japanese_path.exists():
        print(one_line(TEXT["diff_missing"].format(**names)), file=err)
        return 1
    try:
        english, japanese = read_notebook(english_path), read_notebook(japanese_path)
    except Exception as exc:  # nbformat raises JSON, validation and OS errors alike
        print(one_line(unreadable(japanese_path, exc).message), file=err)
        return 1
    record = record_of(japanese)
    if record is None or garbled(record, english_path.name):
        print(one_line(TEXT["diff_no_record"].format(**names)), file=err)
        return 1
    if record["markdown_sha256"] == markdown_hash(english):
        print(TEXT["diff_none"].format(**names), file=out)
        return 0
    before = record.get("markdown")
    if before is None:
        before = git_markdown(english_path, record["markdown_sha256"])
        if before is None:
            print(one_line(TEXT["diff_no_text"].format(**names)), file=err)
            return 1
    print(TEXT["diff_intro"].format(**names), file=out)
    print(markdown_diff(before, markdown_sources(english), name=english_path.name), file=out)
    return 0


def _stamp(english_path: Path, japanese_path: Path, out: Any, err: Any) -> int:
    problems = stamp(english_path, japanese_path)
    names = {"english": shown(english_path), "japanese": shown(japanese_path)}
    if problems:
        print(one_line(TEXT["stamp_refused"].format(**names)), file=err)
        for problem in problems:
            print(one_line(f"    {problem.message}"), file=err)
        return 1
    print(TEXT["stamped"].format(**names), file=out)
    return 0


def main(argv: Sequence[str] | None = None, *, out: Any = None, err: Any = None) -> int:
    """Run ``python -m mailsec.editions`` with ``argv``; return the exit status."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    with using(language_from_environment()):
        try:
            args = _parser().parse_args(argv)
            notebooks = args.notebooks or DEFAULT_NOTEBOOKS
            if args.command == "status":
                return _status(notebooks, out)
            english_path = english_notebook(notebooks, args.number)
            japanese_path = notebooks / JAPANESE_FOLDER / english_path.name
            if args.command == "diff":
                return _diff(english_path, japanese_path, out, err)
            return _stamp(english_path, japanese_path, out, err)
        except InputError as exc:
            print(one_line(str(exc)), file=err)
            return USAGE_ERROR
