"""Project and clip reads, with the access rule in one place: members see their projects,
superusers see all; an object of another project is a 404, never a hint that it exists."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from annotate.models import Clip, Membership, Project


def project_list_for_user(*, user) -> QuerySet[Project]:
    projects = Project.objects.all()
    if not user.is_superuser:
        projects = projects.filter(memberships__user=user)
    return projects.annotate(
        clip_count=Count("clips", distinct=True),
        ready_count=Count("clips", filter=Q(clips__status=Clip.Status.READY), distinct=True),
    ).order_by("name")


def project_role_get(*, project: Project, user) -> str | None:
    if user.is_superuser:
        return Membership.Role.MANAGER
    membership = Membership.objects.filter(project=project, user=user).only("role").first()
    return membership.role if membership else None


def project_get_for_user(*, slug: str, user, roles: tuple[str, ...] | None = None) -> tuple[Project, str]:
    """The project and the user's role in it; Http404 when not a member (or role not allowed)."""
    project = Project.objects.filter(slug=slug).first()
    if project is None or not user.is_authenticated:
        raise Http404("No such project.")
    role = project_role_get(project=project, user=user)
    if role is None or (roles is not None and role not in roles):
        raise Http404("No such project.")
    return project, role


def clip_list(*, project: Project, status: str | None = None) -> QuerySet[Clip]:
    clips = Clip.objects.filter(project=project).defer("subtitle_segments", "metadata", "frames")
    if status:
        clips = clips.filter(status=status)
    return clips.order_by("name")


def clip_status_counts(*, project: Project) -> dict[str, int]:
    counts = {status: 0 for status in Clip.Status.values}
    for row in Clip.objects.filter(project=project).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def clip_get(*, project: Project, name: str) -> Clip:
    clip = Clip.objects.filter(project=project, name=name).first()
    if clip is None:
        raise Http404(f"No clip named {name!r} in this project.")
    return clip
