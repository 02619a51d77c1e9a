"""Deleting many rows on every database: Django's delete gathers the rows whose foreign keys it
clears (SET_NULL) into one UPDATE with a parameter per row and per relation, which SQLite
refuses past its variable limit ("too many SQL variables": 32766 by default, 999 before 3.32,
250000 in Debian's build). Here the children of each cascade are deleted first, a batch of ids
at a time, and each batch is small enough that no statement passes the limit, whatever the
size of the clip or project."""

from django.db import connection, models, transaction

# At most this many ids per batch on databases without a parameter limit (PostgreSQL).
DELETE_BATCH_SIZE = 2000


def _batch_size(model: type[models.Model], ids: list) -> int:
    # One parameter per id for the DELETE, and one per id for each relation that points here
    # (the SET_NULL updates Django joins with OR): Django's own sizing for SQLite (999 per
    # statement), the whole list elsewhere.
    fields = ["pk"] * (1 + len(model._meta.related_objects))
    return max(1, min(DELETE_BATCH_SIZE, connection.ops.bulk_batch_size(fields, ids)))


def _cascades(model: type[models.Model]) -> list[models.ForeignObjectRel]:
    return [
        rel
        for rel in model._meta.related_objects
        if rel.on_delete is models.CASCADE and not rel.many_to_many
    ]


def rows_delete(queryset: models.QuerySet) -> int:
    """Delete the queryset's rows and everything that cascades from them, in batches of ids
    (children before parents), in one transaction. Returns how many rows of the queryset's own
    model went."""
    model = queryset.model
    deleted = 0
    with transaction.atomic():
        ids = list(queryset.order_by().values_list("pk", flat=True))
        batch_size = _batch_size(model, ids)
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            for rel in _cascades(model):
                children = rel.related_model._base_manager.filter(
                    **{f"{rel.field.name}__in": batch}
                )
                rows_delete(children)
            _, by_model = model._base_manager.filter(pk__in=batch).delete()
            deleted += by_model.get(model._meta.label, 0)
    return deleted
