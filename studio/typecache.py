"""No model field created while a request runs, against a slowdown of CPython's type caches.

Django counts the model fields it creates on the class: `Field.__init__` runs
`Field.creation_counter += 1`. On CPython, setting an attribute of a class invalidates the
attribute caches of that class and of every subclass (`PyType_Modified`): here every model
field class the studio uses. Afterwards each attribute looked up on a field (Django reads many
in building a query) is found again through the class hierarchy, and the specialised bytecode
that read it falls back to the slow path until it is specialised again. An instruction count
hides this: valgrind counted fewer instructions for a cue save of the capability layout than
of the layer layout, while the save took more time (bench/RESULTS.md).

A request created such fields in two places:
- each join of a query on a foreign key to an automatic primary key: PostgreSQL's
  `prepare_join_on_clause` compares the two columns' types, and `AutoField.rel_db_type`
  answers with `IntegerField().db_type(connection)` (BigAutoField and SmallAutoField alike), a
  new field each time. A cue save's query joins four tables.
- an integer added in an expression, `F("version") + 1`: `Value(1)` gets a new IntegerField as
  its type. The studio's version bumps use `next_version()` instead, whose integer has its
  type given once (annotate/core/versions.py).

`install()` makes the automatic keys' `rel_db_type` answer from one field of each kind,
created here once: the same type name for every connection, since an integer field's
`db_type` depends only on the connection. Measured with bench/compare.py --lockstep (4 pairs
of processes, 30 rounds of 10 requests of a kind): with no field created per request, a cue
save took 0.977x and the timeline page 0.994x of the time they took with five.
"""

from __future__ import annotations

from django.db.models import fields

_INTEGER = {
    fields.AutoField: fields.IntegerField(),
    fields.BigAutoField: fields.BigIntegerField(),
    fields.SmallAutoField: fields.SmallIntegerField(),
}


def _rel_db_type_of(kind: type[fields.Field]):
    integer = _INTEGER[kind]

    def rel_db_type(self, connection):
        """The column type of a foreign key to this key, from the one field of its kind."""
        return integer.db_type(connection=connection)

    return rel_db_type


def install() -> None:
    """Called once, by the annotate app's ready(); calling it again changes nothing."""
    for kind in _INTEGER:
        kind.rel_db_type = _rel_db_type_of(kind)
