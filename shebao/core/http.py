"""Response helpers shared by the apps."""

from __future__ import annotations

from typing import TypeVar

from django.http.response import HttpResponseBase

Response = TypeVar("Response", bound=HttpResponseBase)


def as_document(response: Response) -> Response:
    """A PDF or image served to be viewed: without the pages' Content-Security-Policy.

    The policy is written for HTML; on a PDF, Chrome applies ``object-src 'none'`` to its own PDF
    viewer and shows a blocked page instead of the document. A document response keeps what
    protects it — its exact checked type, ``nosniff``, ``Content-Disposition`` and
    ``X-Frame-Options: DENY`` — and only the HTML policy is dropped (django-csp's per-response
    exemption, the flag its ``csp_exempt`` decorator sets; the decorator itself would also strip
    the policy from the view's HTML error pages)."""
    response._csp_exempt = True  # type: ignore[attr-defined]
    response["X-Content-Type-Options"] = "nosniff"
    return response
