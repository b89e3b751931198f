"""Finnish rules about people: decision-maker changes (appointed and leaving) and recruitment.

An appointment needs a position in the translative (``toimitusjohtajaksi``: the new role) or the
essive after "aloittaa" (``aloittaa toimitusjohtajana``); a departure needs a person or a position
as the subject of a leaving verb (eroaa, jättää tehtävänsä, lähtee Nokiasta, jää eläkkeelle) or the
object of a dismissal. The company is the position's genitive (``Nokian toimitusjohtajaksi``), the
destination (``siirtyy Microsoftille``: appointed) or source (``lähtee Nokiasta``: leaving) of a move,
the appointing agent (``Nokia nimitti``), or else the company the article is about.
"""

from __future__ import annotations

from triggerwatch.core.contracts import EventKind
from triggerwatch.text.triggers import lexicon_fi as L
from triggerwatch.text.triggers.fi_args import DESTINATION, LOCATION, NOM, SOURCE, agent, modifier_of
from triggerwatch.text.triggers.frames import Arg, AttrValue, Candidate, ClauseView
from triggerwatch.text.triggers.gazetteer import PLACES
from triggerwatch.text.triggers.names import Span
from triggerwatch.text.triggers.positions import Position, fi_positions

D = EventKind.DECISION_MAKER_CHANGE
_QUANTIFIERS = frozenset(
    {"uusia", "uutta", "lisää", "kymmeniä", "satoja", "tuhansia", "useita", "lisätyövoimaa"}
)


def _main(view: ClauseView, i: int) -> Span:
    """A stand-in for the company the article is about (resolved by the article)."""
    tok = view.tokens[i]
    return Span("anaphor", i, i + 1, tok.start, tok.end, tok.text, "", NOM)


def _not_place(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s.name.casefold() not in PLACES]


def _person(view: ClauseView, i: int) -> Span | None:
    """The person nearest to token ``i`` in the sentence (one in the clause first)."""
    persons = [s for s in view.all_spans if s.kind == "person"]
    if not persons:
        return None
    inside = [s for s in persons if view.lo <= s.first < view.hi]
    pool = inside or persons
    return min(pool, key=lambda s: abs(s.first - i))


def _subject(
    view: ClauseView, i: int, positions: list[Position]
) -> tuple[Span | None, Position | None, bool]:
    """The person or position that is the subject of the verb at ``i``: (person, position, found)."""
    persons = [s for s in view.persons(hi=i) if s.cases & NOM]
    pos = [p for p in positions if p.index < i and "nom" in p.cases]
    pronoun = any(view.tokens[j].low in ("hän", "he") for j in range(view.lo, i))
    found = bool(persons or pos or pronoun)
    return (persons[-1] if persons else None), (pos[-1] if pos else None), found


def _attrs(
    view: ClauseView, change: str, position: Position | None, person: Span | None
) -> dict[str, AttrValue]:
    attrs: dict[str, AttrValue] = {"change": change, "role": position.role if position else "other"}
    if person is not None:
        attrs["person_name"] = person.name
    return attrs


def _make(view: ClauseView, rule: str, i: int, args: list[Arg], attrs: dict[str, AttrValue]) -> Candidate:
    return Candidate(D, f"{D.value}/{rule}", args, view.sentence, view.clause, i, attrs)


def _task_after(view: ClauseView, position: Position) -> bool:
    """A genitive position before a task noun: "talousjohtajan tehtävään", "toimitusjohtajan paikalle"."""
    nxt = position.index + 1
    return bool(position.cases & {"gen"}) and nxt < view.hi and L.TASK.hit(view.tokens[nxt])


def _of_the_year(view: ClauseView, positions: list[Position]) -> bool:
    return any(p.index > view.lo and view.tokens[p.index - 1].low in ("vuoden", "årets") for p in positions)


def _new_before(view: ClauseView, position: Position) -> bool:
    """A total object position after "uuden": "nimitti uuden talousjohtajan"."""
    before = position.index - 1
    return (
        bool(position.cases & {"gen"})
        and before >= view.lo
        and L.NEW.hit(view.tokens[before])
        and bool(view.tokens[before].cases & {"gen"})
    )


def _company_of(view: ClauseView, position: Position | None, i: int) -> Span:
    if position is not None:
        owner = modifier_of(view, position.index)
        if owner is not None:
            return owner
    return _main(view, i)


