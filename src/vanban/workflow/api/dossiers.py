"""REST API of work dossiers and hand-overs to the archive: the same services and selectors as the
pages, errors per field in Vietnamese."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vanban.api import MAX_ID
from vanban.documents import selectors as documents
from vanban.orgs.models import Person, Unit

from ..models import Dossier, DossierItem, Handover
from ..models.dossiers import MAINTENANCE
from ..selectors import dossiers as selectors
from ..services import dossiers as services


class ItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="document.code", read_only=True)
    subject = serializers.CharField(source="document.subject", read_only=True)
    issued_date = serializers.DateField(source="document.issued_date", read_only=True)
    pages = serializers.IntegerField(source="document.pages", read_only=True, allow_null=True)

    class Meta:
        model = DossierItem
        fields = ["ordinal", "document", "code", "subject", "issued_date", "pages", "added_by", "added_at"]


class DossierSerializer(serializers.ModelSerializer):
    file_code = serializers.CharField(read_only=True)
    doc_total = serializers.IntegerField(read_only=True)
    page_total = serializers.IntegerField(read_only=True)
    handover_due = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Dossier
        fields = [
            "id",
            "file_code",
            "year",
            "notation",
            "title",
            "maintenance",
            "rights",
            "creator",
            "unit",
            "language",
            "start_date",
            "end_date",
            "description",
            "state",
            "doc_total",
            "page_total",
            "created_at",
            "closed_at",
            "handover",
            "handover_due",
        ]


class DossierDetailSerializer(DossierSerializer):
    items = serializers.SerializerMethodField()

    class Meta(DossierSerializer.Meta):
        fields = [*DossierSerializer.Meta.fields, "items"]

    @extend_schema_field(ItemSerializer(many=True))
    def get_items(self, obj) -> list[dict]:
        """Only the documents the caller may read."""
        return ItemSerializer(selectors.items_visible(self.context["request"].user, obj), many=True).data


class DossierInSerializer(serializers.Serializer):
    """Metadata of a dossier; on update, only the fields given change."""

    year = serializers.IntegerField(help_text="FileCatalog (creation only)")
    notation = serializers.CharField(max_length=20, help_text="FileNotation")
    title = serializers.CharField(max_length=500)
    maintenance = serializers.ChoiceField(choices=[(m, m) for m in MAINTENANCE])
    rights = serializers.ChoiceField(choices=Dossier.Rights.choices, required=False)
    creator = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    language = serializers.CharField(max_length=50, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DocumentRefSerializer(serializers.Serializer):
    document = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="id of a document the caller may read")


class CloseSerializer(serializers.Serializer):
    end_date = serializers.DateField(required=False, allow_null=True, default=None)


class HandoverSerializer(serializers.ModelSerializer):
    dossiers = DossierSerializer(many=True, read_only=True)

    class Meta:
        model = Handover
        fields = ["id", "handed_on", "received_by", "note", "created_by", "created_at", "dossiers"]


class HandoverInSerializer(serializers.Serializer):
    dossiers = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False)
    handed_on = serializers.DateField()
    received_by = serializers.CharField(max_length=100)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


_ERRORS = {
    400: OpenApiResponse(description="Invalid, per field"),
    403: OpenApiResponse(description="Not allowed to act on it"),
    404: OpenApiResponse(description="Not found"),
}


class DossierViewSet(viewsets.GenericViewSet):
    """`/api/v1/workflow/dossiers/…`: the dossiers of the caller's agency."""

    serializer_class = DossierSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.dossiers_for(self.request.user)

    def _out(self, d: Dossier, status: int = 200) -> Response:
        d = selectors.get_dossier(self.request.user, d.pk)
        return Response(DossierDetailSerializer(d, context={"request": self.request}).data, status=status)

    def _document(self, request):
        s = DocumentRefSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        try:
            return documents.get_document(request.user, s.validated_data["document"])
        except Http404 as exc:
            raise serializers.ValidationError({"document": [_("No such document.")]}) from exc

    @extend_schema(
        summary="Dossiers of the caller's agency",
        parameters=[
            OpenApiParameter("year", int, description="FileCatalog"),
            OpenApiParameter("state", str, enum=Dossier.State.values),
        ],
        responses={200: DossierSerializer(many=True)},
    )
    def list(self, request):
        year = request.query_params.get("year")
        state = request.query_params.get("state") or None
        qs = selectors.dossiers_for(request.user, year=int(year) if year and year.isdecimal() else None, state=state)
        page = self.paginate_queryset(qs)
        if page is not None:
            return self.get_paginated_response(DossierSerializer(page, many=True).data)
        return Response(DossierSerializer(qs, many=True).data)

    @extend_schema(
        summary="One dossier, with the documents the caller may read",
        responses={200: DossierDetailSerializer, 404: _ERRORS[404]},
    )
    def retrieve(self, request, pk=None):
        return self._out(selectors.get_dossier(request.user, pk))

    @extend_schema(
        summary="Open a dossier", request=DossierInSerializer, responses={201: DossierDetailSerializer, **_ERRORS}
    )
    def create(self, request):
        s = DossierInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(services.open_dossier(request.user, **s.validated_data), 201)

    @extend_schema(
        summary="Change an open dossier's metadata (the fields given)",
        request=DossierInSerializer,
        responses={200: DossierDetailSerializer, **_ERRORS},
    )
    def partial_update(self, request, pk=None):
        d = selectors.get_dossier(request.user, pk)
        s = DossierInSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        changes = dict(s.validated_data)
        if "year" in changes:
            raise serializers.ValidationError({"year": [_("This field cannot be changed.")]})
        return self._out(services.update_dossier(request.user, d, **changes))

    @extend_schema(
        summary="Change an open dossier's metadata (all of it)",
        request=DossierInSerializer,
        responses={200: DossierDetailSerializer, **_ERRORS},
    )
    def update(self, request, pk=None):
        d = selectors.get_dossier(request.user, pk)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send the dossier's fields as an object.")]})
        s = DossierInSerializer(data={"year": d.year, **request.data})
        s.is_valid(raise_exception=True)
        changes = dict(s.validated_data)
        if changes.pop("year") != d.year:
            raise serializers.ValidationError({"year": [_("This field cannot be changed.")]})
        return self._out(services.update_dossier(request.user, d, **changes))

    @extend_schema(
        summary="File a document in the dossier",
        request=DocumentRefSerializer,
        responses={200: DossierDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="add-document")
    def add_document(self, request, pk=None):
        d = selectors.get_dossier(request.user, pk)
        services.add_document(request.user, d, self._document(request))
        return self._out(d)

    @extend_schema(
        summary="Take a document out of the dossier",
        request=DocumentRefSerializer,
        responses={200: DossierDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="remove-document")
    def remove_document(self, request, pk=None):
        d = selectors.get_dossier(request.user, pk)
        services.remove_document(request.user, d, self._document(request))
        return self._out(d)

    @extend_schema(
        summary="Close the dossier", request=CloseSerializer, responses={200: DossierDetailSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        d = selectors.get_dossier(request.user, pk)
        s = CloseSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(services.close_dossier(request.user, d, end_date=s.validated_data["end_date"]))

    @extend_schema(summary="Reopen a closed dossier", request=None, responses={200: DossierDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        d = selectors.get_dossier(request.user, pk)
        return self._out(services.reopen(request.user, d))


class HandoverViewSet(viewsets.GenericViewSet):
    """`/api/v1/workflow/handovers/…`: hand-overs of the caller's agency to its archive."""

    serializer_class = HandoverSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.handovers_for(self.request.user)

    @extend_schema(summary="Hand-overs of the caller's agency", responses={200: HandoverSerializer(many=True)})
    def list(self, request):
        qs = self.get_queryset().prefetch_related("dossiers__agency")
        page = self.paginate_queryset(qs)
        if page is not None:
            return self.get_paginated_response(HandoverSerializer(page, many=True).data)
        return Response(HandoverSerializer(qs, many=True).data)

    @extend_schema(
        summary="One hand-over with its content list", responses={200: HandoverSerializer, 404: _ERRORS[404]}
    )
    def retrieve(self, request, pk=None):
        return Response(HandoverSerializer(selectors.get_handover(request.user, pk)).data)

    @extend_schema(
        summary="Hand closed dossiers over to the archive (clerks, leaders); all or none",
        request=HandoverInSerializer,
        responses={201: HandoverSerializer, **_ERRORS},
    )
    def create(self, request):
        s = HandoverInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        wanted = list(dict.fromkeys(data["dossiers"]))
        found = {d.pk: d for d in selectors.dossiers_for(request.user).filter(pk__in=wanted)}
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            raise serializers.ValidationError(
                {"dossiers": [_("No such dossier: %(pk)s.") % {"pk": pk} for pk in missing]}
            )
        h = services.hand_over(
            request.user,
            [found[pk] for pk in wanted],
            handed_on=data["handed_on"],
            received_by=data["received_by"],
            note=data["note"],
        )
        return Response(HandoverSerializer(selectors.get_handover(request.user, h.pk)).data, status=201)


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
    router.register("workflow/dossiers", DossierViewSet, basename="api-dossier")
    router.register("workflow/handovers", HandoverViewSet, basename="api-handover")
