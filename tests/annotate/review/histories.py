"""Review histories built through the real services on factory-made clips (no media, no
proposer run): what the judged pairs and the calibration read back. Every similarity comes
from KeywordEncoder, so which cues align is known exactly."""

import hashlib

import numpy as np

from annotate.annotation import opening
from annotate.annotation import services as annotation_services
from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.review import selectors as review_selectors
from annotate.review import services as review_services
from annotate.runs.models import Cue, ModelRun, Proposal
from tests.factories import MembershipFactory

# Texts sharing a keyword's dimension have cosine 1, all others 0 (one dimension per text).
KEYWORDS = {"mouth": 0, "smil": 0, "loud": 1, "shout": 1, "happy": 2, "frown": 3, "glanc": 4}
MOUTH, LOUD, HAPPY = "The corners of the mouth turn up.", "The voice is loud.", "He is happy."
SMILES, SHOUTS = "He smiles.", "He shouts loudly."
FROWN, GLANCE, SIGH = "He frowns briefly.", "He glances away.", "He sighs deeply."


class KeywordEncoder:
    model_id = "test-keywords"

    def encode(self, texts):
        out = np.zeros((len(texts), 128), dtype=np.float32)
        for i, text in enumerate(texts):
            lowered = text.lower()
            hits = [d for word, d in KEYWORDS.items() if word in lowered]
            out[i, hits[0] if hits else 8 + sum(map(ord, lowered)) % 120] = 1.0
        return out


def ready_clip(project, name: str, *, duration_ms: int = 2000) -> Clip:
    return Clip.objects.create(
        project=project,
        name=name,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        source=f"clips/{name}.mp4",
        status=Clip.Status.READY,
        duration_ms=duration_ms,
        fps_num=25,
        fps_den=1,
    )


def finished_run(project, clips, *, proposer="fake", version="1", cues=None) -> ModelRun:
    """A finished run whose proposal for each clip holds `cues` (modality, kind, text, start,
    end, confidence); by default a visual, an auditory and an untimed emotional cue."""
    cues = cues or [
        ("visual", "observation", MOUTH, 0, 500, 0.8),
        ("auditory", "observation", LOUD, 500, 1000, 0.6),
        ("emotional", "inference", HAPPY, None, None, 0.4),
    ]
    run = ModelRun.objects.create(
        project=project, proposer=proposer, version=version, status=ModelRun.Status.FINISHED
    )
    for clip in clips:
        proposal = Proposal.objects.create(run=run, clip=clip, status=Proposal.Status.DONE)
        Cue.objects.bulk_create(
            [
                Cue(
                    clip=clip,
                    proposal=proposal,
                    position=position,
                    modality=modality,
                    kind=kind,
                    text=text,
                    start_ms=start,
                    end_ms=end,
                    confidence=confidence,
                    origin=Cue.Origin.MODEL,
                    decision=Cue.Decision.PROPOSED,
                )
                for position, (modality, kind, text, start, end, confidence) in enumerate(cues)
            ]
        )
    return run


def annotate(clip, user, *, decide=None, add=(), primary="happy", submit=True):
    """Open the clip for the user, decide each proposed cue by its modality ("accept",
    "reject" or a new text; default accept), add cues (modality, text, start, end), submit."""
    decide = decide or {}
    annotation = opening.annotation_open(clip=clip, annotator=user)
    for cue in annotation.cues.order_by("position"):
        choice = decide.get(cue.modality, "accept")
        if choice == "accept":
            annotation_services.cue_accept(cue=cue, user=user, expected_version=cue.version)
        elif choice == "reject":
            annotation_services.cue_reject(cue=cue, user=user, expected_version=cue.version)
        else:
            annotation_services.cue_edit(
                cue=cue, user=user, expected_version=cue.version, text=choice
            )
    for modality, text, start, end in add:
        annotation_services.cue_add(
            annotation=annotation,
            user=user,
            modality=modality,
            text=text,
            start_ms=start,
            end_ms=end,
        )
    annotation = annotation_services.annotation_update(
        annotation=annotation,
        user=user,
        expected_version=annotation.version,
        labels=[primary],
        primary_label=primary,
        description=f"In the video, he smiles. Therefore, {primary}.",
    )
    if submit:
        annotation = annotation_services.annotation_submit(
            annotation=annotation, user=user, expected_version=annotation.version
        )
    return annotation


def group_of(clip, text: str) -> dict:
    _, _, groups, _ = review_selectors.clip_alignment_get(clip=clip)
    texts = dict(Cue.objects.filter(clip=clip).values_list("pk", "text"))
    return next(g for g in groups if text in [texts[i] for i in g["cue_ids"]])


