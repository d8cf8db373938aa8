"""REST API of drafting: drafts (multipart upload), their versions, comments, the approval chain
and issuing; the agency's approval chains. The same services as the pages."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from vanban.documents.api import DocumentSerializer
from vanban.documents.models import Confidentiality, DeliveryMode, DocumentType, Urgency
from vanban.documents.services import Upload
from vanban.orgs.models import Person, Unit

from ..models import ApprovalChain, ApprovalStep, ChainStep, Comment, CommentRequest, Draft, DraftVersion
from ..selectors import drafting as selectors
from ..services import drafting as services


class VersionSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = DraftVersion
        fields = ["number", "name", "kind", "pages", "note", "uploaded_by", "created_at", "blob", "download"]

    def get_download(self, obj) -> str:
        return f"/du-thao/{obj.draft_id}/phien-ban/{obj.number}/"


class CommentSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "request", "version", "person", "text", "created_at", "answer", "answered_by", "answered_at"]


class CommentRequestSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    people = serializers.SerializerMethodField()

    class Meta:
        model = CommentRequest
        fields = ["id", "version", "asked_by", "message", "deadline", "created_at", "people"]

    def get_people(self, obj) -> list[int]:
        return [r.person_id for r in obj.reviewers.all()]


class StepSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ApprovalStep
        fields = ["id", "round", "order", "kind", "person", "title", "state", "acted_by", "acted_at", "note", "version"]


class DraftSerializer(serializers.ModelSerializer):
    class Meta:
        model = Draft
        fields = [
            "id",
            "agency",
            "unit",
            "author",
            "doc_type",
            "subject",
            "urgency",
            "confidentiality",
            "is_legal",
            "internal",
            "recipients_text",
            "state",
            "chain",
            "document",
            "created_at",
            "updated_at",
        ]


class DraftDetailSerializer(DraftSerializer):
    versions = VersionSerializer(many=True, read_only=True)
    comment_requests = CommentRequestSerializer(many=True, read_only=True)
    comments = CommentSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta(DraftSerializer.Meta):
        fields = [*DraftSerializer.Meta.fields, "versions", "comment_requests", "comments", "steps"]


class DraftCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="DOCX or PDF")
    doc_type = serializers.PrimaryKeyRelatedField(queryset=DocumentType.objects.filter(issuable=True))
    subject = serializers.CharField(max_length=500)
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True, default=None
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, default=Confidentiality.NORMAL)
    is_legal = serializers.BooleanField(default=False)
    internal = serializers.BooleanField(default=False)
    recipients_text = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class VersionInSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="DOCX or PDF")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RequestCommentsSerializer(serializers.Serializer):
    people = serializers.ListField(child=serializers.IntegerField(), help_text="ids of people of the agency")
    deadline = serializers.DateField()
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CommentInSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    answer_to = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="id of a comment: the author answers it"
    )


class SubmitSerializer(serializers.Serializer):
    chain = serializers.IntegerField(help_text="id of an active approval chain of the agency")


class StepActionSerializer(serializers.Serializer):
    step = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="id of the step acted on, as the caller saw it"
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ForwardSerializer(StepActionSerializer):
    to = serializers.IntegerField(help_text="id of a person of the agency")


class IssueSerializer(serializers.Serializer):
    recipient_codes = serializers.ListField(
        child=serializers.CharField(max_length=13), required=False, default=list, help_text='e.g. ["000.00.05.H58"]'
    )
    issued_date = serializers.DateField(required=False, allow_null=True, default=None)
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices, required=False, allow_null=True, default=None)
    copies = serializers.IntegerField(required=False, allow_null=True, default=None)
    recipients = serializers.CharField(max_length=1000, required=False, allow_null=True, default=None)
    pin = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        default=None,
        write_only=True,
        help_text="PIN of the agency's seal token (only for a seal on a PKCS#11 token)",
    )


class ApproveSerializer(StepActionSerializer):
    sign = serializers.BooleanField(
        required=False, default=False, help_text="at the last step: sign the PDF in your own name while approving"
    )
    authority_prefix = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    pin = serializers.CharField(max_length=64, required=False, allow_null=True, default=None, write_only=True)


class IssuedSerializer(serializers.Serializer):
    draft = DraftDetailSerializer()
    document = DocumentSerializer()
    dispatch = serializers.IntegerField(allow_null=True)


_ERRORS = {
    400: OpenApiResponse(description="Invalid, per field"),
    403: OpenApiResponse(description="Not allowed to act on it"),
    404: OpenApiResponse(description="Not found"),
}


def _person(pk, field: str) -> Person:
    try:
        return Person.objects.get(pk=int(pk))
    except (Person.DoesNotExist, TypeError, ValueError) as exc:
        raise serializers.ValidationError({field: [_("No such person: %(pk)s.") % {"pk": pk}]}) from exc


class DraftViewSet(viewsets.GenericViewSet):
    """`/api/v1/workflow/drafts/…`: drafts the caller may see, and every action on them."""

    serializer_class = DraftSerializer
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.visible_drafts(self.request.user)

    def _draft(self, pk) -> Draft:
        return selectors.get_draft(self.request.user, pk)

    def _out(self, draft: Draft, status: int = 200) -> Response:
        draft = Draft.objects.prefetch_related(
            "versions",
            "comment_requests__reviewers",
            "comment_requests__version",
            "comments__version",
            "steps__version",
        ).get(pk=draft.pk)
        return Response(DraftDetailSerializer(draft).data, status=status)

    def _input(self, serializer_class):
        s = serializer_class(data=self.request.data)
        s.is_valid(raise_exception=True)
        return s.validated_data

    @extend_schema(
        summary="Drafts the caller may see, by tab",
        parameters=[OpenApiParameter("tab", str, enum=list(selectors.TABS), description="default: mine")],
        responses={200: DraftSerializer(many=True)},
    )
    def list(self, request):
        tabs = selectors.drafts_for(request.user)
        tab = request.query_params.get("tab", "mine")
        if tab not in tabs:
            raise serializers.ValidationError({"tab": [_("Choose one of: %(tabs)s.") % {"tabs": ", ".join(tabs)}]})
        page = self.paginate_queryset(tabs[tab])
        if page is not None:
            return self.get_paginated_response(DraftSerializer(page, many=True).data)
        return Response(DraftSerializer(tabs[tab], many=True).data)

    @extend_schema(
        summary="One draft with its versions, comments and approval steps",
        responses={200: DraftDetailSerializer, 404: _ERRORS[404]},
    )
    def retrieve(self, request, pk=None):
        return self._out(self._draft(pk))

    @extend_schema(
        summary="Start a draft (its first version is the uploaded file)",
        request={"multipart/form-data": DraftCreateSerializer},
        responses={201: DraftDetailSerializer, **_ERRORS},
    )
    def create(self, request):
        data = dict(self._input(DraftCreateSerializer))
        upload = Upload.from_django(data.pop("file"))
        return self._out(services.create_draft(request.user, upload=upload, **data), 201)

    @extend_schema(
        summary="Upload a new version (author or head of the drafting unit)",
        request={"multipart/form-data": VersionInSerializer},
        responses={201: DraftDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def versions(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(VersionInSerializer)
        services.add_version(request.user, draft, upload=Upload.from_django(data["file"]), note=data["note"])
        return self._out(draft, 201)

    @extend_schema(
        summary="Ask people for comments by a deadline (author)",
        request=RequestCommentsSerializer,
        responses={201: DraftDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="request-comments")
    def request_comments(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(RequestCommentsSerializer)
        people = [_person(x, "people") for x in data["people"]]
        services.request_comments(
            request.user, draft, people=people, deadline=data["deadline"], message=data["message"]
        )
        return self._out(draft, 201)

    @extend_schema(
        summary="Comment (a reviewer or someone on the chain), or answer a comment (author, with answer_to)",
        request=CommentInSerializer,
        responses={201: DraftDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(CommentInSerializer)
        if data["answer_to"] is not None:
            services.answer_comment(
                request.user, selectors.get_comment(request.user, draft, data["answer_to"]), text=data["text"]
            )
        else:
            services.comment(request.user, draft, text=data["text"])
        return self._out(draft, 201)

    @extend_schema(
        summary="Submit for signing along a chain (author; the latest version must be a PDF)",
        request=SubmitSerializer,
        responses={200: DraftDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(SubmitSerializer)
        try:
            chain = selectors.get_chain(request.user, data["chain"])
        except Http404 as exc:
            raise serializers.ValidationError(
                {"chain": [_("Choose an active approval chain of your agency.")]}
            ) from exc
        services.submit(request.user, draft, chain=chain)
        return self._out(draft)

    @extend_schema(
        summary="Approve the current step (at the last one, optionally signing the PDF)",
        request=ApproveSerializer,
        responses={200: DraftDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(ApproveSerializer)
        services.approve(
            request.user,
            draft,
            note=data["note"],
            step=data["step"],
            sign=data["sign"],
            authority_prefix=data["authority_prefix"],
            pin=data["pin"],
        )
        return self._out(draft)

    @extend_schema(
        summary="Return the draft to its author (note required)",
        request=StepActionSerializer,
        responses={200: DraftDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_draft(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(StepActionSerializer)
        services.return_draft(request.user, draft, note=data["note"], step=data["step"])
        return self._out(draft)

    @extend_schema(
        summary="Forward the current step to a person of the agency",
        request=ForwardSerializer,
        responses={200: DraftDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(ForwardSerializer)
        services.forward(request.user, draft, to=_person(data["to"], "to"), note=data["note"], step=data["step"])
        return self._out(draft)

    @extend_schema(
        summary="Issue the approved draft: number it and send it through the exchange (clerk)",
        request=IssueSerializer,
        responses={201: IssuedSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        draft = self._draft(pk)
        data = self._input(IssueSerializer)
        document, dispatch = services.issue(request.user, draft, **data)
        body = {
            "draft": self._out(draft).data,
            "document": DocumentSerializer(document, context={"request": request}).data,
            "dispatch": dispatch.pk if dispatch else None,
        }
        return Response(body, status=201)


class ChainStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChainStep
        fields = ["order", "kind", "person", "title"]
        read_only_fields = ["order"]


class ChainSerializer(serializers.ModelSerializer):
    steps = ChainStepSerializer(many=True)

    class Meta:
        model = ApprovalChain
        fields = ["id", "name", "active", "created_by", "created_at", "steps"]
        read_only_fields = ["active", "created_by", "created_at"]


class ChainInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    steps = serializers.ListField(
        child=serializers.DictField(), help_text='[{"kind": "unit_head"|"leader"|"person", "person": id, "title": ""}]'
    )

    def steps_for_service(self) -> list[tuple[str, Person | None, str]]:
        out = []
        for s in self.validated_data["steps"]:
            person = _person(s["person"], "steps") if s.get("person") not in (None, "") else None
            out.append((str(s.get("kind", "")), person, str(s.get("title", ""))))
        return out


class ChainViewSet(viewsets.GenericViewSet):
    """`/api/v1/workflow/chains/…`: the caller's agency's approval chains; admins and leaders
    manage them."""

    serializer_class = ChainSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        user = self.request.user
        return selectors.chains_of(user.agency_id) if user.agency_id else ApprovalChain.objects.none()

    @extend_schema(summary="The agency's approval chains", responses={200: ChainSerializer(many=True)})
    def list(self, request):
        return Response(ChainSerializer(self.get_queryset(), many=True).data)

    @extend_schema(summary="One approval chain", responses={200: ChainSerializer, 404: _ERRORS[404]})
    def retrieve(self, request, pk=None):
        return Response(ChainSerializer(selectors.get_chain(request.user, pk)).data)

    @extend_schema(
        summary="Create an approval chain", request=ChainInSerializer, responses={201: ChainSerializer, **_ERRORS}
    )
    def create(self, request):
        s = ChainInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        chain = services.create_chain(request.user, name=s.validated_data["name"], steps=s.steps_for_service())
        return Response(ChainSerializer(selectors.get_chain(request.user, chain.pk)).data, status=201)

    @extend_schema(
        summary="Rename and replace the steps", request=ChainInSerializer, responses={200: ChainSerializer, **_ERRORS}
    )
    def update(self, request, pk=None):
        chain = selectors.get_chain(request.user, pk)
        s = ChainInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.update_chain(request.user, chain, name=s.validated_data["name"], steps=s.steps_for_service())
        return Response(ChainSerializer(selectors.get_chain(request.user, pk)).data)

    @extend_schema(
        summary="Stop offering the chain for new submissions", request=None, responses={200: ChainSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        chain = selectors.get_chain(request.user, pk)
        services.deactivate_chain(request.user, chain)
        return Response(ChainSerializer(selectors.get_chain(request.user, pk)).data)


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
    router.register("workflow/drafts", DraftViewSet, basename="api-draft")
    router.register("workflow/chains", ChainViewSet, basename="api-chain")
