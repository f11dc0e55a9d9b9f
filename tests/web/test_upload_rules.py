"""Uploads (issue #9 item 7), one test per rule: size limit, type by content (PDF, OFD, JPEG, PNG),
random storage names, no path traversal, how many files per request, all-or-nothing, audited,
served only to readers of the case with Content-Disposition and nosniff."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse

from shebao.core.models import AuditEvent
from shebao.web.models import CaseFile

from .conftest import JPEG, PDF, PNG, World, online_case, upload

STORED = re.compile(r"^cases/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|ofd|jpg|png)$")


def _ofd(*, with_root: bool = True) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as package:
        if with_root:
            package.writestr("OFD.xml", '<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
        package.writestr("Doc_0/Document.xml", "<Document/>")
    return data.getvalue()


def _post(client: Client, case: Any, *files: Any, material: str = "") -> Any:
    return client.post(reverse("web:case_upload", kwargs={"case_id": case.public_id}),
                       {"material": material, "files": list(files)})


def _signed_in(world: World) -> tuple[Client, Any]:
    case = online_case(world)
    client = Client()
    client.force_login(world.person)
    return client, case


def test_size_limit_is_a_setting(client: Client, world: World, settings: Any) -> None:
    settings.SHEBAO_UPLOAD_MAX_BYTES = 1024
    client, case = _signed_in(world)
    big = _post(client, case, upload("big.png", PNG + b"\x00" * (1025 - len(PNG))))
    assert big.status_code == 422 and "“big.png”大小为 1.1 KB，超过 1 KB 的上限" in big.content.decode()
    assert not CaseFile.objects.exists()
    assert _post(client, case, upload("fits.png", PNG + b"\x00" * (1024 - len(PNG)))).status_code == 302
    assert _post(client, case, upload("empty.pdf", b"")).status_code == 422


def test_type_is_decided_by_content_not_by_name_or_declared_type(world: World) -> None:
    client, case = _signed_in(world)
    disguised = upload("申请表.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    response = _post(client, case, disguised)
    assert response.status_code == 422 and "按文件内容判断" in response.content.decode()
    assert _post(client, case, upload("a.gif", b"GIF89a" + b"\x00" * 20, "image/gif")).status_code == 422
    assert _post(client, case, upload("a.zip", _ofd(with_root=False), "application/zip")).status_code == 422
    assert not CaseFile.objects.exists()

    assert _post(client, case, upload("scan.pdf", PNG, "application/pdf")).status_code == 302  # a PNG named .pdf
    assert _post(client, case, upload("photo.jpeg", JPEG)).status_code == 302
    assert _post(client, case, upload("form.pdf", PDF)).status_code == 302
    assert _post(client, case, upload("电子证照.ofd", _ofd())).status_code == 302
    kinds = {f.original_name: (f.kind, f.content_type, Path(f.file.name).suffix) for f in CaseFile.objects.all()}
    assert kinds == {"scan.pdf": ("png", "image/png", ".png"), "photo.jpeg": ("jpeg", "image/jpeg", ".jpg"),
                     "form.pdf": ("pdf", "application/pdf", ".pdf"),
                     "电子证照.ofd": ("ofd", "application/ofd", ".ofd")}


def test_stored_under_random_names_inside_the_media_folder(world: World, media: Path) -> None:
    client, case = _signed_in(world)
    _post(client, case, upload("身份证.png", PNG))
    _post(client, case, upload("身份证.png", PNG))
    names = [f.file.name for f in CaseFile.objects.all()]
    assert len(set(names)) == 2 and all(STORED.match(n) for n in names), names
    on_disk = [p for p in media.rglob("*") if p.is_file()]
    assert len(on_disk) == 2 and not any("身份证" in str(p) for p in on_disk)


def test_no_path_traversal_through_the_file_name(world: World, media: Path, tmp_path: Path) -> None:
    client, case = _signed_in(world)
    hostile = ["../../../../etc/cron.d/evil.png", "..\\..\\windows\\win.png", "/absolute/root.png",
               "gpj.\u202eexe.png", ".hidden.png"]
    for name in hostile:
        assert _post(client, case, upload(name, PNG)).status_code == 302, name
    shown = sorted(CaseFile.objects.values_list("original_name", flat=True))
    assert shown == sorted(["evil.png", "win.png", "root.png", "gpj.exe.png", "hidden.png"])
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(stored) == len(hostile) and all(p.is_relative_to(media) for p in stored)


def test_files_per_request_are_limited(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    client, case = _signed_in(world)
    response = _post(client, case, *[upload(f"p{i}.png", PNG) for i in range(4)])
    assert response.status_code == 400 and not CaseFile.objects.exists()


def test_one_bad_file_stores_none_and_a_good_batch_is_audited(world: World, media: Path) -> None:
    client, case = _signed_in(world)
    assert _post(client, case, upload("ok.png", PNG), upload("bad.exe", b"MZ\x90\x00")).status_code == 422
    assert not CaseFile.objects.exists() and not any(p.is_file() for p in media.rglob("*"))
    assert _post(client, case, upload("ok.png", PNG), upload("ok.pdf", PDF)).status_code == 302
    event = AuditEvent.objects.get(action="case.files_uploaded", object_id=str(case.public_id))
    assert sorted(f["name"] for f in event.payload["files"]) == ["ok.pdf", "ok.png"]
    assert all(len(f["sha256"]) == 64 for f in event.payload["files"])


def test_served_only_to_readers_with_disposition_and_nosniff(world: World) -> None:
    client, case = _signed_in(world)
    _post(client, case, upload("材料 1.pdf", PDF))
    record = CaseFile.objects.get()
    url = reverse("web:case_file", kwargs={"file_id": record.public_id})
    inline = client.get(url)
    assert inline.status_code == 200 and inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline;") and "filename*=utf-8''" in inline["Content-Disposition"]
    assert inline["X-Content-Type-Options"] == "nosniff" and inline["Cache-Control"] == "private, no-store"
    assert inline["X-Frame-Options"] == "DENY"
    # The HTML pages' CSP is not sent with a document (Chrome would block its own PDF viewer) …
    assert "Content-Security-Policy" not in inline
    attachment = client.get(url, {"download": "1"})
    assert attachment["Content-Disposition"].startswith("attachment;")

    for outsider in (world.unit, world.clerk_jh, world.finance):
        other = Client()
        other.force_login(outsider)
        refused = other.get(url)
        assert refused.status_code == 404, outsider.username
        assert "Content-Security-Policy" in refused  # … but the HTML refusal page has it
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    assert Client().get(f"/no-public-media/{record.file.name}").status_code == 404
