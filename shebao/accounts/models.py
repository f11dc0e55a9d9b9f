"""Who acts: roles (Django groups of the same key), organisational units, staff and applicants.

Roles are groups seeded by a data migration; a user's roles are the groups they belong to.
``OrgUnit`` is the organisation that handles cases (street window, district office, city
centre, bureau division). It links to the catalog's office directory where the document names
the office, but streets are ours: the document speaks of 街道政务服务中心 in general.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    APPLICANT_UNIT = "applicant_unit", "办事单位"
    APPLICANT_PERSON = "applicant_person", "办事个人"
    AGENT = "agent", "代办人"
    WINDOW_CLERK = "window_clerk", "窗口受理人员"
    REVIEWER = "reviewer", "审核人员"
    CITY_REVIEWER = "city_reviewer", "市级中心复核人员"
    FINANCE = "finance", "财务人员"
    BUREAU_APPROVER = "bureau_approver", "局业务处室审批人员"
    POLICY_OFFICE = "policy_office", "政策法规处"
    CATALOG_EDITOR = "catalog_editor", "清单编辑"
    SUPERVISOR = "supervisor", "督办人员"
    ADMIN = "admin", "系统管理员"


APPLICANT_ROLES = frozenset({Role.APPLICANT_UNIT, Role.APPLICANT_PERSON, Role.AGENT})


class OrgLevel(models.TextChoices):
    STREET = "street", "街道（社区）窗口"
    DISTRICT = "district", "区社保经办机构"
    CITY = "city", "市级经办中心"
    BUREAU = "bureau", "市人社局机关处室"


class OrgUnit(models.Model):
    key = models.SlugField("标识", max_length=60, unique=True)
    name = models.CharField("名称", max_length=120)
    level = models.CharField("层级", max_length=12, choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级机构"
    )
    district = models.CharField(
        "所属区", max_length=40, blank=True, help_text="District the unit serves (empty: city-wide)."
    )
    directory_office = models.ForeignKey(
        "catalog.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="org_units",
        verbose_name="清单中的经办机构",
        help_text="The office in the published directory, where the document names it.",
    )
    code = models.CharField("机构代码", max_length=6, unique=True, help_text="Two to six letters/digits used in 办件编号.")

    class Meta:
        ordering = ["level", "district", "name"]
        verbose_name = "经办机构（组织）"
        verbose_name_plural = "经办机构（组织）"

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name="用户"
    )
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="staff", verbose_name="所在机构")
    display_name = models.CharField("姓名", max_length=60)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"

    def __str__(self) -> str:
        return f"{self.display_name}（{self.org_unit}）"


class ApplicantKindChoice(models.TextChoices):
    UNIT = "unit", "单位"
    PERSON = "person", "个人"


class ApplicantProfile(models.Model):
    """An online-hall account: a person (身份证号) or an employer (统一社会信用代码)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applicant_profile", verbose_name="用户"
    )
    kind = models.CharField("类型", max_length=8, choices=ApplicantKindChoice.choices)
    name = models.CharField("名称", max_length=120)
    id_number = models.CharField("身份证号", max_length=18, blank=True, help_text="身份证号 (persons), 18 characters.")
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True, help_text="统一社会信用代码 (units).")
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "办事人账户"
        verbose_name_plural = "办事人账户"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Canonicalise and check the identifiers (used by the admin and model forms)."""
        from django.core.exceptions import ValidationError

        from shebao.core.errors import ValidationFailed
        from shebao.core.identifiers import validate_credit_code, validate_id_number

        errors: dict[str, str] = {}
        if self.id_number:
            try:
                self.id_number = validate_id_number(self.id_number)
            except ValidationFailed as exc:
                errors["id_number"] = exc.message
        elif self.kind == ApplicantKindChoice.PERSON:
            errors["id_number"] = "个人账户须填写身份证号。"
        if self.credit_code:
            try:
                self.credit_code = validate_credit_code(self.credit_code)
            except ValidationFailed as exc:
                errors["credit_code"] = exc.message
        if errors:
            raise ValidationError(errors)
