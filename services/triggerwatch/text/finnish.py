"""Finnish inflection of company names: is ``rest`` a valid case ending after the name ``stem``?

Rules (always available): case endings with vowel harmony, the ``:n``-style suffix after
abbreviations and numbers (``UPM:n``, ``UPM:ää``, ``3M:llä``), the linking vowels of consonant-final
foreign names (``Valmet`` → ``Valmetin``) and of e-stems (``Kone`` → ``Koneen``), illative vowel
lengthening (``Nokiaan``), clitics (``Nokiakin``), and consonant-gradation variants of the stem
(``Outokumpu`` → ``Outokummun``, ``Kauppa`` → ``Kaupan``).

Voikko (``libvoikko`` + Debian ``voikko-fi``), when installed, confirms an inflected token's lemma and
tells common words and first names from proper names. Without it the rules alone decide, and
:func:`voikko_available` says so (the linker then lowers its confidence for inflected forms).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

BACK, FRONT = "aou", "äöy"

# case endings written with back vowels; front forms are derived by harmony
_ENDINGS_BACK = (
    "n",  # genitive
    "a",  # partitive after a long vowel / consonant (Nokiaa, Microsoftia)
    "ta",
    "tta",
    "na",
    "ksi",
    "ssa",
    "sta",
    "lla",
    "lta",
    "lle",
    "t",
    "ineen",
    "tse",
    "lta",
    "hun",
    "hon",
    "han",
    "hin",
    "seen",
    "siin",
    "ssaan",
    "staan",
    "llaan",
    "ltaan",
    "lleen",
    "nsa",
    "kseen",
    "den",
    "iden",
    "itten",
    "ihin",
    "issa",
    "ista",
    "illa",
    "ilta",
    "ille",
    "iksi",
    "ina",
)
# endings after which the stem syllable is closed: these take the weak grade (Kaupan, Outokummun)
_CLOSED = frozenset({"n", "t", "ssa", "sta", "lla", "lta", "lle", "ksi", "tse", "ssaan", "staan", "llaan"})
_CLITICS = ("", "kin", "kaan", "han", "pa", "ko")
# what may follow a weak-grade stem: a closed-syllable ending (either harmony) and a clitic
_WEAK_ENDINGS = frozenset(
    e + c
    for e in _CLOSED | {ending.translate(str.maketrans("aou", "äöy")) for ending in _CLOSED}
    for c in ("", "kin", "kään")
)

_ABBREV_SUFFIX = re.compile(
    r"^:(?:n|a|ä|aa|ää|ta|tä|na|nä|ksi|ssa|ssä|sta|stä|lla|llä|lta|ltä|lle|ää|aan|ään|iin|hin|hon|"
    r"een|t|ineen|ia|iä|ja|jä|en|ien|ssaan|ssään|llaan|llään|kin|nkin|sa|sä|s)$"
)

# strong → weak grade of the consonant(s) before the final vowel
_GRADATION = (
    ("kk", "k"),
    ("pp", "p"),
    ("tt", "t"),
    ("nk", "ng"),
    ("mp", "mm"),
    ("lt", "ll"),
    ("nt", "nn"),
    ("rt", "rr"),
    ("ht", "hd"),
    ("lk", "l"),
    ("rk", "r"),
    ("p", "v"),
    ("t", "d"),
)


def harmony(stem: str) -> str:
    """'back', 'front' or 'neutral' from the stem's last harmonic vowel."""
    for ch in reversed(stem.casefold()):
        if ch in BACK:
            return "back"
        if ch in FRONT:
            return "front"
    return "neutral"


def _front(ending: str) -> str:
    return ending.translate(str.maketrans("aou", "äöy"))


@lru_cache(maxsize=64)
def _endings(h: str) -> frozenset[str]:
    back = set(_ENDINGS_BACK)
    front = {_front(e) for e in _ENDINGS_BACK}
    base = back if h == "back" else front if h == "front" else back | front
    return frozenset(e + c if h != "front" else e + _front(c) for e in base for c in _CLITICS) | frozenset(
        _front(c) if h == "front" else c for c in _CLITICS if c
    )


