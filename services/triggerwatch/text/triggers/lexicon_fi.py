"""Finnish cue words of every trigger kind, with their hedges (see :mod:`.cues` for matching).

Verbs are listed with their participle lemmas (Voikko lists ``ostanut``, ``ostettu``, ``ostama`` as
words of their own) and with surface stems for unknown words and for running without Voikko.
"""

from __future__ import annotations

import re

from triggerwatch.text.triggers.cues import cue
from triggerwatch.text.triggers.gazetteer import words

# --- merger: acquisitions, mergers, divestments -------------------------------------------------
BUY = cue(
    "ostaa",
    r"ostaa|ostanut|ostaneet|ostettu|ostettava|ostama|ostava|ostaminen",
    r"ost(?:a(?!j)|i(?!n\b)|e(?!r))",
)
ACQUIRE = cue("hankkia", r"hankkia|hankkinut|hankittu|hankkima", r"hank(?:ki(?!n)|kinut|ittu|itaan|ittiin)")
SELL = cue(
    "myydä",
    r"myydä|myynyt|myyneet|myyty|myymä|myytävä|myyminen",
    r"my(?:y(?:$|vät|dä|nyt|neet|ty|tää|tii|mä(?!l)|mis)|i(?:$|vät|mme))",
)
MERGE = cue(
    "yhdistyä",
    r"yhdistyä|yhdistyvä|yhdistynyt|sulautua|sulautuva|sulautunut|sulauttaa|fuusioitua|fuusioituva|"
    r"fuusioida|yhdistää|yhdistänyt",
    r"(?:yhdisty|yhdistä|sulautu|sulautt|fuusioi)",
)
DEAL = cue(
    "yrityskauppa",
    r".*(?:yrityskauppa|yritysosto|yrityshankinta|fuusio|ostotarjous|yhdistyminen|sulautuminen)|kauppahinta"
    r"|kaupanteko",
    r"(?:\w*yrityskaup|\w*yritysost|\w*yrityshankin|\w*fuusio|\w*ostotarjou|kauppahin|\w*yhdistymi|\w*sulautumi)",
)
OWNERSHIP = cue("omistus", r"omistus|omistukseen", r"omistuks(?:ee|ii)")
#: what can be bought: a whole company, a business, a majority
BUSINESS = cue(
    "liiketoiminta",
    r".*(?:liiketoiminta|liiketoimi|yksikkö|divisioona|tytäryhtiö|yhtiö|yritys|osake-enemmistö|enemmistö|"
    r"enemmistöosuus|osakekanta|bisnes|konserni|ketju|toiminnot|brändi|startup|startup-yritys|lehti|"
    r"kanava|tehdas|hotelli|liiketoimi)",
    r"\w*(?:liiketoim|yksikö|yksikk|divisioon|tytäryhti|yhtiö|yrityk|yritys|osake-enemmist|enemmist|"
    r"osakekan|bisne|konserni|ketju|toiminno|brändi|startup|\w*leh[td]|\w*kanav|\w*tehta|\w*tehdas)",
)
SHARES = cue("osake", r"osake|osakekanta|osakkeet", r"osakk|osakekan")
MAJORITY = cue(
    "enemmistö",
    r"osake-enemmistö|enemmistö|enemmistöosuus|määräysvalta",
    r"(?:osake-enemmist|enemmist|määräysval)",
)

#: a deal or an offering that was called off ("kauppa kaatui", "listautuminen raukesi")
CALLED_OFF = cue(
    "kariutua",
    r"kariutua|kariutunut|kaatua|kaatunut|raueta|rauennut|peruuntua|peruuntunut|epäonnistua|"
    r"epäonnistunut|tyssätä|tyssännyt|tulokseton",
    r"(?:kariutu|kaatu|kaatui|raukea|raukes|raukeni|rauen|peruuntu|epäonnistu|tyssä|tuloksetto)",
)

# --- bankruptcy --------------------------------------------------------------------------------
BANKRUPTCY = cue(
    "konkurssi",
    r"konkurssi|konkurssihakemus|konkurssimenettely|yrityssaneeraus|yrityssaneerausmenettely|"
    r"yrityssaneeraushakemus|yrityssaneerausohjelma|saneerausmenettely|saneerausohjelma|saneeraushakemus|"
    r"selvitystila|maksukyvyttömyys",
    r"(?:konkurssi(?!uh|ti|en|pes)|konkurssihake|yrityssaneerau|saneerausmenettel|saneerausohjelm|"
    r"saneeraushakem|selvitystil|maksukyvyttömyy)",
)
BANKRUPT_THREAT = cue(
    "konkurssiuhka",
    r"konkurssiuhka|konkurssikypsä|konkurssiaalto|konkurssitilasto|konkurssiriski",
    r"(?:konkurssiuh|konkurssikyp|konkurssiaal|konkurssitil|konkurssiris)",
)

