"""Gold set reads: the frozen versions of a project with their counts, the working gold (the
project's final gold records as the next version would snapshot them, and what changed since
the last version), a version's items and its exports.

An item's content is its clip name, group key, cues per modality, labels, primary label,
description and, when the clip has one, its subtitle (where it came from, corrected or not, its
text and segments: a corrected subtitle is a change); the gold record's id and version ride
along but are not content (a record reopened and finalized unchanged is not a change)."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet

from annotate.core.models import Project
from annotate.goldsets.models import Export, GoldSet, GoldSetItem
from annotate.review.models import GoldCue, GoldRecord
from annotate.runs.models import Cue

MODALITIES: tuple[str, ...] = tuple(Cue.Modality.values)


CONTENT_FIELDS = ("name", "group_key", "cues", "labels", "primary_label", "description")


ITEMS_PER_PAGE = 100


def canonical_json(value) -> bytes:
    """The one serialisation hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def gold_item_content(item: dict) -> dict:
    content = {key: item[key] for key in CONTENT_FIELDS}
    # Only a subtitle there is: the hashes of items without one (every item frozen before
    # subtitles were kept) stay what they were.
    subtitle = item.get("subtitle")
    if subtitle and subtitle.get("source") != "none":
        content["subtitle"] = subtitle
    return content


def gold_subtitle_from_clip(clip) -> dict:
    """A clip's subtitle as a gold set item keeps it (and the export writes it)."""
    return {
        "source": clip.subtitle_source or "none",
        "corrected": clip.subtitle_corrected_at is not None,
        "text": clip.subtitle_text,
        "chinese": clip.subtitle_chinese,
        "segments": [
            {
                "start_ms": s["start_ms"],
                "end_ms": s["end_ms"],
                "text": s["text"],
                "confidence": s.get("confidence"),
            }
            for s in clip.subtitle_segments
            if s["text"].strip()
        ],
        # what read it from the picture (engine, models, rate, thresholds); None otherwise
        "reader": (clip.subtitle_ocr_settings or None) if clip.subtitle_source == "ocr" else None,
    }


def gold_items_sha256(items: list[dict]) -> str:
    """sha256 of the canonical JSON of the items' content, in name order."""
    content = [gold_item_content(item) for item in sorted(items, key=lambda i: i["name"])]
    return hashlib.sha256(canonical_json(content)).hexdigest()


def gold_item_sha256(item: dict) -> str:
    return hashlib.sha256(canonical_json(gold_item_content(item))).hexdigest()


def gold_item_from_record(record: GoldRecord) -> dict:
    """A gold record (with its clip and prefetched cues in order) as a gold set item."""
    cues: dict[str, list[dict]] = {modality: [] for modality in MODALITIES}
    for cue in record.cues.all():
        cues.setdefault(cue.modality, []).append(
            {"text": cue.text, "start_ms": cue.start_ms, "end_ms": cue.end_ms, "kind": cue.kind}
        )
    return {
        "name": record.clip.name,
        "group_key": record.clip.group_key,
        "cues": cues,
        "labels": list(record.labels),
        "primary_label": record.primary_label,
        "description": record.description,
        "subtitle": gold_subtitle_from_clip(record.clip),
        "record_id": record.pk,
        "record_version": record.version,
        "clip_id": record.clip_id,
    }


def gold_item_from_row(item: GoldSetItem) -> dict:
    return {
        "name": item.name,
        "group_key": item.group_key,
        "cues": item.cues,
        "labels": item.labels,
        "primary_label": item.primary_label,
        "description": item.description,
        "subtitle": item.subtitle,
        "record_id": item.record_id,
        "record_version": item.record_version,
        "clip_id": item.clip_id,
    }


def gold_cues_ordered() -> QuerySet[GoldCue]:
    # By start then position, whole-clip cues (no start) last on every database.
    return GoldCue.objects.only(
        "id", "record_id", "modality", "text", "start_ms", "end_ms", "kind", "position"
    ).order_by(F("start_ms").asc(nulls_last=True), "position", "pk")


