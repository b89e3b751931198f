"""The lookalike model of one product group: a ranking model, its readable tree and its evidence.

Label (``labels.py``): among the group's buyers, the top ``top_share`` by the chosen label (default
the margin rate). Features: TOL section, region, company form (categorical) and age.

1. A stratified, seeded 75/25 train/test split; the test part is only used for the final figures
   (nothing below looks at it).
2. Three candidate ranking models:

   - ``tree``: a ``DecisionTreeClassifier`` (one-hot features, balanced class weights), depth and
     leaf size by stratified 3-fold cross-validated AUC on the training part, then pruned
     (cost-complexity ``ccp_alpha``, the strongest pruning whose CV AUC is within ``TREE_TIE`` of
     the best): splits that do not rank better are noise, and pruned;
   - ``reference``: the plain depth-4 tree (one-hot features, no tuning) the issue compared against;
   - ``hgb``: a ``HistGradientBoostingClassifier`` on the native categories, regularised and
     early-stopped, calibrated with ``CalibratedClassifierCV`` when it ranks (sigmoid below 2 000
     rows, isotonic above).

3. All three (hyper-parameters fixed) are fitted and tested on ``REPEATS`` repeated stratified
   75/25 splits of the training part; the ranking model is the one with the highest mean AUC there
   (an exact tie goes to the simpler one). The **publish gate**: the chosen model's AUC gain over the
   baseline has a 95 % confidence interval (corrected resampled t-test of Nadeau and Bengio, which
   accounts for the overlap of the repeated training sets) that excludes zero. Otherwise the
   verdict says "not better than the baseline" and ``score train`` does not publish it.
4. The explanation is a readable tree: the pruned tree itself when it ranks, else a surrogate
   ``DecisionTreeRegressor`` (depth ≤ 5, pruned the same way on CV R²) fitted to the ranking model's
   scores, with its fidelity to them on the held-out part (R², Spearman rank correlation, agreement
   on the top decile).
5. A company's score is the ranking model's probability of "good", class-balanced (the probability
   re-weighted to equal classes, as the balanced tree's leaves are): 0.5 means the base rate, so
   the rules' ``min_score`` means the same whichever model ranks. Its rule path and target group
   are its leaf in the readable tree.

Held-out figures for the three candidates and the baseline: ROC AUC, precision at the top 10 %,
lift at the top decile and per decile. Fitting runs on one thread (``threadpool_limits``): on a
few thousand rows OpenMP threads cost more than they give, and far more on a busy machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
    train_test_split,
)
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from triggerwatch.core.errors import TriggerwatchError
from triggerwatch.scoring.explain import (  # re-exported: the rule vocabulary of a model
    Condition,
    Leaf,
    conditions,
    explain_leaves,
    rule_text,
)
from triggerwatch.scoring.features import CATEGORICAL, FEATURES, NUMERIC, Codes
from triggerwatch.scoring.labels import DEFAULT_LABEL, DESCRIPTIONS, good_customers, label_values

__all__ = ["Condition", "GroupModel", "Leaf", "TooLittleDataError", "conditions", "rule_text", "train_group"]

MIN_POSITIVES = 20  # in the whole data: fewer cannot be split, cross-validated and tested
MIN_ROWS = 100
TEST_SIZE = 0.25
CV_MAX_ROWS = 6_000  # hyper-parameter search sample; the final models use every training row
REPEATS = 10  # repeated stratified splits for model selection and the publish gate
REPEAT_MAX_ROWS = 6_000  # rows sampled (stratified) for the repeated splits
TREE_TIE = 0.005  # CV AUC differences below this are noise: the shallower tree, the stronger pruning
CONFIDENCE = 0.95
TREE_GRID = {"max_depth": [2, 3, 4, 6], "min_samples_leaf": [0.005, 0.02, 0.05]}
# cost-complexity pruning strengths: the balanced root's Gini impurity is 0.5; a real segment's
# split removes a few hundredths of it, a noise split inside a segment a few ten-thousandths
PRUNE_ALPHAS = (0.0, 0.0002, 0.0005, 0.001, 0.002, 0.004)
SURROGATE_GRID = {"max_depth": [3, 4, 5], "min_samples_leaf": [0.01, 0.02]}
SURROGATE_TIE = 0.01  # CV R² differences below this: the shallower, more pruned surrogate
SURROGATE_PRUNE = (0.0, 0.001, 0.002, 0.005, 0.01)  # x the variance of the scores it mimics
CANDIDATES = ("tree", "reference", "hgb")  # simplest first: an exact tie goes to the earlier
KIND_NAMES = {
    "tree": "decision tree (tuned, pruned)",
    "reference": "plain depth-4 tree",
    "hgb": "gradient-boosted trees (calibrated)",
}


class TooLittleDataError(TriggerwatchError):
    """The data is too small to train and validate a model honestly."""


@dataclass
class Metrics:
    auc: float
    precision_at_10pct: float
    lift_top_decile: float
    base_rate: float
    n_train: int
    n_test: int
    lift_deciles: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            out[k] = round(v, 4) if isinstance(v, float) else v
        out["lift_deciles"] = [round(v, 3) for v in self.lift_deciles]
        return out


@dataclass
class Repeated:
    """Held-out AUC over repeated stratified splits, and the chosen model's gain over the baseline."""

    splits: int
    n_rows: int
    means: dict[str, float]  # candidate -> mean held-out AUC over the splits
    chosen_auc: float
    gain: float  # mean AUC gain of the chosen model over the baseline (AUC 0.5)
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, Any]:
        out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}
        out["means"] = {k: round(v, 4) for k, v in self.means.items()}
        return out


