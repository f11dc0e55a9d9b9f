"""The public progress lookup (/track/) is rate-limited per client address (cache-based)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.test import Client

from shebao.cases import services

from .conftest import World, online_case, receive_all


def _lookup(client: Client, number: str, tail: str, ip: str) -> Any:
    return client.post("/track/", {"number": number, "id_tail": tail}, REMOTE_ADDR=ip)


def test_lookups_beyond_the_limit_get_429_in_chinese(world: World, settings: Any) -> None:
    settings.SHEBAO_TRACK_RATE_LIMIT = 5
    settings.SHEBAO_TRACK_RATE_WINDOW_SECONDS = 600
    client = Client()
    for attempt in range(5):  # wrong guesses count …
        response = _lookup(client, "JA202611280001", f"{attempt:06d}", "10.9.9.9")
        assert response.status_code in (404, 422), attempt
    assert client.get("/track/", REMOTE_ADDR="10.9.9.9").status_code == 200  # … showing the form does not
    blocked = _lookup(client, "JA202611280001", "000009", "10.9.9.9")
    page = blocked.content.decode()
    assert blocked.status_code == 429 and "查询过于频繁" in page and "每 10 分钟最多查询 5 次" in page and "12333" in page
    # Another address is not affected; once the window has passed (the cache entry expired) the
    # same address may look up again.
    assert _lookup(client, "JA202611280001", "000009", "10.9.9.10").status_code != 429
    cache.clear()
    assert _lookup(client, "JA202611280001", "000009", "10.9.9.9").status_code != 429


def test_a_real_lookup_still_works_under_the_limit(world: World) -> None:
    case = online_case(world)
    receive_all(world, case, actor=world.street_clerk)
    case.refresh_from_db()
    services.case_accept(case=case, actor=world.street_clerk)
    case.refresh_from_db()
    response = _lookup(Client(), case.number, case.applicant_id_number[-6:], "10.9.9.11")
    assert response.status_code == 200 and case.item.name in response.content.decode()
