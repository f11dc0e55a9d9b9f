"""A new edition of the official document becomes a proposal with the full diff, never a silent
publication; cases keep the guide version they started under; every published version exports."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shebao.cases import services as cases
from shebao.cases.models import CaseStatus
from shebao.cases.services import MaterialCheck
from shebao.catalog.cli import catalog_export_command, catalog_import_command
from shebao.catalog.flows import flow_for, flow_for_item
from shebao.catalog.models import CatalogVersion, ItemFlow, ServiceItem
from shebao.catalog.selectors import catalog_version_in_force
from shebao.catalog.services import BUNDLED_EDITION, catalog_import
from shebao.changes import services
from shebao.changes.models import ChangeProposal, ProposalKind, ProposalSource, ProposalStatus
from shebao.core.errors import Conflict
from shebao.workdays import deadline, parse_rule
from tests.cases import personas
from tests.cases.conftest import World

from .conftest import People

pytestmark = pytest.mark.django_db
EDITION = BUNDLED_EDITION.read_text(encoding="utf-8")


def _edition() -> str:
    """The document with SBZX00012 renamed and its promised limit shortened."""
    start = EDITION.index("业务编号\tSBZX00012")
    end = EDITION.index("业务编号\tSBZX00013")
    table = EDITION[start:end].replace("承诺时限\t3 个工作日", "承诺时限\t2个工作日").replace(
        "事项名称\t单位统筹范围内成建制转移", "事项名称\t单位统筹范围内成建制转移（修订）")
    return EDITION[:start] + table + EDITION[end:]


def test_an_imported_edition_is_a_proposal_with_the_full_diff(people: People) -> None:
    out = io.StringIO()
    path = Path(__file__).parent / "_edition.txt"
    path.write_text(_edition(), encoding="utf-8")
    try:
        assert catalog_import_command(path=str(path), dry_run=False, out=out) == 0
    finally:
        path.unlink()
    proposal = ChangeProposal.objects.get(kind=ProposalKind.EDITION)
    assert f"并生成变更提案 {proposal.reference}" in out.getvalue()
    assert proposal.source == ProposalSource.IMPORT and proposal.status == ProposalStatus.DRAFT
    assert proposal.draft_version is not None and proposal.draft_version.status == CatalogVersion.Status.DRAFT
    [diff] = proposal.diff
    assert diff["code"] == "SBZX00012" and [f["field"] for f in diff["fields"]] == ["name", "promised_limit"]
    name = diff["fields"][0]
    assert ["insert", "（修订）"] in name["after_segments"]
    # Nothing is published: version 1 stays in force.
    assert catalog_version_in_force().number == 1  # type: ignore[union-attr]
    # Importing it again changes nothing (the draft holds that content).
    assert catalog_import(text=_edition(), source_name="again.txt", actor="test").outcome == "unchanged"

    with pytest.raises(Conflict, match="尚未经政策法规处审核通过"):
        services.proposal_publish(proposal=proposal, actor=people.editor)
    services.proposal_revise(proposal=proposal, actor=people.editor, reason="依据修订后的文件更新清单")
    services.proposal_submit(proposal=proposal, actor=people.editor)
    services.proposal_approve(proposal=proposal, actor=people.policy)
    version = services.proposal_publish(proposal=proposal, actor=people.editor)
    assert version.pk == proposal.draft_version.pk and version.status == CatalogVersion.Status.PUBLISHED
    assert catalog_version_in_force() == version
    assert version.items.get(code="SBZX00012").promised_limit_text == "2个工作日"
    assert version.items.get(code="SBZX00001").contacts.filter(office__isnull=False).exists()


def test_an_edition_drafted_before_another_publication_must_be_reimported(people: People) -> None:
    result = catalog_import(text=_edition(), source_name="v.txt", actor="test")
    edition = ChangeProposal.objects.get(kind=ProposalKind.EDITION)
    assert result.proposal == edition.reference and result.version_number == 2
    change = services.proposal_propose(actor=people.editor, kind="item_change", item_code="SBZX00030",
                                       content={"remarks": "新备注"}, reason="x",
                                       effective_date=timezone.localdate(), submit=True)
    services.proposal_approve(proposal=change, actor=people.policy)
    published = services.proposal_publish(proposal=change, actor=people.editor)
    # The item change took number 2; the edition's draft moved out of its way.
    assert published.number == 2
    edition.refresh_from_db()
    assert edition.draft_version.number == 3  # type: ignore[union-attr]
    services.proposal_submit(proposal=edition, actor=people.editor)
    with pytest.raises(Conflict, match="重新导入"):
        services.proposal_approve(proposal=edition, actor=people.policy)
    services.proposal_withdraw(proposal=edition, actor=people.editor, reason="基于旧版本，重新导入")
    assert not CatalogVersion.objects.filter(status=CatalogVersion.Status.DRAFT).exists()
    again = catalog_import(text=_edition(), source_name="v.txt", actor="test")
    assert again.outcome == "draft" and again.version_number == 3
    fresh = ChangeProposal.objects.get(kind=ProposalKind.EDITION, status=ProposalStatus.DRAFT)
    # The diff is against version 2: SBZX00012 changes, and SBZX00030 goes back to the document's text.
    assert {d["code"] for d in fresh.diff} == {"SBZX00012", "SBZX00030"}


def _submit(world: World, code: str) -> Any:
    return cases.case_submit(item_code=code, channel="counter", org_unit=world.offices.district_ja,
                             submitted_by=world.clerk, applicant_type="person", applicant_name="张三",
                             applicant_id_number=personas.id_number())


def _accept(world: World, case: Any) -> None:
    checks = {row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()}
    cases.case_check_materials(case=case, actor=world.clerk, checks=checks)
    cases.case_accept(case=case, actor=world.clerk)


def test_cases_keep_the_version_they_started_under(world: World, people: People) -> None:
    # 《医疗费用结算清单》打印清单: 即时办结, one material, no registry data needed at 受理.
    code = "YBZX00025"
    accepted = _submit(world, code)
    _accept(world, accepted)
    in_progress = _submit(world, code)  # submitted, not yet accepted
    accepted.refresh_from_db()
    old_item = accepted.item
    old_materials = list(accepted.materials.values_list("material_id", "text"))
    old_due = (accepted.legal_due, accepted.promised_due)
    old_steps = list(accepted.steps.values_list("name", "rule"))
    count = len(old_materials)

    # A new version takes effect today: one more material, 1 working day, a flow with a time limit.
    materials = [{"text": m.text, "original_count": m.original_count, "copy_count": m.copy_count}
                 for m in old_item.materials.all()] + [{"text": "社会保障卡", "original_count": 1}]
    proposal = services.proposal_propose(
        actor=people.editor, kind="item_change", item_code=code,
        content={"materials": materials, "promised_limit": "1个工作日"},
        flow_definition={"pattern": "counter_4step", "steps": {"review": {"rule": "1个工作日"}}},
        reason="增加材料", effective_date=timezone.localdate(), submit=True)
    services.proposal_approve(proposal=proposal, actor=people.policy)
    v2 = services.proposal_publish(proposal=proposal, actor=people.editor)
    assert catalog_version_in_force() == v2

    # The accepted case keeps its item, materials, deadlines and steps.
    accepted.refresh_from_db()
    assert accepted.item_id == old_item.pk and accepted.item.version.number == 1
    assert list(accepted.materials.values_list("material_id", "text")) == old_materials
    assert (accepted.legal_due, accepted.promised_due) == old_due
    assert list(accepted.steps.values_list("name", "rule")) == old_steps

    # The submission in progress finishes under version 1: its checklist and its deadline.
    _accept(world, in_progress)
    in_progress.refresh_from_db()
    assert in_progress.status != CaseStatus.SUBMITTED and in_progress.number
    assert in_progress.item.version.number == 1 and in_progress.materials.count() == count
    accepted_day = timezone.localdate(in_progress.accepted_at)
    assert in_progress.promised_due == deadline(parse_rule("即时办结"), accepted_day).date
    # Its flow is version 1's (what the case engine should ask: flow_for_item(case.item)).
    assert flow_for_item(in_progress.item) == flow_for(code)

    # A new application takes the new version.
    fresh = _submit(world, code)
    assert fresh.item.version == v2 and fresh.materials.count() == count + 1
    assert fresh.item.promised_limit_text == "1个工作日"
    assert flow_for_item(fresh.item).steps[0].rule == "1个工作日"
    assert ItemFlow.objects.filter(version=v2, code=code).exists()
    assert ServiceItem.objects.filter(code=code).count() == 2


def test_every_published_version_exports(people: People, capsys: pytest.CaptureFixture[str]) -> None:
    later = timezone.localdate() + timedelta(days=10)
    proposal = services.proposal_propose(actor=people.editor, kind="item_change", item_code="SBZX00001",
                                         content={"promised_limit": "1个工作日"}, reason="x",
                                         effective_date=later, submit=True)
    services.proposal_approve(proposal=proposal, actor=people.policy)
    services.proposal_publish(proposal=proposal, actor=people.editor)
    for number, limit in ((1, "即时办结"), (2, "1个工作日")):
        assert catalog_export_command(fmt="json", out_path="-", version=number) == 0
        data = json.loads(capsys.readouterr().out)
        assert len(data) == 123 and data[0]["version"] == number
        assert data[0]["promised_limit"]["text"] == limit
        assert catalog_export_command(fmt="jsonld", out_path="-", version=number) == 0
        graph = json.loads(capsys.readouterr().out)["@graph"]
        assert graph[0]["version"] == str(number)
    # Without --version: the version in force (2 takes effect later).
    assert catalog_export_command(fmt="json", out_path="-", version=None) == 0
    assert json.loads(capsys.readouterr().out)[0]["version"] == 1
    assert catalog_export_command(fmt="json", out_path="-", version=9) == 2
