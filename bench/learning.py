"""Learning from the reviewers, measured on a simulated project (issue #17, point 5).

A project of generated clips (the demo generator's speech and pictures, with sentences written
for five emotions and neutral) is annotated by two simulated annotators and adjudicated by a
simulated reviewer, all through the real services (annotation_open, cue_accept/edit/reject,
annotation_submit, the review services, goldset_freeze) on a throwaway database, with the real
signal proposer and the real sentence model. Then it reports:

- held-out F1 of the signal proposer against the learned one (signals+learned, trained by the
  real training code on the split's train part, run by the real proposer on the held-out part),
  with the paired bootstrap CI of the difference, as the leaderboard computes it;
- the metric's ROC AUC against the simulated reviewers' judgements (the metaeval functions);
- the ECE of the signal proposer's confidences before and after calibration (the calibration
  functions; cross-validated after);
- for the queue, the annotations needed until the model learned from the gold made so far
  reaches a target held-out F1, breadth first against the expected-value order (and against the
  same order with the uncertainties shuffled among the clips, which separates what the
  uncertainty contributes from what finishing clips early does). Each arm annotates fresh
  row-only copies of the training clips with the same policy (k = 2, the two annotators asking
  in turn, a clip reviewed once both have submitted); after each reviewed clip the model is
  fitted on the working gold (the training code's own functions) and applied to the held-out
  clips' stored signal proposals, scored as the leaderboard scores. The queue's uncertainty is
  the signal proposer's (no learned run refreshes it during the arm: its proposals would also
  become what the annotators start from).

The simulated people follow this policy (seeded: --seed; RNGs per annotator and clip):

1. Each annotator's primary label is the clip's scripted emotion; with probability 0.15 it is a
   confusable neighbour instead (happy->excited, sad->worried, angry->sad, worried->anxious,
   surprise->excited, neutral->calm).
2. The face is a photograph that always smiles: annotators reject the visual cue "The corners of
   the mouth turn up ..." unless their label is happy or excited.
3. They reject every "The sentence contains a negation" cue (grammar, not an emotion), and every
   word-list cue ("The words express joy ...") whose emotion disagrees with their label.
4. They keep the proposer's emotion sentences that agree with their label and reject the rest;
   when none agrees they edit the first into "Her words and her voice suggest that she is X."
5. The second annotator rewords visual and auditory observations as the demo's annotators do
   (fixtures/demo_annotations.PARAPHRASES), so the metric meets paraphrases.
6. Everything else is accepted; the description lists the kept cues and the label.
7. The reviewer accepts every group both annotators kept (in the first one's words), and an
   emotion sentence kept by one annotator when it states the settled label; rejects the rest;
   the settled label is the annotators' common one, or the scripted emotion when they differ.

Usage (from the repository root; ffmpeg and espeak-ng as for the demo):
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        HF_HUB_OFFLINE=1 python bench/learning.py [--json] [--clips 48] [--seed 0]
Generated clips are kept in var/bench-learning/ (rendered once, about 3 s a clip).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.demo import ASTRONAUT, CALM, COFFEE, EXCITED, ClipSpec, render_clip  # noqa: E402

# Sentences per scripted emotion (written for this bench; lexicon words on purpose, as people
# say them). Calm speech for neutral, sad and worried; excited speech for the rest.
SENTENCES = {
    "happy": (
        "We actually won the grant!",
        "This is the best news all year!",
        "I love this wonderful gift!",
        "What a beautiful day for a party!",
        "You made me so happy today!",
        "Our team finally won the cup!",
    ),
    "sad": (
        "I waited all evening.",
        "Nobody called me back.",
        "I miss my old friends so much.",
        "The house feels empty now.",
        "My dog died last winter.",
        "I lost everything I had.",
    ),
    "angry": (
        "That is not what we agreed!",
        "You broke your promise again!",
        "I am furious about this mess!",
        "Stop lying to me right now!",
        "This is an insult to all of us!",
        "Get out of my office!",
    ),
    "worried": (
        "The storm is getting closer.",
        "I hope the roads stay open.",
        "I am afraid the test went badly.",
        "What if the doctor has bad news?",
        "The bridge might not hold.",
        "I fear we will miss the train.",
    ),
    "surprise": (
        "Wait, is that really you?",
        "I did not expect you here!",
        "No way, you finished already?",
        "You bought a house?",
        "Is this really for me?",
        "You came all this way?",
    ),
    "neutral": (
        "Good morning, everyone.",
        "The weekly report is on the table.",
        "The meeting starts at ten.",
        "Please close the door.",
        "The bus leaves from platform two.",
        "The files are in the blue folder.",
    ),
}
STYLE = {
    "happy": EXCITED,
    "sad": CALM,
    "angry": EXCITED,
    "worried": CALM,
    "surprise": EXCITED,
    "neutral": CALM,
}
CONFUSABLE = {
    "happy": "excited",
    "sad": "worried",
    "angry": "sad",
    "worried": "anxious",
    "surprise": "excited",
    "neutral": "calm",
}
LABEL_NOISE = 0.15
ADJECTIVE = {"surprise": "surprised", "fear": "afraid", "disgust": "disgusted"}
SPLIT = {"train": 0.7, "test": 0.3}
BENCH_VERSION = 1  # of the generated clip set: bump when the specs change


def clip_specs(n: int, seed: int) -> list[ClipSpec]:
    """n clips (up to 180) cycling through the emotions, two sentences each (seeded, no pair
    twice), one in eight without a face (the coffee cup)."""
    rng = random.Random(f"clips-{seed}")
    emotions = list(SENTENCES)
    pairs = {}
    for emotion, bank in SENTENCES.items():  # every ordered pair once: no two clips alike
        pairs[emotion] = [(a, b) for a in bank for b in bank if a != b]
        rng.shuffle(pairs[emotion])
    specs = []
    for i in range(n):
        emotion = emotions[i % len(emotions)]
        sentences = pairs[emotion][i // len(emotions)]
        scene = COFFEE if i % 8 == 7 else ASTRONAUT
        specs.append(ClipSpec(f"bench_{i:04d}", emotion, STYLE[emotion], scene, sentences))
    return specs


def build_clips(folder: Path, specs: list[ClipSpec]) -> None:
    """Render the clips that are not there yet (video + SRT), as the demo generator does."""
    stamp = folder / "stamp.json"
    wanted = {"version": BENCH_VERSION, "specs": [[s.name, s.emotion, *s.sentences] for s in specs]}
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return
    folder.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="emocue-bench-clips-") as work:
        for number, spec in enumerate(specs, 1):
            render_clip(spec, out_dir=folder, work_dir=Path(work))
            print(f"  rendered {number}/{len(specs)} {spec.name}", file=sys.stderr, flush=True)
    stamp.write_text(json.dumps(wanted))


# --- the throwaway database --------------------------------------------------------------


def _database(scratch: Path) -> tuple[str, str | None, str | None]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        name = f"emocue_learning_bench_{uuid.uuid4().hex[:8]}"
        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(parts._replace(path=f"/{name}")), admin, name
    return f"sqlite:///{scratch / 'bench.sqlite3'}", None, None


def _drop(admin: str | None, name: str | None) -> None:
    if admin is None:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the simulated people ----------------------------------------------------------------


def _rng(seed: int, *parts) -> random.Random:
    return random.Random("|".join(str(p) for p in (seed, *parts)))


def _label(seed: int, annotator: str, clip: str, truth: str) -> str:
    if _rng(seed, "label", annotator, clip).random() < LABEL_NOISE:
        return CONFUSABLE[truth]
    return truth


def _agrees(emotion: str, label: str) -> bool:
    from fixtures.demo_annotations import AGREEING_LABELS

    return label in AGREEING_LABELS.get(emotion.lower(), {emotion.lower()})


def _decide(annotator_index: int, cue, label: str) -> tuple[str, str]:
    """("accept" | "edit" | "reject", new text or reason) for one proposed cue (rules 2-6)."""
    from fixtures.demo_annotations import PARAPHRASES

    text = cue.text
    if text.startswith("The corners of the mouth turn up") and label not in ("happy", "excited"):
        return "reject", "The smile is the photograph's, not this clip's emotion."
    if text.startswith("The sentence contains a negation"):
        return "reject", "A negation is grammar, not an emotion."
    lexicon = re.match(r"The words express (\w+)", text)
    if lexicon and not _agrees(lexicon.group(1), label):
        return "reject", f"These words do not express {lexicon.group(1)} here."
    inferred = re.search(r"the person is (\w+)", text)
    if cue.modality == "emotional" and inferred:
        return ("accept", "") if _agrees(inferred.group(1), label) else ("reject", "Not my label.")
    if annotator_index == 1 and cue.kind == "observation" and cue.modality != "emotional":
        for pattern, replacement in PARAPHRASES:
            if re.match(pattern, text):
                return "edit", re.sub(pattern, replacement, text)
    return "accept", ""


def annotate(*, slot, annotator_index: int, truth: str, seed: int):
    """One simulated annotator's session on the clip of a leased slot, through the services."""
    from annotate.annotation.services import (
        annotation_submit,
        annotation_update,
        cue_accept,
        cue_edit,
        cue_reject,
    )
    from annotate.runs.models import Cue

    user, annotation = slot.annotator, slot.annotation
    label = _label(seed, user.username, slot.clip.name, truth)
    proposed = list(annotation.cues.filter(decision=Cue.Decision.PROPOSED).order_by("position"))
    decisions = [(cue, *_decide(annotator_index, cue, label)) for cue in proposed]
    emotional = [c for c, action, _ in decisions if c.modality == "emotional" and not c.decoy]
    if emotional and all(a == "reject" for c, a, _ in decisions if c in emotional):
        first = emotional[0]
        decisions = [
            (
                c,
                *(
                    (
                        "edit",
                        f"Her words and her voice suggest that she is "
                        f"{ADJECTIVE.get(label, label)}.",
                    )
                    if c is first
                    else (a, v)
                ),
            )
            for c, a, v in decisions
        ]
    kept = []
    for cue, action, value in decisions:
        if action == "accept":
            cue_accept(cue=cue, user=user, expected_version=cue.version)
            kept.append(cue.text)
        elif action == "edit":
            cue_edit(cue=cue, user=user, expected_version=cue.version, text=value)
            kept.append(value)
        else:
            cue_reject(cue=cue, user=user, expected_version=cue.version, reason=value)
    annotation.refresh_from_db()
    description = " ".join(kept[:6]) + f" Therefore she is {ADJECTIVE.get(label, label)}."
    annotation = annotation_update(
        annotation=annotation,
        user=user,
        expected_version=annotation.version,
        labels=[label],
        primary_label=label,
        description=description,
    )
    return annotation_submit(annotation=annotation, user=user, expected_version=annotation.version)


