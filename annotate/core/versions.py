"""The optimistic-concurrency version bump that every versioned row's update uses."""

from django.db.models import F, IntegerField, Value
from django.db.models.expressions import CombinedExpression

# The integer's type given once: a bare `F("version") + 1` makes Django create an IntegerField
# for it on every update, and creating a model field slows what follows (studio/typecache.py).
_ONE = Value(1, output_field=IntegerField())


def next_version() -> CombinedExpression:
    """`version + 1`, computed by the database in the UPDATE itself."""
    return F("version") + _ONE
