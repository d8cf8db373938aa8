"""Pages of meetings and of the leaders' weekly work schedule: my meetings and invitations, a
meeting's page with its actions, the week's schedule (printable), and the panel that puts a
received Giấy mời on the schedule."""

from __future__ import annotations

import logging

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vanban.documents import selectors as documents
from vanban.documents import storage
from vanban.documents.models import Document
from vanban.documents.services import Upload

from ..forms.meetings import (
    CancelForm,
    EntryForm,
    FromDocumentForm,
    InviteAgenciesForm,
    MaterialForm,
    MeetingForm,
    NewMeetingForm,
    ParticipantsForm,
)
from ..models import Meeting, Participant
from ..selectors import meetings as selectors
from ..services import meetings as services

log = logging.getLogger(__name__)


def _flash_form_errors(request, form) -> None:
    for errors in form.errors.values():
        for e in errors:
            flash.error(request, e)


def _act(request, target: str, action, done: str):
    """Run a service call; its refusal becomes a message, nothing else happens."""
    try:
        action()
    except ValidationError as exc:
        for m in exc.messages:
            flash.error(request, m)
    except PermissionDenied as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, done)
    return redirect(target)


def _add_service_errors(form, exc: ValidationError) -> None:
    for name, messages in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


# --- meetings -------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    """My meetings (upcoming or earlier), my invitations to answer, and a new meeting's form."""
    user = request.user
    form = None
    if selectors.may_create(user):
        form = NewMeetingForm(request.POST or None, request.FILES or None, agency_id=user.agency_id)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            upload = request.FILES.get("material")
            try:
                m = services.create_meeting(
                    user,
                    title=d["title"],
                    agenda=d["agenda"],
                    location=d["location"],
                    starts_at=d["starts_at"],
                    ends_at=d["ends_at"],
                    chair=d["chair"],
                    participants=list(d["participants"]),
                    materials=[Upload.from_django(upload)] if upload else [],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                flash.success(request, _("The meeting was created and the invitations sent."))
                return redirect("meeting-detail", pk=m.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Only the agency's leaders, unit heads and clerks can call a meeting."))
    past = request.GET.get("tab") == "past"
    meetings = list(selectors.meetings_for(user, upcoming=not past)[:200])
    return render(
        request,
        "workflow/meetings/list.html",
        {
            "meetings": meetings,
            "past": past,
            "form": form,
            "pending": selectors.invitations_pending(user),
            "now": timezone.now(),
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@login_required
def meeting_detail(request, pk):
    user = request.user
    m = selectors.get_meeting(user, pk)
    participants = selectors.participants_of(m)
    mine = next((p for p in participants if p.person_id == user.pk), None)
    manage = m.state == Meeting.State.PLANNED and selectors.may_manage(user, m)
    context = {
        "m": m,
        "people": [p for p in participants if p.person_id],
        "agencies": [p for p in participants if p.agency_id],
        "materials": list(m.materials.all()),
        "mine": mine,
        "can_answer": mine is not None and selectors.is_open(m),
        "manage": manage,
        "can_record_agency_answer": m.state == Meeting.State.PLANNED and selectors.may_record_agency_answer(user, m),
    }
    if manage:
        context.update(
            edit_form=MeetingForm(
                agency_id=m.agency_id,
                initial={
                    "title": m.title,
                    "location": m.location,
                    "starts_at": m.starts_at,
                    "ends_at": m.ends_at,
                    "chair": m.chair_id,
                    "agenda": m.agenda,
                },
                prefix="edit",
            ),
            participants_form=ParticipantsForm(agency_id=m.agency_id, exclude=[p.person_id for p in participants]),
            material_form=MaterialForm(),
            cancel_form=CancelForm(),
        )
    if selectors.is_open(m) and selectors.may_invite_agencies(user, m):
        context["invite_form"] = InviteAgenciesForm(
            agency_id=m.agency_id, initial={"signer_name": "", "signer_position": ""}
        )
    return render(request, "workflow/meetings/detail.html", context)


@login_required
@require_POST
def meeting_answer(request, pk):
    m = selectors.get_meeting(request.user, pk)
    accept = request.POST.get("accept") == "1"
    note = request.POST.get("note", "")
    back = reverse("meetings") if request.POST.get("next") == "list" else reverse("meeting-detail", args=[m.pk])
    return _act(
        request,
        back,
        lambda: services.answer(request.user, m, accept=accept, note=note),
        _("Your answer was recorded."),
    )


@login_required
@require_POST
def meeting_edit(request, pk):
    m = selectors.get_meeting(request.user, pk)
    form = MeetingForm(request.POST, agency_id=m.agency_id, prefix="edit")
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("meeting-detail", pk=m.pk)
    return _act(
        request,
        reverse("meeting-detail", args=[m.pk]),
        lambda: services.update_meeting(request.user, m, **form.cleaned_data),
        _("The meeting was changed."),
    )


@login_required
@require_POST
def meeting_participants(request, pk):
    m = selectors.get_meeting(request.user, pk)
    form = ParticipantsForm(request.POST, agency_id=m.agency_id)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("meeting-detail", pk=m.pk)
    return _act(
        request,
        reverse("meeting-detail", args=[m.pk]),
        lambda: services.add_participants(request.user, m, people=list(form.cleaned_data["people"])),
        _("The invitations were sent."),
    )


@login_required
@require_POST
def meeting_material(request, pk):
    m = selectors.get_meeting(request.user, pk)
    upload = request.FILES.get("file")
    return _act(
        request,
        reverse("meeting-detail", args=[m.pk]),
        lambda: services.add_material(request.user, m, upload=Upload.from_django(upload) if upload else None),
        _("The material was added."),
    )


@login_required
def material_download(request, pk, material_pk):
    f = selectors.get_material(request.user, pk, material_pk)
    try:
        content = storage.verified_copy(f.blob_id)
    except (storage.CorruptFile, FileNotFoundError):
        log.error("Stored file %s of meeting %s failed its check or is missing", f.blob_id, pk)
        return HttpResponse(
            _("This file failed its integrity check and is not served. Report it to the administrator."),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(
        content, content_type=f.blob.mime, as_attachment=f.blob.mime != "application/pdf", filename=f.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@login_required
@require_POST
def meeting_cancel(request, pk):
    m = selectors.get_meeting(request.user, pk)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        reverse("meeting-detail", args=[m.pk]),
        lambda: services.cancel_meeting(request.user, m, reason=reason),
        _("The meeting was cancelled and the invitees told."),
    )


@login_required
@require_POST
def meeting_invite_agencies(request, pk):
    m = selectors.get_meeting(request.user, pk)
    form = InviteAgenciesForm(request.POST, request.FILES, agency_id=m.agency_id)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("meeting-detail", pk=m.pk)
    d = form.cleaned_data
    return _act(
        request,
        reverse("meeting-detail", args=[m.pk]),
        lambda: services.invite_agencies(
            request.user,
            m,
            agency_codes=d["agency_codes"],
            upload=Upload.from_django(d["file"]),
            signer_name=d["signer_name"],
            signer_position=d["signer_position"],
        ),
        _("The invitation was registered and sent to the agencies."),
    )


@login_required
@require_POST
def meeting_agency_answer(request, pk, participant_pk):
    m = selectors.get_meeting(request.user, pk)
    p = Participant.objects.filter(pk=participant_pk, meeting=m, agency__isnull=False).select_related("agency").first()
    if p is None:
        raise Http404
    accept = request.POST.get("accept") == "1"
    note = request.POST.get("note", "")
    return _act(
        request,
        reverse("meeting-detail", args=[m.pk]),
        lambda: services.record_agency_answer(request.user, m, p.agency, accept=accept, note=note),
        _("The agency's answer was recorded."),
    )


# --- the schedule ---------------------------------------------------------------------------


@login_required
def schedule(request, year=None, week=None):
    user = request.user
    if user.agency_id is None:
        raise Http404
    if year is None:
        year, week = selectors.current_week()
    try:
        selectors.monday_of(year, week)
    except ValueError as exc:
        raise Http404 from exc
    week_schedule = selectors.week_schedule(user.agency, year, week, person=user)
    keeps = selectors.runs_schedule(user, user.agency_id)
    return render(
        request,
        "workflow/meetings/schedule.html",
        {
            "s": week_schedule,
            "agency": user.agency,
            "keeps": keeps,
            "entry_form": EntryForm(agency_id=user.agency_id, initial={"day": week_schedule.monday}) if keeps else None,
        },
    )


def _week_url(day) -> str:
    y, w, _d = day.isocalendar()
    return reverse("schedule-week", args=[y, w])


@login_required
@require_POST
def schedule_publish(request, year, week):
    user = request.user
    note = request.POST.get("note", "")
    if user.agency_id is None:
        raise Http404
    return _act(
        request,
        reverse("schedule-week", args=[year, week]),
        lambda: services.publish_week(user, user.agency, year, week, note=note),
        _("The week's schedule was published."),
    )


@login_required
@require_POST
def entry_add(request):
    user = request.user
    if user.agency_id is None:
        raise Http404
    form = EntryForm(request.POST, agency_id=user.agency_id)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("schedule")
    d = form.cleaned_data
    return _act(
        request,
        _week_url(d["day"]),
        lambda: services.add_entry(user, **{**d, "people": list(d["people"])}),
        _("The entry was added to the schedule."),
    )


@login_required
def entry_edit(request, pk):
    """Change a line of the schedule (clerks and leaders of its agency)."""
    user = request.user
    entry = selectors.get_entry(user, pk)
    if not selectors.runs_schedule(user, entry.agency_id):
        raise PermissionDenied(_("Only the agency's clerks and leaders keep the work schedule."))
    if request.method == "POST":
        form = EntryForm(request.POST, agency_id=entry.agency_id)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.update_entry(user, entry, **{**d, "people": list(d["people"])})
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                flash.success(request, _("The entry was changed."))
                return redirect(_week_url(d["day"]))
    else:
        form = EntryForm(
            agency_id=entry.agency_id,
            initial={
                "day": entry.day,
                "start_time": entry.start_time,
                "end_time": entry.end_time,
                "title": entry.title,
                "location": entry.location,
                "people": list(entry.people.all()),
                "note": entry.note,
            },
        )
    return render(request, "workflow/meetings/entry_edit.html", {"entry": entry, "form": form})


@login_required
@require_POST
def entry_delete(request, pk):
    entry = selectors.get_entry(request.user, pk)
    return _act(
        request,
        _week_url(entry.day),
        lambda: services.delete_entry(request.user, entry),
        _("The entry was removed from the schedule."),
    )


@login_required
@require_POST
def document_to_schedule(request, pk):
    doc = documents.get_document(request.user, pk)
    form = FromDocumentForm(request.POST, agency_id=doc.agency_id, prefix="sched")
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("document-detail", pk=doc.pk)
    d = form.cleaned_data
    return _act(
        request,
        reverse("document-detail", args=[doc.pk]),
        lambda: services.add_entry_from_document(request.user, doc, **{**d, "people": list(d["people"])}),
        _("The invitation was added to the leaders' schedule."),
    )


def document_panel(request, doc: Document) -> str | None:
    """On a received Giấy mời: the schedule lines made from it and, for clerks and leaders, the
    form that puts it on the leaders' schedule."""
    if not selectors.is_incoming_invitation(doc):
        return None
    entries = list(selectors.schedule_entries_from(doc))
    keeps = selectors.runs_schedule(request.user, doc.agency_id)
    if not entries and not keeps:
        return None
    return render_to_string(
        "workflow/meetings/_document_panel.html",
        {
            "doc": doc,
            "entries": entries,
            "form": FromDocumentForm(agency_id=doc.agency_id, prefix="sched") if keeps else None,
        },
        request=request,
    )


urlpatterns = [
    path("cuoc-hop/", meeting_list, name="meetings"),
    path("cuoc-hop/<int:pk>/", meeting_detail, name="meeting-detail"),
    path("cuoc-hop/<int:pk>/tra-loi/", meeting_answer, name="meeting-answer"),
    path("cuoc-hop/<int:pk>/sua/", meeting_edit, name="meeting-edit"),
    path("cuoc-hop/<int:pk>/moi-them/", meeting_participants, name="meeting-participants"),
    path("cuoc-hop/<int:pk>/tai-lieu/", meeting_material, name="meeting-material"),
    path("cuoc-hop/<int:pk>/tai-lieu/<int:material_pk>/", material_download, name="meeting-material-download"),
    path("cuoc-hop/<int:pk>/huy/", meeting_cancel, name="meeting-cancel"),
    path("cuoc-hop/<int:pk>/moi-co-quan/", meeting_invite_agencies, name="meeting-invite-agencies"),
    path(
        "cuoc-hop/<int:pk>/co-quan/<int:participant_pk>/tra-loi/",
        meeting_agency_answer,
        name="meeting-agency-answer",
    ),
    path("lich-cong-tac/", schedule, name="schedule"),
    path("lich-cong-tac/<int:year>/<int:week>/", schedule, name="schedule-week"),
    path("lich-cong-tac/<int:year>/<int:week>/cong-bo/", schedule_publish, name="schedule-publish"),
    path("lich-cong-tac/muc/", entry_add, name="schedule-entry-add"),
    path("lich-cong-tac/muc/<int:pk>/sua/", entry_edit, name="schedule-entry-edit"),
    path("lich-cong-tac/muc/<int:pk>/xoa/", entry_delete, name="schedule-entry-delete"),
    path("van-ban/<int:pk>/dua-vao-lich/", document_to_schedule, name="document-to-schedule"),
]
# (order, function) pairs registered as documents.panels on the document page.
PANELS: list = [(30, document_panel)]
