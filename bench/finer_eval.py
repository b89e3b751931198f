"""ORG-to-company linking precision and recall on the FiNER Digitoday articles (and their triggers).

    python -m bench.finer_eval            # prints P/R and every error

The articles (``digitoday2014_*.txt`` + brat ``.ann``, CC BY-NC-ND 3.0) are read in place from
``$TRIGGERWATCH_FINER_DIR``, ``/work/shared/samples/feeds/ner_finer`` or ``../shared/samples/...``
next to the repository, never copied; :func:`evaluate` returns None when they are absent.

How ORG annotations become company ids (the gold standard):
- :data:`COMPANIES` lists, by hand, the companies the articles' ORG annotations name, as a registry
  would list them (legal names with legal forms, plus registered auxiliary/short names as aliases).
  Each annotation is mapped to the company whose name or alias (normalised) starts its text, on a
  word boundary, the longest first ("Nokian hallitus" → nokia, "NSN:n" → nsn, "Sunin" → sun).
- ORG annotations that are not companies — business units ("Here-liiketoiminnan", "Networks-
  liiketoiminnan", "Global Services -yksiköt"), a blog and a website (:data:`NOT_COMPANIES`) — get
  no id: they do not count towards recall, and a link inside one counts as a false positive.
- The index holds :data:`COMPANIES` plus :func:`distractors` (several thousand generated realistic
  Finnish names: surname/place + trade + legal form, invented brands, common-word names such as
  "Kone Oyj" and "Maailma Oy", and real companies like "Nokian Renkaat Oyj").
- A linked mention is a true positive when it overlaps a gold annotation of the same company (each
  annotation matches once); every other linked mention is a false positive.
"""

from __future__ import annotations

import os
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from triggerwatch.text.classify import classify
from triggerwatch.text.linker import CompanyLinker, Mention
from triggerwatch.text.normalise import normalise_name

COMPANIES: list[tuple[str, str]] = [
    ("ericsson", "Telefonaktiebolaget LM Ericsson"),
    ("ericsson", "Ericsson AB"),
    ("microsoft", "Microsoft Corporation"),
    ("bloomberg", "Bloomberg LP"),
    ("nokia", "Nokia Oyj"),
    ("ford", "Ford Motor Company"),
    ("ford", "Ford"),
    ("mozilla", "Mozilla Corporation"),
    ("mozilla", "Mozilla"),
    ("greylock", "Greylock Partners LLC"),
    ("greylock", "Greylock"),
    ("schildts", "Schildts & Söderströms Ab"),
    ("sun", "Sun Microsystems Inc."),
    ("sun", "Sun"),
    ("morgan-stanley", "Morgan Stanley"),
    ("nsn", "Nokia Solutions and Networks Oy"),
    ("nsn", "NSN"),
]
NOT_COMPANIES = ("here", "technologies", "networks", "global services", "mozilla blogi", "sfgate")

_SURNAMES = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Heikkilä",
    "Kinnunen",
    "Salonen",
    "Turunen",
    "Salo",
    "Laitinen",
    "Tuominen",
    "Rantanen",
    "Karjalainen",
    "Jokinen",
    "Mattila",
    "Savolainen",
    "Lahtinen",
    "Ahonen",
    "Hiltunen",
    "Leinonen",
    "Hirvonen",
    "Pitkänen",
]
_PLACES = [
    "Helsingin",
    "Espoon",
    "Tampereen",
    "Vantaan",
    "Oulun",
    "Turun",
    "Jyväskylän",
    "Lahden",
    "Kuopion",
    "Porin",
    "Kouvolan",
    "Joensuun",
    "Lappeenrannan",
    "Hämeenlinnan",
    "Vaasan",
    "Seinäjoen",
    "Rovaniemen",
    "Mikkelin",
    "Kotkan",
    "Salon",
    "Porvoon",
    "Kokkolan",
    "Laihian",
]
_TRADES = [
    "Rakennus",
    "Kuljetus",
    "Tilipalvelu",
    "Kiinteistöhuolto",
    "Sähkö",
    "LVI",
    "Maalaus",
    "Metalli",
    "Puutyö",
    "Konepaja",
    "Siivous",
    "Autokorjaamo",
    "Kauneushoitola",
    "Ravintola",
    "Lakiasiaintoimisto",
    "Hammaslääkäri",
    "Insinööritoimisto",
    "Arkkitehdit",
    "Tilitoimisto",
    "Logistiikka",
    "Teknologia",
    "Ohjelmistot",
    "Konsultointi",
    "Media",
    "Kehitys",
    "Energia",
    "Vesihuolto",
    "Puutarha",
]
_FORMS = ("Oy", "Oy", "Oy", "Ky", "Ay", "Oyj", "Ab", "Tmi")
_SYLLABLES = [
    "ka",
    "ko",
    "ta",
    "to",
    "va",
    "vi",
    "ra",
    "ri",
    "li",
    "lo",
    "me",
    "mi",
    "no",
    "ne",
    "sa",
    "so",
    "te",
    "ti",
    "pu",
    "pa",
    "ja",
    "jo",
    "la",
    "lu",
    "mo",
    "ve",
]
_COMMON_WORD_NAMES = (
    "Kone Oyj",
    "Neste Oyj",
    "Elisa Oyj",
    "Posti Group Oyj",
    "Tieto Oyj",
    "Maailma Oy",
    "Kärki Oy",
    "Tähti Oy",
    "Lähde Oy",
    "Huomen Oy",
    "Aalto Oy",
    "Uutinen Oy",
    "Valo Oy",
    "Nokian Renkaat Oyj",
    "Nokian Panimo Oy",
    "Hans Oy",
    "Stephen Oy",
)