def review(clip, reviewer, *, accept=(), merge=(), reject_rest=True):
    """Open the clip's gold record, accept the groups holding each text of `accept`, merge
    the groups holding the texts of `merge` (with the first text), reject every other group,
    set the primary label and finalize."""
    record = review_services.gold_record_open(clip=clip, reviewer=reviewer)
    for text in accept:
        record = review_services.review_group_accept(
            record=record,
            group_key=group_of(clip, text)["key"],
            reviewer=reviewer,
            expected_version=record.version,
        )
    if merge:
        record = review_services.review_groups_merge(
            record=record,
            group_keys=[group_of(clip, text)["key"] for text in merge],
            text=merge[0],
            reviewer=reviewer,
            expected_version=record.version,
        )
    if reject_rest:
        decided = set(record.decisions.values_list("group_key", flat=True))
        _, _, groups, _ = review_selectors.clip_alignment_get(clip=clip)
        for group in groups:
            if group["key"] not in decided:
                record = review_services.review_group_reject(
                    record=record,
                    group_key=group["key"],
                    reviewer=reviewer,
                    expected_version=record.version,
                )
    record = review_services.gold_labels_set(
        record=record,
        reviewer=reviewer,
        expected_version=record.version,
        labels=["happy"],
        primary_label="happy",
    )
    return review_services.gold_record_finalize(
        record=record, reviewer=reviewer, expected_version=record.version
    )


def judged_history(project):
    """Three clips of a project with k = 2 annotators ("ann1", "ann2") and reviewer "rev":

    - "kept": both keep the mouth cue (ann2 edits it to SMILES), ann1 edits the voice cue to
      SHOUTS, and each adds a visual cue (FROWN 0-400 ms, GLANCE 100-450 ms) that does not
      align; the reviewer accepts the three visual groups apart (same: MOUTH-SMILES;
      different: five overlapping cross pairs) and rejects the rest;
    - "merged": ann1 adds SIGH, ann2 GLANCE (600-900 ms, not aligned); the reviewer merges them
      (same, not aligned together) and accepts the mouth group (identical texts: left out);
    - "auto": ann1 edits the mouth cue to SMILES, ann2 accepts it; the clip is auto-promoted
      (its accept is no reviewer's: left out; the edit still counts).
    """
    project.annotators_per_clip = 2
    project.save(update_fields=["annotators_per_clip"])
    ann1, ann2 = (
        MembershipFactory(project=project, role="annotator", user__username=name).user
        for name in ("ann1", "ann2")
    )
    reviewer = MembershipFactory(project=project, role="reviewer", user__username="rev").user
    clips = {name: ready_clip(project, name) for name in ("kept", "merged", "auto")}
    run = finished_run(project, list(clips.values()))
    kept = clips["kept"]
    annotate(kept, ann1, decide={"auditory": SHOUTS}, add=[("visual", FROWN, 0, 400)])
    annotate(
        kept,
        ann2,
        decide={"visual": SMILES, "auditory": "reject"},
        add=[("visual", GLANCE, 100, 450)],
    )
    review(kept, reviewer, accept=[MOUTH, FROWN, GLANCE])
    merged = clips["merged"]
    annotate(merged, ann1, add=[("auditory", SIGH, 600, 900)])
    annotate(merged, ann2, add=[("auditory", GLANCE, 600, 900)])
    review(merged, reviewer, accept=[MOUTH], merge=[SIGH, GLANCE])
    auto = clips["auto"]
    annotate(auto, ann1, decide={"visual": SMILES})
    annotate(auto, ann2)
    project.auto_promote_consensus = True
    project.save(update_fields=["auto_promote_consensus"])
    promoted = review_services.gold_auto_promote(clip=auto)
    assert promoted.promoted, promoted.reason
    return {"ann1": ann1, "ann2": ann2, "reviewer": reviewer, "run": run, **clips}


CONFIDENCES = (0.1, 0.3, 0.5, 0.7, 0.9)
# Clip i keeps its cue of confidence c when i % every < kept, for (kept, every) = KEEP[c]: of
# ten clips 0, 4, 6, 6 and 8 (shares 0, 0.4, 0.6, 0.6, 0.8): the proposer claims too much at the
# top and too little in the middle, so its ECE is 0.1.
KEEP = {0.1: (0, 1), 0.3: (1, 3), 0.5: (2, 4), 0.7: (3, 5), 0.9: (4, 5)}


def decided_run(project):
    """Eleven clips of a finished run of "signals" version "1.0" (five visual observation cues
    at CONFIDENCES and an untimed emotional inference each); "ann" decides the first ten as KEEP
    says (kept cues alternately accepted and edited; every inference accepted) and they are
    submitted: 50 observation decisions and 10 inference ones. The decisions are written
    straight to the cues (what the calibration reads), not through the services."""
    annotator = MembershipFactory(project=project, role="annotator", user__username="ann").user
    clips = [ready_clip(project, f"clip{i}") for i in range(11)]
    cues = [
        ("visual", "observation", f"cue at {c}", 100 * i, 100 * i + 80, c)
        for i, c in enumerate(CONFIDENCES)
    ] + [("emotional", "inference", "He is happy.", None, None, 0.6)]
    run = finished_run(project, clips, proposer="signals", version="1.0", cues=cues)
    for i, clip in enumerate(clips[:10]):
        annotation = opening.annotation_open(clip=clip, annotator=annotator)
        for cue in annotation.cues.all():
            if cue.kind == "inference":
                decision = "accepted"
            else:
                kept, every = KEEP[cue.confidence]
                decision = ("accepted" if i % 2 else "edited") if i % every < kept else "rejected"
            Cue.objects.filter(pk=cue.pk).update(decision=decision)
        Annotation.objects.filter(pk=annotation.pk).update(status="submitted")
    return {"run": run, "annotator": annotator, "clips": clips}
