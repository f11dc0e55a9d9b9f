"""Run every benchmark in bench/ and print one table (``make bench``, ``make bench-smoke``).

    .venv/bin/python bench/run.py [--smoke] [--only NAME ...] [--postgres URL | --no-postgres]

Each ``bench/*.py`` (not this file, not ``_*.py``) is run in its own process and speaks the
protocol of ``bench/_protocol.py``: ``RESULT`` lines become table rows, ``CHECK-FAILED`` lines and a
non-zero exit fail ``--smoke``. Header comments in a script tell the runner how to call it::

    # bench-databases: sqlite postgresql   run once per database (default: once, no DATABASE_URL)
    # bench-smoke: --n 20                   arguments for --smoke (CI: small sizes)
    # bench-args: --n 400                   arguments for the full run
    # bench-runner: skip                    not run by this runner (the soak: ``make soak``)

For PostgreSQL the runner creates a fresh database for each script run (dropped afterwards) on
the server ``--postgres`` names (default ``$BENCH_POSTGRES_URL`` or
postgres://postgres@127.0.0.1:5432/shebao_bench) and passes it as ``DATABASE_URL``; if the server
is not reachable the PostgreSQL runs are skipped, and the table says so.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _protocol import CHECK_FAILED, parse  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/shebao_bench"


def header(path: Path, key: str) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines()[:80]:
        m = re.match(rf"^#\s*bench-{key}:\s*(.*)$", line)
        if m:
            return m.group(1).strip()
    return None


def machine() -> list[str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {platform.node()}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
        f"load average at start: {load}",
        f"command: {' '.join(shlex.quote(a) for a in sys.argv)}",
    ]


def _pg_admin(url: str, sql: str) -> None:
    import psycopg  # a dependency of shebao (psycopg[binary])

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def pg_fresh(url: str, suffix: str) -> str | None:
    """A fresh database next to ``url`` (its name plus ``suffix``); None if the server is unreachable."""
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "shebao_bench") + "_" + suffix
    try:
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(url, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no server, no rights: skip PostgreSQL, say why
        print(f"  (PostgreSQL not available at {url}: {exc.__class__.__name__}: {exc})", file=sys.stderr)
        return None
    return urlunsplit(parts._replace(path="/" + name))


def pg_drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with contextlib.suppress(Exception):
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small sizes; fail on any failed check (CI)")
    parser.add_argument("--only", nargs="*", default=None, help="script names (without .py) to run")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per script run")
    args = parser.parse_args()

    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != "run.py")
    if args.only:
        scripts = [p for p in scripts if p.stem in set(args.only)]
    skipped = [p for p in scripts if (header(p, "runner") or "").split()[:1] == ["skip"]]
    scripts = [p for p in scripts if p not in skipped]
    lines = machine()
    for line in lines:
        print(line, flush=True)
    rows: list[list[str]] = []
    failures: list[str] = []
    notes: list[str] = [f"{p.stem}: not run here (its own target, e.g. make {p.stem})" for p in skipped]
    for script in scripts:
        databases = (header(script, "databases") or "default").split()
        extra = header(script, "smoke" if args.smoke else "args") or ""
        for database in databases:
            env = dict(os.environ)
            env.pop("DATABASE_URL", None)
            pg_url = None
            if database == "postgresql":
                if args.no_postgres:
                    notes.append(f"{script.stem}: PostgreSQL run skipped (--no-postgres)")
                    continue
                pg_url = pg_fresh(args.postgres, script.stem)
                if pg_url is None:
                    notes.append(f"{script.stem}: PostgreSQL run skipped (server not reachable)")
                    continue
                env["DATABASE_URL"] = pg_url
            command = [sys.executable, str(script), *shlex.split(extra)]
            label = f"{script.stem} [{database}]" if database != "default" else script.stem
            print(f"\n== {label}: {' '.join(shlex.quote(c) for c in command[1:])}", flush=True)
            started = time.perf_counter()
            found = 0
            try:
                proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, bufsize=1, cwd=HERE.parent)
                assert proc.stdout is not None
                for line in proc.stdout:
                    print("   " + line.rstrip("\n"), flush=True)
                    fields = parse(line)
                    if fields is not None:
                        rows.append(fields)
                        found += 1
                    elif line.startswith(CHECK_FAILED):
                        failures.append(f"{label}: {line.split(chr(9), 1)[-1].strip()}")
                code = proc.wait(timeout=args.timeout)
            finally:
                if pg_url is not None:
                    pg_drop(pg_url)
            took = time.perf_counter() - started
            print(f"   ({label}: exit {code}, {took:.0f} s)", flush=True)
            if code != 0:
                failures.append(f"{label}: exit status {code}")
            if found == 0:
                failures.append(f"{label}: printed no RESULT line")

    print()
    for line in lines:
        print(line)
    titles = ["benchmark", "figure", "peer", "ratio", "target", "met"]
    widths = [max(len(str(r[i])) for r in [titles, *rows]) for i in range(6)]
    print("  ".join(t.ljust(w) for t, w in zip(titles, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    for note in notes:
        print(f"note: {note}")
    for failure in failures:
        print(f"FAILED: {failure}")
    if args.smoke:
        return 1 if failures else 0
    return 1 if any("exit status" in f or "no RESULT" in f for f in failures) else 0


if __name__ == "__main__":
    sys.exit(main())
