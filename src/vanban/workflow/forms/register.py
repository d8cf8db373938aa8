"""The filters of the incoming-processing register."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"


class ProcessingFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2999)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
