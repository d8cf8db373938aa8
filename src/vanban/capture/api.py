"""REST API of the capture room: /api/v1/capture/captures/. Serializers read and shape; services
write; selectors read (the caller's own agency, clerks and administrators)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from vanban.documents.models import Document
from vanban.documents.services import Upload

from . import selectors, services, views
from .archival import FIELDS
from .forms import incoming_documents
from .models import Capture

METADATA = list(FIELDS)


class CaptureSerializer(serializers.ModelSerializer):
    document = serializers.PrimaryKeyRelatedField(read_only=True)
    sha256 = serializers.CharField(source="original_id", read_only=True)
    size = serializers.IntegerField(source="original.size", read_only=True)
    pdfa_sha256 = serializers.CharField(source="pdfa_id", read_only=True, allow_null=True)
    original_url = serializers.SerializerMethodField()
    pdfa_url = serializers.SerializerMethodField()

    class Meta:
        model = Capture
        fields = [
            "id",
            "document",
            "original_name",
            "kind",
            "sha256",
            "size",
            "status",
            "attempts",
            "last_error",
            "digitised",
            "text",
            "pdfa_sha256",
            "original_url",
            "pdfa_url",
            "created_at",
            "finished_at",
            *METADATA,
        ]
        read_only_fields = fields

    def _url(self, obj, what: str) -> str:
        request = self.context.get("request")
        path = f"/api/v1/capture/captures/{obj.pk}/{what}/"
        return request.build_absolute_uri(path) if request else path

    def get_original_url(self, obj) -> str:
        return self._url(obj, "original")

    def get_pdfa_url(self, obj) -> str | None:
        return self._url(obj, "pdfa") if obj.pdfa_id else None


class CaptureCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The scan: PDF, TIFF, JPEG or PNG (several pages allowed).")
    document = serializers.PrimaryKeyRelatedField(
        queryset=Document.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of one of the agency's incoming documents; omit for an archival record.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["document"].queryset = incoming_documents(request.user)
        # Archival metadata (TT 02/2019): every field optional, checked by the service.
        for name in METADATA:
            model_field = Capture._meta.get_field(name)
            if name in ("doc_ordinal", "page_amount"):
                field = serializers.IntegerField(min_value=0, max_value=2_000_000_000)
            elif name == "issued_date":
                field = serializers.DateField()
            else:
                field = serializers.CharField(max_length=model_field.max_length, allow_blank=True)
            field.required = False
            field.allow_null = True
            field.help_text = f"{FIELDS[name][0]}: {model_field.verbose_name}"
            self.fields[name] = field

    def metadata(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k in FIELDS}


class ArchiveSearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=500)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000, default=0)


class ArchiveHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The capture")
    title = serializers.CharField()
    file = serializers.CharField(help_text="The scan's file name")
    snippet = serializers.CharField(help_text="HTML: escaped text, matches in <mark>")
    score = serializers.FloatField()


class ArchiveResultsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    more = serializers.BooleanField(help_text="More records match than the ranking window: narrow the search.")
    results = ArchiveHitSerializer(many=True)


@extend_schema_view(
    list=extend_schema(
        summary="Scans of the caller's agency",
        parameters=[OpenApiParameter("status", str, enum=Capture.Status.values)],
        responses={200: CaptureSerializer(many=True)},
        description="Empty for anyone but the agency's clerks and administrators.",
    ),
    retrieve=extend_schema(
        summary="One scan, with its recognised text",
        responses={200: CaptureSerializer, 404: OpenApiResponse(description="Not found")},
    ),
    create=extend_schema(
        summary="Upload a scan (its OCR is queued)",
        request={"multipart/form-data": CaptureCreateSerializer},
        responses={
            201: CaptureSerializer,
            400: OpenApiResponse(description="Refused scan or invalid metadata, per field"),
            403: OpenApiResponse(description="Not a clerk"),
        },
    ),
)
class CaptureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CaptureSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        qs = selectors.visible_captures(self.request.user).select_related("original")
        if self.action == "list":
            status = self.request.query_params.get("status")
            if status:
                if status not in Capture.Status.values:
                    raise ValidationError(
                        {"status": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Capture.Status.values)}]}
                    )
                qs = qs.filter(status=status)
        return qs

    def create(self, request):
        s = CaptureCreateSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        capture = services.capture_scan(
            request.user,
            upload=Upload.from_django(s.validated_data["file"]),
            document=s.validated_data["document"],
            metadata=s.metadata(),
        )
        capture = self.get_queryset().get(pk=capture.pk)
        return Response(CaptureSerializer(capture, context={"request": request}).data, status=201)

    @extend_schema(
        summary="Search the agency's archival records (metadata and recognised text)",
        parameters=[
            OpenApiParameter("q", str, required=True, description='Words, "phrases", prefixes (liên th*)'),
            OpenApiParameter("limit", int, description="1–100, default 20"),
            OpenApiParameter("offset", int, description="default 0"),
        ],
        responses={200: ArchiveResultsSerializer, 400: OpenApiResponse(description="Invalid parameters")},
    )
    @action(detail=False, methods=["get"])
    def search(self, request):
        params = ArchiveSearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        d = params.validated_data
        found = services.search_archive(request.user, d["q"], limit=d["limit"], offset=d["offset"])
        subjects = dict(
            selectors.visible_captures(request.user)
            .filter(pk__in=[h.source_id for h in found.hits])
            .values_list("pk", "original_name")
        )
        results = [
            {
                "id": h.source_id,
                "title": h.title,
                "file": subjects.get(h.source_id, ""),
                "snippet": h.snippet,
                "score": h.score,
            }
            for h in found.hits
        ]
        return Response({"count": found.total, "more": found.more, "results": results})

    @extend_schema(
        summary="Queue a scan's OCR again (a failed or stuck one)",
        request=None,
        responses={
            200: CaptureSerializer,
            400: OpenApiResponse(description="Already waiting for OCR"),
            403: OpenApiResponse(description="Not a clerk"),
            404: OpenApiResponse(description="Not found"),
        },
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        capture = services.rerun(request.user, self.get_object())
        capture = self.get_queryset().get(pk=capture.pk)
        return Response(CaptureSerializer(capture, context={"request": request}).data)

    @extend_schema(
        summary="The original scan, byte for byte (integrity-checked)",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not found"),
        },
    )
    @action(detail=True, methods=["get"])
    def original(self, request, pk=None):
        return views.original_response(self.get_object())

    @extend_schema(
        summary="The PDF/A-2b copy with its text layer",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="None (yet)")},
    )
    @action(detail=True, methods=["get"])
    def pdfa(self, request, pk=None):
        return views.pdfa_response(self.get_object())
