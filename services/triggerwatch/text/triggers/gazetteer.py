"""Word lists the trigger rules need to tell companies from other capitalised words.

Written from general knowledge (no corpus): places and organisations that are never the company a
sales trigger is about, and common first names (person detection when Voikko is not installed —
Voikko itself knows Finnish first names). Everything is casefolded base forms.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The white-space separated words of ``text`` (word lists are written as text blocks)."""
    return frozenset(text.split())


#: countries, regions and cities (Finnish, Swedish and English base forms)
PLACES: frozenset[str] = words("""
    suomi finland ruotsi sverige sweden norja norge norway tanska danmark denmark islanti viro estonia eesti
    latvia liettua lithuania venäjä ryssland russia saksa tyskland germany ranska frankrike france
    britannia iso-britannia englanti england storbritannien uk yhdysvallat usa amerikka america kiina kina
    china japani japan intia indien india korea etelä-korea brasilia puola polen poland espanja spanien
    spain italia italien italy hollanti alankomaat nederländerna netherlands belgia belgien belgium
    sveitsi schweiz switzerland itävalta österrike austria kanada kanada canada australia meksiko
    turkki turkiet turkey kreikka grekland greece portugali irlanti ireland unkari ungern hungary tšekki
    ukraina ukraine valko-venäjä israel egypti afrikka afrika africa aasia asien asia eurooppa europa europe
    pohjoismaat norden nordics skandinavia baltia euroalue lähi-itä
    helsinki helsingfors espoo esbo vantaa vanda tampere tammerfors turku åbo oulu uleåborg jyväskylä
    lahti kuopio pori joensuu lappeenranta hämeenlinna vaasa vasa seinäjoki rovaniemi mikkeli kotka
    salo porvoo borgå kouvola hyvinkää järvenpää nurmijärvi kajaani kokkola karleby rauma kerava
    savonlinna raahe imatra hamina kemi tornio naantali loviisa lovisa kirkkonummi tuusula sipoo
    uusimaa pirkanmaa varsinais-suomi pohjanmaa lappi kainuu karjala savo häme satakunta ahvenanmaa
    åland keski-suomi pääkaupunkiseutu
    yhdysvalta yhdysvaltain
    tukholma stockholm göteborg malmö oslo kööpenhamina köpenhamn copenhagen tallinna tallinn riika riga
    pietari moskova moskva moscow berliini berlin lontoo london pariisi paris new york san francisco
    piilaakso silicon valley peking beijing shanghai tokio tokyo bryssel brussels
    """)

#: organisations that are not companies a sales trigger is about: public bodies, parties, unions,
#: statistics and news agencies (casefolded; also matched as the first word of a name)
NOT_COMPANIES: frozenset[str] = words(
    """
    eu eu:n euroopan komissio ey yk nato oecd imf ekp ecb wto emu
    eduskunta valtioneuvosto tasavallan presidentti tilastokeskus asiakastieto
    sdp kokoomus keskusta perussuomalaiset ps vihreät vasemmistoliitto rkp kd kristillisdemokraatit
    sak sttk akava ek mtk ttk pam jhl ytn pro erto tek sähköliitto metalliliitto teknologiateollisuus
    yrittäjät yrittäjä kasvuyrittäjät finanssivalvonta fiva kilpailuvirasto kkv kuluttajaliitto
    stt reuters bloomberg ap afp mtv hs iltalehti iltasanomat kauppalehti talouselämä
    tivi digitoday tietoviikko arvopaperi taloussanomat
    etla pt ptt palkansaajien pellervon
    """
)

#: heads of multi-word public-body names: "Helsingin kaupunki", "Liikennevirasto" (procurement buyers)
PUBLIC_BODY_HEADS: tuple[str, ...] = (
    "kaupunki",
    "kunta",
    "kuntayhtymä",
    "ministeriö",
    "virasto",
    "laitos",
    "keskus",
    "sairaanhoitopiiri",
    "hyvinvointialue",
    "maakuntaliitto",
    "liikelaitos",
    "yliopisto",
    "korkeakoulu",
    "seurakunta",
    "valtio",
    "puolustusvoimat",
    "hansel",
    "senaatti-kiinteistöt",
    "kommun",
    "stad",
    "region",
    "myndighet",
    "verket",
    "council",
    "municipality",
    "city",
    "ministry",
    "agency",
    "authority",
)

