"""Render an :class:`AlertV1` for people (text, Slack Block Kit, e-mail) and machines (CRM record).

A salesperson must act on an alert in ten seconds: *who*, *what happened*, *why it matters*, *what
to offer*, and a link to the evidence. Labels are English or Finnish (``lang`` argument, else
``alert.language``); the alert's own prose is shown as the worker wrote it.

Everything that came from a source (company names, titles, excerpts, URLs) is untrusted: Slack
mrkdwn gets ``&``, ``<``, ``>`` escaped, HTML goes through Jinja2 with autoescape on, and only
``http(s)`` URLs ever become links.
"""

from __future__ import annotations

import re
from typing import Any, Final

from jinja2 import Environment

from triggerwatch.core.contracts import AlertV1, EventKind, Evidence, Priority

LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "alert": "Alert",
        "company": "Company",
        "business_id": "Business ID",
        "priority": "Priority",
        "what_happened": "What happened",
        "why_it_matters": "Why it matters",
        "recommended_offer": "Recommended offer",
        "product_group": "product group",
        "target_group": "Target group",
        "score": "score",
        "next_step": "Next step",
        "evidence": "Evidence",
        "no_evidence": "No evidence links",
        "unknown_company": "Unknown company",
        "occurred": "Occurred",
        "footer": "Sent by triggerwatch",
    },
    "fi": {
        "alert": "Hälytys",
        "company": "Yritys",
        "business_id": "Y-tunnus",
        "priority": "Prioriteetti",
        "what_happened": "Mitä tapahtui",
        "why_it_matters": "Miksi tämä on tärkeää",
        "recommended_offer": "Suositeltu tarjous",
        "product_group": "tuoteryhmä",
        "target_group": "Kohderyhmä",
        "score": "pisteet",
        "next_step": "Seuraava askel",
        "evidence": "Lähteet",
        "no_evidence": "Ei lähdelinkkejä",
        "unknown_company": "Tuntematon yritys",
        "occurred": "Tapahtui",
        "footer": "Lähettäjä: triggerwatch",
    },
}

KIND_LABELS: Final[dict[str, dict[EventKind, str]]] = {
    "en": {
        EventKind.REGISTRATION: "New company registered",
        EventKind.DECISION_MAKER_CHANGE: "Decision-maker change",
        EventKind.RECRUITMENT: "Recruitment",
        EventKind.PROCUREMENT_PLANNED: "Planned procurement",
        EventKind.PROCUREMENT_OPEN: "Open tender",
        EventKind.CONTRACT_AWARDED: "Contract awarded",
        EventKind.NEWS: "News",
        EventKind.EXPANSION: "Expansion",
        EventKind.FUNDING: "Funding",
        EventKind.LAYOFFS: "Layoffs",
        EventKind.REGISTRY_CHANGE: "Registry change",
        EventKind.BANKRUPTCY: "Bankruptcy",
        EventKind.MERGER: "Merger or acquisition",
        EventKind.OPS: "Operations",
    },
    "fi": {
        EventKind.REGISTRATION: "Uusi yritys rekisteröity",
        EventKind.DECISION_MAKER_CHANGE: "Päättäjävaihdos",
        EventKind.RECRUITMENT: "Rekrytointi",
        EventKind.PROCUREMENT_PLANNED: "Suunniteltu hankinta",
        EventKind.PROCUREMENT_OPEN: "Avoin tarjouskilpailu",
        EventKind.CONTRACT_AWARDED: "Hankintapäätös tehty",
        EventKind.NEWS: "Uutinen",
        EventKind.EXPANSION: "Laajentuminen",
        EventKind.FUNDING: "Rahoitus",
        EventKind.LAYOFFS: "Irtisanomiset",
        EventKind.REGISTRY_CHANGE: "Rekisterimuutos",
        EventKind.BANKRUPTCY: "Konkurssi",
        EventKind.MERGER: "Yrityskauppa tai fuusio",
        EventKind.OPS: "Ylläpito",
    },
}

