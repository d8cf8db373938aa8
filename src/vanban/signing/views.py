"""The product's public PKI services — RFC 3161 timestamps, CRLs, OCSP — which need no login
(PDF readers and verifiers anywhere fetch them), and the administrators' pages for signing
identities and trust roots."""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vanban.orgs.models import Role

from . import protocols, selectors, services
from .models import SigningIdentity

# --- public PKI services ---------------------------------------------------------------------


def _read_body(request) -> bytes | None:
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return None
    if length > protocols.MAX_REQUEST_BYTES:
        return None
    return request.body


@csrf_exempt
@require_POST
def tsa(request):
    """RFC 3161 over HTTP: application/timestamp-query in, application/timestamp-reply out."""
    if request.content_type != "application/timestamp-query":
        return HttpResponse("expected application/timestamp-query", status=415, content_type="text/plain")
    body = _read_body(request)
    if body is None:
        return HttpResponse("request too large", status=413, content_type="text/plain")
    reply = services.timestamp_reply(body)
    if reply is None:
        return HttpResponse("no timestamp authority on this installation", status=503, content_type="text/plain")
    return HttpResponse(reply, content_type="application/timestamp-reply")


@require_GET
def crl(request, slug):
    """The current CRL of one of our CAs, DER (RFC 5280 §5)."""
    der = services.crl_der(slug)
    if der is None:
        raise Http404
    response = HttpResponse(der, content_type="application/pkix-crl")
    # Fresh on every fetch (revocations show at once); caches may keep it a minute.
    response["Cache-Control"] = "public, max-age=60"
    return response


def _ocsp_http(request_der: bytes) -> HttpResponse:
    reply = services.ocsp_reply(request_der)
    if reply is None:
        return HttpResponse("no OCSP responder on this installation", status=503, content_type="text/plain")
    return HttpResponse(reply, content_type="application/ocsp-response")


@csrf_exempt
@require_http_methods(["POST"])
def ocsp(request):
    """RFC 6960 over HTTP, POST form: application/ocsp-request in, application/ocsp-response out."""
    if request.content_type != "application/ocsp-request":
        return HttpResponse("expected application/ocsp-request", status=415, content_type="text/plain")
    body = _read_body(request)
    if body is None:
        return HttpResponse("request too large", status=413, content_type="text/plain")
    return _ocsp_http(body)


@require_GET
def ocsp_get(request, encoded):
    """RFC 6960 Appendix A.1, GET form: the DER request base64-encoded in the path."""
    try:
        der = base64.b64decode(encoded.replace("%2F", "/").replace("%2B", "+").replace("%3D", "="), validate=True)
    except (binascii.Error, ValueError):
        der = b""
    return _ocsp_http(der)


# --- administrators' pages ---------------------------------------------------------------------


def _require_admin(user) -> None:
    if not (user.is_active and (user.is_superuser or user.has_role(Role.ADMIN))):
        raise PermissionDenied(_("You do not have permission to do this."))


def _flash_errors(request, exc: ValidationError) -> None:
    for msgs in exc.message_dict.values():
        for m in msgs:
            flash.error(request, m)


class Pkcs12Form(forms.Form):
    person = forms.ModelChoiceField(queryset=None, required=False, label=gettext_lazy("Person"))
    agency = forms.ModelChoiceField(queryset=None, required=False, label=gettext_lazy("Agency (seal)"))
    file = forms.FileField(label=gettext_lazy("PKCS#12 file (.p12, .pfx)"))
    password = forms.CharField(
        label=gettext_lazy("Password of the file"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Used once to open the file; it is not stored."),
    )
    image = forms.FileField(
        required=False,
        label=gettext_lazy("Signature or seal image (PNG)"),
        help_text=gettext_lazy("A blue signature on a transparent background, or the red seal."),
    )
    image_width_mm = forms.FloatField(
        required=False, min_value=5, max_value=100, label=gettext_lazy("Real width of the image (mm)")
    )

    def __init__(self, *args, reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = selectors.people_for_identities(reader)
        self.fields["person"].label_from_instance = lambda p: f"{p.full_name} ({p.username})"
        self.fields["agency"].queryset = selectors.agencies_for_seals(reader)
        self.fields["agency"].label_from_instance = lambda a: f"{a.name} ({a.identifier})"

    def clean(self):
        data = super().clean()
        if bool(data.get("person")) == bool(data.get("agency")):
            raise forms.ValidationError(_("Choose either a person or an agency."))
        return data


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(choices=SigningIdentity.Reason.choices, label=gettext_lazy("Reason"))


class TrustRootForm(forms.Form):
    name = forms.CharField(required=False, max_length=200, label=gettext_lazy("Name"))
    pem = forms.CharField(
        label=gettext_lazy("Root certificate (PEM)"),
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "-----BEGIN CERTIFICATE-----"}),
    )