# --- layoffs -----------------------------------------------------------------------------------
LAYOFF_TALKS = cue(
    "muutosneuvottelut",
    r".*(?:muutosneuvottelu|yt-neuvottelu|yhteistoimintaneuvottelu|yt-menettely|henkilöstövähennys|"
    r"lomautus|lomautusilmoitus|irtisanominen|työpaikkavähennys|vähennystarve|henkilöstöleikkaus)|yt",
    r"(?:\w*muutosneuvottel|yt-|yt:|\w*yhteistoimintaneuvottel|henkilöstövähenny|\w*lomautu|irtisanomi|"
    r"työpaikkavähenny|henkilöstöleikkau)",
)
#: compounds about layoffs in general, not a company's talks: "lomautuspäivä", "irtisanomisaika"
ABOUT_LAYOFFS = cue(
    "lomautuspäivä",
    r".*(?:lomautus|irtisanomis|muutosneuvottelu|yt-)(?:päivä|raha|aika|laki|suoja|korvaus|etuus|turva|"
    r"kassa|tilasto|uhka|käytäntö|menettely)",
    r"\w*(?:lomautus|irtisanomis|muutosneuvottelu|yt-)(?:päiv|raha|rah|aika|ajan|lak|suoj|korvau|etuu|"
    r"turv|kassa|tilasto|uh|käytän)",
)
LAYOFF = cue(
    "irtisanoa",
    r"irtisanoa|irtisanonut|irtisanottu|irtisanottava|lomauttaa|lomauttanut|lomautettu",
    r"(?:irtisano|lomaut)",
)
CUT = cue(
    "vähentää",
    r"vähentää|vähentänyt|vähennetty|karsia|karsinut|karsittu|leikata|leikannut|supistaa|supistanut",
    r"(?:vähentä|vähensi|vähenne|karsi|leikkaa|leikkas|leikan|supist)",
)
CLOSE = cue(
    "sulkea",
    r"sulkea|sulkenut|suljettu|lakkauttaa|lakkauttanut|lakkautettu|lopettaa|lopettanut|ajaa|keskittää|"
    r"keskittänyt",
    r"(?:sulke|sulki|sulje|lakkaut|lopett|keskittä|keskitti)",
)
STAFF = cue(
    "työpaikka",
    r".*(?:työpaikka|työntekijä|henkilöstö|henkilökunta|henkilö|henki|väki|työvoima|työtehtävä|tehtävä)",
    r"\w*(?:työpaik|työntekij|henkilöstö|henkilökun|henkilö|henkeä|hengen|väkeä|väen|työvoim|tehtävää)",
)
#: what a closure closes
SITE = cue(
    "tehdas",
    r".*(?:tehdas|tuotantolaitos|laitos|toimipiste|toimipaikka|toimisto|konttori|myymälä|yksikkö|"
    r"datakeskus|palvelinkeskus|konesali|kehityskeskus|tutkimuskeskus|tuotekehitysyksikkö|tytäryhtiö|"
    r"sivuliike|varasto|logistiikkakeskus|jakelukeskus|tuotantolinja|voimala|kaivos|terminaali|sellutehdas|"
    r"paperikone|tuotanto|liiketila|myymäläverkosto|liike|.*keskus|.*linja|meijeri|leipomo|saha|jalostamo|"
    r"valimo|telakka|konepaja|tehdas)",
    r"\w*(?:tehta|tehdas|laitos|laitok|toimipist|toimipaik|toimisto|konttori|myymäl|yksikö|yksikk|"
    r"datakesk|palvelinkesk|konesal|kehityskesk|tutkimuskesk|tytäryhti|sivuliik|varasto|logistiikkakesk|"
    r"jakelukesk|tuotantolinj|voimal|kaivo|terminaal|paperikone|tuotanto|tuotannon|liiketil|\w*kesku|"
    r"\w*linja|\w*linjan|\w*meijer|\w*leipomo|\w*saha|\w*jalostamo|\w*valimo|\w*telak|\w*konepaja)",
)
OPERATIONS = cue("toiminta", r"toiminta|liiketoiminta|tuotanto", r"(?:toimin|liiketoimin|tuotan)")

