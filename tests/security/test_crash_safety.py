"""Crash safety: the real server under load, killed with SIGKILL again and again.

``shebao serve`` (waitress) runs as a subprocess on a free loopback port, on a database of its own
(SQLite in a temporary directory, or — when the suite runs on PostgreSQL — a dedicated database
named after the suite's, ``<name>_crash``, created and dropped here). Client threads submit
cases (each with an ``Idempotency-Key``), check their materials and accept them, over HTTP. The
server is killed mid-load ``KILLS`` times and restarted each time. Then, against the database:

* every acknowledged action (a 2xx response) is there exactly once: one case per idempotency key
  (a submission retried across a crash included), one ``materials_checked`` / ``accepted`` event
  on the case for each acknowledged check and acceptance;
* ``shebao audit verify`` passes: the hash chain survived every kill.

A request whose answer was lost in a crash is never repeated blindly (only submissions are
retried, with their key), so "exactly once" is a real check and not a tally of retries.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from .figures import add
from .served import (
    SETUP_ACCOUNTS,
    Server,
    call,
    postgres_recreate,
    postgres_url_for,
    run_in_django,
    server_env,
    shebao,
)

KILLS = int(os.environ.get("SHEBAO_CRASH_KILLS", "4"))
WORKERS = 4
ITEM = "SBZX00024"  # a counter item (4-step flow), handled at the district office
CREDIT_CODE = "91420102MA4K3B7Q6F"

STATE = """
from collections import Counter
from shebao.cases.models import Case, CaseEvent
keys = {}
for key, public_id in Case.objects.filter(idempotency_key__startswith="crash-").values_list("idempotency_key", "public_id"):
    keys.setdefault(key, []).append(str(public_id))
events = Counter()
for public_id, action in CaseEvent.objects.filter(case__idempotency_key__startswith="crash-").values_list(
        "case__public_id", "action"):
    events[f"{public_id} {action}"] += 1
result = {"keys": keys, "events": dict(events)}
"""


@dataclass
class Ledger:
    """What the clients were told succeeded."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    submitted: dict[str, str] = field(default_factory=dict)       # idempotency key → case id
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (case id, event action)
    attempted_keys: set[str] = field(default_factory=set)
    unanswered: int = 0

    def ack(self, case_id: str, action: str) -> None:
        with self.lock:
            self.acknowledged.append((case_id, action))


def _submit(server: Server, token: str, org_unit: str, key: str, ledger: Ledger, stop: threading.Event) -> str | None:
    """Submit until answered: a retry after a crash carries the same key, so it cannot make a second case."""
    body = {"item_code": ITEM, "channel": "counter", "org_unit": org_unit, "applicant_type": "unit",
            "applicant_name": "武汉崩溃测试有限公司", "applicant_credit_code": CREDIT_CODE}
    with ledger.lock:
        ledger.attempted_keys.add(key)
    while not stop.is_set():
        reply = call(server.base, "POST", "/api/v1/cases", token=token, body=body, headers={"Idempotency-Key": key})
        if reply.ok:
            case_id = str(reply.body["id"])
            with ledger.lock:
                ledger.submitted[key] = case_id
            ledger.ack(case_id, "submitted")
            return case_id
        if reply.status and reply.status < 500:
            raise AssertionError(f"submission refused: {reply.status} {reply.body}")
        with ledger.lock:
            ledger.unanswered += 1
        time.sleep(0.05)  # the server is down or restarting
    return None


def _worker(n: int, server: Server, tokens: dict[str, Any], ledger: Ledger, stop: threading.Event,
            errors: list[str]) -> None:
    i = 0
    try:
        while not stop.is_set():
            i += 1
            case_id = _submit(server, tokens["clerk"], tokens["org_unit"], f"crash-{n}-{i}", ledger, stop)
            if case_id is None:
                return
            detail = call(server.base, "GET", f"/api/v1/cases/{case_id}", token=tokens["clerk"])
            if not detail.ok:
                continue  # the server went down: leave this case, start another
            checks = [{"material_id": m["material_id"], "original": True, "copy": True}
                      for m in detail.body["materials"]]
            for action, path, body in (("materials_checked", "materials", {"materials": checks}),
                                       ("accepted", "accept", None)):
                reply = call(server.base, "POST", f"/api/v1/cases/{case_id}/{path}", token=tokens["clerk"], body=body)
                if reply.ok:
                    ledger.ack(case_id, action)
                    continue
                if reply.status and reply.status < 500:
                    errors.append(f"{path} refused: {reply.status} {reply.body}")
                with ledger.lock:
                    ledger.unanswered += 1
                break  # outcome unknown: never repeat it blindly
    except Exception as exc:  # reported by the test, not lost in a thread
        errors.append(f"worker {n}: {exc!r}")


def _database_url(tmp_path: Path) -> str | None:
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shebao")
        url = postgres_url_for(base, "crash")
        postgres_recreate(url)
        return url
    return None  # SQLite in tmp_path (SHEBAO_DATA_DIR)


def test_acknowledged_actions_survive_sigkill(tmp_path: Path) -> None:
    database_url = _database_url(tmp_path)
    env = server_env(data_dir=tmp_path, database_url=database_url)
    server = Server(env, log_path=tmp_path / "server.log")
    rng = random.Random(2017)
    try:
        server.start()  # migrates and loads the catalog into the new database
        tokens = run_in_django(SETUP_ACCOUNTS, env)
        ledger, stop, errors = Ledger(), threading.Event(), []
        workers = [threading.Thread(target=_worker, args=(n, server, tokens, ledger, stop, errors), daemon=True)
                   for n in range(WORKERS)]
        for thread in workers:
            thread.start()
        kills = 0
        pids = set()
        for _ in range(KILLS):
            time.sleep(rng.uniform(2.0, 3.5))
            before = len(ledger.acknowledged)
            pids.add(server.pid)
            server.kill()
            kills += 1
            server.start()
            assert len(ledger.acknowledged) >= before
        time.sleep(1.5)  # the last server takes load too
        stop.set()
        for thread in workers:
            thread.join(timeout=60)
        server.stop()
        assert errors == [], errors
        assert len(pids) == KILLS  # a new process each time

        state = run_in_django(STATE, env)
        verify = shebao(["audit", "verify"], env)
    finally:
        server.stop()
        if database_url:
            postgres_recreate(database_url, drop_only=True)

    keys: dict[str, list[str]] = state["keys"]
    events: dict[str, int] = state["events"]
    # One case per key, whether or not its submission was acknowledged; the acknowledged one is it.
    assert all(len(ids) == 1 for ids in keys.values()), {k: v for k, v in keys.items() if len(v) != 1}
    assert set(keys) <= ledger.attempted_keys
    for key, case_id in ledger.submitted.items():
        assert keys.get(key) == [case_id], (key, case_id, keys.get(key))
    acknowledged = Counter(ledger.acknowledged)
    assert all(n == 1 for n in acknowledged.values())
    missing_or_doubled = {f"{case} {action}": events.get(f"{case} {action}", 0)
                          for case, action in acknowledged if events.get(f"{case} {action}", 0) != 1}
    assert missing_or_doubled == {}, missing_or_doubled
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "0 breaks" in verify.stdout
    assert len(ledger.acknowledged) > 3 * KILLS  # there was load to lose

    db = "postgresql" if database_url else "sqlite"
    add(f"crash safety ({db}): kills survived", kills)
    add(f"crash safety ({db}): acknowledged actions verified", len(ledger.acknowledged))
    add(f"crash safety ({db}): requests refused or cut by a kill", ledger.unanswered)

