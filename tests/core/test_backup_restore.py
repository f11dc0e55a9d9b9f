"""``shebao backup`` / ``shebao restore`` end to end, as an operator runs them: a populated database
(``shebao demo``) and an upload are backed up, restored into a fresh database and media folder, and
the result passes ``shebao audit verify`` with data equal to the original. On PostgreSQL when the
suite runs there (``DATABASE_URL=postgres://…``: pg_dump / pg_restore), else on SQLite files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = BASE_URL.startswith("postgres")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shebao.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[list[str]]:
    """Three empty databases: the original, the restore target, one for a damaged archive."""
    if not ON_POSTGRES:
        yield [f"sqlite:///{tmp_path / name}.sqlite3" for name in ("original", "restored", "damaged")]
        return
    import psycopg

    stem = BASE_URL.rsplit("/", 1)[0]
    names = [f"shebao_bk_{uuid.uuid4().hex[:8]}_{n}" for n in ("original", "restored", "damaged")]
    admin = psycopg.connect(f"{stem}/postgres", autocommit=True)
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        yield [f"{stem}/{name}" for name in names]
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _env(tmp_path: Path, url: str, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEBAO_", "DATABASE_URL", "DJANGO_"))}
    env.update(DATABASE_URL=url, SHEBAO_DATA_DIR=str(tmp_path / name), SHEBAO_MEDIA_DIR=str(tmp_path / name / "up"))
    return env


def test_backup_then_restore_into_a_fresh_database_is_equal_and_verifies(tmp_path: Path,
                                                                           databases: list[str]) -> None:
    original = _env(tmp_path, databases[0], "original")
    seeded = _run(original, "demo", "--employers", "3", "--persons", "30", "--cases", "12")
    assert seeded.returncode == 0, seeded.stderr
    upload = Path(original["SHEBAO_MEDIA_DIR"]) / "cases" / "2026" / "11" / (uuid.uuid4().hex + ".pdf")
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4\n" + os.urandom(2048))

    archive = tmp_path / "shebao.tar.gz"
    made = _run(original, "backup", "--out", str(archive))
    assert made.returncode == 0, made.stderr
    assert archive.stat().st_mode & 0o077 == 0  # the archive holds personal data: owner only
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        names = tar.getnames()
    assert manifest["audit"]["events"] > 0 and manifest["tables"]["registry_person"]["rows"] >= 30
    assert f"uploads/{upload.relative_to(original['SHEBAO_MEDIA_DIR']).as_posix()}" in names

    restored = _env(tmp_path, databases[1], "restored")
    result = _run(restored, "restore", str(archive))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "data equal to the backup" in result.stdout
    verify = _run(restored, "audit", "verify")
    assert verify.returncode == 0 and f"{manifest['audit']['events']} events checked, 0 breaks" in verify.stdout

    # Independently of restore's own check: a backup of the restored database has the same
    # fingerprint (every table's rows and SHA-256) as the original, and the upload is byte-equal.
    again = tmp_path / "again.tar.gz"
    assert _run(restored, "backup", "--out", str(again)).returncode == 0
    with tarfile.open(again) as tar:
        second = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert second["tables"] == manifest["tables"] and second["audit"] == manifest["audit"]
    copy = Path(restored["SHEBAO_MEDIA_DIR"]) / upload.relative_to(original["SHEBAO_MEDIA_DIR"])
    assert copy.read_bytes() == upload.read_bytes()

    # A second restore over the now populated database is refused and changes nothing.
    refused = _run(restored, "restore", str(archive))
    assert refused.returncode == 2 and "not empty" in refused.stderr


def test_restore_reports_an_archive_that_does_not_match_its_manifest(tmp_path: Path, databases: list[str]) -> None:
    original = _env(tmp_path, databases[0], "original")
    assert _run(original, "demo", "--employers", "1", "--persons", "5", "--cases", "2").returncode == 0
    archive = tmp_path / "shebao.tar.gz"
    assert _run(original, "backup", "--out", str(archive)).returncode == 0

    # Rewrite the manifest so that it claims one more audit event than the database holds.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["core_auditevent"]["rows"] += 1
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    result = _run(_env(tmp_path, databases[2], "damaged"), "restore", str(damaged))
    assert result.returncode == 1 and "PROBLEM: table core_auditevent" in result.stdout

    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not an archive")
    result = _run(_env(tmp_path, databases[1], "restored"), "restore", str(garbage))
    assert result.returncode == 2 and "not a shebao backup archive" in result.stderr
