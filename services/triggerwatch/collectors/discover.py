"""``triggerwatch sources discover``: find a company's job ads and write a source entry for them.

From the company's website (``companies.website``, filled from YTJ by ``registry load``): the home
page, then its careers pages (links whose text or address says careers / ura / rekry / työpaikat /
jobb / karriär …), each read through robots.txt, at most one request per host per ``interval_s``
and conditionally (ETag / Last-Modified kept in a small cache file, so a second run costs 304s).
On those pages it looks for

1. a known applicant-tracking system: links, scripts and iframes to Teamtailor, Recruitee,
   Greenhouse, Lever, SmartRecruiters, Workday or a ReachMee RSS export, or a page advertising a
   Teamtailor-style ``jobs.rss`` feed (``<link rel="alternate" type="application/rss+xml">``);
2. else schema.org ``JobPosting`` markup (JSON-LD or microdata) on a careers page.

The best find becomes a *disabled* source entry (employer = the company's business ID), verified
by one fetch through the collector when possible; the user reviews and enables it. Laura has no
public feed: a Laura career page is found only through its JobPosting markup, if it has any.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from sqlalchemy import select

from triggerwatch.collectors.base import CursorState
from triggerwatch.collectors.html import decode_html
from triggerwatch.collectors.jobposting import job_postings
from triggerwatch.collectors.registry import build_source
from triggerwatch.core.db import Company, CompanyScore, Database
from triggerwatch.core.errors import ConfigError, InvalidInputError, TransientError
from triggerwatch.core.http import FetchedDocument, HttpFetcher
from triggerwatch.core.sources import SourceConfig

CAREER_WORDS = re.compile(
    r"career|careers|jobs|join[- ]us|work[- ]with[- ]us|vacanc|open[- ]positions|"
    r"\bura\b|urat|ura-|rekry|työpaik|tyopaik|avoimet|töihin|toihin|"
    r"lediga|jobb|karriär|karriar",
    re.IGNORECASE,
)

# (family, pattern over an absolute URL, options from the match)
ATS_PATTERNS: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], dict[str, Any]]]] = [
    (
        "teamtailor",
        re.compile(r"^https?://([a-z0-9-]+)\.teamtailor\.com(?:/|$)"),
        lambda m: {"company": m.group(1)},
    ),
    (
        "recruitee",
        re.compile(r"^https?://([a-z0-9-]+)\.recruitee\.com(?:/|$)"),
        lambda m: {"company": m.group(1)},
    ),
    (
        "greenhouse",
        re.compile(
            r"^https?://(?:boards|job-boards)(?:\.eu)?\.greenhouse\.io/"
            r"(?:embed/job_board(?:/js)?\?for=)?([A-Za-z0-9_-]+)"
        ),
        lambda m: {"board": m.group(1)},
    ),
    (
        "greenhouse",
        re.compile(r"^https?://boards-api\.greenhouse\.io/v1/boards/([A-Za-z0-9_-]+)"),
        lambda m: {"board": m.group(1)},
    ),
    (
        "lever",
        re.compile(r"^https?://jobs\.(eu\.)?lever\.co/([A-Za-z0-9_.-]+)"),
        lambda m: {"site": m.group(2), **({"eu": True} if m.group(1) else {})},
    ),
    (
        "smartrecruiters",
        re.compile(r"^https?://(?:jobs|careers)\.smartrecruiters\.com/([A-Za-z0-9_.-]+)"),
        lambda m: {"company": m.group(1)},
    ),
    (
        "workday",
        re.compile(
            r"^(https?://[a-z0-9-]+\.wd\d+\.myworkdayjobs\.com/(?:[a-z]{2}-[A-Z]{2}/)?[A-Za-z0-9_-]+)"
        ),
        lambda m: {"career_site": m.group(1)},
    ),
    (
        "reachmee",
        re.compile(r"^(https?://site\d+\.reachmee\.com/Public/rssfeed/external\.ashx\?\S+)", re.IGNORECASE),
        lambda m: {"url": m.group(1)},
    ),
]
_SKIP = ("mailto:", "tel:", "javascript:", "#")
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning, module=__name__)  # feeds are looked at too


@dataclass(frozen=True)
class Find:
    """A way to read a company's job ads: a source type, its options and the evidence."""

    type: str
    options: dict[str, Any]
    evidence: str  # what was seen where


