"""``shebao backup`` and ``shebao restore``: the database and the uploaded files in one archive.

An archive (``.tar.gz``) holds

* ``manifest.json`` — when and from what it was made, each table's row count and SHA-256 over its
  rows (the *fingerprint*), the audit chain's length and last hash, and every upload's size and
  SHA-256;
* ``database.sqlite3`` — SQLite, copied with SQLite's online backup API (consistent while the
  server keeps writing), or ``database.pgdump`` — PostgreSQL, ``pg_dump --format=custom`` run on
  a snapshot exported from the transaction that computes the fingerprint, so both describe the
  same moment;
* ``uploads/…`` — ``MEDIA_ROOT``, copied after the database snapshot: every file the snapshot
  refers to was written before its row was committed, so it is there.

``restore`` puts an archive into an *empty* database (``--force`` to overwrite) and the media
folder, then recomputes the fingerprint, checks every upload's hash and verifies the audit
chain; any difference is reported and the exit status is non-zero.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_NAME = "database.sqlite3"
PG_NAME = "database.pgdump"
UPLOADS = "uploads"


class BackupError(RuntimeError):
    """Something the operator must fix (a missing tool, a non-empty target, a damaged archive)."""


# --------------------------------------------------------------------------- fingerprint


def _tables() -> list[tuple[str, str]]:
    """(table, primary-key column) of every model table, plus Django's migration record."""
    seen: dict[str, str] = {"django_migrations": "id"}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            seen.setdefault(meta.db_table, meta.pk.column if meta.pk is not None else "1")
    return sorted(seen.items())


def _norm(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _fingerprint(cursor: Any, tables: Iterable[tuple[str, str]], quote: Any) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for table, pk in tables:
        try:
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")  # names come from the models
        except Exception:  # a model whose table is not in this database (an unapplied migration)
            continue
        digest = hashlib.sha256()
        count = 0
        for batch in iter(lambda: cursor.fetchmany(2000), []):
            for values in batch:
                digest.update("\x1f".join(_norm(v) for v in values).encode())
                digest.update(b"\x1e")
                count += 1
        result[table] = {"rows": count, "sha256": digest.hexdigest()}
    return result


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_fingerprint(path: Path) -> dict[str, dict[str, Any]]:
    """Fingerprint of an SQLite file, read with plain ``sqlite3`` (no Django type converters, so a
    backup file and a restored database are read the same way)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        existing = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        tables = [(t, pk) for t, pk in _tables() if t in existing]
        return _fingerprint(db.cursor(), tables, _sqlite_quote)
    finally:
        db.close()


def live_fingerprint() -> dict[str, dict[str, Any]]:
    """Fingerprint of the database Django is connected to (PostgreSQL), in the current transaction."""
    existing = set(connection.introspection.table_names())
    tables = [(t, pk) for t, pk in _tables() if t in existing]
    with connection.cursor() as cursor:
        return _fingerprint(cursor, tables, connection.ops.quote_name)


def _audit_summary(fingerprint_rows: int, cursor: Any) -> dict[str, Any]:
    cursor.execute("SELECT seq, hash FROM core_auditevent ORDER BY seq DESC LIMIT 1")
    last = cursor.fetchone()
    return {"events": fingerprint_rows, "last_seq": last[0] if last else 0, "last_hash": last[1] if last else ""}


# --------------------------------------------------------------------------- media


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- backup


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        m = self.manifest
        rows = sum(t["rows"] for t in m["tables"].values())
        return [f"backup: {self.path}",
                f"  database {m['database']}: {len(m['tables'])} tables, {rows} rows",
                f"  audit chain: {m['audit']['events']} events, last #{m['audit']['last_seq']}",
                f"  uploads: {len(m['media'])} files, {sum(f['size'] for f in m['media'])} bytes"]


def _pg_env_and_url() -> tuple[dict[str, str], list[str]]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432),
            "--username", str(db.get("USER") or "postgres"), "--dbname", str(db["NAME"])]
    return env, args


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (apt-get install postgresql-client)")
    return path


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def backup_create(*, out: Path) -> BackupResult:
    """Write a backup archive to ``out`` (made 0600: it holds every resident's data)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(prefix="shebao-backup-") as tmp:
        work = Path(tmp)
        if vendor == "sqlite":
            db_file = work / SQLITE_NAME
            connection.ensure_connection()
            target = sqlite3.connect(db_file)
            try:
                connection.connection.backup(target)  # SQLite's online backup API: a consistent copy
            finally:
                target.close()
            tables = sqlite_fingerprint(db_file)
            lite = sqlite3.connect(db_file)
            try:
                audit = _audit_summary(tables.get("core_auditevent", {}).get("rows", 0), lite.cursor())
            finally:
                lite.close()
        elif vendor == "postgresql":
            db_file = work / PG_NAME
            pg_dump = _tool("pg_dump")
            env, args = _pg_env_and_url()
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
                # pg_dump reads the very snapshot this transaction sees (held open until it ends).
                done = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                                       f"--snapshot={snapshot}", "--file", str(db_file), *args],
                                      env=env, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
                tables = live_fingerprint()
                with connection.cursor() as cursor:
                    audit = _audit_summary(tables.get("core_auditevent", {}).get("rows", 0), cursor)
        else:  # pragma: no cover - settings allow only these two
            raise BackupError(f"unsupported database {vendor}")

        media_root = _media_root()
        media: list[dict[str, Any]] = [
            {"path": p.relative_to(media_root).as_posix(), "size": p.stat().st_size, "sha256": _sha256(p)}
            for p in _files(media_root)]
        manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(), "database": vendor,
                    "tables": tables, "audit": audit, "media": media}
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            archive.add(db_file, arcname=db_file.name)
            for entry in media:
                archive.add(media_root / entry["path"], arcname=f"{UPLOADS}/{entry['path']}")
        os.chmod(partial, 0o600)
        os.replace(partial, out)  # never leave a half-written archive under the final name
    return BackupResult(path=out, manifest=manifest)


