"""API plumbing shared by every app's API: the error format, and Django errors mapped to HTTP."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from vanban.middleware import out_of_range_message

# The largest id a record can have (64-bit keys): a bound for id fields, so an absurd number is
# refused by the serializer before it reaches the database driver.
MAX_ID = 2**63 - 1


def exception_handler(exc, context):
    """Django's ValidationError (raised by services) becomes a 400 with one list of Vietnamese
    messages per field; PermissionDenied a 403; Http404 a 404 that says nothing more."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
        else:
            data = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, OverflowError):  # an id beyond 64 bits reached the database driver
        return Response({"detail": out_of_range_message()}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
