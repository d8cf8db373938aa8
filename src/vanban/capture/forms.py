"""The scan upload form. It only reads what the clerk typed; the scan itself (empty, not an
image, encrypted, a bomb…) and the archival metadata are checked by services.capture_scan, whose
per-field errors are put back on the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vanban.documents.models import Direction, Document
from vanban.documents.selectors import visible_documents

from .archival import FIELDS
from .models import Capture

# The archival fields a clerk fills by hand; the page count is read from the scan itself.
METADATA_FIELDS = [name for name in FIELDS if name != "page_amount"]
ARCHIVE, DOCUMENT = "archive", "document"


class _DocumentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Document) -> str:
        head = f"{obj.reg_seq}/{obj.reg_year}"
        if obj.code:
            head += f" · {obj.code}"
        subject = obj.subject if len(obj.subject) <= 90 else obj.subject[:89] + "…"
        return f"{head} · {subject}"


def incoming_documents(user):
    """The agency's own incoming documents, newest first: those a clerk may add a scan to."""
    return (
        visible_documents(user)
        .filter(agency_id=user.agency_id, direction=Direction.INCOMING)
        .select_related("doc_type")
        .order_by("-reg_year", "-reg_seq")
    )


class CaptureForm(forms.Form):
    file = forms.FileField(label=_("Scan"), help_text=_("PDF, TIFF, JPEG or PNG; several pages allowed."))
    target = forms.ChoiceField(
        label=_("Kept as"),
        choices=[(ARCHIVE, _("An archival record of the agency")), (DOCUMENT, _("A scan of an incoming document"))],
        initial=ARCHIVE,
        widget=forms.RadioSelect,
    )
    document = _DocumentChoice(
        queryset=Document.objects.none(), label=_("Incoming document"), required=False, empty_label="—"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = incoming_documents(user)
        for name in METADATA_FIELDS:
            field = Capture._meta.get_field(name).formfield(required=False)
            if name == "issued_date":
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            elif name in ("autograph", "description"):
                field.widget = forms.Textarea(attrs={"rows": 2})
            field.label = capfirst(field.label)
            self.fields[name] = field

    def clean(self):
        data = super().clean()
        if data.get("target") == DOCUMENT and not data.get("document"):
            self.add_error("document", _("Choose the incoming document this scan belongs to."))
        if data.get("target") == ARCHIVE:
            data["document"] = None
        return data

    def metadata(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in METADATA_FIELDS}

    def metadata_fields(self):
        return [self[name] for name in METADATA_FIELDS]

    def apply_errors(self, exc: ValidationError) -> None:
        """Put a service's per-field errors on this form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
