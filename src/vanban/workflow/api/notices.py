"""REST API of the notices area: the caller's own notices, and marking them read."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vanban.api import MAX_ID

from ..models import Notice
from ..selectors import notices as selectors
from ..services import notices as services


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "kind", "text", "url", "created_at", "read_at"]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_null=True,
        default=None,
        help_text="ids of the caller's notices to mark read; omitted or null: all unread ones",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="how many notices were unread and are now read")
    unread = serializers.IntegerField(help_text="how many stay unread")


class NoticeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`/api/v1/workflow/notices/…`: the caller's own notices only, unread first."""

    serializer_class = NoticeSerializer

    def get_queryset(self):
        qs = selectors.notices_of(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(
        summary="The caller's notices, unread first",
        parameters=[OpenApiParameter("unread", bool, description="only unread notices")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Mark the caller's notices read (the given ones, or all)",
        request=MarkReadSerializer,
        responses={200: MarkedSerializer, 400: OpenApiResponse(description="Invalid, per field")},
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        s = MarkReadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        # Ids of other people's notices are silently ignored: the service only touches the caller's.
        marked = services.mark_read(request.user, s.validated_data["ids"])
        return Response({"marked": marked, "unread": selectors.unread_count(request.user)})


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
    router.register("workflow/notices", NoticeViewSet, basename="api-notice")
