"""Finnish recruitment rules: a company hiring people, opening jobs, or a job ad ("haemme").

"Työllistää 60 henkeä" (employs) describes a company's size, not a hiring: only new jobs count
("työllistää 50 uutta", "150 uutta työpaikkaa"). Hiring a director is a decision-maker change.
"""

from __future__ import annotations

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers import lexicon_fi as L
from triggerwatch.text.triggers.fi_args import (
    agent,
    first_company,
    headcount,
    located,
    main_stand_in,
    make,
    modifier_of,
    modifies_next_noun,
)
from triggerwatch.text.triggers.fi_operations import public_body
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView
from triggerwatch.text.triggers.gazetteer import words
from triggerwatch.text.triggers.positions import fi_positions

R = EventKind.RECRUITMENT
_QUANTIFIERS = words("uusia uutta lisää kymmeniä satoja tuhansia useita lisätyövoimaa")
_NEW = words("uusia uutta uuden uudet lisää")


def recruitment(view: ClauseView) -> list[Candidate]:
    out: list[Candidate] = []
    if view.has(L.HIRING_FREEZE):
        return out
    count = headcount(view)
    attrs: dict[str, AttrValue] = {"openings": count} if count else {}
    new = any(t.low in _NEW for _, t in view.words())
    jobs_plural = any("plural" in view.tokens[j].flags for j in view.hits(L.JOBS))
    quantity = count is not None or jobs_plural or any(t.low in _QUANTIFIERS for _, t in view.words())
    directors = fi_positions(view.tokens, view.lo, view.hi)
    for i in view.hits(L.HIRE):  # "Reaktor rekrytoi 100 uutta ohjelmistokehittäjää"
        if directors and not view.has(L.JOBS, lo=i + 1):
            continue  # hiring a director: a decision-maker change
        if view.tokens[i].low.startswith("työllist") and not new:
            continue  # "työllistää 60 henkeä": the company's size
        first_person = "person_1p" in view.tokens[i].flags
        company = agent(view, i) or located(view) or (main_stand_in(view, i) if first_person else None)
        if company is None:
            continue
        if view.has(L.JOBS, lo=i + 1) or quantity:
            rule = "hire"
        elif view.sentence.position == "title":
            rule = "hire_bare"  # headline "Supercell rekrytoi"
        else:
            continue
        out.append(make(view, R, rule, i, [Arg(company, "employer")], **attrs))
    for i in view.hits(L.SEEK):  # "Kesko etsii 400 kesätyöntekijää", "X hakee kouluttajaa", "haemme"
        wanted = _wanted(view, i)
        if wanted is None:
            continue
        first_person = "person_1p" in view.tokens[i].flags
        company = agent(view, i) or public_body(view, i) or (main_stand_in(view, i) if first_person else None)
        if company is not None:
            out.append(make(view, R, "seek", i, [Arg(company, "employer")], **attrs))
    for i in view.hits(L.GROW):  # "kaksinkertaistaa Helsingin tiiminsä", "kasvattaa henkilöstöään 50:llä"
        team = next(iter(view.hits(L.TEAM, lo=i + 1, hi=i + 5)), None)
        company = agent(view, i)
        if (
            team is not None
            and company is not None
            and view.tokens[team].cases & {"gen", "nom", "par"}
            and not modifies_next_noun(view, team)
        ):
            out.append(make(view, R, "grow_staff", i, [Arg(company, "employer")], **attrs))
    if count is not None and new and not out:  # "150 uutta työpaikkaa"
        for i, tok in view.words():
            if tok.low.startswith("työpaik"):
                company = agent(view, i) or modifier_of(view, i) or first_company(view) or view.carry
                out.append(
                    make(
                        view, R, "new_jobs", i, [Arg(company or main_stand_in(view, i), "employer")], **attrs
                    )
                )
                break
    return out


def _wanted(view: ClauseView, i: int) -> int | None:
    """The person sought after "hakee"/"etsii": a job noun, a position or an agent noun ("kouluttajaa")
    in the partitive, within a few words (adjectives between)."""
    for j in range(i + 1, min(view.hi, i + 13)):
        tok = view.tokens[j]
        if not tok.word or (tok.capital and not tok.common and j > i + 1):
            continue
        if "par" not in tok.cases or L.SUPPLIER.hit(tok):
            continue  # "etsii toimittajaa": a supplier, a procurement
        if L.JOBS.hit(tok) or fi_positions(view.tokens, j, j + 1):
            return j
        if any(lemma.endswith(("ja", "jä")) and len(lemma) > 5 for lemma in tok.lemmas) and tok.known:
            return j  # an agent noun: kouluttaja, asentaja, myyjä
    return None


RULES = (recruitment,)