# --- funding -----------------------------------------------------------------------------------
RAISE = cue("kerätä", r"kerätä|kerännyt|kerätty|kerääminen", r"ker(?:ää|äsi|ännyt|änneet|ätty|ätää|ätti)")
GET = cue("saada", r"saada|saanut|saaneet|saatu", r"(?:saa|sai|saivat|saanut|saaneet|saamme)$")
INVEST = cue(
    "sijoittaa",
    r"sijoittaa|sijoittanut|sijoittaneet|sijoitettu|investoida|investoinut|investoineet",
    r"(?:sijoitta|sijoitti|sijoitet|sijoittan|investoi)",
)
GRANT = cue("myöntää", r"myöntää|myöntänyt|myönnetty", r"(?:myöntä|myönsi|myönne)")
FUNDING = cue(
    "rahoitus",
    r".*(?:rahoitus|rahoituskierros|sijoituskierros|pääomasijoitus|siemenrahoitus|osakeanti|listautumisanti|"
    r"listautuminen|pörssilistautuminen|pääomasijoittaja|enkelisijoittaja|joukkorahoitus|sijoitus|"
    r"pääomitus|pääoma|riskirahoitus|kasvurahoitus|lisärahoitus|rahoituspaketti|.*anti)",
    r"\w*(?:rahoitu|sijoituskierro|pääomasijoitu|osakeann|osakeant|listautumi|pääomasijoittaj|"
    r"enkelisijoittaj|sijoituks|sijoitus|pääomitu|pääoma)",
)
ROUND = cue(
    "rahoituskierros",
    r".*(?:rahoituskierros|sijoituskierros|siemenrahoitus|pääomasijoitus|osakeanti|oikeusanti|listautumisanti|"
    r"joukkorahoituskampanja|rahoituskierros|osakeanti)",
    r"\w*(?:rahoituskierro|sijoituskierro|siemenrahoitu|pääomasijoitu|osakeann|osakeant|oikeusann|oikeusant|"
    r"listautumisann|listautumisant|joukkorahoituskampanj)",
)
IPO = cue(
    "listautua",
    r"listautua|listautunut|listautuminen|listautuva|listautumisesite|listalleotto.*",
    r"(?:listautu|listalleot)",
)
NOT_FUNDING = cue(
    "rahoitusala",
    r".*(?:rahoitusala|rahoitusyhtiö|rahoituslaitos|rahoitusmarkkina|rahoituskulu|rahoitustuotto|"
    r"rahoitusasema|rahoituslaskelma|rahoitusneuvonta|sijoitustuote|sijoitusrahasto|sijoituspalvelu)",
    r"\w*(?:rahoitusal|rahoitusyhti|rahoituslaitok|rahoitusmarkkin|rahoituskul|rahoitustuot|sijoitusrahast)",
)

#: where an investor's money goes (a portfolio, not the company's own capacity)
FINANCIAL = cue(
    "rahasto",
    r".*(?:rahasto|osake|arvopaperi|joukkovelkakirja|kasvuyritys|startup|startup-yritys|sijoituskohde|"
    r"kohdeyritys|pääomasijoitus)",
    r"\w*(?:rahasto|osakkei|arvopaper|joukkovelkakir|kasvuyrity|startup|sijoituskohte|kohdeyrity)",
)

