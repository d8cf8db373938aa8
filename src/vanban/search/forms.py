from django import forms
from django.utils.translation import gettext_lazy as _

from vanban.documents.models import Direction, DocumentType, Urgency
from vanban.orgs.models import Agency


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=500)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none(), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=[("", "—"), *Direction.choices], required=False)
    type = forms.ModelChoiceField(label=_("Document type"), queryset=DocumentType.objects.all(), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    signer = forms.CharField(label=_("Signer"), required=False, max_length=50)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", "—"), *Urgency.choices], required=False)

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agencies is not None:
            self.fields["agency"].queryset = agencies
