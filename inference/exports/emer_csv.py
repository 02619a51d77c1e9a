"""EMER / MER2024-2025 style CSV: ``name,english,openset,primary``.

``english`` is the reasoning description (EMER's column), ``openset`` the open-vocabulary
labels as a Python-list string (MER2024/2025), ``primary`` the primary emotion. Cells are
written as they are: a description that begins with "=" stays as typed, because this file
is research data read by pandas and csv, and changing it would change the benchmark.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from .clips import ExportClip

COLUMNS = ("name", "english", "openset", "primary")


def emer_csv(clips: Sequence[ExportClip]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for clip in clips:
        writer.writerow([clip.name, clip.description, repr(list(clip.labels)), clip.primary_label])
    return buffer.getvalue().encode("utf-8")
