"""Project and membership writes."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from annotate.core import signals
from annotate.core.audit import audit_record, audit_snapshot
from annotate.core.errors import DomainError
from annotate.core.models import Membership, Project


class MembershipRejected(DomainError):
    """A refused membership change (exists, last_manager): 409."""

    status = 409


# What a manager may change after creation (the name too; the slug, used in every URL, stays).
PROJECT_SETTINGS = (
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
)


class ProjectRejected(DomainError):
    """A refused project write: a taken name (exists, 409) or a bad setting (invalid, 400)."""

    status = 400


def _settings_apply(project: Project, settings: dict) -> None:
    for name, value in settings.items():
        if name not in PROJECT_SETTINGS:
            raise ValueError(f"{name} is not a project setting")
        if name == "hide_proposals_share":
            if not 0 <= float(value) <= 1:
                raise ProjectRejected(
                    "hide_proposals_share: must be between 0 and 1.", code="invalid"
                )
            project.proposer_settings = {**project.proposer_settings, name: float(value)}
        else:
            setattr(project, name, value)


def _name_taken(name: str, *, exclude: int | None = None) -> bool:
    taken = Project.objects.filter(name=name)
    return (taken.exclude(pk=exclude) if exclude else taken).exists()


def _validated(project: Project) -> None:
    try:
        project.full_clean(exclude=["created_by"])
    except ValidationError as error:
        detail = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
        raise ProjectRejected(detail, code="invalid") from error


@transaction.atomic
def project_create(
    *, name: str, created_by=None, description: str = "", annotators_per_clip: int = 1, **settings
) -> Project:
    """A new project (its creator becomes its manager; audited when there is one). The slug
    comes from the name. ProjectRejected when the name is taken or a setting is out of range."""
    if _name_taken(name):
        raise ProjectRejected(
            f"A project named {name!r} exists already; choose another name.", code="exists"
        )
    slug = slugify(name)[:120] or "project"
    base, n = slug, 2
    while Project.objects.filter(slug=slug).exists():
        slug = f"{base[:110]}-{n}"
        n += 1
    project = Project(
        name=name,
        slug=slug,
        description=description,
        annotators_per_clip=annotators_per_clip,
        created_by=created_by,
    )
    _settings_apply(project, settings)
    _validated(project)
    try:
        with transaction.atomic():  # a concurrent create of the same name or slug wins
            project.save()
    except IntegrityError as error:
        raise ProjectRejected(
            f"A project named {name!r} exists already; choose another name.", code="exists"
        ) from error
    if created_by is not None:
        membership_set(project=project, user=created_by, role=Membership.Role.MANAGER)
        audit_record(
            actor=created_by,
            action="create",
            object_type="project",
            object_id=project.pk,
            before=None,
            after=audit_snapshot(project),
            project=project,
        )
    return project


@transaction.atomic
def project_settings_update(*, project: Project, by, **settings) -> Project:
    """Change a project's settings (audited, before and after). Concurrent changes are applied
    one after the other on the locked row, each to the fields it names. When k changes, the
    clips' assignment slots follow at once (open slots beyond k go; leased and done stay)."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if "name" in settings and _name_taken(settings["name"], exclude=locked.pk):
        raise ProjectRejected(
            f"A project named {settings['name']!r} exists already; choose another name.",
            code="exists",
        )
    before = audit_snapshot(locked)
    _settings_apply(locked, settings)
    _validated(locked)
    after = audit_snapshot(locked)
    if after == before:
        return locked
    try:
        with transaction.atomic():  # a concurrent rename to the same name wins
            locked.save()
    except IntegrityError as error:
        raise ProjectRejected(
            f"A project named {locked.name!r} exists already; choose another name.", code="exists"
        ) from error
    audit_record(
        actor=by,
        action="change_settings",
        object_type="project",
        object_id=locked.pk,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
        project=locked,
    )
    if before["annotators_per_clip"] != after["annotators_per_clip"]:
        signals.annotators_per_clip_changed.send(sender=Project, project=locked)
    return locked


def project_get_or_create(*, name: str, created_by=None) -> tuple[Project, bool]:
    project = Project.objects.filter(name=name).first()
    if project is not None:
        return project, False
    return project_create(name=name, created_by=created_by), True


@transaction.atomic
def membership_set(*, project: Project, user, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(
        project=project, user=user, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
    return membership


def _managers_left_after(membership: Membership) -> int:
    """How many managers the project keeps once this membership stops being one; the project's
    manager rows are locked, so two managers cannot demote each other at the same time."""
    managers = list(
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Membership.Role.MANAGER)
        .values_list("pk", flat=True)
    )
    return len([pk for pk in managers if pk != membership.pk])


def _refuse_last_manager(membership: Membership, what: str) -> None:
    if membership.role == Membership.Role.MANAGER and _managers_left_after(membership) == 0:
        raise MembershipRejected(
            f"{membership.user.username} is the project's last manager and cannot be {what}; "
            "make another member a manager first.",
            code="last_manager",
        )


@transaction.atomic
def membership_add(*, project: Project, user, role: str, by) -> Membership:
    """Add an existing user to the project (audited); MembershipRejected when already a member."""
    current = Membership.objects.filter(project=project, user=user).only("role").first()
    if current is not None:
        raise MembershipRejected(
            f"{user.username} is already a member of {project.name} (as "
            f"{current.role}); change their role instead.",
            code="exists",
        )
    membership = Membership(project=project, user=user, role=role)
    membership.full_clean()
    membership.save()
    audit_record(
        actor=by,
        action="add",
        object_type="membership",
        object_id=membership.pk,
        before=None,
        after=audit_snapshot(membership),
        project=project,
    )
    return membership


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, by) -> Membership:
    """A member's new role (audited); the project's last manager is never demoted."""
    if membership.role == role:
        return membership
    if role != Membership.Role.MANAGER:
        _refuse_last_manager(membership, "given another role")
    before = audit_snapshot(membership)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    audit_record(
        actor=by,
        action="change_role",
        object_type="membership",
        object_id=membership.pk,
        before=before,
        after=audit_snapshot(membership),
        project=membership.project,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by) -> None:
    """Remove a member (audited). Their annotations stay (a former member cannot reach them);
    the slots they lease return to the pool now (audited releases). Never the last manager."""
    _refuse_last_manager(membership, "removed")
    signals.member_leaving.send(
        sender=Membership, project=membership.project, user=membership.user, by=by
    )
    before = audit_snapshot(membership)
    membership_id = membership.pk
    membership.delete()
    audit_record(
        actor=by,
        action="remove",
        object_type="membership",
        object_id=membership_id,
        before=before,
        after=None,
        project=membership.project,
    )


@transaction.atomic
def user_ensure(*, username: str, password: str, email: str = "", is_staff: bool = False):
    """Create a user with this password, or reset the password of an existing one."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    user.is_staff = user.is_staff or is_staff
    user.save(update_fields=["password", "is_staff"])
    return user
