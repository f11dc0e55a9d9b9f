"""Files uploaded for a case (申报材料的电子件).

A file is stored under a random name below ``MEDIA_ROOT`` and is never reachable from a public
URL: ``shebao.web.views.case_file_download`` serves it after checking, through the case
selectors, that the reader may see the case. The original name is kept for display only.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from shebao.cases.models import Case, CaseMaterial


class FileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG 图片"
    PNG = "png", "PNG 图片"
    OFD = "ofd", "OFD 版式文件"


CONTENT_TYPES = {FileKind.PDF: "application/pdf", FileKind.JPEG: "image/jpeg", FileKind.PNG: "image/png",
                 FileKind.OFD: "application/ofd"}
EXTENSIONS = {FileKind.PDF: "pdf", FileKind.JPEG: "jpg", FileKind.PNG: "png", FileKind.OFD: "ofd"}


def _stored_name(instance: CaseFile, filename: str) -> str:
    """``cases/2026/11/<32 hex>.<ext>``: nothing of the applicant's file name reaches the disk."""
    now = timezone.now()
    return f"cases/{now:%Y/%m}/{uuid.uuid4().hex}.{EXTENSIONS[FileKind(instance.kind)]}"


class CaseFile(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="files")
    material = models.ForeignKey(
        CaseMaterial, null=True, blank=True, on_delete=models.SET_NULL, related_name="files",
        help_text="The checklist entry the file is for (empty: other documents).",
    )
    original_name = models.CharField(max_length=200)
    file = models.FileField(upload_to=_stored_name, max_length=200)
    kind = models.CharField(max_length=8, choices=FileKind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "uploaded_at", "id"]
        verbose_name = "办件材料文件"
        verbose_name_plural = "办件材料文件"

    def __str__(self) -> str:
        return self.original_name

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[FileKind(self.kind)]
