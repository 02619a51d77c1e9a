"""EMER / MER2024-2025 style CSV: ``name,english,openset,primary``.

``english`` is the reasoning description (EMER's column), ``openset`` the open-vocabulary
labels as a Python-list string (MER2024/2025), ``primary`` the primary emotion.

Every cell goes through :func:`inference.csv_cells.csv_cell`: a cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (or with apostrophes and then one of those) is
written with one apostrophe in front, so that a spreadsheet shows it as text instead of
running it as a formula. :func:`inference.csv_cells.csv_cell_text` gives the exact text back
(the datasheet says how, for readers without this package).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from inference.csv_cells import csv_row

from .clips import ExportClip

COLUMNS = ("name", "english", "openset", "primary")


def emer_csv(clips: Sequence[ExportClip]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for clip in clips:
        writer.writerow(
            csv_row([clip.name, clip.description, repr(list(clip.labels)), clip.primary_label])
        )
    return buffer.getvalue().encode("utf-8")
