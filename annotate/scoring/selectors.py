"""Reads of the leaderboard: its rows (one query), a change token for cheap polling, a row's
per-sample scores, and one sample's cues side by side with their best matches."""

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Max, Q, Sum
from django.http import Http404

from annotate.annotation.models import Annotation
from annotate.core.models import Project
from annotate.core.scorer import scorer_get
from annotate.goldsets.models import GoldSet, GoldSetItem
from annotate.review.models import GoldCue, GoldRecord
from annotate.runs.models import Cue, ModelRun, Proposal
from annotate.scoring.models import RunScore
from inference.emocue360 import MODALITIES
from inference.emocue360.cues import KIND_SUBTITLE

KEYS = (*MODALITIES, "overall")


def _cue_json(text: str, kind: str) -> dict:
    return {"text": text, "kind": kind or None}


def empty_sample() -> dict[str, list]:
    return {m: [] for m in MODALITIES}


def gold_cues_get(
    *, project: Project, gold_set: GoldSet | None = None, names: set[str] | None = None
) -> dict[str, dict]:
    """The gold as an EmoCue cue file: {clip name: {modality: [{text, kind}]}} of the records
    that are gold (or of a frozen version's items). Blank cues are left out."""
    gold: dict[str, dict] = {}
    if gold_set is not None:
        items = GoldSetItem.objects.filter(gold_set=gold_set)
        if names is not None:
            items = items.filter(name__in=names)
        for name, cues in items.values_list("name", "cues"):
            sample = gold.setdefault(name, empty_sample())
            for modality in MODALITIES:
                for cue in (cues or {}).get(modality, []):
                    text = cue.get("text", "") if isinstance(cue, dict) else str(cue)
                    kind = cue.get("kind") if isinstance(cue, dict) else None
                    if text.strip():
                        sample[modality].append(_cue_json(text, kind or "observation"))
        return gold
    records = GoldRecord.objects.filter(clip__project=project, status=GoldRecord.Status.GOLD)
    if names is not None:
        records = records.filter(clip__name__in=names)
    for name in records.values_list("clip__name", flat=True):
        gold[name] = empty_sample()
    rows = (
        GoldCue.objects.filter(record__in=records)
        .order_by("record__clip__name", "modality", "start_ms", "position", "pk")
        .values_list("record__clip__name", "modality", "text", "kind")
    )
    for name, modality, text, kind in rows:
        if text.strip() and modality in gold[name]:
            gold[name][modality].append(_cue_json(text, kind))
    return gold


def run_cues_get(*, run_id: int, names: set[str]) -> dict[str, dict]:
    """A run's predictions on these clips: the cues of its done proposals (decoys never)."""
    predicted: dict[str, dict] = {}
    done = Proposal.objects.filter(
        run_id=run_id, status=Proposal.Status.DONE, clip__name__in=names
    ).values_list("clip__name", flat=True)
    for name in done:
        predicted[name] = empty_sample()
    rows = (
        Cue.objects.filter(
            proposal__run_id=run_id,
            proposal__status=Proposal.Status.DONE,
            clip__name__in=names,
            decoy=False,
        )
        .order_by("clip__name", "position", "pk")
        .values_list("clip__name", "modality", "text", "kind")
    )
    for name, modality, text, kind in rows:
        if text.strip() and modality in predicted[name]:
            predicted[name][modality].append(_cue_json(text, kind))
    return predicted


def annotator_cues_get(*, project: Project, annotator_id: int, names: set[str]) -> dict[str, dict]:
    """An annotator's predictions on these clips: the cues they kept in their submitted
    annotations (not rejected, no decoy and nothing edited from a decoy)."""
    predicted: dict[str, dict] = {}
    annotations = Annotation.objects.filter(
        clip__project=project,
        annotator_id=annotator_id,
        status=Annotation.Status.SUBMITTED,
        clip__name__in=names,
    )
    for name in annotations.values_list("clip__name", flat=True):
        predicted[name] = empty_sample()
    rows = (
        Cue.objects.filter(annotation__in=annotations, decoy=False)
        .exclude(decision=Cue.Decision.REJECTED)
        .exclude(derived_from__decoy=True)
        .order_by("clip__name", "modality", "start_ms", "position", "pk")
        .values_list("clip__name", "modality", "text", "kind")
    )
    for name, modality, text, kind in rows:
        if text.strip() and modality in predicted[name]:
            predicted[name][modality].append(_cue_json(text, kind))
    return predicted