def decision_maker(view: ClauseView) -> list[Candidate]:
    positions = fi_positions(view.tokens, view.lo, view.hi)
    sentence_positions = positions or fi_positions(view.tokens, 0, len(view.tokens))
    if view.has(L.AWARD) or _of_the_year(view, positions):
        return []  # "valittiin vuoden kasvujohtajaksi": an award
    if any(L.AGM.hit(t) for t in view.tokens if t.word):
        return []  # the AGM elects (or re-elects) the board: a routine, not a change of management
    new_roles = [
        p for p in positions if p.cases & {"tra", "ill"} or _task_after(view, p) or _new_before(view, p)
    ]
    out: list[Candidate] = []
    # appointed: "nimitettiin Nokian toimitusjohtajaksi", "Nokia nimitti X:n talousjohtajaksi"
    for i in view.hits(L.APPOINT):
        if not new_roles:
            continue
        new_pos = min(new_roles, key=lambda p: abs(p.index - i))
        company = modifier_of(view, new_pos.index) or agent(view, i)
        if company is None:
            dest = _not_place(view.companies(DESTINATION, kinds=("company",)))
            company = dest[0] if dest else _main(view, i)
        person = _person(view, new_pos.index)
        out.append(
            _make(view, "appoint", i, [Arg(company, "appointed")], _attrs(view, "appointed", new_pos, person))
        )
    # moves: "X siirtyy Microsoftille", "lähtee Nokiasta", "siirtyy eläkkeelle"
    for i in view.hits(L.MOVE):
        person, subj_pos, has_subject = _subject(view, i, positions)
        dest = _not_place(view.companies(DESTINATION, lo=i + 1, kinds=("company", "anaphor")))
        source = _not_place(view.companies(SOURCE, kinds=("company",)))
        retire = view.has(L.RETIREMENT, lo=i + 1)
        candidates = [p for p in (*new_roles[:1], subj_pos, *sentence_positions[:1]) if p is not None]
        specific = [p for p in candidates if p.role != "other"]  # the most specific position named
        pos: Position | None = (specific or candidates)[0] if candidates else None
        person = person or _person(view, i)
        if not (has_subject or new_roles):
            continue
        if pos is None:
            pronoun = any(view.tokens[j].low in ("hän", "he") for j in range(view.lo, i))
            if ((person is not None and view.lo <= person.first < i) or pronoun) and (dest or source):
                # a named person moves between companies ("Elop palaa Microsoftille"): weak, no position
                moved = [Arg(dest[0], "appointed")] if dest else []
                moved += [Arg(source[0], "leaving")] if source else []
                change = "appointed" if dest else "leaving"
                out.append(_make(view, "move_norole", i, moved, _attrs(view, change, None, person)))
            continue  # someone moves, but no one with a position
        if retire:
            company = (source[0] if source else None) or _company_of(view, subj_pos, i)
            out.append(
                _make(view, "retire", i, [Arg(company, "leaving")], _attrs(view, "leaving", pos, person))
            )
            continue
        args: list[Arg] = []
        if dest or new_roles:
            to = dest[0] if dest else (modifier_of(view, new_roles[0].index) if new_roles else None)
            args.append(Arg(to or _main(view, i), "appointed"))
        left = source[0] if source else (modifier_of(view, subj_pos.index) if subj_pos else None)
        if left is not None and not any(a.span is left for a in args):
            args.append(Arg(left, "leaving"))
        if args:
            change = "appointed" if args[0].role == "appointed" else "leaving"
            out.append(_make(view, "move", i, args, _attrs(view, change, pos, person)))
    # starts: "aloittaa Nokian toimitusjohtajana"
    for i in view.hits(L.BEGIN):
        acting = [p for p in positions if p.index > i and p.cases & {"ess"}]
        person, _, has_subject = _subject(view, i, positions)
        if not acting or not has_subject:
            continue
        located = view.companies(LOCATION, kinds=("company",))
        company = modifier_of(view, acting[0].index) or (located[0] if located else _main(view, i))
        out.append(
            _make(
                view,
                "begin",
                i,
                [Arg(company, "appointed")],
                _attrs(view, "appointed", acting[0], person or _person(view, i)),
            )
        )
    # rises and returns: "nousee Nokian toimitusjohtajaksi", "ryhtyy vetämään"
    for i in view.hits(L.RISE):
        if not new_roles:
            continue
        person, _, has_subject = _subject(view, i, positions)
        if not has_subject:
            continue
        pos = new_roles[0]
        company = modifier_of(view, pos.index) or _main(view, i)
        out.append(
            _make(
                view,
                "rise",
                i,
                [Arg(company, "appointed")],
                _attrs(view, "appointed", pos, person or _person(view, i)),
            )
        )
    # "Nokian uusi toimitusjohtaja on X", headline "Nokialle uusi toimitusjohtaja"
    for i in view.hits(L.NEW):
        nxt = next((p for p in positions if p.index in (i + 1, i + 2)), None)
        if nxt is None:
            continue
        allative = _not_place(
            [s for s in view.companies(DESTINATION, kinds=("company",)) if s.cases & {"all"}]
        )
        # "uusi toimitusjohtaja on X" (the copula right after the position, or after its holder)
        window = view.tokens[nxt.index + 1 : min(view.hi, nxt.index + 4)]  # within the clause
        after = [t for t in window if t.word and not t.capital]
        copula = "nom" in nxt.cases and bool(after) and after[0].low in ("on", "oli", "tulee", "tuli")
        if not (allative or copula or nxt.cases & {"tra"}):
            continue
        company = modifier_of(view, i) or (allative[0] if allative else _main(view, i))
        out.append(
            _make(
                view,
                "new_role",
                i,
                [Arg(company, "appointed")],
                _attrs(view, "appointed", nxt, _person(view, i)),
            )
        )
    # "Virtanen ei jatka Nokian toimitusjohtajana": a departure said with a negation
    for i, tok in view.words():
        if tok.low not in L.NEGATIONS or i + 1 >= view.hi or not L.CONTINUE.hit(view.tokens[i + 1]):
            continue
        acting = [p for p in positions if p.index > i and p.cases & {"ess"}]
        person, _, has_subject = _subject(view, i, positions)
        if acting and has_subject:
            company = _company_of(view, acting[0], i)
            attrs = _attrs(view, "leaving", acting[0], person or _person(view, i))
            out.append(_make(view, "not_continue", i, [Arg(company, "leaving")], attrs))
    # "Nokian toimitusjohtaja vaihtuu": the position changes hands
    for i in view.hits(L.CHANGE):
        subject = [p for p in positions if p.index < i and "nom" in p.cases]
        if subject:
            company = _company_of(view, subject[-1], i)
            person = _person(view, i)
            out.append(
                _make(
                    view,
                    "changes",
                    i,
                    [Arg(company, "appointed")],
                    _attrs(view, "appointed", subject[-1], person),
                )
            )
    # headline without a verb: "Matti Virtanen Nokian toimitusjohtajaksi"
    verbs = [i for i, t in view.words() if "verb" in t.flags and view.span_at(i) is None]
    if new_roles and not verbs and not out:
        pos = new_roles[0]
        person = _person(view, pos.index)
        if person is not None and view.lo <= person.first < view.hi:
            company = modifier_of(view, pos.index) or _main(view, pos.index)
            out.append(
                _make(
                    view,
                    "verbless",
                    pos.index,
                    [Arg(company, "appointed")],
                    _attrs(view, "appointed", pos, person),
                )
            )
    out += _leaving(view, positions, sentence_positions)
    return out


