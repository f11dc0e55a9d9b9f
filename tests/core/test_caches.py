"""SHEBAO_CACHE_URL: per-process memory by default, one shared Redis when set.

The point of a shared cache is that separate server processes count the /track/ rate limit
together; the last test shows exactly that with two real processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from shebao.core.caches import LOCAL_BACKEND, REDIS_BACKEND, cache_config
from shebao.core.env import EnvironmentVariableError

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SHEBAO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_empty_url_keeps_the_cache_in_the_process() -> None:
    config = cache_config("")
    assert config["BACKEND"] == LOCAL_BACKEND and config["KEY_PREFIX"] == "shebao"


def test_redis_url_selects_djangos_redis_cache_with_short_timeouts() -> None:
    config = cache_config(" redis://cache.internal:6380/2 ", key_prefix="wuhan")
    assert config["BACKEND"] == REDIS_BACKEND
    assert config["LOCATION"] == "redis://cache.internal:6380/2" and config["KEY_PREFIX"] == "wuhan"
    assert config["OPTIONS"] == {"socket_connect_timeout": 2, "socket_timeout": 2}


@pytest.mark.parametrize("url", ["memcached://127.0.0.1:11211", "redis://", "127.0.0.1:6379", "http://x"])
def test_anything_else_stops_start_up_naming_the_variable(url: str) -> None:
    with pytest.raises(EnvironmentVariableError, match="SHEBAO_CACHE_URL"):
        cache_config(url)


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


# Two separate interpreters, each with the settings loaded from the environment, each making
# three /track/ lookups from one address against a limit of 5: the counts must add up.
_LOOKUPS = """
import django
django.setup()
from django.test import RequestFactory
from shebao.web.views import track_rate_limited
request = lambda: RequestFactory().post("/track/", REMOTE_ADDR="10.20.30.40")
print(",".join("blocked" if track_rate_limited(request()) else "ok" for _ in range(3)))
"""


def test_two_server_processes_count_the_track_limit_together() -> None:
    if not _redis_reachable():
        if os.environ.get("SHEBAO_REQUIRE_REDIS"):
            pytest.fail(f"SHEBAO_REQUIRE_REDIS is set but Redis at {REDIS_URL} does not answer")
        pytest.skip(f"Redis at {REDIS_URL} does not answer (set SHEBAO_TEST_REDIS_URL)")
    prefix = f"shebao-test-{uuid.uuid4().hex}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SHEBAO_CACHE_URL": REDIS_URL,
           "SHEBAO_CACHE_KEY_PREFIX": prefix, "SHEBAO_TRACK_RATE_LIMIT": "5"}
    env.pop("DATABASE_URL", None)  # the rate limit needs no database

    def run() -> str:
        done = subprocess.run([sys.executable, "-c", _LOOKUPS], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=60, check=True)
        return done.stdout.strip()

    try:
        assert run() == "ok,ok,ok"
        # The second process has its own memory; only a shared cache knows about the first three.
        assert run() == "ok,ok,blocked"
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
