"""The workbench queue (``/work/``) counts and pages in the database: page sizes, the filter
badges equal the stored counts, the order, and a query budget that does not grow with the
number of open cases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shebao.cases.models import Case
from shebao.cases.selectors import work_queue_counts, work_queue_screen
from shebao.catalog.selectors import catalog_version_in_force
from shebao.web.views import PAGE_SIZE
from tests.cases.conftest import World

# (status, warning) of the bulk cases, in the order the queue must show them.
KINDS = [("accepted", "red"), ("suspended", "yellow"), ("submitted", "green"), ("accepted", "green"),
         ("incomplete", "green")]


def _bulk(world: World, n: int, *, start: int = 0, kinds: list[tuple[str, str]] = KINDS) -> None:
    """``n`` open cases of 江岸 in bulk, spread over ``KINDS`` (and a few closed ones, which the
    queue must leave out)."""
    version = catalog_version_in_force()
    assert version is not None
    item = version.items.get(code="SBZX00016")
    cases = []
    for i in range(start, start + n + 3):
        status, warning = kinds[i % len(kinds)] if i < start + n else ("completed", "green")
        accepted = status in ("accepted", "suspended", "completed")
        cases.append(Case(
            item=item, channel="counter", org_unit=world.offices.district_ja, applicant_type="unit",
            applicant_name=f"批量单位{i:04d}", applicant_key=f"批量单位{i:04d}", status=status, warning=warning,
            submitted_by=world.clerk, submitted_at=datetime(2026, 9, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
            number=f"BQ{i:08d}" if accepted else None,
            accepted_at=datetime(2026, 9, 2, 1, tzinfo=UTC) if accepted else None,
            promised_due=date(2026, 9, 10) + timedelta(days=i % 17) if accepted else None))
    Case.objects.bulk_create(cases)


def _names(html: str) -> list[str]:
    return re.findall(r"批量单位\d{4}", html)


def test_queue_pages_counts_and_order(client: Client, world: World) -> None:
    _bulk(world, 2 * PAGE_SIZE + 7)
    client.force_login(world.clerk)
    url = reverse("web:work_queue")
    first = client.get(url).content.decode()
    assert len(_names(first)) == PAGE_SIZE
    assert "第 1 页 / 共 3 页" in first and "下一页" in first and "上一页" not in first
    last = client.get(url, {"page": 3}).content.decode()
    assert len(_names(last)) == 7 and "上一页" in last and "下一页" not in last
    every = [n for p in (1, 2, 3) for n in _names(client.get(url, {"page": p}).content.decode())]
    assert len(every) == len(set(every)) == 2 * PAGE_SIZE + 7  # each open case once, closed ones never

    counts = work_queue_counts(user=world.clerk)
    open_cases = Case.objects.filter(org_unit=world.offices.district_ja, status__in=[
        "submitted", "incomplete", "accepted", "suspended"])
    assert counts["all"] == open_cases.count() == 2 * PAGE_SIZE + 7
    assert counts["red"] == open_cases.filter(warning="red").count()
    assert counts["yellow"] == open_cases.filter(warning="yellow").count()
    assert counts["intake"] == open_cases.filter(status="submitted").count()
    assert counts["suspended"] == open_cases.filter(status="suspended").count()
    for show, label in (("all", "全部在办"), ("red", "超期（红色预警）"), ("yellow", "临期（黄色预警）"),
                        ("intake", "待受理")):
        assert re.search(rf'<span class="tile-num">{counts[show]}</span><span class="tile-label">{label}',
                         first), show

    # The order: red, yellow, waiting at the window, being handled, waiting for materials.
    rank = {kind: position for position, kind in enumerate(KINDS)}
    shown = work_queue_screen(user=world.clerk, limit=1000)
    ranks = [rank[(c.status, c.warning)] for c in shown]
    assert ranks == sorted(ranks)
    handled = [c.promised_due for c in shown if (c.status, c.warning) == ("accepted", "green")]
    assert handled == sorted(handled)

    red = client.get(url, {"show": "red"}).content.decode()
    assert len(_names(red)) == counts["red"] and "第 1 页" not in red  # one page: no pager
    found = client.get(url, {"q": "批量单位0003"}).content.decode()
    assert found.count('class="queue-row') == 1 and "批量单位0003" in found


def test_queue_query_count_does_not_grow_with_the_cases(client: Client, world: World) -> None:
    """A full first page costs the same statements with 60 open cases as with 360 (the rows'
    own reads — due dates, the buttons — are per row of the page, whose size is fixed)."""
    client.force_login(world.clerk)
    url = reverse("web:work_queue")
    same = [("accepted", "red")]
    _bulk(world, PAGE_SIZE + 10, kinds=same)
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _bulk(world, 6 * PAGE_SIZE, start=PAGE_SIZE + 20, kinds=same)
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert "共 8 页" in html
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
