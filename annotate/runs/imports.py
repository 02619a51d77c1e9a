"""Import a model's outside results as a model run, scored like any other.

Two formats, told apart by content (not by the file's extension):

- EmoCue cue JSON ``{name: {"visual": [...], "auditory": [...], "emotional": [...]}}``; a cue
  is a string or an object ``{text, kind, start_ms, end_ms}`` (timed cues keep their times);
- EMER-style CSV descriptions: ``name,english``, ``name,chinese,english`` or EMER v1's
  ``names,emotions,subtitles,reasons``. Each description becomes the proposal's description
  and is cut into cues by the rule extractor (the one the XEmoGPT proposer uses); an optional
  ``openset`` (a Python-list string) or ``emotions`` column gives the proposal's labels.

The whole file is checked before anything is written, and every problem is reported at once.
"""

import ast
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.core import signals
from annotate.core.display_names import display_name_cleaned
from annotate.core.errors import DomainError
from annotate.core.limits import limit_message, limit_value
from annotate.core.models import Project
from annotate.core.parsers import JsonTooDeep, json_loads
from annotate.runs.models import Cue, ModelRun, Proposal
from inference.csv_cells import csv_row_text
from inference.emocue360 import MODALITIES, extract_cues
from inference.emocue360.cues import SUBTITLE_PREFIX

IMPORT_PROPOSER = "import"


FORMATS = ("json", "csv")


CUE_KINDS = tuple(Cue.Kind.values)


CUE_FIELDS = ("text", "kind", "start_ms", "end_ms")


MAX_PROBLEMS = 25


LABEL_MAX = ModelRun._meta.get_field("label").max_length


class RunImportRejected(DomainError):
    """The file cannot be imported (422); `problems` names each one (by line or key)."""

    code = "invalid_file"

    def __init__(
        self,
        message: str,
        problems: list[str] | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
    ):
        super().__init__(message, code=code, field=field)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return " ".join([self.message, *self.problems])

    def api_body(self) -> dict:
        return {**super().api_body(), "problems": self.problems}


class RunImportDuplicate(RunImportRejected):
    """The very same file was imported into this project before, as `existing`."""

    def __init__(self, message: str, existing: ModelRun):
        super().__init__(message, [message], code="duplicate")
        self.existing = existing

    def api_body(self) -> dict:
        return {**super().api_body(), "run": self.existing.pk}


@dataclass
class _Cue:
    modality: str
    kind: str
    text: str
    start_ms: int | None = None
    end_ms: int | None = None
    where: str = ""


@dataclass
class _Entry:
    name: str
    where: str  # "line 4" or "key 'sample_1'": how problems name it
    order: int  # its place in the file: problems are reported in reading order
    cues: list[_Cue] = field(default_factory=list)
    description: str = ""
    emotions: list[dict] = field(default_factory=list)


@dataclass
class _Parsed:
    format: str
    entries: list[_Entry]
    details: dict = field(default_factory=dict)


class _Problems:
    """Problems, each tagged with the place in the file being checked (`at`) when it was found,
    so that they read in file order however many passes found them."""

    def __init__(self) -> None:
        self.at = -1
        self._items: list[tuple[int, str]] = []

    def append(self, problem: str) -> None:
        self._items.append((self.at, problem))

    def __len__(self) -> int:
        return len(self._items)

    def in_order(self) -> list[str]:
        return [problem for _, problem in sorted(self._items, key=lambda item: item[0])]


def _reject(
    file_name: str, problems: list[str], *, code: str | None = None, field: str | None = None
) -> RunImportRejected:
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"… and {len(problems) - MAX_PROBLEMS} more problem(s) not shown.")
    noun = "problem" if len(problems) == 1 else "problems"
    message = (
        f"{file_name or 'The file'} was not imported ({len(problems)} {noun}); nothing was stored."
    )
    if field:  # a limit the file is over: the message itself names it
        message = " ".join([message, *problems])
    return RunImportRejected(message, shown, code=code, field=field)


def _type_name(value) -> str:
    names = {
        type(None): "null",
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }
    return names.get(type(value), type(value).__name__)


class _JsonObject(dict):
    """A decoded JSON object that remembers the keys it saw twice (json keeps only the last)."""

    repeated: list[str]


def _json_object(pairs) -> _JsonObject:
    obj = _JsonObject()
    obj.repeated = []
    for key, value in pairs:
        if key in obj and key not in obj.repeated:
            obj.repeated.append(key)
        obj[key] = value
    return obj