def review(*, clip, reviewer, truth: str):
    """The simulated reviewer's adjudication of a clip (rule 7), through the services."""
    from annotate.review.selectors import clip_alignment_get
    from annotate.review.services import (
        gold_labels_set,
        gold_record_finalize,
        gold_record_open,
        review_group_accept,
        review_group_reject,
    )
    from annotate.runs.models import Cue

    record = gold_record_open(clip=clip, reviewer=reviewer)
    annotations, _, groups, _ = clip_alignment_get(clip=clip)
    primaries = [a.primary_label for a in annotations]
    settled = primaries[0] if len(set(primaries)) == 1 else truth
    for group in groups:
        accept = group["label"] == "consensus" and len(group["cue_ids"]) >= 2
        if not accept and group["modality"] == "emotional" and group["cue_ids"]:
            text = Cue.objects.values_list("text", flat=True).get(pk=group["cue_ids"][0])
            stated = re.search(r"(?:the person|she) is (\w+)", text)
            accept = bool(stated) and stated.group(1) in (settled, ADJECTIVE.get(settled))
        if accept:
            record = review_group_accept(
                record=record,
                group_key=group["key"],
                reviewer=reviewer,
                expected_version=record.version,
            )
        else:
            record = review_group_reject(
                record=record,
                group_key=group["key"],
                reviewer=reviewer,
                expected_version=record.version,
                note="Not kept by both annotators.",
            )
    record = gold_labels_set(
        record=record,
        reviewer=reviewer,
        expected_version=record.version,
        labels=[settled],
        primary_label=settled,
        description=annotations[0].description,
    )
    return gold_record_finalize(record=record, reviewer=reviewer, expected_version=record.version)


