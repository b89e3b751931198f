"""Recording unlinked mentions so that ops can see what the linker refused to guess."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from triggerwatch.core.db import UnlinkedMention
from triggerwatch.text.linker import Unlinked


def record_unlinked(
    session: Session,
    text: str,
    unlinked: list[Unlinked],
    *,
    source: str | None = None,
    event_id: str | None = None,
    context_chars: int = 80,
) -> int:
    """Store each unlinked mention once (idempotent per event/text and offsets); returns how many are new."""
    anchor = event_id or hashlib.sha256(text.encode("utf-8")).hexdigest()
    new = 0
    for u in unlinked:
        mention_id = hashlib.sha256(f"{anchor}:{u.start}:{u.end}".encode()).hexdigest()
        if session.get(UnlinkedMention, mention_id) is not None:
            continue
        context = text[max(0, u.start - context_chars) : u.end + context_chars]
        session.add(
            UnlinkedMention(
                mention_id=mention_id,
                source=source,
                event_id=event_id,
                surface=u.surface[:500],
                start=u.start,
                end=u.end,
                reason=u.reason[:200],
                candidates=list(u.candidates),
                context=context,
            )
        )
        new += 1
    session.flush()
    return new
