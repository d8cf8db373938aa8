"""HTML forms. They only read what the clerk typed; every rule about documents is checked by
the services, whose per-field errors are put back on the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Channel, Confidentiality, DeliveryMode, DocumentType, Urgency
from .services import Upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _type_choices(issuable_only: bool):
    qs = DocumentType.objects.all()
    return qs.filter(issuable=True) if issuable_only else qs


def _most_common_type():
    """Official letters (công văn) are most of what agencies exchange: the form starts there."""
    return DocumentType.objects.filter(code="cong-van").values_list("pk", flat=True).first()


class _DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Document file"), required=False, help_text=_("PDF, DOCX, XLSX, ODT, PNG, JPEG or TIFF.")
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    type = forms.ModelChoiceField(queryset=DocumentType.objects.none(), label=_("Document type"), empty_label=None)
    is_legal = forms.BooleanField(label=_("Legal normative document"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"), choices=Confidentiality.choices, initial=Confidentiality.NORMAL
    )
    signer_name = forms.CharField(label=_("Signer"), max_length=50, required=False)
    signer_position = forms.CharField(label=_("Signer's position"), max_length=100, required=False)
    recipients = forms.CharField(
        label=_("Recipients"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_date = forms.DateField(label=_("Reply deadline"), required=False, widget=DateInput())
    pages = forms.IntegerField(label=_("Pages"), required=False, min_value=1, max_value=9999)
    description = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def upload_list(self) -> list[Upload]:
        main = self.cleaned_data.get("file")
        files = ([main] if main else []) + list(self.cleaned_data.get("attachments") or [])
        return [Upload.from_django(f) for f in files]

    def apply_errors(self, exc: ValidationError) -> None:
        """Put a service's per-field errors on this form."""
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class IncomingForm(_DocumentForm):
    original_code = forms.CharField(
        label=_("Number and notation"),
        max_length=45,
        required=False,
        help_text=_("As written on the document, e.g. 15/QĐ-UBND."),
    )
    issued_date = forms.DateField(label=_("Document date"), widget=DateInput())
    issuer_name = forms.CharField(label=_("Issuing agency"), max_length=200)
    issuer_identifier = forms.CharField(label=_("Issuer identifier code"), max_length=13, required=False)
    channel = forms.ChoiceField(label=_("Received through"), choices=Channel.choices, initial=Channel.PAPER)
    delivery_mode = forms.ChoiceField(
        label=_("Delivery mode"), choices=DeliveryMode.choices, initial=DeliveryMode.PAPER
    )
    received_at = forms.DateTimeField(label=_("Received at"), required=False, widget=DateTimeInput())

    field_order = [
        "file",
        "attachments",
        "channel",
        "delivery_mode",
        "received_at",
        "type",
        "is_legal",
        "original_code",
        "issued_date",
        "issuer_name",
        "issuer_identifier",
        "subject",
        "urgency",
        "confidentiality",
        "signer_name",
        "signer_position",
        "pages",
        "recipients",
        "due_date",
        "description",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = _type_choices(False)
        self.fields["type"].initial = _most_common_type()
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class OutgoingForm(_DocumentForm):
    internal = forms.TypedChoiceField(
        label=_("Register as"),
        coerce=lambda v: v == "1",
        choices=[("0", _("Outgoing document (to other agencies)")), ("1", _("Internal document"))],
        initial="0",
    )
    unit = forms.ModelChoiceField(queryset=None, label=_("Drafting unit"), required=False)
    issued_date = forms.DateField(label=_("Document date"), required=False, widget=DateInput())
    delivery_mode = forms.ChoiceField(
        label=_("Delivery mode"),
        choices=[("", _("As the plan sets for this kind of document")), *DeliveryMode.choices],
        required=False,
        initial="",
    )
    copies = forms.IntegerField(label=_("Number of copies"), required=False, min_value=1, max_value=999)

    field_order = [
        "file",
        "attachments",
        "internal",
        "type",
        "is_legal",
        "unit",
        "issued_date",
        "subject",
        "signer_name",
        "signer_position",
        "urgency",
        "confidentiality",
        "delivery_mode",
        "recipients",
        "copies",
        "pages",
        "due_date",
        "description",
    ]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = _type_choices(True)
        self.fields["type"].initial = _most_common_type()
        self.fields["unit"].queryset = units
        self.fields["issued_date"].initial = timezone.localdate()
        self.fields["signer_name"].required = True


class AddFilesForm(forms.Form):
    files = MultipleFileField(label=_("Files"), required=True)


class RegisterFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2999)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    type = forms.ModelChoiceField(
        queryset=DocumentType.objects.all(), label=_("Document type"), required=False, empty_label=_("All types")
    )
    urgent = forms.BooleanField(label=_("Urgent only"), required=False)
    unhandled = forms.BooleanField(label=_("Not handled yet"), required=False)
    q = forms.CharField(label=_("Contains"), required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
