"""The supervision figures of the known set (conftest.py), worked out by hand.

Working days used below (2026): September has 9-20 (Sun) as a make-up working day and 9-25 (中秋)
off; 10-01…10-07 are off, 10-10 (Sat) works.

Per case (handling = working days after 受理 up to 办结, suspensions not counted):

  case  office  accepted  closed   promised  legal    handling  promised  legal   officer
  a1    JA      09-07     09-10    09-28     10-10    3         on time   on time clerk
  a2    JA      09-28     10-12    10-23     10-30    6 (国庆)  on time   on time clerk
  a3    JA      09-01     09-29    09-29*    10-12*   20-5=15   on time   on time clerk   (*moved by 中止)
  a4    JA      09-01     09-24    09-21     09-29    18        late (3)  on time clerk
  a5    JA      refused 09-15                                                     clerk
  a6    JA      09-08     09-11    09-29     10-12    3         on time   on time clerk   (2 notices)
  a7    JA      08-03     open, red on 10-20 (promised 08-24, legal 08-31)           clerk
  a8    JH      09-24     open, yellow on 10-20 (promised 10-22: 2 working days left) clerk.jh
  b1    ST      09-09     09-09    09-09     09-16    0         on time   on time street
  b2    ST      09-10     09-11    09-10     09-17    1         late (1)  on time street
  b3    ST      09-14d    09-21    09-14     09-20    6         late (6)  late(1) —       (deemed, then its online step done by the same tick; rated 5)
  b4    ST      09-16     09-16    09-16     09-22    0         on time   on time street  (rated 2)
  b5    ST      09-17     09-17    09-17     09-23    0         on time   on time street  (rated 4)
  e1    JA      09-01     09-28    09-29*    10-12*   19        on time   on time clerk   (*extended 5)
  j1    JH      09-08     09-10    09-29     10-12    2         on time   on time clerk.jh
"""

from __future__ import annotations

from datetime import date

import pytest

from shebao.supervision import selectors
from shebao.supervision.facts import case_facts_refresh
from shebao.supervision.models import CaseFact, Finding
from shebao.supervision.services import supervision_tick

from .conftest import SEPTEMBER, TODAY, Clock, Known

pytestmark = pytest.mark.django_db

D = date


def _sept(**extra: str) -> selectors.Filters:
    return selectors.parse_filters({**SEPTEMBER, **extra})


def test_case_facts_by_hand(known: Known) -> None:
    w = known.world
    expected = {
        # name: (handling, on_time_promised, on_time_legal, officer, promised_due, legal_due)
        "a1": (3, True, True, w.clerk, D(2026, 9, 28), D(2026, 10, 10)),
        "a2": (6, True, True, w.clerk, D(2026, 10, 23), D(2026, 10, 30)),
        "a3": (15, True, True, w.clerk, D(2026, 9, 29), D(2026, 10, 12)),
        "a4": (18, False, True, w.clerk, D(2026, 9, 21), D(2026, 9, 29)),
        "a5": (None, None, None, w.clerk, None, None),
        "a6": (3, True, True, w.clerk, D(2026, 9, 29), D(2026, 10, 12)),
        "a7": (None, None, None, w.clerk, D(2026, 8, 24), D(2026, 8, 31)),
        "a8": (None, None, None, w.clerk_jh, D(2026, 10, 22), D(2026, 10, 29)),
        "b1": (0, True, True, w.street_clerk, D(2026, 9, 9), D(2026, 9, 16)),
        "b2": (1, False, True, w.street_clerk, D(2026, 9, 10), D(2026, 9, 17)),
        "b3": (6, False, False, None, D(2026, 9, 14), D(2026, 9, 20)),
        "b4": (0, True, True, w.street_clerk, D(2026, 9, 16), D(2026, 9, 22)),
        "b5": (0, True, True, w.street_clerk, D(2026, 9, 17), D(2026, 9, 23)),
        "e1": (19, True, True, w.clerk, D(2026, 9, 29), D(2026, 10, 12)),
        "j1": (2, True, True, w.clerk_jh, D(2026, 9, 29), D(2026, 10, 12)),
    }
    for name, (handling, promised, legal, officer, promised_due, legal_due) in expected.items():
        fact = CaseFact.objects.get(case=known.cases[name])
        got = (fact.handling_wd, fact.on_time_promised, fact.on_time_legal, fact.officer_id,
               fact.promised_due, fact.legal_due)
        assert got == (handling, promised, legal, officer.pk if officer else None, promised_due, legal_due), name
    a3 = CaseFact.objects.get(case=known.cases["a3"])
    assert a3.suspended and a3.suspended_wd == 5
    assert CaseFact.objects.get(case=known.cases["e1"]).extended
    b3 = CaseFact.objects.get(case=known.cases["b3"])
    assert b3.deemed_accepted and b3.accepted_on == D(2026, 9, 14) and b3.rating == 5
    a6 = CaseFact.objects.get(case=known.cases["a6"])
    assert a6.had_incomplete_notice and a6.incomplete_notices == 2
    assert {f.warning for f in CaseFact.objects.filter(case__in=[known.cases["a7"], known.cases["a8"]])} == {
        "red", "yellow"}


