"""Building an export: the split and the deterministic zip of a frozen version, stored under its
sha256. Runs in a cpu worker (annotate.goldsets.tasks); the export command uses the same
writer. Kept apart from the services that enqueue it, so the task module can import it."""

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from annotate.core.errors import DomainError
from annotate.goldsets import selectors
from annotate.goldsets.models import Export, GoldSet
from inference.exports import export_zip
from inference.splits import SplitError, SplitItem, split_items, split_report

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _store(path: Path, name: str, sha256: str) -> str:
    """Save the zip under its content name; a second build of the same bytes reuses the file."""
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            existing = hashlib.sha256()
            for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                existing.update(chunk)
        if existing.hexdigest() == sha256:
            return name
    with open(path, "rb") as handle:
        return default_storage.save(name, File(handle, name=os.path.basename(name)))


def export_build(
    *, export_id: int, progress: Callable[[int, int], None] | None = None
) -> Export | None:
    """Build one export's zip (the cpu task's body). Safe to run twice: a done or failed export
    is left alone, and a build that finds its zip already stored reuses it. On any failure the
    export is marked failed with the error and no file is left in storage."""
    claimed = Export.objects.filter(
        pk=export_id, status__in=[Export.Status.PENDING, Export.Status.RUNNING]
    ).update(status=Export.Status.RUNNING)
    export = (
        Export.objects.select_related("gold_set", "gold_set__project").filter(pk=export_id).first()
    )
    if export is None or not claimed:
        return export
    gold_set = export.gold_set
    spec = dict(export.split_spec or {})
    tmp_dir = tempfile.mkdtemp(prefix="emocue-export-")
    tmp_path = Path(tmp_dir) / "export.zip"
    stored_name = ""
    try:
        _, report = goldset_zip_write(
            gold_set=gold_set,
            ratios=export_ratios(export),
            seed=export.seed,
            out=tmp_path,
            spec=spec,
            progress=progress,
            with_media=export.with_media,
        )
        sha256, size = file_sha256(tmp_path)
        stored_name = _store(
            tmp_path, f"exports/{gold_set.project_id}/{gold_set.version}/{sha256}.zip", sha256
        )
        with transaction.atomic():
            export = Export.objects.select_for_update().get(pk=export_id)
            export.status, export.file, export.sha256, export.size_bytes = (
                Export.Status.DONE,
                stored_name,
                sha256,
                size,
            )
            export.report = report
            export.error, export.finished_at = "", timezone.now()
            export.full_clean(exclude=["gold_set", "created_by"])
            export.save(
                update_fields=[
                    "status",
                    "file",
                    "sha256",
                    "size_bytes",
                    "report",
                    "error",
                    "finished_at",
                ]
            )
        return export
    except Exception as error:
        if (
            stored_name
            and not Export.objects.filter(file=stored_name).exclude(pk=export_id).exists()
        ):
            default_storage.delete(stored_name)
        message = (
            error.message
            if isinstance(error, ExportRejected)
            else f"{type(error).__name__}: {error}"
        )
        log.exception("export %s failed", export_id)
        return export_failed(export_id=export_id, message=message)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def export_failed(*, export_id: int, message: str) -> Export | None:
    """Mark an unfinished export failed with the reason (a time limit, an error)."""
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status in (Export.Status.DONE, Export.Status.FAILED):
            return export
        export.status, export.error = Export.Status.FAILED, message[:5000]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
    return export


SPLIT_DEFAULTS = {"stratify": True, "grouped": True, "tolerance": 0.1}


class ExportRejected(DomainError):
    """An export that cannot be made (a bad split spec, an impossible split): 422."""


def _split_items(items: list[dict]) -> list[SplitItem]:
    # An empty label is a stratum of its own; an empty group key makes the clip its own group.
    return [
        SplitItem(name=item["name"], label=item["primary_label"], group=item["group_key"])
        for item in items
    ]


def _split(
    *, items: list[dict], ratios: Mapping[str, float], seed: int, spec: Mapping | None = None
) -> tuple[list[SplitItem], dict[str, list[str]]]:
    spec = {**SPLIT_DEFAULTS, **(spec or {})}
    split_rows = _split_items(items)
    try:
        splits = split_items(
            items=split_rows,
            ratios=dict(ratios),
            seed=int(seed),
            stratify=spec["stratify"],
            grouped=spec["grouped"],
            tolerance=spec["tolerance"],
        )
    except SplitError as error:
        raise ExportRejected(str(error)) from error
    return split_rows, splits


def goldset_split(
    *, gold_set: GoldSet, ratios: Mapping[str, float], seed: int
) -> dict[str, list[str]]:
    """{split: [clip names]} of a frozen version: the split an export with these ratios and seed
    writes (stratified by primary label, grouped by group key). ExportRejected when impossible."""
    items = selectors.goldset_export_items(gold_set=gold_set)
    return _split(items=items, ratios=ratios, seed=seed)[1]


def _datasheet(gold_set: GoldSet) -> dict:
    # Agreement as stored when the version was frozen (recomputing it now would see later
    # annotations and make two exports of one version differ); older versions have none.
    return {
        "project": gold_set.project.name,
        "version": gold_set.version,
        "frozen_at": gold_set.frozen_at.isoformat(),
        "licence": gold_set.licence,
        "provenance": gold_set.provenance,
        "agreement": gold_set.agreement or {},
        "note": gold_set.note,
    }


def goldset_zip_write(
    *,
    gold_set: GoldSet,
    ratios: Mapping[str, float],
    seed: int,
    out: str | Path,
    spec: Mapping | None = None,
    progress: Callable[[int, int], None] | None = None,
    with_media: bool = False,
) -> tuple[dict, dict]:
    """Split a frozen version and write its zip to `out` (atomically, by export_zip). Returns
    (manifest, report) where report is split_report's counts per label per split. With
    with_media, the proxy videos of the exported clips go into the zip at media/<name>.<ext>,
    where their ELAN files point."""
    items = selectors.goldset_export_items(gold_set=gold_set)
    split_rows, splits = _split(items=items, ratios=ratios, seed=seed, spec=spec)
    media_files = {}
    if with_media:
        exported = {name for names in splits.values() for name in names}
        media_files = {
            selectors.export_media_path(name=name, proxy=proxy): partial(
                default_storage.open, proxy, "rb"
            )
            for name, proxy in selectors.goldset_export_proxies(gold_set=gold_set).items()
            if name in exported
        }
    try:
        manifest = export_zip(
            items=items,
            splits=splits,
            datasheet=_datasheet(gold_set),
            out=out,
            progress=progress,
            media_files=media_files,
            # the pairs stored at the freeze, never collected again: later decisions must not
            # change an export of this version
            judgements=gold_set.judgements or None,
        )
    except ValueError as error:  # an item the formats cannot hold; the message names it
        raise ExportRejected(f"The export was refused: {error}") from error
    return manifest, split_report(items=split_rows, splits=splits)


def export_ratios(export: Export) -> dict[str, float]:
    """The export's ratios in the order they were given (PostgreSQL's jsonb keeps keys in its
    own order; the split order is part of the zip's bytes)."""
    spec = export.split_spec or {}
    ratios = spec.get("ratios") or {}
    order = [name for name in spec.get("order") or [] if name in ratios]
    return {name: ratios[name] for name in [*order, *(n for n in ratios if n not in order)]}
