"""The effects table of docs/registry.md, generated from the item definitions:
``python -m shebao.registry.docs`` (needs the catalog loaded, for the item names and order)."""

from __future__ import annotations

import os

STATE_WORDS = {"tested": "implemented+tested", "implemented": "implemented", "none": "not yet"}


def effects_table() -> str:
    from shebao.catalog.selectors import catalog_version_in_force

    from .effects import ITEMS

    version = catalog_version_in_force()
    order: dict[str, tuple[int, str]] = {}
    if version is not None:
        order = {code: (position, name) for code, position, name in
                 version.items.values_list("code", "position", "name")}
    lines = ["| 业务编号 | 事项 | 办结时对登记簿的影响 | 前置条件（拒绝并引用依据）/ 警示 | 业务数据 | state |",
             "|---|---|---|---|---|---|"]
    for code, defn in sorted(ITEMS.items(), key=lambda kv: order.get(kv[0], (999, ""))[0]):
        data = "—" if defn.schema is None else ("受理前" if defn.data_at == "accept" else "办结前")
        cells = [f"`{code}`", order.get(code, (0, ""))[1], defn.effect, defn.precondition, data, STATE_WORDS[defn.state]]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(effects_table())
