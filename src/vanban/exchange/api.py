"""REST API of the exchange: send, recall, update, replace, track; arrivals and their decisions."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vanban.documents import selectors as documents
from vanban.documents.models import Document

from . import selectors, services
from .models import Arrival, Delivery, DeliveryEvent, Dispatch


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryEvent
        fields = ["status", "description", "staff", "at"]


class DeliverySerializer(serializers.ModelSerializer):
    events = EventSerializer(many=True, read_only=True)
    transport = serializers.SerializerMethodField()
    last_error = serializers.CharField(source="outbox.last_error", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "recipient_identifier",
            "recipient_name",
            "status",
            "status_description",
            "status_at",
            "transport",
            "last_error",
            "events",
        ]

    def get_transport(self, obj) -> str:
        return obj.outbox.state


class DispatchSerializer(serializers.ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Dispatch
        fields = ["id", "business_type", "edxml_id", "reason", "with_paper", "created_at", "deliveries"]


class SendSerializer(serializers.Serializer):
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        help_text="Identifier codes (mã định danh) of the recipients.",
    )
    with_paper = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReplaceSerializer(ReasonSerializer):
    replaces = serializers.IntegerField(help_text="id of the earlier document this one replaces")


class ArrivalSerializer(serializers.ModelSerializer):
    sender_identifier = serializers.CharField(source="inbox.sender_identifier")
    sender_name = serializers.CharField(source="inbox.sender_name")
    document_identifier = serializers.CharField(source="inbox.document_id")
    business_type = serializers.IntegerField(source="inbox.business_type")
    signature_verified = serializers.BooleanField(source="inbox.signature_verified")
    signature_note = serializers.CharField(source="inbox.signature_note")

    class Meta:
        model = Arrival
        fields = [
            "id",
            "state",
            "code",
            "subject",
            "issued_date",
            "urgency",
            "with_paper",
            "sender_identifier",
            "sender_name",
            "document_identifier",
            "business_type",
            "signature_verified",
            "signature_note",
            "document",
            "decision_note",
            "created_at",
        ]


class RecallAnswerSerializer(serializers.Serializer):
    agree = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


_ERRORS = {
    400: OpenApiResponse(description="Invalid, per field"),
    403: OpenApiResponse(description="Not a clerk"),
    404: OpenApiResponse(description="Not found"),
}


class DocumentExchangeViewSet(viewsets.GenericViewSet):
    """Exchange actions on one of the caller's documents (`/api/v1/exchange/documents/{id}/…`)."""

    serializer_class = DispatchSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return documents.visible_documents(self.request.user)

    def _document(self, pk) -> Document:
        return documents.get_document(self.request.user, pk)

    @extend_schema(summary="Where the document went and how far it got", responses={200: DispatchSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def dispatches(self, request, pk=None):
        doc = self._document(pk)
        return Response(DispatchSerializer(selectors.dispatches_of(doc), many=True).data)

    def _created(self, dispatch):
        dispatch = selectors.dispatches_of(dispatch.document).get(pk=dispatch.pk)
        return Response(DispatchSerializer(dispatch).data, status=201)

    @extend_schema(
        summary="Send to agencies here and on connected systems",
        request=SendSerializer,
        responses={201: DispatchSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        s = SendSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        doc = self._document(pk)
        return self._created(
            services.send(request.user, doc, s.validated_data["recipients"], with_paper=s.validated_data["with_paper"])
        )

    @extend_schema(
        summary="Recall from every recipient (business type 1)",
        request=ReasonSerializer,
        responses={201: DispatchSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def recall(self, request, pk=None):
        s = ReasonSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._created(services.recall(request.user, self._document(pk), s.validated_data["reason"]))

    @extend_schema(
        summary="Send corrected information (business type 2)",
        request=ReasonSerializer,
        responses={201: DispatchSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="update")
    def send_update(self, request, pk=None):
        s = ReasonSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._created(services.send_update(request.user, self._document(pk), s.validated_data["reason"]))

    @extend_schema(
        summary="Send as the replacement of an earlier document (business type 3)",
        request=ReplaceSerializer,
        responses={201: DispatchSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        s = ReplaceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        doc = self._document(pk)
        old = self._document(s.validated_data["replaces"])
        return self._created(services.send_replacement(request.user, doc, old, s.validated_data["reason"]))


class ArrivalViewSet(viewsets.ReadOnlyModelViewSet):
    """Packages that arrived at the caller's agency (`state=waiting` by default)."""

    serializer_class = ArrivalSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        state = self.request.query_params.get("state", Arrival.State.WAITING) if self.action == "list" else None
        if state == "all":
            state = None
        return selectors.arrivals_for(self.request.user, state).order_by("-created_at")

    @extend_schema(parameters=[OpenApiParameter("state", str, enum=[*Arrival.State.values, "all"])])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Register in the incoming register (tells the sender 03)",
        request=None,
        responses={200: ArrivalSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        arrival = selectors.get_arrival(request.user, pk)
        services.register_arrival(request.user, arrival)
        return Response(ArrivalSerializer(selectors.get_arrival(request.user, pk)).data)

    @extend_schema(
        summary="Return to the sender with a reason (02)",
        request=ReasonSerializer,
        responses={200: ArrivalSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        s = ReasonSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.refuse_arrival(request.user, selectors.get_arrival(request.user, pk), s.validated_data["reason"])
        return Response(ArrivalSerializer(selectors.get_arrival(request.user, pk)).data)

    @extend_schema(
        summary="Agree (15) or refuse (16) a recall",
        request=RecallAnswerSerializer,
        responses={200: ArrivalSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="answer-recall")
    def answer_recall(self, request, pk=None):
        s = RecallAnswerSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.answer_recall(request.user, selectors.get_arrival(request.user, pk), **s.validated_data)
        return Response(ArrivalSerializer(selectors.get_arrival(request.user, pk)).data)
