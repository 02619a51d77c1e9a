"""Each learned proposer against the run it learned from, on its held-out clips only: both runs'
per-clip EmoCue-360 F1 (as the leaderboard computed them against the chosen gold) and the
difference with a paired bootstrap CI over clips (inference.learning.paired_difference)."""

from dataclasses import dataclass, field

from annotate.core.models import Project
from annotate.goldsets.models import GoldSet
from annotate.learning.models import LearnedProposer
from annotate.runs.models import ModelRun
from annotate.scoring.models import RunScore
from inference.learning import LEARNED_NAME, paired_difference

MAX_SHOWN = 10
CI_RESAMPLES = 1000
CI_SEED = 0


@dataclass
class LearnedComparison:
    learned: LearnedProposer
    base_run: ModelRun | None
    learned_run: ModelRun | None
    # ready | no_run (no finished run of the learned model) | scoring (a row is not computed
    # yet) | no_clips (no held-out clip is scored by both against this gold)
    state: str
    message: str = ""
    result: dict = field(default_factory=dict)

    @property
    def ahead(self) -> bool | None:
        """True when the CI of the difference lies above 0, False below, None when it holds 0."""
        ci = (self.result.get("ci") or {}).get("overall")
        if not ci:
            return None
        return True if ci[0] > 0 else False if ci[1] < 0 else None


def _per_clip(score: RunScore, variant: str, names: set[str]) -> dict[str, dict[str, float]]:
    out = {}
    for name, by_mode in (score.samples or {}).items():
        if name not in names:
            continue
        by_modality = ((by_mode.get("strict") or {}).get(variant)) or {}
        if by_modality:
            out[name] = {m: float(v[2]) for m, v in by_modality.items()}
    return out


def learned_comparisons(
    *, project: Project, gold_set: GoldSet | None, variant: str = "paper"
) -> list[LearnedComparison]:
    """The newest MAX_SHOWN trained learned proposers of the project, each compared with its base
    run on its held-out split, against this gold (None: the working gold)."""
    learned_list = list(
        LearnedProposer.objects.filter(project=project, status=LearnedProposer.Status.DONE)
        .select_related("base_run", "gold_set")
        .order_by("-number")[:MAX_SHOWN]
    )
    if not learned_list:
        return []
    runs = {}
    for run in ModelRun.objects.filter(
        project=project, proposer=LEARNED_NAME, status=ModelRun.Status.FINISHED
    ).order_by("-created_at", "-pk"):
        runs.setdefault((run.parameters or {}).get("learned_proposer"), run)
    wanted = [r.pk for r in runs.values()] + [
        item.base_run_id for item in learned_list if item.base_run_id
    ]
    scores = RunScore.objects.filter(project=project, run_id__in=wanted)
    scores = scores.filter(gold_set=gold_set) if gold_set else scores.filter(gold_set__isnull=True)
    by_run = {score.run_id: score for score in scores}
    comparisons = []
    for learned in learned_list:
        learned_run = runs.get(learned.pk)
        comparison = LearnedComparison(
            learned=learned, base_run=learned.base_run, learned_run=learned_run, state="ready"
        )
        comparisons.append(comparison)
        if learned.base_run is None:
            comparison.state, comparison.message = "no_run", "Its base run was deleted."
            continue
        if learned_run is None:
            comparison.state = "no_run"
            comparison.message = "No finished run of it yet: run it on its held-out clips."
            continue
        rows = [by_run.get(learned.base_run_id), by_run.get(learned_run.pk)]
        if any(row is None or row.stale or not row.computed_generation for row in rows):
            comparison.state, comparison.message = "scoring", "Scores are being computed…"
            continue
        heldout = set(learned.heldout_clips)
        result = paired_difference(
            base=_per_clip(rows[0], variant, heldout),
            other=_per_clip(rows[1], variant, heldout),
            n_resamples=CI_RESAMPLES,
            seed=CI_SEED,
        )
        if not result["clips"]:
            comparison.state = "no_clips"
            comparison.message = (
                "No held-out clip is scored by both runs against this gold (are they gold in "
                "this version?)."
            )
            continue
        comparison.result = result
    return comparisons
