"""The refusal every registry rule raises: a Conflict (HTTP 409) whose message cites the rule."""

from __future__ import annotations

from shebao.core.errors import Conflict


class RegistryRefused(Conflict):
    """The registry's state or the document's conditions forbid this change.

    A Conflict (not a ValidationFailed) on purpose: the scheduler retries automatic steps that
    raise Conflict instead of failing the whole run, and the state may change (a bill is paid,
    a card is reported lost) so that a retry succeeds. ``extra["rule"]`` names the rule;
    ``extra["existing"]`` points to the record that blocks a duplicate."""

    code = "registry_refused"

    def __init__(self, message: str, *, rule: str, field: str | None = None,
                 extra: dict[str, object] | None = None) -> None:
        super().__init__(f"{message}（依据：{rule}）", field=field, extra={"rule": rule, **(extra or {})})
        self.rule = rule
