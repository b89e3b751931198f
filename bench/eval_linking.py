"""Company-linking precision and recall on the labelled linking set (tests/eval/linking/).

    python -m bench.eval_linking              # dev and held-out parts, linker next to the baselines
    python -m bench.eval_linking --dev-only   # the dev part only (tuning: never look at held-out)
    python -m bench.eval_linking --errors     # also every error on the dev part

Three linkers on the same documents and the same index (companies + distractors):

- ``linker``: :class:`triggerwatch.text.linker.CompanyLinker` as it is in this tree;
- ``before``: the linker as it was before issue 17 (commit :data:`BEFORE_REV`), run from a
  ``git archive`` of that commit in a subprocess; skipped when git or the commit is not there;
- ``prefix``: the naive baseline — a case-sensitive prefix match of the index names (legal forms
  stripped) at word starts, longest first, to the first company that has the name.

Scoring: a linked mention is a true positive when it overlaps a gold mention of the same company
(each gold mention matches once); any other linked mention is a false positive, counted against the
category of the annotation it overlaps (a non-company look-alike, or a gold mention of another
company) or "unannotated". Recall per category of gold mention; precision per category of linked
mention (the category of the gold or look-alike annotation it overlaps).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "eval" / "linking"
#: the commit before issue 17's changes to the linker
BEFORE_REV = "3e6bd80"

Span = tuple[int, int, str]  # (start, end, company id)


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    company_id: str | None  # None: a non-company look-alike
    category: str


@dataclass(frozen=True)
class Doc:
    doc_id: str
    text: str
    gold: tuple[Gold, ...]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    gold: int = 0
    recall_by: Counter[str] = field(default_factory=Counter)  # category → matched gold mentions
    gold_by: Counter[str] = field(default_factory=Counter)  # category → gold mentions
    fp_by: Counter[str] = field(default_factory=Counter)  # category → false positives
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "gold": self.gold,
            "recall_by": dict(self.recall_by),
            "gold_by": dict(self.gold_by),
            "fp_by": dict(self.fp_by),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Score:
        s = cls(int(d["tp"]), int(d["fp"]), int(d["gold"]))
        s.recall_by.update(d["recall_by"])
        s.gold_by.update(d["gold_by"])
        s.fp_by.update(d["fp_by"])
        return s


# --- data -----------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass(frozen=True)
class Entry:
    """One company of the index: its key, legal name, further names and former names."""

    key: str
    name: str
    business_id: str | None
    auxiliary: tuple[str, ...]
    former: tuple[tuple[str, str | None], ...]  # (name, until)


def index(data: Path = DATA) -> list[Entry]:
    """The companies of the texts, then the look-alike distractors."""
    entries = []
    for row in read_jsonl(data / "companies.jsonl") + read_jsonl(data / "distractors.jsonl"):
        entries.append(
            Entry(
                str(row["key"]),
                str(row["name"]),
                row.get("business_id") or None,  # type: ignore[arg-type]
                tuple(row.get("auxiliary_names") or ()),  # type: ignore[arg-type]
                tuple((f["name"], f.get("until")) for f in row.get("former_names") or ()),  # type: ignore[attr-defined]
            )
        )
    return entries


def documents(part: str, data: Path = DATA) -> list[Doc]:
    docs = []
    for row in read_jsonl(data / f"{part}.jsonl"):
        gold = [
            Gold(int(m["start"]), int(m["end"]), str(m["company"]), str(m["category"]))
            for m in row.get("mentions") or ()  # type: ignore[attr-defined]
        ] + [
            Gold(int(m["start"]), int(m["end"]), None, f"not: {m['reason']}")
            for m in row.get("non_mentions") or ()  # type: ignore[attr-defined]
        ]
        docs.append(Doc(str(row["id"]), str(row["text"]), tuple(gold)))
    return docs


def names_of(entry: Entry) -> list[str]:
    return [entry.name, *entry.auxiliary, *(name for name, _ in entry.former)]


# --- the naive baseline ---------------------------------------------------------------------------


def prefix_matcher(entries: Iterable[Entry]) -> Callable[[str], list[Span]]:
    """Case-sensitive prefix match of the index names (legal forms stripped) at word starts."""
    from triggerwatch.text.normalise import LEGAL_FORMS

    names: dict[str, str] = {}
    for company_id, name in ((e.key, n) for e in entries for n in names_of(e)):
        words = name.replace(",", " ").split()
        while len(words) > 1 and words[-1].casefold().strip(".") in LEGAL_FORMS:
            words.pop()
        while len(words) > 1 and words[0].casefold().strip(".") in LEGAL_FORMS:
            words.pop(0)
        key = " ".join(words)
        if len(key) >= 2:
            names.setdefault(key, company_id)
    by_first: dict[str, list[str]] = {}
    for key in sorted(names, key=len, reverse=True):
        by_first.setdefault(key[:2], []).append(key)

    def match(text: str) -> list[Span]:
        out: list[Span] = []
        i, n = 0, len(text)
        while i < n:
            if (i == 0 or not text[i - 1].isalnum()) and text[i].isalnum():
                for key in by_first.get(text[i : i + 2], ()):
                    if text.startswith(key, i):
                        end = i + len(key)
                        while end < n and (text[end].isalnum() or text[end] == ":"):
                            end += 1
                        out.append((i, end, names[key]))
                        i = end
                        break
            i += 1
        return out

    return match


# --- scoring --------------------------------------------------------------------------------------


def score(docs: list[Doc], link: Callable[[str], list[Span]], *, errors: bool = False) -> Score:
    s = Score()
    for doc in docs:
        golds = [g for g in doc.gold if g.company_id is not None]
        s.gold += len(golds)
        for g in golds:
            s.gold_by[g.category] += 1
        matched: set[int] = set()
        for start, end, company_id in link(doc.text):
            hit = next(
                (
                    i
                    for i, g in enumerate(golds)
                    if i not in matched and g.company_id == company_id and g.start < end and start < g.end
                ),
                None,
            )
            if hit is not None:
                matched.add(hit)
                s.tp += 1
                s.recall_by[golds[hit].category] += 1
                continue
            s.fp += 1
            over = next((g for g in doc.gold if g.start < end and start < g.end), None)
            category = over.category if over is not None else "unannotated"
            s.fp_by[category] += 1
            if errors:
                written = doc.text[start:end]
                s.errors.append(f"{doc.doc_id}: FP {written!r}@{start} → {company_id} ({category})")
        if errors:
            for i, g in enumerate(golds):
                if i not in matched:
                    written = doc.text[g.start : g.end]
                    s.errors.append(f"{doc.doc_id}: FN {written!r}@{g.start} ({g.company_id}, {g.category})")
    return s


def linker_spans(entries: list[Entry]) -> Callable[[str], list[Span]]:
    """The linker over the index as ``from_database`` builds it: the legal name, the auxiliary names,
    the former names with their end dates (a linker without ``former=``, the one before issue 17,
    took them as plain aliases) and the business ID."""
    import inspect

    from triggerwatch.text.linker import CompanyLinker

    linker = CompanyLinker()
    takes_former = "former" in inspect.signature(linker.add).parameters
    for e in entries:
        linker.add(e.key, e.name)
        for name in e.auxiliary:
            linker.add(e.key, name)
        for name, until in e.former:
            if takes_former:
                linker.add(e.key, name, former=True, until=until)  # type: ignore[call-arg]
            else:
                linker.add(e.key, name)
        if e.business_id:
            linker.add(e.key, e.business_id)
    linker.build()
    return lambda text: [(m.start, m.end, m.company_id) for m in linker.link(text)]


def _before_scores(parts: list[str]) -> dict[str, Score] | None:
    """The linker of :data:`BEFORE_REV` on the same parts, in a subprocess over a git archive."""
    with tempfile.TemporaryDirectory(prefix="linking-before-") as tmp:
        try:
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", BEFORE_REV, "services"],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        env = {**os.environ, "PYTHONPATH": f"{tmp}/services{os.pathsep}{REPO}"}
        done = subprocess.run(
            [sys.executable, "-m", "bench.eval_linking", "--json", "--parts", ",".join(parts)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return None
        return {part: Score.from_dict(d) for part, d in json.loads(done.stdout).items()}


# --- report ---------------------------------------------------------------------------------------


def _line(label: str, s: Score) -> str:
    figures = f"precision {s.precision:.3f}  recall {s.recall:.3f}"
    return f"  {label:<8} {figures}  (tp {s.tp}, fp {s.fp}, gold {s.gold})"


def report(part: str, scores: dict[str, Score]) -> None:
    print(f"{part}:")
    for label, s in scores.items():
        print(_line(label, s))
    first = next(iter(scores.values()))
    categories = sorted(set(first.gold_by) | {c for s in scores.values() for c in s.fp_by})
    header = "".join(f"{label:>18}" for label in scores)
    print(f"  {'category':<24}{'gold':>6}{header}   (recall matched/gold; fp = false positives there)")
    for c in categories:
        cells = "".join(
            (f"{s.recall_by[c]:>5}/{s.gold_by[c]:<4}" if s.gold_by[c] else " " * 10)
            + f" fp {s.fp_by[c]:<4}"
            for s in scores.values()
        )
        print(f"  {c:<24}{first.gold_by[c]:>6}{cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-only", action="store_true", help="the dev part only")
    parser.add_argument("--errors", action="store_true", help="print every error on the dev part")
    parser.add_argument("--no-before", action="store_true", help="skip the linker before issue 17")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the 'before' subprocess
    parser.add_argument("--parts", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (DATA / "dev.jsonl").exists():
        print(f"no labelled linking set in {DATA}: skipped")
        return 0
    parts = args.parts.split(",") if args.parts else ["dev"] if args.dev_only else ["dev", "heldout"]
    entries = index()
    linker = linker_spans(entries)
    docs = {part: documents(part) for part in parts}
    if args.json:
        print(json.dumps({part: score(docs[part], linker).as_dict() for part in parts}))
        return 0
    prefix = prefix_matcher(entries)
    before = None if args.no_before else _before_scores(parts)
    for part in parts:
        scores = {"linker": score(docs[part], linker, errors=args.errors and part == "dev")}
        if before is not None:
            scores["before"] = before[part]
        scores["prefix"] = score(docs[part], prefix)
        report(part, scores)
        if args.errors and part == "dev":
            print("\n".join(scores["linker"].errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