def annotate_project(*, project, people, reviewer, truth: dict, seed: int, on_submit=None):
    """Annotators ask for their next clip in turn until none is left; a clip with k submissions
    is reviewed at once. on_submit(count, gold_changed) after each submission; returning True
    stops. Returns the annotations submitted."""
    from annotate.annotation.assignments import assignment_next
    from annotate.annotation.models import Annotation

    count, turn, idle = 0, 0, 0
    while idle < len(people):
        index = turn % len(people)
        turn += 1
        slot = assignment_next(project=project, annotator=people[index])
        if slot is None:
            idle += 1
            continue
        idle = 0
        annotate(slot=slot, annotator_index=index, truth=truth[slot.clip.name], seed=seed)
        count += 1
        done = Annotation.objects.filter(clip=slot.clip, status="submitted").count()
        reviewed = done >= project.annotators_per_clip
        if reviewed:
            review(clip=slot.clip, reviewer=reviewer, truth=truth[slot.clip.name])
        if on_submit is not None and on_submit(count, reviewed):
            break
    return count


# --- scoring as the leaderboard does ------------------------------------------------------


def overall_f1(gold: dict, predicted: dict) -> float | None:
    from annotate.scoring.compute import scores_compute

    result, _, _ = scores_compute(gold=gold, predicted=predicted)
    strict = result.get("strict") or {}
    return ((strict.get("scores") or {}).get("paper") or {}).get("overall", {}).get("f1")


