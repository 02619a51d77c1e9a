"""Exports of frozen gold set versions: a split (stratified by primary label, grouped by speaker
or source) and one deterministic zip (inference.exports.export_zip) built by a cpu worker into
storage under exports/<project id>/<version>/<sha256>.zip. The split is checked when the export
is asked for, so an impossible one is refused before anything is stored."""

import logging
from collections.abc import Mapping

from django.db import transaction

from annotate.core.audit import audit_record
from annotate.core.queueing import send_on_commit
from annotate.goldsets import selectors
from annotate.goldsets.export_builder import (
    SPLIT_DEFAULTS,
    ExportRejected,
    _split,
    export_failed,
    export_ratios,
    file_sha256,
    goldset_split,
    goldset_zip_write,
)
from annotate.goldsets.models import Export, GoldSet
from annotate.goldsets.tasks import export_build as export_build_task

__all__ = [
    "ExportRejected",
    "export_create",
    "export_ratios",
    "export_ratios_parse",
    "file_sha256",
    "goldset_split",
    "goldset_zip_write",
]


log = logging.getLogger(__name__)


def export_ratios_parse(*, text: str) -> dict[str, float]:
    """`train=0.8,val=0.1,test=0.1` as {"train": 0.8, ...}; ExportRejected says what is wrong.
    Names and shares are checked by the splitter (lower-case names, positive, summing to 1)."""
    ratios: dict[str, float] = {}
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not parts:
        raise ExportRejected("Give the split as name=share pairs, e.g. train=0.8,val=0.1,test=0.1.")
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ExportRejected(f"{part!r} is not name=share; write e.g. train=0.8.")
        if name in ratios:
            raise ExportRejected(f"Split {name!r} is given twice.")
        try:
            ratios[name] = float(value)
        except ValueError:
            raise ExportRejected(
                f"The share of {name!r} must be a number, not {value.strip()!r}."
            ) from None
    return ratios


@transaction.atomic
def export_create(
    *,
    gold_set: GoldSet,
    ratios: Mapping[str, float],
    seed: int,
    by,
    with_media: bool = False,
) -> Export:
    """Ask for an export of a frozen version; the zip is built by a cpu worker after commit.
    The split is tried here first, so an impossible one is refused (ExportRejected, with the
    splitter's message) and nothing is stored. with_media: the clips' proxy videos go into
    the zip too (as `export_goldset --with-media`)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ExportRejected(f"The seed must be a whole number, not {seed!r}.")
    items = selectors.goldset_export_items(gold_set=gold_set)
    _split(items=items, ratios=ratios, seed=seed)
    export = Export(
        gold_set=gold_set,
        seed=seed,
        with_media=bool(with_media),
        status=Export.Status.PENDING,
        split_spec={"ratios": dict(ratios), "order": list(ratios), **SPLIT_DEFAULTS},
        created_by=by if getattr(by, "pk", None) else None,
    )
    export.full_clean(exclude=["gold_set", "created_by"])
    export.save()
    audit_record(
        actor=by,
        action="export",
        object_type="export",
        object_id=export.pk,
        before=None,
        after={
            "gold_set": gold_set.pk,
            "version": gold_set.version,
            "split_spec": export.split_spec,
            "seed": seed,
            "with_media": export.with_media,
        },
        project=gold_set.project,
    )
    export_id = export.pk

    def failed(reason: str) -> str:
        export_failed(
            export_id=export_id,
            message=f"The export was not built: {reason}; ask for it again once the queue is back.",
        )
        return (
            "The export was stored but could not be queued (the task queue is "
            "unreachable); it is marked failed. Ask for it again in a few minutes."
        )

    send_on_commit(lambda: export_build_task.delay(export_id), on_unavailable=failed)
    return export
