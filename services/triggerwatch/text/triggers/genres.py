"""Whole-document genres that are triggers by what they are: a job ad (recruitment) and a
procurement notice (procurement_open).

A job ad is recognised by the furniture of job ads — an application deadline, the kind of
employment, "we offer", "apply" — at least two distinct marks; its employer is the company named in
the title (job boards write "Job title, Employer Oy, Place"), else the first company of the text. A
procurement notice by its field label for the buyer ("Hankintayksikkö:", "Contracting authority:").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triggerwatch.core.contracts import EventKind

_JOB_MARKS = re.compile(
    r"\b(?:haku päättyy|hakuaika|kokoaikatyö|osa-aikatyö|vakituinen työsuhde|määräaikainen työsuhde|"
    r"työsuhteen kesto|lähetä hakemuksesi|hae viimeistään|hae paikkaa|edellytämme|odotamme sinulta|"
    r"tarjoamme sinulle|tehtävässäsi|tehtävään valitulta|tehtävään valittavalta|arbetsplatser|"
    r"sista ansökningsdag|skicka din ansökan|vi erbjuder|heltid|deltid|tillsvidareanställning|"
    r"application deadline|apply (?:now|by|online)|how to apply|we offer|full-time|part-time|"
    r"join our team|your responsibilities|requirements|kesto:|työaika:|arbetstid:)",
    re.IGNORECASE,
)
_BUYER_LABEL = re.compile(
    r"^\s*(?:hankintayksikkö|hankintayksikön nimi|tilaaja|upphandlande (?:enhet|myndighet)|"
    r"contracting (?:authority|entity)|buyer)\s*:\s*(?P<buyer>[^\n]{2,120})$",
    re.IGNORECASE | re.MULTILINE,
)
_LEGAL = re.compile(r"\b(?:Oy|Oyj|Ab|Abp|Ky|r\.?f\.?|ry|AB|Ltd|Inc)\b")


@dataclass(frozen=True)
class GenreHit:
    kind: EventKind
    rule: str
    company: str | None
    role: str
    evidence: str


_OPENINGS_IN_TITLE = re.compile(r"\b\d+ (?:arbetsplatser|openings|vacancies)\b", re.I)


def job_ad(title: str, body: str) -> GenreHit | None:
    marks = {m.group(0).casefold() for m in _JOB_MARKS.finditer(f"{title}\n{body}")}
    if len(marks) < 2 and not _OPENINGS_IN_TITLE.search(title):
        return None
    employer = None
    parts = [p.strip() for p in title.split(",")]
    for part in parts[1:]:
        if _LEGAL.search(part) or (part[:1].isupper() and len(parts) >= 3 and part is parts[1]):
            employer = part
            break
    evidence = title or body.strip().split("\n", 1)[0]
    return GenreHit(EventKind.RECRUITMENT, "recruitment/job_ad", employer, "employer", evidence[:300])


def procurement_notice(title: str, body: str) -> GenreHit | None:
    found = _BUYER_LABEL.search(body)
    if found is None:
        return None
    buyer = found.group("buyer").strip().rstrip(",.;")
    return GenreHit(
        EventKind.PROCUREMENT_OPEN, "procurement_open/notice", buyer, "buyer", (title or buyer)[:300]
    )