def row_inputs_get(*, row: RunScore) -> tuple[dict, dict, dict]:
    """(gold, predicted, coverage) for one leaderboard row. A run is scored on the gold clips
    it has a proposal for (a failed or missing answer scores 0 in strict mode), never on the
    clips its model was trained on (a learned proposer's: coverage counts them as
    `excluded_training_clips`); an annotator on the gold clips they submitted."""
    gold_all = gold_cues_get(project=row.project, gold_set=row.gold_set)
    excluded: set[str] = set()
    if row.run_id is not None:
        covered = set(
            Proposal.objects.filter(run_id=row.run_id, clip__name__in=list(gold_all)).values_list(
                "clip__name", flat=True
            )
        )
        training = set(ModelRun.objects.get(pk=row.run_id).training_clips)
        excluded = covered & training
        gold = {n: s for n, s in gold_all.items() if n in covered and n not in training}
        predicted = run_cues_get(run_id=row.run_id, names=set(gold))
    else:
        covered = set(
            Annotation.objects.filter(
                clip__project_id=row.project_id,
                annotator_id=row.annotator_id,
                status=Annotation.Status.SUBMITTED,
                clip__name__in=list(gold_all),
            ).values_list("clip__name", flat=True)
        )
        gold = {n: s for n, s in gold_all.items() if n in covered}
        predicted = annotator_cues_get(
            project=row.project, annotator_id=row.annotator_id, names=set(gold)
        )
    coverage = {
        "gold_clips": len(gold_all),
        "scored_clips": len(gold),
        "predicted_clips": len(predicted),
        "excluded_training_clips": len(excluded),
    }
    return gold, predicted, coverage


@dataclass
class LeaderboardRow:
    pk: int
    kind: str  # "run" or "human"
    name: str
    proposer: str
    version: str
    status: str
    stale: bool
    generation: int
    computed_generation: int
    error: str
    computed_at: object
    cells: dict = field(default_factory=dict)  # key -> {"f1", "lo", "hi", "n"}
    reference_overall: float | None = None
    n_samples: int = 0
    scored_clips: int | None = None
    busy: bool = False
    # Computed, but none of the gold clips is among the run's clips (the annotator's
    # submissions): nothing to rank it by yet. `not_scorable` says why.
    not_scorable: str = ""
    rank: int | None = None
    # A learned proposer's run: how many gold clips it was not scored on because its model
    # was trained on them (the leaderboard scores it on held-out clips only).
    excluded_training_clips: int = 0

    @property
    def scorable(self) -> bool:
        return not self.not_scorable

    @property
    def modality_cells(self) -> list[tuple[str, dict]]:
        return [(m, self.cells.get(m) or {}) for m in MODALITIES]

    @property
    def overall(self) -> float | None:
        return self.cells.get("overall", {}).get("f1")


def gold_set_for(*, project: Project, version: str | int | None) -> GoldSet | None:
    """The frozen version asked for (None: the working gold); 404 for a version that does
    not exist."""
    if version in (None, "", "working"):
        return None
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise Http404(f"No gold set version {version!r}.") from None
    gold_set = GoldSet.objects.filter(project=project, version=number).only("pk", "version").first()
    if gold_set is None:
        raise Http404(f"No gold set version {number} in this project.")
    return gold_set


def gold_set_versions(*, project: Project) -> list[int]:
    return list(
        GoldSet.objects.filter(project=project)
        .order_by("-version")
        .values_list("version", flat=True)
    )


def _rows_queryset(*, project: Project, gold_set: GoldSet | None):
    rows = RunScore.objects.filter(project=project)
    rows = rows.filter(gold_set=gold_set) if gold_set else rows.filter(gold_set__isnull=True)
    return rows