def learned_cues(proposal, model, duration_ms: int) -> dict:
    """What signals+learned answers on a clip, from the stored signal proposal (the proposer
    runs the signal proposer and then exactly this)."""
    from inference.learning import apply_learned
    from inference.proposers import Proposal, ProposedCue

    base = Proposal(
        proposer=proposal.run.proposer,
        version=proposal.run.version,
        description=proposal.description,
        cues=tuple(
            ProposedCue(
                c.modality,
                c.text,
                c.start_ms,
                c.end_ms,
                float(c.confidence or 0),
                c.evidence,
                kind=c.kind,
            )
            for c in proposal.cues.order_by("position")
        ),
        emotions=tuple((e["label"], e["score"]) for e in proposal.emotions),
        features=proposal.features,
    )
    out = apply_learned(base, model, duration_ms=duration_ms)
    sample = {"visual": [], "auditory": [], "emotional": []}
    for cue in out.cues:
        sample[cue.modality].append({"text": cue.text, "kind": cue.kind})
    return sample


# --- the queue -----------------------------------------------------------------------------


def clone_pool(
    *, source_run, names, name: str, order: str, shuffle_seed: int | None, people, reviewer
):
    """A project of row-only copies of these clips (no media: nothing here decodes them) with a
    finished copy of the base run's proposals, its queue in this order. shuffle_seed permutes
    the proposals' uncertainties among the clips (the control arm)."""
    from django.utils import timezone

    from annotate.clips.models import Clip
    from annotate.core.models import Membership
    from annotate.core.services import project_create
    from annotate.runs.models import Cue, ModelRun, Proposal

    project = project_create(name=name, annotators_per_clip=2, queue_order=order)
    for person in people:
        Membership.objects.create(project=project, user=person, role="annotator")
    Membership.objects.create(project=project, user=reviewer, role="reviewer")
    run = ModelRun.objects.create(
        project=project,
        proposer=source_run.proposer,
        version=source_run.version,
        status=ModelRun.Status.FINISHED,
        finished_at=timezone.now(),
    )
    proposals = list(
        Proposal.objects.filter(run=source_run, clip__name__in=names)
        .select_related("clip")
        .order_by("clip__name")
    )
    uncertainties = [p.uncertainty for p in proposals]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(uncertainties)
    for proposal, uncertainty in zip(proposals, uncertainties, strict=True):
        clip = proposal.clip
        copy = Clip.objects.create(
            project=project,
            name=clip.name,
            sha256=hashlib.sha256(f"{name}-{clip.sha256}".encode()).hexdigest(),
            status=Clip.Status.READY,
            duration_ms=clip.duration_ms,
            fps_num=clip.fps_num,
            fps_den=clip.fps_den,
            subtitle_text=clip.subtitle_text,
            subtitle_segments=clip.subtitle_segments,
        )
        new = Proposal.objects.create(
            run=run,
            clip=copy,
            status=Proposal.Status.DONE,
            description=proposal.description,
            emotions=proposal.emotions,
            features=proposal.features,
            uncertainty=uncertainty,
            model_version=proposal.model_version,
        )
        Cue.objects.bulk_create(
            [
                replace_cue(cue, clip=copy, proposal=new)
                for cue in proposal.cues.order_by("position")
            ]
        )
    return project, run


