"""The ``shebao`` command.

Each sub-command prepares Django (settings, migrations where it writes) and hands over to a
function in the app that owns the work, so this file stays a table of contents.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any


def _setup_django(*, migrate: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def _ensure_catalog() -> None:
    """Commands that read the catalog load the bundled edition into an empty database first."""
    from shebao.catalog.services import catalog_ensure_loaded

    catalog_ensure_loaded()


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """Bound glibc's malloc arenas before the server's threads start.

    glibc gives threads their own arenas (up to 8 per core); each of waitress's eight threads then
    keeps the high-water mark of the largest requests it served, and the process's memory creeps up
    for as long as it runs (bench/soak.py: +30% in ten minutes, flat with two arenas). Python
    threads take turns on the GIL anyway, so fewer arenas cost no measurable time. An explicit
    ``MALLOC_ARENA_MAX`` in the environment wins; other C libraries are left alone."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX (malloc.h)
    except (OSError, AttributeError):  # not glibc (musl): nothing to bound
        return


def cmd_serve(args: argparse.Namespace) -> int:
    _limit_malloc_arenas()
    _setup_django(migrate=True)
    _ensure_catalog()
    if args.demo:
        from shebao.cases.demo import demo_cases_seed
        from shebao.core.demo import demo_seed
        from shebao.registry.demo import demo_registry_seed

        demo_seed()
        demo_registry_seed()
        demo_cases_seed()
    from django.conf import settings

    from shebao.core.dbstats import db_statistics_refresh

    db_statistics_refresh()  # SQLite's planner needs statistics to pick the right index
    from django.core.wsgi import get_wsgi_application

    from shebao.core.server import serve

    # Waitress: a pure-Python production WSGI server (threads, no reloader), so `shebao serve`
    # is the same server on a laptop and behind the bureau's reverse proxy; --workers N runs N
    # processes on one socket (one per core in production: shebao/core/server.py).
    proxy: dict[str, Any] = {}
    if settings.SHEBAO_TRUSTED_PROXY:
        # Behind the bureau's reverse proxy: take the client address (lockout, rate limits, access
        # log) and scheme from its X-Forwarded-* headers, and drop them from anyone else.
        proxy = {"trusted_proxy": settings.SHEBAO_TRUSTED_PROXY, "trusted_proxy_count": 1,
                 "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                 "clear_untrusted_proxy_headers": True}
    print(f"shebao: serving http://{args.host}:{args.port}/  ({args.workers} worker(s), {args.threads} threads "
          "each; Ctrl-C to stop)", flush=True)
    serve(get_wsgi_application(), host=args.host, port=args.port, workers=args.workers, threads=args.threads,
          **proxy)
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    from shebao.catalog.cli import catalog_import_command

    return catalog_import_command(path=args.path, dry_run=args.dry_run, out=sys.stdout)


def cmd_catalog_export(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    _ensure_catalog()
    from shebao.catalog.cli import catalog_export_command

    return catalog_export_command(fmt=args.format, out_path=args.out, version=args.version)


def cmd_deadline(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    from shebao.workdays.cli import deadline_command

    return deadline_command(start=args.start, rule=args.rule, as_json=args.json, out=sys.stdout)


def cmd_calendar_load(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    from shebao.workdays.cli import calendar_load_command

    return calendar_load_command(path=args.path, out=sys.stdout)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    from shebao.core.audit import audit_verify

    count, breaks = audit_verify()
    for brk in breaks:
        print(f"BREAK at #{brk.seq}: {brk.reason}")
    print(f"audit chain: {count} events checked, {len(breaks)} breaks")
    return 1 if breaks else 0


def cmd_backup(args: argparse.Namespace) -> int:
    _setup_django(migrate=False)  # a backup never changes the database it copies
    from pathlib import Path

    from django.conf import settings
    from django.utils import timezone

    from shebao.core.backup import BackupError, backup_create

    out = Path(args.out) if args.out else Path(settings.DATA_DIR) / "backups" / (
        f"shebao-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz")
    try:
        result = backup_create(out=out)
    except BackupError as exc:
        print(f"shebao backup: {exc}", file=sys.stderr)
        return 2
    print("\n".join(result.lines()))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup_django(migrate=False)  # restore first; `shebao serve` applies newer migrations afterwards
    from pathlib import Path

    from shebao.core.backup import BackupError, backup_restore

    try:
        report = backup_restore(path=Path(args.path), force=args.force, out=sys.stdout)
    except BackupError as exc:
        print(f"shebao restore: {exc}", file=sys.stderr)
        return 2
    return 0 if report.ok else 1


def cmd_tick(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    _ensure_catalog()
    from shebao.cases.scheduler import parse_now, tick, tick_lock

    try:
        now = parse_now(args.now)
    except ValueError:
        print(f"shebao: --now “{args.now}” is not an ISO date-time (e.g. 2026-11-30T09:00)", file=sys.stderr)
        return 2
    from django.utils import timezone

    from shebao.supervision.services import supervision_tick

    with tick_lock() as waited:  # another host's tick goes first; this one then finds the work done
        report = tick(now=now)  # cases first, so the warning levels supervision reads are fresh
        lines = [*report.lines(), *supervision_tick(today=timezone.localdate(report.now))]
    if waited >= 0.5:
        lines.insert(1, f"waited {waited:.1f}s for another tick to finish")
    from shebao.core.dbstats import db_statistics_refresh

    db_statistics_refresh()  # the data has grown since the server started: keep SQLite's plans right
    for line in lines:
        print(line)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    _ensure_catalog()
    from shebao.registry.demo import demo_city_command

    return demo_city_command(employers=args.employers, persons=args.persons, seed=args.seed, cases=args.cases)


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup_django(migrate=True)
    from django.contrib.auth.models import User

    from shebao.core.tokens import token_create

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        print(f"shebao: no active user “{args.username}”", file=sys.stderr)
        return 2
    key = token_create(user=user, name=args.name, actor="cli:token-create")
    print(key)
    print("(shown once; send it as: Authorization: Bearer <token>)", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shebao", description="社保经办服务平台 shebao")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, load the catalog if empty, and serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed demo accounts and data")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("SHEBAO_WORKERS", "1")),
                       help="server processes sharing the port (production: one per core; env SHEBAO_WORKERS)")
    serve.add_argument("--threads", type=int, default=int(os.environ.get("SHEBAO_THREADS", "4")),
                       help="threads per process (env SHEBAO_THREADS; docs/decisions/0007)")
    serve.set_defaults(handler=cmd_serve)

    catalog = sub.add_parser("catalog", help="the service catalog").add_subparsers(dest="catalog_cmd", required=True)
    imp = catalog.add_parser("import", help="import an edition of the official document")
    imp.add_argument("path")
    imp.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    imp.set_defaults(handler=cmd_catalog_import)
    exp = catalog.add_parser("export", help="export the published catalog")
    exp.add_argument("--format", choices=["json", "jsonld"], default="json")
    exp.add_argument("--out", default="-", help="file path, or - for standard output")
    exp.add_argument("--version", type=int, default=None, help="catalog version number (default: in force)")
    exp.set_defaults(handler=cmd_catalog_export)

    deadline = sub.add_parser("deadline", help="due date of a time-limit rule")
    deadline.add_argument("--from", dest="start", required=True, help="anchor date YYYY-MM-DD")
    deadline.add_argument("--rule", required=True, help="the rule as written in the guides, e.g. 5个工作日")
    deadline.add_argument("--json", action="store_true")
    deadline.set_defaults(handler=cmd_deadline)

    calendar = sub.add_parser("calendar", help="holiday calendar data").add_subparsers(dest="calendar_cmd", required=True)
    load = calendar.add_parser("load", help="load holidays and make-up working days for other years")
    load.add_argument("path")
    load.set_defaults(handler=cmd_calendar_load)

    tick_cmd = sub.add_parser("tick", help="run the scheduled work once (idempotent)")
    tick_cmd.add_argument("--now", default=None, help="ISO date-time to act as the current moment")
    tick_cmd.set_defaults(handler=cmd_tick)

    demo = sub.add_parser("demo", help="generate a synthetic city (employers, persons, cards, cases)")
    demo.add_argument("--employers", type=int, default=1000)
    demo.add_argument("--persons", type=int, default=50000)
    demo.add_argument("--seed", type=int, default=2017)
    demo.add_argument("--cases", type=int, default=None, help="number of cases (default: employers + persons/5)")
    demo.set_defaults(handler=cmd_demo)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_cmd", required=True)
    token_new = token.add_parser("create", help="create an API token for a user (printed once)")
    token_new.add_argument("username")
    token_new.add_argument("--name", default="api client")
    token_new.set_defaults(handler=cmd_token_create)

    backup = sub.add_parser("backup", help="the database (SQLite online backup / pg_dump) and uploads, one archive")
    backup.add_argument("--out", default=None, help="archive path (default: $SHEBAO_DATA_DIR/backups/shebao-<time>.tar.gz)")
    backup.set_defaults(handler=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup archive into an empty database, then verify it")
    restore.add_argument("path")
    restore.add_argument("--force", action="store_true", help="overwrite a database / media folder that is not empty")
    restore.set_defaults(handler=cmd_restore)

    audit = sub.add_parser("audit", help="audit chain").add_subparsers(dest="audit_cmd", required=True)
    verify = audit.add_parser("verify", help="check the audit chain; non-zero exit on a break")
    verify.set_defaults(handler=cmd_audit_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
