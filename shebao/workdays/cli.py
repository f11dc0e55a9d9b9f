"""``shebao deadline`` and ``shebao calendar load`` (wired in shebao/cli.py).

Both return the process exit code: 0 on success, 2 on bad input with one line on stderr
naming what could not be used; neither lets a traceback reach the user.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from .deadlines import deadline
from .errors import WorkdaysError
from .rules import ANCHOR_LABELS, parse_rule

EXIT_BAD_INPUT = 2


def _emit(out: TextIO, text: str) -> None:
    """Write ``text``; a reader that went away (``| head``) is not an error worth a traceback."""
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        if out is sys.stdout:
            # Point stdout at /dev/null so the interpreter's final flush stays quiet too.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())


def _fail(message: str) -> int:
    print(f"shebao: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _awaiting_note(key: str | None) -> str:
    if key == "resume":
        return "suspended (中止): no due date until the case resumes"
    label = ANCHOR_LABELS.get(key or "", key or "")
    return f"later stages wait for {label} ({key})"


def _parse_start(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def deadline_command(start: str, rule: str, as_json: bool, out: TextIO) -> int:
    """Print the due date of ``rule`` from ``start``.

    Plain output is the ISO date alone, followed on the same line by bracketed notes only when
    the reader must know something: ``[provisional: …]`` for a year without official holidays,
    ``[waiting for …]`` when a later stage depends on an event not yet known. ``--json`` prints
    the whole :meth:`Deadline.as_dict`.
    """
    anchor = _parse_start(start)
    if anchor is None:
        return _fail(f"--from “{start}” is not a date (expected YYYY-MM-DD)")
    if not rule.strip():
        return _fail("--rule is empty (expected e.g. 5个工作日, 60日, 即时办结)")
    parsed = parse_rule(rule)
    try:
        result = deadline(parsed, anchor)
    except WorkdaysError as exc:
        return _fail(exc.message)
    if as_json:
        _emit(out, json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return 0
    if result.date is None:
        if not result.has_limit:
            _emit(out, f"none [no time limit: {parsed.text}]\n")
        else:
            _emit(out, f"none [{_awaiting_note(result.awaiting)}]\n")
        return 0
    notes: list[str] = []
    if result.provisional:
        years = ", ".join(str(y) for y in result.provisional_years)
        notes.append(f"[provisional: no official holidays loaded for {years}; weekends only]")
    if not result.complete and result.awaiting:
        done = sum(1 for s in result.stages if s.due is not None)
        notes.append(f"[stage {done} of {len(result.stages)}; {_awaiting_note(result.awaiting)}]")
    _emit(out, " ".join([result.date.isoformat(), *notes]) + "\n")
    return 0


def calendar_load_command(path: str, out: TextIO) -> int:
    """Load a calendar file (format in shebao/workdays/loader.py) into the database."""
    from .loader import load_calendar_entries, parse_calendar_file

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _fail(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"{path}: cannot read ({exc})")
    try:
        entries = parse_calendar_file(text)
        summaries = load_calendar_entries(entries, source=file.name)
    except WorkdaysError as exc:
        return _fail(f"{path}: {exc.message}")
    _emit(
        out,
        "".join(
            f"{s.year}: {s.holidays} holidays, {s.workdays} make-up working days loaded "
            f"(replaced {s.replaced} rows); year marked complete\n"
            for s in summaries
        ),
    )
    return 0
