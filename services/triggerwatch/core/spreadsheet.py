"""Spreadsheet safety: text that a spreadsheet would run as a formula is neutralised.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by
Excel, LibreOffice and Google Sheets as a formula ("CSV injection": ``=HYPERLINK(…)``,
``=cmd|' /C calc'!A0``). Source text (job titles, news headlines, company names) is untrusted, so
every text cell of an export goes through :func:`neutralise`, which prefixes such text with an
apostrophe, the spreadsheets' own "this is text" mark. Used by ``triggerwatch export`` (CSV, xlsx)
and the web's ``triggers.csv``.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with an apostrophe in front when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: Any) -> Any:
    """A cell value for CSV or xlsx: text neutralised (:func:`neutralise`), anything else as it is."""
    return neutralise(value) if isinstance(value, str) else value
