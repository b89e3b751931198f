"""The FiNER ORG-linking evaluation (CC BY-NC-ND articles read in place; skipped when absent)."""

from __future__ import annotations

import pytest

from bench import finer_eval

DIRECTORY = finer_eval.finer_dir()
pytestmark = pytest.mark.skipif(DIRECTORY is None, reason="FiNER articles not available")


def test_org_linking_precision_and_recall_with_5000_distractors() -> None:
    result = finer_eval.evaluate(5000, DIRECTORY)
    assert result is not None
    # ORG annotations of the 4 articles that name a company (see finer_eval); 59 since "Bloomberg LP"
    # normalises to "bloomberg" (LP is a legal form), so the annotation "Bloomberg" names it
    assert result.gold == 59
    assert result.precision >= 0.95, result.errors
    assert result.recall >= 0.90, result.errors


def test_gold_mapping_of_annotations() -> None:
    assert finer_eval.company_of("Nokian hallitus") == "nokia"
    assert finer_eval.company_of("NSN:n") == "nsn"
    assert finer_eval.company_of("Sun Microsystemsin") == "sun"
    assert finer_eval.company_of("Here-liiketoiminnan") is None
    assert finer_eval.company_of("Mozilla Blogin") is None


def test_distractors_are_many_and_distinct() -> None:
    rows = finer_eval.distractors(5000)
    assert len(rows) == 5000 and len({name for _, name in rows}) == 5000
    assert ("d-common-0", "Kone Oyj") in rows
