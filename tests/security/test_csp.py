"""Issue #16, finding 7: there was no Content-Security-Policy. Every answer now carries one that
allows no inline script and no eval, and the pages have nothing that would need them: no
<script> without src, no on* attribute, no javascript: link, no htmx hx-on or js: values."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from annotate.clips.ingest import clip_ingest
from annotate.clips.services import clip_create
from annotate.runs import services as run_services
from tests import mediafiles
from tests.annotate.review.test_reviews import annotate, concept_scorer  # noqa: F401
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


class InlineCode(HTMLParser):
    """What a page holds that a policy without 'unsafe-inline' / 'unsafe-eval' would block."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.found.append("<script> without src")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"<{tag} {name}=...> (htmx eval)")
            if name in ("hx-vals", "hx-vars", "data-hx-vals") and (
                value.startswith("js:") or value.startswith("javascript:") or name == "hx-vars"
            ):
                self.found.append(f"<{tag} {name}=js:...> (htmx eval)")
            if name in ("href", "src", "action", "formaction") and value.startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_parser_finds_what_it_looks_for():
    page = (
        '<script>alert(1)</script><script src="/static/a.js"></script>'
        '<button onclick="x()">b</button><div hx-on::after-request="y()"></div>'
        "<div hx-vals='js:{a: b()}'></div><a href=\"javascript:z()\">a</a>"
    )
    assert len(inline_code(page)) == 5


def test_a_page_carries_a_policy_without_inline_script_or_eval(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    # Style sheets and <style> only from this server or with the response's nonce; style
    # attributes are allowed (the lanes place their segments with them).
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    for directive, sources in policy.items():
        assert "'unsafe-eval'" not in sources, directive
    assert inline_code(response.content.decode()) == []


def test_the_api_and_the_lockout_page_carry_it_too(client, settings):
    user = UserFactory()
    client.force_login(user)
    assert "script-src 'self'" in client.get(reverse("api-project-list"))["Content-Security-Policy"]
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("login"), {"username": user.username, "password": "no"})
    assert response.status_code == 429
    assert _policy(response)["script-src"] == ["'self'"]
    assert inline_code(response.content.decode()) == []


@pytest.fixture
def studio(media_root, tmp_path, django_capture_on_commit_callbacks):
    """A project with a ready clip that a model ran on: one annotator submitted an annotation
    (so the clip is under review), another is at work on theirs."""
    project = ProjectFactory(name="CSP", slug="csp", annotators_per_clip=2)
    manager = MembershipFactory(project=project, role="manager").user
    submitted, annotator = (MembershipFactory(project=project, role="annotator").user for _ in "ab")
    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0)
    clip = clip_create(
        project=project,
        source=path,
        filename="a.mp4",
        enqueue=False,
        subtitle="1\n00:00:00,000 --> 00:00:00,500\nHi you\n",
        subtitle_filename="a.srt",
    )
    clip = clip_ingest(clip_id=clip.pk)
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_create(project=project, proposer="fake")
    annotate(clip, submitted)
    annotate(clip, annotator, submit=False)
    return project, clip, manager, annotator


def test_the_main_pages_have_no_inline_script(client, studio):
    project, clip, manager, annotator = studio
    slug = project.slug
    pages = {
        manager: [
            reverse("project-list"),
            reverse("project-detail", args=[slug]),  # the project's settings are on it
            reverse("clip-detail", args=[slug, clip.name]),
            reverse("review-queue", args=[slug]),
            reverse("review-clip", args=[slug, clip.name]),
            reverse("quality", args=[slug]),
            reverse("leaderboard", args=[slug]),
            reverse("score-list", args=[slug]),
            reverse("goldset-list", args=[slug]),
        ],
        annotator: [reverse("timeline", args=[slug, clip.name])],
    }
    checked = 0
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert inline_code(html) == [], url
            assert _policy(response)["script-src"] == ["'self'"], url
            checked += 1
    assert checked == 10


def test_the_waveform_gets_the_nonce_of_its_page(client, studio):
    # wavesurfer styles its shadow DOM with a <style>: the page hands it the policy's nonce.
    project, clip, manager, annotator = studio
    assert clip.peaks
    client.force_login(annotator)
    response = client.get(reverse("timeline", args=[project.slug, clip.name]))
    nonce = next(s for s in _policy(response)["style-src"] if s.startswith("'nonce-"))
    assert f'data-style-nonce="{nonce[7:-1]}"' in response.content.decode()


def test_the_api_docs_and_the_admin_have_no_inline_script(client):
    admin = User.objects.create_superuser("root", password="pw-for-tests")
    client.force_login(admin)
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200 and inline_code(docs.content.decode()) == []
    # Swagger UI's start-up script is a file of its own; its <style> carries the nonce.
    nonce = next(s for s in _policy(docs)["style-src"] if s.startswith("'nonce-"))
    assert f'<style nonce="{nonce[7:-1]}">' in docs.content.decode()
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200 and reverse("api-schema") in script.content.decode()
    for url in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{admin.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url
