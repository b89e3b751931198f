"""The name index the linker scans with: company names, their keys and levels, and the automaton.

A key (:func:`normalise.normalise_name`) belongs to the companies that have it at its best level
(:mod:`triggerwatch.text.aliases`: current name < former name < derived short form < short form in
capitals); every key and its stem variants (:func:`finnish.stem_variants`) go into one
pyahocorasick automaton, keyed with a leading space so that only word starts match. The automaton
stores ints: (index << LEN_BITS) | length of the key, where the index is a key id for an automaton
key that is just that key, else ``len(keys)`` + an index into ``_entries``.
"""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Self

import ahocorasick  # type: ignore[import-untyped]

from triggerwatch.text import aliases, finnish
from triggerwatch.text.normalise import normalise_name
from triggerwatch.text.scan import LEN_BITS, LEN_MASK, has_digit, identifier_kind

if TYPE_CHECKING:
    from triggerwatch.core.db import Database


class NameIndex:
    """Company names and identifiers, indexed for the scan (built once, then read only)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # company id → display name (its first name)
        self._aliases: dict[str, list[str]] = {}  # company id → further names (only those with aliases)
        self._key_ids: dict[str, int] = {}  # normalised key → key id
        # while adding names: key id → normalised key, key id → company id(s)
        self._adding_keys: list[str] = []
        self._adding_owners: list[str | tuple[str, ...]] = []
        self._adding_levels = bytearray()  # key id → aliases.CURRENT / FORMER / SHORT / CAPITALS
        self._adding_written: list[tuple[str, str]] = []  # (short form in capitals, company id)
        self._capital_keys: set[str] = set()  # short keys the register writes in capitals (OP, VR)
        # built: the same as tuples (which the cyclic GC stops scanning once it has seen them once;
        # big lists would be rescanned, element by element, at every full collection)
        self._keys: tuple[str, ...] = ()
        self._owners: tuple[str | tuple[str, ...], ...] = ()
        self._levels = b""
        self._former_until: dict[tuple[str, str], str] = {}  # (key, company id) → end date of a former name
        # index entries that are not simply one key: automaton value - len(keys) →
        # (automaton key, ((key id, weak grade), ...)); e.g. a gradation variant ("outokummu")
        self._entries: tuple[tuple[str, tuple[tuple[int, bool], ...]], ...] = ()
        self._ids: dict[str, str] = {}  # identifier → company id
        self._id_kinds: set[str] = set()
        self._automaton = ahocorasick.Automaton()
        self._size = 0
        self._built = False

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def from_names(cls, rows: Iterable[tuple[str, str]]) -> Self:
        """(company id, name) rows; rows sharing an id are aliases of one company."""
        linker = cls()
        with _gc_paused():
            for company_id, name in rows:
                linker.add(company_id, name)
            linker.build()
        return linker

    @classmethod
    def from_database(cls, db: Database) -> Self:
        """Every company's main name, its parallel and auxiliary names (aputoiminimet) and its former
        names with their end dates (YTJ ``names``), and any further ``aliases``."""
        from sqlalchemy import select

        from triggerwatch.core.db import Company

        linker = cls()
        with db.session() as session:
            for company in session.scalars(select(Company)):
                linker.add(company.business_id, company.name)
                seen = {company.name}
                for entry in company.names or []:
                    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                        continue
                    name, until = entry["name"], entry.get("end_date")
                    if name in seen:
                        continue
                    seen.add(name)
                    former = entry.get("type") == "previous" or until is not None
                    linker.add(company.business_id, name, former=former, until=str(until or "") or None)
                for alias in company.aliases or []:
                    if isinstance(alias, str) and alias not in seen:
                        seen.add(alias)
                        linker.add(company.business_id, alias)
        with _gc_paused():
            linker.build()
        return linker

    def add(self, company_id: str, name: str, *, former: bool = False, until: str | None = None) -> None:
        """A name of a company; the first one added is its display name. ``former``: a name it no
        longer has (``until`` the date it ended), linked only where no company has it now."""
        if self._built:
            raise RuntimeError("the index is built; create a new CompanyLinker to add names")
        company_id, name = company_id.strip(), name.strip()
        if not company_id or not name:
            return
        names = self._names
        if company_id not in names and has_digit(company_id):
            kind = identifier_kind(company_id)
            if kind is not None:
                self._ids[company_id] = company_id
                self._id_kinds.add(kind)
        if has_digit(name):
            kind = identifier_kind(name)
            if kind is not None:
                self._ids[name] = company_id
                self._id_kinds.add(kind)
                return
        if company_id in names:
            self._aliases.setdefault(company_id, []).append(name)
        else:
            names[company_id] = name
        key = normalise_name(name)
        if not key:
            return
        if not key.isascii():
            plain = _unaccented(key)
            if plain != key:  # "Nestlé" is written "Nestle" too
                self._put(plain, company_id, aliases.FORMER if former else aliases.CURRENT)
        if former:
            self._former_until[(key, company_id)] = until or ""
        else:
            if aliases.WRITTEN_HINT.search(name):
                written = aliases.written_short_forms(name)
                self._adding_written.extend((short, company_id) for short in written)
                self._capital_keys.update(written)
            if len(key) <= 4 and key.upper() in name.replace("-", " ").split():
                self._capital_keys.add(key)
        self._put(key, company_id, aliases.FORMER if former else aliases.CURRENT)

    def _put(self, key: str, company_id: str, level: int) -> None:
        """The key's owners are the companies that have it at its best level (current < former < short)."""
        kid = self._key_ids.get(key)
        if kid is None:
            self._key_ids[key] = len(self._adding_keys)
            self._adding_keys.append(key)
            self._adding_owners.append(company_id)
            self._adding_levels.append(level)
            return
        owners = self._adding_owners
        known_level = self._adding_levels[kid]
        if level > known_level:
            return
        if level < known_level:
            owners[kid] = company_id
            self._adding_levels[kid] = level
            return
        known = owners[kid]
        if isinstance(known, str):
            if known != company_id:
                owners[kid] = (known, company_id)
        elif company_id not in known:
            owners[kid] = (*known, company_id)

    def _add_short_forms(self) -> None:
        """Short forms of the current keys (:func:`aliases.derive_short_forms`) not already a key."""
        levels = self._adding_levels
        current = (
            (key, owners)
            for key, owners, level in zip(self._adding_keys, self._adding_owners, levels, strict=True)
            if level == aliases.CURRENT
        )
        key_ids = self._key_ids
        for short, candidates in aliases.derive_short_forms(current).items():
            if short in key_ids:
                continue  # some company's current or former name
            for company_id in candidates:
                self._put(short, company_id, aliases.SHORT)
        for short, company_id in self._adding_written:
            self._put(short, company_id, aliases.CAPITALS)  # only where nothing better has the key
        self._adding_written = []

    def build(self) -> None:
        """Index every key and its gradation / ``-nen`` stem variants (keys with a leading space).

        The automaton stores ints: (index << LEN_BITS) | length of the key, where the index is a key
        id for an automaton key that is just that key, else ``len(keys)`` + an index into
        ``_entries``.
        """
        self._add_short_forms()
        keys = self._adding_keys
        n = len(keys)
        values: dict[str, int] = {}  # automaton key → value
        pending: list[list[tuple[int, bool]]] = []  # payloads of the entries
        entry_keys: list[str] = []
        variants = finnish.stem_variants
        for kid, key in enumerate(keys):
            # in key-id order, i.e. in the order the names were added: the payload order of old
            known = values.get(key)
            if known is None:
                values[key] = kid
            else:  # the key is already a variant of an earlier key (keys themselves are distinct)
                pending[known - n].append((kid, False))
            head, _, last = key.rpartition(" ")
            for variant in variants(last):
                vkey = f"{head} {variant}" if head else variant
                known = values.get(vkey)
                if known is None:
                    values[vkey] = n + len(pending)
                    pending.append([(kid, True)])
                    entry_keys.append(vkey)
                elif known < n:  # the variant is also a key: that key first, then this variant
                    values[vkey] = n + len(pending)
                    pending.append([(known, False), (kid, True)])
                    entry_keys.append(vkey)
                else:
                    payloads = pending[known - n]
                    if (kid, True) not in payloads:
                        payloads.append((kid, True))
        self._entries = tuple((k, tuple(p)) for k, p in zip(entry_keys, pending, strict=True))
        self._keys, self._owners = tuple(keys), tuple(self._adding_owners)
        self._levels = bytes(self._adding_levels)
        self._adding_keys, self._adding_owners, self._adding_levels = [], [], bytearray()
        add_word = self._automaton.add_word
        for vkey, index in values.items():
            add_word(" " + vkey, index << LEN_BITS | min(len(vkey), LEN_MASK))
        self._size = len(values)
        if self._size:
            self._automaton.make_automaton()
        self._built = True

    def __len__(self) -> int:
        return len(self._key_ids)

    def names_of(self, company_id: str) -> list[str]:
        return [self._names.get(company_id, company_id), *self._aliases.get(company_id, [])]

    def name_of(self, company_id: str) -> str:
        return self._names.get(company_id, company_id)


def _unaccented(key: str) -> str:
    """The key without accents other than Finnish and Swedish letters (é → e, ü → u; å, ä, ö stay)."""
    return "".join(
        c if c in "åäö" else unicodedata.normalize("NFD", c)[0] for c in key
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building allocates millions of small objects: the cyclic GC would rescan them over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
