"""Who may call what. Shopper-scoped endpoints never take a shopper id from the client."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.authentication import CSRFCheck

from ..shoppers.identity import Shopper


def request_shopper(request, create: bool = False) -> Shopper | None:
    """The shopper behind a request: the authenticated user, else the guest (session or guest cookie).

    A session user that the API's authentication did not accept is *not* used:
    only what DRF authenticated counts as a signed-in shopper.
    """
    # DRF's Request gives its own authenticated ``user`` and proxies ``session`` to Django's request.
    return Shopper.from_request(request, create=create)


def _enforce_csrf(request) -> None:
    # DRF only checks CSRF for session-authenticated *users*; an anonymous
    # session shopper is identified by the same cookie, so check it too.
    django_request = getattr(request, "_request", request)

    def dummy_get_response(_request):  # pragma: no cover - never called
        return None

    check = CSRFCheck(dummy_get_response)
    check.process_request(django_request)
    reason = check.process_view(django_request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")


class IsShopper(permissions.BasePermission):
    """A signed-in user or a guest; unsafe calls from guests need the CSRF token.

    A view with ``create_shopper_for_writes`` makes a guest a shopper on their first
    unsafe call (a session or StyleRec's guest cookie, per ``GUEST_IDENTITY``), so a
    visitor's first event or choice is not refused.
    """

    message = _("Sign in or enable cookies to use this endpoint.")

    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
        if request.method not in permissions.SAFE_METHODS:
            _enforce_csrf(request)
        safe = request.method in permissions.SAFE_METHODS
        create = not safe and getattr(view, "create_shopper_for_writes", False)
        shopper = request_shopper(request, create=create)
        if shopper is None and safe and getattr(view, "allow_no_shopper_reads", False):
            # Reading "my" data before having a session: an empty answer, not an error.
            return True
        return shopper is not None


class IsStaffOrReadOnly(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