def replace_cue(cue, **fields):
    from annotate.runs.models import Cue

    return Cue(
        clip=fields["clip"],
        proposal=fields["proposal"],
        position=cue.position,
        modality=cue.modality,
        kind=cue.kind,
        text=cue.text,
        start_ms=cue.start_ms,
        end_ms=cue.end_ms,
        confidence=cue.confidence,
        evidence=cue.evidence,
        origin=cue.origin,
        decision=cue.decision,
    )


def working_training_set(project, run, threshold: float):
    """The training data of the gold made so far (final gold records), with EmoCue-360's
    similarity, as the training task builds it from a frozen version."""
    from annotate.learning.training import _similarity
    from annotate.review.models import GoldRecord
    from annotate.runs.models import Proposal
    from inference.learning import ClipGold, ClipObservation, training_set
    from inference.proposers import ProposedCue

    gold = {}
    for record in GoldRecord.objects.filter(
        clip__project=project, status=GoldRecord.Status.GOLD
    ).select_related("clip"):
        cues = {"visual": [], "auditory": [], "emotional": []}
        for cue in record.cues.all():
            cues[cue.modality].append(cue.text)
        gold[record.clip.name] = ClipGold(
            name=record.clip.name,
            primary_label=record.primary_label,
            cues={m: tuple(t) for m, t in cues.items()},
        )
    observations = [
        ClipObservation(
            name=p.clip.name,
            features=p.features,
            emotions=tuple((e["label"], e["score"]) for e in p.emotions),
            cues=tuple(
                ProposedCue(
                    c.modality,
                    c.text,
                    c.start_ms,
                    c.end_ms,
                    float(c.confidence or 0),
                    c.evidence,
                    kind=c.kind,
                )
                for c in p.cues.order_by("position")
            ),
            duration_ms=p.clip.duration_ms or 0,
        )
        for p in Proposal.objects.filter(run=run, clip__name__in=list(gold)).select_related("clip")
    ]
    texts = [c.text for o in observations for c in o.cues] + [
        t for g in gold.values() for ts in g.cues.values() for t in ts
    ]
    similarity, _ = _similarity(texts)
    return training_set(
        observations=observations, gold=gold, similarity=similarity, threshold=threshold
    )


def queue_arm(*, label, order, shuffle_seed, main, people, reviewer, truth, seed, target):
    """Annotate a fresh copy of the training clips in this queue order, training on the gold
    after every reviewed clip; the annotations until the held-out F1 reaches the target."""
    from inference.learning import LearningError, fit

    project, run = clone_pool(
        source_run=main["base_run"],
        names=main["pool"],
        name=f"Queue {label}",
        order=order,
        shuffle_seed=shuffle_seed,
        people=people,
        reviewer=reviewer,
    )
    curve: list[list] = []
    reached: dict = {"annotations": None}

    def after(count: int, reviewed: bool) -> bool:
        if not reviewed:
            return False
        data = working_training_set(project, run, project.align_similarity)
        try:
            model = fit(training=data, seed=seed, base=main["base"], trained_on={})
        except LearningError:
            curve.append([count, len(data.clips), None])
            return False
        predicted = {
            name: learned_cues(main["proposals"][name], model, main["durations"][name])
            for name in main["test"]
        }
        f1 = overall_f1(main["test_gold"], predicted)
        curve.append([count, len(data.clips), round(f1, 4)])
        if f1 is not None and f1 >= target and reached["annotations"] is None:
            reached["annotations"] = count
            return True
        return False

    total = annotate_project(
        project=project, people=people, reviewer=reviewer, truth=truth, seed=seed, on_submit=after
    )
    return {
        "annotations_to_target": reached["annotations"],
        "annotations_done": total,
        "pool_clips": len(main["pool"]),
        "curve": curve,
    }


# --- the run -------------------------------------------------------------------------------


