"""The linking evaluation script on the dev part of the labelled set (the held-out part is read only
by ``make eval``)."""

from __future__ import annotations

from bench import eval_linking


def test_linker_on_the_dev_part_beats_the_prefix_baseline() -> None:
    entries = eval_linking.index()
    docs = eval_linking.documents("dev")
    assert len(docs) >= 70 and sum(1 for d in docs for g in d.gold if g.company_id) >= 400
    linker = eval_linking.score(docs, eval_linking.linker_spans(entries))
    prefix = eval_linking.score(docs, eval_linking.prefix_matcher(entries))
    assert linker.precision >= 0.95 and linker.recall >= 0.90, (linker.precision, linker.recall)
    assert linker.precision > prefix.precision and linker.recall > prefix.recall


def test_scoring_counts_overlaps_once_and_look_alikes_as_false_positives() -> None:
    doc = eval_linking.Doc(
        "d",
        "Nokian tulos ja Nokian kaupunki",
        (eval_linking.Gold(0, 6, "nokia", "plain"), eval_linking.Gold(16, 22, None, "not: place")),
    )
    s = eval_linking.score([doc], lambda text: [(0, 6, "nokia"), (0, 3, "nokia"), (16, 22, "nokia")])
    assert (s.tp, s.fp, s.gold) == (1, 2, 1)
    assert s.fp_by == {"plain": 1, "not: place": 1}
