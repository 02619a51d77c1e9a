"""Reproducible benchmark splits of a gold set: grouped by speaker, stratified by emotion.

Why not scikit-learn: ``StratifiedGroupKFold`` makes K equal folds, so ratios such as
0.7/0.15/0.15 would need 20 folds merged back together (which breaks with few groups),
and its result depends on the order of the input rows; ``GroupShuffleSplit`` takes any
ratio but does not stratify. The greedy below is the same idea as StratifiedGroupKFold
(largest groups first, each to the split it helps most) generalised to arbitrary ratios,
and it starts from the items sorted by name, so the input order cannot matter.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NO_LABEL = "(none)"
RATIO_SUM_TOLERANCE = 1e-6
_SPLIT_NAME = re.compile(r"[a-z0-9_-]+")
_TIE = 1e-12  # cost differences below this are ties, broken by the seeded RNG


class SplitError(ValueError):
    """The requested split cannot be made; the message names what cannot be honoured."""


@dataclass(frozen=True)
class SplitItem:
    """One clip to place in a split.

    Attributes:
        name: the clip name, e.g. "sample_00000007".
        label: the primary emotion; "" is a stratum of its own, reported as "(none)".
        group: the speaker or source video; clips of one group never go to two splits.
            "" makes the clip a group of its own.
    """

    name: str
    label: str
    group: str


def _group_key(item: SplitItem, grouped: bool) -> tuple[int, str]:
    # a tuple so that a clip alone can never collide with a real group of the same name
    return (0, item.group) if grouped and item.group else (1, item.name)


def _group_title(key: tuple[int, str]) -> str:
    return key[1] if key[0] == 0 else f"clip {key[1]}"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_ratios(ratios: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(ratios, Mapping) or not ratios:
        raise SplitError("ratios must map split names to shares, e.g. {'train': 0.8, 'test': 0.2}")
    checked: dict[str, float] = {}
    for name, ratio in ratios.items():
        if not isinstance(name, str) or not _SPLIT_NAME.fullmatch(name):
            raise SplitError(
                f"split name {name!r} is not allowed: use lower-case letters, digits, '_' or '-'"
            )
        if not _is_number(ratio) or not math.isfinite(ratio):
            raise SplitError(f"ratio of split {name!r} must be a number, got {ratio!r}")
        if ratio <= 0:
            raise SplitError(f"ratio of split {name!r} must be positive, got {ratio!r}")
        checked[name] = float(ratio)
    total = math.fsum(checked.values())
    if abs(total - 1.0) > RATIO_SUM_TOLERANCE:
        shown = ", ".join(f"{n}={r:g}" for n, r in checked.items())
        raise SplitError(f"ratios must sum to 1, but {shown} sum to {total:g}")
    return checked


def _check_items(items: Sequence[SplitItem]) -> list[SplitItem]:
    if not items:
        raise SplitError("there are no clips to split")
    by_name: dict[str, SplitItem] = {}
    for item in items:
        if not isinstance(item, SplitItem):
            raise SplitError(f"items must be SplitItem objects, got {type(item).__name__}")
        for field in ("name", "label", "group"):
            if not isinstance(getattr(item, field), str):
                raise SplitError(f"clip {item.name!r}: {field} must be a string")
        if not item.name:
            raise SplitError("a clip has an empty name")
        if item.name in by_name and by_name[item.name] != item:
            raise SplitError(
                f"clip {item.name!r} appears twice with different labels or groups: "
                f"{by_name[item.name]} and {item}"
            )
        by_name[item.name] = item
    return [by_name[n] for n in sorted(by_name)]


def split_items(
    *,
    items: Sequence[SplitItem],
    ratios: Mapping[str, float],
    seed: int,
    stratify: bool = True,
    grouped: bool = True,
    tolerance: float = 0.1,
) -> dict[str, list[str]]:
    """Split clips into named parts by ratio, keeping each group whole and labels balanced.

    Groups are placed largest first (equal sizes in an order shuffled by ``seed``), each
    into the split where it most reduces the squared shortfall from the targets: per label
    (each label weighted by its own total, so rare emotions count as much as common ones)
    and per split size. When only as many groups are left as there are empty splits, each
    goes to an empty split, so no split with a positive ratio ends up empty.

    Args:
        items: the clips; their order does not matter (they are sorted by name first).
        ratios: split name -> share, e.g. {"train": 0.8, "val": 0.1, "test": 0.1};
            positive, summing to 1 (within 1e-6), names matching ``[a-z0-9_-]+``.
        seed: makes the result reproducible; another seed gives another split.
        stratify: balance labels across splits; False balances sizes only.
        grouped: keep groups whole; False treats every clip as its own group.
        tolerance: the largest allowed absolute gap between a split's share of the
            clips and its ratio.

    Returns:
        {split name: [clip names, sorted]}, in the order of ``ratios``.

    Raises:
        SplitError: bad ratios or items, fewer groups than splits, or a split whose share
            misses its ratio by more than ``tolerance`` (the message names the splits,
            their target and achieved shares and the biggest groups).

    Example:
        >>> items = [SplitItem(f"s{i}", "happy" if i % 2 else "sad", f"spk{i % 10}")
        ...          for i in range(100)]
        >>> parts = split_items(items=items, ratios={"train": 0.8, "test": 0.2}, seed=0)
        >>> len(parts["train"]), len(parts["test"])
        (80, 20)
    """
    checked = _check_ratios(ratios)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SplitError(f"seed must be an integer, got {seed!r}")
    if not _is_number(tolerance) or not 0 <= tolerance <= 1:
        raise SplitError(f"tolerance must be a number between 0 and 1, got {tolerance!r}")
    clips = _check_items(items)
    options = {"seed": seed, "stratify": stratify, "grouped": grouped, "tolerance": tolerance}
    try:
        return _split(clips, checked, **options)
    except SplitError as error:
        suggestion = _feasible_suggestion(clips, checked, **options)
        if suggestion:
            raise SplitError(f"{str(error).rstrip('.')}. {suggestion}") from None
        raise


def _largest_remainder(ratios: Mapping[str, float], total: int) -> dict[str, int]:
    """Whole counts summing to `total`, each at least 1, as close to the ratios as that allows."""
    exact = {s: r * total for s, r in ratios.items()}
    counts = {s: max(1, math.floor(v)) for s, v in exact.items()}
    by_remainder = sorted(ratios, key=lambda s: (-(exact[s] - math.floor(exact[s])), -ratios[s]))
    while sum(counts.values()) < total:
        for s in by_remainder:
            if sum(counts.values()) < total:
                counts[s] += 1
    while sum(counts.values()) > total:
        biggest = max(counts, key=lambda s: (counts[s] - exact[s], counts[s]))
        counts[biggest] -= 1
    return counts


def _feasible_suggestion(clips: list[SplitItem], ratios: dict[str, float], **options) -> str:
    """The split that would work, as a sentence: the requested splits with the fewest
    dropped (smallest ratios first), each given the whole number of clips nearest to its
    share, as long as those shares stay within the tolerance of the asked ratios; checked by
    making that split. "" when none would work."""
    total = len(clips)
    kept = sorted(ratios, key=lambda s: -ratios[s])  # stable: equal ratios keep their order
    for k in range(len(ratios), 0, -1):
        names = [s for s in ratios if s in kept[:k]]
        if k > total:
            continue
        share = sum(ratios[s] for s in names)
        wanted = {s: ratios[s] / share for s in names}
        counts = _largest_remainder(wanted, total)
        if any(abs(counts[s] / total - wanted[s]) > options["tolerance"] for s in names):
            continue
        rounded = {s: round(counts[s] / total, 2) for s in names}
        rounded[names[-1]] = round(1 - sum(rounded[s] for s in names[:-1]), 2)
        if min(rounded.values()) <= 0:
            continue
        try:
            _split(clips, rounded, **options)
        except SplitError:
            continue
        shown = ", ".join(f'"{s}": {rounded[s]:g}' for s in names)
        return (
            f"With {total} clips this split would work: "
            f"{'/'.join(str(counts[s]) for s in names)} clips ({'/'.join(names)}), "
            f"i.e. ratios {{{shown}}}."
        )
    return ""


def _split(
    clips: list[SplitItem],
    checked: dict[str, float],
    *,
    seed: int,
    stratify: bool,
    grouped: bool,
    tolerance: float,
) -> dict[str, list[str]]:

    members: dict[tuple[int, str], list[SplitItem]] = {}
    for item in clips:
        members.setdefault(_group_key(item, grouped), []).append(item)
    names = list(checked)
    total = len(clips)
    sizes = {key: len(group) for key, group in members.items()}
    biggest = sorted(members, key=lambda k: (-sizes[k], k))

    def biggest_text(n: int = 5) -> str:
        return ", ".join(
            f"{_group_title(k)!r} ({sizes[k]} clips, {sizes[k] / total:.0%})" for k in biggest[:n]
        )

    if len(members) < len(names):
        raise SplitError(
            f"{len(names)} splits ({', '.join(names)}) need at least {len(names)} groups, "
            f"but the {total} clips form only {len(members)}: {biggest_text()}"
        )

    def stratum(item: SplitItem) -> str:
        return (item.label or NO_LABEL) if stratify else ""

    label_totals = Counter(stratum(item) for item in clips)
    labels = sorted(label_totals)
    target = {s: {lab: checked[s] * label_totals[lab] for lab in labels} for s in names}
    target_size = {s: checked[s] * total for s in names}
    counts = {s: dict.fromkeys(labels, 0) for s in names}
    size = dict.fromkeys(names, 0)
    size_weight = float(len(labels))  # the sizes count as much as all labels together

    rng = random.Random(seed)
    order = sorted(members)
    rng.shuffle(order)
    order.sort(key=lambda k: -sizes[k])  # stable: equal sizes keep the seeded order

    assignment: dict[str, list[str]] = {s: [] for s in names}
    for position, key in enumerate(order):
        group_counts = Counter(stratum(item) for item in members[key])
        empty = [s for s in names if size[s] == 0]
        candidates = empty if len(order) - position <= len(empty) else names
        costs = []
        for s in candidates:
            cost = 0.0
            for lab, n in group_counts.items():
                before = counts[s][lab] - target[s][lab]
                cost += ((before + n) ** 2 - before**2) / label_totals[lab] ** 2
            before = size[s] - target_size[s]
            cost += size_weight * ((before + sizes[key]) ** 2 - before**2) / total**2
            costs.append(cost)
        best = min(costs)
        tied = [s for s, c in zip(candidates, costs, strict=True) if c - best <= _TIE]
        chosen = tied[0] if len(tied) == 1 else rng.choice(tied)
        for lab, n in group_counts.items():
            counts[chosen][lab] += n
        size[chosen] += sizes[key]
        assignment[chosen].extend(item.name for item in members[key])

    off = {s: size[s] / total - checked[s] for s in names}
    if any(abs(gap) > tolerance + 1e-12 for gap in off.values()):
        shown = "; ".join(
            f"{s}: target {checked[s]:.1%}, achieved {size[s] / total:.1%} ({size[s]} clips)"
            for s in names
        )
        raise SplitError(
            f"cannot honour the ratios within ±{tolerance:.0%} while keeping groups whole "
            f"({shown}); biggest groups: {biggest_text()}. Use fewer or coarser splits, "
            "a larger tolerance, or split without grouping."
        )
    return {s: sorted(assignment[s]) for s in names}


def split_report(*, items: Sequence[SplitItem], splits: Mapping[str, list[str]]) -> dict:
    """Counts per split: clips, groups, share of all split clips, and clips per label.

    Args:
        items: the clips (at least every clip named in ``splits``).
        splits: {split name: [clip names]}, as :func:`split_items` returns.

    Returns:
        {"splits": {name: {"clips", "groups", "share", "labels": {label: n}}},
         "labels": [sorted labels], "total": clips in all splits}. Every split lists every
        label (0 when absent); "" is reported as "(none)"; a clip without a group counts
        as a group of its own.

    Raises:
        SplitError: a clip that is not among the items, or one in two splits.

    Example:
        >>> split_report(items=[SplitItem("a", "sad", "s1")], splits={"test": ["a"]})["splits"]
        {'test': {'clips': 1, 'groups': 1, 'share': 1.0, 'labels': {'sad': 1}}}
    """
    by_name = {item.name: item for item in items}
    seen: dict[str, str] = {}
    for split, names in splits.items():
        for name in names:
            if name not in by_name:
                raise SplitError(
                    f"split {split!r} names clip {name!r}, which is not among the items"
                )
            if name in seen:
                raise SplitError(f"clip {name!r} is in two splits: {seen[name]!r} and {split!r}")
            seen[name] = split
    total = len(seen)
    labels = sorted({by_name[n].label or NO_LABEL for n in seen})
    report: dict[str, dict] = {}
    for split, names in splits.items():
        clip_labels = Counter(by_name[n].label or NO_LABEL for n in names)
        report[split] = {
            "clips": len(names),
            "groups": len({_group_key(by_name[n], True) for n in names}),
            "share": len(names) / total if total else 0.0,
            "labels": {lab: clip_labels.get(lab, 0) for lab in labels},
        }
    return {"splits": report, "labels": labels, "total": total}
