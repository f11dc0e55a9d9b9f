"""Concurrency against the real server and database (PostgreSQL in CI's PostgreSQL run):

* two clerks press a button on the same case at the same moment → exactly one succeeds, the other
  gets 409 with a Chinese message saying the case was already handled;
* one submission sent many times at once with one ``Idempotency-Key`` → one case;
* ``shebao tick`` started twice at once (two processes, one database) → one batch, each automatic
  step done once, both exit 0: the second waits for the first (``tick_lock``) and finds the work done.

The server runs on a database of its own (``<name>_concurrency`` on PostgreSQL, a temporary
SQLite file otherwise), as in the crash test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from .figures import add
from .served import (
    ROOT,
    SETUP_ACCOUNTS,
    Reply,
    Server,
    call,
    postgres_recreate,
    postgres_url_for,
    run_in_django,
    server_env,
    shebao,
)

CREDIT_CODE = "91420102MA4K3B7Q6F"
ROUNDS = int(os.environ.get("SHEBAO_RACE_ROUNDS", "12"))


class Served:
    def __init__(self, server: Server, env: dict[str, str], tokens: dict[str, Any]) -> None:
        self.server, self.env, self.tokens = server, env, tokens

    def post(self, path: str, *, who: str = "clerk", body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return call(self.server.base, "POST", path, token=self.tokens[who], body=body, headers=headers)

    def get(self, path: str, *, who: str = "clerk") -> Reply:
        return call(self.server.base, "GET", path, token=self.tokens[who])

    def submit(self, item: str = "SBZX00024", *, key: str = "") -> str:
        reply = self.post("/api/v1/cases", body={
            "item_code": item, "channel": "counter", "org_unit": self.tokens["org_unit"], "applicant_type": "unit",
            "applicant_name": "武汉并发测试有限公司", "applicant_credit_code": CREDIT_CODE}, headers=(
            {"Idempotency-Key": key} if key else None))
        assert reply.status == 201, reply.body
        case_id = str(reply.body["id"])
        materials = [{"material_id": m["material_id"], "original": True, "copy": True}
                     for m in reply.body["materials"]]
        assert self.post(f"/api/v1/cases/{case_id}/materials", body={"materials": materials}).ok
        return case_id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("concurrency")
    database_url = None
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        database_url = postgres_url_for(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shebao"),
                                        "concurrency")
        postgres_recreate(database_url)
    env = server_env(data_dir=tmp, database_url=database_url)
    server = Server(env, log_path=tmp / "server.log")
    try:
        server.start()
        yield Served(server, env, run_in_django(SETUP_ACCOUNTS, env))
    finally:
        server.stop()
        if database_url:
            postgres_recreate(database_url, drop_only=True)


def _at_once(calls: list[Any]) -> list[Reply]:
    """Run the calls in threads released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    replies: list[Reply | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        replies[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in replies)
    return [r for r in replies if r is not None]


def test_two_clerks_on_one_case_one_wins_the_other_gets_a_clear_conflict(served: Served) -> None:
    for n in range(ROUNDS):
        case_id = served.submit()
        # The window clerk accepts while the reviewer (same office) accepts or refuses.
        second = ("accept", None) if n % 2 else ("refuse", {"reasons": "材料不符合要求"})
        replies = _at_once([
            lambda c=case_id: served.post(f"/api/v1/cases/{c}/accept", who="clerk"),
            lambda c=case_id, s=second: served.post(f"/api/v1/cases/{c}/{s[0]}", who="reviewer", body=s[1]),
        ])
        statuses = sorted(r.status for r in replies)
        assert statuses == [200, 409], (n, [(r.status, r.body) for r in replies])
        loser = next(r for r in replies if r.status == 409)
        assert loser.body["error"] == "conflict"
        message = loser.body["message"]
        assert "办件" in message and ("已被他人处理" in message or "当前状态为" in message), message
        detail = served.get(f"/api/v1/cases/{case_id}").body
        actions = [e["action"] for e in detail["events"]]
        assert actions.count("accepted") + actions.count("refused") == 1, actions
    add("concurrency: simultaneous actions on one case (one won, one 409)", ROUNDS)


def test_one_idempotency_key_sent_many_times_at_once_makes_one_case(served: Served) -> None:
    body = {"item_code": "SBZX00024", "channel": "counter", "org_unit": served.tokens["org_unit"],
            "applicant_type": "unit", "applicant_name": "武汉幂等测试有限公司", "applicant_credit_code": CREDIT_CODE}
    sent = 0
    for n in range(4):
        key = f"idem-{n}"
        replies = _at_once([lambda k=key: served.post("/api/v1/cases", body=body, headers={"Idempotency-Key": k})
                            for _ in range(6)])
        sent += len(replies)
        assert all(r.status == 201 for r in replies), [(r.status, r.body) for r in replies]
        assert len({r.body["id"] for r in replies}) == 1
    # And sequential retries, in the body instead of the header, return the same case too.
    first = served.post("/api/v1/cases", body={**body, "idempotency_key": "idem-body"})
    again = served.post("/api/v1/cases", body={**body, "idempotency_key": "idem-body"})
    assert first.status == again.status == 201 and first.body["id"] == again.body["id"]
    counts = run_in_django("""
from django.db.models import Count
from shebao.cases.models import Case
result = dict(Case.objects.filter(idempotency_key__startswith="idem-").values_list("idempotency_key")
              .annotate(n=Count("id")).values_list("idempotency_key", "n"))
""", served.env)
    assert counts == {"idem-0": 1, "idem-1": 1, "idem-2": 1, "idem-3": 1, "idem-body": 1}
    add("concurrency: simultaneous submissions with one key", sent)


HOLD_LOCK = """
import sys, time
from shebao.cases.scheduler import tick_lock
with tick_lock():
    print("held", flush=True)
    if sys.argv[1] == "stdin":
        sys.stdin.readline()  # until the test says so
    else:
        time.sleep(float(sys.argv[1]))
"""

TICK_STATE = """
from django.db.models import Count
from shebao.cases.models import Batch, CaseEvent
from shebao.registry.models import Payable, PaymentRun
result = {
    "batches": list(Batch.objects.values_list("org_unit__code", "step_key", "cutoff").order_by("id")
                    .values_list("step_key", flat=True)),
    "auto_steps": dict(CaseEvent.objects.filter(action="step_completed", detail__automatic=True)
                       .values_list("case__public_id").annotate(n=Count("id")).values_list("case__public_id", "n")),
    "payables_doubled": Payable.objects.filter(period__isnull=False).values("decision", "period", "kind")
                        .annotate(n=Count("id")).filter(n__gt=1).count(),
    "payment_runs": PaymentRun.objects.count(),
}
result["auto_steps"] = {str(k): v for k, v in result["auto_steps"].items()}
"""


def test_tick_started_twice_at_once_does_the_work_once(served: Served) -> None:
    # Cases waiting at a monthly batch step (district review → batch to the city centre by the 20th).
    cases = []
    for _ in range(3):
        case_id = served.submit("YBZX00008")
        assert served.post(f"/api/v1/cases/{case_id}/accept").ok
        step = served.post(f"/api/v1/cases/{case_id}/complete-step", who="reviewer",
                           body={"outcome": "pass", "note": "初审通过"})
        assert step.ok, step.body
        assert any(s["kind"] == "batch" and s["status"] == "active" for s in step.body["steps"])
        cases.append(case_id)
    due = next(s["due"] for s in served.get(f"/api/v1/cases/{cases[0]}").body["steps"] if s["kind"] == "batch")
    now = f"{due}T09:00"
    before = run_in_django(TICK_STATE, served.env)

    # A third process holds the lock while both ticks start, so they certainly meet at the lock.
    # Held long enough for both tick processes to start (Django set-up, migrate) on a busy CI machine.
    holder = subprocess.Popen([sys.executable, "-c", "import django; django.setup()\n" + HOLD_LOCK, "10"],
                              env=served.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    ticks = [subprocess.Popen([sys.executable, "-m", "shebao.cli", "tick", "--now", now], env=served.env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [t.communicate(timeout=240) for t in ticks]
    holder.wait(timeout=60)
    for tick, (out, err) in zip(ticks, outputs, strict=True):
        assert tick.returncode == 0, out + err
        assert "waited" in out, out  # each met the lock
    sent = sorted(next(line for line in out.splitlines() if line.startswith("batches sent:")) for out, _ in outputs)
    assert sent[0].startswith("batches sent: 0") and sent[1].startswith("batches sent: 1"), sent

    after = run_in_django(TICK_STATE, served.env)
    assert len(after["batches"]) == len(before["batches"]) + 1
    assert all(after["auto_steps"].get(c) == 1 for c in cases), after["auto_steps"]
    assert after["payables_doubled"] == 0
    assert after["payment_runs"] == before["payment_runs"]
    verify = shebao(["audit", "verify"], served.env)
    assert verify.returncode == 0, verify.stdout
    add("concurrency: ticks started at once (one batch, steps once)", 2)


def test_tick_lock_is_a_real_lock(served: Served, tmp_path: Path) -> None:
    """While one process holds it, another cannot take it (it times out)."""
    holder = subprocess.Popen([sys.executable, "-c", "import django; django.setup()\n" + HOLD_LOCK, "stdin"],
                              env=served.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    try:
        outcome = run_in_django("""
from shebao.cases.scheduler import tick_lock
from shebao.core.locks import LockTimeout
try:
    with tick_lock(timeout=0.5):
        result = "acquired"
except LockTimeout:
    result = "timed out"
""", served.env)
    finally:
        holder.communicate("release\n", timeout=30)
    assert outcome == "timed out"
    assert run_in_django("""
from shebao.cases.scheduler import tick_lock
with tick_lock(timeout=5):
    result = "acquired"
""", served.env) == "acquired"
