"""Compliance findings that the case services themselves prevent (so only edited, imported or
legacy records can show them), and the live refresh of facts after a case transaction."""

from __future__ import annotations

from datetime import date

import pytest

from shebao.cases import services
from shebao.cases.models import CaseMaterial, CaseStep, StepStatus
from shebao.catalog.models import Material
from shebao.supervision.facts import case_facts_refresh, facts_catch_up
from shebao.supervision.models import CaseFact, Finding

from .conftest import A, Clock, World, accept, step, submit

pytestmark = pytest.mark.django_db


def _kinds(case_id: int) -> dict[str, str]:
    return {f.kind: f.detail for f in Finding.objects.filter(case_id=case_id)}


def test_late_notice_extra_material_skipped_and_late_steps(world: World, clock: Clock) -> None:
    clock.set(2026, 9, 1)
    late = submit(world, A, world.offices.district_ja, world.clerk, materials=False)
    clock.set(2026, 9, 9)  # the sixth working day after receipt
    services.case_notify_incomplete(case=late, actor=world.clerk)

    clock.set(2026, 9, 1)
    done = step(step(accept(submit(world, A, world.offices.district_ja, world.clerk), world.clerk), world.reviewer),
                world.clerk)
    other = Material.objects.filter(item__version=done.item.version).exclude(item=done.item).first()
    assert other is not None
    row = CaseMaterial.objects.filter(case=done).order_by("position").first()
    assert row is not None
    CaseMaterial.objects.filter(pk=row.pk).update(material=other)  # a checklist that left the guide
    review = CaseStep.objects.get(case=done, key="review")
    CaseStep.objects.filter(pk=review.pk).update(status=StepStatus.SKIPPED, due=date(2026, 8, 31))

    clock.set(2026, 9, 2)
    running = step(accept(submit(world, A, world.offices.district_ja, world.clerk), world.clerk), world.reviewer)
    CaseStep.objects.filter(case=running, status=StepStatus.ACTIVE).update(due=date(2026, 9, 3))

    case_facts_refresh(today=date(2026, 9, 10), case_ids=[late.pk, done.pk, running.pk])
    assert _kinds(late.pk) == {
        "late_notice": "2026-09-01收件，2026-09-09才作出一次性告知（第6个工作日），超过法定5个工作日"}
    found = _kinds(done.pk)
    assert set(found) == {"extra_material", "step_skipped"}
    assert found["extra_material"].startswith("要求提交本事项指南（受理时版本）材料清单以外的材料：“")
    assert found["step_skipped"] == "办结（准予）时以下环节未办理：审核"
    overdue = _kinds(running.pk)
    assert set(overdue) == {"step_overdue"}
    assert overdue["step_overdue"].startswith("环节“办理")
    assert overdue["step_overdue"].endswith("”应于2026-09-03前完成，至今未完成，超出5个工作日")


def test_facts_catch_up_with_case_transactions_before_reading(world: World, clock: Clock) -> None:
    # The case services do no supervision work; readers catch the facts up from the timeline.
    clock.set(2026, 9, 7)
    case = submit(world, A, world.offices.district_ja, world.clerk)
    assert not CaseFact.objects.filter(case=case).exists()
    assert facts_catch_up().facts == 1
    fact = CaseFact.objects.get(case=case)
    assert (fact.status, fact.received_on, fact.officer_id) == ("submitted", date(2026, 9, 7), world.clerk.pk)
    assert facts_catch_up().facts == 0  # nothing changed: nothing recomputed
    accept(case, world.clerk)
    step(case, world.reviewer)
    clock.set(2026, 9, 9)
    step(case, world.clerk)
    assert facts_catch_up().facts == 1
    fact.refresh_from_db()
    assert (fact.status, fact.handling_wd, fact.on_time_promised) == ("completed", 2, True)
    assert case_facts_refresh(today=date(2026, 9, 9)).facts == 0  # nothing left for the tick