def _plain_ending(rest: str, h: str) -> bool:
    return rest in _endings(h)


def is_case_ending(stem: str, rest: str, *, weak_grade: bool = False) -> bool:
    """True when ``stem + rest`` is a plausible inflected form of the name ending in ``stem``.

    ``weak_grade``: the stem is a consonant-gradation variant (only closed-syllable endings follow).
    """
    if rest == "":
        return not weak_grade
    rest = rest.casefold()
    if rest not in _POSSIBLE_ENDINGS and not rest.startswith(":"):
        return False  # no stem takes it (the common answer for a longer word that starts with a name)
    stem = stem.casefold()
    # the answer depends on the stem only through its vowel harmony and last letter: cached on those;
    # Finnish writers give a foreign name either harmony (Applella / Applellä, Googlessa / Googlessä)
    h = "neutral" if is_foreign_looking(stem) else harmony(stem)
    return _is_case_ending(h, stem[-1] if stem else None, rest, weak_grade)


_FOREIGN = re.compile(r"[bcfgqwxzåéèüß]|[^aeiouyäö\W]{2}e$|[^aeiouyäö\W]y$")


@lru_cache(maxsize=100_000)
def is_foreign_looking(word: str) -> bool:
    """Spelled unlike a Finnish word: letters Finnish words do not use (b, c, f, g, q, w, x, z, å, …)
    or a silent final e or y after consonants ("Apple", "Sony"), and no ä or ö (Wärtsilä is
    Finnish). Casefolded input."""
    return bool(_FOREIGN.search(word)) and "ä" not in word and "ö" not in word


@lru_cache(maxsize=100_000)
def _is_case_ending(h: str, last: str | None, rest: str, weak_grade: bool) -> bool:
    if rest.startswith(":"):
        return bool(_ABBREV_SUFFIX.match(rest))
    if not rest.isalpha():
        return False
    if weak_grade:
        return rest in _WEAK_ENDINGS
    if rest == "s":  # the Swedish and English genitive: Nokias, Kones vd, Microsofts
        return True
    if last is None:
        raise IndexError("string index out of range")  # an empty stem, as ever
    if last in "aeiouyäö":
        if _plain_ending(rest, h):
            return True
        # illative lengthening: Nokia → Nokiaan, Wärtsilä → Wärtsilään
        if len(rest) >= 2 and rest[0] == last and _plain_ending(rest[1:], h) and rest[1] == "n":
            return True
        if len(rest) >= 1 and rest[0] == last and rest[1:] in ("n", "nkin", "nkaan", "nkään", ""):
            return rest != ""
        # e-stems and i→e stems: Kone → Koneen, Koneelle; Saari → Saaren
        return (
            last in "ei"
            and rest[0] == "e"
            and (rest[1:] == "" or _plain_ending(rest[1:], h) or rest[1:] == "en")
        )
    # consonant-final (mostly foreign) names take a linking -i- (Valmetin, Microsoftille, Ericssonia)
    if (
        rest[0] == "i"
        and len(rest) > 1
        and (_plain_ending(rest[1:], h) or _plain_ending(rest[1:], "neutral"))
    ):
        return True
    # (-nen names: Virtanen → Virtasen is handled by a stem variant, not here)
    return rest in ("ia", "iä", "iin", "ikin")


def _possible_endings() -> frozenset[str]:
    """Every ending :func:`_is_case_ending` can accept after some stem (a superset, by its branches)."""
    plain = _endings("back") | _endings("front") | _endings("neutral")
    vowels = "aeiouyäö"
    return (
        _WEAK_ENDINGS
        | plain
        | {v + e for v in vowels for e in plain}  # illative lengthening
        | {v + x for v in vowels for x in ("", "n", "nkin", "nkaan", "nkään")}
        | {"e" + e for e in (*plain, "", "en")}  # e-stems (the linking i is among the vowels above)
        | {"ia", "iä", "iin", "ikin", "s"}
    )


_POSSIBLE_ENDINGS = _possible_endings()

_GRADATION_2 = {strong: weak for strong, weak in _GRADATION if len(strong) == 2}
_GRADATION_1 = {strong: weak for strong, weak in _GRADATION if len(strong) == 1}
_VOWELS = frozenset("aeiouyäö")


