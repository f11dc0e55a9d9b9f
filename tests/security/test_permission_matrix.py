"""The permission matrix: every API operation and every page of the URL configuration, against an
anonymous visitor, a user of each of the twelve roles and an employer's online-hall account.

Each page and operation declares its policy in code (``shebao.core.access``: ``@page(POLICY)``,
``auth=api_auth(POLICY)``); the same object enforces it, so the declaration is what runs. A target
without a declared policy fails ``test_every_page_and_operation_declares_a_policy``. The matrix
then checks that the gate lets exactly the declared roles through:

* denied, signed in: 403 from the gate (API ``{"error": "role_forbidden"}``; pages carry
  ``denied_by_policy`` = the policy's key; the admin site sends to its own login);
* denied, anonymous: 401 (API) or a redirect to the login page;
* allowed: neither of those. What happens next (200, 404 for a sample id, 422 for an empty
  body, an object-level 403) is the business of the view; tests/cases/test_permission_matrix.py
  checks the object-level rules of the case endpoints.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http.response import HttpResponseBase
from django.test import Client

from shebao.core import access
from shebao.core.tokens import token_create

from .figures import add
from .personas import Persona, all_personas
from .urlmap import Target, admin_targets, all_targets, api_targets, page_targets


def test_every_page_and_operation_declares_a_policy() -> None:
    targets = all_targets()
    undeclared = sorted(t.label for t in targets if t.policy is None)
    assert undeclared == [], f"pages/operations without a declared policy (shebao.core.access): {undeclared}"
    # The walk reaches every part of the site: the API, the staff and applicant pages, the admin.
    assert len(api_targets()) >= 50 and len(page_targets()) >= 50 and len(admin_targets()) >= 10
    known = access.registered_policies()
    assert all(t.policy is known.get(t.policy.key) for t in targets if t.policy is not None)


def _gate_refused_page(response: HttpResponseBase, policy: access.Policy) -> bool:
    context = getattr(response, "context", None)
    return response.status_code == 403 and context is not None and context.get("denied_by_policy") == policy.key


def _redirected_to_login(response: HttpResponseBase, *, admin: bool) -> bool:
    login = "/admin/login/" if admin else str(settings.LOGIN_URL)
    return response.status_code == 302 and response["Location"].startswith(login)


def _request(client: Client, target: Target, persona: Persona) -> HttpResponseBase:
    if target.kind == "api":
        method = target.methods[0].lower()
        if method == "get":
            return client.get(target.url)
        return getattr(client, method)(target.url, data=json.dumps({}), content_type="application/json")
    response = client.get(target.url)
    if response.status_code == 405 and "POST" in target.methods:
        response = client.post(target.url, data={})
    return response


def _check(target: Target, persona: Persona, response: HttpResponseBase) -> str | None:
    """What is wrong with this response for this persona under the declared policy (None: fine)."""
    policy = target.policy
    assert policy is not None
    allowed = policy.allows(persona.user)
    status = response.status_code
    if target.kind == "api":
        body = response.content[:300].decode("utf-8", "replace")
        role_forbidden = status == 403 and '"role_forbidden"' in body
        if allowed:
            return None if status != 401 and not role_forbidden else f"allowed but refused: {status} {body}"
        if not persona.signed_in:
            return None if status == 401 else f"anonymous got {status}, expected 401"
        return None if role_forbidden else f"expected 403 role_forbidden, got {status} {body}"
    if target.admin:
        if allowed:
            return None if status == 200 else f"allowed but got {status}"
        return None if _redirected_to_login(response, admin=True) else f"expected the admin login, got {status}"
    if allowed:
        if _redirected_to_login(response, admin=False) or _gate_refused_page(response, policy):
            return f"allowed but refused: {status}"
        return None
    if not persona.signed_in:
        return None if _redirected_to_login(response, admin=False) else f"anonymous got {status}, expected login"
    return None if _gate_refused_page(response, policy) else f"expected the {policy.key} gate's 403, got {status}"


@pytest.mark.django_db
def test_every_page_and_operation_against_every_role(catalog) -> None:  # type: ignore[no-untyped-def]
    targets = [t for t in all_targets() if t.policy is not None]
    people = all_personas()
    problems: list[str] = []
    checked = 0
    allowed_seen: dict[str, int] = {}
    for persona in people:
        page_client = Client()
        api_client = Client()
        if isinstance(persona.user, User):
            page_client.force_login(persona.user)
            token = token_create(user=persona.user, name="matrix", actor="test")
            api_client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        for target in targets:
            client = api_client if target.kind == "api" else page_client
            response = _request(client, target, persona)
            checked += 1
            problem = _check(target, persona, response)
            if problem:
                problems.append(f"{persona.name:18} {target.label}: {problem}")
            assert target.policy is not None
            if target.policy.allows(persona.user):
                allowed_seen[target.label] = allowed_seen.get(target.label, 0) + 1
            if isinstance(persona.user, User) and "_auth_user_id" not in page_client.session:
                page_client.force_login(persona.user)  # the logout page signed this persona out
    add("permission matrix: pages and operations", len(targets))
    add("permission matrix: checks (target x persona)", checked)
    assert problems == [], "\n".join(problems)
    # Every target is open to someone among the personas (a policy nobody passes would be a dead page).
    assert sorted(t.label for t in targets if not allowed_seen.get(t.label)) == []
    assert len(people) == 14  # anonymous, 12 roles, the employer's online-hall account
