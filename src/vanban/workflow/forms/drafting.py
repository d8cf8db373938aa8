"""Forms of the drafting pages. They only parse input: the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vanban.documents.models import Confidentiality, DeliveryMode, Urgency
from vanban.documents.selectors import document_types
from vanban.orgs.models import Agency, Person, Unit

from ..models import ChainStep


def _person_label(p: Person) -> str:
    return f"{p.get_full_name()} — {p.unit.name}" if p.unit_id else p.get_full_name()


class DraftForm(forms.Form):
    doc_type = forms.ModelChoiceField(queryset=document_types(issuable_only=True), label=_("Document type"))
    subject = forms.CharField(label=_("Subject"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Drafting unit"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"), choices=Confidentiality.choices, initial=Confidentiality.NORMAL
    )
    is_legal = forms.BooleanField(label=_("Legal normative document"), required=False)
    internal = forms.BooleanField(label=_("Internal document"), required=False)
    recipients_text = forms.CharField(
        label=_("Recipients"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(label=_("Draft file (DOCX or PDF)"))
    note = forms.CharField(label=_("Note on this version"), required=False, max_length=500)

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(agency_id=person.agency_id, active=True).order_by("name")
        self.fields["unit"].initial = person.unit_id
        self.fields["doc_type"].queryset = document_types(issuable_only=True).order_by("order", "name")


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version (DOCX or PDF)"))
    note = forms.CharField(label=_("Note on this version"), required=False, max_length=500)


class CommentRequestForm(forms.Form):
    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), label=_("Ask"), widget=forms.SelectMultiple(attrs={"size": 6})
    )
    deadline = forms.DateField(label=_("Comments by"), widget=forms.DateInput(attrs={"type": "date"}))
    message = forms.CharField(
        label=_("Message"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people
        self.fields["people"].label_from_instance = _person_label


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Your comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class SubmitForm(forms.Form):
    chain = forms.ModelChoiceField(queryset=None, label=_("Approval chain"))

    def __init__(self, *args, chains, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chain"].queryset = chains


class StepNoteForm(forms.Form):
    step = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(StepNoteForm):
    """Approving; at the last step, the approver may sign the PDF in the same act."""

    sign = forms.BooleanField(label=_("Sign digitally as I approve"), required=False)
    authority_prefix = forms.CharField(
        label=_("Authority line"),
        required=False,
        max_length=100,
        help_text=_("When signing on behalf of someone: e.g. KT. GIÁM ĐỐC."),
    )
    pin = forms.CharField(
        label=_("Token PIN"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, can_sign: bool = False, needs_pin: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_sign:
            for name in ("sign", "authority_prefix", "pin"):
                del self.fields[name]
        elif not needs_pin:
            del self.fields["pin"]


class ForwardForm(StepNoteForm):
    to = forms.ModelChoiceField(queryset=Person.objects.none(), label=_("Forward to"))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = people
        self.fields["to"].label_from_instance = _person_label


class IssueForm(forms.Form):
    issued_date = forms.DateField(
        label=_("Document date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    delivery_mode = forms.ChoiceField(
        label=_("Delivery mode"),
        required=False,
        choices=[("", _("As the plan sets for this type")), *DeliveryMode.choices],
    )
    copies = forms.IntegerField(label=_("Number of copies"), required=False, min_value=1, max_value=999)
    recipients = forms.CharField(
        label=_("Recipients (as printed on the document)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        label=_("Send through the exchange to agencies of the province"),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    codes = forms.CharField(
        required=False,
        label=_("Other identifier codes (connected systems), one per line"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    pin = forms.CharField(
        label=_("PIN of the agency's seal token"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, agencies, seal_needs_pin: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not seal_needs_pin:
            del self.fields["pin"]
        self.fields["agencies"].queryset = agencies
        self.fields["agencies"].label_from_instance = lambda a: f"{a.name} ({a.identifier})"

    def recipient_codes(self) -> list[str]:
        codes = [a.identifier for a in self.cleaned_data["agencies"]]
        codes += [c.strip() for c in self.cleaned_data["codes"].replace(",", "\n").splitlines() if c.strip()]
        return codes


class ChainForm(forms.Form):
    """A chain of up to five steps; the rows left empty are ignored."""

    ROWS = 5
    name = forms.CharField(label=_("Name"), max_length=200)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, self.ROWS + 1):
            self.fields[f"kind_{i}"] = forms.ChoiceField(
                label=_("Step %(n)d") % {"n": i}, required=False, choices=[("", "—"), *ChainStep.Kind.choices]
            )
            self.fields[f"person_{i}"] = forms.ModelChoiceField(
                queryset=people, required=False, label=_("Person (for a named person)")
            )
            self.fields[f"person_{i}"].label_from_instance = _person_label
            self.fields[f"title_{i}"] = forms.CharField(label=_("Title of the step"), required=False, max_length=200)

    def steps(self) -> list[tuple[str, Person | None, str]]:
        out = []
        for i in range(1, self.ROWS + 1):
            kind = self.cleaned_data.get(f"kind_{i}")
            if kind:
                out.append((kind, self.cleaned_data.get(f"person_{i}"), self.cleaned_data.get(f"title_{i}", "")))
        return out
