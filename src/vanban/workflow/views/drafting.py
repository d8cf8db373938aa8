"""Pages of drafting: the drafts list (by tab), a new draft, a draft's page with its versions,
comments and approval timeline and the actions its reader may take, the clerk's issue form, and
the agency's approval chains."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vanban.documents import storage
from vanban.documents.models import Document
from vanban.documents.services import Upload
from vanban.signing import services as signing_services
from vanban.signing.models import SigningIdentity

from ..forms.drafting import (
    AnswerForm,
    ApproveForm,
    ChainForm,
    CommentForm,
    CommentRequestForm,
    DraftForm,
    ForwardForm,
    IssueForm,
    StepNoteForm,
    SubmitForm,
    VersionForm,
)
from ..models import Draft
from ..selectors import drafting as selectors
from ..services import drafting as services


def _apply_errors(form, exc: ValidationError) -> None:
    """A service's refusal shown on the form: on its field when the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _flash(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for m in exc.messages:
            flash.error(request, m)
    else:
        flash.error(request, str(exc))


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for e in errors:
            flash.error(request, e)


def _act(request, draft: Draft, action, done: str):
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    else:
        flash.success(request, done)
    return redirect("draft-detail", pk=draft.pk)


# --- list and new -------------------------------------------------------------------------------


@login_required
def draft_list(request):
    tabs_qs = selectors.drafts_for(request.user)
    labels = {
        "mine": _("My drafts"),
        "to_comment": _("Asked for my comments"),
        "to_approve": _("Waiting for my approval"),
        "to_issue": _("Approved, to issue"),
        "issued": _("Issued"),
    }
    tab = request.GET.get("tab", "mine")
    if tab not in labels:
        tab = "mine"
    page = Paginator(tabs_qs[tab], 50).get_page(request.GET.get("page"))
    return render(
        request,
        "workflow/drafting/list.html",
        {"tabs": [(k, labels[k], tabs_qs[k].count()) for k in selectors.TABS], "tab": tab, "page": page},
    )


