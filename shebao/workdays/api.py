"""``GET /api/v1/deadline``: the due date of a rule, with the provisional flag."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shebao.core import access
from shebao.core.access import api_auth

from .deadlines import deadline
from .rules import parse_rule

router = Router(tags=["workdays"], auth=access.UNDECLARED)


class DeadlineQuery(Schema):
    start: date = Field(..., alias="from", description="起算日（受理日等），YYYY-MM-DD；当日不计入")
    rule: str = Field(..., min_length=1, max_length=300, description="时限，如 5个工作日、60日、即时办结")


class DeadlineOut(Schema):
    rule: str
    kind: str
    count: int | None
    start: str = Field(..., alias="from")
    date: str | None
    due_moment: str | None
    provisional: bool
    provisional_years: list[int]
    provisional_note: str
    complete: bool
    awaiting: str | None
    stages: list[dict[str, Any]]


class DeadlineError(Schema):
    error: str
    message: str
    field: str | None = None


@router.get(
    "/deadline", auth=api_auth(access.PUBLIC), response={200: DeadlineOut, 422: DeadlineError}, summary="时限到期日",
    by_alias=True,
)
def get_deadline(request: HttpRequest, query: Query[DeadlineQuery]) -> dict[str, Any]:
    # WorkdaysError (a date outside the calendar's range) maps to 422 in shebao/api.py.
    return deadline(parse_rule(query.rule), query.start).as_dict()
