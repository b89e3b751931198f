from __future__ import annotations

from sqlalchemy import select

from triggerwatch.core.db import Database, UnlinkedMention
from triggerwatch.text.linker import CompanyLinker
from triggerwatch.text.store import record_unlinked


def test_unlinked_mentions_are_recorded_once(db: Database) -> None:
    linker = CompanyLinker.from_names([("1927400-1", "Kone Oyj"), ("a", "Tala Oy"), ("b", "Tala Ky")])
    text = "Kone toimitti hissit. Talan tulos parani."
    result = linker.analyse(text)
    assert result.mentions == []
    with db.session() as s:
        assert record_unlinked(s, text, result.unlinked, source="ampparit-news", event_id="e1") == 2
        assert record_unlinked(s, text, result.unlinked, source="ampparit-news", event_id="e1") == 0
    with db.session() as s:
        rows = s.scalars(select(UnlinkedMention).order_by(UnlinkedMention.start)).all()
        assert [(r.surface, r.candidates, r.source) for r in rows] == [
            ("Kone", ["1927400-1"], "ampparit-news"),
            ("Talan", ["a", "b"], "ampparit-news"),
        ]
        assert rows[0].reason.startswith("common word") and rows[1].context == text
        assert rows[0].created_at.tzinfo is not None
