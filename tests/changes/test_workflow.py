"""The whole path of a guide change: propose → submit → return → revise → approve → publish →
in force on its effective date; refusal without approval; who may do what; the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shebao.catalog.flows import flow_for, flow_for_item
from shebao.catalog.models import CatalogVersion, ItemFlow, ServiceItem
from shebao.catalog.selectors import catalog_version_in_force, item_get
from shebao.changes import services
from shebao.changes.models import ChangeProposal, ProposalStatus
from shebao.core.audit import audit_verify
from shebao.core.errors import Conflict, PermissionDenied, ValidationFailed
from shebao.core.models import AuditEvent

from .conftest import People

pytestmark = pytest.mark.django_db
CODE = "SBZX00001"


def _materials(code: str = CODE) -> list[dict[str, object]]:
    item = ServiceItem.objects.get(version__number=1, code=code)
    return [
        {"text": m.text, "group": m.group, "original_count": m.original_count, "copy_count": m.copy_count,
         "retained": m.retained, "conditional": m.conditional}
        for m in item.materials.all()
    ]


def _propose(people: People, **changes: object) -> ChangeProposal:
    materials = _materials()
    materials.append({"text": "《社会保险登记表》电子版", "copy_count": 1})
    content: dict[str, object] = {"promised_limit": "3个工作日", "materials": materials, **changes}
    return services.proposal_propose(
        actor=people.editor, kind="item_change", item_code=CODE, content=content,
        reason="简化参保登记材料，压缩承诺时限", effective_date=timezone.localdate(),
    )


def test_propose_return_revise_approve_publish_and_take_effect(people: People) -> None:
    today = timezone.localdate()
    proposal = _propose(people)
    assert proposal.status == ProposalStatus.DRAFT and proposal.base_version.number == 1
    assert proposal.reference.startswith("BG") and proposal.title == "修改事项：“统一社会信用代码”单位社会保险登记（SBZX00001）"
    [diff] = proposal.diff
    assert diff["change"] == "changed"
    assert [f["field"] for f in diff["fields"]] == ["materials", "promised_limit"]
    materials = next(f for f in diff["fields"] if f["field"] == "materials")
    assert [r["tag"] for r in materials["rows"]][-1] == "insert"

    services.proposal_submit(proposal=proposal, actor=people.editor)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.submitted_at is not None

    # The policy office returns it with a comment; the editor revises and resubmits.
    with pytest.raises(ValidationFailed, match="审核意见"):
        services.proposal_return(proposal=proposal, actor=people.policy, comment=" ")
    services.proposal_return(proposal=proposal, actor=people.policy, comment="承诺时限请写明“即时办结”以外的情形")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.RETURNED and proposal.reviewer == people.policy
    assert "承诺时限" in proposal.review_comment
    with pytest.raises(Conflict, match="退回修改"):
        services.proposal_approve(proposal=proposal, actor=people.policy)

    tomorrow = today + timedelta(days=1)
    services.proposal_revise(proposal=proposal, actor=people.editor, content={"promised_limit": "2个工作日"},
                             effective_date=tomorrow)
    proposal.refresh_from_db()
    assert proposal.revision == 1 and proposal.content["promised_limit"] == {
        "text": "2个工作日", "kind": "working_days", "count": 2}
    services.proposal_submit(proposal=proposal, actor=people.editor)

    # Publishing before approval is refused.
    with pytest.raises(Conflict, match="尚未经政策法规处审核通过"):
        services.proposal_publish(proposal=proposal, actor=people.editor)
    services.proposal_approve(proposal=proposal, actor=people.policy, comment="同意")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED and proposal.reviewed_at is not None

    version = services.proposal_publish(proposal=proposal, actor=people.editor)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PUBLISHED and proposal.published_version == version
    assert proposal.publisher == people.editor and proposal.published_at is not None
    assert version.number == 2 and version.status == CatalogVersion.Status.PUBLISHED
    assert version.effective_from == tomorrow
    assert version.items.count() == 123

    # Effective tomorrow: today the old version is still in force; tomorrow the new one.
    assert catalog_version_in_force().number == 1  # type: ignore[union-attr]
    assert catalog_version_in_force(on=tomorrow).number == 2  # type: ignore[union-attr]
    old = item_get(code=CODE, version=CatalogVersion.objects.get(number=1))
    new = item_get(code=CODE, version=version)
    assert old.promised_limit_text == "即时办结" and new.promised_limit_text == "2个工作日"
    assert new.materials.count() == old.materials.count() + 1
    assert new.materials.last().text == "《社会保险登记表》电子版"  # type: ignore[union-attr]
    # Untouched items are copied unchanged.
    assert services.dicts_for_codes(version, ["SBZX00002"]) == services.dicts_for_codes(
        CatalogVersion.objects.get(number=1), ["SBZX00002"])

    # The trail: who did what, and an unbroken audit chain.
    actions = list(proposal.events.values_list("action", flat=True))
    assert actions == ["proposed", "submitted", "returned", "revised", "submitted", "approved", "published"]
    names = {e.action: e.actor_name for e in proposal.events.all()}
    assert names["approved"] == "policy.office" and names["published"] == "editor.catalog"
    assert AuditEvent.objects.filter(action="change.published", object_id=proposal.reference).exists()
    assert AuditEvent.objects.filter(action="catalog.version.published", object_id="2").exists()
    assert audit_verify()[1] == []


def test_roles_are_enforced(people: People) -> None:
    with pytest.raises(PermissionDenied):
        services.proposal_propose(actor=people.clerk, kind="item_change", item_code=CODE, content={},
                                  reason="x", effective_date=timezone.localdate())
    proposal = _propose(people)
    with pytest.raises(PermissionDenied):
        services.proposal_submit(proposal=proposal, actor=people.policy)
    services.proposal_submit(proposal=proposal, actor=people.editor)
    with pytest.raises(PermissionDenied, match="政策法规处"):
        services.proposal_approve(proposal=proposal, actor=people.editor2)
    services.proposal_approve(proposal=proposal, actor=people.policy)
    # A catalog editor outside 市社保中心 / 信息中心 may propose but not publish.
    with pytest.raises(PermissionDenied, match="市社保中心"):
        services.proposal_publish(proposal=proposal, actor=people.district_editor)
    with pytest.raises(PermissionDenied):
        services.proposal_publish(proposal=proposal, actor=people.policy)
    version = services.proposal_publish(proposal=proposal, actor=people.info_admin)
    assert version.number == 2


def test_nobody_approves_their_own_proposal(people: People) -> None:
    proposal = services.proposal_propose(
        actor=people.info_admin, kind="item_change", item_code=CODE, content={"remarks": "新增备注"},
        reason="补充备注", effective_date=timezone.localdate(), submit=True)
    with pytest.raises(PermissionDenied, match="本人"):
        services.proposal_approve(proposal=proposal, actor=people.info_admin)


def test_a_proposal_without_changes_or_reason_is_refused(people: People) -> None:
    with pytest.raises(ValidationFailed, match="变更理由") as excinfo:
        services.proposal_propose(actor=people.editor, kind="item_change", item_code=CODE, content={},
                                  reason="  ", effective_date=timezone.localdate())
    assert excinfo.value.field == "reason"
    proposal = services.proposal_propose(actor=people.editor, kind="item_change", item_code=CODE,
                                         content={"name": "“统一社会信用代码”单位社会保险登记"}, reason="无改动",
                                         effective_date=timezone.localdate())
    with pytest.raises(ValidationFailed, match="没有任何改动"):
        services.proposal_submit(proposal=proposal, actor=people.editor)
    with pytest.raises(ValidationFailed) as bad:
        services.proposal_revise(proposal=proposal, actor=people.editor, content={"name": ""})
    assert bad.value.field == "name"
    with pytest.raises(ValidationFailed, match="早于今天"):
        services.proposal_revise(proposal=proposal, actor=people.editor, content={"remarks": "x"},
                                 effective_date=timezone.localdate() - timedelta(days=1))
        services.proposal_submit(proposal=proposal, actor=people.editor)


def test_new_item_and_retirement(people: People) -> None:
    today = timezone.localdate()
    section = ServiceItem.objects.get(version__number=1, code="SBZX00001").section.name
    with pytest.raises(ValidationFailed, match="已有业务编号"):
        services.proposal_propose(actor=people.editor, kind="new_item", item_code="SBZX00002",
                                  content={"section": section}, reason="x", effective_date=today)
    new = services.proposal_propose(
        actor=people.editor, kind="new_item", item_code="sbzx00121",
        content={"section": section, "name": "单位社会保险信息网上变更", "category": "单位参保登记业务",
                 "authority": "武汉市人力资源和社会保障局", "modes": {"online": True},
                 "applicant_kinds": ["unit"], "conditions": "已参保单位。",
                 "materials": [{"text": "经办人身份证", "original_count": 1}],
                 "legal_limit": "无", "promised_limit": "即时办结", "flow_steps": "1.网上申报\n2.系统办结"},
        reason="新增网上办事项", effective_date=today)
    assert new.item_code == "SBZX00121" and new.content["seq"] == 121
    with pytest.raises(ValidationFailed, match="办理流程定义"):
        services.proposal_submit(proposal=new, actor=people.editor)
    services.proposal_revise(proposal=new, actor=people.editor, flow_definition={"pattern": "counter_4step"})
    services.proposal_submit(proposal=new, actor=people.editor)
    services.proposal_approve(proposal=new, actor=people.policy)
    v2 = services.proposal_publish(proposal=new, actor=people.editor)
    item = item_get(code="SBZX00121", version=v2)
    assert v2.items.count() == 124 and item.seq == 121 and item.flow_text == "1.网上申报\n2.系统办结"
    assert item.section.name == section
    assert [s.key for s in flow_for_item(item).steps] == ["review", "handle"]
    assert ItemFlow.objects.filter(version=v2, code="SBZX00121").exists()

    retire = services.proposal_propose(actor=people.editor, kind="retire_item", item_code="SBZX00121",
                                       reason="并入其他事项", effective_date=today, submit=True)
    services.proposal_approve(proposal=retire, actor=people.policy)
    v3 = services.proposal_publish(proposal=retire, actor=people.editor)
    assert v3.items.count() == 123 and not v3.items.filter(code="SBZX00121").exists()
    assert not ItemFlow.objects.filter(version=v3, code="SBZX00121").exists()
    assert catalog_version_in_force().number == 3  # type: ignore[union-attr]
    # The retired item's old version is still there for cases accepted under it.
    assert ServiceItem.objects.filter(version=v2, code="SBZX00121").exists()


def test_flow_change_is_versioned(people: People) -> None:
    """A flow change applies to the new version's item only; flow_for(code) stays version 1."""
    definition = {"pattern": "counter_4step", "steps": {"review": {"rule": "5个工作日"}}}
    proposal = services.proposal_propose(
        actor=people.editor, kind="item_change", item_code=CODE, flow_definition=definition,
        content={"flow_steps": ["窗口受理", "审核（5个工作日）", "办理参保登记手续"]},
        reason="审核环节设时限", effective_date=timezone.localdate(), submit=True)
    fields = [f["field"] for f in proposal.diff[0]["fields"]]
    assert fields == ["flow_steps", "flow_definition"]
    with pytest.raises(ValidationFailed, match="办理流程定义有误") as bad:
        services.proposal_propose(actor=people.editor, kind="item_change", item_code=CODE,
                                  flow_definition={"pattern": "no_such_pattern"}, reason="x",
                                  effective_date=timezone.localdate())
    assert bad.value.field == "flow_definition"
    services.proposal_approve(proposal=proposal, actor=people.policy)
    v2 = services.proposal_publish(proposal=proposal, actor=people.editor)
    old_item = item_get(code=CODE, version=CatalogVersion.objects.get(number=1))
    new_item = item_get(code=CODE, version=v2)
    assert flow_for_item(old_item) == flow_for(CODE)
    assert flow_for_item(old_item).steps[0].rule is None
    assert flow_for_item(new_item).steps[0].rule == "5个工作日"
    # The next version carries the flow forward.
    other = services.proposal_propose(actor=people.editor, kind="item_change", item_code=CODE,
                                      content={"remarks": "备注"}, reason="备注",
                                      effective_date=timezone.localdate(), submit=True)
    services.proposal_approve(proposal=other, actor=people.policy)
    v3 = services.proposal_publish(proposal=other, actor=people.editor)
    assert flow_for_item(item_get(code=CODE, version=v3)).steps[0].rule == "5个工作日"


