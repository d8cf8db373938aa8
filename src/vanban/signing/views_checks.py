"""Pages of signature verification results: the badge panel on the document page, the detail
page of one file's signatures, and a clerk's "check again"."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vanban.documents import selectors as documents
from vanban.orgs.models import Role

from . import verification
from .models import FileCheck

# What the verdict means for the reader, beside its label (the model's choices).
_EXPLANATIONS = {
    FileCheck.Verdict.VALID: gettext_lazy(
        "Every signature is intact, made with a certificate from a trusted authority, valid and not "
        "revoked at the signing time."
    ),
    FileCheck.Verdict.MODIFIED: gettext_lazy(
        "The file was changed after it was signed: its content is not what the signer signed."
    ),
    FileCheck.Verdict.UNTRUSTED: gettext_lazy(
        "The signer's certificate does not lead to a trusted root certificate authority."
    ),
    FileCheck.Verdict.REVOKED: gettext_lazy("The signer's certificate was revoked before the document was signed."),
    FileCheck.Verdict.EXPIRED: gettext_lazy("The signer's certificate was not valid at the signing time."),
    FileCheck.Verdict.UNSIGNED: gettext_lazy("The file carries no digital signature."),
}

_COVERAGE = {
    "ENTIRE_FILE": gettext_lazy("the whole file"),
    "ENTIRE_REVISION": gettext_lazy("the whole version it signed; later additions follow"),
    "CONTIGUOUS_BLOCK_FROM_START": gettext_lazy("only part of the file"),
    "UNCLEAR": gettext_lazy("only part of the file"),
}

_MODIFICATIONS = {
    "NONE": gettext_lazy("none"),
    "LTA_UPDATES": gettext_lazy("validation data only"),
    "FORM_FILLING": gettext_lazy("further signatures or form fields (allowed)"),
    "ANNOTATIONS": gettext_lazy("annotations (allowed)"),
    "OTHER": gettext_lazy("changes to the content (not allowed)"),
}

# CSS classes of the badge per verdict (the site's message colours).
_BADGE_CLASS = {
    FileCheck.Verdict.VALID: "msg-success",
    FileCheck.Verdict.UNSIGNED: "",
    FileCheck.Verdict.UNTRUSTED: "msg-warning",
}


def _is_clerk(user, document) -> bool:
    return user.has_role(Role.CLERK) and user.agency_id == document.agency_id


def document_panel(request, doc):
    """Per PDF file of the document, a badge with its latest verdict linking to the details."""
    from .views import signing_actions

    rows = verification.latest_pdf_checks(doc)
    if not rows:
        return None
    actions = signing_actions(request, doc)
    items = [
        {
            "file": f,
            "check": check,
            "badge_class": _BADGE_CLASS.get(check.verdict, "msg-error") if check else "",
        }
        for f, check in rows
    ]
    return render_to_string("signing/checks/_panel.html", {"doc": doc, "items": items, **actions}, request=request)


def _when(value: str | None):
    return parse_datetime(value) if value else None


def _signature_rows(report: dict) -> list[dict]:
    rows = []
    for sig in report.get("signatures", []):
        rows.append(
            {
                **sig,
                "verdict_label": FileCheck.Verdict(sig["verdict"]).label,
                "signing_time": _when(sig.get("signing_time")),
                "claimed_time": _when(sig.get("claimed_time")),
                "timestamp_time": _when(sig.get("timestamp_time")),
                "revoked_at": _when(sig.get("revoked_at")),
                "not_before": _when(sig["signer"].get("not_before")),
                "not_after": _when(sig["signer"].get("not_after")),
                "coverage_label": _COVERAGE.get(sig.get("coverage"), sig.get("coverage") or "—"),
                "modification_label": _MODIFICATIONS.get(sig.get("modification_level"), "—"),
                "badge_class": _BADGE_CLASS.get(sig["verdict"], "msg-error"),
            }
        )
    return rows


@login_required
def check_detail(request, pk, file_pk):
    f = documents.get_file(request.user, pk, file_pk)
    check = verification.latest_check(f)
    context = {
        "doc": f.document,
        "file": f,
        "check": check,
        "explanation": _EXPLANATIONS.get(check.verdict) if check else None,
        "badge_class": _BADGE_CLASS.get(check.verdict, "msg-error") if check else "",
        "signatures": _signature_rows(check.report) if check else [],
        "is_clerk": _is_clerk(request.user, f.document),
        "is_pdf": f.blob.mime == verification.PDF_MIME,
    }
    return render(request, "signing/checks/detail.html", context)


@login_required
@require_POST
def check_again(request, pk, file_pk):
    f = documents.get_file(request.user, pk, file_pk)
    try:
        check = verification.check_file(f, actor=request.user)
    except ValidationError as exc:
        for messages in exc.message_dict.values():
            for message in messages:
                flash.error(request, message)
    else:
        flash.success(request, _("Signatures checked: %(verdict)s.") % {"verdict": check.get_verdict_display()})
    return redirect("signature-check", pk=f.document_id, file_pk=f.pk)