def _leaving(
    view: ClauseView, positions: list[Position], sentence_positions: list[Position]
) -> list[Candidate]:
    out: list[Candidate] = []
    leave_cues = (
        (L.RESIGN, "resign"),
        (L.QUIT, "quit"),
        (L.LEAVE, "leave"),
        (L.GIVE_UP, "give_up"),
        (L.STAY, "retire"),
    )
    for cue, rule in leave_cues:
        for i in view.hits(cue):
            person, subj_pos, has_subject = _subject(view, i, positions)
            if not has_subject:
                continue
            source = _not_place(view.companies(SOURCE, lo=i + 1, kinds=("company",)))
            task = view.has(L.TASK, lo=i + 1)
            if rule == "quit":
                objects = [
                    s for s in view.companies(frozenset({"gen"}), lo=i + 1) if view.modifies_noun(s) is None
                ]
                if not (task or objects):
                    continue
                source = source or [s for s in objects if s.kind == "company"]
            elif (
                (rule == "leave" and not (source or task))
                or (rule == "give_up" and not (task or view.tokens[i].low.startswith("väisty")))
                or (rule == "retire" and not view.has(L.RETIREMENT, lo=i + 1))
                or (rule == "resign" and not (task or source or subj_pos or person))
            ):
                continue
            pos = (
                subj_pos
                or (positions[0] if positions else None)
                or (sentence_positions[0] if sentence_positions else None)
            )
            if pos is None and not (person and source):
                continue  # a person leaves a company: a decision-maker only with a position
            company = source[0] if source else _company_of(view, subj_pos or pos, i)
            name = rule if pos is not None else f"{rule}_norole"
            out.append(
                _make(
                    view,
                    name,
                    i,
                    [Arg(company, "leaving")],
                    _attrs(view, "leaving", pos, person or _person(view, i)),
                )
            )
    for i in view.hits(L.DISMISS):
        if "passive" in view.tokens[i].flags:  # "Lakeuden Lämmön toimitusjohtaja irtisanottiin"
            subject = [p for p in positions if p.index < i and "nom" in p.cases]
            if subject:
                company = _company_of(view, subject[-1], i)
                attrs = _attrs(view, "leaving", subject[-1], _person(view, i))
                out.append(_make(view, "dismissed", i, [Arg(company, "leaving")], attrs))
            continue
        fired = [p for p in positions if p.index > i] or None
        person = next(iter(view.persons(lo=i + 1)), None)
        if view.tokens[i].low.startswith("potku"):
            p, subj_pos, has_subject = _subject(view, i, positions)
            if has_subject and (subj_pos or sentence_positions):
                pos = subj_pos or sentence_positions[0]
                out.append(
                    _make(
                        view,
                        "dismissed",
                        i,
                        [Arg(_company_of(view, pos, i), "leaving")],
                        _attrs(view, "leaving", pos, p or _person(view, i)),
                    )
                )
            continue
        boss = agent(view, i)
        if boss is None or not (fired or person):
            continue
        pos = fired[0] if fired else (sentence_positions[0] if sentence_positions else None)
        if pos is None:
            continue
        out.append(
            _make(
                view,
                "dismiss",
                i,
                [Arg(boss, "leaving")],
                _attrs(view, "leaving", pos, person or _person(view, i)),
            )
        )
    return out


RULES = (decision_maker,)