# --- recruitment --------------------------------------------------------------------------------
HIRE = cue(
    "rekrytoida",
    r"rekrytoida|rekrytoinut|rekrytoitu|palkata|palkannut|palkattu|työllistää|työllistänyt|pestata",
    r"(?:rekrytoi|palkkaa|palkkas|palkat|palkan|työllist|pestaa|pestas)",
)
SEEK = cue("etsiä", r"etsiä|hakea|etsinyt|hakenut", r"(?:etsi|etsii|etsiv|hake|haki|haemme)")
JOBS = cue(
    "työntekijä",
    r".*(?:työntekijä|henkilö|osaaja|asiantuntija|kehittäjä|ohjelmoija|koodari|insinööri|myyjä|"
    r"myyntiedustaja|konsultti|suunnittelija|harjoittelija|tekijä|ammattilainen|asentaja|kuljettaja|"
    r"hoitaja|lääkäri|henki|työpaikka|työntekijä|väki|tutkija|analyytikko|arkkitehti|testaaja)",
    r"\w*(?:työntekij|henkilö|osaaj|asiantuntij|kehittäj|ohjelmoij|koodar|insinöör|myyj|myyntiedustaj|"
    r"konsult|suunnittelij|harjoittelij|tekijä|tekijöi|ammattilai|asentaj|kuljettaj|hoitaj|lääkär|henkeä|"
    r"työpaik|väkeä|tutkij|analyytik|arkkitehd|arkkiteht|testaaj)",
)
GROW = cue(
    "kasvattaa",
    r"kasvattaa|kaksinkertaistaa|kolminkertaistaa|laajentaa|lisätä",
    r"(?:kasvatta|kasvatti|kaksinkertais|kolminkertais|laajenta|laajensi|lisää|lisäsi)",
)
#: a company's staff as a whole
TEAM = cue(
    "henkilöstö",
    r".*(?:henkilöstö|henkilökunta|tiimi|työntekijämäärä|henkilömäärä|työvoima)",
    r"\w*(?:henkilöstö|henkilökun|tiimi|työntekijämäär|henkilömäär|työvoim)",
)
HIRING_FREEZE = cue(
    "rekrytointikielto",
    r".*(?:rekrytointikielto|rekrytointijäädytys|rekrytointivaikeus|rekrytointiongelma|työvoimapula|"
    r"osaajapula)",
    r"\w*(?:rekrytointikiel|rekrytointijäädy|rekrytointivaike|rekrytointiongel|työvoimapul|osaajapul)",
)

# --- expansion ---------------------------------------------------------------------------------
OPEN = cue(
    "avata",
    r"avata|avannut|avattu|avaaminen|käynnistää|käynnistänyt",
    r"(?:ava(?:a|si|ta|nnut|nneet|ttu|ttii)|käynnist)",
)
FOUND = cue("perustaa", r"perustaa|perustanut|perustettu", r"perust(?:a|i|et)")
BUILD = cue(
    "rakentaa", r"rakentaa|rakentanut|rakennettu|rakennuttaa", r"(?:rakenta|rakensi|rakennet|rakennutt)"
)
EXPAND = cue(
    "laajentaa",
    r"laajentaa|laajentanut|laajentua|laajentunut|laajennettu|kasvattaa|kasvattanut|nostaa|lisätä",
    r"(?:laajen|kasvatta|kasvatti|nosta|nosti|lisää|lisäsi)",
)
EXPANSION_N = cue(
    "laajennus",
    r".*(?:laajennus|laajennusinvestointi|tehdasinvestointi|kapasiteetinlisäys|laajentuminen)",
    r"\w*(?:laajennu|laajennuk|tehdasinvestoin|laajentumi)",
)
INVESTMENT_N = cue("investointi", r".*investointi|investoiminen", r"\w*investoin")
ENTER = cue("rantautua", r"rantautua|rantautunut", r"rantautu")
CAPACITY = cue(
    "kapasiteetti",
    r".*(?:kapasiteetti|tuotanto|toiminta|liiketoiminta|tehdas|toimipisteverkosto|myymäläverkosto)",
    r"\w*(?:kapasitee|tuotan|toimin|liiketoimin|tehta|tehdas)",
)
MARKET = cue("markkina", r".*markkina|ulkomaa", r"\w*markkin|ulkomaille|ulkomaihin")

