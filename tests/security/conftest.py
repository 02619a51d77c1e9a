# The project, its members and three ingested clips, as the capability tests build them.
from tests.annotate.conftest import annotator, manager, project, ready_clips  # noqa: F401
