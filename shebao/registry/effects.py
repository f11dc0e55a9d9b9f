"""What completing a case changes in the registries.

``apply_case_effect(case=…)`` is called by the case engine inside the transaction that closes a
case with 准予; ``check_case_preconditions(case=…)`` before 受理. Each item code maps to one
effect function. Items with no registry effect yet are listed in ``PENDING_EFFECTS`` (see
docs/registry.md for the table of every item and its effect).
"""

from __future__ import annotations

from collections.abc import Callable

from shebao.cases.models import Case

Effect = Callable[[Case], None]
EFFECTS: dict[str, Effect] = {}


def check_case_preconditions(*, case: Case) -> None:
    """Raise a ValidationFailed citing the rule when the registry state forbids this case."""


def apply_case_effect(*, case: Case) -> None:
    effect = EFFECTS.get(case.item.code)
    if effect is not None:
        effect(case)
