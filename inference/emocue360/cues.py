"""Cues and cue files: the data the metric scores and the extractor produces.

A cue file is the EmoCue JSON format researchers already have::

    {"sample_00000007": {"visual": [...], "auditory": [...], "emotional": [...]}}

Each cue is either a plain string or an object ``{"text": "...", "kind": "subtitle"}``.
Kinds let the strict mode recognise subtitle cues without a substring test.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODALITIES: tuple[str, ...] = ("visual", "auditory", "emotional")

KIND_SUBTITLE = "subtitle"
KIND_OBSERVATION = "observation"
KIND_INFERENCE = "inference"

# The text a subtitle cue carries in plain (string-only) cue files. It contains "text",
# so the reference code's substring filter drops it too.
SUBTITLE_PREFIX = "Subtitle text: "


@dataclass(frozen=True, slots=True)
class Cue:
    """One atomic statement about a clip.

    Attributes:
        text: the statement, e.g. "His eyebrows are furrowed."
        kind: what sort of cue it is: "observation", "inference", "subtitle", or None
            when the source did not say (plain-string cue files).
    """

    text: str
    kind: str | None = None

    def to_json(self) -> dict[str, str] | str:
        if self.kind is None:
            return self.text
        return {"text": self.text, "kind": self.kind}


CueSet = dict[str, list[Cue]]
"""One sample's cues by modality."""


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def parse_cue(value: Any, *, where: str) -> Cue:
    """Turn one JSON cue (string or {"text", "kind"} object) into a Cue, or raise ValueError."""
    if isinstance(value, str):
        return Cue(value)
    if isinstance(value, Mapping):
        unknown = set(value) - {"text", "kind"}
        if unknown:
            raise ValueError(
                f"{where}: unknown field(s) {sorted(unknown)} in cue object; "
                "a cue object has 'text' and optionally 'kind'"
            )
        text = value.get("text")
        kind = value.get("kind")
        if not isinstance(text, str):
            raise ValueError(f"{where}: cue 'text' must be a string, got {_type_name(text)}")
        if kind is not None and not isinstance(kind, str):
            raise ValueError(f"{where}: cue 'kind' must be a string, got {_type_name(kind)}")
        return Cue(text, kind)
    raise ValueError(
        f"{where}: a cue must be a string or an object "
        f'{{"text": ..., "kind": ...}}, got {_type_name(value)}'
    )


def parse_cue_file(
    data: Any,
    *,
    role: str,
    require_modalities: tuple[str, ...] = MODALITIES,
    allow_extra_keys: bool = False,
    allow_blank: bool = False,
) -> dict[str, dict[str, list[Cue]]]:
    """Validate decoded cue-file JSON and return {sample: {modality: [Cue, ...]}}.

    Args:
        data: the decoded JSON.
        role: "gold" or "predicted"; used in error messages.
        require_modalities: modality keys every sample must have; others may be missing
            (they are then absent from the result, not empty).
        allow_extra_keys: accept keys other than the three modalities (ignored).
        allow_blank: accept cues whose text is empty or only whitespace.

    Returns:
        The parsed samples, in file order.

    Raises:
        ValueError: with the sample, modality and position of the first problem.
    """
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{role}: expected a JSON object mapping sample names to "
            f'{{"visual": [...], "auditory": [...], "emotional": [...]}}, got {_type_name(data)}'
        )
    if not data:
        raise ValueError(f"{role}: the file has no samples")
    parsed: dict[str, dict[str, list[Cue]]] = {}
    for name, sample in data.items():
        if not isinstance(sample, Mapping):
            raise ValueError(
                f"{role}[{name!r}]: expected an object with keys {list(MODALITIES)}, "
                f"got {_type_name(sample)}"
            )
        extra = set(sample) - set(MODALITIES)
        if extra and not allow_extra_keys:
            raise ValueError(
                f"{role}[{name!r}]: unknown key(s) {sorted(extra)}; "
                f"expected only {list(MODALITIES)}"
            )
        missing = [m for m in require_modalities if m not in sample]
        if missing:
            raise ValueError(
                f"{role}[{name!r}]: missing key(s) {missing}; use [] for a modality with no cues"
            )
        cues_by_modality: dict[str, list[Cue]] = {}
        for modality in MODALITIES:
            if modality not in sample:
                continue
            values = sample[modality]
            where = f"{role}[{name!r}][{modality!r}]"
            if not isinstance(values, list):
                raise ValueError(f"{where}: expected a list of cues, got {_type_name(values)}")
            cues = [parse_cue(v, where=f"{where}[{i}]") for i, v in enumerate(values)]
            if not allow_blank:
                for i, cue in enumerate(cues):
                    if not cue.text.strip():
                        raise ValueError(f"{where}[{i}]: cue text is empty")
            cues_by_modality[modality] = cues
        parsed[str(name)] = cues_by_modality
    return parsed


def load_json_file(path: str | Path, *, role: str) -> Any:
    """Read a JSON file, turning I/O and syntax errors into ValueErrors that name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{role} file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{role} file {str(path)!r} cannot be read: {exc}") from None
    if not text.strip():
        raise ValueError(f"{role} file {str(path)!r} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{role} file {str(path)!r} is not valid JSON: {exc}") from None


def cue_set_to_json(cue_set: Mapping[str, list[Cue]], *, plain: bool = False) -> dict[str, list]:
    """Serialise one sample's cues.

    Args:
        cue_set: {modality: [Cue, ...]}.
        plain: write strings only (the reference code's format); subtitle cues then carry
            the prefix "Subtitle text: " so the reference substring filter also drops them.
    """
    out: dict[str, list] = {}
    for modality in MODALITIES:
        cues = cue_set.get(modality, [])
        if plain:
            out[modality] = [
                (SUBTITLE_PREFIX + c.text if c.kind == KIND_SUBTITLE else c.text) for c in cues
            ]
        else:
            out[modality] = [{"text": c.text, "kind": c.kind} if c.kind else c.text for c in cues]
    return out