PRIORITY_LABELS: Final[dict[str, dict[Priority, str]]] = {
    "en": {Priority.HIGH: "HIGH", Priority.MEDIUM: "MEDIUM", Priority.LOW: "LOW"},
    "fi": {Priority.HIGH: "KORKEA", Priority.MEDIUM: "KESKITASO", Priority.LOW: "MATALA"},
}
PRIORITY_EMOJI: Final[dict[Priority, str]] = {Priority.HIGH: "🔴", Priority.MEDIUM: "🟠", Priority.LOW: "⚪"}

SLACK_TEXT_LIMIT: Final = 3000  # section text
SLACK_FIELD_LIMIT: Final = 2000  # section field, context element
SLACK_HEADER_LIMIT: Final = 150  # header (plain_text)
MAX_EVIDENCE: Final = 5

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------------
# helpers


def resolve_language(alert: AlertV1, lang: str | None = None) -> str:
    chosen = lang or alert.language
    return chosen if chosen in LABELS else "en"


def clean(text: str | None) -> str:
    """Drop control characters (terminal escapes, NULs) but keep newlines and tabs."""
    return _CONTROL.sub("", text or "").strip()


def one_line(text: str | None) -> str:
    return _SPACES.sub(" ", clean(text))


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs become links (no ``javascript:``, ``data:``, ...)."""
    url = one_line(url)
    if re.match(r"^https?://[^\s]+$", url, flags=re.IGNORECASE):
        return url
    return None


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit_mrkdwn(text: str, limit: int) -> str:
    """Escape for mrkdwn and truncate so the *escaped* text fits (never cutting an entity)."""
    raw = clean(text)
    escaped = escape_mrkdwn(truncate(raw, limit))
    while len(escaped) > limit:
        raw = raw[: max(0, len(raw) - (len(escaped) - limit) - 1)]
        escaped = escape_mrkdwn(truncate(raw + "…", limit))
    return escaped


def company_label(alert: AlertV1, lang: str) -> str:
    name = one_line(alert.company.name) or LABELS[lang]["unknown_company"]
    bid = alert.company.business_id
    return f"{name} ({bid})" if bid else name


def kind_label(alert: AlertV1, lang: str) -> str:
    return KIND_LABELS[lang].get(alert.kind, str(alert.kind))


def priority_label(alert: AlertV1, lang: str) -> str:
    return PRIORITY_LABELS[lang][alert.priority]


def offer_label(alert: AlertV1, lang: str) -> str:
    """``Offer (product group: X)``, or just ``X`` when the offer is the product group itself."""
    group = one_line(alert.product_group)
    offer = one_line(alert.recommended_offer) or group
    return offer if offer == group else f"{offer} ({LABELS[lang]['product_group']}: {group})"


def target_label(alert: AlertV1, lang: str) -> str:
    rule = one_line(alert.explanation.target_group_rule)
    return f"{rule} ({LABELS[lang]['score']} {alert.score:.2f}, {one_line(alert.target_group_id)})"


def headline(alert: AlertV1, lang: str | None = None) -> str:
    """One line: ``[HIGH] Kela (0246246-0) · Recruitment → Offer``."""
    lg = resolve_language(alert, lang)
    offer = one_line(alert.recommended_offer) or one_line(alert.product_group)
    return f"[{priority_label(alert, lg)}] {company_label(alert, lg)} · {kind_label(alert, lg)} → {offer}"


def evidence_label(ev: Evidence) -> str:
    title = one_line(ev.title) or one_line(ev.source)
    if ev.published_at is not None:
        return f"{title} ({one_line(ev.source)}, {ev.published_at.date().isoformat()})"
    return f"{title} ({one_line(ev.source)})"


# ---------------------------------------------------------------------------------------------------
# plain text


def render_text(alert: AlertV1, lang: str | None = None) -> str:
    lg = resolve_language(alert, lang)
    labels = LABELS[lg]
    ex = alert.explanation
    lines = [
        headline(alert, lg),
        f"{labels['what_happened']}: {clean(ex.what_happened)}",
        f"{labels['why_it_matters']}: {clean(ex.why_it_matters)}",
        f"{labels['recommended_offer']}: {offer_label(alert, lg)}",
        f"{labels['target_group']}: {target_label(alert, lg)}",
        f"{labels['next_step']}: {clean(ex.next_step)}",
        f"{labels['occurred']}: {alert.occurred_at.isoformat()}",
        f"{labels['evidence']}:",
    ]
    evidence = alert.evidence[:MAX_EVIDENCE]
    for ev in evidence:
        url = safe_url(ev.url)
        lines.append(f"  - {evidence_label(ev)}" + (f" {url}" if url else ""))
    if not evidence:
        lines.append(f"  - {labels['no_evidence']}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------
# Slack Block Kit


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _field(label: str, value: str) -> dict[str, str]:
    prefix = f"*{label}*\n"
    return _mrkdwn(prefix + fit_mrkdwn(value, SLACK_FIELD_LIMIT - len(prefix)))


def _slack_link(ev: Evidence) -> str:
    label = fit_mrkdwn(evidence_label(ev).replace("|", "¦"), 300)
    url = safe_url(ev.url)
    if url is None or len(url) > 1000:
        return label
    return f"<{escape_mrkdwn(url).replace('|', '%7C')}|{label}>"


def _evidence_mrkdwn(alert: AlertV1, labels: dict[str, str]) -> str:
    """Whole links only (a cut link would break the markup), as many as fit the element."""
    text = f"*{labels['evidence']}:* "
    links = [_slack_link(ev) for ev in alert.evidence[:MAX_EVIDENCE]]
    if not links:
        return text + labels["no_evidence"]
    text += links[0] if len(text) + len(links[0]) <= SLACK_FIELD_LIMIT else escape_mrkdwn("…")
    for link in links[1:]:
        if len(text) + 3 + len(link) > SLACK_FIELD_LIMIT:
            break
        text += " · " + link
    return text


def render_slack_fallback(alert: AlertV1, lang: str | None = None) -> str:
    """The notification text (mrkdwn, so escaped): shown in pushes and by clients without blocks."""
    return fit_mrkdwn(headline(alert, lang), SLACK_TEXT_LIMIT)


def render_blocks(alert: AlertV1, lang: str | None = None) -> list[dict[str, Any]]:
    lg = resolve_language(alert, lang)
    labels = LABELS[lg]
    ex = alert.explanation
    header = f"{PRIORITY_EMOJI[alert.priority]} {priority_label(alert, lg)} · {company_label(alert, lg)}"
    what = f"*{escape_mrkdwn(kind_label(alert, lg))}*\n"
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": fit_mrkdwn(header, SLACK_HEADER_LIMIT), "emoji": True},
        },
        {
            "type": "section",
            "text": _mrkdwn(what + fit_mrkdwn(ex.what_happened, SLACK_TEXT_LIMIT - len(what))),
            "fields": [
                _field(labels["why_it_matters"], ex.why_it_matters),
                _field(labels["recommended_offer"], offer_label(alert, lg)),
                _field(labels["target_group"], target_label(alert, lg)),
                _field(labels["next_step"], ex.next_step),
            ],
        },
        {"type": "context", "elements": [_mrkdwn(_evidence_mrkdwn(alert, labels))]},
    ]


# ---------------------------------------------------------------------------------------------------
# e-mail

_env = Environment(autoescape=True, keep_trailing_newline=True)
_EMAIL_HTML = _env.from_string(
    """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.4">
