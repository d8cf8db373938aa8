"""GET /api/v1/search/: permission-scoped full-text search."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from vanban.documents.models import Direction, Urgency
from vanban.documents.selectors import find_document_type
from vanban.orgs.models import Agency

from . import services


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    agency = serializers.CharField(required=False, allow_blank=True, default="")
    direction = serializers.CharField(required=False, allow_blank=True, default="")
    type = serializers.CharField(required=False, allow_blank=True, default="")
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    signer = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    urgency = serializers.CharField(required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(required=False, min_value=0, default=0)

    def validate_agency(self, value):
        value = value.strip()
        if not value:
            return None
        cond = Q(code=value) | Q(identifier=value)
        if value.isdigit():
            cond |= Q(pk=int(value))
        agency = Agency.objects.filter(cond).first()
        if agency is None:
            raise serializers.ValidationError(_("Unknown agency."))
        return agency

    def validate_direction(self, value):
        return self._choice(Direction, value)

    def validate_urgency(self, value):
        return self._choice(Urgency, value)

    def validate_type(self, value):
        if not value.strip():
            return None
        t = find_document_type(value)
        if t is None:
            raise serializers.ValidationError(_("Unknown document type."))
        return t

    @staticmethod
    def _choice(choices, value):
        if not value.strip():
            return None
        member = choices.parse(value)
        if member is None:
            raise serializers.ValidationError(_("Not a valid choice."))
        return member.value


class HitSerializer(serializers.Serializer):
    document_id = serializers.IntegerField()
    code = serializers.CharField()
    subject = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML: escaped text with the matched words in <mark>.")
    score = serializers.FloatField()


class ResultsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Matches; when `more`, the size of the ranking window.")
    more = serializers.BooleanField(
        help_text="More documents match than the ranking window (the newest 1,000 are ranked): narrow the search."
    )
    hits = HitSerializer(many=True)


_PARAMS = [
    OpenApiParameter("q", OpenApiTypes.STR, description='Words, "exact phrases", prefixes (liên th*).'),
    OpenApiParameter("agency", OpenApiTypes.STR, description="Agency id, code or identifier code."),
    OpenApiParameter("direction", OpenApiTypes.STR, enum=list(Direction.values)),
    OpenApiParameter("type", OpenApiTypes.STR, description="Document type: abbreviation, code or name."),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("signer", OpenApiTypes.STR),
    OpenApiParameter("urgency", OpenApiTypes.STR, enum=list(Urgency.values)),
    OpenApiParameter("limit", OpenApiTypes.INT),
    OpenApiParameter("offset", OpenApiTypes.INT),
]


class SearchView(APIView):
    @extend_schema(
        operation_id="search", parameters=_PARAMS, responses={200: ResultsSerializer, 400: OpenApiTypes.OBJECT}
    )
    def get(self, request):
        params = SearchParamsSerializer(data=request.query_params)
        if not params.is_valid():
            raise ValidationError(params.errors)
        d = params.validated_data
        filters = services.Filters(
            agency=d["agency"],
            direction=d["direction"],
            doc_type=d["type"],
            date_from=d["date_from"],
            date_to=d["date_to"],
            signer=d["signer"],
            urgency=d["urgency"],
        )
        results = services.search(request.user, d["q"], filters, limit=d["limit"], offset=d["offset"])
        return Response(ResultsSerializer(results).data)
