"""Case lifecycle throughput: shebao's service layer against SpiffWorkflow, same run, same database.

shebao: full counter cases of SBZX00001 — submit (with the 4-material checklist) → check
materials → 受理 (办件编号, due dates on the official calendar, 受理通知书, flow steps) → 审核 →
办理 (办结通知书) — each service call one durable transaction with its timeline and audit-chain
events.

SpiffWorkflow: the equivalent BPMN process (four user tasks: 申请, 受理, 审核, 办理), run by its
BPMN engine, with the serialized workflow state saved to the same database after every task
(one transaction per task), as a persistent workflow service must.

Usage: python bench/case_lifecycle.py [--n 200]    (DATABASE_URL selects PostgreSQL)
Prints both throughputs and the ratio; the target is at least 3x.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="case" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="submit" name="申请"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="accept" name="受理"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="review" name="审核"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="complete" name="办理"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="submit"/>
    <bpmn:sequenceFlow id="f1" sourceRef="submit" targetRef="accept"/>
    <bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="complete"/>
    <bpmn:sequenceFlow id="f4" sourceRef="complete" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["SHEBAO_DATA_DIR"] = tempfile.mkdtemp(prefix="shebao-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from shebao.catalog.services import catalog_ensure_loaded

    catalog_ensure_loaded()


def _people():  # type: ignore[no-untyped-def]
    from shebao.accounts import services as accounts
    from shebao.accounts.models import OrgLevel

    accounts.role_groups_ensure(actor="bench")
    unit, _ = accounts.org_unit_ensure(actor="bench", key="bench-district", name="基准测试社保处",
                                       level=OrgLevel.DISTRICT, code="BN", district="江岸")
    clerk, _ = accounts.staff_account_ensure(actor="bench", username="bench.clerk", password="bench-pass-2017",
                                          display_name="窗口", org_unit=unit, roles=("window_clerk",))
    reviewer, _ = accounts.staff_account_ensure(actor="bench", username="bench.reviewer", password="bench-pass-2017",
                                             display_name="审核", org_unit=unit, roles=("reviewer",))
    # Fresh objects: the account service caches roles on the instances it returns.
    from django.contrib.auth.models import User

    return unit, User.objects.get(pk=clerk.pk), User.objects.get(pk=reviewer.pk)


def _credit_codes(n: int) -> list[str]:
    from shebao.core.identifiers import credit_code_check_char, org_code_check_char

    codes = []
    for i in range(n):
        org8 = f"MA{i:06d}"
        first17 = "91420102" + org8 + org_code_check_char(org8)
        codes.append(first17 + credit_code_check_char(first17))
    return codes


def bench_shebao(n: int) -> float:
    from shebao.cases import services
    from shebao.cases.models import Case, CaseStatus
    from shebao.cases.services import MaterialCheck

    unit, clerk, reviewer = _people()
    codes = _credit_codes(n)
    started = time.perf_counter()
    for code in codes:
        case = services.case_submit(item_code="SBZX00001", channel="counter", org_unit=unit, submitted_by=clerk,
                                    applicant_type="unit", applicant_name="基准测试单位", applicant_credit_code=code)
        services.case_check_materials(case=case, actor=clerk, checks={
            row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
        services.case_accept(case=case, actor=clerk)
        services.case_step_complete(case=case, actor=reviewer, outcome="pass", note="审核通过")
        services.case_step_complete(case=case, actor=clerk, outcome="pass", note="已登记")
    elapsed = time.perf_counter() - started
    done = Case.objects.filter(status=CaseStatus.COMPLETED, org_unit=unit).count()
    assert done >= n, f"only {done} of {n} cases completed"
    return n / elapsed


def bench_spiff(n: int) -> float:
    from django.db import connection, transaction
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_spiff_state (instance INTEGER PRIMARY KEY, state TEXT)")
        cursor.execute("DELETE FROM bench_spiff_state")
    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.encode())
    spec = parser.get_spec("case")
    serializer = BpmnWorkflowSerializer()
    upsert = (
        "INSERT INTO bench_spiff_state (instance, state) VALUES (%s, %s) "
        "ON CONFLICT (instance) DO UPDATE SET state = excluded.state"
    )
    started = time.perf_counter()
    for instance in range(n):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        while not workflow.is_completed():
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data["actor"] = "clerk"
            task.run()
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(upsert, [instance, state])
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM bench_spiff_state")
        assert cursor.fetchone()[0] == n
    return n / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="cases per engine")
    args = parser.parse_args()
    _setup()
    from django.db import connection

    ours = bench_shebao(args.n)
    theirs = bench_spiff(args.n)
    ratio = ours / theirs
    print(f"database: {connection.vendor}; cases per engine: {args.n}")
    print(f"{'benchmark':<42}{'shebao':>12}{'SpiffWorkflow':>16}{'ratio':>8}")
    print(f"{'case lifecycle (cases/s, 4 steps, durable)':<42}{ours:>12.1f}{theirs:>16.1f}{ratio:>7.2f}x")
    print(f"target >= 3x: {'met' if ratio >= 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
