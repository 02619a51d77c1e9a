"""Projects over the API: the list of yours, a new project (staff accounts: a lab's
administrators), a project's detail with the caller's role and its settings (managers change
them), its members, and its whole audit trail (managers). Every member reads; managers add
members, change roles and remove members. The last manager is never demoted or removed (409),
so a project always has someone who can manage it."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from annotate.core import selectors as core_selectors
from annotate.core import services
from annotate.core.api_errors import (
    NOT_SIGNED_IN,
    DetailOutput,
    RunErrorOutput,
    error_response,
    invalid_response,
    managers_only_response,
    not_found_doc,
    request_body,
)
from annotate.core.display_names import DisplayNameValidator
from annotate.core.history import (
    audit_actor_filtered,
    audit_actor_name,
    audit_changed_fields,
    audit_state_named,
    project_audit_list,
)
from annotate.core.models import MANAGER_ROLES, AuditEvent, Membership, Project

MEMBER_ROLES = (Membership.Role.MANAGER,)


class ProjectOutput(serializers.ModelSerializer):
    clip_count = serializers.IntegerField(read_only=True)
    ready_count = serializers.IntegerField(read_only=True)
    hide_proposals_share = serializers.SerializerMethodField(
        help_text="Share of clips whose annotators start without the model's proposals (0 to 1)."
    )

    class Meta:
        model = Project
        fields = [
            "slug",
            "name",
            "description",
            "emotion_vocabulary",
            "free_labels",
            "annotators_per_clip",
            "blind_mode",
            "assignment_lease_minutes",
            "align_similarity",
            "align_overlap",
            "auto_promote_consensus",
            "decoy_rate",
            "hide_proposals_share",
            "queue_order",
            "clip_count",
            "ready_count",
            "created_at",
        ]

    def get_hide_proposals_share(self, project: Project) -> float:
        return float(project.proposer_settings.get("hide_proposals_share", 0) or 0)


class ProjectDetailOutput(ProjectOutput):
    role = serializers.SerializerMethodField(
        help_text="Your role in the project: annotator, reviewer or manager."
    )

    class Meta(ProjectOutput.Meta):
        fields = [*ProjectOutput.Meta.fields, "role"]

    def get_role(self, project: Project) -> str:
        return self.context["role"]


class ProjectSettingsInput(serializers.Serializer):
    """A project's settings; every field optional in a PATCH."""

    name = serializers.CharField(
        max_length=120,
        validators=[DisplayNameValidator("A project name")],
        help_text="Unique; the slug is made from it once and never changes. No control or "
        "bidirectional formatting characters.",
    )
    description = serializers.CharField(max_length=10_000, allow_blank=True, required=False)
    emotion_vocabulary = serializers.ListField(
        child=serializers.CharField(
            max_length=64, validators=[DisplayNameValidator("An emotion label")]
        ),
        min_length=1,
        max_length=200,
        required=False,
        help_text="The emotion labels annotators choose from (distinct, non-empty).",
    )
    free_labels = serializers.BooleanField(
        required=False,
        help_text="Allow labels outside the emotion vocabulary (default: refused with a 400).",
    )
    annotators_per_clip = serializers.IntegerField(
        min_value=1,
        max_value=50,
        required=False,
        help_text="k: annotators per clip; the clips' slots follow a change at once.",
    )
    blind_mode = serializers.BooleanField(
        required=False, help_text="Annotators see neither each other's work nor model output."
    )
    assignment_lease_minutes = serializers.IntegerField(
        min_value=1, max_value=7 * 24 * 60, required=False
    )
    align_similarity = serializers.FloatField(min_value=0, max_value=1, required=False)
    align_overlap = serializers.FloatField(min_value=0, max_value=1, required=False)
    auto_promote_consensus = serializers.BooleanField(required=False)
    decoy_rate = serializers.FloatField(min_value=0, max_value=0.5, required=False)
    hide_proposals_share = serializers.FloatField(min_value=0, max_value=1, required=False)
    queue_order = serializers.ChoiceField(
        choices=Project.QueueOrder.choices,
        required=False,
        help_text="How annotators' next clips are chosen among the free slots: breadth_first "
        "(fewest annotators so far) or expected_value (the proposal's uncertainty plus the "
        "disagreement so far; docs/learning.md). k and the leases hold in both.",
    )

    def validate_name(self, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise serializers.ValidationError("A project needs a name.")
        return value

    def validate_emotion_vocabulary(self, value: list[str]) -> list[str]:
        labels = [" ".join(label.split()) for label in value]  # DRF refused blank ones
        seen: set[str] = set()
        repeated = [label for label in labels if label.lower() in seen or seen.add(label.lower())]
        if repeated:
            raise serializers.ValidationError(
                f"Labels must be distinct: {repeated[0]!r} is repeated."
            )
        return labels


class MemberOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.CharField(read_only=True, help_text="annotator, reviewer or manager.")
    joined = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "role", "joined"]


class MemberAddInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="An existing user's username.")
    role = serializers.ChoiceField(
        choices=Membership.Role.choices, default=Membership.Role.ANNOTATOR
    )

    def validate_username(self, value: str):
        user = get_user_model().objects.filter(username=value).first()
        if user is None:
            raise serializers.ValidationError(
                f"No user named {value!r}; an administrator creates accounts first."
            )
        return user


class MemberChangeInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


_NOT_FOUND = OpenApiResponse(DetailOutput, description="No such project, or not a member.")


_NO_MEMBER = OpenApiResponse(
    DetailOutput, description="No such project or member, or you are not a member."
)


_FORBIDDEN = OpenApiResponse(
    RunErrorOutput,
    description="Not a manager of the project (without "
    "credentials DRF answers with `detail` "
    "only).",
)


_LAST_MANAGER = OpenApiExample(
    "Last manager",
    status_codes=["409"],
    response_only=True,
    value={
        "code": "last_manager",
        "detail": "ana is the project's last manager and cannot be "
        "removed; make another member a manager first.",
    },
)


def _manager_only(role: str, action: str) -> Response | None:
    if role in MEMBER_ROLES:
        return None
    return managers_only_response(action)


_STAFF_ONLY = OpenApiResponse(
    RunErrorOutput,
    description="Not a staff account: projects are "
    "created by a lab's administrators "
    "(without credentials DRF answers with "
    "`detail` only).",
)


_NAME_TAKEN = OpenApiExample(
    "Name taken",
    status_codes=["409"],
    response_only=True,
    value={
        "code": "exists",
        "detail": "A project named 'Pilot' exists already; choose another name.",
    },
)


def _project_out(request, project: Project, role: str) -> dict:
    """The project with its clip counts, as the caller sees it (they are a member by now)."""
    counted = core_selectors.project_list_for_user(user=request.user).get(pk=project.pk)
    return ProjectDetailOutput(counted, context={"role": role}).data


class ProjectListApi(ListAPIView):
    serializer_class = ProjectOutput

    def get_queryset(self):
        return core_selectors.project_list_for_user(user=self.request.user)

    @extend_schema(
        operation_id="projects_list",
        summary="Your projects",
        responses={200: ProjectOutput(many=True), 403: NOT_SIGNED_IN},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="projects_create",
        summary="Create a project (staff accounts)",
        description="The caller becomes the project's manager. Settings left out take their "
        "defaults; the slug is made from the name.",
        request=ProjectSettingsInput,
        responses={
            201: ProjectDetailOutput,
            400: OpenApiResponse(
                RunErrorOutput, description="A setting out of range, or a body that is not JSON."
            ),
            403: _STAFF_ONLY,
            409: OpenApiResponse(RunErrorOutput, description="The name is taken."),
        },
        examples=[
            OpenApiExample(
                "Create",
                request_only=True,
                value={"name": "Pilot", "annotators_per_clip": 3, "blind_mode": True},
            ),
            _NAME_TAKEN,
        ],
    )
    def post(self, request):
        if not (request.user.is_staff or request.user.is_superuser):
            return error_response(
                "forbidden",
                "Only a staff account (a lab administrator) can "
                "create projects; ask one to create it and add you.",
                status.HTTP_403_FORBIDDEN,
            )
        data, refused = request_body(request, '{"name": "Pilot", "annotators_per_clip": 3}')
        if refused:
            return refused
        form = ProjectSettingsInput(data=data)
        if not form.is_valid():
            return invalid_response(form.errors)
        project = services.project_create(created_by=request.user, **form.validated_data)
        return Response(
            _project_out(request, project, Membership.Role.MANAGER), status=status.HTTP_201_CREATED
        )


