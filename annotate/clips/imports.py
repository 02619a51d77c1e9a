"""Import a folder of clips, optionally described by a MER/EMER manifest."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from annotate.clips.ingest import clip_ingest
from annotate.clips.models import Clip, SubtitleReading, SubtitleSource
from annotate.clips.services import (
    ClipDuplicate,
    ClipRejected,
    clip_create,
    subtitle_size_check,
)
from annotate.clips.tasks import clip_subtitle_read_send
from annotate.core.models import Project
from inference.manifests import ManifestRow, manifest_read

# Files that sit beside clips and are never clips themselves.
SIDECAR_SUFFIXES = {".srt", ".vtt", ".txt", ".csv", ".tsv", ".json", ".md", ".eaf", ".xlsx"}


SUBTITLE_SUFFIXES = (".srt", ".vtt", ".txt")


@dataclass
class ImportRow:
    name: str
    file: str
    outcome: str  # created | ready | already | duplicate | failed | skipped
    message: str = ""
    clip_id: int | None = None


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def failed(self) -> list[ImportRow]:
        return [row for row in self.rows if row.outcome in ("failed", "duplicate")]

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Item:
    name: str
    video: Path | None
    subtitle_file: Path | None
    row: ManifestRow | None
    problem: str = ""


def _plan(directory: Path, rows: list[ManifestRow] | None) -> tuple[list[_Item], list[ImportRow]]:
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    videos: dict[str, list[Path]] = {}
    subtitles: dict[str, Path] = {}
    for path in files:
        suffix = path.suffix.lower()
        if suffix in SUBTITLE_SUFFIXES:
            # .srt/.vtt beat .txt when several exist for one clip.
            if path.stem not in subtitles or subtitles[path.stem].suffix.lower() == ".txt":
                subtitles[path.stem] = path
        if suffix not in SIDECAR_SUFFIXES:
            videos.setdefault(path.stem, []).append(path)

    items: list[_Item] = []
    skipped: list[ImportRow] = []
    if rows is None:
        for stem, paths in sorted(videos.items()):
            for path in paths:
                items.append(
                    _Item(stem, path, subtitles.get(stem) if len(paths) == 1 else None, None)
                )
        return items, skipped

    named = {row.name for row in rows}
    for row in rows:
        candidates = videos.get(row.name, [])
        if not candidates:
            problem = f"manifest line {row.line}: no file named {row.name}.<ext> in {directory}"
        elif len(candidates) > 1:
            problem = f"manifest line {row.line}: several files for {row.name}: " + ", ".join(
                p.name for p in candidates
            )
        else:
            problem = ""
        items.append(
            _Item(
                row.name,
                candidates[0] if len(candidates) == 1 else None,
                subtitles.get(row.name),
                row,
                problem,
            )
        )
    for stem, paths in sorted(videos.items()):
        if stem not in named:
            for path in paths:
                skipped.append(ImportRow(stem, path.name, "skipped", "not in the manifest"))
    return items, skipped


def _metadata(row: ManifestRow | None) -> dict:
    if row is None:
        return {}
    meta: dict = {"manifest_line": row.line}
    if row.emotion:
        meta["emotion"] = row.emotion
    if row.labels:
        meta["openset"] = list(row.labels)
    if row.reasons:
        meta["reasons"] = row.reasons
    meta.update(row.extra)
    return meta


def clips_import(
    *,
    project: Project,
    directory: Path,
    manifest: Path | None = None,
    enqueue: bool = False,
    created_by=None,
    on_row: Callable[[ImportRow], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create (and, unless enqueue, ingest in this process) one clip per video in `directory`.

    Raises ManifestError before anything is stored when the manifest itself is unusable;
    problems with single rows are reported per row and never stop the others.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a folder.")
    rows = manifest_read(manifest) if manifest is not None else None
    items, skipped = _plan(directory, rows)
    report = ImportReport(rows=list(skipped))
    if on_plan:
        on_plan(len(items))

    for item in items:
        result = _import_one(project=project, item=item, enqueue=enqueue, created_by=created_by)
        report.rows.append(result)
        if on_row:
            on_row(result)
    return report


def _import_one(*, project: Project, item: _Item, enqueue: bool, created_by) -> ImportRow:
    label = item.video.name if item.video else item.name
    if item.problem:
        return ImportRow(item.name, label, "failed", item.problem)
    subtitle: bytes | str | None = None
    subtitle_filename, source, chinese = "", SubtitleSource.FILE, ""
    try:
        if item.subtitle_file is not None:
            subtitle_filename = item.subtitle_file.name
            subtitle_size_check(size=item.subtitle_file.stat().st_size, filename=subtitle_filename)
            subtitle = item.subtitle_file.read_bytes()
        elif item.row is not None and item.row.subtitle:
            subtitle, subtitle_filename = item.row.subtitle, f"manifest line {item.row.line}"
            source, chinese = SubtitleSource.MANIFEST, item.row.subtitle_chinese
        clip = clip_create(
            project=project,
            source=item.video,
            filename=item.video.name,
            name=item.name if item.row is not None else None,
            subtitle=subtitle,
            subtitle_filename=subtitle_filename,
            subtitle_source=source,
            subtitle_chinese=chinese,
            metadata=_metadata(item.row),
            created_by=created_by,
            enqueue=enqueue,
        )
    except ClipDuplicate as error:
        if (
            error.existing.name == (item.name if item.row is not None else error.existing.name)
            and error.existing.original_filename == item.video.name
        ):
            return ImportRow(item.name, label, "already", "imported before", error.existing.pk)
        return ImportRow(item.name, label, "duplicate", error.message, error.existing.pk)
    except ClipRejected as error:
        return ImportRow(item.name, label, "failed", error.message)
    if enqueue:
        return ImportRow(clip.name, label, "created", "queued for ingestion", clip.pk)
    clip = clip_ingest(clip_id=clip.pk)
    if clip.status == Clip.Status.READY:
        if clip.subtitle_ocr_status == SubtitleReading.PENDING:
            # Read by a worker, as after any ingestion: the clip is ready meanwhile.
            clip_subtitle_read_send(clip.pk)
            return ImportRow(
                clip.name, label, "ready", "subtitle queued to be read from the picture", clip.pk
            )
        return ImportRow(clip.name, label, "ready", "", clip.pk)
    return ImportRow(clip.name, label, "failed", clip.error, clip.pk)
