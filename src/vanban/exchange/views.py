"""Web pages of the exchange: sending and tracking, arrivals waiting, undeliverable messages,
import and export of .edxml files, and the inbox other systems POST to."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from vanban.documents import selectors as documents
from vanban.documents.models import Direction, Document
from vanban.orgs.models import Agency, Role
from vanban.signing import verification as signature_verification
from vanban.signing.models import FileCheck

from . import edxml, selectors, services, transfer
from .models import Arrival, BusinessType, InboxPackage


class SendForm(forms.Form):
    agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        label=gettext_lazy("Agencies of the province"),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    codes = forms.CharField(
        required=False,
        label=gettext_lazy("Other identifier codes (connected systems), one per line"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    with_paper = forms.BooleanField(required=False, label=gettext_lazy("A paper copy follows"))

    def __init__(self, *args, sender: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["agencies"]
        field.queryset = Agency.objects.filter(status=Agency.Status.ACTIVE).exclude(pk=sender.pk).order_by("identifier")
        field.label_from_instance = lambda a: f"{a.name} ({a.identifier})"

    def recipient_codes(self) -> list[str]:
        codes = [a.identifier for a in self.cleaned_data["agencies"]]
        codes += [c.strip() for c in self.cleaned_data["codes"].replace(",", "\n").splitlines() if c.strip()]
        return codes


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class ReplaceForm(ReasonForm):
    replaces = forms.ModelChoiceField(queryset=Document.objects.none(), label=gettext_lazy("Replaces"))


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("edXML file"))


def _flash_errors(request, exc: ValidationError) -> None:
    for msgs in exc.message_dict.values():
        for m in msgs:
            flash.error(request, m)


# --- the document page panel ----------------------------------------------------------------


def document_panel(request, doc: Document):
    """Tracking and actions on the page of an issued document; origin of a received one."""
    user = request.user
    is_clerk = user.has_role(Role.CLERK) and doc.agency_id == user.agency_id
    if doc.direction in (Direction.OUTGOING, Direction.INTERNAL):
        dispatches = list(selectors.dispatches_of(doc))
        if not dispatches and not is_clerk:
            return None
        context = {
            "doc": doc,
            "dispatches": dispatches,
            "is_clerk": is_clerk,
            "send_form": SendForm(sender=doc.agency) if is_clerk else None,
            "reason_form": ReasonForm(),
            "replace_form": _replace_form(doc) if is_clerk else None,
            "sendable": doc.confidentiality == "normal",
        }
        return render_to_string("exchange/_document_panel.html", context, request=request)
    arrival = doc.arrivals.select_related("inbox").first()
    if arrival is None:
        return None
    return render_to_string("exchange/_origin_panel.html", {"doc": doc, "arrival": arrival}, request=request)


def _replace_form(doc: Document) -> ReplaceForm:
    form = ReplaceForm()
    form.fields["replaces"].queryset = (
        Document.objects.filter(
            agency_id=doc.agency_id, direction__in=[Direction.OUTGOING, Direction.INTERNAL], dispatches__isnull=False
        )
        .exclude(pk=doc.pk)
        .distinct()
        .order_by("-reg_year", "-reg_seq")
    )
    return form


@login_required
def panel(request, pk):
    """The panel alone, for the tracking view to refresh itself (htmx)."""
    doc = documents.get_document(request.user, pk)
    return HttpResponse(document_panel(request, doc) or "")


@login_required
@require_POST
def send(request, pk):
    doc = documents.get_document(request.user, pk)
    form = SendForm(request.POST, sender=doc.agency)
    if form.is_valid():
        try:
            dispatch = services.send(
                request.user, doc, form.recipient_codes(), with_paper=form.cleaned_data["with_paper"]
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            n = dispatch.deliveries.count()
            flash.success(request, ngettext("Sent to %(n)d recipient.", "Sent to %(n)d recipients.", n) % {"n": n})
    return redirect("document-detail", pk=doc.pk)


def _follow_up(request, pk, action, done):
    doc = documents.get_document(request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            action(request.user, doc, form.cleaned_data["reason"])
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            flash.success(request, done)
    else:
        flash.error(request, _("Give the reason."))
    return redirect("document-detail", pk=doc.pk)


@login_required
@require_POST
def recall(request, pk):
    return _follow_up(request, pk, services.recall, _("The recall was sent to every recipient."))


@login_required
@require_POST
def update(request, pk):
    return _follow_up(request, pk, services.send_update, _("The update was sent to every recipient."))


@login_required
@require_POST
def replace(request, pk):
    doc = documents.get_document(request.user, pk)
    form = ReplaceForm(request.POST)
    form.fields["replaces"].queryset = _replace_form(doc).fields["replaces"].queryset
    if form.is_valid():
        try:
            services.send_replacement(request.user, doc, form.cleaned_data["replaces"], form.cleaned_data["reason"])
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            flash.success(request, _("The replacement was sent."))
    else:
        flash.error(request, _("Choose the document it replaces and give the reason."))
    return redirect("document-detail", pk=doc.pk)


@login_required
def export(request, pk):
    doc = documents.get_document(request.user, pk)
    data = transfer.export_document(doc)
    response = HttpResponse(data, content_type="application/xml")
    name = f"{doc.issuer_identifier or 'vanban'}-{doc.number or doc.reg_seq}-{doc.reg_year}.edxml"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- arrivals -------------------------------------------------------------------------------


def _require_clerk(user) -> None:
    if not user.has_role(Role.CLERK):
        raise PermissionDenied(_("Only the agency's clerks can do this."))


@login_required
def arrivals(request):
    state = request.GET.get("state", Arrival.State.WAITING)
    if state not in Arrival.State.values:
        state = Arrival.State.WAITING
    rows = selectors.arrivals_for(request.user, state).order_by("-created_at")[:500]
    return render(request, "exchange/arrivals.html", {"rows": rows, "state": state, "states": Arrival.State.choices})


@login_required
def arrival_detail(request, pk):
    arrival = selectors.get_arrival(request.user, pk)
    try:
        pkg = services.load_package(arrival)
    except Exception:  # the stored package is damaged: show what we have
        pkg = None
    # Each PDF's signatures, checked before the clerk decides to register or return it.
    attachments = []
    for a in pkg.attachments if pkg else ():
        verdict = signature_verification.verdict_of(a.data)
        attachments.append((a, (verdict, FileCheck.Verdict(verdict).label) if verdict else None))
    return render(
        request,
        "exchange/arrival.html",
        {
            "arrival": arrival,
            "pkg": pkg,
            "attachments": attachments,
            "reason_form": ReasonForm(),
            "BusinessType": BusinessType,
            "is_clerk": request.user.has_role(Role.CLERK),
        },
    )


@login_required
def arrival_attachment(request, pk, index):
    arrival = selectors.get_arrival(request.user, pk)
    pkg = services.load_package(arrival)
    try:
        att = pkg.attachments[index]
    except IndexError as exc:
        raise Http404 from exc
    response = HttpResponse(att.data, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, att.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def arrival_register(request, pk):
    arrival = selectors.get_arrival(request.user, pk)
    try:
        doc = services.register_arrival(request.user, arrival)
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("arrival-detail", pk=arrival.pk)
    flash.success(request, _("Registered with arrival number %(n)s; the sender was told.") % {"n": doc.reg_seq})
    return redirect("document-detail", pk=doc.pk)


@login_required
@require_POST
def arrival_refuse(request, pk):
    arrival = selectors.get_arrival(request.user, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": [_("Give the reason.")]})
        services.refuse_arrival(request.user, arrival, form.cleaned_data["reason"])
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("arrival-detail", pk=arrival.pk)
    flash.success(request, _("Returned to the sender."))
    return redirect("arrivals")


@login_required
@require_POST
def arrival_recall(request, pk):
    arrival = selectors.get_arrival(request.user, pk)
    agree = request.POST.get("agree") == "1"
    try:
        services.answer_recall(request.user, arrival, agree=agree, note=request.POST.get("reason", ""))
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("arrival-detail", pk=arrival.pk)
    flash.success(request, _("The sender was told."))
    return redirect("arrivals")


@login_required
def import_file(request):
    _require_clerk(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(edxml.Limits().max_bytes + 1)
        receipt = services.receive(data, via=InboxPackage.Via.IMPORT, agency=request.user.agency, actor=request.user)
        if receipt.refusal:
            form.add_error("file", transfer.refusal_message(receipt))
        else:
            if not receipt.created:
                flash.info(request, _("This package was imported before."))
            return redirect("arrival-detail", pk=receipt.arrivals[0].pk)
    return render(request, "exchange/import.html", {"form": form})


# --- undeliverable --------------------------------------------------------------------------


@login_required
def undeliverable(request):
    _require_clerk(request.user)
    return render(request, "exchange/undeliverable.html", {"rows": selectors.undeliverable_for(request.user)})


@login_required
@require_POST
def resend(request, pk):
    message = selectors.get_undeliverable(request.user, pk)
    services.resend(request.user, message)
    flash.success(request, _("It will be sent again now."))
    return redirect("undeliverable")


# --- the inbox other systems POST to --------------------------------------------------------


@csrf_exempt
def inbox(request):
    """POST an edXML package or status message; the answer is a signed status message (01 arrived,
    or 02 with the rule broken). Authenticity comes from the XML signature, not from a login."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    if int(request.META.get("CONTENT_LENGTH") or 0) > services.MAX_PACKAGE_BYTES:
        receipt = services.refuse_oversized()
        return HttpResponse(receipt.xml, status=receipt.http_status, content_type="application/xml; charset=utf-8")
    # Read the stream directly: request.body is capped at DATA_UPLOAD_MAX_MEMORY_SIZE (form data).
    receipt = services.receive(request.read(services.MAX_PACKAGE_BYTES + 1), via=InboxPackage.Via.HTTP)
    return HttpResponse(receipt.xml, status=receipt.http_status, content_type="application/xml; charset=utf-8")
