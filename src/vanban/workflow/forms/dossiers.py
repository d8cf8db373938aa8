"""Forms of the dossier pages. They only shape input: the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vanban.orgs.models import Agency, Person, Unit

from ..models import Dossier
from ..models.dossiers import MAINTENANCE

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DossierForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    notation = forms.CharField(label=_("Dossier number and notation"), max_length=20)
    title = forms.CharField(label=_("Dossier title"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    maintenance = forms.ChoiceField(label=_("Retention period"), choices=[(m, m) for m in MAINTENANCE])
    rights = forms.ChoiceField(label=_("Access rights"), choices=Dossier.Rights.choices)
    creator = forms.ModelChoiceField(label=_("Kept by"), queryset=Person.objects.none())
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    language = forms.CharField(label=_("Language"), max_length=50, initial="Tiếng Việt")
    start_date = forms.DateField(label=_("Start date"), required=False, widget=_DATE)
    description = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args, agency: Agency, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["creator"].queryset = Person.objects.filter(agency=agency, is_active=True).order_by("full_name")
        self.fields["unit"].queryset = Unit.objects.filter(agency=agency, active=True).order_by("name")
        self.fields["year"].initial = timezone.localdate().year
        if editing:
            del self.fields["year"]

    @classmethod
    def for_dossier(cls, d: Dossier, *args, **kwargs) -> DossierForm:
        initial = {f: getattr(d, f) for f in ("notation", "title", "maintenance", "rights", "language", "description")}
        initial.update(creator=d.creator_id, unit=d.unit_id, start_date=d.start_date)
        return cls(*args, agency=d.agency, editing=True, initial=initial, **kwargs)


class FilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *Dossier.State.choices])

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All")), *((y, y) for y in years)]


class CloseForm(forms.Form):
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=_DATE,
        help_text=_("Empty: the date of the latest document."),
    )


class FileForm(forms.Form):
    """The document panel's form: file this document in one of my open dossiers."""

    dossier = forms.ModelChoiceField(label=_("Dossier"), queryset=Dossier.objects.none())


class HandoverForm(forms.Form):
    dossiers = forms.ModelMultipleChoiceField(
        label=_("Closed dossiers"), queryset=Dossier.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    handed_on = forms.DateField(label=_("Handed over on"), widget=_DATE)
    received_by = forms.CharField(label=_("Received by (archive keeper)"), max_length=100)
    note = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args, closed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dossiers"].queryset = closed
        self.fields["dossiers"].label_from_instance = lambda d: f"{d.file_code} — {d.title}"
        self.fields["handed_on"].initial = timezone.localdate()
