"""Demo data for ``shebao serve --demo``. Credentials are listed in the README."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from .audit import audit_record

DEMO_ADMIN = ("admin", "shebao-demo-2017")


@transaction.atomic
def demo_seed() -> None:
    """Create the demo accounts that do not exist yet; running it twice changes nothing."""
    user_model = get_user_model()
    username, password = DEMO_ADMIN
    if not user_model.objects.filter(username=username).exists():
        user_model.objects.create_superuser(username=username, password=password, email="")
        audit_record(actor="system:demo", action="account.created", object_type="user", object_id=username)
