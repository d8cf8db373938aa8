"""Forms of the workflow pages. Handlers are chosen from one list of the agency's units and people
("u12" a unit, "p34" a person)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vanban.orgs.models import Agency, Person, Unit


def target_choices(agency: Agency, unit: Unit | None = None) -> list[tuple[str, str]]:
    people = Person.objects.filter(agency=agency, is_active=True).order_by("full_name")
    if unit is not None:
        people = people.filter(unit=unit)
        return [(f"p{p.pk}", p.get_full_name()) for p in people]
    units = [(f"u{u.pk}", u.name) for u in Unit.objects.filter(agency=agency, active=True).order_by("name")]
    persons = [(f"p{p.pk}", f"{p.get_full_name()} — {p.unit.name if p.unit else ''}") for p in people]
    return [(_("Units"), units), (_("People"), persons)]


def resolve(value: str) -> Unit | Person | None:
    """A chosen handler; None when it does not exist (the service refuses what is not allowed)."""
    kind, pk = value[:1], value[1:]
    if not pk.isdigit():
        return None
    model = {"u": Unit, "p": Person}.get(kind)
    return model.objects.filter(pk=int(pk)).first() if model else None


class AssignForm(forms.Form):
    lead = forms.ChoiceField(label=_("Lead handler"))
    co = forms.MultipleChoiceField(
        label=_("Co-handlers"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    readers = forms.MultipleChoiceField(
        label=_("For information"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    instruction = forms.CharField(
        label=_("Instruction"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, agency: Agency, unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = target_choices(agency, unit)
        self.fields["lead"].choices = [("", "—"), *choices]
        self.fields["co"].choices = choices
        self.fields["readers"].choices = choices

    def targets(self) -> dict:
        d = self.cleaned_data
        return {
            "lead": resolve(d["lead"]),
            "co": [t for t in map(resolve, d["co"]) if t is not None],
            "readers": [t for t in map(resolve, d["readers"]) if t is not None],
            "deadline": d["deadline"],
            "instruction": d["instruction"],
        }


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("Progress"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class FinishForm(forms.Form):
    result = forms.CharField(label=_("Result"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    reply = forms.ModelChoiceField(label=_("Outgoing reply"), queryset=None, required=False)