#: public buyers known by a name of their own (casefolded; the first word of the name), besides the
#: ones named by a kind (:data:`PUBLIC_BODY_HEADS`) and the municipalities named by their place
PUBLIC_BUYERS: frozenset[str] = words("""
    kela fpa hansel hus hus-yhtymä hsl hsy yle senaatti-kiinteistöt puolustusvoimat försvarsmakten
    traficom väylä väylävirasto liikennevirasto vero verohallinto skatteförvaltningen poliisi tulli
    valtori apotti sitra tekes finnvera vr fingrid kuntaliitto kuntien eduskunta valtioneuvosto
    tilastokeskus maanmittauslaitos metsähallitus
    """)


def is_public_buyer(name: str) -> bool:
    """A name of a public body that buys under procurement law: a kind ("Tampereen kaupunki",
    "Väestörekisterikeskus", "City of Espoo", "Vasa stad"), a known agency ("Kela", "Hansel", "HUS")
    or a municipality by its place name ("Espoo", "Tampereen")."""
    parts = name.casefold().replace("-", " ").split()
    if not parts:
        return False
    if parts[0] in PUBLIC_BUYERS or name.casefold().split()[0] in PUBLIC_BUYERS:
        return True
    definite = [w[:-2] if w.endswith(("en", "et")) else w[:-1] if w.endswith("n") else w for w in parts]
    if any(w.endswith(PUBLIC_BODY_HEADS) for w in (*parts, *definite)):
        return True  # also Swedish definite forms: "Regionen", "Staden", "Verket"
    return len(parts) == 1 and place_of(parts[0]) is not None


#: common first names (Finnish, Finland-Swedish, English) for person detection without Voikko
FIRST_NAMES: frozenset[str] = words("""
    aapo aarne aaro aatu aki aleksi aleksander alexander anders ante antero anton antti ari arto atte
    eero eetu eino elias erkki esa esko harri heikki henri henrik hannu hans heikki ilkka ismo jaakko
    jani janne jari jarmo jarkko jere jesse joel johan johannes jonne jorma jouni juha juhani juho jukka
    jussi jyrki kai kalle kari kalevi kaj kim kimmo klaus kristian kristoffer kai lasse lauri leo leif
    markku marko markus martti matias matti mauri mika mikael mikko mikko niilo niklas niko olli oskari
    ossi otto paavo pasi patrik pekka pentti pertti petri petteri pete raimo rainer reijo risto riku
    sakari sami samuli santeri sauli seppo simo stefan sten teemu tero timo toni topi tuomas tuomo
    tapani tapio tommi tomi ville veli väinö vesa ville ilari jan jens joakim karl per peter lars
    magnus mats nils ola olof sven thomas tom fredrik gustav björn erik kaj
    aino aila anna anne anneli annika anu arja auli eija eila elina eliisa elisa emilia emma erja
    eveliina hanna hannele heidi helena helinä helmi hilkka irja irma jaana jenni johanna kaarina kaisa
    kaija katariina kati katja kirsi kirsti krista kristiina laura leena liisa lotta maarit maija
    mari marja marjatta marjo marketta merja mervi minna mira mirja noora outi paula pauliina piia pirjo
    pirkko päivi riikka riitta ritva sari sanna satu seija sirpa suvi susanna taina tanja tarja tea
    terhi tiina tuija tuula ulla ulla-maija virpi ann birgitta christina eva ingrid karin kristina
    maria marie
    john james robert michael william david richard joseph charles daniel matthew mark paul steven
    andrew kenneth george brian edward ronald kevin jason jeff jeffrey gary ryan timothy larry frank
    scott eric stephen tim steve bill satya sundar jack elon marissa mary patricia jennifer linda
    elizabeth barbara susan jessica sarah karen nancy lisa sandra ashley emily michelle carol amanda
    melissa sheryl ginni meg rajeev stephen risto jane jim joe tony chris christopher alex alan adam
    simon martin nick nicholas sam samuel ben benjamin luke lucas oliver harry jake anthony mike
    greg gregory patrick sean kate katherine laura julia anna helen rachel sophie claire alice
    emma olivia hannah victoria natalie diana marc pierre jean francois hans jürgen wolfgang
    stefan andreas markus thomas sergio carlos jose juan luis antonio marco paolo giovanni
    """)