def page_urls(html: str, base_url: str) -> list[tuple[str, str]]:
    """Pure: (absolute URL, text) of a page's links, scripts, iframes and alternate links."""
    soup = BeautifulSoup(html, "html.parser")
    out: list[tuple[str, str]] = []
    for node in soup.find_all(["a", "link", "script", "iframe"]):
        if not isinstance(node, Tag):
            continue
        ref = node.get("href") or node.get("src")
        if not isinstance(ref, str) or not ref.strip() or ref.strip().startswith(_SKIP):
            continue
        text = " ".join(
            [node.get_text(" ", strip=True), str(node.get("title") or ""), str(node.get("type") or "")]
        )
        out.append((urljoin(base_url, html_lib.unescape(ref.strip())), text))
    return out


def detect_ats(html: str, base_url: str) -> list[Find]:
    """Pure: the applicant-tracking systems a page links to, embeds or advertises a feed of."""
    finds: list[Find] = []
    soup = BeautifulSoup(html, "html.parser")
    for url, _ in page_urls(html, base_url):
        for family, pattern, options in ATS_PATTERNS:
            m = pattern.match(url)
            if m:
                finds.append(Find(family, options(m), f"{family} link {url} on {base_url}"))
                break
    for link in soup.find_all("link", attrs={"rel": "alternate"}):
        href = link.get("href") if isinstance(link, Tag) else None
        kind = str(link.get("type") or "") if isinstance(link, Tag) else ""
        if isinstance(href, str) and "rss" in kind and urlsplit(href).path.endswith("/jobs.rss"):
            feed = urljoin(base_url, href)
            finds.append(Find("teamtailor", {"url": feed}, f"jobs.rss feed {feed} advertised by {base_url}"))
    unique: dict[str, Find] = {}
    for f in finds:
        unique.setdefault(json.dumps([f.type, f.options], sort_keys=True), f)
    return list(unique.values())


def career_links(html: str, base_url: str, limit: int = 3) -> list[str]:
    """Pure: the page's links that look like careers pages, own site first."""
    own = urlsplit(base_url).netloc
    found: list[str] = []
    for url, text in page_urls(html, base_url):
        if not url.startswith("http") or url in found or url.rstrip("/") == base_url.rstrip("/"):
            continue
        if CAREER_WORDS.search(text) or CAREER_WORDS.search(urlsplit(url).path):
            found.append(url)
    found.sort(key=lambda u: urlsplit(u).netloc != own)
    return found[:limit]


