"""Trigger classification quality on the labelled set, next to the pre-issue-16 baseline.

    python -m bench.eval_triggers                 # every part and the held-back union (make eval)
    python -m bench.eval_triggers --part tuning   # only the parts you tune on (dev, dev2)
    python -m bench.eval_triggers --part dev2 --errors       # and every wrong item of dev2
    python -m bench.eval_triggers --part tuning --no-voikko  # as without Voikko installed
    python -m bench.eval_triggers --calibrate     # write text/triggers/calibration.json from dev+dev2

The set (tests/eval/triggers/, format in its README.md): items with ``title``, ``body``, ``lang``
and ``labels`` ([] for ordinary news; each label a ``kind`` with the ``company`` and ``role``).
Parts: ``dev`` and ``dev2`` (tuned on), ``heldout`` and ``heldout2`` (looked at only at the end) and
``heldback`` (the union of the two held-back parts). A summary table first, then for each part and
each reading (the whole article; the headline and the first sentence of the body) it prints, for
the new classifier
(``triggerwatch.text.classify.classify_all``) and for the frozen baseline
(``bench/baseline_classify.py``, one kind per item):

* per kind: precision, recall, F1 over (item, kind) pairs, and overall (micro) precision/recall;
* false alarms: the share of ordinary-news items (no label) that get any trigger;
* the confusion matrix (rows: labelled kind or ``news``; columns: predicted);
* per role, subject accuracy: of the labels whose kind was found, the share where a predicted
  subject names the labelled company (normalised, inflection-tolerant) with the labelled role.

``--calibrate`` counts, on the tuning parts only (dev and dev2), how often each rule at each position
carried a right kind, and writes the counts that :mod:`triggerwatch.text.triggers.calibration`
turns into confidences.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from triggerwatch.text import finnish
from triggerwatch.text.classify import classify_all
from triggerwatch.text.normalise import normalise_name
from triggerwatch.text.triggers.article import KIND_ORDER

HERE = Path(__file__).resolve().parents[1]
DATA = HERE / "tests" / "eval" / "triggers"
PARTS = {
    "dev": DATA / "dev.jsonl",
    "dev2": DATA / "dev2.jsonl",
    "heldout": DATA / "heldout.jsonl",
    "heldout2": DATA / "heldout2.jsonl",
}
TUNING = ("dev", "dev2")
HELD_BACK = ("heldout", "heldout2")
UNIONS = {"heldback": HELD_BACK}
KINDS = [k.value for k in KIND_ORDER]
CALIBRATION = HERE / "services" / "triggerwatch" / "text" / "triggers" / "calibration.json"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"'”–-])")


@dataclass(frozen=True)
class Predicted:
    kind: str
    subjects: tuple[tuple[str, str], ...] = ()  # (name, role)
    rule: str = ""
    confidence: float = 1.0


Classifier = Callable[[str, str, str], list[Predicted]]


def load(part: str) -> list[dict[str, object]]:
    with PARTS[part].open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def article(item: dict[str, object]) -> tuple[str, str]:
    return str(item.get("title") or ""), str(item.get("body") or "")


def headline(item: dict[str, object]) -> tuple[str, str]:
    """The title and the first sentence of the body."""
    body = str(item.get("body") or "").strip()
    first = _SENTENCE.split(body, maxsplit=1)[0] if body else ""
    return str(item.get("title") or ""), first


def new_classifier(title: str, body: str, lang: str) -> list[Predicted]:
    return [
        Predicted(c.kind.value, tuple((s.name, s.role) for s in c.subjects), c.rule, c.confidence)
        for c in classify_all(title, body or None, lang)
    ]


def baseline_classifier(title: str, body: str, lang: str) -> list[Predicted]:
    from bench.baseline_classify import classify as baseline

    found = baseline(title, body or None, lang)
    return [Predicted(found.kind.value)] if found else []


@dataclass
class Scores:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    news: int = 0
    false_alarms: int = 0
    role_total: Counter[str] = field(default_factory=Counter)
    role_right: Counter[str] = field(default_factory=Counter)
    company_right: Counter[str] = field(default_factory=Counter)
    subjects_given: int = 0  # predicted subjects of rightly found kinds
    subjects_labelled: int = 0  # of them, the ones naming a labelled company in the labelled role
    errors: list[str] = field(default_factory=list)
    role_errors: list[str] = field(default_factory=list)
    reliability: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (confidence bin, right)


def _key(name: str) -> str:
    return normalise_name(name).replace(" ", "")


def same_company(gold: str, predicted: str) -> bool:
    """Names match after normalisation, allowing a Finnish case ending or a shorter/longer form."""
    a, b = _key(gold), _key(predicted)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) <= 6


def score(items: Iterable[dict[str, object]], classify: Classifier, mode: str) -> Scores:
    s = Scores()
    for item in items:
        lang = str(item["lang"])
        title, body = article(item) if mode == "article" else headline(item)
        labels = list(item["labels"])  # type: ignore[call-overload]
        gold = {str(label["kind"]) for label in labels}
        predicted = classify(title, body, lang)
        pred = {p.kind for p in predicted}
        for p in predicted:
            s.reliability[(_bin(p.confidence), p.kind in gold)] += 1
        for k in gold & pred:
            s.tp[k] += 1
            s.confusion[(k, k)] += 1
        for k in pred - gold:
            s.fp[k] += 1
        for k in gold - pred:
            s.fn[k] += 1
        gold_left, pred_left = sorted(gold - pred), sorted(pred - gold)
        for g in gold_left:
            for k in pred_left or ["news"]:
                s.confusion[(g, k)] += 1
        if not gold:
            s.news += 1
            s.false_alarms += bool(pred)
            for k in pred_left or ["news"]:
                s.confusion[("news", k)] += 1
        for trig in predicted:
            if trig.kind not in gold:
                continue
            wanted = [
                (str(label["company"]), str(label.get("change") or label.get("role") or "subject"))
                for label in labels
                if label["kind"] == trig.kind and label.get("company")
            ]
            for name, role in trig.subjects:
                s.subjects_given += 1
                s.subjects_labelled += any(same_company(c, name) and r == role for c, r in wanted)
        for label in labels:
            if label["kind"] not in pred or not label.get("company"):
                continue
            role = str(label.get("change") or label.get("role") or "subject")
            s.role_total[role] += 1
            subjects = [sub for p in predicted if p.kind == label["kind"] for sub in p.subjects]
            if any(same_company(str(label["company"]), n) for n, _ in subjects):
                s.company_right[role] += 1
            if any(same_company(str(label["company"]), n) and r == role for n, r in subjects):
                s.role_right[role] += 1
            else:
                s.role_errors.append(
                    f"{item['id']} [{lang}] {label['kind']} {label['company']!r}/{role} got {subjects}"
                    f"\n    {title[:150]!r}"
                )
        if gold != pred:
            s.errors.append(
                f"{item['id']} [{lang}] gold={sorted(gold) or ['news']} pred={sorted(pred) or ['news']}"
                f" {[(p.kind, p.rule, p.subjects) for p in predicted]}\n    {title[:150]!r}"
            )
    return s


def _ratio(a: int, b: int) -> str:
    return f"{a / b:5.2f}" if b else "  -  "


def report(name: str, s: Scores, out: list[str]) -> None:
    tp, fp, fn = sum(s.tp.values()), sum(s.fp.values()), sum(s.fn.values())
    out.append(
        f"  {name:<9} precision {_ratio(tp, tp + fp)}  recall {_ratio(tp, tp + fn)}  "
        f"false alarms {_ratio(s.false_alarms, s.news)} ({s.false_alarms}/{s.news} ordinary news)"
    )


def report_kinds(s: Scores, out: list[str]) -> None:
    out.append(f"    {'kind':<22} {'P':>5} {'R':>5} {'F1':>5}   tp  fp  fn")
    for k in KINDS:
        tp, fp, fn = s.tp[k], s.fp[k], s.fn[k]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out.append(f"    {k:<22} {_ratio(tp, tp + fp)} {_ratio(tp, tp + fn)} {f1:5.2f} {tp:4} {fp:3} {fn:3}")


def report_confusion(s: Scores, out: list[str]) -> None:
    labels = ["news", *KINDS]
    short = {k: k[:6] for k in labels}
    short["decision_maker_change"] = "dmc"
    short["procurement_open"] = "procur"
    out.append("    confusion (rows labelled, columns predicted):")
    out.append("    " + " " * 8 + "".join(f"{short[c]:>7}" for c in labels))
    for r in labels:
        out.append("    " + f"{short[r]:<8}" + "".join(f"{s.confusion[(r, c)] or '.':>7}" for c in labels))


BINS = ((0.0, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01))


def _bin(confidence: float) -> str:
    for lo, hi in BINS:
        if lo <= confidence < hi:
            return f"{lo:.1f}-{min(hi, 1.0):.1f}"
    return "?"


def report_reliability(s: Scores, out: list[str]) -> None:
    """Calibration: of the triggers given a confidence in each bin, the share that was right."""
    out.append("    confidence vs. observed precision (calibration):")
    for lo, hi in BINS:
        b = f"{lo:.1f}-{min(hi, 1.0):.1f}"
        right, wrong = s.reliability[(b, True)], s.reliability[(b, False)]
        out.append(f"      {b}  observed {_ratio(right, right + wrong)}  of {right + wrong}")


def report_roles(s: Scores, out: list[str]) -> None:
    out.append("    subjects (labels of found kinds): right company with right role / right company / labels")
    for role in sorted(s.role_total):
        n = s.role_total[role]
        out.append(
            f"      {role:<10} {_ratio(s.role_right[role], n)} {_ratio(s.company_right[role], n)}  of {n}"
        )
    n = sum(s.role_total.values())
    right, company = sum(s.role_right.values()), sum(s.company_right.values())
    out.append(f"      {'all':<10} {_ratio(right, n)} {_ratio(company, n)}  of {n}")
    out.append(
        f"      predicted subjects that are a labelled company in its labelled role: "
        f"{_ratio(s.subjects_labelled, s.subjects_given)} of {s.subjects_given}"
    )


def merged(scores: Iterable[Scores]) -> Scores:
    """The scores of several parts taken together (a union of item sets)."""
    out = Scores()
    for s in scores:
        for name in ("tp", "fp", "fn", "confusion", "role_total", "role_right", "company_right"):
            getattr(out, name).update(getattr(s, name))
        out.reliability.update(s.reliability)
        out.news += s.news
        out.subjects_given += s.subjects_given
        out.subjects_labelled += s.subjects_labelled
        out.false_alarms += s.false_alarms
        out.errors += s.errors
        out.role_errors += s.role_errors
    return out


MODES = (("article", "whole article"), ("headline", "headline + first sentence"))
SUMMARY_ROLES = ("acquirer", "target", "seller", "appointed", "leaving", "subject")


def _summary_row(part: str, who: str, by_mode: dict[str, Scores]) -> str:
    cells = []
    for mode, _ in MODES:
        s = by_mode[mode]
        tp, fp, fn = sum(s.tp.values()), sum(s.fp.values()), sum(s.fn.values())
        cells.append(f"{_ratio(tp, tp + fp)} {_ratio(tp, tp + fn)} {_ratio(s.false_alarms, s.news)}")
    a = by_mode["article"]
    roles = [_ratio(sum(a.role_right.values()), sum(a.role_total.values()))]
    roles += [_ratio(a.role_right[r], a.role_total[r]) for r in SUMMARY_ROLES]
    roles.append(_ratio(a.subjects_labelled, a.subjects_given))
    return f"  {part:<9} {who:<9} " + "   ".join(cells) + "   " + " ".join(roles)


def summary(results: dict[str, dict[str, dict[str, Scores]]]) -> list[str]:
    """One line per part and classifier: P, R and false alarms per reading; subject roles."""
    head = " ".join(f"{r[:5]:>5}" for r in ("all", *SUMMARY_ROLES, "subjP"))
    out = [
        "== summary (P R FA: precision, recall, false-alarm rate on ordinary news; roles: right company"
        " with right role, whole article; subjP: predicted subjects that are labelled) ==",
        f"  {'part':<9} {'':<9} {'article P/R/FA':<17}   {'headline P/R/FA':<17}   {head}",
    ]
    for part, by_who in results.items():
        for who in ("new", "baseline"):
            out.append(_summary_row(part, who, by_who[who]))
    return out


def details(
    part: str, n_items: int, n_news: int, by_who: dict[str, dict[str, Scores]], errors: bool
) -> list[str]:
    out = [f"== {part}: {n_items} items, {n_news} ordinary news =="]
    for mode, title in MODES:
        new, base = by_who["new"][mode], by_who["baseline"][mode]
        out.append(f"-- {title}")
        report("new", new, out)
        report("baseline", base, out)
        out.append("  new, per kind:")
        report_kinds(new, out)
        out.append("  baseline, per kind:")
        report_kinds(base, out)
        report_confusion(new, out)
        report_roles(new, out)
        report_reliability(new, out)
        if errors:
            out.append("  errors (new):")
            out += [f"    {e}" for e in new.errors]
            out.append("  wrong subjects (new):")
            out += [f"    {e}" for e in new.role_errors]
    return out


def evaluate(parts: list[str], show_errors: bool, brief: bool = False) -> list[str]:
    """Scores every part (and the held-back union when both held-back parts are asked for)."""
    results: dict[str, dict[str, dict[str, Scores]]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for part in parts:
        items = load(part)
        sizes[part] = (len(items), sum(1 for i in items if not i["labels"]))
        results[part] = {
            who: {mode: score(items, fn, mode) for mode, _ in MODES}
            for who, fn in (("new", new_classifier), ("baseline", baseline_classifier))
        }
    for union, members in UNIONS.items():
        if all(m in results for m in members):
            results[union] = {
                who: {mode: merged(results[m][who][mode] for m in members) for mode, _ in MODES}
                for who in ("new", "baseline")
            }
            sizes[union] = (sum(sizes[m][0] for m in members), sum(sizes[m][1] for m in members))
    out = summary(results)
    if brief:
        return out
    for part, by_who in results.items():
        out += details(part, *sizes[part], by_who, show_errors and part in TUNING)
    return out


def calibrate(parts: Iterable[str] = TUNING) -> dict[str, list[int]]:
    """Per rule|position(|anaphor): [right, wrong] on the tuning parts (each kind's best candidate,
    any confidence)."""
    from triggerwatch.text.triggers import calibration
    from triggerwatch.text.triggers.article import find_triggers

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with calibration.priors_only():  # the counts must not depend on an earlier calibration
        for item in (item for part in parts for item in load(part)):
            gold = {str(label["kind"]) for label in item["labels"]}  # type: ignore[attr-defined]
            for mode in ("article", "headline"):
                title, body = article(item) if mode == "article" else headline(item)
                for t in find_triggers(title, body or None, str(item["lang"]), threshold=0.0):
                    key = calibration.key(t.rule, t.position, not t.subjects)
                    counts[key][0 if t.kind.value in gold else 1] += 1
    return dict(sorted(counts.items()))


THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)


def threshold_scan() -> list[str]:
    """The operating threshold, chosen without scoring a part on its own calibration: calibrate on
    dev and score dev2, calibrate on dev2 and score dev; whole-article P, R and false alarms of the
    two folds together, per threshold."""
    from triggerwatch.text.triggers import calibration
    from triggerwatch.text.triggers.article import find_triggers

    found: dict[float, Scores] = {t: Scores() for t in THRESHOLDS}
    for calibrated_on, scored in (("dev", "dev2"), ("dev2", "dev")):
        with calibration.using(calibrate([calibrated_on])):
            for item in load(scored):
                title, body = article(item)
                predicted = find_triggers(title, body or None, str(item["lang"]), threshold=0.0)
                for t in THRESHOLDS:
                    kept = [
                        Predicted(p.kind.value, (), p.rule, p.confidence)
                        for p in predicted
                        if p.confidence >= t
                    ]
                    one = score([item], lambda *_, kept=kept: kept, "article")
                    found[t] = merged((found[t], one))
    out = ["== operating threshold (two folds: calibrated on dev scoring dev2, and the reverse) =="]
    for t, s in found.items():
        tp, fp, fn = sum(s.tp.values()), sum(s.fp.values()), sum(s.fn.values())
        out.append(
            f"  threshold {t:.2f}: precision {_ratio(tp, tp + fp)}  recall {_ratio(tp, tp + fn)}  "
            f"false alarms {_ratio(s.false_alarms, s.news)} ({s.false_alarms}/{s.news})"
        )
    return out


@contextmanager
def _no_voikko() -> Iterator[None]:
    with finnish.voikko_disabled():
        from triggerwatch.text.triggers import tokens

        tokens._analyse_fi.cache_clear()
        try:
            yield
        finally:
            tokens._analyse_fi.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--part",
        choices=[*PARTS, "tuning", "heldback", "all"],
        default="all",
        help="tuning = dev + dev2; heldback = heldout + heldout2 and their union; all (default) = both",
    )
    parser.add_argument("--errors", action="store_true", help="list the wrong items (tuning parts only)")
    parser.add_argument("--brief", action="store_true", help="only the summary table")
    parser.add_argument("--no-voikko", action="store_true", help="run as if Voikko were not installed")
    parser.add_argument("--calibrate", action="store_true", help="write calibration.json from dev+dev2")
    parser.add_argument(
        "--threshold-scan", action="store_true", help="P/R/false alarms per threshold, cross-calibrated"
    )
    args = parser.parse_args(argv)
    if args.threshold_scan:
        print("\n".join(threshold_scan()))
        return 0
    if args.calibrate:
        counts = calibrate()
        payload = {
            "source": "tests/eval/triggers/dev.jsonl + dev2.jsonl"
            " (python -m bench.eval_triggers --calibrate)",
            "counts": counts,
        }
        CALIBRATION.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION} ({len(counts)} rule keys)")
        return 0
    groups = {"tuning": list(TUNING), "heldback": list(HELD_BACK), "all": [*TUNING, *HELD_BACK]}
    parts = groups.get(args.part, [args.part])
    with _no_voikko() if args.no_voikko else nullcontext():
        lines = evaluate(parts, args.errors, args.brief)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