def _default_kind(modality: str, text: str) -> tuple[str, str]:
    # Plain cue files mark subtitle cues with this prefix (cue_set_to_json(plain=True)).
    if modality == "auditory" and text.startswith(SUBTITLE_PREFIX):
        return "subtitle", text[len(SUBTITLE_PREFIX) :].strip()
    return ("inference" if modality == "emotional" else "observation"), text


def _time(value, where: str, name: str, problems: _Problems) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(
            f"{where}: {name} must be a whole number of milliseconds ≥ 0, "
            f"got {json.dumps(value)[:40]}."
        )
        return None
    return value


def _json_cue(value, *, modality: str, where: str, problems: _Problems) -> _Cue | None:
    if isinstance(value, str):
        if not value.strip():
            problems.append(f"{where}: the cue text is empty.")
            return None
        kind, text = _default_kind(modality, value.strip())
        return _Cue(modality, kind, text, where=where)
    if not isinstance(value, dict):
        problems.append(
            f"{where}: a cue must be a string or an object "
            f"{{text, kind, start_ms, end_ms}}, got {_type_name(value)}."
        )
        return None
    bad = len(problems)
    for key in value.repeated:
        problems.append(f"{where}: field {key!r} appears twice.")
    unknown = sorted(set(value) - set(CUE_FIELDS))
    if unknown:
        problems.append(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"a cue object has {', '.join(CUE_FIELDS)}."
        )
    text = value.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(
            f"{where}: 'text' must be a non-empty string, got {_type_name(text)}"
            + (" (empty)" if isinstance(text, str) else "")
            + "."
        )
        text = ""
    kind = value.get("kind")
    if kind is not None and kind not in CUE_KINDS:
        problems.append(f"{where}: kind {kind!r} is not one of {', '.join(CUE_KINDS)}.")
    start, end = value.get("start_ms"), value.get("end_ms")
    if (start is None) != (end is None):
        problems.append(f"{where}: give both start_ms and end_ms, or neither.")
        start = end = None
    elif start is not None:
        start = _time(start, where, "start_ms", problems)
        end = _time(end, where, "end_ms", problems)
        if start is not None and end is not None and end < start:
            problems.append(f"{where}: end_ms {end} is before start_ms {start}.")
    if len(problems) > bad:
        return None
    default_kind, text = _default_kind(modality, text.strip())
    return _Cue(modality, kind or default_kind, text, start, end, where=where)