class ProjectDetailApi(GenericAPIView):
    queryset = Project.objects.none()
    serializer_class = ProjectDetailOutput

    @extend_schema(
        operation_id="projects_retrieve",
        summary="A project, with your role in it",
        responses={200: ProjectDetailOutput, 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        return Response(_project_out(request, project, role))

    @extend_schema(
        operation_id="projects_partial_update",
        summary="Change a project's settings (managers)",
        description="Only the fields sent change; the change is audited with the values before "
        "and after. Changing k adds or removes open slots at once.",
        request=ProjectSettingsInput(partial=True),
        responses={
            200: ProjectDetailOutput,
            400: OpenApiResponse(
                RunErrorOutput, description="A setting out of range, or a body that is not JSON."
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(RunErrorOutput, description="The new name is taken."),
        },
        examples=[
            OpenApiExample("Change k", request_only=True, value={"annotators_per_clip": 3}),
            _NAME_TAKEN,
        ],
    )
    def patch(self, request, slug: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        refused = _manager_only(role, "change the project's settings")
        if refused:
            return refused
        data, refused = request_body(request, '{"annotators_per_clip": 3}')
        if refused:
            return refused
        form = ProjectSettingsInput(data=data, partial=True)
        if not form.is_valid():
            return invalid_response(form.errors)
        project = services.project_settings_update(
            project=project, by=request.user, **form.validated_data
        )
        return Response(_project_out(request, project, role))


class MemberListApi(GenericAPIView):
    queryset = Membership.objects.none()
    serializer_class = MemberOutput

    @extend_schema(
        operation_id="projects_members_list",
        summary="A project's members and their roles, by username",
        responses={200: MemberOutput(many=True), 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str):
        project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
        page = self.paginate_queryset(core_selectors.membership_list(project=project))
        return self.get_paginated_response(MemberOutput(page, many=True).data)

    @extend_schema(
        operation_id="projects_members_add",
        summary="Add an existing user to the project with a role (managers)",
        request=MemberAddInput,
        responses={
            201: MemberOutput,
            400: OpenApiResponse(
                RunErrorOutput,
                description="No such user, an unknown role, or a body that is not JSON.",
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(
                RunErrorOutput,
                description="Already a member (code `exists`): change the role instead.",
            ),
        },
        examples=[
            OpenApiExample(
                "A reviewer", request_only=True, value={"username": "ana", "role": "reviewer"}
            )
        ],
    )
    def post(self, request, slug: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        if refused := _manager_only(role, "add members"):
            return refused
        body, unreadable = request_body(request, '{"username": "ana", "role": "annotator"}')
        if unreadable:
            return unreadable
        form = MemberAddInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        membership = services.membership_add(
            project=project, user=data["username"], role=data["role"], by=request.user
        )
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(GenericAPIView):
    queryset = Membership.objects.none()
    serializer_class = MemberOutput

    @extend_schema(
        operation_id="projects_members_retrieve",
        summary="One member and their role",
        responses={200: MemberOutput, 403: NOT_SIGNED_IN, 404: _NO_MEMBER},
    )
    def get(self, request, slug: str, username: str):
        project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
        return Response(
            MemberOutput(core_selectors.membership_get(project=project, username=username)).data
        )

    @extend_schema(
        operation_id="projects_members_change",
        summary="Change a member's role (managers)",
        request=MemberChangeInput,
        responses={
            200: MemberOutput,
            400: OpenApiResponse(
                RunErrorOutput, description="An unknown role, or a body that is not JSON."
            ),
            403: _FORBIDDEN,
            404: _NO_MEMBER,
            409: OpenApiResponse(
                RunErrorOutput, description="The project's last manager (code `last_manager`)."
            ),
        },
        examples=[_LAST_MANAGER],
    )
    def patch(self, request, slug: str, username: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        if refused := _manager_only(role, "change roles"):
            return refused
        membership = core_selectors.membership_get(project=project, username=username)
        body, unreadable = request_body(request, '{"role": "reviewer"}')
        if unreadable:
            return unreadable
        form = MemberChangeInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        membership = services.membership_role_change(
            membership=membership, role=form.validated_data["role"], by=request.user
        )
        return Response(MemberOutput(membership).data)

    @extend_schema(
        operation_id="projects_members_remove",
        summary="Remove a member (managers); their annotations stay",
        responses={
            204: OpenApiResponse(description="Removed."),
            403: _FORBIDDEN,
            404: _NO_MEMBER,
            409: OpenApiResponse(
                RunErrorOutput, description="The project's last manager (code `last_manager`)."
            ),
        },
        examples=[_LAST_MANAGER],
    )
    def delete(self, request, slug: str, username: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        if refused := _manager_only(role, "remove members"):
            return refused
        membership = core_selectors.membership_get(project=project, username=username)
        services.membership_remove(membership=membership, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEventOutput(serializers.ModelSerializer):
    """An audit event. Context `names` (user id -> name shown instead of the username) hides
    who is who where the reader may not know it: a blind project's annotators, for a reviewer."""

    clip = serializers.CharField(source="clip.name", read_only=True, allow_null=True, default=None)
    actor = serializers.SerializerMethodField(
        help_text="Who made the change: a username, null for the system. In a blind project, "
        'for everyone but managers, the clip\'s annotators are "Annotator n", numbered as on '
        "the clip's review screen, and their user ids in `before` and `after` are replaced "
        "by that name too."
    )
    changed = serializers.SerializerMethodField(
        help_text="The fields that differ between before and after."
    )
    before = serializers.SerializerMethodField()
    after = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "at",
            "clip",
            "actor",
            "object_type",
            "object_id",
            "action",
            "changed",
            "before",
            "after",
        )

    def get_changed(self, event: AuditEvent) -> list[str]:
        return audit_changed_fields(event.before, event.after)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: AuditEvent) -> str | None:
        return audit_actor_name(event, self.context.get("names"))

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_before(self, event: AuditEvent):
        return audit_state_named(event.before, self.context.get("names"))

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_after(self, event: AuditEvent):
        return audit_state_named(event.after, self.context.get("names"))


AUDIT_FILTERS = [
    OpenApiParameter("object_type", str, description="cue, annotation, gold_record, gold_cue, …"),
    OpenApiParameter(
        "actor",
        str,
        description='A username, or the "Annotator n" the history shows in place of one (a '
        "blind project's annotators, for everyone but managers; their usernames match "
        "nothing there).",
    ),
]


# A filter is free text: the one refusal it can meet is the NUL character (studio/limits.py).
AUDIT_FILTER_REFUSED = OpenApiResponse(
    RunErrorOutput, description="A filter holds a NUL character (%00), which no name can hold."
)


def audit_filtered(events, request, names: dict[int, str] | None = None):
    object_type = request.query_params.get("object_type") or None
    actor = request.query_params.get("actor") or None
    if object_type:
        events = events.filter(object_type=object_type)
    if actor:
        events = audit_actor_filtered(events, actor, names)
    return events


class ProjectAuditApi(GenericAPIView):
    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventOutput

    @extend_schema(
        operation_id="projects_audit_list",
        summary="The project's whole audit trail, oldest first (managers)",
        parameters=[*AUDIT_FILTERS, OpenApiParameter("clip", str, description="A clip's name.")],
        responses={
            200: AuditEventOutput(many=True),
            400: AUDIT_FILTER_REFUSED,
            403: NOT_SIGNED_IN,
            404: not_found_doc(""),
        },
    )
    def get(self, request, slug: str):
        project, _ = core_selectors.project_get_for_user(
            slug=slug, user=request.user, roles=MANAGER_ROLES
        )
        events = audit_filtered(project_audit_list(project=project), request)
        if request.query_params.get("clip"):
            events = events.filter(clip__name=request.query_params["clip"])
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventOutput(page, many=True).data)
