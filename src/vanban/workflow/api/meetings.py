"""REST API of meetings and the leaders' weekly schedule: the same services and selectors as the
pages, errors per field in Vietnamese."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from vanban.documents.services import Upload
from vanban.orgs.models import Person

from ..models import Meeting, MeetingMaterial, Participant, ScheduleEntry
from ..selectors import meetings as selectors
from ..services import meetings as services

# --- serializers ----------------------------------------------------------------------------


class ParticipantSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = ["id", "person", "agency", "name", "answer", "note", "answered_at"]

    def get_name(self, obj) -> str:
        return obj.person.get_full_name() if obj.person_id else obj.agency.name


class MaterialSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(source="blob.size", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = MeetingMaterial
        fields = ["id", "name", "kind", "size", "url", "created_at"]

    def get_url(self, obj) -> str:
        return reverse("meeting-material-download", args=[obj.meeting_id, obj.pk])


class MeetingSerializer(serializers.ModelSerializer):
    participants = ParticipantSerializer(many=True, read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "agency",
            "title",
            "agenda",
            "location",
            "starts_at",
            "ends_at",
            "chair",
            "organiser",
            "state",
            "cancel_reason",
            "invitation",
            "created_at",
            "participants",
            "materials",
        ]


class MeetingListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "title", "location", "starts_at", "ends_at", "chair", "organiser", "state"]


def _people():
    return Person.objects.filter(is_active=True)


class MeetingInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    agenda = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    location = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    chair = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False, allow_null=True, default=None)
    participants = serializers.PrimaryKeyRelatedField(queryset=_people(), many=True, required=False, default=list)


class AnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class InviteAgenciesSerializer(serializers.Serializer):
    agency_codes = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)
    file = serializers.FileField(help_text="The invitation (Giấy mời), PDF")
    signer_name = serializers.CharField(max_length=50)
    signer_position = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class AgencyAnswerSerializer(serializers.Serializer):
    agency = serializers.IntegerField(help_text="id of the invited agency")
    accept = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class MaterialInSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, DOCX, XLSX or ODT")


class RowSerializer(serializers.Serializer):
    start = serializers.TimeField()
    end = serializers.TimeField(allow_null=True)
    title = serializers.CharField()
    location = serializers.CharField()
    leaders = serializers.ListField(child=serializers.CharField())
    source = serializers.ChoiceField(choices=["meeting", "entry"])
    pk = serializers.IntegerField()


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    rows = RowSerializer(many=True)


class PublicationSerializer(serializers.Serializer):
    published_by = serializers.IntegerField(source="published_by_id")
    published_at = serializers.DateTimeField()
    note = serializers.CharField()


class WeekSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    week = serializers.IntegerField()
    hidden = serializers.BooleanField(help_text="Not published: only clerks and leaders see it")
    publication = PublicationSerializer(allow_null=True)
    days = DaySerializer(many=True)


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduleEntry
        fields = ["id", "day", "start_time", "end_time", "title", "location", "people", "note", "document"]
        read_only_fields = ["id", "document"]
        extra_kwargs = {"people": {"required": False}}


_ERRORS = {
    400: OpenApiResponse(description="Invalid, per field"),
    403: OpenApiResponse(description="Not allowed"),
    404: OpenApiResponse(description="Not found"),
}


# --- viewsets -------------------------------------------------------------------------------


class MeetingViewSet(viewsets.GenericViewSet):
    """`/api/v1/workflow/meetings/…`: meetings the caller organises, chairs or is invited to
    (every meeting of the agency for its clerks and leaders)."""

    serializer_class = MeetingSerializer
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.meetings_for(self.request.user, upcoming=self.request.query_params.get("past") != "1")

    def _out(self, m: Meeting, status: int = 200) -> Response:
        m = Meeting.objects.prefetch_related("participants__person", "participants__agency", "materials__blob").get(
            pk=m.pk
        )
        return Response(MeetingSerializer(m).data, status=status)

    @extend_schema(
        summary="The caller's meetings, soonest first (past=1: the earlier ones, latest first)",
        parameters=[OpenApiParameter("past", OpenApiTypes.INT, enum=[0, 1], required=False)],
        responses={200: MeetingListSerializer(many=True)},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MeetingListSerializer(page, many=True).data)

    @extend_schema(summary="One meeting", responses={200: MeetingSerializer, 404: _ERRORS[404]})
    def retrieve(self, request, pk=None):
        return self._out(selectors.get_meeting(request.user, pk))

    @extend_schema(
        summary="Call a meeting and invite people of the agency (leaders, unit heads, clerks)",
        request=MeetingInSerializer,
        responses={201: MeetingSerializer, **_ERRORS},
    )
    def create(self, request):
        s = MeetingInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(services.create_meeting(request.user, **s.validated_data), 201)

    @extend_schema(
        summary="Attend or decline (with the reason) before the meeting starts",
        request=AnswerSerializer,
        responses={200: MeetingSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        m = selectors.get_meeting(request.user, pk)
        s = AnswerSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.answer(request.user, m, **s.validated_data)
        return self._out(m)

    @extend_schema(
        summary="Cancel the meeting (the invitees are told)",
        request=CancelSerializer,
        responses={200: MeetingSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        m = selectors.get_meeting(request.user, pk)
        s = CancelSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(services.cancel_meeting(request.user, m, reason=s.validated_data["reason"]))

    @extend_schema(
        summary="Invite other agencies: register the Giấy mời and send it through the exchange (clerks)",
        request={"multipart/form-data": InviteAgenciesSerializer},
        responses={200: MeetingSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="invite-agencies")
    def invite_agencies(self, request, pk=None):
        m = selectors.get_meeting(request.user, pk)
        s = InviteAgenciesSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        services.invite_agencies(
            request.user,
            m,
            agency_codes=d["agency_codes"],
            upload=Upload.from_django(d["file"]),
            signer_name=d["signer_name"],
            signer_position=d["signer_position"],
        )
        return self._out(m)

    @extend_schema(
        summary="Record an invited agency's answer (organiser or clerk)",
        request=AgencyAnswerSerializer,
        responses={200: MeetingSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="agency-answer")
    def agency_answer(self, request, pk=None):
        m = selectors.get_meeting(request.user, pk)
        s = AgencyAnswerSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        p = m.participants.filter(agency_id=s.validated_data["agency"]).select_related("agency").first()
        if p is None:
            raise serializers.ValidationError({"agency": [_("This agency was not invited.")]})
        services.record_agency_answer(
            request.user, m, p.agency, accept=s.validated_data["accept"], note=s.validated_data["note"]
        )
        return self._out(m)

    @extend_schema(
        summary="Add a material to the agenda",
        request={"multipart/form-data": MaterialInSerializer},
        responses={201: MaterialSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def materials(self, request, pk=None):
        m = selectors.get_meeting(request.user, pk)
        s = MaterialInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        material = services.add_material(request.user, m, upload=Upload.from_django(s.validated_data["file"]))
        return Response(MaterialSerializer(material).data, status=201)


_WEEK = r"(?P<year>\d{4})/(?P<week>\d{1,2})"


class ScheduleViewSet(viewsets.GenericViewSet):
    """`/api/v1/workflow/schedule/<year>/<week>/`: the caller's agency's leaders' schedule of an
    ISO week (hidden while unpublished from those who neither keep it nor lead)."""

    serializer_class = WeekSerializer
    pagination_class = None

    def get_queryset(self):  # the schedule is built by the selector, not a queryset
        return ScheduleEntry.objects.none()

    def _week(self, year, week) -> tuple[int, int]:
        year, week = int(year), int(week)
        try:
            selectors.monday_of(year, week)
        except ValueError as exc:
            raise Http404 from exc
        if self.request.user.agency_id is None:
            raise Http404
        return year, week

    @extend_schema(summary="The leaders' schedule of one ISO week", responses={200: WeekSerializer, 404: _ERRORS[404]})
    @action(detail=False, methods=["get"], url_path=_WEEK)
    def week(self, request, year=None, week=None):
        year, week = self._week(year, week)
        s = selectors.week_schedule(request.user.agency, year, week, person=request.user)
        return Response(WeekSerializer(s).data)

    @extend_schema(
        summary="Publish (or publish again) the week (clerks and leaders)",
        request=PublishSerializer,
        responses={200: WeekSerializer, **_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path=_WEEK + "/publish")
    def publish(self, request, year=None, week=None):
        year, week = self._week(year, week)
        s = PublishSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.publish_week(request.user, request.user.agency, year, week, note=s.validated_data["note"])
        return Response(
            WeekSerializer(selectors.week_schedule(request.user.agency, year, week, person=request.user)).data
        )


class ScheduleEntryViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """`/api/v1/workflow/schedule-entries/`: lines of the caller's agency's schedule."""

    serializer_class = EntrySerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return ScheduleEntry.objects.none()

    @extend_schema(summary="Add a schedule entry (clerks and leaders)", responses={201: EntrySerializer, **_ERRORS})
    def create(self, request, *args, **kwargs):
        s = EntrySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = dict(s.validated_data)
        d["people"] = list(d.get("people", []))
        entry = services.add_entry(request.user, **d)
        return Response(EntrySerializer(entry).data, status=201)

    @extend_schema(summary="Change a schedule entry (clerks and leaders)", responses={200: EntrySerializer, **_ERRORS})
    def update(self, request, pk=None, partial=False):
        entry = selectors.get_entry(request.user, pk)
        s = EntrySerializer(entry, data=request.data, partial=partial)
        s.is_valid(raise_exception=True)
        current = {
            "day": entry.day,
            "start_time": entry.start_time,
            "end_time": entry.end_time,
            "title": entry.title,
            "location": entry.location,
            "people": list(entry.people.all()),
            "note": entry.note,
        }
        d = {**current, **s.validated_data}
        d["people"] = list(d["people"])
        entry = services.update_entry(request.user, entry, **d)
        return Response(EntrySerializer(entry).data)

    @extend_schema(summary="Change some fields of a schedule entry", responses={200: EntrySerializer, **_ERRORS})
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(summary="Remove a schedule entry", responses={204: None, 403: _ERRORS[403], 404: _ERRORS[404]})
    def destroy(self, request, pk=None):
        services.delete_entry(request.user, selectors.get_entry(request.user, pk))
        return Response(status=204)


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
    router.register("workflow/meetings", MeetingViewSet, basename="api-meeting")
    router.register("workflow/schedule", ScheduleViewSet, basename="api-schedule")
    router.register("workflow/schedule-entries", ScheduleEntryViewSet, basename="api-schedule-entry")
