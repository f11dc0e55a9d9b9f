"""The applicant portal (apply online, upload with size and type limits, follow, rate), the
public progress lookup, uploaded files and notices served only to readers of the case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from shebao.cases import services
from shebao.cases.models import Case, CaseStatus, Rating, StepStatus
from shebao.web.models import CaseFile
from tests.cases import personas
from tests.cases.conftest import World

from .conftest import JPEG, PDF, PNG, online_case, receive_all, upload

pytestmark = pytest.mark.django_db


def _apply_url(code: str = "SBZX00029") -> str:
    return reverse("web:my_apply_item", kwargs={"code": code})


def _complete(world: World, case: Case) -> None:
    receive_all(world, case, actor=world.street_clerk)
    case.refresh_from_db()
    services.case_accept(case=case, actor=world.street_clerk)
    for _ in range(5):
        case.refresh_from_db()
        step = case.steps.filter(status=StepStatus.ACTIVE).first()
        if step is None:
            break
        services.case_step_complete(case=case, actor=world.street_clerk, outcome="pass", note="已办理")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_apply_online_with_files(client: Client, world: World, media: Path) -> None:
    client.force_login(world.person)
    listing = client.get(reverse("web:my_apply"), {"q": "灵活就业"}).content.decode()
    assert "灵活就业人员社会保险新参保或续保" in listing and _apply_url() in listing

    page = client.get(_apply_url())
    html = page.content.decode()
    assert page.status_code == 200 and "江岸某街道政务服务中心" in html and "4201**********" in html
    key = page.context["form"].initial["idempotency_key"]
    first, second = page.context["materials"][:2]
    data: dict[str, Any] = {
        "org_unit": world.offices.street_ja.key, "applicant_phone": "13800000000", "idempotency_key": key,
        f"file-{first.pk}": upload("申请表.pdf", PDF), f"file-{second.pk}": [upload("照片.jpg", JPEG), upload("身份证.png", PNG)],
    }
    response = client.post(_apply_url(), data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:my_case", kwargs={"case_id": case.public_id})
    assert case.channel == "online" and case.applicant_user == world.person and case.applicant_name == "张三"
    assert case.applicant_id_number == personas.id_number() and case.applicant_phone == "13800000000"
    files = list(CaseFile.objects.filter(case=case).order_by("id"))
    assert [(f.original_name, f.kind, f.material.position if f.material else None) for f in files] == [
        ("申请表.pdf", "pdf", 1), ("照片.jpg", "jpeg", 2), ("身份证.png", "png", 2)]
    stored = [Path(f.file.path) for f in files]
    assert all(p.is_file() and p.is_relative_to(media) for p in stored)
    assert all("申请表" not in p.name and len(p.stem) == 32 for p in stored), "stored under random names"

    # A double submit of the same form does not make a second case.
    data[f"file-{first.pk}"] = upload("申请表.pdf", PDF)
    data[f"file-{second.pk}"] = upload("照片.jpg", JPEG)
    again = client.post(_apply_url(), data)
    assert again.status_code == 302 and Case.objects.count() == 1 and CaseFile.objects.count() == 3

    html = client.get(response["Location"]).content.decode()
    assert "待受理" in html and "下一步：" in html and "窗口工作人员将核对您的材料" in html and "待核对" in html


def test_apply_refuses_bad_files_and_bad_fields_and_changes_nothing(client: Client, world: World, settings: Any,
                                                                      media: Path) -> None:
    client.force_login(world.person)
    page = client.get(_apply_url())
    first = page.context["materials"][0]
    base = {"org_unit": world.offices.street_ja.key, "idempotency_key": "k1"}

    response = client.post(_apply_url(), {**base, f"file-{first.pk}": upload("申请表.pdf", b"MZ\x90\x00 not a pdf")})
    html = response.content.decode()
    assert response.status_code == 422 and "未能办理：上传文件" in html and "不是 PDF、OFD、JPG 或 PNG 文件" in html

    settings.SHEBAO_UPLOAD_MAX_BYTES = 50
    response = client.post(_apply_url(), {**base, f"file-{first.pk}": upload("大.png", PNG + b"\x00" * 100)})
    assert response.status_code == 422 and "超过" in response.content.decode()

    response = client.post(_apply_url(), {**base, "org_unit": "district-nowhere"})
    assert response.status_code == 422 and "未能办理：受理机构" in response.content.decode()
    assert Case.objects.count() == 0 and CaseFile.objects.count() == 0
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))

    assert client.get(_apply_url("SBZX00001")).status_code == 404  # not a 网上办 item
    assert client.get(_apply_url("NOPE0001")).status_code == 404


def test_uploads_after_submission_and_who_may_download(client: Client, world: World) -> None:
    case = online_case(world)
    url = reverse("web:case_upload", kwargs={"case_id": case.public_id})
    row = case.materials.get(position=1)
    client.force_login(world.person)
    response = client.post(url, {"material": str(row.material_id), "files": [upload("补充.png", PNG)]})
    assert response.status_code == 302
    record = CaseFile.objects.get()
    assert record.material == row and record.uploaded_by == world.person
    assert case.events.filter(action="files_uploaded").exists()

    bad = client.post(url, {"material": str(row.material_id), "files": [upload("x.png", b"GIF89a....")]})
    assert bad.status_code == 422 and CaseFile.objects.count() == 1
    assert client.post(url, {"material": "abc", "files": [upload("x.png", PNG)]}).status_code == 422

    file_url = reverse("web:case_file", kwargs={"file_id": record.public_id})
    response = client.get(file_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
    assert "private" in response["Cache-Control"]

    client.force_login(world.street_clerk)  # the office that holds the case
    assert client.get(file_url).status_code == 200
    client.force_login(world.unit)  # another applicant
    assert client.get(file_url).status_code == 404
    assert client.post(url, {"material": "", "files": [upload("x.png", PNG)]}).status_code == 404
    client.force_login(world.clerk_jh)  # another district
    assert client.get(file_url).status_code == 404
    client.logout()
    assert client.get(file_url).status_code == 302
    assert not str(record.file.name).startswith("/") and settings_media_not_public(client, record)


def settings_media_not_public(client: Client, record: CaseFile) -> bool:
    """No URL under MEDIA_URL serves the stored file."""
    return client.get("/no-public-media/" + str(record.file.name)).status_code == 404


def test_uploads_close_once_accepted(client: Client, world: World) -> None:
    case = online_case(world)
    receive_all(world, case, actor=world.street_clerk)
    case.refresh_from_db()
    services.case_accept(case=case, actor=world.street_clerk)
    client.force_login(world.person)
    response = client.post(reverse("web:case_upload", kwargs={"case_id": case.public_id}),
                           {"material": "", "files": [upload("x.png", PNG)]})
    assert response.status_code == 403 and "不能再上传材料" in response.content.decode()


def test_incomplete_online_case_supplemented_by_the_applicant(client: Client, world: World) -> None:
    case = online_case(world)
    services.case_notify_incomplete(case=case, actor=world.street_clerk)
    client.force_login(world.person)
    page = client.get(reverse("web:my_case", kwargs={"case_id": case.public_id})).content.decode()
    assert "需补正" in page and "提交补正材料</button>" in page and "一次性告知书" in page
    case.refresh_from_db()
    response = client.post(reverse("web:my_act", kwargs={"case_id": case.public_id}),
                           {"action": "supplement", "version": str(case.lock_version)})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_follow_progress_and_rate(client: Client, world: World) -> None:
    case = online_case(world)
    _complete(world, case)
    client.force_login(world.person)
    home = client.get(reverse("web:my_home")).content.decode()
    assert case.item.name in home and "评价" in home
    page = client.get(reverse("web:my_case", kwargs={"case_id": case.public_id})).content.decode()
    assert "评价本次服务" in page and "已办结" in page and "办结通知书" in page and case.number in page

    act = reverse("web:my_act", kwargs={"case_id": case.public_id})
    case.refresh_from_db()
    response = client.post(act, {"action": "rate", "score": "1", "version": str(case.lock_version)})
    assert response.status_code == 422 and "差评请写明原因" in response.content.decode()
    response = client.post(act, {"action": "rate", "score": "9", "version": str(case.lock_version)})
    assert response.status_code == 422 and "评分" in response.content.decode()
    assert not Rating.objects.exists()
    response = client.post(act, {"action": "rate", "score": "5", "comment": "很快", "version": str(case.lock_version)})
    assert response.status_code == 302 and Rating.objects.get(case=case).score == 5
    page = client.get(reverse("web:my_case", kwargs={"case_id": case.public_id})).content.decode()
    assert "我的评价" in page and "评价本次服务" not in page

    client.force_login(world.unit)  # someone else's case
    assert client.get(reverse("web:my_case", kwargs={"case_id": case.public_id})).status_code == 404


def test_public_tracking_by_number_and_id_tail(world: World) -> None:
    case = online_case(world)
    _complete(world, case)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("web:track"))
    assert page.status_code == 200 and "办件进度查询" in page.content.decode()
    token = page.cookies["csrftoken"].value
    tail = personas.id_number()[-6:]
    response = client.post(reverse("web:track"), {"number": case.number, "id_tail": tail, "csrfmiddlewaretoken": token})
    html = response.content.decode()
    assert response.status_code == 200 and "已办结" in html and "张*" in html and personas.id_number() not in html
    wrong = client.post(reverse("web:track"), {"number": case.number, "id_tail": "000000", "csrfmiddlewaretoken": token})
    assert wrong.status_code == 404 and "未找到该办件" in wrong.content.decode()
    short = client.post(reverse("web:track"), {"number": case.number, "id_tail": "12", "csrfmiddlewaretoken": token})
    assert short.status_code == 422 and "证件号码后六位" in short.content.decode()
    assert client.post(reverse("web:track"), {"number": case.number, "id_tail": tail}).status_code == 403  # CSRF


def test_notices_open_as_print_page_and_pdf_for_the_applicant(client: Client, world: World) -> None:
    case = online_case(world)
    notice = services.case_notify_incomplete(case=case, actor=world.street_clerk)
    client.force_login(world.person)
    html = client.get(reverse("web:notice_print", kwargs={"notice_id": notice.pk}), {"print": "1"}).content.decode()
    assert "申报材料补正一次性告知书" in html and notice.number in html and 'data-auto-print="1"' in html
    assert "行政许可法》第三十二条" in html
    response = client.get(reverse("web:notice_pdf", kwargs={"notice_id": notice.pk}), {"download": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "attachment" in response["Content-Disposition"]
    client.force_login(world.unit)
    assert client.get(reverse("web:notice_pdf", kwargs={"notice_id": notice.pk})).status_code == 404