# --- procurement -------------------------------------------------------------------------------
TENDER = cue("kilpailuttaa", r"kilpailuttaa|kilpailuttanut|kilpailutettu", r"kilpailut(?:ta|ti|et)")
TENDER_N = cue(
    "tarjouspyyntö",
    r".*(?:tarjouspyyntö|hankintailmoitus|kilpailutus|hankintamenettely|tarjouskilpailu|tietopyyntö)",
    r"\w*(?:tarjouspyyn|hankintailmoitu|kilpailutu|hankintamenettel|tarjouskilpailu|tietopyyn)",
)
PROCUREMENT_N = cue("hankinta", r".*hankinta", r"\w*hankin(?:ta|na)")
START = cue(
    "käynnistää",
    r"käynnistää|käynnistänyt|aloittaa|aloittanut|julkaista|julkaissut|avata|avannut|jättää",
    r"(?:käynnist|aloitt|aloitti|julkais|julkaisi|ava|avasi)",
)
REQUEST = cue("pyytää", r"pyytää|pyytänyt", r"(?:pyytä|pyysi)")
OFFERS = cue(
    "tarjous",
    r"tarjous|osallistumishakemus|tarjouspyyntö|hinta-arvio",
    r"(?:tarjouks|tarjous|osallistumishakemu)",
)
#: a tender that is decided, cancelled or appealed is not open
TENDER_DONE = cue(
    "voittaa",
    r"voittaa|voittanut|voittaja|ratketa|valitus|markkinaoikeus|hankintapäätös",
    r"(?:voitt|voiti|ratke|valitu|markkinaoikeu|hankintapäätö)",
)
CHOOSE = cue("valita", r"valita|valinnut|valittu", r"(?:valitsi|valitsivat|valinnut|valinneet|valittiin)")
SUPPLIER = cue(
    "toimittaja",
    r".*toimittaja|.*kumppani|.*tuottaja|urakoitsija|palveluntarjoaja",
    r"\w*(?:toimittaja|kumppani|tuottaja|urakoitsija|palveluntarjoaja)",
)

# --- decision-maker change ----------------------------------------------------------------------
APPOINT = cue(
    "nimittää",
    r"nimittää|nimitetty|nimittänyt|nimittämä|nimitys|nimetä|nimetty|valita|valittu|valinnut|palkata|"
    r"palkattu|palkannut|rekrytoida|rekrytoitu|pestata|pestattu|kiinnittää|kiinnitetty|kutsua|kutsuttu",
    r"(?:nimit|nimet|nimeä|valit|valin|valitt|palkka|palkat|palkan|rekrytoi|pestat|pestas|kiinnit|kutsu)",
)
MOVE = cue("siirtyä", r"siirtyä|siirtynyt|siirtyvä|palata|palannut", r"(?:siirty|palaa|palasi|palann)")
CONTINUE = cue("jatkaa", r"jatkaa", r"jatka")
BEGIN = cue("aloittaa", r"aloittaa|aloittanut|aloittava", r"(?:aloitta|aloitti|aloitan|aloitet)")
RISE = cue(
    "nousta",
    r"nousta|noussut|ryhtyä|ryhtynyt|palata|palannut|tulla|tullut|jatkaa|vaihtaa|valmistautua",
    r"(?:nouse|nousi|nous|ryhty|ryhtyi|palaa|palasi|tulee|tuli|tullut)",
)
NEW = cue("uusi", r"uusi", r"uu(?:si|de|tt|sia)")
SUCCESSOR = cue("seuraaja", r"seuraaja|seuraajaehdokas", r"seuraaj")
FOLLOW = cue("seurata", r"seurata", r"(?:seuraa|seurasi)")
#: holding a job: "on työskennellyt viimeksi X:n talousjohtajana", "on toiminut Fujitsussa"
WORK_AS = cue(
    "työskennellä",
    r"työskennellä|työskennellyt|toimia|toiminut|vastata|vastannut|johtaa|johtanut",
    r"(?:työskennel|toimi|toimin|vastann|vastasi|johtanut|johti)",
)
RESIGN = cue(
    "erota",
    r"erota|eronnut|eroava|eroanomus|erohakemus",
    r"(?:eroa|eroav|erosi|eronnut|eronneet|eroanom|erohakem)",
)
QUIT = cue("jättää", r"jättää|jättänyt|jättävä", r"(?:jättä|jätti|jätt)")
LEAVE = cue("lähteä", r"lähteä|lähtenyt|lähtevä|lähtö", r"(?:lähte|lähti|lähde|lähtö)")
GIVE_UP = cue("luopua", r"luopua|luopunut|väistyä|väistynyt", r"(?:luopu|väisty)")
STAY = cue("jäädä", r"jäädä|jäänyt", r"(?:jää|jäi|jäänyt)")
RETIREMENT = cue("eläke", r"eläke|eläkkeelle", r"eläkkee")
DISMISS = cue(
    "erottaa",
    r"erottaa|erottanut|erotettu|irtisanoa|irtisanonut|irtisanottu|potkut|potkia|potkaista",
    r"(?:erott|erotet|erotti|irtisano|potkut|potkais)",
)
END = cue("päättyä", r"päättyä|päättää|päättynyt", r"(?:päätty|päättä|päätti)")
TASK = cue(
    "tehtävä",
    r"tehtävä|virka|paikka|pesti|toimi|johto|johtotehtävä|johtajuus|hallitus|johtoryhmä|toimitusjohtajuus|"
    r"palvelus",
    r"(?:tehtäv|viras|virka|viran|paikka|paikas|pesti|toimes|toimen|johdos|johdon|hallituks|johtoryhm|palveluks)",
)
CHANGE = cue("vaihtua", r"vaihtua|vaihtunut", r"vaihtu")
STOPS = cue(
    "loppua", r"loppua|loppunut|päättyä|päättynyt|lakata|lakannut|loppuminen", r"(?:loppu|päätty|lakka)"
)
FORMER = cue(
    "entinen", r"entinen|aiempi|väistyvä|eroava|edellinen", r"(?:entine|entise|aiempi|aiemma|väistyv|edellin)"
)