@dataclass
class GroupModel:
    product_group: str
    label: str
    kind: str  # "tree" | "reference" | "hgb": which model ranks
    encode: ColumnTransformer  # one-hot encoding of the trees
    explainer: Any  # the readable tree: the ranking tree, or the surrogate regressor
    ranker: Any  # the ranking model (the tuned tree, the depth-4 tree or the calibrated boosted model)
    categories: dict[str, list[str]]  # the boosted model's category codes
    params: dict[str, Any]
    metrics: Metrics  # the ranking model on the held-out part
    baseline: Metrics
    candidates: dict[str, Metrics]  # tree, reference (plain depth-4 tree), hgb on the held-out part
    repeated: Repeated
    fidelity: dict[str, float]
    leaves: dict[int, Leaf]
    threshold: float  # the label value that makes a buyer "good"
    base_rate: float  # share of good buyers in the training part
    test_scores: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    test_labels: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    test_ids: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=object))

    @property
    def better_than_baseline(self) -> bool:
        return self.repeated.ci_low > 0

    def verdict(self) -> str:
        r = self.repeated
        ci = f"95 % CI of the gain {r.ci_low:+.2f} to {r.ci_high:+.2f}"
        if self.better_than_baseline:
            return (
                f"better than the baseline: AUC {r.chosen_auc:.2f} vs 0.50 over {r.splits} repeated "
                f"stratified splits ({ci}, excludes no gain); held-out AUC {self.metrics.auc:.2f}, lift "
                f"at the top decile {self.metrics.lift_top_decile:.1f}x; ranking model: {self.kind_name}"
            )
        return (
            f"the model is not better than the baseline: AUC {r.chosen_auc:.2f} vs 0.50 over "
            f"{r.splits} repeated stratified splits ({ci}, includes no gain): do not use its scores"
        )

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    def score(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Class-balanced scores and explaining-tree leaf ids for companies' features."""
        return score_with(self.artefact(), features)

    def summary(self) -> dict[str, Any]:
        return {
            "product_group": self.product_group,
            "label": self.label,
            "ranking_model": self.kind,
            "params": self.params,
            "threshold": round(self.threshold, 4),
            "metrics": self.metrics.as_dict(),
            "baseline": self.baseline.as_dict(),
            "candidates": {k: m.as_dict() for k, m in self.candidates.items()},
            "repeated": self.repeated.as_dict(),
            "fidelity": self.fidelity,
            "better_than_baseline": self.better_than_baseline,
            "verdict": self.verdict(),
        }

    def artefact(self) -> dict[str, Any]:
        """What ``scoring_runs.model`` keeps (pickled): enough to score again."""
        return {
            "kind": self.kind,
            "encode": self.encode,
            "explainer": self.explainer,
            "ranker": self.ranker,
            "categories": self.categories,
            "base_rate": self.base_rate,
        }


def score_with(artefact: dict[str, Any], features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced scores and explaining-tree leaf ids from a model's :meth:`GroupModel.artefact`
    (as ``scoring_runs.model`` keeps it), for companies' features."""
    encoded = encode_many(artefact["encode"], features)
    explainer = artefact["explainer"]
    leaves = explainer.apply(encoded)
    if artefact["kind"] == "tree":
        value = explainer.tree_.value[:, 0, :]
        return (value[:, 1] / value.sum(axis=1))[leaves], leaves
    ranker = artefact["ranker"]
    if artefact["kind"] == "reference":
        p = ranker.predict_proba(encoded)[:, 1]
    else:
        p = ranker.predict_proba(ordinal(features, artefact["categories"]))[:, 1]
    return balanced(p, artefact["base_rate"]), leaves


def balanced(p: np.ndarray, base_rate: float) -> np.ndarray:
    """A probability re-weighted to equal classes (prior shift): 0.5 at the base rate."""
    pi = min(max(base_rate, 1e-6), 1 - 1e-6)
    num = p * (1 - pi)
    den = num + (1 - p) * pi
    return np.divide(num, den, out=np.full_like(p, 0.5, dtype=float), where=den > 0)


def encode_many(encoder: ColumnTransformer, features: pd.DataFrame) -> np.ndarray:
    """``encoder.transform`` for many rows: the fitted encoder sees each distinct combination of
    categories once (a few thousand at most), the rows take theirs by index and get their own age.
    The same matrix as transforming every row, in a fraction of the time."""
    key = np.zeros(len(features), dtype=np.int64)
    levels = []
    for col in CATEGORICAL:
        codes, values = pd.factorize(features[col], use_na_sentinel=False)
        key = key * len(values) + codes
        levels.append(values)
    distinct_keys, combos = np.unique(key, return_inverse=True)
    columns = {}
    for col, values in zip(reversed(CATEGORICAL), reversed(levels), strict=True):
        columns[col] = np.asarray(values, dtype=object)[distinct_keys % len(values)]
        distinct_keys = distinct_keys // len(values)
    distinct = pd.DataFrame(columns)[CATEGORICAL].assign(age_years=0.0)
    encoded = np.asarray(encoder.transform(distinct), dtype=float)[combos]
    age = list(encoder.get_feature_names_out()).index("age_years")
    encoded[:, age] = features["age_years"].fillna(-1.0).to_numpy(dtype=float)
    return encoded


def ordinal(features: pd.DataFrame, categories: dict[str, list[str]]) -> np.ndarray:
    """Category codes (NaN for a category the model never saw) and age, for the boosted model."""
    cols = []
    for col in CATEGORICAL:
        codes = pd.Categorical(features[col], categories=categories[col]).codes.astype(float)
        codes[codes < 0] = np.nan
        cols.append(codes)
    cols.append(features["age_years"].fillna(-1.0).to_numpy(dtype=float))
    return np.column_stack(cols)


def _metrics(y: np.ndarray, p: np.ndarray, n_train: int) -> Metrics:
    base = float(y.mean())
    k = max(1, math.ceil(len(y) * 0.1))
    order = np.argsort(-p, kind="stable")
    precision = float(y[order[:k]].mean())
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else 0.5
    deciles = [float(d.mean() / base) if len(d) and base else 0.0 for d in np.array_split(y[order], 10)]
    return Metrics(auc, precision, precision / base if base else 0.0, base, n_train, len(y), deciles)


def _one_hot() -> ColumnTransformer:
    return ColumnTransformer(
        [
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False),
                CATEGORICAL,
            ),
            ("num", "passthrough", NUMERIC),
        ],
        verbose_feature_names_out=False,
    )