def _parse_json(text: str, problems: _Problems) -> _Parsed:
    try:
        data = json_loads(text, object_pairs_hook=_json_object)
    except JsonTooDeep as error:
        raise _Fatal(f"Too deeply nested: {error}.", field="file") from None
    except json.JSONDecodeError as error:
        raise _Fatal(
            f"Not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error
    if not isinstance(data, dict):
        raise _Fatal(
            f"The JSON is {_type_name(data)}; an EmoCue cue file is an object mapping "
            'clip names to {"visual": [...], "auditory": [...], "emotional": [...]}.'
        )
    if not data:
        raise _Fatal("The JSON object has no clips.")
    order = {name: i for i, name in enumerate(data)}
    for name in data.repeated:
        problems.at = order[name]
        problems.append(f"key {name!r}: the clip appears twice in the file.")
    entries: list[_Entry] = []
    for name, sample in data.items():
        problems.at = order[name]
        where = f"key {name!r}"
        if not name.strip():
            problems.append(f"{where}: the clip name is empty.")
            continue
        if not isinstance(sample, dict):
            problems.append(
                f"{where}: expected an object with {', '.join(MODALITIES)} lists, "
                f"got {_type_name(sample)}."
            )
            continue
        for key in sample.repeated:
            problems.append(f"{where}: modality {key!r} appears twice.")
        unknown = sorted(set(sample) - set(MODALITIES))
        if unknown:
            problems.append(
                f"{where}: unknown modality key(s) {', '.join(map(repr, unknown))}; "
                f"expected only {', '.join(MODALITIES)}."
            )
        entry = _Entry(name=name, where=where, order=order[name])
        for modality in MODALITIES:
            values = sample.get(modality, [])
            if not isinstance(values, list):
                problems.append(
                    f"{where}[{modality!r}]: expected a list of cues, got {_type_name(values)}."
                )
                continue
            for i, value in enumerate(values):
                cue = _json_cue(
                    value, modality=modality, where=f"{where}[{modality!r}][{i}]", problems=problems
                )
                if cue is not None:
                    entry.cues.append(cue)
        entries.append(entry)
    return _Parsed("emocue-json", entries)


# A Python string literal (as pandas writes a list column) and a list of nothing else.
_PY_STRING = re.compile(
    r"""[uU]?(?:'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+")"""
)
_FLAT_LIST = re.compile(r"\[\s*(?:''\s*,\s*)*(?:''\s*)?\]")


def _labels(value: str, *, where: str, column: str, problems: _Problems) -> list[dict]:
    value = value.strip()
    if not value:
        return []
    if value.startswith("["):
        parsed = None
        # Only a flat list of string literals reaches literal_eval: it recurses on nesting
        # ("[-(-(-...1)))]" is a RecursionError), and these lists have none.
        if _FLAT_LIST.fullmatch(_PY_STRING.sub("''", value)):
            try:
                parsed = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                parsed = None
        if not isinstance(parsed, list | tuple) or not all(isinstance(x, str) for x in parsed):
            problems.append(
                f"{where}: {column} {value[:60]!r} is not a list of strings "
                "such as ['happy', 'excited']."
            )
            return []
        labels = [x.strip() for x in parsed]
    else:
        labels = [x.strip() for x in re.split(r"[,;]", value)]
    seen: dict[str, None] = {}
    for label in labels:
        if label and label.casefold() not in {s.casefold() for s in seen}:
            seen[label] = None
    return [{"label": label, "score": None} for label in seen]


def _parse_csv(text: str, problems: _Problems) -> _Parsed:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as error:
        raise _Fatal(f"Not valid CSV (line 1): {error}.") from error
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    found = ", ".join(h for h in header if h) or "nothing"
    name_column = "name" if "name" in header else "names" if "names" in header else None
    if name_column is None:
        raise _Fatal(
            f"Neither an EmoCue cue JSON object nor an EMER CSV: the first line has no "
            f"'name' (or EMER v1 'names') column (found: {found[:200]}). Expected "
            "name,english, name,chinese,english or names,emotions,subtitles,reasons."
        )
    if repeated:
        raise _Fatal(f"The header repeats column(s) {', '.join(map(repr, repeated))}.")
    text_column = "english" if "english" in header else "reasons" if "reasons" in header else None
    if text_column is None:
        if name_column == "names":
            raise _Fatal(
                f"The file looks like EMER v1 (a 'names' column) but has no 'reasons' "
                f"column with the descriptions (found: {found})."
            )
        if "chinese" in header:
            raise _Fatal(
                "The file has a 'chinese' column but no 'english' one: the cue extractor "
                "reads English descriptions; add an 'english' column."
            )
        raise _Fatal(
            "No description column: expected 'english' (MER/EMER) or 'reasons' "
            f"(EMER v1); found: {found}."
        )
    label_column = next((c for c in ("openset", "emotions", "emotion") if c in header), None)
    index = {h: i for i, h in enumerate(header)}

    entries: list[_Entry] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = problems.at = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                problems.append(
                    f"line {line}: {len(row)} fields, but the header has {len(header)}."
                )
                continue
            # An EmoCue export's emer.csv made formula-like cells spreadsheet-safe: undo it.
            row = csv_row_text(row) + [""] * (len(header) - len(row))
            name = row[index[name_column]].strip()
            where = f"line {line}" + (f" ({name!r})" if name else "")
            if not name:
                problems.append(f"line {line}: the {name_column!r} cell is empty.")
                continue
            if name in seen:
                problems.append(f"{where}: the clip appears twice (first on line {seen[name]}).")
                continue
            seen[name] = line
            description = re.sub(r"[ \t]+", " ", row[index[text_column]]).strip()
            if not description:
                problems.append(f"{where}: the {text_column!r} description is empty.")
                continue
            emotions = (
                _labels(
                    row[index[label_column]], where=where, column=label_column, problems=problems
                )
                if label_column
                else []
            )
            entry = _Entry(
                name=name, where=where, order=line, description=description, emotions=emotions
            )
            extracted = extract_cues(description)
            for modality in MODALITIES:
                for cue in extracted[modality]:
                    if cue.text.strip():
                        entry.cues.append(
                            _Cue(modality, cue.kind or "observation", cue.text.strip())
                        )
            entries.append(entry)
    except csv.Error as error:
        raise _Fatal(f"Not valid CSV (line {reader.line_num}): {error}.") from error
    if not entries and not problems:
        raise _Fatal("The CSV has a header but no rows.")
    fmt = "emer-v1-csv" if name_column == "names" else "emer-csv"
    return _Parsed(
        fmt,
        entries,
        {
            "description_column": text_column,
            "labels_column": label_column or "",
            "extractor": "rule",
        },
    )


class _Fatal(Exception):
    """A problem that stops the reading of the file (nothing more can be checked); `field`, when
    set, makes the refusal a 400 naming that input (a limit the file is over)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _detect(text: str) -> str:
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


def _parse(data: bytes, fmt: str | None, problems: _Problems) -> _Parsed:
    if fmt is not None and fmt not in FORMATS:
        raise _Fatal(
            f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)} (or leave it out to "
            "detect it from the content)."
        )
    if not data.strip():
        raise _Fatal("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _Fatal(
            f"Not UTF-8 text: byte {error.start} (line {line}) cannot be decoded; "
            "save the file as UTF-8."
        ) from error
    if "\x00" in text:
        raise _Fatal("The file contains NUL characters: it is binary, not a cue JSON or CSV file.")
    if not text.strip():
        raise _Fatal("The file is empty.")
    return (_parse_json if (fmt or _detect(text)) == "json" else _parse_csv)(text, problems)


def _name_key(name: str) -> str:
    key = name.strip().casefold()
    key = key.removeprefix("sample_")
    return str(int(key)) if key.isdigit() else key


def _check_clips(project: Project, entries: list[_Entry], problems: _Problems) -> dict[str, Clip]:
    clips = {
        c.name: c
        for c in Clip.objects.filter(project=project).only(
            "pk", "name", "status", "error", "duration_ms"
        )
    }
    by_key: dict[str, list[str]] = {}
    for name in clips:
        by_key.setdefault(_name_key(name), []).append(name)
    for entry in entries:
        problems.at = entry.order
        clip = clips.get(entry.name)
        if clip is None:
            similar = [n for n in by_key.get(_name_key(entry.name), []) if n != entry.name]
            hint = (
                f" Did you mean {' or '.join(map(repr, similar[:3]))}? (The names differ by "
                "the 'sample_' prefix, zero padding, case or spaces.)"
                if similar
                else ""
            )
            problems.append(
                f"{entry.where}: no clip named {entry.name!r} in project {project.name!r}.{hint}"
            )
            continue
        if clip.status != Clip.Status.READY:
            reason = f": {clip.error}" if clip.error else ""
            problems.append(
                f"{entry.where}: clip {entry.name!r} is {clip.status}, not ready"
                f"{reason}. Wait for its ingestion to finish (or retry it) and "
                "import again."
            )
            continue
        if clip.duration_ms:
            for cue in entry.cues:
                if cue.start_ms is not None and cue.start_ms > clip.duration_ms:
                    problems.append(
                        f"{cue.where}: start_ms {cue.start_ms} is after the end of "
                        f"clip {entry.name!r} ({clip.duration_ms} ms)."
                    )
                elif cue.end_ms is not None and cue.end_ms > clip.duration_ms:
                    cue.end_ms = clip.duration_ms  # a cue to the end: rounding in the other tool
    return clips


def run_import_size_check(*, size: int, file_name: str) -> None:
    """Refuse a file over EMOCUE_MAX_RUN_IMPORT_BYTES (413) before it is read."""
    setting = "EMOCUE_MAX_RUN_IMPORT_BYTES"
    if size > limit_value(setting):
        message = limit_message(
            setting=setting, what=file_name or "The file", count=size, unit="bytes"
        )
        raise RunImportRejected(
            f"{file_name or 'The file'} was not imported; nothing was stored.",
            [message + " Split the file by clips."],
            code="too_large",
        )


def _check_cue_counts(entries: list[_Entry], problems: _Problems) -> bool:
    """Each clip's cues within EMOCUE_MAX_CUES_PER_PROPOSAL, the file's within
    EMOCUE_MAX_RUN_IMPORT_CUES; True when a limit was passed."""
    per_clip = "EMOCUE_MAX_CUES_PER_PROPOSAL"
    over = False
    for entry in entries:
        if len(entry.cues) > limit_value(per_clip):
            problems.at = entry.order
            problems.append(
                limit_message(
                    setting=per_clip, what=entry.where, count=len(entry.cues), unit="cues"
                )
            )
            over = True
    total = sum(len(entry.cues) for entry in entries)
    if total > limit_value("EMOCUE_MAX_RUN_IMPORT_CUES"):
        problems.at = -1
        problems.append(
            limit_message(
                setting="EMOCUE_MAX_RUN_IMPORT_CUES", what="The file", count=total, unit="cues"
            )
        )
        over = True
    return over


def _default_label(file_name: str, version: str) -> str:
    stem = PurePath(file_name.replace("\\", "/")).stem if file_name else ""
    stem = display_name_cleaned(stem).strip()
    return (stem or f"import {version}")[:LABEL_MAX]


@transaction.atomic
def run_import(
    *, project: Project, by, file_name: str, data: bytes, label: str = "", fmt: str | None = None
) -> ModelRun:
    """Store a model's outputs (a cue JSON or an EMER-style CSV) as a finished run of the project.

    Args:
        project: the project whose clips the file names.
        by: the user importing it (recorded as the run's creator), or None.
        file_name: the uploaded file's name (kept on the run; the default label).
        data: the file's bytes.
        label: the run's label; default: the file name without its extension.
        fmt: "json" or "csv" to override the detection from the content.

    Returns:
        The run: proposer "import", version = the first 12 hex digits of the file's sha256,
        one done proposal (with cues of origin "model", decision "proposed") per clip in the file.

    Raises:
        RunImportRejected: with `problems`, each naming the line or key; nothing is stored.
        RunImportDuplicate: the same bytes were imported into this project before.
    """
    label = (label or "").strip()
    run_import_size_check(size=len(data), file_name=file_name)
    problems = _Problems()
    if len(label) > LABEL_MAX:
        problems.append(f"The label is {len(label)} characters long; at most {LABEL_MAX}.")
    try:
        parsed = _parse(data, fmt, problems)
    except _Fatal as error:
        problems.at = -1
        problems.append(str(error))
        raise _reject(file_name, problems.in_order(), field=error.field) from None
    if _check_cue_counts(parsed.entries, problems):
        raise _reject(file_name, problems.in_order(), code="too_large")

    sha256 = hashlib.sha256(data).hexdigest()
    version = sha256[:12]
    # One import at a time per project, so the same file sent twice at once makes one run.
    list(Project.objects.select_for_update().filter(pk=project.pk).values_list("pk", flat=True))
    earlier_runs = ModelRun.objects.filter(
        project=project, source=ModelRun.Source.IMPORT, version=version
    )
    for earlier in earlier_runs:
        if earlier.parameters.get("sha256", sha256) == sha256:
            when = timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")
            raise RunImportDuplicate(
                f"{file_name or 'This file'} was already imported into {project.name!r} as run "
                f"#{earlier.pk} {str(earlier)!r} on {when} (same content, sha256 {version}…); "
                "open that run instead of importing it again.",
                earlier,
            )

    clips = _check_clips(project, parsed.entries, problems)
    if problems:
        raise _reject(file_name, problems.in_order())

    now = timezone.now()
    names = {entry.name for entry in parsed.entries}
    missing = sorted(
        name
        for name, clip in clips.items()
        if clip.status == Clip.Status.READY and name not in names
    )
    cue_counts = {
        m: sum(1 for e in parsed.entries for c in e.cues if c.modality == m) for m in MODALITIES
    }
    run = ModelRun(
        project=project,
        proposer=IMPORT_PROPOSER,
        version=version,
        label=label or _default_label(file_name, version),
        source=ModelRun.Source.IMPORT,
        source_filename=(file_name or "")[:255],
        status=ModelRun.Status.FINISHED,
        created_by=by,
        finished_at=now,
        parameters={
            "format": parsed.format,
            "sha256": sha256,
            "size_bytes": len(data),
            "clips": len(parsed.entries),
            "missing_clips": len(missing),
            "missing_clip_names": missing[:100],
            "cues": cue_counts,
            **parsed.details,
        },
    )
    run.full_clean()
    run.save()
    model_version = f"import of {file_name or 'a file'} (sha256 {version})"[:200]
    proposals = Proposal.objects.bulk_create(
        [
            Proposal(
                run=run,
                clip=clips[entry.name],
                status=Proposal.Status.DONE,
                description=entry.description,
                emotions=entry.emotions,
                model_version=model_version,
                started_at=now,
                finished_at=now,
            )
            for entry in parsed.entries
        ]
    )
    Cue.objects.bulk_create(
        [
            Cue(
                clip_id=proposal.clip_id,
                proposal=proposal,
                position=i,
                modality=cue.modality,
                kind=cue.kind,
                text=cue.text,
                start_ms=cue.start_ms,
                end_ms=cue.end_ms,
                origin=Cue.Origin.MODEL,
                decision=Cue.Decision.PROPOSED,
            )
            for proposal, entry in zip(proposals, parsed.entries, strict=True)
            for i, cue in enumerate(entry.cues)
        ],
        batch_size=1000,
    )
    # In this transaction, as the other hooks do: the run and its leaderboard rows commit
    # together, and the recomputation is queued by it after the commit.
    signals.scores_stale.send(sender=ModelRun, project=project, run=run)
    return run
