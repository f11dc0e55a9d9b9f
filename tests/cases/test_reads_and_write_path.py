"""Clerk look-ups and the queue page (the indexed read paths), and the lean write path's
guarantees: the checklist ticked at submission, one active step, numbering, statement budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shebao.cases import services
from shebao.cases.models import Case, CaseEvent, CaseMaterial, CaseStatus, CaseStep, StepStatus, applicant_key
from shebao.cases.selectors import case_list, work_queue, work_queue_page
from shebao.cases.services import MaterialCheck
from shebao.catalog.selectors import catalog_version_in_force, item_for_case
from shebao.core.audit import audit_verify
from shebao.core.errors import ValidationFailed
from shebao.core.models import AuditEvent

from . import personas
from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registry_when_data(settings) -> None:  # type: ignore[no-untyped-def]
    # These cases carry no registry data: the read and write paths are under test, not the
    # registries (tests/registry covers SBZX00001's effect in strict mode).
    settings.SHEBAO_REGISTRY_EFFECTS = "when_data"


def _case(world: World, name: str = "武汉某某科技有限公司", *, checked: bool = True, **extra: object) -> Case:
    fields: dict[str, object] = {"applicant_type": "unit", "applicant_name": name,
                                 "applicant_credit_code": personas.credit_code()}
    fields.update(extra)
    case = services.case_submit(item_code="SBZX00001", channel="counter", org_unit=world.offices.district_ja,
                                submitted_by=world.clerk, **fields)  # type: ignore[arg-type]
    if checked:
        services.case_check_materials(case=case, actor=world.clerk, checks={
            row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
    return case


def test_search_by_number_prefix_id_number_and_folded_name(world: World) -> None:
    person_id = personas.id_number()
    a = _case(world, "Ｗａｎｇ 伟 科技")
    b = _case(world, "王伟科技有限公司", applicant_credit_code=personas.credit_code("MA4K3B8Q"))
    c = services.case_submit(item_code="SBZX00029", channel="counter", org_unit=world.offices.district_ja,
                             submitted_by=world.clerk, applicant_type="person", applicant_name="李四",
                             applicant_id_number=person_id)
    services.case_accept(case=a, actor=world.clerk)
    a.refresh_from_db()
    assert a.number and a.applicant_key == "wang伟科技" == applicant_key("wang 伟·科技")

    def found(q: str) -> set[int]:
        return set(case_list(user=world.clerk, q=q).values_list("pk", flat=True))

    assert found(a.number) == {a.pk}
    assert found(a.number[:10].lower()) >= {a.pk}  # a beginning of the number, any case
    assert found("wang伟") == {a.pk}  # full-width, spaces and case folded
    assert found("王伟") == {b.pk} and found("王") == {b.pk}
    assert found("伟科技") == set()  # names match from their beginning, not inside
    assert found(person_id) == {c.pk} and found(person_id.lower()) == {c.pk}
    assert found(b.applicant_credit_code) == {b.pk}
    # Another office's clerk finds none of them.
    assert set(case_list(user=world.clerk_jh, q="王伟").values_list("pk", flat=True)) == set()


def test_queue_page_is_the_queue_in_order_with_its_length(world: World) -> None:
    cases = [_case(world, f"公司{i}") for i in range(5)]
    for case in cases[:3]:
        services.case_accept(case=case, actor=world.clerk)
    today = timezone.localdate()
    for days, case in zip((9, 1, 5), cases[:3], strict=True):
        Case.objects.filter(pk=case.pk).update(promised_due=today + timedelta(days=days))
    _case(world, "待核对公司", checked=False)  # submitted, materials not checked yet: in the queue too
    expected = list(work_queue(user=world.clerk).order_by("promised_due", "submitted_at", "pk"))
    page, total = work_queue_page(user=world.clerk, offset=0, limit=3)
    assert total == len(expected) == 6
    assert [c.pk for c in page] == [c.pk for c in expected[:3]]
    rest, _ = work_queue_page(user=world.clerk, offset=3, limit=10)
    assert [c.pk for c in page + rest] == [c.pk for c in expected]
    assert work_queue_page(user=world.clerk_jh) == ([], 0)


def test_checklist_ticked_at_submission_is_stored_and_checked(world: World) -> None:
    version = catalog_version_in_force()
    assert version is not None
    materials = {m.pk: MaterialCheck(original=True, copy=True)
                 for m in item_for_case(code="SBZX00001", version=version).materials.all()}
    case = _case(world, checked=False, materials=materials)
    rows = CaseMaterial.objects.filter(case=case)
    assert rows.count() == len(materials) and all(r.original_received and r.copy_received for r in rows)
    services.case_accept(case=case, actor=world.clerk)  # complete: accepted without a second call
    with pytest.raises(ValidationFailed):
        _case(world, checked=False, materials={999999: MaterialCheck(original=True)})


def test_full_lifecycle_keeps_one_active_step_timeline_audit_and_a_statement_budget(world: World) -> None:
    case = _case(world)
    with CaptureQueriesContext(connection) as queries:
        services.case_accept(case=case, actor=world.clerk)
        services.case_step_complete(case=case, actor=world.reviewer, outcome="pass", note="审核通过")
        services.case_step_complete(case=case, actor=world.clerk, outcome="pass", note="已登记")
    # The lean path: no re-reads after the compare-and-set, steps read once per call, one
    # statement per sequence number, every statement prepared raw SQL (core/sql.py), the catalog
    # rows from the process's cache; 55+ before #8, 45 before the raw reads (docs/performance.md).
    # Counted inside the test's transaction, so each service call's atomic block adds a SAVEPOINT
    # and a RELEASE, and the audit chain's head (and, on PostgreSQL, its advisory lock) is read
    # once for the whole test, not once per call as in production (core/audit.py: once per
    # transaction). PostgreSQL adds each service call's case row lock (services._lock_case:
    # taken first, so two actions on one case cannot deadlock). One more is the working-day
    # calendar's periodic freshness check (workdays/sources.py), when it falls due.
    budget = 40 if connection.vendor == "sqlite" else 44
    assert len(queries) <= budget, [q["sql"][:80] for q in queries.captured_queries]
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.lock_version == 5
    steps = list(CaseStep.objects.filter(case=case).order_by("position"))
    assert [s.status for s in steps] == [StepStatus.DONE, StepStatus.DONE]
    assert steps[1].started_at is not None
    assert list(CaseEvent.objects.filter(case=case).exclude(action="registry_skipped")
                .values_list("action", flat=True)) == [
        "submitted", "materials_checked", "accepted", "step_completed", "step_completed", "completed"]
    audited = AuditEvent.objects.filter(object_id=str(case.public_id)).count()
    assert audited == CaseEvent.objects.filter(case=case).count()
    assert audit_verify()[1] == []
    # Numbers: office code, day, sequence; a second case takes the next one.
    other = _case(world)
    services.case_accept(case=other, actor=world.clerk)
    other.refresh_from_db()
    assert case.number and other.number and int(other.number[-4:]) == int(case.number[-4:]) + 1