@login_required
def identity_list(request):
    _require_admin(request.user)
    return render(
        request,
        "signing/identity_list.html",
        {"identities": selectors.identities_for_admin(request.user), "revoke_form": RevokeForm()},
    )


@login_required
@sensitive_post_parameters()
def identity_import(request):
    _require_admin(request.user)
    form = Pkcs12Form(request.POST or None, request.FILES or None, reader=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        image = data["image"].read() if data["image"] else None
        try:
            identity = services.import_pkcs12(
                request.user,
                owner_person=data["person"],
                owner_agency=data["agency"],
                data=data["file"].read(),
                password=data["password"],
                image=image,
                image_width_mm=data["image_width_mm"],
            )
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            flash.success(request, _("Certificate registered: %(subject)s.") % {"subject": identity.subject})
            return redirect("signing-identities")
    return render(
        request, "signing/pki_form.html", {"form": form, "title": _("Upload a PKCS#12 file"), "multipart": True}
    )


@login_required
@require_POST
def identity_revoke(request, pk):
    _require_admin(request.user)
    identity = get_object_or_404(selectors.identities_for_admin(request.user), pk=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Choose a reason."))
        return redirect("signing-identities")
    try:
        services.revoke(request.user, identity, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        flash.success(request, _("Certificate revoked."))
    return redirect("signing-identities")


@login_required
def trust_roots(request):
    _require_admin(request.user)
    form = TrustRootForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_superuser:
            raise PermissionDenied(_("You do not have permission to do this."))
        if form.is_valid():
            try:
                services.add_trust_root(request.user, form.cleaned_data["pem"], name=form.cleaned_data["name"])
            except ValidationError as exc:
                form.add_error("pem", exc.message_dict.get("certificate", exc.messages))
            else:
                flash.success(request, _("Trust root added."))
                return redirect("signing-trust-roots")
    return render(
        request,
        "signing/trust_roots.html",
        {"roots": selectors.trust_roots_for_admin(request.user), "form": form, "can_add": request.user.is_superuser},
    )


# --- signing documents (the document page's "Digital signatures" card) ------------------------


class SignForm(forms.Form):
    authority_prefix = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Authority line"),
        help_text=gettext_lazy("When signing on behalf of someone: e.g. KT. GIÁM ĐỐC, TM. ỦY BAN NHÂN DÂN."),
    )
    position = forms.CharField(required=False, max_length=100, label=gettext_lazy("Position"))
    pin = forms.CharField(
        required=False,
        label=gettext_lazy("Token PIN"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class SealForm(forms.Form):
    pin = forms.CharField(
        required=False,
        label=gettext_lazy("Token PIN"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


def signing_actions(request, doc) -> dict:
    """What the reader may do on this document's signatures, for the card on its page."""
    from . import document_signing

    user = request.user
    out = {"signatures": document_signing.signatures_of(doc), "sign_form": None, "seal_form": None}
    if doc.agency_id != user.agency_id or doc.direction == "incoming":
        return out
    own = services.identity_of_person(user)
    if own is not None and not any(s.signed_by_id == user.pk and s.kind == "person" for s in out["signatures"]):
        form = SignForm(initial={"position": user.position})
        if own.kind != SigningIdentity.Kind.PKCS11:
            del form.fields["pin"]
        out["sign_form"] = form
    if user.has_role(Role.CLERK) and document_signing.person_has_signed(doc):
        seal = services.seal_of_agency(user.agency)
        sealed = any(s.kind == "seal" for s in out["signatures"])
        if seal is not None and not sealed:
            form = SealForm()
            if seal.kind != SigningIdentity.Kind.PKCS11:
                del form.fields["pin"]
            out["seal_form"] = form
    return out


def _document_for_signing(request, pk):
    from vanban.documents import selectors as documents

    return documents.get_document(request.user, pk)


@login_required
@require_POST
@sensitive_post_parameters()
def document_sign(request, pk):
    from . import document_signing

    doc = _document_for_signing(request, pk)
    form = SignForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            document_signing.sign_document(
                request.user,
                doc,
                authority_prefix=d["authority_prefix"],
                position=d["position"] or None,
                pin=d.get("pin") or None,
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            flash.success(request, _("You signed the document."))
    return redirect("document-detail", pk=doc.pk)


@login_required
@require_POST
@sensitive_post_parameters()
def document_seal(request, pk):
    from . import document_signing

    doc = _document_for_signing(request, pk)
    form = SealForm(request.POST)
    if form.is_valid():
        try:
            rows = document_signing.seal_document(request.user, doc, pin=form.cleaned_data.get("pin") or None)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            flash.success(request, _("The agency signed %(n)d file(s).") % {"n": len(rows)})
    return redirect("document-detail", pk=doc.pk)