#: recovering from a bankruptcy or restructuring ("saneerauksesta selvinnyt")
RECOVER = cue(
    "selvitä",
    r"selvitä|selvinnyt|päästä|päässyt|toipua|toipunut|nousta|noussut|vapautua|irtautua",
    r"(?:selvi|pääs|toipu|nousi|nousse|vapautu|irtautu)",
)
#: an annual general meeting elects or re-elects: not a change of management news
AGM = cue("yhtiökokous", r"yhtiökokous|uudelleen", r"(?:yhtiökokou|uudelleen)")

#: awards and prizes: "valittiin vuoden kasvujohtajaksi" is not an appointment
AWARD = cue(
    "palkinto",
    r".*palkinto|palkita|palkittu|gaala|tunnustus|kunniamaininta",
    r"\w*(?:palkin|palkit|gaala|tunnustu|kunniamainin)",
)

# --- hedges -----------------------------------------------------------------------------------
#: verbs and words that make a clause hypothetical, planned, denied or in doubt
HEDGE = cue(
    "harkita",
    r"harkita|suunnitella|suunnittelu|selvittää|selvitys|kaavailla|pohtia|miettiä|valmistella|neuvotella|"
    r"neuvottelu|kiistää|kieltää|torjua|epäillä|arvella|arvailla|spekuloida|spekulaatio|huhu|huhuta|"
    r"tavoitella|haluta|yrittää|toivoa|uhata|uhka|välttää|välttyä|pelätä|pelko|voida|saattaa|"
    r"kannattaa|pitäisi|tulisi|mahdollinen|mahdollisesti|mahdollisuus|todennäköisesti|ehkä|kenties|"
    r"jos|mikäli|harkinta|aie|aikomus|tiettävästi|väittää|väite|epävirallinen|kaavailu|pohdinta|"
    r"kiinnostus|kiinnostunut|vastustaa|vaatia|pelastaa|estää|vaarantaa|hylätä|perua|peruuttaa|"
    r"keskeyttää|jäädyttää|valittaa|valitus|lykätä|parras|"
    r"kariutua|raueta|peruuntua|epäonnistua",
    r"(?:harkit|harkin|suunnittel|selvittä|selvitt|selvity|kaavail|pohti|pohdi|mietti|miettii|valmistel|"
    r"neuvottel(?!u)|neuvotteli|kiistä|kiisti|kieltä|kielsi|torju|epäil|arvel|arvail|spekul|huhu|tavoittel|"
    r"halua|halus|yrittä|yritti|toivo|uhka|uhkaa|uhkas|vältt|välty|pelkä|pelko|voi$|voisi|voivat|voidaan|"
    r"voitaisiin|saatta|saattoi|kannatt|pitäisi|tulisi|mahdolli|todennäköi|ehkä|kenties|jos$|mikäli|aie|"
    r"aikeis|tiettäväst|väittä|väite|epävirallis|kiinnostu|vastust|vaati|pelast|estä|vaarant|hylkä|hylät|"
    r"hylkäsi|peru(?:i|u|tt|ttiin|taan)|peruut|keskeyt|jäädyt|valitus|valitukse|valittaa|valitti\b|lykkä|"
    r"lykät|partaal|kariutu|raukes|raukea|peruuntu|epäonnistu)",
)
#: rumour and unnamed-source markers: the whole sentence is in doubt
RUMOUR = cue(
    "huhu",
    r"huhu|huhuta|huhuilla|spekulaatio|spekuloida|tiettävästi|epävirallinen|nimetön|väitetty",
    r"(?:huhu|spekul|tiettäväst|epävirallis|nimettöm|nimetön|väitet)",
)
#: time words that, with a past verb, make a clause background ("vuonna 2012 tehty yrityskauppa")
PAST_TIME = cue(
    "aiemmin",
    r"aiemmin|aikoinaan|aikanaan|aiempi|viime|sitten|entinen|takavuosi|aikaisemmin|tuolloin|silloin|"
    r"alun perin|alunperin|"
    # a month or a season told with a past verb: an earlier event ("kertoi heinäkuussa sulkevansa")
    r"tammikuu|helmikuu|maaliskuu|huhtikuu|toukokuu|kesäkuu|heinäkuu|elokuu|syyskuu|lokakuu|"
    r"marraskuu|joulukuu|kevät|kesä|syksy|talvi|alkuvuosi|loppuvuosi",
    r"(?:aiemmin|aikoinaan|aikanaan|aiemp|viime|sitten$|takavuos|aikaisemmin|tuolloin|silloin|"
    r"(?:tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras|joulu)kuussa|keväällä|"
    r"kesällä|syksyllä|talvella|alkuvuodesta|loppuvuodesta)",
)
#: statistics and market overviews
STATISTICS = cue(
    "määrä",
    r"määrä|lukumäärä|tilasto|keskimäärin|ennätys|osuus|tilastokeskus|asiakastieto|kyselytutkimus|"
    r"kysely|selvitys|barometri|katsaus|trendi|vuosittain|kuukausittain",
    r"(?:määrä|lukumäär|tilasto|keskimäärin|ennätyk|kyselytutki|kysely|barometri|katsau|vuosittain)",
)
OLLA = cue("olla", r"olla|ei", r"(?:on|ovat|oli|olivat|ole|olleet|ollut|olisi)$")

