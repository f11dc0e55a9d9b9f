"""The staff workbench: who may see it, the queue's order and colours, the case page's buttons,
and the whole counter flow through the web forms (一次性告知 → 补正 → 受理 → 办结)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shebao.cases import services
from shebao.cases.models import Case, CaseStatus, Notice, NoticeKind
from shebao.workdays import get_calendar
from tests.cases import registry_data
from tests.cases.conftest import World
from tests.cases.personas import PASSWORD

from .conftest import counter_case, receive_all

pytestmark = pytest.mark.django_db


def _page(client: Client, case: Case) -> str:
    return client.get(reverse("web:work_case", kwargs={"case_id": case.public_id})).content.decode()


def _act(client: Client, case: Case, action: str, **data: Any) -> Any:
    case.refresh_from_db()
    payload = {"action": action, "version": str(case.lock_version), **data}
    return client.post(reverse("web:work_act", kwargs={"case_id": case.public_id}), payload)


def _ticks(case: Case, *, skip: tuple[int, ...] = ()) -> dict[str, str]:
    data: dict[str, str] = {}
    for row in case.materials.all():
        data[f"m{row.material_id}-seen"] = "1"
        if row.position not in skip:
            data[f"m{row.material_id}-original"] = "1"
    return data


def test_anonymous_users_are_sent_to_login(client: Client, world: World) -> None:
    case = counter_case(world)
    for url in (reverse("web:home"), reverse("web:work_queue"), reverse("web:work_intake"), reverse("web:my_home"),
                reverse("web:work_case", kwargs={"case_id": case.public_id})):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


def test_login_lands_staff_on_the_workbench_and_applicants_on_their_portal(client: Client, world: World) -> None:
    response = client.post(reverse("accounts:login"), {"username": "clerk.ja", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:work_queue")
    assert "今日工作" in response.content.decode()
    client.logout()
    response = client.post(reverse("accounts:login"), {"username": "zhang.san", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:my_home")


def test_each_side_is_closed_to_the_other(client: Client, world: World) -> None:
    client.force_login(world.person)
    response = client.get(reverse("web:work_queue"))
    assert response.status_code == 403 and "仅供工作人员使用" in response.content.decode()
    client.force_login(world.clerk)
    assert client.get(reverse("web:my_home")).status_code == 403


def test_queue_orders_by_urgency_with_red_and_yellow_markers(client: Client, world: World) -> None:
    calendar = get_calendar()
    today = timezone.localdate()
    late, soon, later = (counter_case(world, applicant_name=name) for name in ("甲公司", "乙公司", "丙公司"))
    for case in (late, soon, later):
        receive_all(world, case)
        case.refresh_from_db()
        services.case_accept(case=case, actor=world.clerk)
    Case.objects.filter(pk=late.pk).update(promised_due=today - timedelta(days=10), legal_due=None)
    Case.objects.filter(pk=soon.pk).update(promised_due=calendar.add_working_days(today, 1), legal_due=None)
    Case.objects.filter(pk=later.pk).update(promised_due=calendar.add_working_days(today, 9), legal_due=None)
    waiting = counter_case(world, applicant_name="丁公司")  # 待受理: 5 working days to notify or accept
    services.cases_recompute_warnings(today=today)  # the tick stores the levels the queue counts and sorts by

    client.force_login(world.clerk)
    html = client.get(reverse("web:work_queue")).content.decode()
    order = [html.index(name) for name in ("甲公司", "乙公司", "丁公司", "丙公司")]
    assert order == sorted(order), "overdue first, then due soon, then the rest"
    assert re.search(r'class="queue-row row--red".*?甲公司', html, re.S)
    assert re.search(r'class="queue-row row--yellow"[^>]*>(?:(?!queue-row).)*乙公司', html, re.S)
    assert "已超期" in html and "剩 1 个工作日" in html
    assert "超期（红色预警）" in html and "待我办理" in html

    red_only = client.get(reverse("web:work_queue"), {"show": "red"}).content.decode()
    assert "甲公司" in red_only and "乙公司" not in red_only
    found = client.get(reverse("web:work_queue"), {"q": "丁公司"}).content.decode()
    assert "丁公司" in found and "甲公司" not in found and waiting.reference in found
    bad = client.get(reverse("web:work_queue"), {"show": "nonsense"})
    assert bad.status_code == 422 and "筛选条件无效" in bad.content.decode()


def test_other_offices_cannot_open_the_case_or_its_notices(client: Client, world: World) -> None:
    case = counter_case(world)
    receive_all(world, case)
    case.refresh_from_db()
    notice = services.case_accept(case=case, actor=world.clerk)
    client.force_login(world.clerk_jh)
    assert client.get(reverse("web:work_case", kwargs={"case_id": case.public_id})).status_code == 404
    assert client.get(reverse("web:notice_pdf", kwargs={"notice_id": notice.pk})).status_code == 404
    assert client.get(reverse("web:notice_print", kwargs={"notice_id": notice.pk})).status_code == 404
    response = _act(client, case, "complete_step", outcome="pass")
    assert response.status_code == 404
    assert case.steps.filter(status="done").count() == 0
    assert str(case.public_id) not in client.get(reverse("web:work_queue")).content.decode()


def test_case_page_shows_only_the_buttons_the_user_may_press(client: Client, world: World) -> None:
    case = counter_case(world)
    client.force_login(world.clerk)
    html = _page(client, case)
    for label in ("受理</button>", "出具一次性告知书</button>", "保存核对结果</button>", "<summary>不予受理</summary>"):
        assert label in html
    assert "通过" not in html and "恢复办理</button>" not in html
    assert "申报材料核对" in html and "办事指南第 1 版" in html
    client.force_login(world.supervisor)  # sees everything, may press nothing
    html = _page(client, case)
    assert "受理</button>" not in html and "出具一次性告知书</button>" not in html
    assert "目前没有您可以进行的操作" in html


def test_counter_flow_through_the_forms(client: Client, world: World) -> None:
    client.force_login(world.clerk)
    response = client.post(reverse("web:work_intake"), {
        "item_code": "SBZX00016", "applicant_type": "unit", "applicant_name": "武汉某某科技有限公司",
        "applicant_credit_code": "91420102MA4K3B7Q0X",
    })
    assert response.status_code == 422 and "统一社会信用代码" in response.content.decode()
    assert Case.objects.count() == 0

    from tests.cases.personas import credit_code
    response = client.post(reverse("web:work_intake"), {
        "item_code": "SBZX00016", "applicant_type": "unit", "applicant_name": "武汉某某科技有限公司",
        "applicant_credit_code": credit_code(),
    })
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:work_case", kwargs={"case_id": case.public_id})

    # Three of four materials: 受理 is refused and nothing changes.
    response = _act(client, case, "accept", **_ticks(case, skip=(4,)))
    html = response.content.decode()
    assert response.status_code == 422 and "未能办理：申报材料" in html and "材料不齐全" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.materials.filter(original_received=True).count() == 0
    assert 'name="m' in html and "checked" in html  # the ticks just made are still on the form

    response = _act(client, case, "notify_incomplete", note="请加盖公章", **_ticks(case, skip=(4,)))
    notice = Notice.objects.get(case=case, kind=NoticeKind.INCOMPLETE)
    assert response.status_code == 302 and response["Location"].endswith(f"?notice={notice.pk}#notices")
    html = client.get(response["Location"]).content.decode()
    assert f"编号 {notice.number}" in html and f'{reverse("web:notice_print", kwargs={"notice_id": notice.pk})}?print=1' in html
    assert [m["position"] for m in notice.content["missing"]] == [4]

    # A form from before the notice (stale version) is refused with 409.
    stale = client.post(reverse("web:work_act", kwargs={"case_id": case.public_id}),
                        {"action": "check_materials", "version": "0", **_ticks(case)})
    assert stale.status_code == 409 and "请刷新后重试" in stale.content.decode()

    refused = _act(client, case, "refuse", reasons="  ")
    assert refused.status_code == 422 and "不予受理理由" in refused.content.decode()

    assert _act(client, case, "supplement", **_ticks(case)).status_code == 302
    # 受理 needs the wage declaration's data: refused until the clerk enters it in the data form.
    refused = _act(client, case, "accept", **_ticks(case))
    assert refused.status_code == 409 and "业务数据" in refused.content.decode()
    worker = registry_data.new_person("李四")
    registry_data.employ(worker, registry_data.employer_of(case))
    case.refresh_from_db()
    saved = client.post(reverse("web:work_registry_data", kwargs={"case_id": case.public_id}), {
        "version": str(case.lock_version), "rd.year": "2026", "rd.wages.0.id_number": worker.id_number,
        "rd.wages.0.monthly_wage": "6800"})
    assert saved.status_code == 302
    assert _act(client, case, "accept", **_ticks(case)).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.number
    html = _page(client, case)
    assert "通过并办结</button>" in html and "办理工资申报手续" in html

    response = _act(client, case, "complete_step", outcome="fail", note="")
    assert response.status_code == 422 and "退回或不通过须写明理由" in response.content.decode()
    response = _act(client, case, "complete_step", outcome="pass", note="已办理")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    html = _page(client, case)
    assert "该办件已结束" in html and "办结通知书" in html and "受理通知书" in html
    for label in ("提交申请", "出具一次性告知书", "补正材料", "受理", "办结"):
        assert f'<span class="tl-label">{label}</span>' in html


def test_unknown_action_and_missing_fields_name_the_field(client: Client, world: World) -> None:
    case = counter_case(world)
    client.force_login(world.clerk)
    response = _act(client, case, "explode")
    assert response.status_code == 422 and "未能办理：操作" in response.content.decode()
    response = client.post(reverse("web:work_act", kwargs={"case_id": case.public_id}), {"action": "refuse"})
    assert response.status_code == 422 and "请填写不予受理的理由" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_case_list_searches_every_visible_case(client: Client, world: World) -> None:
    open_case = counter_case(world, applicant_name="查询用公司")
    client.force_login(world.clerk)
    html = client.get(reverse("web:work_cases"), {"q": "查询用"}).content.decode()
    assert open_case.reference in html
    response = client.get(reverse("web:work_cases"), {"status": "nonsense"})
    assert response.status_code == 422 and "状态" in response.content.decode()