def test_a_past_effective_date_takes_effect_on_publication_and_dates_never_go_back(people: People) -> None:
    today = timezone.localdate()
    late = _propose(people)
    services.proposal_submit(proposal=late, actor=people.editor)
    services.proposal_approve(proposal=late, actor=people.policy)
    ChangeProposal.objects.filter(pk=late.pk).update(effective_date=today - timedelta(days=3))
    late.refresh_from_db()
    v2 = services.proposal_publish(proposal=late, actor=people.editor)
    assert v2.effective_from == today
    assert late.events.last().detail["effective_date_moved"] == (today - timedelta(days=3)).isoformat()  # type: ignore[union-attr]

    future = services.proposal_propose(actor=people.editor, kind="item_change", item_code="SBZX00002",
                                       content={"remarks": "甲"}, reason="甲",
                                       effective_date=today + timedelta(days=30), submit=True)
    services.proposal_approve(proposal=future, actor=people.policy)
    v3 = services.proposal_publish(proposal=future, actor=people.editor)
    earlier = services.proposal_propose(actor=people.editor, kind="item_change", item_code="SBZX00003",
                                        content={"remarks": "乙"}, reason="乙",
                                        effective_date=today + timedelta(days=10), submit=True)
    services.proposal_approve(proposal=earlier, actor=people.policy)
    with pytest.raises(Conflict, match="不得早于"):
        services.proposal_publish(proposal=earlier, actor=people.editor)
    assert catalog_version_in_force() == v2 and catalog_version_in_force(on=v3.effective_from) == v3


def test_withdraw(people: People) -> None:
    proposal = _propose(people)
    with pytest.raises(ValidationFailed, match="撤回理由"):
        services.proposal_withdraw(proposal=proposal, actor=people.editor, reason="")
    services.proposal_withdraw(proposal=proposal, actor=people.editor, reason="不再需要")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    with pytest.raises(Conflict):
        services.proposal_submit(proposal=proposal, actor=people.editor)
