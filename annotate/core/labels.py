"""Emotion labels as annotations and gold records keep them: trimmed, lower-case, distinct, and
taken from the project's emotion vocabulary unless the project allows free labels."""

from annotate.core.errors import DomainError
from annotate.core.limits import limit_check
from annotate.core.models import Project

LABEL_MAX_CHARS = 64


class LabelRejected(DomainError):
    """A label outside the project's vocabulary (400: the field is named)."""

    code = "invalid"
    status = 400


def label_clean(label: str) -> str:
    return " ".join(str(label).split()).lower()[:LABEL_MAX_CHARS]


def labels_clean(labels: list[str]) -> list[str]:
    """Trimmed, lower-case, without blanks and repeats, in the order given."""
    cleaned: list[str] = []
    for label in labels:
        label = label_clean(label)
        if label and label not in cleaned:
            cleaned.append(label)
    return cleaned


def labels_check(*, project: Project, labels: list[str] | None, primary_label: str | None) -> None:
    """Refuse more labels than EMOCUE_MAX_LABELS, and, unless the project allows free labels,
    a label or primary label outside its emotion vocabulary (both already cleaned)."""
    if labels is not None:
        limit_check(
            setting="EMOCUE_MAX_LABELS",
            what="The label list",
            count=len(labels),
            unit="labels",
        )
    if project.free_labels:
        return
    vocabulary = [str(word) for word in project.emotion_vocabulary or []]
    known = {label_clean(word) for word in vocabulary}
    for field, values in (("labels", labels or []), ("primary_label", [primary_label or ""])):
        for label in values:
            if label and label not in known:
                raise LabelRejected(
                    f"the label {label!r} is not in the project's emotion vocabulary "
                    f"({', '.join(vocabulary) or 'empty'}). Choose one of those, or ask a "
                    "manager to add it to the vocabulary or to allow free labels.",
                    field=field,
                )