# --------------------------------------------------------------------------- restore


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    audit_events: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        rows = sum(t["rows"] for t in self.manifest["tables"].values())
        out = [f"restore: {len(self.manifest['tables'])} tables, {rows} rows, {len(self.manifest['media'])} uploads "
               f"(backup of {self.manifest['created_at']})",
               f"  audit chain: {self.audit_events} events verified"]
        out += [f"  PROBLEM: {p}" for p in self.problems]
        out.append("restore: OK, data equal to the backup" if self.ok else "restore: FAILED")
        return out


@contextmanager
def _opened(path: Path) -> Iterator[tuple[dict[str, Any], tarfile.TarFile]]:
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the with below, after the check)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path}: not a shebao backup archive ({exc})") from exc
    with archive:
        member = archive.extractfile(MANIFEST) if MANIFEST in archive.getnames() else None
        if member is None:
            raise BackupError(f"{path}: no {MANIFEST} in the archive")
        manifest = json.loads(member.read())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path}: archive format {manifest.get('format')} is not {FORMAT}")
        yield manifest, archive


def _database_is_empty() -> bool:
    return "django_migrations" not in connection.introspection.table_names()


def backup_restore(*, path: Path, force: bool = False, out: TextIO | None = None) -> RestoreReport:
    """Restore an archive into the configured database and media folder, then check it."""
    from .audit import audit_verify

    with _opened(path) as (manifest, archive), tempfile.TemporaryDirectory(prefix="shebao-restore-") as tmp:
        vendor = connection.vendor
        if manifest["database"] != vendor:
            raise BackupError(f"the archive holds a {manifest['database']} database; this one is {vendor}")
        if not force and not _database_is_empty():
            raise BackupError("the target database is not empty: restore into a new database, or pass --force")
        media_root = _media_root()
        if not force and any(True for _ in _files(media_root)):
            raise BackupError(f"the media folder {media_root} is not empty: use an empty one, or pass --force")
        work = Path(tmp)
        # filter="data" refuses absolute paths, "..", links out of the folder and device files.
        archive.extractall(work, filter="data")

        if vendor == "sqlite":
            target_path = Path(str(settings.DATABASES["default"]["NAME"]))
            connection.close()
            source = sqlite3.connect(work / SQLITE_NAME)
            target = sqlite3.connect(target_path)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            tables = sqlite_fingerprint(target_path)
        else:
            pg_restore = _tool("pg_restore")
            env, args = _pg_env_and_url()
            connection.close()
            flags = ["--clean", "--if-exists"] if force else []
            done = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", *flags, *args,
                                   str(work / PG_NAME)], env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
            with transaction.atomic():
                tables = live_fingerprint()

        media_root.mkdir(parents=True, exist_ok=True)
        uploads = work / UPLOADS
        for entry in manifest["media"]:
            target_file = media_root / entry["path"]
            target_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(uploads / entry["path"], target_file)

    report = RestoreReport(manifest=manifest)
    for table, expected in manifest["tables"].items():
        got = tables.get(table)
        if got != expected:
            report.problems.append(f"table {table}: expected {expected['rows']} rows {expected['sha256'][:12]}, "
                                   f"got {got['rows'] if got else 'none'} {got['sha256'][:12] if got else ''}")
    for entry in manifest["media"]:
        restored = media_root / entry["path"]
        if not restored.is_file() or _sha256(restored) != entry["sha256"]:
            report.problems.append(f"upload {entry['path']}: missing or different")
    count, breaks = audit_verify()
    report.audit_events = count
    report.problems += [f"audit chain break at #{b.seq}: {b.reason}" for b in breaks]
    if count != manifest["audit"]["events"]:
        report.problems.append(f"audit chain has {count} events, the backup {manifest['audit']['events']}")
    if out is not None:
        for line in report.lines():
            print(line, file=out)
    return report
