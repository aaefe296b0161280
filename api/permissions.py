"""Django's model permissions decide, as on the pages: an active staff account with
endpoints.<action>_registry. Each view says which action each method needs."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from rest_framework import exceptions
from rest_framework.permissions import BasePermission


class RegistryPermission(BasePermission):
    """`view.required_actions` maps a method to an action: GET → view, POST → add, ..."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF then answers 401 with the Basic challenge
        action = view.required_actions.get("GET" if request.method == "HEAD" else request.method)
        if action is None:
            raise exceptions.MethodNotAllowed(request.method)
        name = user.get_username()
        if not (user.is_active and user.is_staff):
            raise exceptions.PermissionDenied(
                f"{name}: not a staff account; this API is for staff accounts with the registry "
                "permissions. Ask an administrator to make it one (Staff status)."
            )
        perm = f"endpoints.{action}_registry"
        if not user.has_perm(perm):
            permissions = Permission.objects.filter(content_type__app_label="endpoints",
                                                    codename=f"{action}_registry")
            label = permissions.values_list("name", flat=True).first() or perm
            raise exceptions.PermissionDenied(
                f"{name}: this needs the permission “{label}” ({perm}); ask an administrator to give it "
                "to the account or to one of its groups."
            )
        return True


class AuthenticatedUser(BasePermission):
    """Any active account (GET /users/current: the Go CLI's login check)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_active)
