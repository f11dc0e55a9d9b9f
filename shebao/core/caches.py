"""Django's cache, chosen by one environment variable.

``SHEBAO_CACHE_URL`` empty (the default) keeps the cache inside each server process
(``LocMemCache``): right for one process on one machine, and what the tests use. With
several processes (``shebao serve --workers N``) or several app servers on one PostgreSQL,
each process would otherwise count the ``/track/`` rate limit on its own and hold its own
copy of cached catalog responses; ``redis://host:port/db`` puts them in one Redis that all
processes share (Django's built-in ``RedisCache``; the ``redis`` client is a dependency).

Nothing in the cache is a record: losing it (a Redis restart, an eviction) costs a few
recomputed responses and a fresh rate-limit window, never an acknowledged write.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .env import EnvironmentVariableError

LOCAL_BACKEND = "django.core.cache.backends.locmem.LocMemCache"
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def cache_config(url: str, *, key_prefix: str = "shebao") -> dict[str, object]:
    """The ``CACHES["default"]`` entry for ``url`` ('' → per-process memory, redis[s]:// → Redis).

    Anything else stops start-up with the variable's name, like every other setting.
    """
    url = url.strip()
    if not url:
        return {"BACKEND": LOCAL_BACKEND, "LOCATION": "shebao-default", "KEY_PREFIX": key_prefix}
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise EnvironmentVariableError(
            f"SHEBAO_CACHE_URL={url!r}: use redis://host:port/db (or leave it empty for a per-process cache)")
    return {
        "BACKEND": REDIS_BACKEND,
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        # A cache that does not answer must not stall a window clerk's request for long.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
