"""Two proposals touching the same item must be reconciled before approval; a proposal whose
item changed after it was drafted must be brought up to date."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shebao.catalog.models import CatalogVersion
from shebao.catalog.selectors import item_get
from shebao.changes import services
from shebao.changes.models import ChangeProposal, ProposalStatus
from shebao.changes.selectors import proposal_actions
from shebao.core.errors import Conflict, ValidationFailed

from .conftest import People

pytestmark = pytest.mark.django_db
CODE = "SBZX00005"


def _change(people: People, *, submit: bool = True, actor: object = None, **content: object) -> ChangeProposal:
    return services.proposal_propose(
        actor=actor or people.editor, kind="item_change", item_code=CODE, content=content,  # type: ignore[arg-type]
        reason="修订", effective_date=timezone.localdate(), submit=submit)


def test_two_proposals_on_one_item_block_each_other_until_one_is_returned(people: People) -> None:
    first = _change(people, remarks="甲")
    second = _change(people, actor=people.editor2, conditions="新的办事条件")
    # Submitting the second was allowed, with the overlap recorded as a warning.
    assert "也涉及 SBZX00005" in second.events.last().detail["conflicts"][0]  # type: ignore[union-attr]
    conflicts = services.proposal_conflicts(first)
    assert [c.kind for c in conflicts] == ["overlap"] and conflicts[0].other_id == second.pk
    for proposal in (first, second):
        with pytest.raises(Conflict, match="存在冲突") as excinfo:
            services.proposal_approve(proposal=proposal, actor=people.policy)
        assert excinfo.value.extra["conflicts"] == ["overlap"]
    # A different item is not a conflict.
    other_item = services.proposal_propose(actor=people.editor, kind="item_change", item_code="SBZX00006",
                                           content={"remarks": "丙"}, reason="修订",
                                           effective_date=timezone.localdate(), submit=True)
    services.proposal_approve(proposal=other_item, actor=people.policy)

    # Reconcile: return the second; the first is approved and published.
    services.proposal_return(proposal=second, actor=people.policy, comment="与 BG 提案冲突，待其发布后更新")
    services.proposal_approve(proposal=first, actor=people.policy)
    # While the first is approved and unpublished, the second cannot be approved either.
    second.refresh_from_db()
    services.proposal_submit(proposal=second, actor=people.editor2)
    with pytest.raises(Conflict, match="也涉及"):
        services.proposal_approve(proposal=second, actor=people.policy)
    services.proposal_return(proposal=second, actor=people.policy, comment="请等待")
    v2 = services.proposal_publish(proposal=first, actor=people.editor)

    # Now the second is stale: its base (v1) is no longer the newest and the item changed.
    second.refresh_from_db()
    assert [c.kind for c in services.proposal_conflicts(second)] == ["stale"]
    assert "rebase" in proposal_actions(proposal=second, user=people.editor2)
    kept = services.proposal_rebase(proposal=second, actor=people.editor2)
    assert kept == []
    second.refresh_from_db()
    assert second.base_version == v2
    assert second.content["remarks"] == "甲"  # the published change is kept
    assert second.content["conditions"] == "新的办事条件"  # and so is the proposal's own
    assert [f["field"] for f in second.diff[0]["fields"]] == ["conditions"]
    services.proposal_submit(proposal=second, actor=people.editor2)
    services.proposal_approve(proposal=second, actor=people.policy)
    v3 = services.proposal_publish(proposal=second, actor=people.editor)
    item = item_get(code=CODE, version=v3)
    assert item.remarks == "甲" and item.conditions == "新的办事条件"
    assert other_item.status == ProposalStatus.APPROVED


def test_publishing_a_stale_approved_proposal_is_refused(people: People) -> None:
    first = _change(people, remarks="甲")
    services.proposal_approve(proposal=first, actor=people.policy)
    v2 = services.proposal_publish(proposal=first, actor=people.editor)
    # Approved earlier against v1 (simulated: the overlap check ran before the other existed).
    late = _change(people, submit=False, remarks="乙")
    ChangeProposal.objects.filter(pk=late.pk).update(
        base_version=CatalogVersion.objects.get(number=1), status=ProposalStatus.APPROVED)
    late.refresh_from_db()
    with pytest.raises(Conflict, match="更新到现行版本"):
        services.proposal_publish(proposal=late, actor=people.editor)
    assert CatalogVersion.objects.filter(status="published").count() == 2 and v2.number == 2


def test_rebase_keeps_the_proposal_where_both_changed_a_field(people: People) -> None:
    mine = _change(people, submit=False, remarks="我的备注")
    theirs = _change(people, actor=people.editor2, remarks="他的备注")
    services.proposal_approve(proposal=theirs, actor=people.policy)
    services.proposal_publish(proposal=theirs, actor=people.editor)
    assert services.proposal_rebase(proposal=mine, actor=people.editor) == ["remarks"]
    mine.refresh_from_db()
    assert mine.content["remarks"] == "我的备注"
    assert mine.events.last().detail["kept_ours"] == ["remarks"]  # type: ignore[union-attr]


def test_merge_two_proposals_into_one(people: People) -> None:
    mine = _change(people, submit=False, remarks="备注")
    theirs = _change(people, actor=people.editor2, fee="按规定不收取任何费用")
    clashes = services.proposal_merge(proposal=mine, other=theirs, actor=people.editor)
    assert clashes == []
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert theirs.status == ProposalStatus.WITHDRAWN
    assert theirs.events.last().comment == f"已并入提案 {mine.reference}"  # type: ignore[union-attr]
    assert mine.content["remarks"] == "备注" and mine.content["fee"] == "按规定不收取任何费用"
    assert {f["field"] for f in mine.diff[0]["fields"]} == {"fee", "remarks"}
    services.proposal_submit(proposal=mine, actor=people.editor)
    assert services.proposal_conflicts(mine) == []
    services.proposal_approve(proposal=mine, actor=people.policy)


def test_a_new_item_code_proposed_twice_conflicts(people: People) -> None:
    section = item_get(code="SBZX00001", version=CatalogVersion.objects.get(number=1)).section.name
    content = {"section": section, "name": "新事项", "category": "单位参保登记业务", "authority": "武汉市人力资源和社会保障局",
               "legal_limit": "无", "promised_limit": "即时办结"}
    flow = {"pattern": "counter_4step"}
    a = services.proposal_propose(actor=people.editor, kind="new_item", item_code="SBZX00200", content=content,
                                  flow_definition=flow, reason="新增", effective_date=timezone.localdate(),
                                  submit=True)
    b = services.proposal_propose(actor=people.editor2, kind="new_item", item_code="SBZX00200", content=content,
                                  flow_definition=flow, reason="新增", effective_date=timezone.localdate(),
                                  submit=True)
    assert [c.kind for c in services.proposal_conflicts(a)] == ["overlap"]
    services.proposal_withdraw(proposal=b, actor=people.editor2, reason="重复")
    services.proposal_approve(proposal=a, actor=people.policy)
    services.proposal_publish(proposal=a, actor=people.editor)
    with pytest.raises(ValidationFailed, match="已有业务编号"):
        services.proposal_propose(actor=people.editor, kind="new_item", item_code="SBZX00200", content=content,
                                  reason="新增", effective_date=timezone.localdate())
