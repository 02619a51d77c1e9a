"""Freezing gold: a project's final gold records become a numbered, immutable gold set version
(one item per clip) with counts, provenance and a content hash. Nothing here updates a frozen
set; later edits of gold records go into the next version."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotate.core import signals
from annotate.core.audit import audit_record
from annotate.core.errors import DomainError
from annotate.core.models import Project
from annotate.goldsets import selectors
from annotate.goldsets.models import GoldSet, GoldSetItem
from annotate.review.judgements import judgement_pairs_collect
from annotate.review.quality import project_label_agreement

__all__ = ["GoldSetRejected", "goldset_freeze"]


NOTE_LIMIT = 5000


LICENCE_LIMIT = 200


class GoldSetRejected(DomainError):
    """A freeze that the working gold's state does not allow now: 409."""

    code = "conflict"
    status = 409


def _provenance(*, records, by, frozen_at, latest: GoldSet | None, changes: dict) -> dict:
    reviewers: dict[str, int] = {}
    rows = []
    for record in records:
        reviewer = record.reviewer.username if record.reviewer_id else None
        if reviewer:
            reviewers[reviewer] = reviewers.get(reviewer, 0) + 1
        rows.append(
            {
                "clip": record.clip.name,
                "record_id": record.pk,
                "version": record.version,
                "reviewer": reviewer,
                "auto_promoted": record.auto_promoted,
                "finalized_at": (record.finalized_at.isoformat() if record.finalized_at else None),
            }
        )
    return {
        "frozen_by": {"id": by.pk, "username": by.get_username()} if by is not None else None,
        "frozen_at": frozen_at.isoformat(),
        "records": rows,
        "reviewers": dict(sorted(reviewers.items())),
        "auto_promoted": sum(1 for record in records if record.auto_promoted),
        "previous": (
            {"version": latest.version, "content_sha256": latest.content_sha256}
            if latest is not None
            else None
        ),
        "changes": changes,
    }


def _agreement(project: Project) -> dict:
    """The agreement figures as the quality page shows them now, kept with the version so that
    every export of it prints the same ones (recomputing later would see later annotations)."""
    alpha = project_label_agreement(project=project)
    figures = {
        "measure": "Krippendorff's alpha (nominal) of the primary emotion label, "
        "submitted annotations",
        "alpha": round(float(alpha.alpha), 3) if alpha.alpha is not None else None,
        "clips": alpha.n_units,
        "annotators": alpha.n_coders,
        "distinct_labels": alpha.n_values,
    }
    if alpha.alpha is None:
        figures["why_none"] = alpha.reason
    return figures


@transaction.atomic
def goldset_freeze(*, project: Project, by, note: str = "", licence: str = "") -> GoldSet:
    """Snapshot every final gold record of the project into version last + 1.

    Refused (GoldSetRejected) when the project has no final gold record, or when the gold is
    exactly what the last version holds. Two concurrent freezes queue on the project row; the
    (project, version) constraint is the backstop.
    """
    note, licence = (note or "").strip(), " ".join((licence or "").split())
    if len(note) > NOTE_LIMIT:
        raise GoldSetRejected(f"The note has {len(note)} characters; keep it within {NOTE_LIMIT}.")
    if len(licence) > LICENCE_LIMIT:
        raise GoldSetRejected(
            f"The licence has {len(licence)} characters; give its name or "
            f"SPDX id within {LICENCE_LIMIT} (e.g. CC-BY-NC-4.0)."
        )
    Project.objects.select_for_update().only("id").get(pk=project.pk)
    records = selectors.gold_records_final(project=project, lock=True)
    if not records:
        raise GoldSetRejected(
            f"{project.name} has no final gold record yet: finalize at least one "
            "clip's review (or auto-promote) before freezing a version."
        )
    items = [selectors.gold_item_from_record(record) for record in records]
    content_sha256 = selectors.gold_items_sha256(items)
    latest = selectors.goldset_latest(project=project)
    if latest is not None and latest.content_sha256 == content_sha256:
        raise GoldSetRejected(
            f"Nothing changed since version {latest.version} ({latest.counts.get('clips', 0)} "
            "clips, same content): finalize or change gold records before freezing again."
        )
    previous = selectors.goldset_items(gold_set=latest) if latest is not None else []
    changes = selectors.gold_changes(before=previous, after=items)
    frozen_at = timezone.now()
    version = (latest.version if latest else 0) + 1
    gold_set = GoldSet(
        project=project,
        version=version,
        note=note,
        licence=licence,
        counts=selectors.gold_counts(items),
        content_sha256=content_sha256,
        agreement=_agreement(project),
        # The pairs people judged, kept with the version: an export of it must not see later
        # decisions (annotate/review/judgements.py).
        judgements=judgement_pairs_collect(
            project=project,
            record_ids=[record.pk for record in records],
            gold_set_version=version,
        ),
        frozen_by=by if getattr(by, "pk", None) else None,
        frozen_at=frozen_at,
        provenance=_provenance(
            records=records,
            by=by if getattr(by, "pk", None) else None,
            frozen_at=frozen_at,
            latest=latest,
            changes=changes,
        ),
    )
    gold_set.full_clean(exclude=["project", "frozen_by"], validate_unique=False)
    try:
        with transaction.atomic():
            gold_set.save()
    except IntegrityError as error:  # a freeze that did not take the project lock won the number
        raise GoldSetRejected(
            f"Version {gold_set.version} of {project.name} was frozen by someone else a moment "
            "ago; reload and freeze again if still needed."
        ) from error
    rows = [
        GoldSetItem(
            gold_set=gold_set,
            clip_id=item["clip_id"],
            name=item["name"],
            group_key=item["group_key"],
            cues=item["cues"],
            labels=item["labels"],
            primary_label=item["primary_label"],
            description=item["description"],
            subtitle=item["subtitle"],
            record_id=item["record_id"],
            record_version=item["record_version"],
        )
        for item in items
    ]
    for row in rows:  # an empty label list is valid data here, not a blank form field
        row.full_clean(exclude=["gold_set", "clip", "labels"], validate_unique=False)
    GoldSetItem.objects.bulk_create(rows, batch_size=500)
    # Every finished run and annotator is scored against the new version, after commit.
    signals.goldset_frozen.send(sender=GoldSet, gold_set=gold_set)
    audit_record(
        actor=by,
        action="freeze",
        object_type="gold_set",
        object_id=gold_set.pk,
        before=None,
        project=project,
        after={
            "version": gold_set.version,
            "content_sha256": content_sha256,
            "counts": gold_set.counts,
            "note": note,
            "licence": licence,
            "previous": gold_set.provenance["previous"],
            "changes": changes,
            "judged_pairs": gold_set.judgements["counts"],
        },
    )
    return gold_set
