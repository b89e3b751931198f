"""Dead-letter replay validates what it sends and audits who did what and when; the ops page can
view a bad item, correct it or dismiss it, and shows a refusal as a page with the reason."""

from __future__ import annotations

import html
import json
import re

from sqlalchemy import select

from tests.web.conftest import NOW, Web
from tests.web.test_api import worker_dead_letter
from tests.web.test_ops import login
from tests.web.test_ui import csrf_of
from triggerwatch.core.contracts import DeadLetterV1, example_payloads
from triggerwatch.core.db import DeadLetter, Outbox
from triggerwatch.core.outbox import store_dead_letter
from triggerwatch.web.auth import Role

# a feed entry the ampparit-news collector could not use (as the collector stores it: the entry's JSON)
FEED_ITEM = {"title": "", "link": "https://www.ampparit.com/redir.php?id=1", "id": "ampparit-1"}


def feed_dead_letter(web: Web) -> str:
    dl = DeadLetterV1.from_raw(
        stage="collect",
        reason="entry has neither title nor link",
        raw=json.dumps(FEED_ITEM),
        error_type="empty_entry",
        source="ampparit-news",
    )
    with web.db.session() as s:
        store_dead_letter(s, dl, publish=False)
    return dl.dead_letter_id


def corrected_news(**changes: object) -> dict[str, object]:
    event = {
        "schema_version": 1,
        "source": "ampparit-news",
        "source_item_id": "ampparit-1",
        "source_url": "https://www.ampparit.com/redir.php?id=1",
        "kind": "news",
        "occurred_at": NOW.isoformat(),
        "observed_at": NOW.isoformat(),
        "title": "Kela avaa uuden palvelukeskuksen",
    }
    return event | changes


def test_replay_refuses_made_up_events_and_audits_every_attempt(sqlite_web: Web) -> None:
    web = sqlite_web
    ops = web.as_(Role.OPS)
    worker_dl, feed_dl = worker_dead_letter(web), feed_dead_letter(web)
    raw = json.loads(example_payloads("events")["decision_maker_change_business_id.json"])
    refusals = [
        (worker_dl, raw | {"kind": "ops"}, "ops events"),
        (worker_dl, raw | {"source_item_id": "another"}, "event_id must be derived"),
        (worker_dl, raw | {"event_id": None}, "not a valid event"),
        (feed_dl, corrected_news(source="te-jobs-jyvaskyla"), "came from source 'ampparit-news'"),
    ]
    for dl_id, event, reason in refusals:
        resp = web.client.post(f"/api/v1/dead-letters/{dl_id}/replay", headers=ops, json={"event": event})
        assert resp.status_code == 422 and reason in resp.json()["detail"], resp.text
    # a correction must keep the identity of a raw payload that was an event
    other = json.loads(example_payloads("events")["news_no_company.json"])
    resp = web.client.post(f"/api/v1/dead-letters/{worker_dl}/replay", headers=ops, json={"event": other})
    assert resp.status_code == 422 and "keeps the event's identity" in resp.json()["detail"]
    with web.db.session() as s:
        assert s.scalars(
            select(Outbox).where(Outbox.topic_kind == "events", Outbox.published_at.is_(None))
        ).all()
        queued = {r.ref_id for r in s.scalars(select(Outbox).where(Outbox.topic_kind == "events"))}
    assert raw["event_id"] not in queued  # nothing refused was queued
    ok = web.client.post(f"/api/v1/dead-letters/{worker_dl}/replay", headers=ops)
    assert ok.status_code == 200
    fixed = web.client.post(
        f"/api/v1/dead-letters/{feed_dl}/replay", headers=ops, json={"event": corrected_news()}
    )
    assert fixed.status_code == 200  # the event id is derived from source and item id when left out
    one = web.client.get(f"/api/v1/dead-letters/{worker_dl}", headers=ops).json()
    actions = [(a["action"], a["actor"].split(" [")[0]) for a in one["actions"]]
    assert actions == [("refused", "ops@example.fi")] * 4 + [("replayed", "ops@example.fi")]
    assert all(a["at"] for a in one["actions"]) and one["actions"][-1]["event_id"] == raw["event_id"]
    feed = web.client.get(f"/api/v1/dead-letters/{feed_dl}", headers=ops).json()
    assert [a["action"] for a in feed["actions"]] == ["refused", "corrected"]
    assert json.loads(feed["actions"][-1]["payload"])["title"] == "Kela avaa uuden palvelukeskuksen"


def test_the_ops_page_views_corrects_and_dismisses_bad_items(sqlite_web: Web) -> None:
    web = sqlite_web
    feed_dl = feed_dead_letter(web)
    login(web, Role.OPS)
    ops_page = web.client.get("/ui/ops").text
    assert f'href="/ui/dead-letters/{feed_dl}"' in ops_page
    # the plain Replay button on a bad feed item: a page saying why, not a raw 422
    refused = web.client.post(f"/ui/dead-letters/{feed_dl}/replay", data={"csrf": csrf_of(ops_page)})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    assert 'id="replay-error"' in refused.text and "the raw payload is not a valid event" in refused.text
    assert "ampparit-1" in refused.text and 'id="correction"' in refused.text  # raw shown, form ready
    view = web.client.get(f"/ui/dead-letters/{feed_dl}").text
    assert '"source": "ampparit-news"' in html.unescape(view)  # the correction: an event of that source
    bad_json = web.client.post(
        f"/ui/dead-letters/{feed_dl}/replay", data={"csrf": csrf_of(view), "event": "{not json"}
    )
    assert bad_json.status_code == 422 and "{not json" in html.unescape(bad_json.text)  # kept for editing
    fixed = web.client.post(
        f"/ui/dead-letters/{feed_dl}/replay",
        data={"csrf": csrf_of(view), "event": json.dumps(corrected_news())},
        follow_redirects=False,
    )
    assert fixed.status_code == 303 and fixed.headers["location"].startswith("/ui/ops?replayed=")
    # another bad item is dismissed with a reason, and leaves the list of open ones
    worker_dl = worker_dead_letter(web)
    no_reason = web.client.post(f"/ui/dead-letters/{worker_dl}/dismiss", data={"csrf": csrf_of(view)})
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.text
    gone = web.client.post(
        f"/ui/dead-letters/{worker_dl}/dismiss", data={"csrf": csrf_of(view), "reason": "test post"}
    )
    assert gone.status_code == 200 and 'id="dismissed"' in gone.text
    assert (
        f'data-dead-letter="{worker_dl}"' not in gone.text
        and f'data-dead-letter="{feed_dl}"' not in gone.text
    )
    history = web.client.get(f"/ui/dead-letters/{worker_dl}").text
    rows = re.findall(r'<tr class="action-row">(.*?)</tr>', history, re.S)
    assert (
        len(rows) == 1 and "dismissed" in rows[0] and "ops@example.fi" in rows[0] and "test post" in rows[0]
    )
    with web.db.session() as s:
        dl = s.get(DeadLetter, worker_dl)
        assert dl is not None and dl.dismissed_at is not None and dl.replayed_at is None