def test_september_totals_and_offices(known: Known) -> None:
    totals, rows = selectors.summary(_sept(), dim="office")
    assert (totals.received, totals.accepted, totals.refused, totals.completed) == (14, 13, 1, 11)
    assert (totals.promised_ok, totals.promised_base, totals.promised_rate) == (8, 11, 72.7)
    assert (totals.legal_ok, totals.legal_base, totals.legal_rate) == (10, 11, 90.9)
    assert (totals.overdue, totals.yellow) == (1, 1)
    assert totals.avg_wd == pytest.approx(67 / 11)  # 3+15+18+3+0+1+6+0+0+2+19
    assert totals.p90_wd == 18  # sorted 0 0 0 1 2 3 3 6 15 18 19: rank ceil(0.9·11) = 10
    assert (totals.incomplete, totals.incomplete_share) == (1, 7.1)
    assert totals.ratings == [0, 1, 0, 1, 1] and totals.good_share == 66.7 and totals.rating_avg == 3.67

    by_name = {r.label: r for r in rows}
    ja, st, jh = by_name["江岸社保处"], by_name["江岸某街道政务服务中心"], by_name["江汉社保处"]
    assert (ja.received, ja.accepted, ja.refused, ja.completed, ja.overdue, ja.yellow) == (7, 6, 1, 5, 1, 0)
    assert (ja.promised_rate, ja.legal_rate, ja.avg_wd, ja.p90_wd) == (80.0, 100.0, 11.6, 19)
    assert (st.received, st.completed, st.promised_ok, st.legal_ok, st.p90_wd) == (5, 5, 3, 4, 6)
    assert st.avg_wd == pytest.approx(1.4) and st.ratings == [0, 1, 0, 1, 1]
    assert (jh.received, jh.completed, jh.yellow, jh.avg_wd, jh.p90_wd) == (2, 1, 1, 2.0, 2)


def test_officers_items_and_filters(known: Known) -> None:
    w = known.world
    _, rows = selectors.summary(_sept(), dim="officer")
    by_key = {r.key: r for r in rows}
    clerk, street, nobody = by_key[w.clerk.pk], by_key[w.street_clerk.pk], by_key[None]
    assert (clerk.received, clerk.refused, clerk.completed, clerk.promised_ok, clerk.overdue) == (7, 1, 5, 4, 1)
    assert (street.received, street.completed, street.promised_ok, street.legal_ok) == (4, 4, 3, 4)
    assert street.avg_wd == pytest.approx(0.25) and street.p90_wd == 1
    assert (nobody.received, nobody.completed, nobody.promised_ok, nobody.p90_wd) == (1, 1, 0, 6)
    assert by_key[w.clerk_jh.pk].yellow == 1

    _, items = selectors.summary(_sept(), dim="item")
    by_code = {r.key: r for r in items}
    assert (by_code["SBZX00028"].received, by_code["SBZX00028"].completed) == (9, 6)
    assert (by_code["SBZX00029"].received, by_code["SBZX00029"].completed) == (5, 5)
    assert by_code["SBZX00028"].label.startswith("调整单位参保期间")

    # A district office includes its street windows.
    district = selectors.summary(_sept(office="t-district-ja"), dim="office")[0]
    assert (district.received, district.completed, district.promised_ok) == (12, 10, 7)
    item = selectors.summary(_sept(item="SBZX00029"), dim="office")[0]
    assert (item.received, item.p90_wd) == (5, 6)
    # October: only a2 completed (across 国庆, 6 working days); the snapshot figures do not depend on the period.
    october = selectors.summary(selectors.parse_filters({"from": "2026-10-01", "to": "2026-10-31"}))[0]
    assert (october.received, october.completed, october.avg_wd, october.p90_wd) == (0, 1, 6.0, 6)
    assert (october.overdue, october.yellow) == (1, 1)