def simulate(args, clips_dir: Path, specs: list[ClipSpec]) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotate.annotation.models import Annotation
    from annotate.clips.ingest import clip_ingest
    from annotate.clips.services import clip_create
    from annotate.core.models import Membership
    from annotate.core.services import project_create
    from annotate.goldsets.services import goldset_freeze
    from annotate.learning import services as learning_services
    from annotate.learning import training
    from annotate.review.judgements import metric_judgement_report
    from annotate.runs import proposing
    from annotate.runs import services as run_services
    from annotate.runs.calibration import proposer_calibrations_refresh, proposer_decisions
    from annotate.runs.models import ModelRun, Proposal
    from annotate.scoring import compute, leaderboard
    from annotate.scoring.comparison import learned_comparisons
    from annotate.scoring.models import RunScore
    from annotate.scoring.selectors import gold_cues_get
    from inference.calibration import calibrator_fit, reliability
    from inference.learning import LearnedModel

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    people = [users.create_user(f"annotator{i}", password="x") for i in (1, 2)]
    reviewer = users.create_user("reviewer", password="x")
    manager = users.create_user("manager", password="x")
    project = project_create(name="Learning bench", created_by=manager, annotators_per_clip=2)
    for person in people:
        Membership.objects.create(project=project, user=person, role="annotator")
    Membership.objects.create(project=project, user=reviewer, role="reviewer")
    truth = {spec.name: spec.emotion for spec in specs}
    for spec in specs:
        srt = clips_dir / f"{spec.name}.srt"
        clip = clip_create(
            project=project,
            source=clips_dir / f"{spec.name}.mp4",
            filename=f"{spec.name}.mp4",
            subtitle=srt.read_bytes() if srt.is_file() else None,
            subtitle_filename=srt.name if srt.is_file() else "",
            enqueue=False,
        )
        clip_ingest(clip_id=clip.pk)
    timings["ingest_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    base_run = run_services.run_create(
        project=project, proposer="signals", label="signals", enqueue=False
    )
    for proposal in base_run.proposals.order_by("clip__name"):
        proposing.proposal_run(proposal_id=proposal.pk)
    base_run.refresh_from_db()
    assert base_run.status == ModelRun.Status.FINISHED, base_run.status
    timings["signal_proposer_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    annotations = annotate_project(
        project=project, people=people, reviewer=reviewer, truth=truth, seed=args.seed
    )
    gold_set = goldset_freeze(project=project, by=manager, note="bench")
    timings["annotate_review_s"] = round(time.perf_counter() - started, 1)

    # Meta-evaluation and calibration, by the metaeval functions.
    started = time.perf_counter()
    report = metric_judgement_report(project=project)
    overall = report["modalities"]["overall"]
    meta = {
        "auc": overall["auc"],
        "auc_ci": overall["auc_ci"],
        "n_pairs": report["n_pairs"],
        "counts": report["counts"],
        "per_modality": {
            m: report["modalities"][m]["auc"] for m in ("visual", "auditory", "emotional")
        },
        "project_threshold": report["threshold"],
        "best_threshold": (overall.get("best") or {}).get("threshold"),
    }
    proposer_calibrations_refresh(project=project, proposer="signals", version=base_run.version)
    decisions = proposer_decisions(project=project, proposer="signals", version=base_run.version)
    confidences = [c for d in decisions for c in d.confidences]
    kept = [k for d in decisions for k in d.kept]
    pooled = calibrator_fit(confidences=confidences, kept=kept)
    calibration = {
        "decisions": len(kept),
        "kept": int(sum(kept)),
        "ece_before": pooled.ece_before,
        "ece_after": pooled.ece_after,
        "method": pooled.method,
        "per_kind": {
            d.kind: {"n": d.n, "ece": reliability(confidences=d.confidences, kept=d.kept)["ece"]}
            for d in decisions
        },
    }
    from annotate.runs.models import ProposerCalibration

    for row in ProposerCalibration.objects.filter(project=project):
        calibration["per_kind"][row.kind].update(
            ece_before=row.ece_before, ece_after=row.ece_after, method=row.method
        )
    timings["metaeval_calibration_s"] = round(time.perf_counter() - started, 1)

    # The learned proposer, trained and run by the services, compared on the held-out clips.
    started = time.perf_counter()
    learned = learning_services.learned_proposer_start(
        project=project,
        gold_set=gold_set,
        ratios=SPLIT,
        seed=args.seed,
        by=manager,
        enqueue=False,
    )
    learned = training.learned_proposer_train(learned_id=learned.pk)
    assert learned.status == "done", learned.error
    learned_run = learning_services.learned_run_start(learned=learned, by=manager, enqueue=False)
    for proposal in learned_run.proposals.order_by("clip__name"):
        proposing.proposal_run(proposal_id=proposal.pk)
    learned_run.refresh_from_db()
    for run in (base_run, learned_run):
        leaderboard.run_scores_invalidate(project=project, run=run)
        for row in RunScore.objects.filter(run=run, gold_set=gold_set):
            compute.run_score_compute(run_score_id=row.pk)
    (comparison,) = learned_comparisons(project=project, gold_set=gold_set)
    assert comparison.state == "ready", comparison.message
    result = comparison.result
    learned_row = RunScore.objects.get(run=learned_run, gold_set=gold_set)
    timings["learned_s"] = round(time.perf_counter() - started, 1)
    heldout = {
        "clips": result["clips"],
        "base_f1": result["base"]["overall"],
        "learned_f1": result["other"]["overall"],
        "diff": result["difference"]["overall"],
        "diff_ci": result["ci"]["overall"],
        "per_modality": {
            m: {
                "base": result["base"].get(m),
                "learned": result["other"].get(m),
                "diff": result["difference"].get(m),
                "ci": result["ci"].get(m),
            }
            for m in ("visual", "auditory", "emotional")
        },
        "learned_run_training_clips_scored": learned_row.config["coverage"][
            "excluded_training_clips"
        ],
        "primary_label_right": _labels_right(base_run, learned_run, gold_set),
        "training": learned.report["training"],
        "rules": learned.report["rules"],
        "artefact_sha256": learned.artefact_sha256,
        "training_sha256": learned.training_sha256,
    }

    # The queue: the training clips as the pool, the held-out clips as the test.
    started = time.perf_counter()
    with open_artefact(learned.artefact) as raw:
        full_model = LearnedModel.from_bytes(raw)
    proposals = {
        p.clip.name: p for p in Proposal.objects.filter(run=base_run).select_related("run", "clip")
    }
    test = learned.heldout_clips
    main = {
        "base_run": base_run,
        "base": {"proposer": "signals", "version": base_run.version},
        "pool": learned.training_clips,
        "test": test,
        "proposals": proposals,
        "durations": {name: p.clip.duration_ms or 0 for name, p in proposals.items()},
        "test_gold": gold_cues_get(project=project, gold_set=gold_set, names=set(test)),
    }
    learned_full = overall_f1(
        main["test_gold"],
        {n: learned_cues(proposals[n], full_model, main["durations"][n]) for n in test},
    )
    base_on_test = heldout["base_f1"]
    gain = (learned_full or 0) - (base_on_test or 0)
    target = args.target if args.target is not None else base_on_test + 0.8 * gain
    queue = {
        "target_f1": round(target, 4),
        "target_rule": "base F1 + 0.8 x (learned F1 with the whole pool's gold - base F1)"
        if args.target is None
        else "given",
        "learned_f1_whole_pool": round(learned_full, 4) if learned_full is not None else None,
        "annotators": len(people),
        "k": 2,
    }
    if gain <= 0 and args.target is None:
        queue["note"] = "the learned proposer is not ahead with the whole pool: no target to reach"
    else:
        arms = [
            ("breadth_first", "breadth_first", None),
            ("expected_value", "expected_value", None),
            ("expected_value_shuffled", "expected_value", args.seed + 1),
        ]
        for label, order, shuffle in arms:
            queue[label] = queue_arm(
                label=label,
                order=order,
                shuffle_seed=shuffle,
                main=main,
                people=people,
                reviewer=reviewer,
                truth=truth,
                seed=args.seed,
                target=target,
            )
    timings["queue_s"] = round(time.perf_counter() - started, 1)
    return {
        "clips": len(specs),
        "seed": args.seed,
        "annotations": annotations,
        "gold_clips": gold_set.counts.get("clips"),
        "split": SPLIT,
        "heldout": heldout,
        "meta_evaluation": meta,
        "calibration": calibration,
        "queue": queue,
        "timings": timings,
        "labels_submitted": dict(
            sorted(
                _count(
                    Annotation.objects.filter(clip__project=project).values_list(
                        "primary_label", flat=True
                    )
                ).items()
            )
        ),
    }


