"""REST API of the workflow: assign a document, re-assign, report progress, finish; the worklist."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vanban.documents import selectors as documents
from vanban.orgs.models import Person, Unit

from ..models import Assignment, Handler, ProgressEntry
from ..selectors import assignment as selectors
from ..services import assignment as services


class HandlerSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Handler
        fields = ["role", "unit", "person", "name"]

    def get_name(self, obj) -> str:
        return obj.unit.name if obj.unit_id else obj.person.get_full_name()


class ProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressEntry
        fields = ["person", "note", "at"]


class AssignmentSerializer(serializers.ModelSerializer):
    handlers = HandlerSerializer(many=True, read_only=True)
    progress = ProgressSerializer(many=True, read_only=True)
    document_subject = serializers.CharField(source="document.subject", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "document",
            "document_subject",
            "parent",
            "assigned_by",
            "instruction",
            "deadline",
            "state",
            "created_at",
            "finished_at",
            "finished_by",
            "result",
            "reply",
            "handlers",
            "progress",
        ]


class TargetField(serializers.Field):
    """A handler: {"unit": id} or {"person": id}."""

    def to_internal_value(self, data):
        if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in ("unit", "person"):
            raise serializers.ValidationError(_('Give {"unit": id} or {"person": id}.'))
        kind, pk = next(iter(data.items()))
        model = Unit if kind == "unit" else Person
        try:
            return model.objects.get(pk=int(pk))
        except (model.DoesNotExist, TypeError, ValueError) as exc:
            raise serializers.ValidationError(_("No such unit or person: %(pk)s.") % {"pk": pk}) from exc

    def to_representation(self, value):  # pragma: no cover - write only
        return {"unit" if isinstance(value, Unit) else "person": value.pk}


class AssignSerializer(serializers.Serializer):
    lead = TargetField()
    co = serializers.ListField(child=TargetField(), required=False, default=list)
    readers = serializers.ListField(child=TargetField(), required=False, default=list)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    instruction = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ProgressInSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000)


class FinishSerializer(serializers.Serializer):
    result = serializers.CharField(max_length=4000)
    reply = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="id of the reply")


class WorklistSerializer(serializers.Serializer):
    to_handle = AssignmentSerializer(many=True)
    co_handling = AssignmentSerializer(many=True)
    for_information = AssignmentSerializer(many=True)
    overdue = AssignmentSerializer(many=True)
    done = AssignmentSerializer(many=True)


_ERRORS = {
    400: OpenApiResponse(description="Invalid, per field"),
    403: OpenApiResponse(description="Not allowed to act on it"),
    404: OpenApiResponse(description="Not found"),
}


class AssignmentViewSet(viewsets.GenericViewSet):
    """`/api/v1/workflow/assignments/…`: actions on work the caller may read."""

    serializer_class = AssignmentSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Assignment.objects.filter(document__in=documents.visible_documents(self.request.user))

    def _assignment(self, pk) -> Assignment:
        try:
            return self.get_queryset().select_related("document").get(pk=pk)
        except (Assignment.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def _out(self, a: Assignment, status: int = 200) -> Response:
        a = Assignment.objects.prefetch_related("handlers__unit", "handlers__person", "progress").get(pk=a.pk)
        return Response(AssignmentSerializer(a).data, status=status)

    @extend_schema(summary="One piece of work", responses={200: AssignmentSerializer, 404: _ERRORS[404]})
    def retrieve(self, request, pk=None):
        return self._out(self._assignment(pk))

    @extend_schema(summary="The caller's work, by list", responses={200: WorklistSerializer})
    @action(detail=False, methods=["get"])
    def mine(self, request):
        work = selectors.worklist(request.user)
        every = {a.pk: a for items in vars(work).values() for a in items}
        prefetch_related_objects(list(every.values()), "handlers__unit", "handlers__person", "progress")
        return Response(WorklistSerializer(work).data)

    @extend_schema(
        summary="Assign an incoming document (leader, or clerk on the leader's behalf)",
        request=AssignSerializer,
        responses={201: AssignmentSerializer, **_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path=r"documents/(?P<document_pk>\d+)/assign")
    def assign(self, request, document_pk=None):
        doc = documents.get_document(request.user, document_pk)
        s = AssignSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(services.assign(request.user, doc, **s.validated_data), 201)

    @extend_schema(
        summary="Re-assign inside the lead unit (its head)",
        request=AssignSerializer,
        responses={201: AssignmentSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        a = self._assignment(pk)
        s = AssignSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(services.reassign(request.user, a, **s.validated_data), 201)

    @extend_schema(
        summary="Report progress", request=ProgressInSerializer, responses={200: AssignmentSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        a = self._assignment(pk)
        s = ProgressInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.record_progress(request.user, a, s.validated_data["note"])
        return self._out(a)

    @extend_schema(
        summary="Finish with the result", request=FinishSerializer, responses={200: AssignmentSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        a = self._assignment(pk)
        s = FinishSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        reply = None
        if s.validated_data["reply"] is not None:
            reply = documents.visible_documents(request.user).filter(pk=s.validated_data["reply"]).first()
            if reply is None:
                raise serializers.ValidationError({"reply": [_("No such document.")]})
        return self._out(services.finish(request.user, a, result=s.validated_data["result"], reply=reply))