# consonant-final Finnish words whose inflected forms are built on another stem (Veikkaus →
# Veikkauksen, Puhelin → Puhelimen, Kallas → Kallaan); plural names (Renkaat → Renkaissa) below
_CONSONANT_STEMS = (("nen", "se"), ("us", "ukse"), ("ys", "ykse"), ("os", "okse"), ("ös", "ökse"),
                    ("in", "ime"), ("as", "aa"), ("äs", "ää"))


def stem_variants(word: str) -> list[str]:
    """Alternative stems of a name's last word that inflected forms are built on (weak grade,
    -nen → -se, -us → -ukse, -in → -ime, -as → -aa, plural -t → -i)."""
    w = word.casefold()
    n = len(w)
    if n < 3 or w[-1] not in _VOWELS or w[-2] in _VOWELS:
        if n < 4 or w[-1] in _VOWELS or is_foreign_looking(w):
            return []
        for end, stem in _CONSONANT_STEMS:
            if w.endswith(end):
                return [w[: -len(end)] + stem]
        if w[-1] == "t" and w[-2] in _VOWELS:  # a plural: Renkaat → renkai(ssa), Palvelut → palvelui(lle)
            base = w[:-1]
            return [(base[:-1] if base[-1] == base[-2] else base) + "i"]
        return []
    body, vowel = w[:-1], w[-1]
    weak = _GRADATION_2.get(body[-2:]) if len(body) > 2 else None
    if weak is not None:
        variant = body[:-2] + weak + vowel
    else:
        weak = _GRADATION_1.get(body[-1])
        if weak is None or len(body) <= 1 or body[-2] not in "aeiouyäölrnmh":
            return []
        variant = body[:-1] + weak + vowel
    return [variant] if variant != w else []


# --- Voikko -------------------------------------------------------------------------------------

_COMMON_CLASSES = frozenset(
    {
        "nimisana",
        "laatusana",
        "nimisana_laatusana",
        "teonsana",
        "seikkasana",
        "asemosana",
        "suhdesana",
        "sidesana",
        "huudahdussana",
        "lukusana",
        "etuliite",
    }
)
_PROPER_CLASSES = frozenset({"nimi", "paikannimi", "sukunimi"})
#: set to 0/off to run without Voikko even when it is installed
VOIKKO_ENV = "TRIGGERWATCH_VOIKKO"
_voikko: Any = None
_voikko_tried = False
# Voikko's analyser lowercases a word before looking it up (libvoikko's FinnishVfstAnalyzer), so
# "Nokian", "nokian" and "NOKIAN" get the same analyses: one cache entry and one lookup serve all
# three. Checked on a few words when Voikko loads; off if this Voikko behaves otherwise.
_case_blind = False
_CASE_PROBES = ("Helsinki", "Nokian", "UPM:n", "Koneen", "Elisa", "Wärtsilän", "Äänekoskella", "talossa")


def _new_voikko() -> Any:
    """A ``libvoikko.Voikko("fi")``, or an exception saying why there is none.

    libvoikko's ``__init__`` loads the C library before it sets its handle, so when the library is
    missing (a non-root install without the Debian packages) the half-built object's ``__del__``
    raises ``AttributeError: ... '_Voikko__handle'`` at garbage collection. The object is therefore
    made with its handle already set to 0 (what libvoikko's own ``terminate`` leaves), then initialised.
    """
    import libvoikko  # type: ignore[import-untyped]

    voikko = libvoikko.Voikko.__new__(libvoikko.Voikko)
    voikko._Voikko__handle = 0
    voikko.__init__("fi")
    return voikko


