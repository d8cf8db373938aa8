"""Profile (personal API tokens) and administration of agencies, units and people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import AgencyForm, CloseForm, MergeForm, PersonForm, RenameForm, TokenForm, UnitForm
from .models import Agency, Person, Role, Unit

# --- profile and tokens ---------------------------------------------------------------------


@login_required
def profile(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.create_token(request.user, request.user, form.cleaned_data["name"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            form = TokenForm()
    return render(
        request,
        "orgs/profile.html",
        {
            "person": request.user,
            "form": form,
            "new_key": new_key,
            "tokens": selectors.tokens_of(request.user),
        },
    )


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(request.user, request.user, form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error("new_password1", exc.messages)
        else:
            request.user.refresh_from_db()
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("profile")
    return _form_page(request, form, _("Change password"))


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(selectors.tokens_of(request.user), pk=pk)
    services.revoke_token(request.user, token)
    messages.success(request, _("The token was revoked."))
    return redirect("profile")


# --- administration -------------------------------------------------------------------------


def _require_admin(user) -> None:
    if not (user.is_superuser or user.has_role(Role.ADMIN)):
        raise PermissionDenied(_("You do not have permission to do this."))


@login_required
def agency_list(request):
    _require_admin(request.user)
    q = request.GET.get("q", "")
    # Explicit order: Meta.ordering is dropped from queries with GROUP BY (the count).
    qs = selectors.search_agencies(q).annotate(n_people=Count("people")).order_by("identifier")
    kind = request.GET.get("kind", "")
    if kind in Agency.Kind.values:
        qs = qs.filter(kind=kind)
    if not request.user.is_superuser:
        qs = qs.filter(pk=request.user.agency_id)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "orgs/agency_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": Agency.Kind.choices,
            "query": query.urlencode(),
            "can_create": services.can_manage_agencies(request.user),
        },
    )


def _agency_for_admin(user, pk) -> Agency:
    _require_admin(user)
    agency = get_object_or_404(selectors.agency_directory(), pk=pk)
    if not (user.is_superuser or agency.pk == user.agency_id):
        raise Http404
    return agency


@login_required
def agency_detail(request, pk):
    agency = _agency_for_admin(request.user, pk)
    return render(
        request,
        "orgs/agency_detail.html",
        {
            "agency": agency,
            "units": selectors.units_of(agency.pk, active_only=False),
            "people": Person.objects.filter(agency=agency).order_by("full_name"),
            "former_names": agency.former_names.all(),
            "predecessors": agency.predecessors.all(),
            "can_manage_agency": services.can_manage_agencies(request.user),
            "can_manage_people": services.can_manage_people_of(request.user, agency),
        },
    )


def _form_page(request, form, title, template="orgs/form.html", **extra):
    return render(request, template, {"form": form, "title": title, **extra})


@login_required
def agency_create(request):
    _require_admin(request.user)
    form = AgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.create_agency(request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Agency created."))
            return redirect("agency-detail", pk=agency.pk)
    return _form_page(request, form, _("New agency"))


@login_required
def agency_edit(request, pk):
    agency = _agency_for_admin(request.user, pk)
    form = AgencyForm(request.POST or None, instance=Agency.objects.get(pk=agency.pk))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("name", "short_name", "notation")}
        try:
            services.update_agency(request.user, agency, **data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("agency-detail", pk=agency.pk)
    return _form_page(request, form, _("Edit %(name)s") % {"name": agency.short_name}, agency=agency)


def _agency_action(request, pk, form_class, action, title, success):
    agency = _agency_for_admin(request.user, pk)
    initial = {"name": agency.name, "short_name": agency.short_name, "notation": agency.notation}
    form = form_class(request.POST or None, initial=initial if form_class is RenameForm else None)
    if form_class is MergeForm:
        form.fields["into"].queryset = form.fields["into"].queryset.exclude(pk=agency.pk)
    if request.method == "POST" and form.is_valid():
        try:
            action(request.user, agency, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, success)
            return redirect("agency-detail", pk=agency.pk)
    return _form_page(request, form, title % {"name": agency.short_name}, agency=agency)


@login_required
def agency_rename(request, pk):
    return _agency_action(
        request,
        pk,
        RenameForm,
        services.rename_agency,
        _("Rename %(name)s"),
        _("The agency was renamed; documents keep the name they were issued under."),
    )


@login_required
def agency_merge(request, pk):
    return _agency_action(
        request,
        pk,
        MergeForm,
        services.merge_agency,
        _("Merge %(name)s into another agency"),
        _("The agency was merged."),
    )


@login_required
def agency_close(request, pk):
    return _agency_action(
        request, pk, CloseForm, services.close_agency, _("Close %(name)s"), _("The agency was closed.")
    )


@login_required
def unit_create(request, pk):
    agency = _agency_for_admin(request.user, pk)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_unit(
                request.user, agency, name=form.cleaned_data["name"], notation=form.cleaned_data["notation"]
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Unit created."))
            return redirect("agency-detail", pk=agency.pk)
    return _form_page(request, form, _("New unit of %(name)s") % {"name": agency.short_name}, agency=agency)


@login_required
def unit_edit(request, pk):
    unit = get_object_or_404(Unit, pk=pk)
    agency = _agency_for_admin(request.user, unit.agency_id)
    form = UnitForm(request.POST or None, initial={"name": unit.name, "notation": unit.notation, "active": unit.active})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit(request.user, unit, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("agency-detail", pk=agency.pk)
    return _form_page(request, form, _("Edit unit %(name)s") % {"name": unit.name}, agency=agency)


def _person_agencies(user):
    qs = Agency.objects.filter(status=Agency.Status.ACTIVE)
    return qs if user.is_superuser else qs.filter(pk=user.agency_id)


@login_required
def person_list(request):
    _require_admin(request.user)
    q = request.GET.get("q", "").strip()
    qs = selectors.people_manageable_by(request.user).order_by("agency__identifier", "full_name")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(email__icontains=q))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "orgs/person_list.html", {"page": page, "q": q})


@login_required
def person_create(request):
    _require_admin(request.user)
    initial = {"agency": request.GET.get("agency") or request.user.agency_id, "is_active": True}
    form = PersonForm(request.POST or None, agencies=_person_agencies(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            person = services.create_person(
                request.user,
                username=d["username"],
                full_name=d["full_name"],
                email=d["email"],
                agency=d["agency"],
                unit=d["unit"],
                position=d["position"],
                phone=d["phone"],
                roles=d["roles"],
                password=d["password"] or None,
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Account created."))
            return redirect("agency-detail", pk=person.agency_id)
    return _form_page(request, form, _("New account"))


@login_required
def person_edit(request, pk):
    _require_admin(request.user)
    person = get_object_or_404(selectors.people_manageable_by(request.user), pk=pk)
    initial = {
        "username": person.username,
        "full_name": person.full_name,
        "email": person.email,
        "agency": person.agency_id,
        "unit": person.unit_id,
        "position": person.position,
        "phone": person.phone,
        "roles": sorted(person.role_codes),
        "is_active": person.is_active,
    }
    form = PersonForm(request.POST or None, agencies=_person_agencies(request.user), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_person(
                request.user,
                person,
                roles=d["roles"],
                password=d["password"] or None,
                full_name=d["full_name"],
                email=d["email"],
                agency=d["agency"],
                unit=d["unit"],
                position=d["position"],
                phone=d["phone"],
                is_active=d["is_active"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("agency-detail", pk=d["agency"].pk)
    return _form_page(request, form, _("Edit account %(name)s") % {"name": person.username})
