"""REST API for agencies and people."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import selectors, services
from .models import Agency, Person, Role, Unit


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "notation", "active"]


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), allow_null=True, required=False)
    successor = serializers.PrimaryKeyRelatedField(read_only=True)
    units = serializers.SerializerMethodField()

    class Meta:
        model = Agency
        fields = ["id", *services.AGENCY_FIELDS, "status", "successor", "ended_on", "units"]
        read_only_fields = ["status", "successor", "ended_on"]
        # Uniqueness is checked by the service (one place for every rule).
        extra_kwargs = {"code": {"validators": []}, "identifier": {"validators": []}}

    def get_units(self, obj) -> list[dict]:
        return UnitSerializer(obj.units.all(), many=True).data


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    short_name = serializers.CharField(max_length=100)
    notation = serializers.CharField(max_length=20)
    effective = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")


class MergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    effective = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")


class CloseSerializer(serializers.Serializer):
    effective = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="The province's agencies",
        parameters=[
            OpenApiParameter("q", str, description="Name or identifier code prefix"),
            OpenApiParameter("kind", str, enum=Agency.Kind.values),
            OpenApiParameter("status", str, enum=Agency.Status.values),
        ],
    ),
    retrieve=extend_schema(responses={200: AgencySerializer, 404: OpenApiResponse(description="Not found")}),
    create=extend_schema(
        responses={
            201: AgencySerializer,
            400: OpenApiResponse(description="Invalid"),
            403: OpenApiResponse(description="Not a province administrator"),
        }
    ),
    partial_update=extend_schema(
        responses={
            200: AgencySerializer,
            400: OpenApiResponse(description="Invalid"),
            403: OpenApiResponse(description="Not a province administrator"),
            404: OpenApiResponse(description="Not found"),
        }
    ),
)
class AgencyViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AgencySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = selectors.search_agencies(self.request.query_params.get("q", "")).prefetch_related("units")
        kind = self.request.query_params.get("kind")
        if kind:
            qs = qs.filter(kind=kind)
        status = self.request.query_params.get("status")
        if status:
            qs = qs.filter(status=status)
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.create_agency(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if {"name", "short_name", "notation"} & set(data):
            raise ValidationError(
                {"name": [_("Rename an agency with the rename action, which keeps its former name.")]}
            )
        serializer.instance = services.update_agency(self.request.user, serializer.instance, **data)

    @extend_schema(request=RenameSerializer, responses={200: AgencySerializer})
    @action(detail=True, methods=["post"])
    def rename(self, request, pk=None):
        s = RenameSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        agency = services.rename_agency(request.user, self.get_object(), **s.validated_data)
        return Response(AgencySerializer(agency).data)

    @extend_schema(request=MergeSerializer, responses={200: AgencySerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        s = MergeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        agency = services.merge_agency(request.user, self.get_object(), **s.validated_data)
        return Response(AgencySerializer(agency).data)

    @extend_schema(request=CloseSerializer, responses={200: AgencySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        s = CloseSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        agency = services.close_agency(request.user, self.get_object(), **s.validated_data)
        return Response(AgencySerializer(agency).data)


class PersonSerializer(serializers.ModelSerializer):
    # A multiple choice field (not a ListField of choices): an unknown role gets one list of
    # messages under "roles", like every other field, not a dict keyed by position.
    roles = serializers.MultipleChoiceField(choices=Role.choices, required=False)
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), allow_null=True)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), allow_null=True, required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})

    class Meta:
        model = Person
        fields = [
            "id",
            "username",
            "full_name",
            "email",
            "agency",
            "unit",
            "position",
            "phone",
            "roles",
            "is_active",
            "password",
        ]
        extra_kwargs = {"username": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["roles"] = sorted(instance.role_codes)
        return data


@extend_schema_view(
    list=extend_schema(summary="People the caller may see"),
    retrieve=extend_schema(responses={200: PersonSerializer, 404: OpenApiResponse(description="Not found")}),
    create=extend_schema(
        responses={
            201: PersonSerializer,
            400: OpenApiResponse(description="Invalid"),
            403: OpenApiResponse(description="Not an administrator of that agency"),
        }
    ),
    partial_update=extend_schema(
        responses={
            200: PersonSerializer,
            400: OpenApiResponse(description="Invalid"),
            403: OpenApiResponse(description="Not an administrator"),
            404: OpenApiResponse(description="Not found"),
        }
    ),
)
class PersonViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.people_visible_to(self.request.user)

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        serializer.instance = services.create_person(
            self.request.user,
            username=d["username"],
            full_name=d.get("full_name", ""),
            email=d.get("email", ""),
            agency=d.get("agency"),
            unit=d.get("unit"),
            position=d.get("position", ""),
            phone=d.get("phone", ""),
            roles=d.get("roles", []),
            password=d.get("password"),
        )

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("username", None)
        serializer.instance = services.update_person(self.request.user, serializer.instance, **d)

    @extend_schema(responses={200: PersonSerializer})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(PersonSerializer(request.user).data)
