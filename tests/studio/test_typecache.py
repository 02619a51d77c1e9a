"""studio.typecache: a foreign key's column type comes from one field per kind of automatic
key, the same type Django's own rel_db_type gives, and compiling a join creates no field."""

import pytest
from django.db import connection
from django.db.models import Field, fields

from annotate.runs.models import Cue
from studio import typecache

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("key", "integer"),
    [
        (fields.AutoField, fields.IntegerField),
        (fields.BigAutoField, fields.BigIntegerField),
        (fields.SmallAutoField, fields.SmallIntegerField),
    ],
)
def test_the_column_type_of_a_foreign_key_is_unchanged(key, integer):
    expected = integer().db_type(connection=connection)  # what Django's own method returns
    assert key(primary_key=True).rel_db_type(connection) == expected
    assert key.rel_db_type.__module__ == "studio.typecache"  # installed by the app's ready()


def test_compiling_joins_creates_no_field():
    query = Cue.objects.filter(
        annotation__clip__project__slug="p", annotation__annotator__username="u"
    ).select_related("annotation__clip__project")
    counters = (Field.creation_counter, Field.auto_creation_counter)
    sql, _ = query.query.get_compiler(connection=connection).as_sql()
    assert sql.count("JOIN") == 4
    assert (Field.creation_counter, Field.auto_creation_counter) == counters


def test_install_twice_changes_nothing():
    before = fields.BigAutoField.rel_db_type(fields.BigAutoField(primary_key=True), connection)
    typecache.install()
    after = fields.BigAutoField.rel_db_type(fields.BigAutoField(primary_key=True), connection)
    assert before == after