def _hgb(n: int, seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=8,
        min_samples_leaf=max(20, n // 50),
        l2_regularization=1.0,
        categorical_features=[True] * len(CATEGORICAL) + [False] * len(NUMERIC),
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=10,
        random_state=seed,
    )


def _calibrated(n: int, seed: int) -> CalibratedClassifierCV:
    """The boosted model, calibrated on 3-fold out-of-fold predictions and refitted on every row
    (``ensemble=False``: one model to score with, not three)."""
    return CalibratedClassifierCV(
        _hgb(n, seed),
        method="sigmoid" if n < 2000 else "isotonic",
        cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=seed),
        ensemble=False,
    )


def _tree(seed: int, **params: Any) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(class_weight="balanced", random_state=seed, **params)


def _reference(seed: int) -> DecisionTreeClassifier:
    """The plain depth-4 tree: one-hot features, no class weights, no tuning."""
    return DecisionTreeClassifier(max_depth=4, random_state=seed)


def _sample(n: int, y: np.ndarray, rows: int, seed: int) -> np.ndarray:
    """Indices of a stratified sample of ``rows`` rows (all of them when there are fewer)."""
    idx = np.arange(n)
    if n <= rows:
        return idx
    keep, _ = train_test_split(idx, train_size=rows, stratify=y, random_state=seed)
    return np.sort(keep)


