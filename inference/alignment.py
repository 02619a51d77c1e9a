"""Semantic alignment of annotators' cues: which cues of different annotators say the same.

For one clip, every annotator wrote cues in three modalities. Before a reviewer can
adjudicate, cues that make the same observation are put in one *group*, and each group is
labelled by how many annotators it holds. The similarity of two cues is the EmoCue-360
one (cosine of all-MiniLM-L6-v2 sentence embeddings), so "the same cue" here means what
it means to the metric that later scores models against the gold set.

Within a modality, two human cues are *compatible* when they come from different
annotators, their similarity is at least ``similarity_threshold`` and, when both are
timed, they overlap by at least ``overlap_threshold`` of the shorter span (an untimed cue
may join a timed one on text alone). Groups are built by average-linkage agglomeration
with a complete-linkage admission rule: starting from one group per cue, the pair of
groups with the highest mean cross similarity is merged, provided every cross pair is
compatible (so a group never holds two cues of one annotator), until no admissible pair
is left. Ties break on cue ids, and everything is computed on the cues sorted by id, so the
result does not depend on the input order. Comparisons at a threshold count as passing
(a tolerance of 1e-9 absorbs float rounding).

Model proposals never shape the human groups: each model cue then attaches to the human
group whose mean similarity to it is highest, if that mean reaches the threshold and,
when both are timed, the cue overlaps the group's span enough; otherwise it forms a
``model_only`` group of its own.

No Django here.

Example:
    >>> table = {("He smiles.", "He grins."): 0.8}
    >>> def fake(a, b):
    ...     pair = lambda x, y: 1.0 if x == y else table.get((x, y), table.get((y, x), 0.0))
    ...     return np.array([[pair(x, y) for y in b] for x in a])
    >>> groups = align_cues(
    ...     cues=[AlignCue(1, "u:1", "visual", "He smiles."),
    ...           AlignCue(2, "u:2", "visual", "He grins."),
    ...           AlignCue(3, "model", "visual", "He smiles.")],
    ...     annotators=["u:1", "u:2", "u:3"], similarity=fake)
    >>> [(g.cue_ids, g.model_cue_ids, g.label) for g in groups]
    [([1, 2], [3], 'consensus')]
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .emocue360.cues import MODALITIES

if TYPE_CHECKING:
    from .emocue360.cache import EmbeddingCache

__all__ = [
    "DEFAULT_OVERLAP",
    "DEFAULT_SIMILARITY",
    "LABELS",
    "MODEL_SOURCE",
    "AlignCue",
    "CueGroup",
    "align_cues",
    "embedding_similarity",
]

DEFAULT_SIMILARITY = 0.6  # cosine similarity of all-MiniLM-L6-v2 embeddings (EmoCue-360's)
DEFAULT_OVERLAP = 0.2  # share of the shorter span two timed cues must overlap

MODEL_SOURCE = "model"
LABELS = ("consensus", "disputed", "singleton", "model_only")
_TOLERANCE = 1e-9

Similarity = Callable[[list[str], list[str]], np.ndarray]


@dataclass(frozen=True)
class AlignCue:
    """One cue to align.

    Attributes:
        id: the cue's database id (unique in one call).
        source: who wrote it: an annotator key such as "u:12", or "model".
        modality: "visual", "auditory" or "emotional".
        text: the cue's statement.
        start_ms: media time where it starts, or None (untimed); set with ``end_ms``.
        end_ms: media time where it ends, or None; never before ``start_ms``.
    """

    id: int
    source: str
    modality: str
    text: str
    start_ms: int | None = None
    end_ms: int | None = None


@dataclass
class CueGroup:
    """Cues of different annotators (and model proposals) that say the same thing.

    Attributes:
        key: sha256 hex (first 16 digits) of ``"<modality>:<ids>"``, the ids of every member
            (human and model) sorted ascending and comma-separated; stable across calls.
        modality: the modality of all members.
        cue_ids: the human cues, ascending, one per annotator at most.
        sources: their annotators, in the order of ``cue_ids``.
        model_cue_ids: model proposals attached to the group, ascending; shown apart,
            never counted toward the majority.
        label: "consensus" (a strict majority of the clip's annotators), "disputed"
            (two or more annotators, no majority), "singleton" (one annotator) or
            "model_only" (a proposal no annotator kept a matching cue for).
        similarity: mean pairwise similarity of the human cues (1.0 for one member; for a
            model_only group, 1.0).
        start_ms: start of the union span of the timed human cues (the model cue's span
            for a model_only group); None when none is timed.
        end_ms: end of that span.
    """

    key: str
    modality: str
    cue_ids: list[int]
    sources: list[str]
    model_cue_ids: list[int]
    label: str
    similarity: float
    start_ms: int | None
    end_ms: int | None


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_threshold(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating, np.integer))
        or not math.isfinite(value)
        or not 0.0 <= value <= 1.0
    ):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def _check_annotators(annotators: Sequence[str]) -> list[str]:
    if isinstance(annotators, str):
        raise ValueError(
            f"annotators must be a list of annotator keys, not the string {annotators!r}"
        )
    keys = list(annotators)
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ValueError(f"annotator keys must be non-empty strings, got {key!r}")
    if MODEL_SOURCE in keys:
        raise ValueError(
            f"{MODEL_SOURCE!r} is reserved for model proposals; it cannot be an annotator"
        )
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"annotators lists {duplicates} more than once")
    return keys


def _check_cues(cues: Sequence[AlignCue], annotators: list[str]) -> list[AlignCue]:
    known = set(annotators)
    seen: set[int] = set()
    for cue in cues:
        if not _is_int(cue.id):
            raise ValueError(f"cue id must be an integer, got {cue.id!r}")
        if cue.id in seen:
            raise ValueError(f"cue id {cue.id} appears more than once; each cue is aligned once")
        seen.add(cue.id)
        if cue.modality not in MODALITIES:
            raise ValueError(
                f"cue {cue.id}: unknown modality {cue.modality!r}; "
                f"expected one of {', '.join(MODALITIES)}"
            )
        if cue.source != MODEL_SOURCE and cue.source not in known:
            raise ValueError(
                f"cue {cue.id}: source {cue.source!r} is neither one of this clip's "
                f"annotators ({', '.join(annotators) or 'none'}) nor {MODEL_SOURCE!r}"
            )
        if not isinstance(cue.text, str):
            raise ValueError(f"cue {cue.id}: text must be a string, got {type(cue.text).__name__}")
        if (cue.start_ms is None) != (cue.end_ms is None):
            raise ValueError(
                f"cue {cue.id}: give both start_ms and end_ms or neither "
                f"(got {cue.start_ms!r}, {cue.end_ms!r})"
            )
        if cue.start_ms is not None:
            if not (_is_int(cue.start_ms) and _is_int(cue.end_ms)):
                raise ValueError(
                    f"cue {cue.id}: start_ms and end_ms must be integers (milliseconds), "
                    f"got {cue.start_ms!r}, {cue.end_ms!r}"
                )
            if cue.start_ms < 0:
                raise ValueError(f"cue {cue.id}: start_ms must not be negative, got {cue.start_ms}")
            if cue.end_ms < cue.start_ms:
                raise ValueError(
                    f"cue {cue.id}: end_ms {cue.end_ms} is before start_ms {cue.start_ms}"
                )
    return sorted(cues, key=lambda c: c.id)


def _similarity_matrix(similarity: Similarity, texts: list[str]) -> np.ndarray:
    matrix = np.asarray(similarity(list(texts), list(texts)), dtype=np.float64)
    if matrix.shape != (len(texts), len(texts)):
        raise ValueError(
            f"similarity returned a matrix of shape {matrix.shape} for "
            f"{len(texts)} x {len(texts)} texts"
        )
    if not np.isfinite(matrix).all():
        raise ValueError("similarity returned non-finite values (NaN or infinity)")
    # a float-asymmetric similarity must not make the result depend on the input order
    return (matrix + matrix.T) / 2.0


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    """Intersection over the shorter span's length; a zero-length span counts 1 when inside."""
    shorter = min(a_end - a_start, b_end - b_start)
    intersection = min(a_end, b_end) - max(a_start, b_start)
    if shorter == 0:
        return 1.0 if intersection >= 0 else 0.0
    return max(intersection, 0) / shorter


def _timing_ok(
    a: tuple[int | None, int | None], b: tuple[int | None, int | None], threshold: float
) -> bool:
    if a[0] is None or b[0] is None:
        return True  # an untimed cue aligns on text alone
    return _overlap(a[0], a[1], b[0], b[1]) >= threshold - _TOLERANCE


def _group_key(modality: str, ids: list[int]) -> str:
    text = f"{modality}:" + ",".join(str(i) for i in sorted(ids))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _label(sources: list[str], n_annotators: int) -> str:
    distinct = len(set(sources))
    if distinct == 0:
        return "model_only"
    if distinct == 1:
        return "singleton"
    return "consensus" if 2 * distinct > n_annotators else "disputed"


def _span(cues: list[AlignCue]) -> tuple[int | None, int | None]:
    timed = [c for c in cues if c.start_ms is not None]
    if not timed:
        return None, None
    return min(c.start_ms for c in timed), max(c.end_ms for c in timed)


def _cluster(
    human: list[AlignCue], sim: np.ndarray, similarity_threshold: float, overlap_threshold: float
) -> list[list[int]]:
    """Indices of ``human`` (sorted by id) grouped; see the module docstring."""
    n = len(human)
    compatible = np.zeros((n, n), dtype=bool)
    spans = [(c.start_ms, c.end_ms) for c in human]
    for i in range(n):
        for j in range(i + 1, n):
            ok = (
                human[i].source != human[j].source
                and sim[i, j] >= similarity_threshold - _TOLERANCE
                and _timing_ok(spans[i], spans[j], overlap_threshold)
            )
            compatible[i, j] = compatible[j, i] = ok

    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    heap: list[tuple] = []

    def consider(a: int, b: int) -> None:
        rows, cols = members[a], members[b]
        # complete linkage: every cross pair compatible, which also keeps annotators apart
        if not compatible[np.ix_(rows, cols)].all():
            return
        mean = float(sim[np.ix_(rows, cols)].mean())
        ids_a = tuple(human[i].id for i in rows)
        ids_b = tuple(human[i].id for i in cols)
        heapq.heappush(heap, (-mean, min(ids_a, ids_b), max(ids_a, ids_b), a, b))

    for i in range(n):
        for j in range(i + 1, n):
            if compatible[i, j]:
                consider(i, j)
    next_id = n
    while heap:
        *_, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue  # one side was merged already
        merged = sorted(members.pop(a) + members.pop(b))
        members[next_id] = merged
        for other in sorted(members):
            if other != next_id:
                consider(next_id, other)
        next_id += 1
    return sorted(members.values())


def _align_modality(
    modality: str,
    cues: list[AlignCue],
    sim: np.ndarray,
    row: dict[str, int],
    n_annotators: int,
    similarity_threshold: float,
    overlap_threshold: float,
) -> list[CueGroup]:
    human = [c for c in cues if c.source != MODEL_SOURCE]
    model = [c for c in cues if c.source == MODEL_SOURCE]
    human_rows = [row[c.text] for c in human]
    human_sim = sim[np.ix_(human_rows, human_rows)]
    clusters = [
        [human[i] for i in members]
        for members in _cluster(human, human_sim, similarity_threshold, overlap_threshold)
    ]
    cluster_rows = [[row[c.text] for c in members] for members in clusters]
    cluster_spans = [_span(members) for members in clusters]
    cluster_order = [tuple(c.id for c in members) for members in clusters]

    attached: list[list[AlignCue]] = [[] for _ in clusters]
    unattached: list[AlignCue] = []
    for cue in model:
        best: tuple | None = None
        span = (cue.start_ms, cue.end_ms)
        for index, rows in enumerate(cluster_rows):
            mean = float(sim[row[cue.text], rows].mean())
            if mean < similarity_threshold - _TOLERANCE:
                continue
            if not _timing_ok(span, cluster_spans[index], overlap_threshold):
                continue
            candidate = (-mean, cluster_order[index], index)
            if best is None or candidate < best:
                best = candidate
        if best is None:
            unattached.append(cue)
        else:
            attached[best[2]].append(cue)

    groups = []
    for members, rows, (start, end), proposals in zip(
        clusters, cluster_rows, cluster_spans, attached, strict=True
    ):
        if len(rows) > 1:
            block = sim[np.ix_(rows, rows)]
            mean = float(block[np.triu_indices(len(rows), k=1)].mean())
        else:
            mean = 1.0
        sources = [c.source for c in members]
        ids = [c.id for c in members]
        model_ids = [c.id for c in proposals]
        groups.append(
            CueGroup(
                key=_group_key(modality, ids + model_ids),
                modality=modality,
                cue_ids=ids,
                sources=sources,
                model_cue_ids=model_ids,
                label=_label(sources, n_annotators),
                similarity=mean,
                start_ms=start,
                end_ms=end,
            )
        )
    for cue in unattached:
        groups.append(
            CueGroup(
                key=_group_key(modality, [cue.id]),
                modality=modality,
                cue_ids=[],
                sources=[],
                model_cue_ids=[cue.id],
                label="model_only",
                similarity=1.0,
                start_ms=cue.start_ms,
                end_ms=cue.end_ms,
            )
        )
    return groups


def align_cues(
    *,
    cues: Sequence[AlignCue],
    annotators: Sequence[str],
    similarity: Similarity,
    similarity_threshold: float = DEFAULT_SIMILARITY,
    overlap_threshold: float = DEFAULT_OVERLAP,
) -> list[CueGroup]:
    """Group the cues of one clip that say the same thing, per modality.

    Args:
        cues: every cue of the clip to align: the annotators' and the model's proposals.
        annotators: the keys of the annotators whose annotations count for this clip; a
            group is "consensus" when more than half of them are in it.
        similarity: ``similarity(a, b)`` returns the ``len(a) x len(b)`` cosine-similarity
            matrix of two lists of texts, e.g. :func:`embedding_similarity`. It is called
            once, with the clip's distinct texts sorted.
        similarity_threshold: the least similarity at which two cues may share a group.
        overlap_threshold: the least share of the shorter span two timed cues must overlap.

    Returns:
        The groups, ordered by modality (visual, auditory, emotional), then start_ms
        (untimed last), then key. Every cue is in exactly one group.

    Raises:
        ValueError: for a threshold outside [0, 1], duplicate cue ids, an unknown
            modality, a source that is neither an annotator nor "model", a span given by
            half or ending before it starts, or a similarity matrix of the wrong shape.

    Example:
        >>> groups = align_cues(
        ...     cues=[AlignCue(1, "u:1", "visual", "She is smiling widely.", 1000, 2000),
        ...           AlignCue(2, "u:2", "visual", "She has a big smile on her face.", 1200, 2400)],
        ...     annotators=["u:1", "u:2"],
        ...     similarity=embedding_similarity(Scorer().cache))
        >>> groups[0].label, groups[0].start_ms, groups[0].end_ms
        ('consensus', 1000, 2400)
    """
    similarity_threshold = _check_threshold("similarity_threshold", similarity_threshold)
    overlap_threshold = _check_threshold("overlap_threshold", overlap_threshold)
    annotator_keys = _check_annotators(annotators)
    ordered = _check_cues(cues, annotator_keys)
    if not ordered:
        return []
    texts = sorted({c.text for c in ordered})
    sim = _similarity_matrix(similarity, texts)
    row = {text: i for i, text in enumerate(texts)}

    groups: list[CueGroup] = []
    for modality in MODALITIES:
        in_modality = [c for c in ordered if c.modality == modality]
        if in_modality:
            groups.extend(
                _align_modality(
                    modality,
                    in_modality,
                    sim,
                    row,
                    len(annotator_keys),
                    similarity_threshold,
                    overlap_threshold,
                )
            )
    rank = {m: i for i, m in enumerate(MODALITIES)}
    groups.sort(key=lambda g: (rank[g.modality], g.start_ms is None, g.start_ms or 0, g.key))
    return groups


def embedding_similarity(cache: EmbeddingCache) -> Similarity:
    """The EmoCue-360 similarity: cosine of the sentence embeddings in ``cache``.

    Each distinct text is embedded once (and only if the cache misses it); vectors are
    normalised exactly as :class:`~inference.emocue360.metric.Scorer` does, so a pair scores
    here what it scores in the metric.

    Args:
        cache: an :class:`~inference.emocue360.cache.EmbeddingCache`, e.g. ``Scorer().cache``.

    Returns:
        A function ``similarity(a, b) -> np.ndarray`` of shape ``(len(a), len(b))``; its
        ``model_id`` attribute names the encoder, to stamp on stored alignments.

    Example:
        >>> from inference.emocue360 import EmbeddingCache, SentenceTransformerEncoder
        >>> similarity = embedding_similarity(EmbeddingCache(SentenceTransformerEncoder()))
        >>> similarity(["She smiles."], ["She smiles.", "He shouts."]).round(2)
        array([[1.  , 0.47]])
    """
    from .emocue360.metric import _normalise

    def similarity(a: list[str], b: list[str]) -> np.ndarray:
        a, b = list(a), list(b)
        if not a or not b:
            return np.zeros((len(a), len(b)), dtype=np.float64)
        vectors = cache.embed_unique([*a, *b])
        left = _normalise(np.stack([vectors[t] for t in a]))
        right = _normalise(np.stack([vectors[t] for t in b]))
        return left @ right.T

    similarity.model_id = cache.model_id
    return similarity
