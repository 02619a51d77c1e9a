import pytest

from annotate.clips.ingest import clip_ingest
from annotate.clips.services import clip_create
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def manager(project):
    return MembershipFactory(project=project, role="manager").user


@pytest.fixture
def annotator(project):
    return MembershipFactory(project=project, role="annotator").user


@pytest.fixture
def outsider(db):
    return MembershipFactory(role="manager").user  # a manager of another project


@pytest.fixture
def ready_clips(project, media_root, tmp_path):
    """Three ingested clips, "a", "b" and "broken" (the fake proposer refuses the last)."""
    clips = []
    for name in ("a", "b", "broken"):
        path = mediafiles.make_clip(tmp_path / f"{name}.mp4", seconds=1.0, fps=25 + len(clips))
        clip = clip_create(project=project, source=path, filename=f"{name}.mp4", enqueue=False)
        clips.append(clip_ingest(clip_id=clip.pk))
    return clips
