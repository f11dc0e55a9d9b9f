"""HTTP reads under 32 concurrent clients against the production server setup (``shebao serve``).

    .venv/bin/python bench/http_reads.py [--duration 20] [--connections 32] [--cases 20000]
    (DATABASE_URL=postgres://… selects PostgreSQL; default a temporary SQLite file)

Data: the demo accounts (``shebao serve --demo``) and a synthetic city from ``shebao demo``'s bulk
path. The server is started exactly as the README documents it (``shebao serve --host --port``,
Waitress, one process) in its own process; the load comes from ``wrk`` (Debian package ``wrk``)
in another, keep-alive connections, two mixes of GET requests:

* catalog: ``/api/v1/items``, ``/api/v1/items/{code}`` (all 123), ``/api/v1/offices``, ``/healthz``;
* cases:   ``/api/v1/cases/{id}`` (detail with materials, steps, notices, timeline, actions),
           ``/api/v1/cases?q=…`` (look-up) and ``/api/v1/cases?open=true`` (first page), as the
           window clerk ``clerk.jiangan`` with a bearer token.

Reports p50 / p99 latency, requests per second, errors (non-2xx, socket errors), and the server
process's peak resident memory (VmHWM). Target: p99 <= 100 ms, no errors, peak RSS <= 300 MB.
Before each timed mix it runs the mix with one client and reports the server's CPU time per
request (utime + stime of the server and its workers, from /proc): the figure that does not
depend on how busy a shared machine is. It also prints how many connections each worker held.
Machine-independent check (--smoke): no errors.
"""
# bench-databases: sqlite postgresql
# bench-smoke: --duration 3 --cases 2000
# bench-args: --duration 20 --cases 20000

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _protocol import check, fail, result  # noqa: E402

