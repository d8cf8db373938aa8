"""Checking what people typed, shared by every room's services: collect the errors of one action's
input per field, then refuse it all at once with one ValidationError (a form shows each message
beside its field; the API returns them per field)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class FieldErrors(dict):
    """field name → list of messages."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def text(
    errors: FieldErrors,
    field: str,
    value: str | None,
    *,
    required: bool,
    max_length: int,
    collapse_spaces: bool = False,
    required_message: str = "",
) -> str:
    """`value` stripped (with runs of white space made one space when `collapse_spaces`), or an
    error on `field` when it is missing but required or longer than `max_length`."""
    value = " ".join((value or "").split()) if collapse_spaces else (value or "").strip()
    if required and not value:
        errors.add(field, required_message or _("This field is required."))
    elif len(value) > max_length:
        errors.add(field, _("At most %(n)d characters.") % {"n": max_length})
    return value


def one_text(value: str | None, field: str, *, required: bool, max_length: int, required_message: str = "") -> str:
    """`text` for an action with a single typed field: refuses at once."""
    errors = FieldErrors()
    value = text(errors, field, value, required=required, max_length=max_length, required_message=required_message)
    errors.raise_if_any()
    return value
