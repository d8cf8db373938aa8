"""HTML forms for the profile page and administration. Rules live in the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Agency, Role, Unit


class ServiceErrorsMixin:
    def apply_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, exc.messages)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. the name of a connected program."),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AgencyForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Agency
        fields = list(services.AGENCY_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Names change through the rename form, which keeps the former name on record.
            for name in ("name", "short_name", "notation"):
                self.fields[name].disabled = True
            self.fields["parent"].queryset = Agency.objects.exclude(pk=self.instance.pk)

    def validate_unique(self):
        """Uniqueness is checked by the service."""


class RenameForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("New name"), max_length=200)
    short_name = forms.CharField(label=_("New short name"), max_length=100)
    notation = forms.CharField(label=_("New abbreviation in notations"), max_length=20)
    effective = forms.DateField(label=_("Effective from"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason (decision)"), max_length=250, required=False)


class MergeForm(ServiceErrorsMixin, forms.Form):
    into = forms.ModelChoiceField(label=_("Merged into"), queryset=Agency.objects.filter(status="active"))
    effective = forms.DateField(label=_("Effective from"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason (decision)"), max_length=250, required=False)


class CloseForm(ServiceErrorsMixin, forms.Form):
    effective = forms.DateField(label=_("Effective from"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason (decision)"), max_length=250, required=False)


class UnitForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Unit name"), max_length=200)
    notation = forms.CharField(label=_("Abbreviation"), max_length=20)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PersonForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    email = forms.EmailField(label=_("Official email"), required=False)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.filter(status="active"))
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.filter(active=True), required=False)
    position = forms.CharField(label=_("Position"), max_length=100, required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=30, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Account enabled"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Leave empty to keep the current password."),
    )

    def __init__(self, *args, agencies=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if agencies is not None:
            self.fields["agency"].queryset = agencies
            units = Unit.objects.filter(agency__in=agencies, active=True)
            self.fields["unit"].queryset = units.select_related("agency")
            self.fields["unit"].label_from_instance = lambda u: f"{u.name} — {u.agency.short_name}"
        if editing:
            self.fields["username"].disabled = True
        else:
            self.fields["password"].help_text = _("Leave empty to create the account without a password.")
