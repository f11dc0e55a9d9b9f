"""Soak: the served application (``shebao serve``, waitress) under mixed clerk and applicant traffic
on loopback for a fixed time, with the server's memory sampled throughout.

Traffic (each kind in its own threads, all against one server on a database of its own):
* applicants (API tokens of an insured person and of an employer's online-hall account): apply
  online (SBZX00036 / SBZX00010; while fewer than ``BACKLOG`` wait for a clerk), list their cases, read one, look at the public portal, the
  progress lookup and the item API;
* window clerks: take each online application, check its materials, accept it (办件编号, notices,
  due dates) and work its flow to 办结 with the reviewer; register counter applications
  (SBZX00024) the same way; open the workbench pages over a signed-in web session.

Every response must be the one expected (zero errors). The server's resident memory (VmRSS)
is sampled every few seconds; "no growth" means the median of the last fifth of the run is within
``--rss-tolerance`` (default 10%) of the median of the second fifth (after warm-up).

Usage: python bench/soak.py [--seconds 600] [--clients 4]   (DATABASE_URL=postgres://…/shebao
runs it on a dedicated database ``shebao_soak`` next to it). Exit status 0 when there were no
errors and no memory growth.
"""
# bench-runner: skip   ten minutes of traffic: `make soak`, not `make bench` / `make bench-smoke` (CI)

from __future__ import annotations

import argparse
import http.cookiejar
import os
import queue
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.security.served import (
    SETUP_ACCOUNTS,
    Reply,
    Server,
    call,
    postgres_recreate,
    postgres_url_for,
    run_in_django,
    server_env,
)

