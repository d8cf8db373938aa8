"""Forms of the meetings and schedule pages. They only parse input: every rule lives in
services/meetings.py, which the views call with the cleaned values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vanban.orgs.models import Agency, Person

from ..selectors import meetings as selectors

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.get_full_name()} — {obj.unit.name}" if obj.unit_id else obj.get_full_name()


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.get_full_name()} — {obj.unit.name}" if obj.unit_id else obj.get_full_name()


def _people(agency_id: int):
    return Person.objects.filter(agency_id=agency_id, is_active=True).order_by("full_name")


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    location = forms.CharField(label=_("Location"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=_DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), required=False, widget=_DATETIME)
    chair = PersonChoice(label=_("Chair"), queryset=Person.objects.none(), required=False)
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, agency_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = _people(agency_id)


class NewMeetingForm(MeetingForm):
    participants = PeopleChoice(
        label=_("Participants"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    material = forms.FileField(
        label=_("Material"), required=False, help_text=_("PDF, DOCX, XLSX or ODT; add more on the meeting's page.")
    )

    def __init__(self, *args, agency_id: int, **kwargs):
        super().__init__(*args, agency_id=agency_id, **kwargs)
        self.fields["participants"].queryset = _people(agency_id)


class ParticipantsForm(forms.Form):
    people = PeopleChoice(
        label=_("Invite"), queryset=Person.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6})
    )

    def __init__(self, *args, agency_id: int, exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = _people(agency_id).exclude(pk__in=list(exclude))


class MaterialForm(forms.Form):
    file = forms.FileField(label=_("Material"), help_text=_("PDF, DOCX, XLSX or ODT."))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=2000)


class InviteAgenciesForm(forms.Form):
    agency_codes = forms.MultipleChoiceField(
        label=_("Agencies"), widget=forms.SelectMultiple(attrs={"size": 8}), choices=()
    )
    file = forms.FileField(label=_("Invitation (Giấy mời) file"), help_text=_("The signed PDF of the invitation."))
    signer_name = forms.CharField(label=_("Signer"), max_length=50)
    signer_position = forms.CharField(label=_("Signer's position"), max_length=100, required=False)

    def __init__(self, *args, agency_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        others = Agency.objects.exclude(pk=agency_id).filter(status=Agency.Status.ACTIVE).order_by("code")
        self.fields["agency_codes"].choices = [(a.code, f"{a.name} ({a.code})") for a in others]


class EntryForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=_DATE)
    start_time = forms.TimeField(label=_("Start time"), widget=_TIME)
    end_time = forms.TimeField(label=_("End time"), required=False, widget=_TIME)
    title = forms.CharField(label=_("Content"), max_length=500)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    people = PeopleChoice(
        label=_("Leaders"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args, agency_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = selectors.leaders_of(agency_id).order_by("full_name")


class FromDocumentForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=_DATE)
    start_time = forms.TimeField(label=_("Start time"), widget=_TIME)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    people = PeopleChoice(
        label=_("Leaders"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )

    def __init__(self, *args, agency_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = selectors.leaders_of(agency_id).order_by("full_name")
