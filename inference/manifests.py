"""Clip manifests in the formats MER/EMER users already have (no Django).

- MER subtitles / EMER descriptions: `name,chinese,english` (either text column may be absent;
  the english text is the subtitle, the chinese one is kept beside it, or is the subtitle when
  there is no english);
- EMER v1: `names,emotions,subtitles,reasons`;
- MER2024/2025 open vocabulary: `name,openset` (a Python-list string of labels).
Columns beyond these are kept as metadata.
"""

import ast
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from inference.csv_cells import csv_cell_text


class ManifestError(ValueError):
    """The manifest as a whole cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class ManifestRow:
    line: int
    name: str
    subtitle: str = ""
    # MER's chinese text when the row also has an english one (which is `subtitle`): a clip
    # keeps and shows both. Alone, the chinese text is the subtitle itself.
    subtitle_chinese: str = ""
    emotion: str = ""
    labels: tuple[str, ...] = ()
    reasons: str = ""
    extra: dict = field(default_factory=dict)


_NAME_COLUMNS = ("name", "names")
_KNOWN = {
    "name",
    "names",
    "english",
    "chinese",
    "subtitles",
    "emotions",
    "emotion",
    "reasons",
    "openset",
}


def manifest_read(path: Path | str) -> list[ManifestRow]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ManifestError(f"Cannot read manifest {path}: {error.strerror}.") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ManifestError(
            f"Manifest {path.name} is not UTF-8 text (byte {error.start} cannot be decoded)."
        ) from error
    return manifest_parse(text, label=path.name)


def manifest_parse(text: str, *, label: str = "manifest") -> list[ManifestRow]:
    if not text.strip():
        raise ManifestError(f"Manifest {label} is empty.")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as error:
        raise ManifestError(f"Manifest {label} is not valid CSV: {error}.") from error
    reader.fieldnames = header
    name_column = next((c for c in _NAME_COLUMNS if c in header), None)
    if name_column is None:
        raise ManifestError(
            f"Manifest {label} has no 'name' column (found: {', '.join(header) or 'nothing'}). "
            "Expected MER's name,chinese,english or EMER's names,emotions,subtitles,reasons."
        )
    has_text = any(
        c in header
        for c in ("english", "chinese", "subtitles", "reasons", "openset", "emotions", "emotion")
    )
    if not has_text:
        raise ManifestError(
            f"Manifest {label} has a name column but none of english, chinese, subtitles, "
            f"emotions, reasons, openset (found: {', '.join(header)})."
        )
    if name_column == "names" and not {"emotions", "subtitles", "reasons"} <= set(header):
        missing = sorted({"emotions", "subtitles", "reasons"} - set(header))
        raise ManifestError(
            f"Manifest {label} looks like EMER v1 (a 'names' column) "
            f"but lacks {', '.join(missing)}."
        )

    rows: list[ManifestRow] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                problems.append(f"line {line}: more fields than the header has")
                continue
            # An EmoCue export's emer.csv made formula-like cells spreadsheet-safe: undo it.
            values = {k: csv_cell_text(v or "").strip() for k, v in record.items()}
            name = values.get(name_column, "")
            if not name:
                if any(values.values()):
                    problems.append(f"line {line}: empty name")
                continue
            if name in seen:
                problems.append(f"line {line}: name {name!r} repeats line {seen[name]}")
                continue
            seen[name] = line
            labels: tuple[str, ...] = ()
            if values.get("openset"):
                try:
                    parsed = ast.literal_eval(values["openset"])
                except (ValueError, SyntaxError):
                    parsed = None
                if not isinstance(parsed, list | tuple) or not all(
                    isinstance(x, str) for x in parsed
                ):
                    problems.append(
                        f"line {line}: openset {values['openset'][:40]!r} is not a list of strings"
                    )
                    continue
                labels = tuple(x.strip() for x in parsed if x.strip())
            subtitle = (
                values.get("english") or values.get("subtitles") or values.get("chinese") or ""
            )
            chinese = values.get("chinese", "")
            extra = {k: v for k, v in values.items() if k not in _KNOWN and v}
            rows.append(
                ManifestRow(
                    line=line,
                    name=name,
                    subtitle=subtitle,
                    subtitle_chinese=chinese if chinese != subtitle else "",
                    emotion=values.get("emotions") or values.get("emotion") or "",
                    labels=labels,
                    reasons=values.get("reasons", ""),
                    extra=extra,
                )
            )
    except csv.Error as error:
        raise ManifestError(f"Manifest {label}, line {reader.line_num}: {error}.") from error
    if problems:
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        raise ManifestError(f"Manifest {label} has {len(problems)} bad row(s): {shown}.")
    if not rows:
        raise ManifestError(f"Manifest {label} has a header but no rows.")
    return rows
