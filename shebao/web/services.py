"""Writes of the web app: uploaded material files. Keyword-only, one transaction, audited.

Everything about a case's state is done by ``shebao.cases.services``; this module only stores
the electronic copies an applicant (or the window) uploads for the case's checklist.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from shebao.accounts.selectors import user_display_name
from shebao.cases.models import Case, CaseEvent, CaseStatus
from shebao.cases.services import available_actions
from shebao.core.audit import audit_record
from shebao.core.errors import PermissionDenied, ValidationFailed

from .models import CaseFile, FileKind

# Leading bytes of the only kinds accepted. The declared content type and the file name's
# extension are not trusted: browsers and users get them wrong, attackers choose them.
MAGIC: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", FileKind.PDF),
    (b"\xff\xd8\xff", FileKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", FileKind.PNG),
)
UPLOAD_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.INCOMPLETE)
MAX_NAME = 200
ZIP_MAGIC = b"PK\x03\x04"


def file_kind(head: bytes) -> FileKind | None:
    """The kind of a file from its first bytes, or None if it is not PDF, JPEG or PNG."""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return None


def _is_ofd(upload: UploadedFile) -> bool:
    """OFD (GB/T 33190, China's electronic-document format) is a ZIP package whose root holds
    ``OFD.xml``. Only the ZIP directory is read, nothing is decompressed (no zip-bomb risk)."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            return "OFD.xml" in package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)


def clean_name(raw: str | None) -> str:
    """The name shown for a file: no folders (``../``, ``C:\\``), no control or bidi-override
    characters (a right-to-left override can make ``gpj.exe`` read as ``exe.jpg``)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf"}).strip().lstrip(".")
    return name[:MAX_NAME] or "未命名文件"


def max_upload_bytes() -> int:
    return int(settings.SHEBAO_UPLOAD_MAX_BYTES)


def _size(size: int) -> str:
    """1536 → "1.5 KB", 10485760 → "10 MB"; rounded up, so a file just over a limit never reads
    as equal to it."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{math.ceil(size * 10 / scale) / 10:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} 字节"


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the size and type checks, with the material it is for."""

    upload: UploadedFile
    kind: FileKind
    material_id: int | None
    name: str


def upload_check(upload: UploadedFile, *, material_id: int | None = None) -> CheckedUpload:
    """Size and content checks, before anything is stored. Raises ValidationFailed (field="file")."""
    name = clean_name(upload.name)
    size = upload.size or 0
    if size == 0:
        raise ValidationFailed(f"“{name}”是空文件", field="file")
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationFailed(
            f"“{name}”大小为 {_size(size)}，超过 {_size(limit)} 的上限，请压缩后再上传",
            field="file",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = file_kind(head)
    if kind is None and head.startswith(ZIP_MAGIC) and _is_ofd(upload):
        kind = FileKind.OFD
    if kind is None:
        raise ValidationFailed(f"“{name}”不是 PDF、OFD、JPG 或 PNG 文件（按文件内容判断，与扩展名无关）", field="file")
    return CheckedUpload(upload=upload, kind=kind, material_id=material_id, name=name)


def _may_upload(case: Case, actor: Any) -> bool:
    if case.status not in UPLOAD_STATUSES:
        return False
    if case.applicant_user_id is not None and case.applicant_user_id == getattr(actor, "pk", None):
        return True
    actions = available_actions(case=case, user=actor)
    return "check_materials" in actions or "supplement" in actions


def may_upload(*, case: Case, actor: Any) -> bool:
    """Whether ``actor`` may add files to ``case`` now (the applicant, or the window, before 受理)."""
    return _may_upload(case, actor)


def case_files_add(*, case: Case, actor: Any, uploads: Sequence[CheckedUpload]) -> list[CaseFile]:
    """Store checked uploads for the case. All or nothing: on any error no file stays behind."""
    if not uploads:
        raise ValidationFailed("请选择要上传的文件", field="file")
    if case.status not in UPLOAD_STATUSES:
        raise PermissionDenied(f"办件当前状态为“{case.get_status_display()}”，不能再上传材料")
    if not _may_upload(case, actor):
        raise PermissionDenied("您不能为该办件上传材料")
    rows = {row.material_id: row for row in case.materials.all()}
    stored: list[CaseFile] = []
    try:
        with transaction.atomic():
            now = timezone.now()
            for item in uploads:
                row = None
                if item.material_id is not None:
                    row = rows.get(item.material_id)
                    if row is None:
                        raise ValidationFailed("所选材料不在本事项的材料清单中", field="material")
                digest = hashlib.sha256()
                for chunk in item.upload.chunks():
                    digest.update(chunk)
                item.upload.seek(0)
                record = CaseFile(
                    case=case, material=row, original_name=item.name, kind=item.kind, size=item.upload.size or 0,
                    sha256=digest.hexdigest(), uploaded_by=actor if getattr(actor, "pk", None) else None,
                    uploaded_at=now,
                )
                record.file.save(item.name, item.upload, save=False)
                stored.append(record)
                record.save()
            actor_name = str(getattr(actor, "username", "")) or "anonymous"
            files = [
                {"id": str(f.public_id), "name": f.original_name, "material": f.material.position if f.material else None,
                 "kind": f.kind, "size": f.size, "sha256": f.sha256}
                for f in stored
            ]
            CaseEvent.objects.create(case=case, at=now, actor=actor_name, action="files_uploaded",
                                     status_before=case.status, status_after=case.status,
                                     detail={"files": files, "by": user_display_name(actor)})
            audit_record(actor=actor_name, action="case.files_uploaded", object_type="case",
                         object_id=str(case.public_id), payload={"files": files})
    except BaseException:
        for record in stored:
            if record.file.name:
                record.file.storage.delete(record.file.name)
        raise
    return stored
