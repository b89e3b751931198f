"""Finnish rules for the other side of a decision-maker change: the predecessor who leaves and the
company a newcomer comes from.

An appointment release names the new holder in its title and, in the body, who leaves: "Heikkilä
seuraa Timo Lehtosta" / "nimitettiin Lehtosen seuraajaksi" (the predecessor leaves the company),
"on siirtynyt yhtiön ulkopuolelle" (leaves), "on työskennellyt viimeksi Atlas Copcon talousjohtajana"
(the company the newcomer leaves). Most of these only complete a trigger found elsewhere in the
article (``Candidate.support``): "X seuraa Y:tä" alone is not news of a change.
"""

from __future__ import annotations

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers import lexicon_fi as L
from triggerwatch.text.triggers.fi_args import LOCATION, NOM, main_stand_in, modifier_of
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView
from triggerwatch.text.triggers.names import Span
from triggerwatch.text.triggers.positions import Position, fi_positions

D = EventKind.DECISION_MAKER_CHANGE
_OUTSIDE = ("ulkopuolelle", "ulkopuolella")


def _candidate(
    view: ClauseView, rule: str, i: int, args: list[Arg], position: Position | None, support: bool
) -> Candidate:
    attrs: dict[str, AttrValue] = {"change": "leaving", "role": position.role if position else "other"}
    persons = [s for s in view.all_spans if s.kind == "person"]
    if persons:
        attrs["person_name"] = min(persons, key=lambda s: abs(s.first - i)).name
    return Candidate(D, f"{D.value}/{rule}", args, view.sentence, view.clause, i, attrs, support=support)


def _holder(view: ClauseView, i: int, positions: list[Position]) -> bool:
    """Someone is the subject before ``i``: a person, a position, "hän", or the person a relative
    clause follows ("..., joka jää eläkkeelle")."""
    if view.persons(hi=i) or any(p.index < i and "nom" in p.cases for p in positions):
        return True
    if any(view.tokens[j].low in ("hän", "he") for j in range(view.lo, i)):
        return True
    return view.clause.opener in ("joka", "jotka") and any(
        s.kind == "person" and s.last <= view.lo for s in view.all_spans
    )


def _company(view: ClauseView, positions: list[Position], i: int) -> Span:
    for p in positions:
        owner = modifier_of(view, p.index)
        if owner is not None:
            return owner
    return main_stand_in(view, i)


def succession(view: ClauseView) -> list[Candidate]:
    if not (view.has(L.FOLLOW) or view.has(L.SUCCESSOR) or view.has(L.MOVE) or view.has(L.WORK_AS)):
        return []
    positions = fi_positions(view.tokens, view.lo, view.hi)
    sentence_positions = positions or fi_positions(view.tokens, 0, len(view.tokens))
    first = sentence_positions[0] if sentence_positions else None
    out: list[Candidate] = []
    # "Heikkilä seuraa Timo Lehtosta": the predecessor leaves
    for i in view.hits(L.FOLLOW):
        after = [s for s in view.persons(lo=i + 1, hi=i + 4) if s.cases & {"par", "ela"}]
        if after and _holder(view, i, positions):
            company = _company(view, sentence_positions, i)
            out.append(_candidate(view, "succeed", i, [Arg(company, "leaving")], first, True))
    # "nimitettiin Lehtosen seuraajaksi"
    for i in view.hits(L.SUCCESSOR):
        if view.tokens[i].cases & {"tra", "ess"}:
            company = _company(view, sentence_positions, i)
            out.append(_candidate(view, "successor", i, [Arg(company, "leaving")], first, True))
    # "Affecton nykyinen talousjohtaja on siirtynyt yhtiön ulkopuolelle": leaving
    for i in view.hits(L.MOVE):
        outside = next((j for j in range(i + 1, view.hi) if view.tokens[j].low in _OUTSIDE), None)
        if outside is not None and _holder(view, i, positions) and first is not None:
            owner = modifier_of(view, outside)
            if owner is None or owner.kind == "anaphor":
                owner = _company(view, [p for p in positions if p.index < i], i)
            out.append(_candidate(view, "move_out", i, [Arg(owner, "leaving")], first, False))
    # "on työskennellyt viimeksi Atlas Copcon talousjohtajana", "on toiminut Fujitsussa": the
    # newcomer's previous company
    for i in view.hits(L.WORK_AS):
        if not _holder(view, i, positions):
            continue
        acting = [p for p in positions if p.index > i and p.cases & {"ess"}]
        owner = modifier_of(view, acting[0].index) if acting else None
        located = [s for s in view.companies(LOCATION, lo=i + 1, kinds=("company",)) if s.cases & LOCATION]
        previous = owner if owner is not None and owner.kind == "company" else next(iter(located), None)
        if previous is not None and previous.cases != NOM:
            out.append(_candidate(view, "previous_job", i, [Arg(previous, "leaving")], first, True))
    return out


RULES = (succession,)