#: clause openers: subordinators and relative pronouns
OPENERS = words("""
    että jotta kun koska jos mikäli vaikka kunnes ellei mutta sillä kuten eli joka jonka jota jossa josta
    johon jolla jolle jolta jona joksi jotka joiden joita joissa joista joihin joilla joille joilta joina
    mikä minkä mitä missä mistä mihin millä mille miltä minä
    """)
SPEECH = words("""
    kertoo kertoi kertovat kertoivat sanoo sanoi sanovat toteaa totesi arvioi arvioivat muistuttaa
    muistutti korostaa korosti painottaa painotti kommentoi tiedottaa tiedotti ilmoittaa ilmoitti
    kertoa sanoa todeta
    """)
#: words standing for the company the article is about ("yhtiö", "se", "konserni")
ANAPHORS = words("""
    yhtiö yritys konserni se pörssiyhtiö emoyhtiö kasvuyritys startup startup-yritys peliyhtiö ohjelmistoyhtiö
    teknologiayhtiö ohjelmistotalo it-yhtiö operaattori teleoperaattori valmistaja laitevalmistaja
    puhelinvalmistaja verkkokauppa kauppaketju pankki
    """)
NEGATIONS = frozenset({"ei", "eikä", "en", "et", "emme", "ette", "eivät", "eivätkä"})

# amounts of money and head counts
_NUMBER = r"(?:\d+(?:[,.]\d+)?|yksi|kaksi|kolme|neljä|viisi|kuusi|seitsemän|kahdeksan|yhdeksän|kymmenen|sata)"
MONEY = re.compile(
    _NUMBER + r"\s*(?:miljoona[a-zäö]*|miljardi[a-zäö]*|milj\.?|mrd\.?|tuhat[a-zäö]*|M€|M\$|me)\s*"
    r"(?:euro[a-zäö]*|dollari[a-zäö]*|kruunu[a-zäö]*|€|\$)?"
    r"|(?:€|\$)\s?\d+(?:[,.]\d+)?\s*(?:milj|m|mrd|bn|million|billion)",
    re.IGNORECASE,
)
HEADCOUNT = re.compile(
    r"(?:enintään |jopa |noin |yli |alle |vähintään |korkeintaan )?(\d[\d\s]*\d|\d+)\s+"
    r"(?:uutta |uuden |henkilöstön |vakituista |uusia )?[\w-]*"
    r"(?:työntekijä|henkilö|henke|hengen|työpaik|osaaj|asiantuntij|kehittäj|insinöör|myyj|tehtäv|"
    r"vakanssi|hengen|ihmis|toimihenkilö|työntekijän)",
    re.IGNORECASE,
)
