"""The result-line protocol every bench script speaks (see bench/README.md).

A script prints, besides anything else it likes, one line per figure::

    RESULT<TAB>name<TAB>figure<TAB>peer<TAB>ratio<TAB>target<TAB>met

``figure`` and ``peer`` are text with their unit ("412 cases/s", "38 ms"); ``peer``, ``ratio``
and ``target`` are "-" when there is none; ``met`` is ``yes``, ``no`` or ``-``. A script that
checks a machine-independent property (query counts, identical results, a ratio that does not
depend on the machine's speed) and finds it broken prints ``CHECK-FAILED<TAB>what`` and exits
non-zero; ``bench/run.py --smoke`` fails on it. Tab-separated so the other fields may hold spaces.

Standard library only: the runner imports it without Django.
"""

from __future__ import annotations

import sys

PREFIX = "RESULT"
CHECK_FAILED = "CHECK-FAILED"


def _clean(value: object) -> str:
    text = str(value).replace("\t", " ").replace("\n", " ").strip()
    return text or "-"


def result(name: str, figure: str, *, peer: str = "-", ratio: float | str | None = None, target: str = "-",
           met: bool | None = None) -> None:
    """Print one RESULT line (flushed, so the runner sees it even if a later step fails)."""
    ratio_text = "-" if ratio is None else (f"{ratio:.2f}x" if isinstance(ratio, float) else ratio)
    met_text = "-" if met is None else ("yes" if met else "no")
    fields = [PREFIX, name, figure, peer, ratio_text, target, met_text]
    print("\t".join(_clean(f) for f in fields), flush=True)


def check(ok: bool, what: str) -> bool:
    """A machine-independent property; prints CHECK-FAILED when it does not hold."""
    if not ok:
        print(f"{CHECK_FAILED}\t{_clean(what)}", flush=True)
    return ok


def parse(line: str) -> list[str] | None:
    """The fields of a RESULT line (name, figure, peer, ratio, target, met), else None."""
    parts = line.rstrip("\n").split("\t")
    if parts[0] != PREFIX or len(parts) < 3:
        return None
    fields = parts[1:] + ["-"] * (7 - len(parts))
    return fields[:6]


def fail(message: str) -> None:
    print(f"{CHECK_FAILED}\t{_clean(message)}", flush=True)
    sys.exit(1)
