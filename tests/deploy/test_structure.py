"""The code's structure as docs/architecture.md describes it: no import circles, every doc link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[2]


def test_no_module_imports_itself_in_a_circle() -> None:
    graph = grimp.build_graph("triggerwatch")
    modules = sorted(graph.modules)
    circles = []
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(importer=imported, imported=module):
                circles.append((module, imported))
    assert circles == []


def test_every_relative_link_in_the_docs_resolves() -> None:
    docs = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    docs += sorted((REPO / "tests").rglob("*.md")) + sorted((REPO / "services").rglob("*.md"))
    broken = []
    for doc in docs:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(REPO)} -> {target}")
    assert broken == []