def _get_voikko() -> Any:
    global _voikko, _voikko_tried, _case_blind
    if not _voikko_tried:
        _voikko_tried = True
        if os.environ.get(VOIKKO_ENV, "").strip().lower() in ("0", "off", "false", "no"):
            log.info("Voikko switched off (%s): Finnish morphology uses rules only", VOIKKO_ENV)
            return None
        try:
            _voikko = _new_voikko()
            _case_blind = all(
                _voikko.analyze(w) == _voikko.analyze(w.lower()) == _voikko.analyze(w.upper())
                for w in _CASE_PROBES
            )
        except Exception as exc:  # library or dictionary missing: rules only
            log.warning(
                "Voikko unavailable (%s): Finnish morphology falls back to rules, with lower precision"
                " (install the Debian packages libvoikko1 and voikko-fi)",
                exc,
            )
            _voikko = None
    return _voikko


@contextmanager
def voikko_disabled() -> Iterator[None]:
    """Within the block, behave as if Voikko were not installed (tests, benchmarks)."""
    global _voikko, _voikko_tried
    saved = (_voikko, _voikko_tried)
    _clear_caches()
    _voikko, _voikko_tried = None, True
    try:
        yield
    finally:
        _voikko, _voikko_tried = saved
        _clear_caches()


def _clear_caches() -> None:
    _analyse.cache_clear()
    is_common_word.cache_clear()
    analyse_full.cache_clear()


def voikko_available() -> bool:
    return _get_voikko() is not None


def set_voikko(enabled: bool) -> None:
    """Use Voikko (when installed) or the rules alone, as on a machine without it; clears the caches
    of word analyses (a linker built before keeps its own caches: build a new one)."""
    global _voikko, _voikko_tried
    _voikko, _voikko_tried = None, not enabled
    _analyse.cache_clear()
    is_common_word.cache_clear()


def analyse(word: str) -> tuple[tuple[str, str], ...]:
    """Voikko's (baseform, class) pairs for a word; () when unknown or Voikko is absent."""
    if not _voikko_tried:
        _get_voikko()
    if _case_blind and word and max(word) <= "\xff":
        word = word.lower()  # Latin-1: one character for one, as Voikko lowercases it
    return _analyse(word)


@lru_cache(maxsize=200_000)
def _analyse(word: str) -> tuple[tuple[str, str], ...]:
    v = _get_voikko()
    if v is None or not word:
        return ()
    try:
        return tuple((a.get("BASEFORM", ""), a.get("CLASS", "")) for a in v.analyze(word))
    except Exception:  # Voikko raises on odd input
        return ()


def lemmas(word: str) -> list[str]:
    """Casefolded lemmas of a word (Voikko), or the word itself when unknown."""
    found = [b.casefold() for b, _ in analyse(word) if b]
    return list(dict.fromkeys(found)) or [word.casefold()]


def lemma_matches(token: str, name_word: str) -> bool:
    """Voikko says ``token`` is an inflected form of ``name_word`` (False when it does not know)."""
    target = name_word.casefold()
    return any(b.casefold() == target for b, _ in analyse(token))


@lru_cache(maxsize=100_000)
def is_common_word(word: str) -> bool:
    """Voikko knows the word as a common word or a first name (not only as a proper name)."""
    classes = {c for _, c in analyse(word.capitalize())} | {c for _, c in analyse(word.casefold())}
    if "etunimi" in classes:
        return True
    return bool(classes & _COMMON_CLASSES) and not (classes & _PROPER_CLASSES)


# full analyses (case, number, mood, tense, negation, participle) for the trigger rules -------------
_FULL_KEYS = ("BASEFORM", "CLASS", "SIJAMUOTO", "NUMBER", "MOOD", "TENSE", "NEGATIVE", "PARTICIPLE", "PERSON")


@lru_cache(maxsize=200_000)
def analyse_full(word: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Voikko's analyses of a word, each as sorted (key, value) pairs of :data:`_FULL_KEYS`.

    () when Voikko is absent or does not know the word. Keys: BASEFORM, CLASS, SIJAMUOTO (case:
    nimento, omanto, osanto, sisaeronto, sisatulento, ulkotulento, ...), NUMBER, MOOD, TENSE,
    NEGATIVE, PARTICIPLE, PERSON.
    """
    v = _get_voikko()
    if v is None or not word:
        return ()
    try:
        found = v.analyze(word)
    except Exception:  # Voikko raises on odd input
        return ()
    return tuple(tuple(sorted((k, str(a[k])) for k in _FULL_KEYS if k in a)) for a in found)