PERSON_ID = "420102199003071232"
UNIT_CREDIT = "91420102MA4K3B7Q6F"
PASSWORD = "load-test-pass-2017"
# Applications wait for the clerks at most this many deep: a steady state, as at a real window,
# rather than a backlog (and open-case lists) growing for as long as the run lasts.
BACKLOG = 20


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    completed: Counter[str] = field(default_factory=Counter)

    def record(self, kind: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if problem:
                self.errors.append(f"{kind}: {problem}")


class Traffic:
    def __init__(self, server: Server, tokens: dict[str, Any], stats: Stats) -> None:
        self.server, self.tokens, self.stats = server, tokens, stats

    def api(self, kind: str, method: str, path: str, *, who: str, body: Any = None, expect: tuple[int, ...] = (200,),
            headers: dict[str, str] | None = None) -> Reply:
        started = time.perf_counter()
        reply = call(self.server.base, method, path, token=self.tokens[who] if who else "", body=body,
                     headers=headers, timeout=30)
        problem = None if reply.status in expect else f"{method} {path} → {reply.status} {str(reply.body)[:200]}"
        self.stats.record(kind, time.perf_counter() - started, problem)
        return reply

    def page(self, kind: str, opener: urllib.request.OpenerDirector, path: str, *, data: bytes | None = None,
             expect: tuple[int, ...] = (200,)) -> str:
        started = time.perf_counter()
        status, text = 0, ""
        try:
            url = self.server.base + urllib.parse.quote(path, safe="/?=&%:+")
            with opener.open(url, data=data, timeout=30) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            text = repr(exc)
        problem = None if status in expect else f"GET {path} → {status} {text[:120]}"
        self.stats.record(kind, time.perf_counter() - started, problem)
        return text


def _session(base: str, username: str) -> urllib.request.OpenerDirector:
    """A signed-in web session (cookie jar), logged in through the login form with its CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        html = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token, "no CSRF token on the login page"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": username,
                                   "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"})
    with opener.open(request, timeout=30) as response:
        response.read()
    if not any(c.name == "sessionid" for c in jar):
        raise RuntimeError(f"login of {username} failed")
    return opener


def applicant_loop(traffic: Traffic, who: str, handoff: queue.Queue[str], stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    anonymous = urllib.request.build_opener()
    item, kind = ("SBZX00036", "person") if who == "person" else ("SBZX00010", "unit")
    identity = {"applicant_id_number": PERSON_ID} if kind == "person" else {"applicant_credit_code": UNIT_CREDIT}
    mine: list[str] = []
    n = 0
    while not stop.is_set():
        n += 1
        roll = rng.random()
        if roll < 0.25 and handoff.qsize() < BACKLOG:
            reply = traffic.api("applicant: apply online", "POST", "/api/v1/cases", who=who, expect=(201,), body={
                "item_code": item, "channel": "online", "org_unit": traffic.tokens["org_unit"], "applicant_type": kind,
                "applicant_name": "张三" if kind == "person" else "武汉负载测试有限公司", **identity,
                "idempotency_key": f"soak-{who}-{seed}-{n}"})
            if reply.ok:
                mine.append(reply.body["id"])
                handoff.put(reply.body["id"])
        elif roll < 0.45:
            traffic.api("applicant: my cases", "GET", "/api/v1/cases?limit=20", who=who)
        elif roll < 0.65 and mine:
            traffic.api("applicant: case detail", "GET", f"/api/v1/cases/{rng.choice(mine[-50:])}", who=who)
        elif roll < 0.8:
            path = rng.choice(["/", "/items/", "/items/SBZX00036/", "/offices/", "/items/?q=dwcb"])
            traffic.page("public: portal page", anonymous, path)
        elif roll < 0.9:
            traffic.api("public: item API", "GET", rng.choice(["/api/v1/items?q=养老", "/api/v1/items/SBZX00024"]),
                        who="")
        else:
            traffic.api("public: progress lookup", "GET", "/api/v1/cases/track?number=JA000000000000&id_tail=071232",
                        who="", expect=(404,))


def _work_to_completion(traffic: Traffic, case_id: str) -> None:
    """Materials → 受理 → each step by the role it names → 办结."""
    detail = traffic.api("clerk: case detail", "GET", f"/api/v1/cases/{case_id}", who="clerk")
    if not detail.ok:
        return
    checks = [{"material_id": m["material_id"], "original": True, "copy": True} for m in detail.body["materials"]]
    if not traffic.api("clerk: check materials", "POST", f"/api/v1/cases/{case_id}/materials", who="clerk",
                       body={"materials": checks}).ok:
        return
    reply = traffic.api("clerk: accept", "POST", f"/api/v1/cases/{case_id}/accept", who="clerk")
    for _ in range(8):
        if not reply.ok or reply.body["status"] != "accepted":
            break
        active = next((s for s in reply.body["steps"] if s["status"] == "active"), None)
        if active is None or active["kind"] in {"await", "batch"}:
            break
        who = "reviewer" if active["role"] == "reviewer" else "clerk"
        reply = traffic.api(f"{who}: complete step", "POST", f"/api/v1/cases/{case_id}/complete-step", who=who,
                            body={"outcome": "pass", "note": "同意"})
    if reply.ok and reply.body["status"] == "completed":
        with traffic.stats.lock:
            traffic.stats.completed["cases completed"] += 1


def clerk_loop(traffic: Traffic, handoff: queue.Queue[str], stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    web = _session(traffic.server.base, "load.clerk")
    n = 0
    while not stop.is_set():
        n += 1
        try:
            case_id = handoff.get(timeout=0.2)
        except queue.Empty:
            case_id = ""
        if case_id:
            _work_to_completion(traffic, case_id)
        roll = rng.random()
        if roll < 0.3:
            reply = traffic.api("clerk: counter application", "POST", "/api/v1/cases", who="clerk", expect=(201,), body={
                "item_code": "SBZX00024", "channel": "counter", "org_unit": traffic.tokens["org_unit"],
                "applicant_type": "unit", "applicant_name": "武汉窗口测试有限公司", "applicant_credit_code": UNIT_CREDIT,
                "idempotency_key": f"soak-clerk-{seed}-{n}"})
            if reply.ok:
                _work_to_completion(traffic, reply.body["id"])
        elif roll < 0.6:
            traffic.page("clerk: workbench page", web, rng.choice(["/work/", "/work/cases/", "/work/cases/?q=武汉"]))
        elif roll < 0.8:
            traffic.api("clerk: queue API", "GET", "/api/v1/cases?open=true&limit=50", who="clerk")
        else:
            reply = traffic.api("clerk: queue API", "GET", "/api/v1/cases?limit=5", who="clerk")
            if reply.ok and reply.body.get("items"):
                traffic.page("clerk: case page", web, f"/work/cases/{reply.body['items'][0]['id']}/")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--clients", type=int, default=4, help="client threads: half applicants, half clerks")
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--rss-tolerance", type=float, default=0.10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="shebao-soak-"))
    database_url = None
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        database_url = postgres_url_for(os.environ["DATABASE_URL"], "soak")
        postgres_recreate(database_url)
    env = server_env(data_dir=tmp, database_url=database_url)
    server = Server(env, log_path=tmp / "server.log")
    stats = Stats()
    samples: list[tuple[float, int]] = []
    try:
        server.start()
        tokens = run_in_django(SETUP_ACCOUNTS, env)
        traffic = Traffic(server, tokens, stats)
        stop = threading.Event()
        handoff: queue.Queue[str] = queue.Queue()
        threads = []
        for i in range(max(2, args.clients)):
            if i % 2 == 0:
                target: Any = (applicant_loop, (traffic, "person" if i % 4 == 0 else "unit", handoff, stop, i))
            else:
                target = (clerk_loop, (traffic, handoff, stop, i))
            threads.append(threading.Thread(target=target[0], args=target[1], daemon=True))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while (elapsed := time.monotonic() - started) < args.seconds:
            samples.append((elapsed, rss_kib(server.pid)))
            time.sleep(min(args.sample_every, max(0.0, args.seconds - elapsed)))
        samples.append((time.monotonic() - started, rss_kib(server.pid)))
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        duration = time.monotonic() - started
    finally:
        server.stop()
        if database_url:
            postgres_recreate(database_url, drop_only=True)

    total = sum(len(v) for v in stats.latencies.values())
    print(f"soak: {duration:.0f} s on {'PostgreSQL' if database_url else 'SQLite'}, {len(threads)} client threads, "
          f"server pid {server.pid}")
    print(f"requests: {total} ({total / duration:.1f}/s), errors: {len(stats.errors)}, "
          f"cases worked to 办结: {stats.completed['cases completed']}")
    print(f"{'kind':34} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in sorted(stats.latencies):
        values = sorted(stats.latencies[kind])
        def pct(p: float, values: list[float] = values) -> float:
            return values[min(len(values) - 1, int(p * len(values)))] * 1000
        print(f"{kind:34} {len(values):7} {pct(0.5):8.1f} {pct(0.95):8.1f} {pct(0.99):8.1f} {values[-1] * 1000:8.1f}")
    fifth = max(1, len(samples) // 5)
    warm = statistics.median(kib for _, kib in samples[fifth:2 * fifth] or samples)
    late = statistics.median(kib for _, kib in samples[-fifth:])
    growth = (late - warm) / warm if warm else 0.0
    print(f"server RSS: start {samples[0][1] / 1024:.1f} MiB, after warm-up (2nd fifth, median) {warm / 1024:.1f} MiB, "
          f"last fifth (median) {late / 1024:.1f} MiB, max {max(k for _, k in samples) / 1024:.1f} MiB, "
          f"growth {growth * 100:+.1f}% ({len(samples)} samples)")
    step = max(1, len(samples) // 12)
    print("RSS over time (s: MiB): " + ", ".join(f"{t:.0f}: {kib / 1024:.0f}" for t, kib in samples[::step]))
    for problem in stats.errors[:20]:
        print("ERROR", problem)
    ok = not stats.errors and growth <= args.rss_tolerance
    print("result:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
