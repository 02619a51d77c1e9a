"""Project and membership writes."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from annotate.models import Membership, Project


@transaction.atomic
def project_create(*, name: str, created_by=None, description: str = "",
                   annotators_per_clip: int = 1) -> Project:
    slug = slugify(name)[:120] or "project"
    base, n = slug, 2
    while Project.objects.filter(slug=slug).exists():
        slug = f"{base[:110]}-{n}"
        n += 1
    project = Project(name=name, slug=slug, description=description,
                      annotators_per_clip=annotators_per_clip, created_by=created_by)
    project.full_clean()
    project.save()
    if created_by is not None:
        membership_set(project=project, user=created_by, role=Membership.Role.MANAGER)
    return project


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


@transaction.atomic
def user_ensure(*, username: str, password: str, email: str = "", is_staff: bool = False):
    """Create a user with this password, or reset the password of an existing one."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    user.is_staff = user.is_staff or is_staff
    user.save(update_fields=["password", "is_staff"])
    return user
