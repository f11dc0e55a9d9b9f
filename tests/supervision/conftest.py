"""A small known set of cases, built through the case services with the clock set, whose
supervision figures are worked out by hand in ``test_figures.py``.

Calendar facts used (official 2026 calendar): 09-20 (Sun) is a make-up working day, 09-25 (中秋)
is off, 10-01…10-07 (国庆) are off, 10-10 (Sat) is a make-up working day.

Items: A = SBZX00028 (法定 20 个工作日, 承诺 15 个工作日; 审核 → 办理 at the district);
B = SBZX00029 (法定 5 个工作日, 承诺 即时办结; 办理 at the street window; 网上办).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from shebao.accounts.models import Role
from shebao.cases import services
from shebao.cases.models import Case, CaseEvent
from shebao.cases.scheduler import tick
from shebao.cases.services import MaterialCheck
from shebao.supervision.services import supervision_tick
from shebao.workdays import get_calendar
from tests.cases import personas
from tests.cases.conftest import World
from tests.cases.conftest import world as world  # the fixture, shared

SH = ZoneInfo("Asia/Shanghai")
A = "SBZX00028"
B = "SBZX00029"
TODAY = date(2026, 10, 20)
SEPTEMBER = {"from": "2026-09-01", "to": "2026-09-30"}


class Clock:
    """``timezone.now()`` at a chosen Beijing time (returned in UTC, as Django's own is)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = datetime(2026, 9, 1, 9, 0, tzinfo=SH).astimezone(UTC)
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
        self.moment = datetime(year, month, day, hour, minute, tzinfo=SH).astimezone(UTC)
        return self.moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(monkeypatch)


@pytest.fixture(autouse=True)
def _no_registry_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Supervision counts time, not registry state: the registries' preconditions and effects
    (another part of the platform) are switched off for these cases."""
    monkeypatch.setattr(services, "check_case_preconditions", lambda *, case, deemed=False: None)
    monkeypatch.setattr(services, "apply_case_effect", lambda *, case: None)


@dataclass
class Known:
    world: World
    clock: Clock
    reviewer_jh: User
    cases: dict[str, Case] = field(default_factory=dict)

    def get(self, name: str) -> Case:
        case = self.cases[name]
        case.refresh_from_db()
        return case


def _all_materials(case: Case) -> dict[int, MaterialCheck]:
    return {row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()}


def submit(world: World, code: str, unit: object, by: User, *, channel: str = "counter",
           materials: bool = True) -> Case:
    case = services.case_submit(item_code=code, channel=channel, org_unit=unit, submitted_by=by,  # type: ignore[arg-type]
                                applicant_type="person", applicant_name="陈明",
                                applicant_id_number=personas.id_number())
    if materials and channel == "counter":
        services.case_check_materials(case=case, actor=by, checks=_all_materials(case))
    case.refresh_from_db()
    return case


def accept(case: Case, by: User) -> Case:
    case.refresh_from_db()
    services.case_accept(case=case, actor=by)
    case.refresh_from_db()
    return case


def step(case: Case, by: User, outcome: str = "pass") -> Case:
    case.refresh_from_db()
    services.case_step_complete(case=case, actor=by, outcome=outcome, note="同意" if outcome == "pass" else "退回")
    case.refresh_from_db()
    return case


def extend(case: Case, *, working_days: int, reason: str) -> Case:
    """A 延期 as a case service would record it: both due dates move by ``working_days`` and the
    timeline says so. (The case engine has no extension service yet; this mirrors one.)"""
    calendar = get_calendar()
    case.refresh_from_db()
    Case.objects.filter(pk=case.pk).update(
        legal_due=calendar.add_working_days(case.legal_due, working_days),
        promised_due=calendar.add_working_days(case.promised_due, working_days),
        lock_version=F("lock_version") + 1,
    )
    CaseEvent.objects.create(case=case, at=timezone.now(), actor="reviewer.ja", action="extended",
                             detail={"working_days": working_days, "reason": reason})
    case.refresh_from_db()
    return case


def build_known_set(world: World, clock: Clock) -> Known:
    reviewer_jh = personas.staff("reviewer.jh", Role.REVIEWER, world.offices.district_jh)
    k = Known(world=world, clock=clock, reviewer_jh=reviewer_jh)
    o = world.offices
    ja, clerk, rev = o.district_ja, world.clerk, world.reviewer
    st, sclerk = o.street_ja, world.street_clerk
    c = k.cases

    # a7: accepted in August and still open after review: red on 10-20.
    clock.set(2026, 8, 3)
    c["a7"] = accept(submit(world, A, ja, clerk), clerk)
    clock.set(2026, 8, 4)
    step(c["a7"], rev)
    # a3: accepted 09-01, suspended 09-03 … resumed 09-10 (5 working days), completed 09-29.
    clock.set(2026, 9, 1)
    c["a3"] = accept(submit(world, A, ja, clerk), clerk)
    # a4: accepted 09-01, completed 09-24: after the promised 09-21, before the statutory 09-29.
    c["a4"] = accept(submit(world, A, ja, clerk), clerk)
    # e1: accepted 09-01, extended by 5 working days on 09-18, completed 09-28.
    c["e1"] = accept(submit(world, A, ja, clerk), clerk)
    clock.set(2026, 9, 2)
    step(c["a4"], rev)
    step(c["e1"], rev)
    # a6: 一次性告知 on 09-02, a partial supplement and a second (narrower) notice on 09-04.
    a6 = submit(world, A, ja, clerk, materials=False)
    services.case_notify_incomplete(case=a6, actor=clerk, note="请补齐材料")
    c["a6"] = a6
    clock.set(2026, 9, 3)
    services.case_suspend(case=k.get("a3"), actor=rev, reason="等待司法结论")
    clock.set(2026, 9, 4)
    first_material = a6.materials.order_by("position").first()
    assert first_material is not None
    services.case_supplement(case=k.get("a6"), actor=clerk,
                             checks={first_material.material_id: MaterialCheck(original=True, copy=True)})
    services.case_notify_incomplete(case=k.get("a6"), actor=clerk)
    # a1: accepted Monday 09-07, reviewed 09-08, completed 09-10.
    clock.set(2026, 9, 7)
    c["a1"] = accept(submit(world, A, ja, clerk), clerk)
    clock.set(2026, 9, 8)
    step(c["a1"], rev)
    services.case_supplement(case=k.get("a6"), actor=clerk, checks=_all_materials(a6))
    accept(c["a6"], clerk)
    # j1 (江汉): accepted 09-08, reviewed 09-09, completed 09-10.
    c["j1"] = accept(submit(world, A, o.district_jh, world.clerk_jh), world.clerk_jh)
    clock.set(2026, 9, 9)
    step(c["a6"], rev)
    step(c["j1"], reviewer_jh)
    # b1 (street): 即时办结 on 09-09.
    c["b1"] = step(accept(submit(world, B, st, sclerk), sclerk), sclerk)
    clock.set(2026, 9, 10)
    step(c["a1"], clerk)
    step(c["j1"], world.clerk_jh)
    services.case_resume(case=k.get("a3"), actor=rev, reason="已取得司法结论")
    # b2: accepted 09-10, completed 09-11 (promised: the same day).
    c["b2"] = accept(submit(world, B, st, sclerk), sclerk)
    clock.set(2026, 9, 11)
    step(c["a3"], rev)
    step(c["a6"], clerk)
    step(c["b2"], sclerk)
    # b3: online on Monday 09-14, left alone: deemed accepted by the tick of 09-21.
    clock.set(2026, 9, 14)
    c["b3"] = submit(world, B, st, world.person, channel="online")
    # a5: refused on 09-15.
    clock.set(2026, 9, 15)
    a5 = submit(world, A, ja, clerk)
    services.case_refuse(case=a5, actor=clerk, reasons="不属于本机构受理范围")
    c["a5"] = a5
    # b4, b5: online, accepted and completed the same day; rated 2 and 4.
    clock.set(2026, 9, 16)
    b4 = submit(world, B, st, world.person, channel="online")
    services.case_check_materials(case=b4, actor=sclerk, checks=_all_materials(b4))
    c["b4"] = step(accept(b4, sclerk), sclerk)
    clock.set(2026, 9, 17)
    b5 = submit(world, B, st, world.person, channel="online")
    services.case_check_materials(case=b5, actor=sclerk, checks=_all_materials(b5))
    c["b5"] = step(accept(b5, sclerk), sclerk)
    services.case_rate(case=k.get("b4"), actor=world.person, score=2, comment="等候时间太长")
    services.case_rate(case=k.get("b5"), actor=world.person, score=4)
    clock.set(2026, 9, 18)
    extend(c["e1"], working_days=5, reason="情况复杂，经批准延期")
    # The tick of 09-21 deems b3 accepted (5 working days: 09-15 … 09-20) and, b3 being an online
    # self-service case, finishes its automatic 网上办事大厅 step: b3 is closed on 09-21.
    tick(now=clock.set(2026, 9, 21, 1))
    clock.set(2026, 9, 22)
    services.case_rate(case=k.get("b3"), actor=world.person, score=5)
    clock.set(2026, 9, 24)
    step(c["a4"], clerk)
    # a8 (江汉): accepted 09-24, promised due 10-22: yellow on 10-20.
    c["a8"] = accept(submit(world, A, o.district_jh, world.clerk_jh), world.clerk_jh)
    clock.set(2026, 9, 28)
    step(c["e1"], clerk)
    # a2: accepted 09-28, reviewed 09-30, completed 10-12 across 国庆 (6 working days).
    c["a2"] = accept(submit(world, A, ja, clerk), clerk)
    clock.set(2026, 9, 29)
    step(c["a3"], clerk)
    clock.set(2026, 9, 30)
    step(c["a2"], rev)
    clock.set(2026, 10, 12)
    step(c["a2"], clerk)
    return k


@pytest.fixture
def known(world: World, clock: Clock) -> Known:
    k = build_known_set(world, clock)
    tick(now=clock.set(2026, 10, 20, 6))  # warning levels as of 10-20
    supervision_tick(today=TODAY)
    return k