def test_drill_down_lists_the_cases_behind_each_number(known: Known) -> None:
    filters = _sept()
    _, rows = selectors.summary(filters, dim="office")
    for row in rows:
        for metric, value in (("received", row.received), ("accepted", row.accepted), ("refused", row.refused),
                              ("completed", row.completed), ("overdue", row.overdue), ("yellow", row.yellow),
                              ("late_promised", row.late_promised), ("late_legal", row.late_legal),
                              ("incomplete", row.incomplete), ("rating2", row.ratings[1])):
            assert selectors.drill_down(filters, metric=metric, dim="office", key=str(row.key)).count() == value
    late = selectors.drill_down(filters, metric="late_promised")
    assert {f.case_id for f in late} == {known.cases[n].pk for n in ("a4", "b2", "b3")}
    nobody = selectors.drill_down(filters, metric="completed", dim="officer", key="none")
    assert [f.case_id for f in nobody] == [known.cases["b3"].pk]


def test_trend_by_day_and_month(known: Known) -> None:
    grain, points = selectors.trend(_sept())
    assert grain == "day" and len(points) == 30
    by_day = {p.start: p for p in points}
    assert by_day[D(2026, 9, 1)].received == 3  # a3, a4, e1
    assert sum(p.received for p in points) == 14 and sum(p.completed for p in points) == 11
    assert (by_day[D(2026, 9, 11)].completed, by_day[D(2026, 9, 11)].on_time) == (2, 1)  # a6 on time, b2 late
    grain, months = selectors.trend(selectors.parse_filters({"from": "2026-08-01", "to": "2026-10-31"}))
    assert grain == "month" and [(m.label, m.received, m.completed) for m in months] == [
        ("2026-08", 1, 0), ("2026-09", 14, 11), ("2026-10", 0, 1)]


def test_summary_is_aggregated_in_the_database(known: Known, django_assert_max_num_queries: object) -> None:
    # A fixed number of queries however many cases: five GROUP BY queries (one with the p90
    # windows) and one for the labels.
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        selectors.summary(_sept(), dim="office")
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        selectors.summary(_sept(), dim="item")


def test_findings_of_the_known_set(known: Known) -> None:
    found = {(f.case_id, f.kind) for f in Finding.objects.all()}
    c = known.cases
    assert found == {
        (c["a4"].pk, "over_promised"), (c["b2"].pk, "over_promised"),
        (c["b3"].pk, "over_promised"), (c["b3"].pk, "over_legal"), (c["b3"].pk, "deemed_accepted"),
        (c["a6"].pk, "second_notice"), (c["a7"].pk, "over_promised"), (c["a7"].pk, "over_legal"),
    }
    a4 = Finding.objects.get(case=c["a4"])
    assert a4.detail == "承诺时限至2026-09-21，于2026-09-24办结，超出3个工作日" and a4.found_on == D(2026, 9, 24)
    b3_legal = Finding.objects.get(case=c["b3"], kind="over_legal")
    assert "超出1个工作日" in b3_legal.detail  # 09-20 (Sun, make-up day) → 09-21
    assert selectors.finding_counts(_sept())["over_promised"] == 3  # a7 occurred in August


def test_refresh_is_idempotent_and_incremental(known: Known, clock: Clock) -> None:
    assert case_facts_refresh(today=TODAY).facts == 0
    assert supervision_tick(today=TODAY)[0].startswith("supervision facts refreshed: 0;")
    clock.set(2026, 10, 21, 6)
    # The next day the open overdue case is looked at again (its findings' day counts move on) …
    again = case_facts_refresh(today=D(2026, 10, 21))
    assert again.facts == 1 and again.findings_added == 0
    assert "超出38个工作日" in Finding.objects.get(case=known.cases["a7"], kind="over_promised").detail
    # … and a fact that went missing is rebuilt by the full pass (the first of each day), which the
    # quick passes later that day, looking only where changes happen, do not repeat.
    CaseFact.objects.filter(case=known.cases["a1"]).delete()
    assert case_facts_refresh(today=D(2026, 10, 21)).facts == 0
    assert case_facts_refresh(today=D(2026, 10, 21), full=True).facts == 1
    assert CaseFact.objects.get(case=known.cases["a1"]).handling_wd == 3