# ---------------------------------------------------------------------------------------- crawling
@dataclass
class PoliteFetcher:
    """GETs through the collectors' fetcher: robots.txt, one request per host per ``interval_s``
    (the fetcher's token bucket), conditional requests from a cache of validators and bodies."""

    http: HttpFetcher
    interval_s: float = 10.0
    cache: dict[str, dict[str, str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def get(self, url: str) -> tuple[str, str] | None:
        """(HTML, final URL), or None when robots.txt refuses it or it cannot be fetched."""
        if not self.http.allowed(url):
            self.refused.append(url)
            return None
        self.http.limit_rate(url, 60.0 / self.interval_s, burst=1)
        cached = self.cache.get(url, {})
        try:
            doc: FetchedDocument = self.http.get(
                url, etag=cached.get("etag"), last_modified=cached.get("last_modified")
            )
        except (TransientError, InvalidInputError):
            return None
        if doc.not_modified and "body" in cached:
            return cached["body"], cached.get("url", url)
        text, _ = decode_html(doc.content, doc.headers.get("content-type"))
        if doc.headers.get("etag") or doc.headers.get("last-modified"):
            self.cache[url] = {
                "etag": doc.headers.get("etag", ""),
                "last_modified": doc.headers.get("last-modified", ""),
                "body": text[:500_000],
                "url": doc.url,
            }
        return text, doc.url


@dataclass
class Discovery:
    business_id: str
    name: str
    website: str | None
    find: Find | None = None
    entry: dict[str, Any] | None = None
    items: int | None = None  # ads found when the entry was tried once
    note: str = ""


def discover_company(
    business_id: str, name: str, website: str | None, fetcher: PoliteFetcher, max_pages: int = 6
) -> Discovery:
    result = Discovery(business_id, name, website)
    if not website:
        result.note = "no website in the company register (load it from YTJ: triggerwatch registry load)"
        return result
    home_url = website if "://" in website else f"https://{website}"
    home = fetcher.get(home_url)
    if home is None:
        result.note = f"home page {home_url} not readable" + (
            " (robots.txt)" if home_url in fetcher.refused else ""
        )
        return result
    pages = [home]
    queue, tried = career_links(*home), {home_url, home[1]}
    while queue and len(tried) < max_pages:  # careers pages, and the ATS pages they link to
        link = queue.pop(0)
        if link in tried:
            continue
        tried.add(link)
        page = fetcher.get(link)
        if page is not None:
            pages.append(page)
            queue += [u for u in career_links(*page) if u not in tried]
    ats = [f for html, url in pages for f in detect_ats(html, url)]
    markup = [
        Find("jobposting", {"url": url}, f"{len(posts)} JobPosting(s) on {url}")
        for html, url in pages[1:] or pages
        if (posts := job_postings(html, url))
    ]
    if ats or markup:
        result.find = (ats or markup)[0]
    else:
        refused = f"; robots.txt refused {', '.join(fetcher.refused)}" if fetcher.refused else ""
        result.note = f"no ATS or JobPosting markup on {', '.join(u for _, u in pages)}{refused}"
    return result


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower().translate(str.maketrans("äöåé", "aoae"))).strip("-")
    return (s[:50] or "company") + "-jobs"


def make_entry(d: Discovery) -> dict[str, Any]:
    assert d.find is not None
    return {
        "name": slug(d.name),
        "type": d.find.type,
        "enabled": False,
        "expected_interval_s": 14 * 86400,
        "licence": "the employer's public job ads; headlines and links",
        "options": {**d.find.options, "business_id": d.business_id, "employer": d.name},
    }


def try_entry(entry: dict[str, Any], http: HttpFetcher) -> int | str:
    """Build the entry's source (validating its options) and fetch it once: the ads, or why not."""
    source = build_source(SourceConfig.model_validate(entry))
    try:
        outcome = source.collector.fetch(http, CursorState())
    except (TransientError, InvalidInputError, ConfigError) as exc:
        return f"not readable now: {exc}"
    return sum(len(source.collector.parse(p)) for p in outcome.payloads)


def companies_to_discover(
    db: Database, business_ids: list[str], target_group: str | None
) -> list[tuple[str, str, str | None]]:
    """(business ID, name, website) of the given companies or of a target group's scored companies."""
    with db.session() as s:
        ids = list(business_ids)
        if target_group:
            ids += list(
                s.scalars(
                    select(CompanyScore.business_id).where(CompanyScore.target_group_id == target_group)
                )
            )
        out = []
        for bid in dict.fromkeys(ids):
            company = s.get(Company, bid)
            if company is None:
                raise ConfigError(
                    f"business ID {bid} is not in the company table (triggerwatch registry load)"
                )
            out.append((company.business_id, company.name, company.website))
        return out


def write_entries(path: Path, discoveries: list[Discovery], now: datetime) -> list[str]:
    """Append the new entries (names not yet in the file) as a sources file; returns their names."""
    existing: set[str] = set()
    text = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
        existing = {str(s.get("name")) for s in data.get("sources") or [] if isinstance(s, dict)}
    if not text.strip():
        text = (
            "# Sources found by `triggerwatch sources discover`: review each entry, then copy it into\n"
            "# your sources file and set `enabled: true`.\nsources:\n"
        )
    written = []
    for d in discoveries:
        if d.entry is None or d.entry["name"] in existing:
            continue
        checked = f"{d.items} ads when checked" if d.items is not None else "not checked"
        assert d.find is not None
        block = yaml.safe_dump([d.entry], allow_unicode=True, sort_keys=False)
        found = f"discovered {now.date().isoformat()}: {d.find.evidence}; {checked}"
        text += f"  # {d.name} ({d.business_id}), {found}\n"
        text += "".join(f"  {line}\n" for line in block.splitlines())
        existing.add(d.entry["name"])
        written.append(d.entry["name"])
    path.write_text(text, encoding="utf-8")
    return written


def load_cache(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def save_cache(path: Path | None, cache: dict[str, dict[str, str]]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")


def discover(
    companies: list[tuple[str, str, str | None]],
    http: HttpFetcher,
    *,
    interval_s: float = 10.0,
    cache_file: Path | None = None,
    verify: bool = True,
) -> list[Discovery]:
    fetcher = PoliteFetcher(http, interval_s=interval_s, cache=load_cache(cache_file))
    results = []
    for bid, name, website in companies:
        d = discover_company(bid, name, website, fetcher)
        if d.find is not None:
            d.entry = make_entry(d)
            if verify:
                outcome = try_entry(d.entry, http)
                if isinstance(outcome, int):
                    d.items = outcome
                else:
                    d.note = outcome
        results.append(d)
    save_cache(cache_file, fetcher.cache)
    return results
