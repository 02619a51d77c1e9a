"""``judgements.jsonl``: the cue pairs people judged the same, close or different, kept with the
frozen version (a data set for studying a similarity metric; inference/metaeval.py reads it).

One JSON object per pair (keys sorted, so the bytes depend only on the values), the pairs of
the exported clips only, each with the split of its clip, sorted by clip and pair id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from inference.emocue360.cues import MODALITIES

LABELS = ("same", "close", "different")  # as inference.metaeval.LABELS
FILE = "judgements.jsonl"
WHAT = (
    "one JSON object per judged cue pair of the exported clips: a and b (cue ids, texts, "
    "annotators, times), label same | close | different, the rule that implied it, the "
    "split of its clip and its provenance (gold record, reviewer or annotator, review "
    "decisions, annotation and audit event ids)"
)


def check_judgements(judgements: object) -> tuple[list[dict], dict, int] | None:
    """The pairs, left-out counts and rule version of a stored judgement set; None when the
    version has none recorded (an empty mapping or None)."""
    if judgements is None or (isinstance(judgements, Mapping) and not judgements):
        return None
    if not isinstance(judgements, Mapping):
        raise ValueError(f"judgements must be a mapping, got {type(judgements).__name__}")
    pairs = judgements.get("pairs")
    if isinstance(pairs, (str, bytes, Mapping)) or not isinstance(pairs, Sequence):
        raise ValueError("judgements: pairs must be a list")
    seen = set()
    for index, pair in enumerate(pairs):
        where = f"judgements: pair {index}"
        if not isinstance(pair, Mapping):
            raise ValueError(f"{where} must be a mapping")
        if not isinstance(pair.get("id"), str) or not pair["id"]:
            raise ValueError(f"{where}: id must be a non-empty string")
        if pair["id"] in seen:
            raise ValueError(f"{where}: id {pair['id']!r} appears twice")
        seen.add(pair["id"])
        if pair.get("label") not in LABELS:
            raise ValueError(f"{where}: label must be one of {', '.join(LABELS)}")
        if pair.get("modality") not in MODALITIES:
            raise ValueError(f"{where}: modality must be one of {', '.join(MODALITIES)}")
        if not isinstance(pair.get("clip"), str):
            raise ValueError(f"{where}: clip must be a clip name")
        for side in ("a", "b"):
            if not isinstance(pair.get(side), Mapping) or not isinstance(
                pair[side].get("text"), str
            ):
                raise ValueError(f"{where}: {side} must be a cue with a text")
        try:
            json.dumps(pair, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where} cannot be written as JSON: {error}") from None
    left_out = judgements.get("left_out") or {}
    if not isinstance(left_out, Mapping):
        raise ValueError("judgements: left_out must be a mapping of counts")
    return [dict(pair) for pair in pairs], dict(left_out), judgements.get("version")


def judgement_rows(pairs: Sequence[Mapping], split_of: Mapping[str, str]) -> list[dict]:
    """The pairs of exported clips, each with its clip's split, by clip and id."""
    rows = [
        dict(pair) | {"split": split_of[pair["clip"]]} for pair in pairs if pair["clip"] in split_of
    ]
    return sorted(rows, key=lambda row: (row["clip"], row["id"]))


def judgements_jsonl(rows: Sequence[Mapping]) -> bytes:
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def judgements_summary(rows: Sequence[Mapping], left_out: Mapping, version) -> dict:
    """What the datasheet says of the exported pairs: counts per modality and label, per
    split, the left-out counts of the whole version and the rules' version."""
    by_modality = {m: {label: 0 for label in LABELS} for m in MODALITIES}
    by_split: dict[str, int] = {}
    rules: dict[str, int] = {}
    for row in rows:
        by_modality[row["modality"]][row["label"]] += 1
        by_split[row["split"]] = by_split.get(row["split"], 0) + 1
        rule = str(row.get("rule", ""))
        rules[rule] = rules.get(rule, 0) + 1
    return {
        "file": FILE,
        "pairs": len(rows),
        "by_modality": by_modality,
        "by_split": by_split,
        "by_rule": dict(sorted(rules.items())),
        "left_out_of_version": dict(sorted(left_out.items())),
        "rules_version": version,
    }
