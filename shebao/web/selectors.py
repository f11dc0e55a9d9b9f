"""Reads of the web app, always through the case selectors' visibility."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet

from shebao.accounts.models import OrgLevel, OrgUnit
from shebao.accounts.selectors import org_unit_list
from shebao.cases.models import Case, Notice
from shebao.cases.selectors import case_get, visible_cases
from shebao.catalog.flows import flow_for
from shebao.catalog.models import ApplicantKind, ServiceItem
from shebao.catalog.selectors import catalog_version_in_force, item_list
from shebao.core.errors import NotFound

from .models import CaseFile


def case_file_get(*, user: object, public_id: str) -> CaseFile:
    """A stored file, if the reader may see its case (the same rule as the case page)."""
    try:
        record = CaseFile.objects.select_related("case", "material").get(public_id=public_id)
    except (CaseFile.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound("文件不存在，或您无权查看", field="file") from None
    case_get(user=user, public_id=str(record.case.public_id))  # raises NotFound when not visible
    return record


def notice_get(*, user: object, notice_id: int) -> Notice:
    notice = Notice.objects.select_related("case__item__version", "case__org_unit").filter(pk=notice_id).first()
    if notice is None or not visible_cases(user).filter(pk=notice.case_id).exists():
        raise NotFound("文书不存在，或您无权查看", field="notice")
    return notice


def online_items(*, q: str = "", applicant: str = "") -> QuerySet[ServiceItem]:
    """网上办 items of the catalog version in force, for the applicant kind (unit/person)."""
    version = catalog_version_in_force()
    if version is None:
        return ServiceItem.objects.none()
    kind = applicant if applicant in ApplicantKind.values else ""
    return item_list(version=version, q=q, modes=["online"], applicant=kind)


def receiving_units(item: ServiceItem) -> list[OrgUnit]:
    """Offices that may receive an application for ``item``: district offices and street windows;
    street windows only where the item's flow has steps done at street level."""
    flow = flow_for(item.code)
    levels = {step.level for route in flow.routes for step in flow.steps_for(route)}
    wanted = [OrgLevel.STREET] if OrgLevel.STREET in levels else [OrgLevel.DISTRICT, OrgLevel.STREET]
    units = [u for u in org_unit_list() if u.level in wanted]
    return sorted(units, key=lambda u: (u.district or "", u.level != OrgLevel.DISTRICT, u.code))


def my_cases(*, user: object) -> QuerySet[Case]:
    """An applicant's own cases, newest first."""
    return visible_cases(user).filter(applicant_user=user).order_by("-submitted_at")  # type: ignore[misc]
