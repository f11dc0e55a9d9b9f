"""Personas (tests/cases), uploads in a temporary folder, and small helpers to make cases."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shebao.cases import services
from shebao.cases.models import Case
from shebao.cases.services import MaterialCheck
from tests.cases import personas, registry_data
from tests.cases.conftest import World, world  # noqa: F401  (re-exported fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to a temporary folder, never to var/."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def counter_case(w: World, code: str = "SBZX00016", *, data: bool = True, **extra: Any) -> Case:
    """A window case; with ``data`` its applicant is on file and the item's registry data is set
    (tests/cases/registry_data.py), as 受理 needs."""
    fields: dict[str, Any] = {"applicant_type": "unit", "applicant_name": "武汉某某科技有限公司",
                              "applicant_credit_code": personas.credit_code()}
    fields.update(extra)
    case = services.case_submit(item_code=code, channel="counter", org_unit=w.offices.district_ja,
                                submitted_by=w.clerk, **fields)
    if data:
        registry_data.prepare(case, w.clerk)
    return case


def online_case(w: World, code: str = "SBZX00029", *, data: bool = True) -> Case:
    """An online application; with ``data`` the applicant has entered the item's registry data."""
    case = services.case_submit(item_code=code, channel="online", org_unit=w.offices.street_ja,
                                submitted_by=w.person, applicant_type="person", applicant_name="张三",
                                applicant_id_number=personas.id_number())
    if data:
        registry_data.prepare(case, w.person)
    return case


def receive_all(w: World, case: Case, actor: Any = None) -> None:
    checks = {row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()}
    services.case_check_materials(case=case, actor=actor or w.clerk, checks=checks)


def buffer(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)
