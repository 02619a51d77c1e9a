"""Learned proposers with S3-compatible storage (moto's S3 server, as the clip media tests use
it): the trained model goes to the bucket, never to MEDIA_ROOT, and a worker builds the learned
proposer of a run from the bucket's bytes, checked against the run's sha256."""

import pytest

from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.learning import services, training
from annotate.learning.models import LearnedProposer
from annotate.runs import proposing
from inference.emocue360 import Scorer
from tests.annotate.clips.test_s3_media import s3, s3_endpoint  # noqa: F401  (fixtures)
from tests.annotate.learning import world
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def text_scorer(monkeypatch):
    scorer = Scorer(encoder=world.TextEncoder(), store=DatabaseEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)


def test_the_model_is_stored_in_the_bucket_and_read_back_from_it(s3):  # noqa: F811
    project = ProjectFactory()
    manager = MembershipFactory(project=project, role="manager").user
    _, _, gold_set = world.build(project)
    learned = services.learned_proposer_start(
        project=project,
        gold_set=gold_set,
        ratios={"train": 0.7, "test": 0.3},
        seed=0,
        by=manager,
        enqueue=False,
    )
    learned = training.learned_proposer_train(learned_id=learned.pk)
    assert learned.status == LearnedProposer.Status.DONE, learned.error
    assert s3["keys"]() == [learned.artefact]
    run = services.learned_run_start(learned=learned, by=manager, enqueue=False)
    proposer = proposing._proposer_get(run)
    assert proposer.model.sha256 == learned.artefact_sha256
    proposing._proposers.pop(("signals+learned", learned.artefact_sha256), None)
