"""Readable rules from a decision tree: root-to-leaf paths merged into one condition per feature,
in English and Finnish ("TOL K (64–66) and region Uusimaa" / "TOL K (64–66) ja maakunta Uusimaa").

The tree is either the ranking model itself or its surrogate (a regression tree fitted to the
ranking model's scores); either way each leaf is a target group with its rule.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder

from triggerwatch.scoring.features import CATEGORICAL, NUMERIC, Codes


@dataclass(frozen=True)
class Condition:
    feature: str
    op: str  # in | not_in | ge | lt
    values: tuple[str, ...] = ()
    threshold: float = 0.0


@dataclass
class Leaf:
    leaf_id: int
    conditions: list[Condition]
    rule: str
    rule_fi: str
    score: float  # the leaf's class-balanced score of "good" (> 0.5 means above the base rate)
    positive_rate: float  # share of good customers among training rows in the leaf
    expected_value: float  # mean gross margin from the product group per training buyer in the leaf
    train_size: int


def group_id(product_group: str, rule: str) -> str:
    """A target group's id: its product group and a hash of its rule (stable across runs)."""
    return f"{product_group}:{hashlib.sha1(rule.encode()).hexdigest()[:10]}"


def _paths(tree: Any, names: list[str]) -> dict[int, list[tuple[str, bool, float]]]:
    """Leaf id → [(feature, went_right, threshold)] from the root."""
    t = tree.tree_
    out: dict[int, list[tuple[str, bool, float]]] = {}
    stack: list[tuple[int, list[tuple[str, bool, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if t.children_left[node] == -1:
            out[node] = path
            continue
        name, thr = names[t.feature[node]], float(t.threshold[node])
        stack.append((int(t.children_left[node]), [*path, (name, False, thr)]))
        stack.append((int(t.children_right[node]), [*path, (name, True, thr)]))
    return out


def conditions(path: list[tuple[str, bool, float]], encoder: OneHotEncoder) -> list[Condition]:
    """Merge a root-to-leaf path into one condition per feature."""
    categories = {f: [str(c) for c in cats] for f, cats in zip(CATEGORICAL, encoder.categories_, strict=True)}
    positive: dict[str, str] = {}
    negative: dict[str, list[str]] = {}
    low: float | None = None
    high: float | None = None
    for name, right, thr in path:
        if name in NUMERIC:
            if right:
                low = thr if low is None else max(low, thr)
            else:
                high = thr if high is None else min(high, thr)
            continue
        feature = next(f for f in CATEGORICAL if name.startswith(f + "_"))
        value = name[len(feature) + 1 :]
        if value == "infrequent_sklearn":
            value = "other"
        if right:
            positive[feature] = value
        else:
            negative.setdefault(feature, []).append(value)
    out: list[Condition] = []
    for feature in CATEGORICAL:
        if feature in positive:
            out.append(Condition(feature, "in", (positive[feature],)))
        elif feature in negative:
            values = tuple(sorted(set(negative[feature])))
            rest = [c for c in categories[feature] if c not in values]
            if 0 < len(rest) <= 2:
                out.append(Condition(feature, "in", tuple(rest)))
            else:
                out.append(Condition(feature, "not_in", values))
    if low is not None:
        out.append(Condition("age_years", "ge", threshold=low))
    if high is not None:
        out.append(Condition("age_years", "lt", threshold=high))
    return out


def _years(thr: float) -> str:
    return f"{max(round(thr, 1), 0):g}"


def _tol(value: str, codes: Codes) -> str:
    divisions = codes.divisions(value)
    return f"TOL {value} ({divisions[0]}–{divisions[-1]})" if divisions else f"TOL {value}"


def rule_text(conds: list[Condition], codes: Codes, lang: str = "en") -> str:
    if not conds:
        return "all companies" if lang == "en" else "kaikki yritykset"
    label = {
        "en": {
            "region": "region",
            "company_form": "company form",
            "age": "age",
            "years": "years",
            "and": " and ",
            "or": " or ",
            "not": "not ",
        },
        "fi": {
            "region": "maakunta",
            "company_form": "yritysmuoto",
            "age": "ikä",
            "years": "vuotta",
            "and": " ja ",
            "or": " tai ",
            "not": "ei ",
        },
    }[lang]
    parts: list[str] = []
    for c in conds:
        if c.feature == "age_years":
            # the tree's split is age <= t (left) / age > t (right); t is shown to one decimal
            sign = "≥" if c.op == "ge" else "<"
            parts.append(f"{label['age']} {sign} {_years(c.threshold)} {label['years']}")
            continue
        values = [_tol(v, codes) if c.feature == "tol_section" else v for v in c.values]
        head = "" if c.feature == "tol_section" else f"{label[c.feature]} "
        joined = label["or"].join(values)
        if c.op == "not_in":
            joined = label["not"] + (f"({joined})" if len(values) > 1 else joined)
        parts.append(head + joined)
    return label["and"].join(parts)


def leaf_value(tree: Any, leaf_id: int) -> float:
    """A leaf's class-balanced score: the share of "good" for a (class-weighted) classifier, the
    mean of the fitted scores for a regression surrogate."""
    value = tree.tree_.value[leaf_id]
    if value.shape[-1] == 1:  # regressor
        return float(value[0][0])
    return float(value[0][1] / value[0].sum()) if value[0].sum() else 0.0


def explain_leaves(
    encode: ColumnTransformer,
    tree: Any,
    x_train: pd.DataFrame,
    y_train: np.ndarray,
    m_train: np.ndarray,
    codes: Codes,
    encoded: np.ndarray | None = None,
) -> dict[int, Leaf]:
    names = list(encode.get_feature_names_out())
    encoder: OneHotEncoder = encode.named_transformers_["cat"]
    leaf_of = tree.apply(encode.transform(x_train) if encoded is None else encoded)
    leaves: dict[int, Leaf] = {}
    for leaf_id, path in _paths(tree, names).items():
        mask = leaf_of == leaf_id
        conds = conditions(path, encoder)
        leaves[leaf_id] = Leaf(
            leaf_id=leaf_id,
            conditions=conds,
            rule=rule_text(conds, codes, "en"),
            rule_fi=rule_text(conds, codes, "fi"),
            score=leaf_value(tree, leaf_id),
            positive_rate=float(y_train[mask].mean()) if mask.any() else 0.0,
            expected_value=float(m_train[mask].mean()) if mask.any() else 0.0,
            train_size=int(mask.sum()),
        )
    return leaves