def _labels_right(base_run, learned_run, gold_set) -> dict:
    """On the held-out clips: how often each run's best emotion is the gold's primary label (a
    base label that agrees with it counts: the signal proposer says "surprised" for "surprise")."""
    from annotate.goldsets.models import GoldSetItem

    gold = dict(GoldSetItem.objects.filter(gold_set=gold_set).values_list("name", "primary_label"))
    out = {"clips": 0, "base": 0, "learned": 0, "rows": []}
    top = {}
    for run in (base_run, learned_run):
        for name, emotions in run.proposals.values_list("clip__name", "emotions"):
            top[(run.pk, name)] = emotions[0]["label"] if emotions else ""
    for name in sorted(n for (r, n) in top if r == learned_run.pk):
        base, learned = top.get((base_run.pk, name), ""), top[(learned_run.pk, name)]
        out["clips"] += 1
        out["base"] += int(_agrees(base, gold[name]))
        out["learned"] += int(learned == gold[name])
        out["rows"].append([name, gold[name], base, learned])
    return out


def _count(values) -> dict:
    out: dict = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


class open_artefact:
    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> bytes:
        from django.core.files.storage import default_storage

        with default_storage.open(self.name, "rb") as handle:
            return handle.read()

    def __exit__(self, *exc):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--clips", type=int, default=48, help="generated clips (default 48)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=float, default=None, help="the queue's target held-out F1")
    args = parser.parse_args()

    specs = clip_specs(args.clips, args.seed)
    clips_dir = ROOT / "var" / "bench-learning" / f"clips-{args.clips}-{args.seed}"
    started = time.perf_counter()
    build_clips(clips_dir, specs)
    render_s = time.perf_counter() - started

    scratch = Path(tempfile.mkdtemp(prefix="emocue-learning-bench-"))
    url, admin, name = _database(scratch)
    os.environ.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER="false",
        DJANGO_SETTINGS_MODULE="studio.settings.base",
        HF_HUB_OFFLINE=os.environ.get("HF_HUB_OFFLINE", "1"),
        EMOCUE_VAR_DIR=str(scratch / "var"),
        MEDIA_ROOT=str(scratch / "media"),
    )
    os.environ.pop("CACHE_URL", None)
    import django

    django.setup()
    try:
        result = simulate(args, clips_dir, specs)
    finally:
        _drop(admin, name)
    result["database"] = "postgresql" if admin else "sqlite"
    result["timings"]["render_s"] = round(render_s, 1)
    if args.json:
        print(json.dumps(result))
        return 0
    h, m, c, q = (
        result["heldout"],
        result["meta_evaluation"],
        result["calibration"],
        result["queue"],
    )
    lo, hi = h["diff_ci"]
    print(
        f"{result['clips']} generated clips, {result['annotations']} annotations, "
        f"{result['gold_clips']} gold clips (seed {result['seed']})"
    )
    print(
        f"held-out ({h['clips']} clips): signals {h['base_f1']:.3f}, signals+learned "
        f"{h['learned_f1']:.3f}, difference {h['diff']:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    )
    right = h["primary_label_right"]
    print(
        f"  primary emotion right on {right['base']} (signals) and {right['learned']} "
        f"(signals+learned) of {right['clips']} held-out clips"
    )
    for modality, row in h["per_modality"].items():
        if row["base"] is not None:
            print(f"  {modality:<9} {row['base']:.3f} -> {row['learned']:.3f} ({row['diff']:+.3f})")
    auc = "none" if m["auc"] is None else f"{m['auc']:.3f}"
    ci = "" if not m["auc_ci"] else f" [{m['auc_ci'][0]:.3f}, {m['auc_ci'][1]:.3f}]"
    print(f"metric vs reviewers: AUC {auc}{ci} over {m['n_pairs']} judged pairs")
    print(
        f"calibration of signals' confidences ({c['decisions']} decisions): ECE "
        f"{c['ece_before']:.3f} before, {c['ece_after']:.3f} after ({c['method']}, cross-validated)"
    )
    if "note" in q:
        print(f"queue: {q['note']}")
    else:
        print(f"queue: target held-out F1 {q['target_f1']} ({q['target_rule']})")
        for arm in ("breadth_first", "expected_value", "expected_value_shuffled"):
            got = q[arm]["annotations_to_target"]
            print(
                f"  {arm:<24} {got if got is not None else 'not reached'} annotations "
                f"(of {2 * q[arm]['pool_clips']})"
            )
    print("timings: " + ", ".join(f"{k} {v}" for k, v in result["timings"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
