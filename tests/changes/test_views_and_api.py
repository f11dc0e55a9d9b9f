"""Staff screens, public pages (changelog, feed, version diff, exports) and the JSON API."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shebao.changes import services
from shebao.changes.models import ChangeProposal, ProposalStatus
from shebao.changes.permissions import can_publish

from .conftest import People

pytestmark = pytest.mark.django_db
CODE = "SBZX00003"


def _published(people: People, *, days: int = 0, **content: Any) -> ChangeProposal:
    proposal = services.proposal_propose(
        actor=people.editor, kind="item_change", item_code=CODE, content=content or {"remarks": "新的备注"},
        reason="补充备注", effective_date=timezone.localdate() + timedelta(days=days), submit=True)
    services.proposal_approve(proposal=proposal, actor=people.policy)
    services.proposal_publish(proposal=proposal, actor=people.editor)
    return proposal


def test_staff_screens_need_a_change_control_role(client: Client, people: People) -> None:
    assert client.get("/changes/").status_code == 302  # to the login page
    client.force_login(people.clerk)
    assert client.get("/changes/").status_code == 403
    client.force_login(people.policy)
    assert client.get("/changes/").status_code == 200
    assert client.get("/changes/new/").status_code == 403  # reviewers do not draft
    assert client.get("/changes/999999/").status_code == 404


def test_draft_through_the_form_and_see_the_diff(client: Client, people: People) -> None:
    client.force_login(people.editor)
    page = client.get(f"/changes/new/?kind=item_change&code={CODE}")
    assert page.status_code == 200
    form = page.context["form"]
    formset = page.context["formset"]
    data: dict[str, Any] = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data["effective_date"] = (timezone.localdate() + timedelta(days=3)).isoformat()
    data["reason"] = "时限调整"
    data["promised_limit"] = "1个工作日"
    data["flow_definition"] = page.context["form"].initial["flow_definition"]
    data.update({"m-TOTAL_FORMS": str(len(formset.forms)), "m-INITIAL_FORMS": str(len(formset.initial)),
                 "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "80"})
    for index, row in enumerate(formset.initial):
        for key, value in row.items():
            if value not in (None, False, ""):
                data[f"m-{index}-{key}"] = value
    response = client.post(f"/changes/new/?kind=item_change&code={CODE}", data)
    assert response.status_code == 302, response.context["form"].errors
    proposal = ChangeProposal.objects.get()
    assert [f["field"] for f in proposal.diff[0]["fields"]] == ["promised_limit"]
    assert proposal.flow_definition is None  # the definition was left as it was
    detail = client.get(response["Location"])
    assert "提交政策法规处审核" in detail.content.decode()
    assert "1个工作日" in detail.content.decode()

    # A bad field comes back on the form, in Chinese, nothing saved.
    data["name"] = ""
    bad = client.post(f"/changes/new/?kind=item_change&code={CODE}", data)
    assert bad.status_code == 400 and ChangeProposal.objects.count() == 1
    assert bad.context["form"].errors["name"]

    # Actions go through POST; a stale page is told to refresh.
    url = f"/changes/{proposal.pk}/submit/"
    assert client.post(url, {"lock": str(proposal.lock_version + 5)}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT
    client.post(url, {"lock": str(proposal.lock_version)})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED
    client.force_login(people.policy)
    client.post(f"/changes/{proposal.pk}/return/", {"comment": ""})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED  # a return needs a comment
    client.post(f"/changes/{proposal.pk}/approve/", {"comment": "同意"})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    # Reviewers do not publish.
    client.post(f"/changes/{proposal.pk}/publish/")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED


def test_publishing_units(people: People) -> None:
    assert can_publish(people.editor) and can_publish(people.info_admin)
    assert not can_publish(people.district_editor) and not can_publish(people.policy)


def test_public_changelog_feed_version_page_and_exports(client: Client, people: People) -> None:
    proposal = _published(people, days=5, promised_limit="1个工作日")
    when = timezone.localdate() + timedelta(days=5)
    page = client.get("/changelog/").content.decode()
    assert f"将于{when.year}年{when.month}月{when.day}日生效" in page
    assert proposal.title in page and "补充备注" in page and "现行版本" in page
    assert client.get(f"/changelog/?item={CODE}").context["entries"][0].version.number == 2
    assert [e.version.number for e in client.get("/changelog/?item=SBZX00004").context["entries"]] == [1]

    feed = client.get("/changelog/feed.atom")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "<feed" in body and "第 2 版" in body and "/versions/2/" in body

    version = client.get("/versions/2/")
    assert version.status_code == 200
    html = version.content.decode()
    assert 'id="diff-SBZX00003-promised_limit"' in html and "<ins>" in html
    assert client.get("/versions/2/?from=x").status_code == 400
    assert client.get("/versions/9/").status_code == 404

    exported = client.get("/versions/2/export.json")
    data = json.loads(exported.content)
    assert exported["Content-Type"].startswith("application/json")
    assert len(data) == 123 and next(i for i in data if i["code"] == CODE)["promised_limit"]["text"] == "1个工作日"
    jsonld = json.loads(client.get("/versions/1/export.jsonld").content)
    assert jsonld["@context"] == "https://schema.org" and len(jsonld["@graph"]) == 123

    # The guide in force says a change is coming; the next version's guide can be read already.
    guide = client.get(f"/items/{CODE}/").content.decode()
    assert "第 2 版" in guide and "承诺时限" in guide and "查看新版指南" in guide
    assert client.get(f"/versions/2/items/{CODE}/").status_code == 200
    assert client.get(f"/versions/1/items/{CODE}/").status_code == 302  # version 1 is in force


def test_api(client: Client, people: People) -> None:
    anonymous = client.get("/api/v1/changes/proposals")
    assert anonymous.status_code == 401
    client.force_login(people.editor)
    created = client.post("/api/v1/changes/proposals", data={
        "kind": "item_change", "item_code": CODE, "content": {"remarks": "接口备注"}, "reason": "接口",
        "effective_date": timezone.localdate().isoformat(), "submit": True}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "submitted" and body["diff"][0]["fields"][0]["field"] == "remarks"
    pid = body["id"]
    refused = client.post(f"/api/v1/changes/proposals/{pid}/publish", data={}, content_type="application/json")
    assert refused.status_code == 409 and "尚未经政策法规处审核通过" in refused.json()["message"]
    bad = client.post("/api/v1/changes/proposals", data={
        "kind": "item_change", "item_code": "NOPE00001", "reason": "x",
        "effective_date": timezone.localdate().isoformat()}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "item_code"

    client.force_login(people.policy)
    approved = client.post(f"/api/v1/changes/proposals/{pid}/approve", data={"comment": "同意"},
                           content_type="application/json")
    assert approved.json()["status"] == "approved"
    client.force_login(people.editor)
    published = client.post(f"/api/v1/changes/proposals/{pid}/publish", data={}, content_type="application/json")
    assert published.json()["published_version"] == 2
    assert [e["action"] for e in published.json()["events"]] == ["proposed", "submitted", "approved", "published"]

    client.logout()
    versions = client.get("/api/v1/versions").json()
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["changes"]["changed"] == 1
    diff = client.get("/api/v1/versions/2/diff").json()
    assert diff[0]["code"] == CODE
    assert client.get("/api/v1/versions/2/diff?from=2").json() == []
    export = client.get("/api/v1/versions/2/export?format=json").json()
    assert next(i for i in export if i["code"] == CODE)["remarks"] == "接口备注"
    assert client.get("/api/v1/versions/7/export").status_code == 404
