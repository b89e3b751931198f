"""CPV 2008 labels (English, Finnish, Swedish) and prefix matching for offer relevance.

The vocabulary ships as package data (``data/cpv_2008_en_fi_sv.csv.gz``; provenance and
attribution in ``data/README.md``): CPV codes are Regulation (EC) No 213/2008, the labels come from
the eForms SDK translations, © European Union.

A rule's ``relevance.cpv_prefixes`` are written as the significant leading digits (``"72"``,
``"7221"``), optionally with a trailing ``*`` or as a full code whose trailing zeros mean "the whole
division/group/class" (``"72000000"`` = ``"72"``); ``matches_prefix`` accepts every such form.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Literal

Lang = Literal["en", "fi", "sv"]


@cache
def _labels() -> dict[str, tuple[str, str, str]]:
    blob = resources.files("triggerwatch.procurement").joinpath("data/cpv_2008_en_fi_sv.csv.gz").read_bytes()
    text = gzip.decompress(blob).decode("utf-8")
    return {
        row["code"]: (row["label_en"], row["label_fi"], row["label_sv"])
        for row in csv.DictReader(io.StringIO(text))
    }


def normalise_code(code: str) -> str | None:
    """``"72000000-8"``, ``"72000000"``, ``" 72000000 "`` → ``"72000000"``; None when not a CPV code."""
    body = code.strip().split("-", 1)[0]
    return body if len(body) == 8 and body.isdigit() else None


def cpv_label(code: str, lang: str = "en") -> str | None:
    """The label of a CPV code in ``en``, ``fi`` or ``sv`` (English when the language is unknown)."""
    norm = normalise_code(code)
    if norm is None:
        return None
    labels = _labels().get(norm)
    if labels is None:
        return None
    index = {"en": 0, "fi": 1, "sv": 2}.get(lang.lower()[:2], 0)
    return labels[index] or labels[0]


def _prefix(value: str) -> str:
    value = value.strip().split("-", 1)[0].rstrip("*")
    if len(value) == 8 and value.isdigit():
        value = value.rstrip("0")
        return value if len(value) >= 2 else value.ljust(2, "0")
    return value


def matches_prefix(codes: Iterable[str] | str, prefixes: Iterable[str]) -> bool:
    """True when any code (a list, or the comma-separated ``cpv_codes`` attribute) starts with any prefix."""
    if isinstance(codes, str):
        codes = codes.split(",")
    norm = [c for c in (normalise_code(code) for code in codes) if c]
    wanted = [p for p in (_prefix(p) for p in prefixes) if p]
    return any(code.startswith(p) for code in norm for p in wanted)


def describe(code: str | None, lang: str = "en") -> str:
    """``"72000000 IT services: consulting, software development, Internet and support"``."""
    if not code:
        return ""
    label = cpv_label(code, lang)
    return f"{code} {label}" if label else code