def _pick(cv: dict[str, Any], tie: float, simpler: Any) -> int:
    """The index of the simplest setting (``simpler``: its sort key) within ``tie`` of the best."""
    scores = np.nan_to_num(np.asarray(cv["mean_test_score"], dtype=float), nan=-np.inf)
    near = [i for i, sc in enumerate(scores) if sc >= scores.max() - tie]
    return int(min(near, key=simpler))


def _tune_tree(encoded: np.ndarray, y: np.ndarray, seed: int) -> tuple[dict[str, Any], float]:
    """Depth and leaf size (a share of the rows, so it transfers from the CV sample to the whole
    training part) by stratified 3-fold CV AUC on at most ``CV_MAX_ROWS`` rows, ties (within
    ``TREE_TIE``) to the shallower tree; then the strongest cost-complexity pruning within
    ``TREE_TIE`` of the best pruning on the same folds."""
    idx = _sample(len(y), y, CV_MAX_ROWS, seed)
    cv_x, cv_y = encoded[idx], y[idx]
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)

    def search(params: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        return (
            GridSearchCV(_tree(seed, **base), params, scoring="roc_auc", cv=folds, n_jobs=1, refit=False)
            .fit(cv_x, cv_y)
            .cv_results_
        )

    cv = search(TREE_GRID, {})
    shape = cv["params"][
        _pick(cv, TREE_TIE, lambda i: (cv["param_max_depth"][i], -cv["param_min_samples_leaf"][i]))
    ]
    pruned = search({"ccp_alpha": list(PRUNE_ALPHAS)}, shape)
    pick = _pick(pruned, TREE_TIE, lambda i: -pruned["param_ccp_alpha"][i])
    return {**shape, **pruned["params"][pick]}, float(pruned["mean_test_score"][pick])


def _repeated(
    encoded: np.ndarray, ordinal_x: np.ndarray, y: np.ndarray, tree_params: dict[str, Any], seed: int
) -> tuple[dict[str, np.ndarray], int]:
    """Held-out AUC of each candidate (the boosted one uncalibrated: calibration keeps the order)
    on ``REPEATS`` stratified 75/25 splits of at most ``REPEAT_MAX_ROWS`` rows."""
    idx = _sample(len(y), y, REPEAT_MAX_ROWS, seed)
    encoded, ordinal_x, y = encoded[idx], ordinal_x[idx], y[idx]
    splits = StratifiedShuffleSplit(n_splits=REPEATS, test_size=TEST_SIZE, random_state=seed + 1)
    aucs: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    for train, test in splits.split(encoded, y):
        for name, model in (("tree", _tree(seed, **tree_params)), ("reference", _reference(seed))):
            model.fit(encoded[train], y[train])
            aucs[name].append(roc_auc_score(y[test], model.predict_proba(encoded[test])[:, 1]))
        hgb = _hgb(len(train), seed).fit(ordinal_x[train], y[train])
        aucs["hgb"].append(roc_auc_score(y[test], hgb.predict_proba(ordinal_x[test])[:, 1]))
    return {name: np.asarray(v) for name, v in aucs.items()}, len(y)


def select(aucs: dict[str, np.ndarray]) -> str:
    """The candidate with the highest mean repeated-split AUC (an exact tie: the simpler one)."""
    return max(CANDIDATES, key=lambda name: (float(np.mean(aucs[name])), -CANDIDATES.index(name)))


def corrected_interval(
    diffs: np.ndarray, test_share: float = TEST_SIZE, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean and confidence interval of a difference measured on repeated random splits, with the
    variance corrected for the overlap of the training sets (Nadeau & Bengio 2003):
    ``(1/J + n_test/n_train) · s²`` and a t distribution with J - 1 degrees of freedom."""
    j = len(diffs)
    mean = float(np.mean(diffs))
    if j < 2:
        return mean, -math.inf, math.inf
    var = (1 / j + test_share / (1 - test_share)) * float(np.var(diffs, ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, j - 1)) * math.sqrt(var)
    return mean, mean - half, mean + half


def _surrogate(
    encoded_train: np.ndarray,
    target_train: np.ndarray,
    encoded_test: np.ndarray,
    target_test: np.ndarray,
    seed: int,
) -> tuple[DecisionTreeRegressor, dict[str, float]]:
    """The readable tree that mimics the ranking model: depth and leaf size by 3-fold CV R² on
    (at most ``CV_MAX_ROWS`` of) the training part, ties to the shallower; then the strongest
    cost-complexity pruning within ``SURROGATE_TIE`` of the best. Fidelity on the held-out part."""
    idx = _sample(len(target_train), target_train > np.median(target_train), CV_MAX_ROWS, seed)
    cv_x, cv_y = encoded_train[idx], target_train[idx]
    folds = KFold(n_splits=3, shuffle=True, random_state=seed)

    def search(params: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        return (
            GridSearchCV(
                DecisionTreeRegressor(random_state=seed, **base),
                params,
                scoring="r2",
                cv=folds,
                n_jobs=1,
                refit=False,
            )
            .fit(cv_x, cv_y)
            .cv_results_
        )

    cv = search(SURROGATE_GRID, {})
    shape = cv["params"][
        _pick(cv, SURROGATE_TIE, lambda i: (cv["param_max_depth"][i], -cv["param_min_samples_leaf"][i]))
    ]
    scale = float(np.var(cv_y)) or 1.0
    pruned = search({"ccp_alpha": [a * scale for a in SURROGATE_PRUNE]}, shape)
    pick = _pick(pruned, SURROGATE_TIE, lambda i: -pruned["param_ccp_alpha"][i])
    params = {**shape, **pruned["params"][pick]}
    tree = DecisionTreeRegressor(random_state=seed, **params).fit(encoded_train, target_train)
    mimic = tree.predict(encoded_test)
    resid = float(np.sum((target_test - mimic) ** 2))
    total = float(np.sum((target_test - target_test.mean()) ** 2))
    k = max(1, math.ceil(len(target_test) * 0.1))
    top_model = set(np.argsort(-target_test, kind="stable")[:k])
    top_mimic = set(np.argsort(-mimic, kind="stable")[:k])
    rho = stats.spearmanr(target_test, mimic).statistic if np.std(mimic) > 0 else 0.0
    return tree, {
        "r2": round(1 - resid / total if total else 1.0, 4),
        "spearman": round(float(np.nan_to_num(rho)), 4),
        "top_decile_agreement": round(len(top_model & top_mimic) / k, 4),
        "depth": int(tree.get_depth()),
        "leaves": int(tree.get_n_leaves()),
    }


def train_group(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    product_group: str,
    codes: Codes,
    *,
    seed: int = 0,
    top_share: float = 0.2,
    label: str = DEFAULT_LABEL,
    orders: pd.DataFrame | None = None,
    today: date | None = None,
) -> GroupModel:
    """Train, select, validate and explain the model of one product group (on one thread)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return _train_group(features, customers, product_group, codes, seed, top_share, label, orders, today)


def _train_group(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    product_group: str,
    codes: Codes,
    seed: int,
    top_share: float,
    label: str,
    orders: pd.DataFrame | None,
    today: date | None,
) -> GroupModel:
    values = label_values(customers, product_group, label, orders, today)
    good, threshold = good_customers(values, top_share)
    known = values.index.intersection(features.index)
    x = features.loc[known, FEATURES].copy()
    x["age_years"] = x["age_years"].fillna(-1.0)
    y = good.loc[known].to_numpy()
    positives = int(y.sum())
    if len(y) < MIN_ROWS or positives < MIN_POSITIVES or len(y) - positives < MIN_POSITIVES:
        raise TooLittleDataError(
            f"product group {product_group!r}: {len(y)} buyers with registry data, {positives} good "
            f"(top {top_share:.0%} by {DESCRIPTIONS[label]}) — need at least {MIN_ROWS} buyers and "
            f"{MIN_POSITIVES} good and {MIN_POSITIVES} other to train and validate on held-out splits"
        )
    margin = values.loc[known, "gross_margin"].to_numpy()
    x_train, x_test, y_train, y_test, m_train, _ = train_test_split(
        x, y, margin, test_size=TEST_SIZE, stratify=y, random_state=seed
    )
    n = len(y_train)
    encode = _one_hot().fit(x)  # unsupervised: the categories of every buyer
    e_train, e_test = np.asarray(encode.transform(x_train)), np.asarray(encode.transform(x_test))
    categories = {col: sorted(x[col].astype(str).unique()) for col in CATEGORICAL}
    o_train, o_test = ordinal(x_train, categories), ordinal(x_test, categories)

    # selection and the publish gate: the training part only (the test part stays unseen)
    tree_params, tree_cv = _tune_tree(e_train, y_train, seed)
    aucs, n_rep = _repeated(e_train, o_train, y_train, tree_params, seed)
    kind = select(aucs)
    gain, low, high = corrected_interval(aucs[kind] - 0.5)
    repeated = Repeated(
        REPEATS,
        n_rep,
        {k: float(v.mean()) for k, v in aucs.items()},
        float(aucs[kind].mean()),
        gain,
        low,
        high,
    )

    tree = _tree(seed, **tree_params).fit(e_train, y_train)
    reference = _reference(seed).fit(e_train, y_train)
    hgb: Any = (_calibrated if kind == "hgb" else _hgb)(n, seed).fit(o_train, y_train)
    p_test = {
        "tree": tree.predict_proba(e_test)[:, 1],
        "reference": reference.predict_proba(e_test)[:, 1],
        "hgb": hgb.predict_proba(o_test)[:, 1],
    }
    candidates = {name: _metrics(y_test, p_test[name], n) for name in CANDIDATES}
    baseline = _metrics(y_test, np.full(len(y_test), float(y_train.mean())), n)
    base_rate = float(y_train.mean())
    ranker: Any = {"tree": tree, "reference": reference, "hgb": hgb}[kind]
    if kind == "tree":
        explainer = tree
        fidelity = {"r2": 1.0, "spearman": 1.0, "top_decile_agreement": 1.0}
        fidelity |= {"depth": int(tree.get_depth()), "leaves": int(tree.get_n_leaves())}
    else:
        p_train = ranker.predict_proba(e_train if kind == "reference" else o_train)[:, 1]
        explainer, fidelity = _surrogate(
            e_train, balanced(p_train, base_rate), e_test, balanced(p_test[kind], base_rate), seed
        )
    iterations = hgb.calibrated_classifiers_[0].estimator.n_iter_ if kind == "hgb" else hgb.n_iter_
    params = {**tree_params, "tree_cv_auc": round(tree_cv, 4), "hgb_iterations": int(iterations)}
    model = GroupModel(
        product_group=product_group,
        label=label,
        kind=kind,
        encode=encode,
        explainer=explainer,
        ranker=ranker,
        categories=categories,
        params=params,
        metrics=candidates[kind],
        baseline=baseline,
        candidates=candidates,
        repeated=repeated,
        fidelity=fidelity,
        leaves={},
        threshold=threshold,
        base_rate=base_rate,
        test_scores=p_test[kind],
        test_labels=y_test,
        test_ids=np.asarray(x_test.index, dtype=object),
    )
    model.leaves = explain_leaves(encode, explainer, x_train, y_train, m_train, codes, e_train)
    return model


def train_all(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    codes: Codes,
    *,
    seed: int = 0,
    top_share: float = 0.2,
    label: str = DEFAULT_LABEL,
    orders: pd.DataFrame | None = None,
    today: date | None = None,
    progress: Any = None,
) -> tuple[dict[str, GroupModel], dict[str, str]]:
    """Every product group's model; groups with too little data are listed with the reason."""
    models: dict[str, GroupModel] = {}
    refused: dict[str, str] = {}
    for pg in sorted(customers["product_group"].unique()):
        try:
            models[pg] = train_group(
                features,
                customers,
                pg,
                codes,
                seed=seed,
                top_share=top_share,
                label=label,
                orders=orders,
                today=today,
            )
        except TooLittleDataError as exc:
            refused[pg] = str(exc)
        if progress is not None:
            progress()
    return models, refused