def _place_stems() -> dict[str, str]:
    from triggerwatch.text.finnish import stem_variants

    stems: dict[str, str] = {}
    for place in PLACES:
        stems[place] = place
        if place.endswith("i"):
            stems[place[:-1] + "e"] = place  # Suomi → Suomen, Helsinki → Helsingin (via gradation too)
        for variant in stem_variants(place):
            stems[variant] = place
            if variant.endswith("i"):
                stems[variant[:-1] + "e"] = place
    return stems


_PLACE_STEMS = _place_stems()


def place_of(word: str) -> str | None:
    """The place a word (in any Finnish case form) names: "Suomen" → "suomi", "Helsinkiin" →
    "helsinki"; None when it names none. Works without Voikko (stems and case endings)."""
    from triggerwatch.text.finnish import is_case_ending

    low = word.casefold()
    if low in PLACES:
        return low
    for k in range(len(low) - 1, 2, -1):
        place = _PLACE_STEMS.get(low[:k])
        if place is not None and is_case_ending(low[:k], low[k:]):
            return place
    return None


#: company names that are also common words, first names or places: a capitalised one is a name
AMBIGUOUS_NAMES: frozenset[str] = frozenset(
    {
        "kone",
        "neste",
        "elisa",
        "posti",
        "tieto",
        "sampo",
        "fiskars",
        "orion",
        "kesko",
        "metso",
        "aktia",
        "alma",
        "lassila",
        "aina",
        "anna",
        "helmi",
        "kari",
        "matti",
        "pekka",
        "ilmarinen",
        "varma",
        "pohjola",
        "talo",
        "koti",
        "apu",
        "raksa",
        "nordic",
        "finland",
        "suomi",
        "here",
        "sun",
        "apple",
        "amazon",
        "target",
        "shell",
        "visa",
        "orange",
        "wind",
        "rakennus",
        "kuljetus",
        "palvelu",
        "huolto",
    }
)

#: words (prefixes, casefolded) after a genitive that make it a company's ("Koneen osake")
CONTEXT_PREFIXES: tuple[str, ...] = (
    "yhtiö",
    "yritys",
    "yrityks",
    "konserni",
    "pörssi",
    "osake",
    "liikevaihto",
    "tulos",
    "toimitusjohtaj",
    "hallitu",
    "johtaj",
    "rekrytoi",
    "palkkaa",
    "palkkas",
    "nimitt",
    "nimite",
    "muutosneuvottel",
    "yt-",
    "irtisano",
    "lomaut",
    "investoi",
    "tilau",
    "kauppa",
    "company",
    "group",
    "ceo",
    "shares",
    "hires",
    "appoint",
    "bolag",
    "koncern",
    "vd",
    "anställ",
    "utnämn",
)


# endings of abstract nouns, which name no company: "Työttömyys kasvoi", "Kehitys jatkuu"
ABSTRACT_ENDINGS = ("us", "ys", "minen", "nti", "ntä", "ous", "öys", "uu", "yy")
# what a company is called before its name: "Metsäkonevalmistaja Ponsse", "Peliyhtiö Rovio"
DESCRIPTORS = (
    "valmistaja",
    "yhtiö",
    "yritys",
    "konserni",
    "ketju",
    "operaattori",
    "jätti",
    "pankki",
    "talo",
    "toimittaja",
    "kehittäjä",
    "tuottaja",
    "yhtymä",
    "startup",
    "tukkuliike",
    "liike",
    "sijoittaja",  # "Pääomasijoittaja Inventure"
    "rahasto",
    "lainen",  # "Ruotsalainen Fingerprint Cards", "Tamperelainen Vincit"
    "läinen",
)
# common nouns that are often the subject of a sentence and are not a company
GENERIC_AGENTS = words("""
    hallitus valtio kaupunki kunta eduskunta ministeriö poliisi oikeus tuomioistuin työnantaja työntekijä
    liitto ammattiliitto yritys yhtiö konserni pankki tilanne muutos kehitys kasvu tulos myynti kysyntä
    markkina talous vienti tuonti kauppa asiakas kuluttaja ihminen suomalainen tutkimus selvitys kysely
    tilasto ennuste hinta määrä osuus luku vuosi viikko päivä aika raportti uutinen päätös esitys
    ehdotus sopimus neuvottelu lakko johtaja toimitusjohtaja puheenjohtaja ministeri presidentti
    pääministeri virasto laitos järjestö yhdistys säätiö tiimi ryhmä osasto yksikkö palvelu sovellus
    laite puhelin tuote ohjelma järjestelmä verkko sivusto tieto data raha euro henkilöstö väki
    """)
