"""Decoys: known-wrong cues mixed into an annotator's proposals (the rubber-stamp guard).

When an annotation opens, ``decoy_cues_for`` adds a few model-origin cues that contradict the
emotion the clip's own proposal reads (a crying cue on a clip the model calls happy, a
broad-smile cue on one it calls sad, a screaming or sobbing cue on one it calls neutral),
written in the proposers' style and taken from a fixed bank (``DECOY_BANK``). An annotator
who accepts (or merely rewords) one has not looked; the quality page reports the rate.

How many: ``project.decoy_rate`` is the share of the proposed cues an annotator sees that
are decoys, so n real proposals get n * rate / (1 - rate) decoys in expectation (rate 0.2:
one decoy for four real cues). The fractional part is drawn, so short proposal lists still
get decoys at the right rate on average. Everything random is seeded by (clip, annotator):
opening the same annotation again (or recomputing it) gives the same decoys.

No tell: a decoy is shown exactly like a proposed cue (origin "model", decision
"proposed"); it borrows its modality, kind and confidence from a real proposed cue of the
clip and, when that cue is timed, a span of the same length placed at random in the clip.
Its ``derived_from`` and ``evidence`` are empty: no page shows those to annotators, and any
page that ever does must leave decoys out.

Decoys are never data: alignment, gold records, agreement figures and exports must leave
out every cue with ``decoy=True`` (filter on the flag; the text alone does not tell).
docs/review.md ("Decoys") explains the choice of a fixed bank.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence

from annotate.annotation.models import Annotation
from annotate.runs.models import Cue

# The emotion family the proposal reads -> the family decoys assert.
POSITIVE = frozenset(
    {
        "happy",
        "excited",
        "grateful",
        "joyful",
        "pleased",
        "amused",
        "relieved",
        "proud",
        "content",
        "cheerful",
        "delighted",
        "hopeful",
        "satisfied",
    }
)


NEGATIVE = frozenset(
    {
        "sad",
        "angry",
        "worried",
        "fear",
        "fearful",
        "afraid",
        "disgust",
        "disgusted",
        "anxious",
        "frustrated",
        "upset",
        "contempt",
        "nervous",
        "disappointed",
        "annoyed",
        "helpless",
        "tense",
        "hurt",
        "scared",
    }
)


DECOY_BANK: dict[str, dict[str, tuple[str, ...]]] = {
    # planted on clips the model reads as positive
    "negative": {
        "visual": (
            "Tears run down the cheeks.",
            "The face crumples as if about to cry.",
            "The eyes are red and puffy from crying.",
            "The lips press tightly together in anger.",
            "The head hangs low and the shoulders slump.",
            "The jaw clenches and the nostrils flare.",
        ),
        "auditory": (
            "The voice breaks into sobs.",
            "The voice trembles and cracks.",
            "The speaker shouts angrily.",
            "The speaker sniffles between words.",
            "Deep, heavy sighs interrupt the speech.",
            "The tone is sharp and hostile.",
        ),
        "emotional": (
            "The tears and the breaking voice suggest that the person is sad.",
            "The clenched jaw and the shouting suggest that the person is angry.",
            "The trembling voice suggests that the person is afraid.",
            "The slumped posture and the sighs suggest that the person is in despair.",
        ),
    },
    # planted on clips the model reads as negative
    "positive": {
        "visual": (
            "A broad smile spreads across the face.",
            "The person laughs with the head thrown back.",
            "The eyes crinkle in a genuine smile.",
            "The face relaxes into a warm, contented smile.",
            "The person grins and nods happily.",
        ),
        "auditory": (
            "Laughter is heard.",
            "The voice is bright and cheerful.",
            "The speaker chuckles while talking.",
            "The tone is playful and light.",
            "The voice lilts happily.",
        ),
        "emotional": (
            "The broad smile and the laughter suggest that the person is happy.",
            "The bright, cheerful voice suggests that the person is delighted.",
            "The relaxed smile suggests that the person is content.",
            "The playful tone suggests that the person is amused.",
        ),
    },
    # planted on clips the model reads as neutral or calm (or names no family)
    "intense": {
        "visual": (
            "The person bursts into tears.",
            "The face is contorted with rage.",
            "The person laughs uncontrollably.",
            "The mouth opens wide in a scream.",
            "The hands fly up to cover the face in shock.",
        ),
        "auditory": (
            "The speaker screams.",
            "The voice rises into loud, uncontrolled sobbing.",
            "Loud laughter drowns out the speech.",
            "The speaker yells furiously.",
        ),
        "emotional": (
            "The screaming suggests that the person is terrified.",
            "The uncontrolled sobbing suggests that the person is grief-stricken.",
            "The furious yelling suggests that the person is enraged.",
            "The uncontrolled laughter suggests that the person is ecstatic.",
        ),
    },
}


# Kinds a decoy may copy: subtitle and "unobservable" cues ("No face is visible.") are
# statements about the input, and a contradicting cue beside them would stand out.
_TEMPLATE_KINDS = frozenset({Cue.Kind.OBSERVATION, Cue.Kind.INFERENCE})


_WORD = re.compile(r"[a-z]+")


def _rng(annotation: Annotation) -> random.Random:
    key = f"decoys:{annotation.clip.uid}:{annotation.annotator_id}"
    seed = hashlib.sha256(key.encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def _proposal_of(cues: Sequence[Cue]):
    for cue in cues:
        if cue.proposal_id is not None:
            return cue.proposal
        if cue.derived_from_id is not None and cue.derived_from.proposal_id is not None:
            return cue.derived_from.proposal
    return None


def _family_of(label: str) -> str | None:
    label = label.strip().lower()
    if label in POSITIVE:
        return "positive"
    if label in NEGATIVE:
        return "negative"
    return None


def decoy_family(*, proposal_cues: Sequence[Cue]) -> str:
    """Which bank contradicts the proposal: "negative" for a clip the model reads as
    positive, "positive" for a negative one, "intense" otherwise (neutral, calm, unknown).

    The reading is the proposal's top emotion label; without one, the first emotion word
    found in its emotional cues."""
    proposal = _proposal_of(proposal_cues)
    emotions = proposal.emotions if proposal else []
    labels = [e.get("label", "") for e in emotions if isinstance(e, dict)]
    family = _family_of(labels[0]) if labels else None
    if family is None and not labels:
        for cue in proposal_cues:
            if cue.modality != Cue.Modality.EMOTIONAL:
                continue
            for word in _WORD.findall(cue.text.lower()):
                if (family := _family_of(word)) is not None:
                    break
            if family is not None:
                break
    return {"positive": "negative", "negative": "positive"}.get(family or "", "intense")


def decoy_count(*, n_proposed: int, rate: float, rng: random.Random) -> int:
    """n * rate / (1 - rate) decoys in expectation, so that decoys are ``rate`` of what is
    shown; the fractional part is drawn."""
    if n_proposed <= 0 or rate <= 0:
        return 0
    rate = min(rate, 0.5)
    expected = n_proposed * rate / (1 - rate)
    whole = math.floor(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def decoy_cues_for(*, annotation: Annotation, proposal_cues: Sequence[Cue]) -> list[Cue]:
    """Unsaved decoy cues for a newly opened annotation, to bulk-create beside its copy of
    the proposal's cues.

    Args:
        annotation: the annotation being opened (its clip and annotator seed the choice).
        proposal_cues: the proposal's cues (or the annotation's copies of them).

    Returns:
        Cue objects with origin "model", decision "proposed", ``decoy=True``; empty when the
        project's decoy rate is 0, there is no proposal, or no proposed cue can serve as a
        template. The same (clip, annotator) always gets the same decoys.
    """
    clip = annotation.clip
    templates = sorted(
        (c for c in proposal_cues if c.kind in _TEMPLATE_KINDS and not c.decoy),
        key=lambda c: (c.modality, c.position, c.start_ms or 0, c.text),
    )
    rng = _rng(annotation)
    count = decoy_count(n_proposed=len(proposal_cues), rate=clip.project.decoy_rate, rng=rng)
    if not count or not templates:
        return []
    bank = DECOY_BANK[decoy_family(proposal_cues=proposal_cues)]
    taken = {c.text for c in proposal_cues}
    decoys: list[Cue] = []
    for _ in range(count):
        template = rng.choice(templates)
        texts = [t for t in bank[template.modality] if t not in taken]
        if not texts:
            continue
        text = rng.choice(texts)
        taken.add(text)
        start, end = _span_like(template, clip, rng)
        decoys.append(
            Cue(
                clip=clip,
                annotation=annotation,
                position=template.position,
                modality=template.modality,
                kind=template.kind,
                text=text,
                start_ms=start,
                end_ms=end,
                confidence=template.confidence,
                evidence={},
                origin=Cue.Origin.MODEL,
                decision=Cue.Decision.PROPOSED,
                decoy=True,
            )
        )
    return decoys


def _span_like(template: Cue, clip, rng: random.Random) -> tuple[int | None, int | None]:
    """A span as long as the template's, somewhere in the clip, starting on a frame (as the
    proposers' spans do); an untimed template gives an untimed decoy."""
    if template.start_ms is None or template.end_ms is None:
        return None, None
    length = template.end_ms - template.start_ms
    duration = clip.duration_ms or 0
    if length >= duration:
        return template.start_ms, template.end_ms
    start = rng.randint(0, duration - length)
    if clip.fps_num and clip.fps_den:  # down to a frame start, so the span still fits
        frame = math.floor(start * clip.fps_num / (1000 * clip.fps_den))
        start = round(frame * 1000 * clip.fps_den / clip.fps_num)
    return start, start + length
