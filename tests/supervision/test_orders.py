"""督办单: issue, reply, return, close; escalation of unanswered orders; who may do what; audit."""

from __future__ import annotations

from datetime import date

import pytest

from shebao.cases.models import Case
from shebao.core.audit import audit_verify
from shebao.core.errors import Conflict, PermissionDenied, ValidationFailed
from shebao.core.models import AuditEvent
from shebao.supervision import selectors
from shebao.supervision.models import OrderStatus
from shebao.supervision.services import (
    order_close,
    order_issue,
    order_reply,
    order_return,
    orders_escalate,
    supervision_tick,
)

from .conftest import A, Clock, World, accept, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_case(world: World, clock: Clock) -> Case:
    clock.set(2026, 8, 3)
    return accept(submit(world, A, world.offices.district_ja, world.clerk), world.clerk)


def test_order_lifecycle_with_escalation(world: World, clock: Clock, late_case: Case) -> None:
    clock.set(2026, 10, 20, 10)  # Tuesday
    order = order_issue(actor=world.supervisor, case=late_case, subject="办件督办", demand="请说明超期原因并限期办结",
                        reply_days=3)
    assert order.number == "DB202600001" and order.office == world.offices.district_ja
    assert order.reply_due == date(2026, 10, 23) and order.level == 1 and order.status == OrderStatus.ISSUED

    # Not answered by Friday 10-23: escalated on Monday, with 3 more working days; twice the same day does nothing.
    assert orders_escalate(today=date(2026, 10, 23)) == []
    assert orders_escalate(today=date(2026, 10, 26)) == ["DB202600001→重点督办"]
    assert orders_escalate(today=date(2026, 10, 26)) == []
    order.refresh_from_db()
    assert (order.level, order.reply_due) == (2, date(2026, 10, 29))
    lines = supervision_tick(today=date(2026, 10, 30))
    assert lines[1] == "supervision orders escalated: 1 DB202600001→挂牌督办"
    assert orders_escalate(today=date(2026, 11, 10)) == []  # 挂牌督办 is the top level
    order.refresh_from_db()
    assert order.level == 3

    # The office replies (late); the supervisor returns it; a second reply; closed.
    clock.set(2026, 11, 10, 9)
    order_reply(order=order, actor=world.reviewer, reply="已核查，材料待补，预计11月12日办结")
    assert order.status == OrderStatus.REPLIED and order.replied_late
    with pytest.raises(Conflict):
        order_reply(order=order, actor=world.clerk, reply="再次回复")
    order_return(order=order, actor=world.supervisor, note="请写明超期责任人及整改措施")
    assert order.status == OrderStatus.ISSUED and order.reply_due == date(2026, 11, 13)
    order_reply(order=order, actor=world.clerk, reply="已办结；责任人已约谈，建立超期提醒")
    order_close(order=order, actor=world.supervisor, note="整改到位")
    assert order.status == OrderStatus.CLOSED
    assert [e.action for e in order.events.all()] == [
        "issued", "escalated", "escalated", "replied", "returned", "replied", "closed"]
    actions = list(AuditEvent.objects.filter(object_type="supervision_order").values_list("action", flat=True))
    assert actions == ["supervision.order_" + a for a in
                       ("issued", "escalated", "escalated", "replied", "returned", "replied", "closed")]
    assert audit_verify()[1] == []


def test_who_may_issue_reply_and_see(world: World, clock: Clock, late_case: Case) -> None:
    clock.set(2026, 10, 20, 10)
    for actor in (world.clerk, world.reviewer, world.approver):
        with pytest.raises(PermissionDenied):
            order_issue(actor=actor, case=late_case, subject="x", demand="y", reply_days=3)
    with pytest.raises(ValidationFailed):
        order_issue(actor=world.supervisor, case=late_case, subject="x", demand="y", reply_days=0)
    with pytest.raises(ValidationFailed):
        order_issue(actor=world.supervisor, subject="x", demand="y", reply_days=3)
    on_street = order_issue(actor=world.supervisor, office=world.offices.street_ja, subject="窗口服务",
                            demand="请整改窗口排队问题", reply_days=5)
    on_case = order_issue(actor=world.supervisor, case=late_case, subject="办件督办", demand="限期办结", reply_days=3)
    # Another district's clerk and the supervisor cannot reply; a street window cannot reply for its district.
    for actor in (world.clerk_jh, world.supervisor, world.street_clerk):
        with pytest.raises(PermissionDenied):
            order_reply(order=on_case, actor=actor, reply="已办")
    # The district office may reply for its street window.
    order_reply(order=on_street, actor=world.clerk, reply="已增开窗口")
    assert set(selectors.visible_orders(world.street_clerk)) == {on_street}
    assert set(selectors.visible_orders(world.clerk)) == {on_street, on_case}
    assert set(selectors.visible_orders(world.clerk_jh)) == set()
    assert set(selectors.visible_orders(world.person)) == set()
    assert set(selectors.visible_orders(world.supervisor)) == {on_street, on_case}
    with pytest.raises(PermissionDenied):
        order_close(order=on_street, actor=world.clerk)