def leaderboard_token(*, project: Project, gold_set: GoldSet | None) -> str:
    """Changes whenever anything the rows partial shows changes (one aggregate query)."""
    agg = _rows_queryset(project=project, gold_set=gold_set).aggregate(
        n=Count("pk"),
        gen=Sum("generation"),
        done=Sum("computed_generation"),
        at=Max("computed_at"),
        changed=Max("changed_at"),
        stale=Count("pk", filter=Q(stale=True)),
        busy=Count("pk", filter=Q(status__in=[RunScore.Status.RUNNING, RunScore.Status.FAILED])),
    )
    at = agg["at"].timestamp() if agg["at"] else 0
    changed = agg["changed"].timestamp() if agg["changed"] else 0
    return (
        f"{agg['n']}.{agg['gen'] or 0}.{agg['done'] or 0}.{agg['stale']}.{agg['busy']}."
        f"{at:.6f}.{changed:.6f}"
    )


def _cell(block: dict | None) -> dict:
    if not block or block.get("f1") is None:
        return {"f1": None, "lo": None, "hi": None, "n": (block or {}).get("n_samples", 0)}
    ci = (block.get("ci") or {}).get("f1") or [None, None]
    return {"f1": block["f1"], "lo": ci[0], "hi": ci[1], "n": block.get("n_samples", 0)}


def leaderboard_row_from_score(score: RunScore, *, variant: str = "paper") -> LeaderboardRow:
    """One RunScore (with its run and annotator loaded) as the leaderboard shows it."""
    if score.run_id:
        run = score.run
        kind, name = "run", run.label or f"{run.proposer} {run.version} #{run.pk}"
        proposer, version = run.proposer, run.version
    else:
        kind, name, proposer, version = "human", score.annotator.get_username(), "", ""
    row = LeaderboardRow(
        pk=score.pk,
        kind=kind,
        name=name,
        proposer=proposer,
        version=version,
        status=score.status,
        stale=score.stale,
        generation=score.generation,
        computed_generation=score.computed_generation,
        error=score.error,
        computed_at=score.computed_at,
        # a failed row waits for the next change: no fast polling for it
        busy=score.status in (RunScore.Status.RUNNING, RunScore.Status.PENDING)
        or (score.stale and score.status != RunScore.Status.FAILED),
    )
    strict = (score.result or {}).get("strict") or {}
    block = (strict.get("scores") or {}).get(variant) or {}
    row.cells = {key: _cell(block.get(key)) for key in KEYS}
    row.n_samples = max((row.cells[m]["n"] or 0 for m in MODALITIES), default=0)
    reference = (score.result or {}).get("reference") or {}
    row.reference_overall = (
        ((reference.get("scores") or {}).get(variant) or {}).get("overall") or {}
    ).get("f1")
    coverage = (score.config or {}).get("coverage")
    if coverage:
        row.excluded_training_clips = int(coverage.get("excluded_training_clips") or 0)
    if score.computed_generation and coverage and not coverage.get("scored_clips"):
        row.not_scorable = _not_scorable_reason(
            kind, coverage.get("gold_clips") or 0, row.excluded_training_clips
        )
    return row


def _not_scorable_reason(kind: str, gold_clips: int, excluded: int = 0) -> str:
    if not gold_clips:
        return "No clip is gold yet: rows are scored once a gold record is final."
    if excluded:
        return (
            f"Its model was trained on the {excluded} gold clip{'s' if excluded != 1 else ''} "
            "it ran on: a learned proposer is scored on held-out clips only."
        )
    among = "the clips it ran on" if kind == "run" else "the clips they submitted"
    return (
        f"None of the {gold_clips} gold clip{'s' if gold_clips != 1 else ''} is among "
        f"{among}; it is scored once one is."
    )


def leaderboard_rows(
    *, project: Project, gold_set: GoldSet | None = None, variant: str = "paper"
) -> list[LeaderboardRow]:
    """Every row with its strict-mode F1 per modality (95 % CI), overall, and reference-mode
    overall for one variant; best overall first, rows without numbers after them, ranked 1, 2,
    ...; rows that cannot be scored (no gold clip among theirs) last, without a rank. One
    query."""
    queryset = (
        _rows_queryset(project=project, gold_set=gold_set)
        .select_related("run", "annotator")
        .defer("samples", "run__parameters", "annotator__password")
    )
    rows = [leaderboard_row_from_score(score, variant=variant) for score in queryset]
    rows.sort(key=lambda r: (not r.scorable, r.overall is None, -(r.overall or 0), r.kind, r.name))
    for rank, row in enumerate((r for r in rows if r.scorable), 1):
        row.rank = rank
    return rows


