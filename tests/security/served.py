"""The real server (``shebao serve``, waitress) in a subprocess on a free loopback port, with its own
database; a small JSON client; and helpers that run code against that database in a subprocess.

Used by the crash-safety test and by ``bench/soak.py``."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- databases


def postgres_url_for(base_url: str, suffix: str) -> str:
    """The URL of a dedicated database next to ``base_url``'s: ``…/shebao`` → ``…/shebao_<suffix>``."""
    parts = urlsplit(base_url)
    name = parts.path.lstrip("/") or "shebao"
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def postgres_recreate(url: str, *, drop_only: bool = False) -> None:
    """Drop (and unless ``drop_only``, create) the database ``url`` names, via the server's ``postgres`` db."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def server_env(*, data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PYTEST")}
    env["SHEBAO_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if database_url:
        env["DATABASE_URL"] = database_url
    # These servers exercise the case engine (durability, races, load). Completing or accepting
    # SBZX00024/00036/00010 would otherwise need each item's registry data first (strict, the
    # default); the registry effects have their own tests (tests/registry).
    env["SHEBAO_REGISTRY_EFFECTS"] = "off"
    return env


def run_in_django(code: str, env: dict[str, str], *, timeout: float = 120) -> Any:
    """Run ``code`` (which sets ``result``) in a fresh process against the server's database; return
    ``result`` (JSON)."""
    program = (
        "import json, django\n"
        "django.setup()\n"
        f"{code}\n"
        "print('\\n__RESULT__' + json.dumps(result))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0 or "__RESULT__" not in done.stdout:
        raise RuntimeError(f"subprocess failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.rsplit("__RESULT__", 1)[1])


def shebao(args: list[str], env: dict[str, str], *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shebao.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


SETUP_ACCOUNTS = """
from shebao.accounts import services as acc
from shebao.accounts.models import OrgUnit, Role
from shebao.core.tokens import token_create

acc.role_groups_ensure(actor="test:served")
acc.org_units_sync(actor="test:served")
unit = OrgUnit.objects.get(key="district-01")
people = {
    "clerk": ("load.clerk", [Role.WINDOW_CLERK]),
    "reviewer": ("load.reviewer", [Role.REVIEWER]),
}
result = {"org_unit": unit.key}
for name, (username, roles) in people.items():
    user, _ = acc.staff_account_ensure(actor="test:served", username=username, password="load-test-pass-2017",
                                       display_name=username, org_unit=unit, roles=roles)
    result[name] = token_create(user=user, name="load", actor="test:served")
for username, kind in (("load.person", "person"), ("load.unit", "unit")):
    user, _ = acc.applicant_account_ensure(
        actor="test:served", username=username, password="load-test-pass-2017",
        role=Role.APPLICANT_PERSON if kind == "person" else Role.APPLICANT_UNIT, kind=kind,
        name="张三" if kind == "person" else "武汉负载测试有限公司",
        id_number="420102199003071232" if kind == "person" else "",
        credit_code="91420102MA4K3B7Q6F" if kind == "unit" else "")
    result[kind] = token_create(user=user, name="load", actor="test:served")
"""


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 120) -> None:
        if self.log_path:
            with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "shebao.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                    env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
        else:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shebao.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"shebao serve exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("shebao serve did not answer /healthz in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing — what a power cut does to the process."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


# --------------------------------------------------------------------------- a JSON client


@dataclass
class Reply:
    status: int           # 0: no answer (connection refused or cut)
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def call(base: str, method: str, path: str, *, token: str = "", body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 15) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    # Chinese query values (?q=养老) go out percent-encoded, as a browser would send them.
    request = urllib.request.Request(base + quote(path, safe="/?=&%:+"), data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return Reply(response.status, _decode(raw, response.headers.get("Content-Type", "")))
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, _decode(exc.read(), exc.headers.get("Content-Type", "")))
    except (OSError, ValueError, http.client.HTTPException):  # refused, reset, timed out, cut mid-response
        return Reply(0)


def _decode(raw: bytes, content_type: str) -> Any:
    if "json" in content_type:
        return json.loads(raw.decode("utf-8"))
    return raw.decode("utf-8", "replace")