@login_required
def draft_new(request):
    form = DraftForm(request.POST or None, request.FILES or None, person=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = Upload.from_django(data.pop("file"))
        try:
            draft = services.create_draft(request.user, upload=upload, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("The draft was saved as version 1."))
            return redirect("draft-detail", pk=draft.pk)
    return render(request, "workflow/drafting/new.html", {"form": form})


# --- a draft's page -----------------------------------------------------------------------------


@login_required
def draft_detail(request, pk):
    user = request.user
    draft = selectors.get_draft(user, pk)
    rounds = selectors.steps_by_round(draft)
    current = next((s for _r, steps in rounds for s in steps if s.state == "current"), None)
    can_act = current is not None and selectors.may_act(user, current)
    is_author = draft.author_id == user.pk
    editable = draft.state in (Draft.State.DRAFTING, Draft.State.RETURNED)
    people = selectors.colleagues(user)
    context = {
        "draft": draft,
        "versions": selectors.versions_of(draft),
        "requests": selectors.comment_requests_of(draft),
        "comments": selectors.comments_of(draft),
        "rounds": rounds,
        "current": current,
        "is_author": is_author,
        "version_form": VersionForm() if editable and selectors.is_author_side(user, draft) else None,
        "request_form": CommentRequestForm(people=people.exclude(pk=user.pk))
        if is_author and draft.state not in (Draft.State.APPROVED, Draft.State.ISSUED)
        else None,
        "comment_form": CommentForm() if selectors.may_comment(user, draft) else None,
        "answer_form": AnswerForm() if is_author else None,
        "submit_form": SubmitForm(chains=selectors.chains_of(draft.agency_id, active_only=True))
        if is_author and editable
        else None,
        "approve_form": ApproveForm(initial={"step": current.pk}, **_signing_options(user, current))
        if can_act
        else None,
        "forward_form": ForwardForm(initial={"step": current.pk}, people=people.exclude(pk=user.pk))
        if can_act
        else None,
        "can_issue": selectors.may_issue(user, draft),
    }
    return render(request, "workflow/drafting/detail.html", context)


@login_required
def version_download(request, pk, number):
    v = selectors.get_version(request.user, pk, number)
    try:
        content = storage.verified_copy(v.blob_id)
    except (storage.CorruptFile, FileNotFoundError):
        return HttpResponse(
            _("This file failed its integrity check and is not served. Report it to the administrator."),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(content, content_type=v.blob.mime, as_attachment=v.kind != "pdf", filename=v.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@login_required
@require_POST
def version_add(request, pk):
    draft = selectors.get_draft(request.user, pk)
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("draft-detail", pk=draft.pk)
    upload = Upload.from_django(form.cleaned_data["file"])
    return _act(
        request,
        draft,
        lambda: services.add_version(request.user, draft, upload=upload, note=form.cleaned_data["note"]),
        _("The new version was saved."),
    )


@login_required
@require_POST
def comments_request(request, pk):
    draft = selectors.get_draft(request.user, pk)
    form = CommentRequestForm(request.POST, people=selectors.colleagues(request.user))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("draft-detail", pk=draft.pk)
    d = form.cleaned_data
    return _act(
        request,
        draft,
        lambda: services.request_comments(
            request.user, draft, people=d["people"], deadline=d["deadline"], message=d["message"]
        ),
        _("The request for comments was sent."),
    )


@login_required
@require_POST
def comment_add(request, pk):
    draft = selectors.get_draft(request.user, pk)
    text = CommentForm(request.POST).data.get("text", "")
    return _act(request, draft, lambda: services.comment(request.user, draft, text=text), _("Your comment was sent."))


@login_required
@require_POST
def comment_answer(request, pk, comment_pk):
    draft = selectors.get_draft(request.user, pk)
    c = selectors.get_comment(request.user, draft, comment_pk)
    text = AnswerForm(request.POST).data.get("answer", "")
    return _act(
        request, draft, lambda: services.answer_comment(request.user, c, text=text), _("Your answer was saved.")
    )


@login_required
@require_POST
def submit(request, pk):
    draft = selectors.get_draft(request.user, pk)
    form = SubmitForm(request.POST, chains=selectors.chains_of(draft.agency_id))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("draft-detail", pk=draft.pk)
    return _act(
        request,
        draft,
        lambda: services.submit(request.user, draft, chain=form.cleaned_data["chain"]),
        _("The draft was submitted for approval."),
    )


def _seal_needs_pin(user) -> bool:
    seal = signing_services.seal_of_agency(user.agency) if user.agency_id else None
    return seal is not None and seal.kind == SigningIdentity.Kind.PKCS11


def _signing_options(user, step) -> dict:
    """May the person sign while approving this step (the last, with their own certificate)?"""
    if step is None or not selectors.is_last_step(step):
        return {"can_sign": False}
    identity = signing_services.identity_of_person(user)
    return {
        "can_sign": identity is not None,
        "needs_pin": identity is not None and identity.kind == SigningIdentity.Kind.PKCS11,
    }


def _step_action(request, pk, action, done: str):
    draft = selectors.get_draft(request.user, pk)
    form = StepNoteForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("draft-detail", pk=draft.pk)
    step, note = form.cleaned_data["step"], form.cleaned_data["note"]
    return _act(request, draft, lambda: action(request.user, draft, note=note, step=step), done)


@login_required
@require_POST
def approve(request, pk):
    draft = selectors.get_draft(request.user, pk)
    form = ApproveForm(request.POST, can_sign=True, needs_pin=True)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("draft-detail", pk=draft.pk)
    d = form.cleaned_data
    return _act(
        request,
        draft,
        lambda: services.approve(
            request.user,
            draft,
            note=d["note"],
            step=d["step"],
            sign=d["sign"],
            authority_prefix=d["authority_prefix"],
            pin=d["pin"] or None,
        ),
        _("Approved and signed.") if d["sign"] else _("Approved."),
    )


@login_required
@require_POST
def return_draft(request, pk):
    return _step_action(request, pk, services.return_draft, _("The draft was returned to its author."))


@login_required
@require_POST
def forward(request, pk):
    draft = selectors.get_draft(request.user, pk)
    form = ForwardForm(request.POST, people=selectors.colleagues(request.user))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("draft-detail", pk=draft.pk)
    d = form.cleaned_data
    return _act(
        request,
        draft,
        lambda: services.forward(request.user, draft, to=d["to"], note=d["note"], step=d["step"]),
        _("The draft was forwarded."),
    )


@login_required
def issue(request, pk):
    draft = selectors.get_draft(request.user, pk)
    if not selectors.may_issue(request.user, draft):
        raise PermissionDenied(_("Only the agency's clerks can issue an approved draft."))
    form = IssueForm(
        request.POST or None,
        initial={"recipients": draft.recipients_text},
        agencies=selectors.issue_recipients(draft.agency),
        seal_needs_pin=_seal_needs_pin(request.user),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            document, _dispatch = services.issue(
                request.user,
                draft,
                recipient_codes=form.recipient_codes(),
                issued_date=d["issued_date"],
                delivery_mode=d["delivery_mode"] or None,
                copies=d["copies"],
                recipients=d["recipients"],
                pin=d.get("pin") or None,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Issued as %(code)s.") % {"code": document.code})
            return redirect("document-detail", pk=document.pk)
    return render(request, "workflow/drafting/issue.html", {"draft": draft, "form": form})


# --- approval chains ----------------------------------------------------------------------------


@login_required
def chains(request):
    user = request.user
    can_manage = selectors.may_manage_chains(user)
    form = ChainForm(request.POST or None, people=selectors.colleagues(user)) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only the agency's administrators and leaders can manage approval chains."))
        if form.is_valid():
            try:
                services.create_chain(user, name=form.cleaned_data["name"], steps=form.steps())
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                flash.success(request, _("The approval chain was created."))
                return redirect("draft-chains")
    return render(
        request,
        "workflow/drafting/chains.html",
        {
            "chains": selectors.chains_of(user.agency_id) if user.agency_id else [],
            "form": form,
            "can_manage": can_manage,
        },
    )


@login_required
@require_POST
def chain_deactivate(request, pk):
    chain = selectors.get_chain(request.user, pk)
    try:
        services.deactivate_chain(request.user, chain)
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    else:
        flash.success(request, _("The approval chain was deactivated."))
    return redirect("draft-chains")


# --- the panel on an issued document's page ------------------------------------------------------


def document_panel(request, doc: Document) -> str | None:
    """On the page of a document issued from a draft: a link to the draft and its approvals."""
    draft = selectors.draft_of_document(request.user, doc)
    if draft is None:
        return None
    return render_to_string(
        "workflow/drafting/_document_panel.html",
        {"draft": draft, "rounds": selectors.steps_by_round(draft)[:1]},
        request=request,
    )


urlpatterns = [
    path("du-thao/", draft_list, name="draft-list"),
    path("du-thao/moi/", draft_new, name="draft-new"),
    path("du-thao/<int:pk>/", draft_detail, name="draft-detail"),
    path("du-thao/<int:pk>/phien-ban/", version_add, name="draft-version-add"),
    path("du-thao/<int:pk>/phien-ban/<int:number>/", version_download, name="draft-version"),
    path("du-thao/<int:pk>/xin-y-kien/", comments_request, name="draft-request-comments"),
    path("du-thao/<int:pk>/gop-y/", comment_add, name="draft-comment"),
    path("du-thao/<int:pk>/gop-y/<int:comment_pk>/tra-loi/", comment_answer, name="draft-answer"),
    path("du-thao/<int:pk>/trinh-ky/", submit, name="draft-submit"),
    path("du-thao/<int:pk>/duyet/", approve, name="draft-approve"),
    path("du-thao/<int:pk>/tra-lai/", return_draft, name="draft-return"),
    path("du-thao/<int:pk>/chuyen/", forward, name="draft-forward"),
    path("du-thao/<int:pk>/phat-hanh/", issue, name="draft-issue"),
    path("quy-trinh-trinh-ky/", chains, name="draft-chains"),
    path("quy-trinh-trinh-ky/<int:pk>/ngung/", chain_deactivate, name="draft-chain-deactivate"),
]

# After the assignment panel (20): where an issued document came from.
PANELS = [(30, document_panel)]
