"""CSV cells that a spreadsheet shows as text, never runs as a formula (OWASP "CSV injection").

Every CSV the studio writes passes each cell through :func:`csv_cell`, and every CSV it reads
back passes each cell through :func:`csv_cell_text`, so the text survives the round trip.

The rule, for a cell written as text:

- a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets one
  apostrophe in front (``=1+1`` is written ``'=1+1``): Excel, LibreOffice and Google Sheets
  then show it as text;
- a cell that already begins with one or more apostrophes followed by one of those characters
  gets one more (``'=1+1`` is written ``''=1+1``), so that the rule can be undone exactly;
- a cell that is a plain number (``-0.5``, ``+3``, ``-1e-3``) is written as it is: a
  spreadsheet reads it as that number and runs nothing, and an apostrophe would turn a
  column of negative numbers into text;
- every other cell is written as it is.

To get the exact text back (pandas, ``csv``, another tool): when a cell begins with an
apostrophe and, after its leading apostrophes, with one of ``= + - @``, tab or carriage
return, drop its first character. That is :func:`csv_cell_text`.

Example:
    >>> csv_cell("=1+1"), csv_cell("-0.5"), csv_cell("'=x"), csv_cell("it's")
    ("'=1+1", '-0.5', "''=x", "it's")
    >>> csv_cell_text("'=1+1"), csv_cell_text("''=x"), csv_cell_text("'tis")
    ('=1+1', "'=x", "'tis")
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

__all__ = ["FORMULA_STARTS", "csv_cell", "csv_cell_text", "csv_row", "csv_row_text"]


def _looks_escaped(text: str) -> bool:
    return text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> str:
    """The cell as written to a CSV file: text a spreadsheet will not run as a formula.

    Args:
        value: a string, a number (int or float, written with ``str``) or None (an empty cell).

    Returns:
        The text to hand to ``csv.writer``; see the module's rule.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return str(value)  # a number stays a number, negative or not
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    if _looks_escaped(text):
        return "'" + text
    return text


def csv_cell_text(cell: str) -> str:
    """The exact text of a cell :func:`csv_cell` wrote (the apostrophe it added taken off)."""
    return cell[1:] if _looks_escaped(cell) else cell


def csv_row(values: Iterable[Any]) -> list[str]:
    """:func:`csv_cell` of every value of a row."""
    return [csv_cell(value) for value in values]


def csv_row_text(cells: Iterable[str]) -> list[str]:
    """:func:`csv_cell_text` of every cell of a row read back."""
    return [csv_cell_text(cell) for cell in cells]