def distractors(n: int, seed: int = 5) -> list[tuple[str, str]]:
    """``n`` generated realistic Finnish company names (deterministic)."""
    rnd = random.Random(seed)
    rows = [(f"d-common-{i}", name) for i, name in enumerate(_COMMON_WORD_NAMES)]
    seen = {normalise_name(name) for _, name in rows}
    i = 0
    while len(rows) < n:
        i += 1
        pattern = rnd.randrange(5)
        if pattern == 0:
            name = f"{rnd.choice(_SURNAMES)} {rnd.choice(_TRADES)} {rnd.choice(_FORMS)}"
        elif pattern == 1:
            name = f"{rnd.choice(_PLACES)} {rnd.choice(_TRADES)} {rnd.choice(_FORMS)}"
        elif pattern == 2:
            brand = "".join(rnd.choice(_SYLLABLES) for _ in range(rnd.randint(2, 4))).capitalize()
            name = f"{brand} {rnd.choice(_FORMS)}"
        elif pattern == 3:
            name = f"{rnd.choice(_TRADES)} {rnd.choice(_SURNAMES)} {rnd.choice(_FORMS)}"
        else:
            brand = "".join(rnd.choice(_SYLLABLES) for _ in range(rnd.randint(2, 3))).capitalize()
            name = f"{brand} {rnd.choice(('Nordic', 'Group', 'Solutions', 'Finland', 'Systems'))} Oy"
        key = normalise_name(name)
        if key in seen:
            continue
        seen.add(key)
        rows.append((f"d-{i}", name))
    return rows


def finer_dir() -> Path | None:
    candidates = [
        os.environ.get("TRIGGERWATCH_FINER_DIR"),
        "/work/shared/samples/feeds/ner_finer",
        str(Path(__file__).resolve().parents[2] / "shared/samples/feeds/ner_finer"),
        str(Path(__file__).resolve().parents[1] / "../shared/samples/feeds/ner_finer"),
    ]
    for c in candidates:
        if c and Path(c).is_dir() and list(Path(c).glob("*.ann")):
            return Path(c)
    return None


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    text: str
    company_id: str | None


def read_org_annotations(path: Path) -> list[tuple[int, int, str]]:
    """ORG text-bound annotations of a brat standoff file: (start, end, text)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0].startswith("T"):
            continue
        label, *spans = re.split(r"[ ;]", parts[1])
        if label != "ORG":
            continue
        numbers = [int(x) for x in spans]
        out.append((numbers[0], numbers[-1], parts[2]))
    return out


def company_of(annotation: str) -> str | None:
    """The gold company id of an ORG annotation's text (see the module docstring)."""
    folded = " ".join(re.sub(r"[^\w&]+", " ", annotation.casefold()).split())
    if any(folded.startswith(n) for n in NOT_COMPANIES):
        return None
    best: tuple[int, str] | None = None
    for company_id, name in COMPANIES:
        key = normalise_name(name)
        if folded.startswith(key) and (best is None or len(key) > best[0]):
            best = (len(key), company_id)
    return best[1] if best else None


@dataclass
class Result:
    tp: int = 0
    fp: int = 0
    gold: int = 0
    errors: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0


def score(name: str, text: str, gold: list[Gold], mentions: list[Mention], result: Result) -> None:
    wanted = [g for g in gold if g.company_id]
    result.gold += len(wanted)
    used: set[int] = set()
    for m in mentions:
        match = next(
            (
                i
                for i, g in enumerate(wanted)
                if i not in used and g.company_id == m.company_id and m.start < g.end and g.start < m.end
            ),
            None,
        )
        if match is None:
            result.fp += 1
            result.errors.append(f"{name}: FP {m.surface!r}@{m.start} → {m.company_id}")
        else:
            used.add(match)
            result.tp += 1
    for i, g in enumerate(wanted):
        if i not in used:
            result.errors.append(f"{name}: FN {g.text!r}@{g.start} ({g.company_id})")


def evaluate(n_distractors: int = 5000, directory: Path | None = None) -> Result | None:
    directory = directory or finer_dir()
    if directory is None:
        return None
    linker = CompanyLinker.from_names(COMPANIES + distractors(n_distractors))
    result = Result()
    for ann in sorted(directory.glob("*.ann")):
        txt = ann.with_suffix(".txt")
        if not txt.exists():
            continue
        text = txt.read_text(encoding="utf-8")
        gold = [Gold(s, e, t, company_of(t)) for s, e, t in read_org_annotations(ann)]
        for g in gold:  # the offsets must address the text as read
            assert text[g.start : g.end] == g.text, (ann.name, g)
        score(ann.stem, text, gold, linker.link(text), result)
        title, _, body = text.partition("\n")
        found = classify(title, body, "fi")
        result.triggers.append(
            f"{ann.stem}: {found.kind.value if found else 'news'} {dict(found.attributes) if found else ''}"
        )
    return result


def main() -> int:
    result = evaluate(int(os.environ.get("TRIGGERWATCH_FINER_DISTRACTORS", "5000")))
    if result is None:
        print("FiNER articles not found: skipped")
        return 0
    for line in result.errors:
        print(line)
    for line in result.triggers:
        print(line)
    print(f"ORG linking: precision {result.precision:.3f} recall {result.recall:.3f} ", end="")
    print(f"(tp {result.tp}, fp {result.fp}, gold {result.gold})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
