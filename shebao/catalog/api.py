"""Catalog endpoints of the JSON API: items and offices."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shebao.core import access
from shebao.core.access import api_auth

from .export import item_as_dict
from .models import Office
from .selectors import catalog_version_get, item_get, item_list, office_list

router = Router(tags=["catalog"], auth=access.UNDECLARED)


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


class LimitOut(Schema):
    text: str
    kind: Literal["immediate", "working_days", "days", "months", "none", "staged", "text"]
    count: int | None


class ModesOut(Schema):
    immediate: bool
    online: bool
    one_visit: bool


class ItemSummaryOut(Schema):
    code: str
    seq: int | None
    section: str
    category: str
    name: str
    list_name: str
    modes: ModesOut
    applicants: list[str]
    legal_limit: LimitOut
    promised_limit: LimitOut
    version: int


class MaterialOut(Schema):
    text: str
    number: str
    group: str
    originals: int | None
    copies: int | None
    retained: bool
    conditional: bool


class ItemOut(ItemSummaryOut):
    list_code: str
    list_category: str
    authority: str
    legal_basis: list[str]
    conditions: str
    materials: list[MaterialOut]
    special_procedure: str
    fee: str
    certificate: str
    flow_text: str
    flow_steps: list[str]
    agency: str
    consult: str
    complaint: str
    remarks: str


class ItemFilters(Schema):
    q: str = Field("", max_length=100, description="名称、编号、材料、条件；也可用拼音或拼音首字母")
    section: int | None = Field(None, ge=1, description="清单分类序号（1 起）")
    category: str = Field("", max_length=60, description="业务类别（包含匹配）")
    mode: list[Literal["immediate", "online", "one_visit"]] = Field(
        default_factory=list, description="办理类型，可多选：immediate 马上办、online 网上办、one_visit 一次办"
    )
    applicant: Literal["", "unit", "person"] = Field("", description="办事对象：unit 单位、person 个人")
    version: int | None = Field(None, ge=1, description="清单版本号；默认现行版本")


class OfficeOut(Schema):
    key: str
    name: str
    kind: str
    kind_label: str
    district: str
    phones: list[str]
    address: str
    aliases: list[str]





@router.get("/items", auth=api_auth(access.PUBLIC), response={200: list[ItemSummaryOut], 404: ErrorOut, 422: ErrorOut}, summary="事项列表")
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> list[dict[str, Any]]:
    version = catalog_version_get(number=filters.version)
    items = item_list(
        version=version, q=filters.q, section=filters.section, category=filters.category,
        modes=list(filters.mode), applicant=filters.applicant,
    ).prefetch_related("materials", "flow_steps")
    return [item_as_dict(item) for item in items]


@router.get("/items/{code}", auth=api_auth(access.PUBLIC), response={200: ItemOut, 404: ErrorOut, 422: ErrorOut}, summary="事项办事指南")
def get_item(request: HttpRequest, code: str, version: int | None = Query(None, ge=1)) -> dict[str, Any]:
    catalog_version = catalog_version_get(number=version)
    return item_as_dict(item_get(code=code, version=catalog_version))


@router.get("/offices", auth=api_auth(access.PUBLIC), response={200: list[OfficeOut], 422: ErrorOut}, summary="经办机构名录")
def list_offices(
    request: HttpRequest, kind: Literal["", *Office.Kind.values] = "",  # type: ignore[valid-type]
) -> list[dict[str, Any]]:
    return [
        {
            "key": o.key, "name": o.name, "kind": o.kind, "kind_label": o.get_kind_display(), "district": o.district,
            "phones": o.phones, "address": o.address, "aliases": o.aliases,
        }
        for o in office_list(kind=kind)
    ]
