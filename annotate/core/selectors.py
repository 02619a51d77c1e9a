"""Project reads, with the access rule in one place: members see their projects, everyone else
gets a 404 (never a 403 that would reveal the project exists)."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from annotate.core.models import Membership, Project


def project_list_for_user(*, user) -> QuerySet[Project]:
    projects = Project.objects.all()
    if not user.is_superuser:
        projects = projects.filter(memberships__user=user)
    return projects.annotate(
        clip_count=Count("clips", distinct=True),
        # "ready" is Clip.Status.READY: clips/ builds on core/, not the other way round.
        ready_count=Count("clips", filter=Q(clips__status="ready"), distinct=True),
    ).order_by("name")


def project_role_get(*, project: Project, user) -> str | None:
    if user.is_superuser:
        return Membership.Role.MANAGER
    membership = Membership.objects.filter(project=project, user=user).only("role").first()
    return membership.role if membership else None


def project_get_for_user(
    *, slug: str, user, roles: tuple[str, ...] | None = None
) -> tuple[Project, str]:
    """The project and the user's role in it; Http404 when not a member (or role not allowed)."""
    project = Project.objects.filter(slug=slug).first()
    if project is None or not user.is_authenticated:
        raise Http404("No such project.")
    role = project_role_get(project=project, user=user)
    if role is None or (roles is not None and role not in roles):
        raise Http404("No such project.")
    return project, role


def model_output_visible(*, project: Project, role: str) -> bool:
    """Blind mode: a project's annotators never see the model's (or the other annotators')
    work out of band: no run, proposal, or leaderboard page or endpoint, and no proposals on
    the clip page. They meet proposals only as the editable cues of their own annotation."""
    return not (project.blind_mode and role == Membership.Role.ANNOTATOR)


def project_get_for_model_output(*, slug: str, user) -> tuple[Project, str]:
    """project_get_for_user, and a 404 for the annotators of a blind project."""
    project, role = project_get_for_user(slug=slug, user=user)
    if not model_output_visible(project=project, role=role):
        raise Http404("No such project.")
    return project, role


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    )


def membership_get(*, project: Project, username: str) -> Membership:
    membership = (
        membership_list(project=project).filter(user__username=username).first()
        if "\x00" not in username
        else None
    )  # see clip_get
    if membership is None:
        raise Http404(f"No member named {username!r} in this project.")
    return membership
