"""Swedish trigger phrases (company releases, Finland-Swedish news), with hedges and role markers."""

from __future__ import annotations

import re

from triggerwatch.core.contracts import EventKind as K
from triggerwatch.text.triggers.cues import cue
from triggerwatch.text.triggers.frames import Hedges
from triggerwatch.text.triggers.gazetteer import words
from triggerwatch.text.triggers.phrases import Lexicon, alt, frame, near

_NUMBER = r"(?:\d[\d.,]*|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|tjugo|femtio|hundra)"
MONEY = (
    rf"(?:{_NUMBER}\s?(?:miljoner|miljon|mkr|msek|meur|"
    rf"miljarder|miljard|mdr)\s?(?:kronor|euro|sek|eur|dollar)?)"
)
_SITES = r"(?:kontor|fabrik|anläggning|enhet|dotterbolag|butik|lager|datacenter|produktion|servicecenter)\w*"

SV = Lexicon(
    hedges=Hedges(
        negations=words("inte ej aldrig ingen inga icke"),
        hedge=cue(
            "överväger",
            None,
            r"(?:överväg|planer|kan$|kunde|skulle|eventuell|möjlig|rykt|spekul|förhandl|diskuter|undersök|"
            r"utred|avser|funderar|avbryt|avbröt|ställer in|skjuter upp|dementer)",
        ),
        rumour=cue("rykte", None, r"(?:rykt|spekul|anonyma|källor)"),
        past_time=cue(
            "tidigare",
            None,
            r"(?:tidigare|fjol|sedan$|förra|tillbakablick|våras|somras|höstas|vintras)",
        ),
        statistics=cue("statistik", None, r"(?:statistik|antalet|undersökning|genomsnitt|barometer)"),
        year_words=frozenset({"år", "i"}),
    ),
    openers=words("att som vilket vilka där när om eftersom medan fast men och"),
    speech=words("säger sa sade berättar berättade kommenterar konstaterar"),
    anaphors=frozenset({"bolaget", "företaget", "koncernen"}),
    frames=(
        frame(
            K.MERGER,
            "passive_by",
            "passive_by",
            r"förvärvas|köps|köptes|förvärvades|har förvärvats|uppköpt|förvärvet av|köpet av",
        ),
        frame(
            K.MERGER,
            "buy",
            "agent_object",
            r"förvärvar|förvärvade|har förvärvat|köper|köpte|har köpt|tar över|tog över",
            r"slutför förvärvet av|avtal om att förvärva",
        ),
        frame(K.MERGER, "sell", "sell", r"säljer|sålde|har sålt|avyttrar|avyttrade"),
        frame(
            K.MERGER,
            "merge",
            "merge",
            r"går samman|gick samman|slås samman|fusioneras|fusion mellan|fusionen mellan|sammanslagning",
        ),
        frame(
            K.MERGER,
            "tender_offer",
            "tender_offer",
            r"(?:offentliga? |kontanta? |frivilliga? )*uppköpserbjudande\w*",
        ),
        frame(
            K.BANKRUPTCY,
            "bankruptcy",
            "subject",
            r"försät?ts i konkurs|försattes i konkurs|försatts i konkurs|ansöker om konkurs|"
            r"ansökt om konkurs|begär (?:sig )?i konkurs",
            r"gått i konkurs|går i konkurs|konkursansökan|"
            r"företagsrekonstruktion|i likvidation|träder i likvidation",
            r"företagssanering\w*|saneringsförfarande\w*",
        ),
        frame(
            K.FUNDING,
            "raise",
            "subject",
            near(
                r"(?:tar in|tog in|har tagit in|reser|reste|säkrar|säkrade|får|fick|erhåller|erhöll)",
                rf"(?:finansiering|kapital|investering|runda|{MONEY})",
                60,
            ),
        ),
        frame(
            K.FUNDING,
            "round",
            "subject",
            r"finansieringsrund\w*|nyemission\w*|riktad emission|företrädesemission|börsnotering\w*",
            r"noteras på|kapitalanskaffning|såddfinansiering",
        ),
        frame(K.FUNDING, "invest_in", "invest_in", near(r"(?:investerar|investerade)", r"\bi\b")),
        frame(
            K.RECRUITMENT,
            "hire",
            "subject",
            near(
                r"(?:rekryterar|anställer|anställde|nyanställer|kommer att anställa)",
                rf"(?:{_NUMBER}|nya|fler|ytterligare)\b",
                30,
            ),
            rf"{_NUMBER} nya (?:jobb|tjänster|medarbetare|arbetstillfällen)",
        ),
        frame(
            K.RECRUITMENT,
            "seek",
            "subject",
            near(
                r"(?:vi söker|söker nu|söker)",
                r"(?:utvecklare|ingenjörer?|medarbetare|säljare|konsulter?|specialister?)\b",
                30,
            ),
        ),
        frame(
            K.DECISION_MAKER_CHANGE,
            "appoint",
            "appoint",
            r"utses|utsedd|utsetts|utnämns|utnämnd|har utsett|utser|utsåg|tillträder|blir ny",
            r"ny (?:vd|verkställande direktör|finanschef|ekonomichef|styrelseordförande)|väljs|valdes",
            r"rekryterar|anställer|börjar som",
        ),
        frame(K.DECISION_MAKER_CHANGE, "succeed", "succeed", r"efterträder|efterträdde|ersätter|ersatte"),
        frame(K.DECISION_MAKER_CHANGE, "from", "from", r"kommer (?:närmast )?från|kom (?:närmast )?från"),
        frame(
            K.DECISION_MAKER_CHANGE,
            "leave",
            "leave",
            r"lämnar|lämnade|avgår|avgick|slutar|slutade|går i pension|avsätts|avsattes|sparkas|sparkades",
            r"entledigas|entledigades",
        ),
        frame(
            K.EXPANSION,
            "open_site",
            "subject",
            near(r"(?:öppnar|öppnade|etablerar|etablerade|bygger|byggde|startar)", _SITES),
        ),
        frame(
            K.EXPANSION,
            "expand",
            "subject",
            near(
                r"(?:expanderar|expanderade|utvidgar|utvidgade|utökar)",
                r"(?:till|i|sin|sitt|sina|verksamhet\w*|produktion\w*|kapacitet\w*)\b",
            ),
        ),
        frame(K.EXPANSION, "invest", "subject", near(r"(?:investerar|investerade)", MONEY, 30)),
        frame(
            K.LAYOFFS,
            "talks",
            "subject",
            r"samarbetsförhandling\w*|omställningsförhandling\w*|förhandlingar enligt samarbetslagen",
        ),
        frame(
            K.LAYOFFS,
            "lay_off",
            "subject",
            r"varslar|varslade|varsel|säger upp|sade upp|sa upp|permitterar|permitterade|permittering\w*",
            r"uppsägning\w*|nedskärning\w*|personalminskning\w*|minskar personalen",
        ),
        frame(
            K.LAYOFFS,
            "close_site",
            "subject",
            near(
                r"(?:stänger|stängde|lägger ner|lägger ned|lade ner)",
                r"(?:fabrik|kontor|enhet|anläggning|bruk)\w*",
                30,
            ),
        ),
        frame(
            K.PROCUREMENT_OPEN,
            "tender",
            "buyer",
            r"upphandl\w*|anbudsförfrågan|anbudsinbjudan|begär in anbud|konkurrensutsätt\w*",
            r"inbjudan att lämna anbud",
        ),
    ),
    to=frozenset({"till"}),
    by=frozenset({"av"}),
    source=frozenset({"från"}),
    into=frozenset({"i"}),
    at=frozenset({"på", "hos", "vid", "i", "för"}),
    business=re.compile(
        alt(
            r"verksamhet\w*|affärsområde\w*|dotterbolag\w*|andel\w*|majoritet\w*|aktiemajoritet\w*|enhet\w*",
            r"samtliga aktier|alla aktier|leverantör\w*|bolag(?!et)\w*|"
            r"företag(?!et)\w*|tillverkare\w*|aktör\w*|koncern(?!en)\w*",
        ),
        re.IGNORECASE,
    ),
    routine=re.compile(
        alt(r"årets", r"pris\w*", r"utmärkelse\w*", r"bolagsstämma\w*", r"omvald\w*", r"omval\w*"),
        re.IGNORECASE,
    ),
)