def run_score_get(*, project: Project, row_id: int) -> RunScore:
    score = (
        RunScore.objects.select_related("run", "annotator", "gold_set")
        .filter(project=project, pk=row_id)
        .first()
    )
    if score is None:
        raise Http404("No such leaderboard row in this project.")
    return score


def run_score_label(score: RunScore) -> str:
    if score.run_id:
        run = score.run
        return run.label or f"{run.proposer} {run.version} #{run.pk}"
    return f"{score.annotator.get_username()} (human)"


def sample_scores(*, score: RunScore, mode: str, variant: str, key: str) -> list[dict]:
    """Per-sample F1 of one row: [{name, f1}] for a modality, or for "overall" the mean over
    the sample's scored modalities; lowest first."""
    out = []
    for name, by_mode in (score.samples or {}).items():
        by_modality = ((by_mode.get(mode) or {}).get(variant)) or {}
        if key == "overall":
            values = [v[2] for v in by_modality.values()]
        else:
            values = [by_modality[key][2]] if key in by_modality else []
        if values:
            out.append({"name": name, "f1": float(np.mean(values))})
    out.sort(key=lambda s: (s["f1"], s["name"]))
    return out


def sample_matches_get(*, score: RunScore, name: str) -> dict:
    """One sample of a row, gold beside predicted per modality: each cue's best match on the
    other side and their cosine similarity (the scorer's embeddings), and whether strict mode
    scores it (subtitle cues do not count)."""
    gold_all = gold_cues_get(project=score.project, gold_set=score.gold_set, names={name})
    if name not in gold_all:
        raise Http404(f"{name!r} is not in this gold.")
    gold = gold_all[name]
    if score.run_id and name in score.run.training_clips:
        raise Http404(
            f"{name!r} is one of the clips this run's model was trained on: it is not scored "
            "on them (held-out clips only)."
        )
    if score.run_id:
        predicted = run_cues_get(run_id=score.run_id, names={name}).get(name)
    else:
        predicted = annotator_cues_get(
            project=score.project, annotator_id=score.annotator_id, names={name}
        ).get(name)
    counted = lambda cue: cue["kind"] != KIND_SUBTITLE  # noqa: E731
    texts = sorted(
        {
            c["text"]
            for side in (gold, predicted or {})
            for cues in side.values()
            for c in cues
            if counted(c)
        }
    )
    vectors = {}
    if texts:
        scorer = scorer_get()
        embedded = scorer.cache.embed_unique(texts)
        matrix = np.stack([embedded[t] for t in texts]).astype(np.float64)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        vectors = {t: matrix[i] for i, t in enumerate(texts)}

    def side(cues: list[dict], others: list[dict]) -> list[dict]:
        scored_others = [o for o in others if counted(o)]
        rows = []
        for cue in cues:
            row = {
                "text": cue["text"],
                "kind": cue["kind"],
                "counted": counted(cue),
                "match": None,
                "similarity": None,
            }
            if row["counted"] and scored_others:
                sims = [float(vectors[cue["text"]] @ vectors[o["text"]]) for o in scored_others]
                best = int(np.argmax(sims))
                row["match"], row["similarity"] = scored_others[best]["text"], sims[best]
            rows.append(row)
        return rows

    stored = ((score.samples or {}).get(name) or {}).get("strict", {}).get("paper", {})
    modalities = []
    for modality in MODALITIES:
        g, p = gold[modality], (predicted or {}).get(modality, [])
        f1 = stored.get(modality)
        modalities.append(
            {
                "modality": modality,
                "gold": side(g, p),
                "predicted": side(p, g),
                "f1": f1[2] if f1 else None,
                "precision": f1[0] if f1 else None,
                "recall": f1[1] if f1 else None,
            }
        )
    return {"name": name, "predicted_missing": predicted is None, "modalities": modalities}