LUA = """
local paths = {%(paths)s}
local counter = 0
request = function()
  counter = counter + 1
  local p = paths[(counter %% #paths) + 1]
  return wrk.format("GET", p[1], p[2])
end
done = function(summary, latency, requests)
  io.write(string.format("WRK\\t%%d\\t%%d\\t%%d\\t%%d\\t%%d\\t%%d\\t%%.0f\\t%%.0f\\t%%.0f\\t%%d\\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(99),
    latency.max, summary.duration))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str], cases: int) -> tuple[str, list[str], list[str]]:
    """Migrate, seed, and return (token, case ids, look-up queries) for the clerk."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from shebao.cases.demo import demo_cases_seed
    from shebao.cases.selectors import work_queue
    from shebao.catalog.services import catalog_ensure_loaded
    from shebao.core.demo import demo_seed
    from shebao.core.tokens import token_create
    from shebao.registry.demo import demo_city, demo_registry_seed

    catalog_ensure_loaded()
    demo_seed()
    demo_registry_seed()
    demo_cases_seed()
    demo_city(employers=max(50, cases // 50), persons=max(500, cases // 2), seed=58, cases=cases)
    clerk = User.objects.get(username="clerk.jiangan")
    token = token_create(user=clerk, name="bench", actor="bench")
    queue = list(work_queue(user=clerk).values_list("public_id", "number", "applicant_name")[:200])
    ids = [str(public_id) for public_id, _, _ in queue]
    queries = [q for _, number, name in queue for q in (number, name) if q]
    from django.db import connection

    # Planner statistics, as a live database has them (PostgreSQL's autovacuum, which may be off
    # or not yet run on a benchmark server; `shebao serve` itself refreshes SQLite's).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return token, ids, queries


def wrk(url: str, paths: list[tuple[str, dict[str, str]]], *, duration: int, connections: int,
        workdir: Path, during: Any = None) -> dict[str, Any]:
    """Run wrk; ``during``: called once while it runs (half-way), its answer returned as ``spread``."""
    def lua_entry(path: str, headers: dict[str, str]) -> str:
        hdrs = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
        return f'{{"{quote(path, safe="/?=&")}", {{{hdrs}}}}}'

    script = workdir / "mix.lua"
    script.write_text(LUA % {"paths": ", ".join(lua_entry(p, h) for p, h in paths)}, encoding="utf-8")
    threads = min(2, connections)
    proc = subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
                             "-s", str(script), url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    spread = None
    if during is not None:
        time.sleep(duration / 2)
        spread = during()
    out, err = proc.communicate()
    if proc.returncode:
        fail(f"wrk failed: {err.strip()}")
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK\t"))
    f = line.split("\t")[1:]
    requests, e_conn, e_read, e_write, e_status, e_timeout = (int(x) for x in f[:6])
    p50, p99, worst, micros = (float(x) for x in f[6:10])
    return {"requests": requests, "errors": e_conn + e_read + e_write + e_status + e_timeout,
            "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "max_ms": worst / 1000,
            "rps": requests / (micros / 1e6), "spread": spread}


def _hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _family(pid: int) -> list[int]:
    """The server and its workers."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its workers so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _family(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


def connections_per_worker(pid: int, port: int) -> list[int]:
    """Established client connections each worker holds (how the kernel spread wrk's connections)."""
    counts = []
    for p in _family(pid)[1:]:
        inodes = set()
        for fd in Path(f"/proc/{p}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        n = 0
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "01" and int(f[1].split(":")[1], 16) == port and f[9] in inodes:
                n += 1
        counts.append(n)
    return counts


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of the largest process: the server or one of its workers."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    return max(_hwm_mb(p) for p in pids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per mix")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cases", type=int, default=20000, help="cases in the synthetic city")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="shebao serve --workers (the README's production set-up: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="shebao serve --threads (its default)")
    parser.add_argument("--cache-url", default=os.environ.get("SHEBAO_CACHE_URL", ""),
                        help="the server's SHEBAO_CACHE_URL (default: the environment's, else a per-process cache); "
                             "the README's production set-up shares one Redis between the workers")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        fail("wrk is not installed (apt-get install -y wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="shebao-http-"))
    env = {"SHEBAO_DATA_DIR": str(workdir), "SHEBAO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if args.cache_url:
        env["SHEBAO_CACHE_URL"] = args.cache_url
        env["SHEBAO_CACHE_KEY_PREFIX"] = f"shebao-bench-{os.getpid()}"  # a fresh, empty cache of its own
    token, ids, queries = prepare(env, args.cases)
    vendor = "postgresql" if env.get("DATABASE_URL", "").startswith("postgres") else "sqlite"

    port = _free_port()
    shebao = str(Path(sys.executable).with_name("shebao"))
    # The server's output goes to a file: an unread pipe fills up, and a server whose log write
    # blocks stops answering (Waitress logs "Task queue depth" under load).
    server_log = (workdir / "server.log").open("w")
    server = subprocess.Popen([shebao, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(args.workers), "--threads", str(args.threads)],
                              env={**os.environ, **env}, stdout=server_log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            fail("the server did not come up")
        with urllib.request.urlopen(url + "/api/v1/items", timeout=10) as response:
            codes = [item["code"] for item in json.load(response)]
        auth = {"Authorization": f"Bearer {token}"}
        catalog = [("/api/v1/items", {}), ("/api/v1/offices", {}), ("/healthz", {})] + \
            [(f"/api/v1/items/{code}", {}) for code in codes]
        cases = [(f"/api/v1/cases/{i}", auth) for i in ids] + \
            [(f"/api/v1/cases?q={q}", auth) for q in queries[:100]] + [("/api/v1/cases?open=true", auth)] * 10
        rss_start = peak_rss_mb(server.pid)
        print(f"server: shebao serve --workers {args.workers} --threads {args.threads} (waitress) pid {server.pid} "
              f"on {vendor}, cache {'Redis ' + args.cache_url if args.cache_url else 'per process'}; RSS after start {rss_start:.0f} MB; "
              f"{len(catalog)} catalog and {len(cases)} case URLs; {args.connections} connections, "
              f"{args.duration} s per mix", flush=True)
        worst_rss = 0.0
        for name, mix in (("catalog", catalog), ("cases", cases)):
            # Warm-up, discarded: a worker's first requests import and build what Django loads
            # lazily (seconds on a loaded machine), then a short run at full concurrency.
            for path, headers in mix[:40]:
                request = urllib.request.Request(url + quote(path, safe="/?=&"), headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=120) as response:
                        response.read()
                except OSError as exc:  # counted by the timed run if it persists; say so here
                    print(f"warm-up: {path}: {exc}", flush=True)
            wrk(url, mix, duration=3, connections=args.connections, workdir=workdir)
            # One client, one request at a time: the server's CPU time per request is the figure
            # that does not depend on how busy the (shared) machine is.
            cpu0 = cpu_seconds(server.pid)
            single = wrk(url, mix, duration=max(2, args.duration // 4), connections=1, workdir=workdir)
            cpu_ms = 1000 * (cpu_seconds(server.pid) - cpu0) / max(single["requests"], 1)
            cpu0 = cpu_seconds(server.pid)
            stats = wrk(url, mix, duration=args.duration, connections=args.connections, workdir=workdir,
                        during=lambda: connections_per_worker(server.pid, port))
            cpu_ms_loaded = 1000 * (cpu_seconds(server.pid) - cpu0) / max(stats["requests"], 1)
            rss = peak_rss_mb(server.pid)
            worst_rss = max(worst_rss, rss)
            met = stats["p99_ms"] <= 100 and stats["errors"] == 0
            print(f"{name:<8} {stats['rps']:7.0f} req/s  p50 {stats['p50_ms']:6.1f} ms  p99 {stats['p99_ms']:6.1f} ms  "
                  f"max {stats['max_ms']:6.1f} ms  errors {stats['errors']:.0f}  peak RSS {rss:.0f} MB  "
                  f"server CPU {cpu_ms_loaded:.2f} ms/request; connections per worker {stats['spread']}; "
                  f"one client: p50 {single['p50_ms']:.1f} ms, server CPU {cpu_ms:.2f} ms/request", flush=True)
            result(f"HTTP {name} reads, {args.connections} clients [{vendor}]",
                   f"p99 {stats['p99_ms']:.0f} ms, p50 {stats['p50_ms']:.0f} ms, {stats['rps']:.0f} req/s, "
                   f"{stats['errors']:.0f} errors", target="p99 <= 100 ms, no errors", met=met)
            result(f"HTTP {name} reads, server CPU per request, one client [{vendor}]", f"{cpu_ms:.2f} ms")
            check(stats["errors"] == 0 and single["errors"] == 0,
                  f"{name}: {stats['errors'] + single['errors']:.0f} HTTP errors")
        result(f"HTTP server peak RSS (one worker) [{vendor}]", f"{worst_rss:.0f} MB", target="<= 300 MB",
               met=worst_rss <= 300)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
