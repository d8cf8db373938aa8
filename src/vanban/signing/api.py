"""REST API of signatures: sign a document (as its competent person, or as the agency), list who
signed it, and the latest verification of its PDF files."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vanban.documents import selectors as documents

from . import document_signing, verification
from .models import DocumentSignature, FileCheck

_ERRORS = {
    400: OpenApiResponse(description="Refused, per field (no certificate usable, wrong order, bad PDF…)"),
    403: OpenApiResponse(description="Not allowed"),
    404: OpenApiResponse(description="Not found"),
}


class SignatureSerializer(serializers.ModelSerializer):
    signed_by = serializers.CharField(source="signed_by.get_full_name", read_only=True)
    agency = serializers.CharField(source="agency.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = DocumentSignature
        fields = [
            "id",
            "file",
            "kind",
            "signed_by",
            "agency",
            "field_name",
            "certificate_fingerprint",
            "signed_at",
            "timestamped",
            "long_term",
        ]


class CheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = FileCheck
        fields = ["file", "verdict", "checked_at", "report"]


class SignaturesSerializer(serializers.Serializer):
    signatures = SignatureSerializer(many=True)
    checks = CheckSerializer(many=True)


class SignInSerializer(serializers.Serializer):
    authority_prefix = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    position = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    pin = serializers.CharField(required=False, allow_blank=True, default="", write_only=True, max_length=64)


class SealInSerializer(serializers.Serializer):
    pin = serializers.CharField(required=False, allow_blank=True, default="", write_only=True, max_length=64)


class DocumentSignatureViewSet(viewsets.GenericViewSet):
    """`/api/v1/signing/documents/{id}/…` — a document's signatures (the document must be readable)."""

    serializer_class = SignaturesSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return DocumentSignature.objects.none()

    def _out(self, document):
        checks = [c for _f, c in verification.latest_pdf_checks(document) if c is not None]
        return Response(
            SignaturesSerializer({"signatures": document_signing.signatures_of(document), "checks": checks}).data
        )

    @extend_schema(summary="Who signed the document, and the latest check of each PDF file")
    def retrieve(self, request, pk=None):
        return self._out(documents.get_document(request.user, pk))

    @extend_schema(
        summary="Sign the document's main PDF in your own name (PAdES B-T/B-LT)",
        request=SignInSerializer,
        responses={200: SignaturesSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        document = documents.get_document(request.user, pk)
        s = SignInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        document_signing.sign_document(
            request.user,
            document,
            authority_prefix=d["authority_prefix"],
            position=d["position"] or None,
            pin=d["pin"] or None,
        )
        return self._out(document)

    @extend_schema(
        summary="Sign as the agency: the seal on the main PDF, the stamp on each attachment (clerks)",
        request=SealInSerializer,
        responses={200: SignaturesSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def seal(self, request, pk=None):
        document = documents.get_document(request.user, pk)
        s = SealInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        document_signing.seal_document(request.user, document, pin=s.validated_data["pin"] or None)
        return self._out(document)
