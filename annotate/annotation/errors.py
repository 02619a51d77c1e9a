"""The refusals of annotation writes: every one names what to do, and a stale write names the
version that is current now."""

from annotate.annotation.models import Annotation
from annotate.core.errors import DomainError


class AnnotationRejected(DomainError):
    """A refused write of an annotation, a cue or a gold record: the object's state does not
    allow it (409), or, with `field`, one input is at fault (400)."""

    status = 409


class StaleWrite(AnnotationRejected):
    """The object changed since the client read it (another tab, another person)."""

    def __init__(self, what: str, *, current_version: int | None):
        super().__init__(
            f"{what} was changed elsewhere since you loaded it (now version "
            f"{current_version}); reload to see the current state, then redo your change.",
            code="stale",
        )
        self.current_version = current_version


class ReservationLost(AnnotationRejected):
    """The draft's lease expired (or a manager moved the slot) and no slot of the clip is free."""

    def __init__(self, annotation: Annotation):
        clip = annotation.clip
        super().__init__(
            f"Your reservation of clip {clip.name} expired and the slot went to another "
            f"annotator; all {clip.project.annotators_per_clip} slot(s) of this clip are taken "
            "now. Your draft is kept as it was, but it can no longer be changed: take the next "
            "clip with "
            "“Start annotating” on the project page.",
            code="lease_lost",
        )
