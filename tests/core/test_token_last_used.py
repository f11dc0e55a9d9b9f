"""API reads do not write: a token's last use is recorded at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.utils import timezone

from shebao.core.models import ApiToken
from shebao.core.tokens import LAST_USED_PRECISION, TokenAuth, token_create

pytestmark = pytest.mark.django_db


def test_last_used_is_written_at_most_once_a_minute(django_assert_max_num_queries: object) -> None:
    user = User.objects.create_user("api.reader")
    key = token_create(user=user, name="t", actor="test")
    auth = TokenAuth()
    assert auth.authenticate(RequestFactory().get("/"), key) == user
    first = ApiToken.objects.get(user=user).last_used_at
    assert first is not None
    with django_assert_max_num_queries(1):  # type: ignore[operator]  # the look-up, no UPDATE
        assert auth.authenticate(RequestFactory().get("/"), key) == user
    assert ApiToken.objects.get(user=user).last_used_at == first
    ApiToken.objects.filter(user=user).update(last_used_at=timezone.now() - LAST_USED_PRECISION - timedelta(seconds=1))
    auth.authenticate(RequestFactory().get("/"), key)
    assert ApiToken.objects.get(user=user).last_used_at > first - timedelta(seconds=1)
    assert auth.authenticate(RequestFactory().get("/"), "sb_wrong") is None
