"""What the API answers when a request is refused, and how the schema documents it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, permissions, serializers

from ..middleware import NUL_MESSAGE, contains_nul, credentials_contain_nul

ERROR = inline_serializer("StyleRecError", fields={"detail": serializers.CharField()})
_DESCRIPTIONS = {
    400: (OpenApiTypes.OBJECT, "Invalid input: an object with a list of messages per field (or `detail`)."),
    403: (ERROR, "Not allowed: no shopper session, a missing CSRF token, or not staff."),
    404: (ERROR, "No such object."),
    429: (ERROR, "Too many requests; `Retry-After` says when to try again."),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """``responses=`` entries for the refusals an operation can give."""
    return {code: OpenApiResponse(_DESCRIPTIONS[code][0], description=_DESCRIPTIONS[code][1]) for code in codes}


class RejectNulBytes:
    """API views: a 400 for NUL characters anywhere in the request, before authentication or a query.

    PostgreSQL cannot compare text holding U+0000; a slug, a user name or a style name
    with one would otherwise become an HTTP 500.
    """

    def initial(self, request, *args, **kwargs):
        if credentials_contain_nul(request.META.get("HTTP_AUTHORIZATION", "")):
            # Refused before authentication runs: an error page must not try them either.
            request.user, request.auth = AnonymousUser(), None
            raise exceptions.ParseError(NUL_MESSAGE)
        if contains_nul(list(kwargs.values())) or contains_nul(request.query_params):
            raise exceptions.ParseError(NUL_MESSAGE)
        if request.method not in permissions.SAFE_METHODS and contains_nul(request.data):
            raise exceptions.ParseError(NUL_MESSAGE)
        return super().initial(request, *args, **kwargs)


class PublicReads:
    """Views whose GETs anyone may make: say so (AllowAny), so the schema marks them public."""

    def get_permissions(self):
        if getattr(self, "request", None) is not None and self.request.method in permissions.SAFE_METHODS:
            return [permissions.AllowAny()]
        return super().get_permissions()
