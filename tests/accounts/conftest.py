"""Units from the catalog directory, and named personas per role."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from shebao.accounts import services
from shebao.accounts.models import OrgUnit
from shebao.catalog.models import CatalogVersion

ACTOR = "tester"
PASSWORD = "test-pass-2017"


@pytest.fixture
def org_units(catalog: CatalogVersion) -> dict[str, OrgUnit]:
    """Every unit of the directory plus one street window (江岸), by key."""
    services.org_units_sync(actor=ACTOR)
    jiangan = OrgUnit.objects.get(key="district-01")
    services.org_unit_ensure(
        actor=ACTOR, key="street-ja-test", name="江岸区测试街道政务服务中心", level="street", code="JA91",
        parent=jiangan, district="江岸",
    )
    return {u.key: u for u in OrgUnit.objects.all()}


@pytest.fixture
def make_staff(org_units: dict[str, OrgUnit]) -> Callable[..., Any]:
    def make(username: str, unit_key: str, roles: Iterable[str], **kwargs: Any) -> Any:
        user, _ = services.staff_account_ensure(
            actor=ACTOR, username=username, password=PASSWORD, display_name=kwargs.pop("display_name", username),
            org_unit=org_units[unit_key], roles=list(roles), **kwargs,
        )
        return user

    return make


@pytest.fixture
def clerk(make_staff: Callable[..., Any]) -> Any:
    """窗口受理人员 at 江岸社保处."""
    return make_staff("clerk.test", "district-01", ["window_clerk"], display_name="测试受理员")


@pytest.fixture
def street_clerk(make_staff: Callable[..., Any]) -> Any:
    return make_staff("street.test", "street-ja-test", ["window_clerk"])


@pytest.fixture
def person(db: None) -> Any:
    """办事个人 with a synthetic 身份证号."""
    user, _ = services.applicant_account_ensure(
        actor=ACTOR, username="person.test", password=PASSWORD, role="applicant_person", kind="person",
        name="测试个人", id_number="420102198503151234",
    )
    return user
