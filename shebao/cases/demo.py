"""Demo cases for ``shebao serve --demo``: a window queue with work in every state.

Runs through the same services as real work (so every case is audited and numbered as usual)
and only when the database has no case yet, so a second start changes nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from shebao.accounts.models import ApplicantProfile
from shebao.accounts.selectors import org_unit_by_key
from shebao.core.demo import DEMO_APPLICANTS

from . import services
from .models import Case
from .services import MaterialCheck


def _all_received(case: Case, clerk: User, *, skip: tuple[int, ...] = ()) -> None:
    services.case_check_materials(case=case, actor=clerk, checks={
        row.material_id: MaterialCheck(original=True, copy=True)
        for row in case.materials.all() if row.position not in skip
    })
    case.refresh_from_db()


@transaction.atomic
def demo_cases_seed() -> int:
    if Case.objects.exists():
        return 0
    clerk = User.objects.get(username="clerk.jiangan")
    reviewer = User.objects.get(username="reviewer.jiangan")
    unit_user = User.objects.get(username="unit.shili")
    jiangan = org_unit_by_key("district-01")
    if jiangan is None:
        raise RuntimeError("demo cases need the demo units (run demo_seed first)")
    profile = ApplicantProfile.objects.get(user=unit_user)

    def submit(code: str, *, by: User, channel: str = "counter", key: str = "") -> Case:
        return services.case_submit(
            item_code=code, channel=channel, org_unit=jiangan, submitted_by=by, applicant_type="unit",
            applicant_name=profile.name, applicant_credit_code=profile.credit_code, applicant_phone="027-85550000",
            idempotency_key=key,
        )

    # The registry data the window enters (shebao/registry/casedata.py): 受理 needs it. The demo
    # applicants are registered by shebao.registry.demo.demo_registry_seed, which runs first.
    from shebao.registry.casedata import case_data_set

    employee = next(a for a in DEMO_APPLICANTS if a.role == "applicant_person")

    waiting = submit("SBZX00005", by=clerk)
    case_data_set(case=waiting, actor=clerk, data={"changes": {"legal_rep_name": "张建国"}, "changed_on": "2026-11-02"})
    _all_received(waiting, clerk, skip=(2,))

    incomplete = submit("SBZX00009", by=clerk)
    _all_received(incomplete, clerk, skip=(3,))
    services.case_notify_incomplete(case=incomplete, actor=clerk, note="请补充增加险种所需的营业执照复印件")

    in_review = submit("SBZX00016", by=clerk)
    case_data_set(case=in_review, actor=clerk, data={
        "year": 2026, "wages": [{"id_number": employee.id_number, "monthly_wage": "8500"}]})
    _all_received(in_review, clerk)
    services.case_accept(case=in_review, actor=clerk)

    done = submit("SBZX00003", by=clerk)
    case_data_set(case=done, actor=clerk, data={"industry_class": 2, "business_scope": "软件和信息技术服务"})
    _all_received(done, clerk)
    services.case_accept(case=done, actor=clerk)
    done.refresh_from_db()
    services.case_step_complete(case=done, actor=reviewer, outcome="pass", note="审核通过")
    done.refresh_from_db()
    services.case_step_complete(case=done, actor=clerk, outcome="pass", note="已调整行业类别和基准费率")

    online = submit("SBZX00010", by=unit_user, channel="online", key="demo-online-1")
    case_data_set(case=online, actor=unit_user, data={"changes": {"contact_phone": "027-85551111"}})
    _all_received(online, clerk)
    return Case.objects.count()
