"""REST API for documents. Serializers read and shape; services write; selectors read."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from vanban.orgs.selectors import units_of

from . import selectors, services
from .downloads import file_response
from .models import (
    Channel,
    Confidentiality,
    DeliveryMode,
    Direction,
    Document,
    DocumentFile,
    DocumentType,
    Urgency,
)
from .services import Upload


class DocumentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentType
        fields = ["code", "name", "abbreviation", "issuable", "may_be_legal"]


class DocumentFileSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(source="blob.size")
    mime = serializers.CharField(source="blob.mime")
    sha256 = serializers.CharField(source="blob_id")
    url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentFile
        fields = ["id", "name", "role", "size", "mime", "sha256", "pages", "url"]

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        path = f"/api/v1/documents/{obj.document_id}/files/{obj.pk}/content/"
        return request.build_absolute_uri(path) if request else path


class AgencyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    identifier = serializers.CharField()
    name = serializers.CharField()


class DocumentSerializer(serializers.ModelSerializer):
    type = DocumentTypeSerializer(source="doc_type")
    code = serializers.CharField(read_only=True)
    arrival_number = serializers.IntegerField(read_only=True, allow_null=True)
    agency = AgencyRefSerializer()
    drafting_unit = serializers.SerializerMethodField()
    files = DocumentFileSerializer(many=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "agency",
            "direction",
            "type",
            "is_legal",
            "number",
            "notation",
            "code",
            "arrival_number",
            "reg_year",
            "issued_date",
            "place",
            "issuer_name",
            "issuer_identifier",
            "subject",
            "language",
            "pages",
            "signer_name",
            "signer_position",
            "recipients",
            "copies",
            "due_date",
            "urgency",
            "confidentiality",
            "delivery_mode",
            "drafting_unit",
            "received_at",
            "channel",
            "handling_status",
            "description",
            "files",
            "created_at",
        ]

    def get_drafting_unit(self, obj) -> str | None:
        return obj.drafting_unit.notation if obj.drafting_unit_id else None


class RegistrationResultSerializer(DocumentSerializer):
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "warnings"]


def _choices_help(choices) -> str:
    return ", ".join(choices.values)


class _TypeField(serializers.CharField):
    default_error_messages = {
        "unknown": gettext_lazy(
            "Unknown document type “{value}”. Use an abbreviation (QĐ, TB, KH…) or a name (Công văn)."
        )
    }

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        found = selectors.find_document_type(value)
        if found is None:
            self.fail("unknown", value=value)
        return found


class _CreateSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="The document's main file.")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    type = _TypeField(help_text="Decree 30 abbreviation (QĐ, TB, KH…) or Vietnamese name (Công văn).")
    is_legal = serializers.BooleanField(required=False, default=False, help_text="A legal normative document.")
    subject = serializers.CharField(max_length=500)
    urgency = serializers.CharField(
        required=False, default="normal", help_text=f"normal or a level: {_choices_help(Urgency)} (or Khẩn…)."
    )
    confidentiality = serializers.CharField(
        required=False, default="normal", help_text=f"normal or a level: {_choices_help(Confidentiality)} (or Mật…)."
    )
    delivery_mode = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_choices_help(DeliveryMode)
    )
    signer_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    signer_position = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    recipients = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    pages = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=9999)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def uploads(self) -> list[Upload]:
        d = self.validated_data
        files = ([d["file"]] if d.get("file") else []) + list(d.get("attachments") or [])
        return [Upload.from_django(f) for f in files]


class IncomingCreateSerializer(_CreateSerializer):
    issuer_name = serializers.CharField(max_length=200)
    issuer_identifier = serializers.CharField(max_length=13, required=False, allow_blank=True, default="")
    original_code = serializers.CharField(
        max_length=45,
        required=False,
        allow_blank=True,
        default="",
        help_text="Number and notation as written, e.g. 15/QĐ-UBND.",
    )
    issued_date = serializers.DateField()
    channel = serializers.CharField(required=False, default="system", help_text=_choices_help(Channel))
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class OutgoingCreateSerializer(_CreateSerializer):
    issued_date = serializers.DateField(required=False, allow_null=True, default=None)
    unit = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Drafting unit's abbreviation (e.g. VP); required for official letters.",
    )
    internal = serializers.BooleanField(
        required=False, default=False, help_text="An internal document rather than an outgoing one."
    )
    copies = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=999)

    def validate_unit(self, value):
        if not value:
            return None
        user = self.context["request"].user
        unit = units_of(user.agency_id).filter(notation__iexact=value.strip()).first()
        if unit is None:
            raise ValidationError(_("Your agency has no active unit “%(unit)s”.") % {"unit": value})
        return unit


def _register_params() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("direction", str, enum=Direction.values, description="incoming, outgoing or internal"),
        OpenApiParameter("year", int, description="Register year"),
        OpenApiParameter("type", str, description="Type abbreviation or name"),
        OpenApiParameter("urgent", bool),
        OpenApiParameter("unhandled", bool),
        OpenApiParameter("date_from", OpenApiTypes.DATE),
        OpenApiParameter("date_to", OpenApiTypes.DATE),
    ]


@extend_schema_view(
    list=extend_schema(
        summary="Documents the caller may see",
        parameters=_register_params(),
        responses={200: DocumentSerializer(many=True), 400: OpenApiResponse(description="Bad filter")},
    ),
    retrieve=extend_schema(
        summary="One document", responses={200: DocumentSerializer, 404: OpenApiResponse(description="Not found")}
    ),
)
class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DocumentSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        qs = (
            selectors.visible_documents(self.request.user)
            .select_related("doc_type", "agency", "drafting_unit")
            .prefetch_related("files__blob")
        )
        if self.action != "list":
            return qs
        p = self.request.query_params
        errors = {}
        f = selectors.RegisterFilter(book=None)
        if p.get("direction"):
            if p["direction"] not in Direction.values:
                errors["direction"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Direction.values)}]
            f.direction = p["direction"]
        if p.get("year"):
            if not p["year"].isdigit():
                errors["year"] = [_("Enter a year, e.g. 2026.")]
            else:
                f.year = int(p["year"])
        if p.get("type"):
            f.doc_type = selectors.find_document_type(p["type"])
            if f.doc_type is None:
                errors["type"] = [_("Unknown document type.")]
        f.urgent = p.get("urgent") in ("1", "true")
        f.unhandled = p.get("unhandled") in ("1", "true")
        for name in ("date_from", "date_to"):
            if p.get(name):
                try:
                    setattr(f, name, dt.date.fromisoformat(p[name]))
                except ValueError:
                    errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        if errors:
            raise ValidationError(errors)
        qs = selectors.filtered(qs, f)
        return qs.order_by("-reg_year", "-reg_seq", "-pk")

    def _created(self, result):
        doc = self.get_queryset().get(pk=result.document.pk)
        doc.warnings = result.warnings
        return Response(RegistrationResultSerializer(doc, context={"request": self.request}).data, status=201)

    @extend_schema(
        summary="Register an incoming document",
        request={"multipart/form-data": IncomingCreateSerializer},
        responses={
            201: RegistrationResultSerializer,
            400: OpenApiResponse(description="Invalid input, per field"),
            403: OpenApiResponse(description="Not a clerk"),
        },
    )
    @action(detail=False, methods=["post"], url_path="incoming")
    def incoming(self, request):
        s = IncomingCreateSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        result = services.register_incoming(
            request.user, uploads=s.uploads(), **services.service_arguments(s.validated_data)
        )
        return self._created(result)

    @extend_schema(
        summary="Number and register an outgoing (or internal) document",
        request={"multipart/form-data": OutgoingCreateSerializer},
        responses={
            201: RegistrationResultSerializer,
            400: OpenApiResponse(description="Invalid input, per field"),
            403: OpenApiResponse(description="Not a clerk"),
        },
    )
    @action(detail=False, methods=["post"], url_path="outgoing")
    def outgoing(self, request):
        s = OutgoingCreateSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        result = services.register_outgoing(
            request.user, uploads=s.uploads(), **services.service_arguments(s.validated_data)
        )
        return self._created(result)

    @extend_schema(
        summary="A document file's content (integrity-checked)",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not found"),
            500: OpenApiResponse(description="Stored file failed its integrity check"),
        },
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_pk>\d+)/content")
    def file_content(self, request, pk=None, file_pk=None):
        return file_response(selectors.get_file(request.user, pk, file_pk), inline=False)


@extend_schema_view(list=extend_schema(summary="Decree 30 document types"))
class DocumentTypeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DocumentTypeSerializer
    queryset = DocumentType.objects.all()
    lookup_field = "code"
    pagination_class = None