def gold_records_final(*, project: Project, lock: bool = False) -> list[GoldRecord]:
    """The project's gold records with status gold, in clip-name order, with their cues. With
    lock, the records are row-locked (every gold edit locks its record first), so the cues read
    are the ones of the versions read."""
    records = (
        GoldRecord.objects.filter(clip__project=project, status=GoldRecord.Status.GOLD)
        .select_related("clip", "reviewer")
        .only(
            "id",
            "clip_id",
            "labels",
            "primary_label",
            "description",
            "version",
            "auto_promoted",
            "finalized_at",
            "reviewer_id",
            "reviewer__username",
            "clip__id",
            "clip__name",
            "clip__group_key",
            "clip__project_id",
            "clip__subtitle_source",
            "clip__subtitle_text",
            "clip__subtitle_chinese",
            "clip__subtitle_segments",
            "clip__subtitle_corrected_at",
            "clip__subtitle_ocr_settings",
        )
        .order_by("clip__name")
    )
    if lock:
        records = records.select_for_update(of=("self",))
    return list(records.prefetch_related(Prefetch("cues", queryset=gold_cues_ordered())))


def gold_counts(items: list[dict]) -> dict:
    """Clips, cues per modality, and how often each label (and each primary label) occurs."""
    cues = {modality: 0 for modality in MODALITIES}
    labels: dict[str, int] = {}
    primary: dict[str, int] = {}
    for item in items:
        for modality, rows in item["cues"].items():
            cues[modality] = cues.get(modality, 0) + len(rows)
        for label in item["labels"]:
            labels[label] = labels.get(label, 0) + 1
        primary[item["primary_label"]] = primary.get(item["primary_label"], 0) + 1
    return {
        "clips": len(items),
        "cues": cues,
        "cues_total": sum(cues.values()),
        "labels": dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "primary_labels": dict(sorted(primary.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def gold_changes(*, before: list[dict], after: list[dict]) -> dict:
    """Clip names added, removed and changed (content differs) from one item list to another."""
    old = {item["name"]: gold_item_sha256(item) for item in before}
    new = {item["name"]: gold_item_sha256(item) for item in after}
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": sorted(name for name in new.keys() & old.keys() if new[name] != old[name]),
    }


def goldset_list(*, project: Project) -> QuerySet[GoldSet]:
    """The project's frozen versions, newest first, with who froze them and export counts."""
    return (
        GoldSet.objects.filter(project=project)
        .select_related("frozen_by")
        .defer("judgements")  # the judged pairs can be megabytes; the list never shows them
        .annotate(
            n_exports=Count("exports"),
            n_exports_done=Count("exports", filter=Q(exports__status=Export.Status.DONE)),
        )
        .order_by("-version")
    )


def goldset_latest(*, project: Project) -> GoldSet | None:
    return GoldSet.objects.filter(project=project).defer("judgements").order_by("-version").first()


def goldset_get(*, project: Project, version: int) -> GoldSet | None:
    """One frozen version of the project, or None when there is no such version (its judged
    pairs are read only if asked for: an export reads them, the version page does not)."""
    return (
        GoldSet.objects.filter(project=project, version=version)
        .select_related("frozen_by", "project")
        .defer("judgements")
        .first()
    )


def goldset_items(*, gold_set: GoldSet) -> list[dict]:
    """Every item of a version as a dict (the export's and the change list's input)."""
    return [
        gold_item_from_row(item)
        for item in GoldSetItem.objects.filter(gold_set=gold_set).order_by("name")
    ]


def goldset_items_list(*, gold_set: GoldSet) -> QuerySet[GoldSetItem]:
    """A version's items in name order, as stored (for the API's own pagination)."""
    return (
        GoldSetItem.objects.filter(gold_set=gold_set)
        .only(
            "name",
            "group_key",
            "cues",
            "labels",
            "primary_label",
            "description",
            "subtitle",
            "record_id",
            "record_version",
            "gold_set_id",
        )
        .order_by("name")
    )


def goldset_items_page(*, gold_set: GoldSet, page: int = 1, per_page: int = ITEMS_PER_PAGE) -> Page:
    """One page of a version's items in name order (out-of-range pages give the last one)."""
    items = GoldSetItem.objects.filter(gold_set=gold_set).order_by("name")
    paginator = Paginator(items, per_page)
    paginator.count = gold_set.counts.get("clips", 0) if gold_set.counts else items.count()
    return paginator.get_page(page)


def export_media_path(*, name: str, proxy: str) -> str:
    """Where an export puts a clip's proxy video, relative to the zip's root (its ELAN files
    and clips.jsonl point there): media/<clip name> with the proxy's extension."""
    return f"media/{name}{PurePosixPath(proxy).suffix}" if proxy else ""


def goldset_export_items(*, gold_set: GoldSet) -> list[dict]:
    """A version's items in export_zip's shape: with the clip's duration and the export path of
    its proxy video (empty when the clip has none or was deleted since)."""
    rows = (
        GoldSetItem.objects.filter(gold_set=gold_set)
        .select_related("clip")
        .only(
            "name",
            "group_key",
            "cues",
            "labels",
            "primary_label",
            "description",
            "subtitle",
            "clip__id",
            "clip__duration_ms",
            "clip__proxy",
        )
        .order_by("name")
    )
    items = []
    for row in rows:
        clip = row.clip
        items.append(
            {
                "name": row.name,
                "group_key": row.group_key,
                "duration_ms": clip.duration_ms if clip else None,
                "media": export_media_path(name=row.name, proxy=clip.proxy if clip else ""),
                "labels": list(row.labels),
                "primary_label": row.primary_label,
                "description": row.description,
                "cues": row.cues,
                "subtitle": row.subtitle,
            }
        )
    return items


def goldset_export_proxies(*, gold_set: GoldSet) -> dict[str, str]:
    """{item name: storage name of its clip's proxy video} for the items whose clip has one."""
    return dict(
        GoldSetItem.objects.filter(gold_set=gold_set, clip__isnull=False)
        .exclude(clip__proxy="")
        .values_list("name", "clip__proxy")
    )


def goldset_exports_list(*, gold_set: GoldSet) -> list[Export]:
    return list(
        Export.objects.filter(gold_set=gold_set)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def export_get(*, gold_set: GoldSet, export_id: int) -> Export | None:
    return Export.objects.filter(gold_set=gold_set, pk=export_id).first()


@dataclass
class WorkingGold:
    """The final gold records as the next version would hold them, against the last version."""

    items: list[dict]
    counts: dict
    content_sha256: str
    n_in_review: int
    latest: GoldSet | None
    changes: dict = field(default_factory=dict)

    @property
    def n_changes(self) -> int:
        return sum(len(names) for names in self.changes.values())

    @property
    def unchanged(self) -> bool:
        return self.latest is not None and self.latest.content_sha256 == self.content_sha256

    @property
    def can_freeze(self) -> bool:
        return bool(self.items) and not self.unchanged


def gold_working_get(*, project: Project) -> WorkingGold:
    """The working gold: final records not yet frozen as they are now (added, changed), what
    left the gold since (removed: reopened or deleted), and how many records are in review."""
    items = [gold_item_from_record(r) for r in gold_records_final(project=project)]
    latest = goldset_latest(project=project)
    previous = goldset_items(gold_set=latest) if latest is not None else []
    n_in_review = GoldRecord.objects.filter(
        clip__project=project, status=GoldRecord.Status.IN_REVIEW
    ).count()
    return WorkingGold(
        items=items,
        counts=gold_counts(items),
        content_sha256=gold_items_sha256(items),
        n_in_review=n_in_review,
        latest=latest,
        changes=gold_changes(before=previous, after=items),
    )


def export_report_rows(
    report: dict, *, order: list[str] | None = None
) -> tuple[list[str], list[list]]:
    """split_report's counts as a table: a header (label, each split, total) and rows per label,
    then clips, groups and share per split. Splits in `order` when given (stored reports lose
    their key order in jsonb)."""
    splits = (report or {}).get("splits", {})
    names = [n for n in order or [] if n in splits] + [n for n in splits if n not in (order or [])]
    labels = list(
        report.get("labels")
        or sorted({label for row in splits.values() for label in row.get("labels", {})})
    )
    rows: list[list] = []
    for label in labels:
        counts = [splits[name].get("labels", {}).get(label, 0) for name in names]
        rows.append([label, *counts, sum(counts)])
    clips = [splits[name].get("clips", 0) for name in names]
    rows.append(["clips", *clips, sum(clips)])
    rows.append(["groups", *(splits[name].get("groups", 0) for name in names), ""])
    rows.append(["share", *(f"{splits[name].get('share', 0):.3f}" for name in names), ""])
    return ["label", *names, "total"], rows
