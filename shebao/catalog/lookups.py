"""A database lookup for "these letters in this order, with anything between"."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Lookup, TextField


class LikeSubsequence(Lookup):
    """``field__like_subsequence="dwcb"`` → ``field LIKE '%d%w%c%b%'`` (letters only, so no escaping)."""

    lookup_name = "like_subsequence"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        letters = "".join(ch for ch in str(self.rhs) if ch.isascii() and ch.isalnum())
        pattern = "%" + "%".join(letters) + "%"
        return f"{lhs} LIKE %s", [*lhs_params, pattern]


CharField.register_lookup(LikeSubsequence)
TextField.register_lookup(LikeSubsequence)