<h2 style="margin-bottom: 0.2em">{{ priority }} · {{ company }}</h2>
<p style="margin-top: 0"><strong>{{ kind }}</strong> · {{ l.occurred }} {{ occurred }}</p>
<table cellpadding="4" style="border-collapse: collapse">
{% for label, value in rows %}<tr><th align="left" valign="top">{{ label }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>
<h3>{{ l.evidence }}</h3>
<ul>
{% for ev in evidence %}<li>
{%- if ev.url %}<a href="{{ ev.url }}">{{ ev.label }}</a>{% else %}{{ ev.label }}{% endif %}
{% if ev.excerpt %}<br><em>{{ ev.excerpt }}</em>{% endif %}</li>
{% else %}<li>{{ l.no_evidence }}</li>
{% endfor %}</ul>
<p style="color: #777; font-size: small">{{ l.footer }} · {{ alert_id }}</p>
</body></html>
"""
)


def render_email(alert: AlertV1, lang: str | None = None) -> tuple[str, str, str]:
    """``(subject, text, html)``; the subject is one line (no header injection)."""
    lg = resolve_language(alert, lang)
    labels = LABELS[lg]
    ex = alert.explanation
    subject = truncate(one_line(headline(alert, lg)), 200)
    rows = [
        (labels["what_happened"], clean(ex.what_happened)),
        (labels["why_it_matters"], clean(ex.why_it_matters)),
        (labels["recommended_offer"], offer_label(alert, lg)),
        (labels["target_group"], target_label(alert, lg)),
        (labels["next_step"], clean(ex.next_step)),
    ]
    evidence = [
        {"url": safe_url(ev.url), "label": evidence_label(ev), "excerpt": truncate(clean(ev.excerpt), 500)}
        for ev in alert.evidence[:MAX_EVIDENCE]
    ]
    html = _EMAIL_HTML.render(
        lang=lg,
        subject=subject,
        priority=priority_label(alert, lg),
        company=company_label(alert, lg),
        kind=kind_label(alert, lg),
        occurred=alert.occurred_at.isoformat(),
        rows=rows,
        evidence=evidence,
        l=labels,
        alert_id=alert.alert_id,
    )
    return subject, render_text(alert, lg), html


# ---------------------------------------------------------------------------------------------------
# CRM


def render_crm(alert: AlertV1) -> dict[str, Any]:  # the base record; see trigger_record
    """A JSON trigger record for a CRM (stable keys; datetimes as ISO 8601 strings)."""
    ex = alert.explanation
    return {
        "schema": "triggerwatch.trigger.v1",
        "alert_id": alert.alert_id,
        "event_ids": list(alert.event_ids),
        "kind": str(alert.kind),
        "company": {"business_id": alert.company.business_id, "name": alert.company.name},
        "product_group": alert.product_group,
        "target_group_id": alert.target_group_id,
        "recommended_offer": alert.recommended_offer,
        "score": alert.score,
        "priority": str(alert.priority),
        "priority_score": alert.priority_score,
        "explanation": {
            "what_happened": ex.what_happened,
            "why_it_matters": ex.why_it_matters,
            "target_group_rule": ex.target_group_rule,
            "next_step": ex.next_step,
        },
        "evidence": [
            {
                "url": ev.url,
                "source": ev.source,
                "title": ev.title,
                "excerpt": ev.excerpt,
                "published_at": ev.published_at.isoformat() if ev.published_at else None,
            }
            for ev in alert.evidence
        ],
        "owner": alert.routing.owner,
        "language": alert.language,
        "occurred_at": alert.occurred_at.isoformat(),
        "created_at": alert.created_at.isoformat(),
    }


def trigger_record(alert: AlertV1) -> dict[str, Any]:
    """The CRM trigger record of an alert: what the CRM webhook sends, the pull API and CSV export.

    ``alert_id`` is stable across revisions: a record with a higher ``revision`` is an update of
    the same trigger (more evidence, higher confidence) and should replace it (upsert by
    ``alert_id``).
    """
    record = render_crm(alert)
    record |= {
        "revision": alert.revision,
        "confidence": alert.confidence,
        "sources": list(alert.sources),
        "dedup_key": alert.dedup_key,
        "facts": dict(alert.facts),
        "channels": list(alert.routing.channels),
    }
    return record


def digest_lines(alerts: list[AlertV1], lang: str | None = None) -> list[str]:
    """One plain-text line per alert of a digest, highest priority first."""
    order = {"high": 0, "medium": 1, "low": 2}
    lines = []
    for alert in sorted(alerts, key=lambda a: (order.get(str(a.priority), 3), -a.priority_score)):
        link = next((safe_url(ev.url) for ev in alert.evidence if safe_url(ev.url)), None)
        what = one_line(alert.explanation.what_happened)
        line = f"[{alert.priority}] {what} → {one_line(alert.product_group)}"
        lines.append(f"{line} {link}" if link else line)
    return lines


def render_digest(owner: str | None, alerts: list[AlertV1], period: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest."""
    import html

    subject = f"triggerwatch {period} digest for {owner or 'the sales team'}: {len(alerts)} alert(s)"
    lines = digest_lines(alerts)
    text = subject + "\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    body = f"<html><body><h2>{html.escape(subject)}</h2><ul>{items}</ul></body></html>"
    return subject, text, body
