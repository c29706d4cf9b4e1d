"""A realistic mistake history for the search bench, made up with a fixed seed: the same seed gives the
same incidents, word for word, on every machine.

Titles, details and lessons are put together from phrases written for this bench (mostly English, about
one in eight Italian and one in twelve German), with names drawn unevenly (a few products and campaigns
come up all the time, most rarely), so a query's words are common or rare as they would be in a real
team's history. Every runbook, scale and decision occurs; reporters and dates vary over three years.
Pure: no database here (bench/search_build.py writes the records).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SEED = 7
END = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # fixed, so recall and the cache do not move with the clock
SPAN = timedelta(days=3 * 365)
TEAM_ID = "T0WHEY"
SCALES = (("tiny", 30), ("small", 40), ("big", 22), ("huge", 8))
DECISIONS = (("correct", 55), ("no_action", 30), ("make_it_big", 15))
LANGS = (("en", 80), ("it", 12), ("de", 8))
OPEN_SHARE = 0.02  # incidents still open (no retrospective yet): status:open finds something
REPORTERS = tuple(
    f"U0{name}"
    for name in (
        "AILSA",
        "MARCO",
        "JOANNA",
        "PRIYA",
        "TOMASZ",
        "GIULIA",
        "LUKAS",
        "SANNE",
        "OMAR",
        "HELEN",
        "RAFAEL",
        "MEI",
        "FRANCESCA",
        "JONAS",
        "AMARA",
        "DAVID",
        "ELENA",
        "KOFI",
        "INGRID",
        "SAM",
        "NADIA",
        "PAOLO",
    )
)

PRODUCT_ADJ = (
    "cheddar",
    "sourdough",
    "olive",
    "herbal",
    "bamboo",
    "copper",
    "linen",
    "ceramic",
    "walnut",
    "lavender",
    "espresso",
    "matcha",
    "alpine",
    "velvet",
    "cedar",
    "saffron",
    "woollen",
    "maple",
    "citrus",
    "smoked",
)
PRODUCT_NOUN = (
    "starter kit",
    "gift box",
    "candle",
    "hamper",
    "tote bag",
    "mug",
    "apron",
    "subscription",
    "bundle",
    "blanket",
    "grinder",
    "notebook",
    "teapot",
    "soap",
    "scarf",
)
CAMPAIGNS = (
    "spring sale",
    "summer newsletter",
    "Black Friday",
    "welcome series",
    "loyalty club",
    "back to school",
    "Christmas countdown",
    "January clearance",
    "birthday voucher",
    "abandoned basket",
    "Mother's Day",
    "autumn launch",
    "flash sale",
    "weekly digest",
    "reactivation",
    "VIP preview",
    "Easter hamper",
    "product update",
    "referral",
    "price drop",
)
CODE_WORDS = (
    "SPRING",
    "WELCOME",
    "VIP",
    "CHEESE",
    "THANKS",
    "FRIDAY",
    "LOYAL",
    "AUTUMN",
    "SORRY",
    "FREESHIP",
    "GIFT",
    "HELLO",
    "SUMMER",
    "BDAY",
    "EXTRA",
)
PLACES = (
    "Ravenglass",
    "Keswick",
    "Tobermory",
    "Whitby",
    "Dunoon",
    "Penrith",
    "Hexham",
    "Kendal",
    "Ludlow",
    "Totnes",
    "Bakewell",
    "Oban",
    "Alnwick",
    "Ripon",
    "Malton",
    "Settle",
    "Hawes",
    "Ambleside",
    "Portree",
    "Skipton",
    "Verona",
    "Bergamo",
    "Lecce",
    "Trento",
    "Udine",
    "Freiburg",
    "Bamberg",
    "Lüneburg",
    "Würzburg",
    "Passau",
)
TOOLS = (
    "Mailchimp",
    "Klaviyo",
    "the email tool",
    "the CRM",
    "Shopify",
    "the shop admin",
    "the pricing sheet",
    "the ERP",
    "the courier portal",
    "the spreadsheet",
)
AUDIENCES = (
    "existing customers",
    "new subscribers",
    "lapsed customers",
    "wholesale buyers",
    "the whole list",
    "trade partners",
    "VIP members",
    "trial users",
    "everyone in Ireland",
    "staff",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
IT_PRODUCTS = (
    "kit per formaggio",
    "cesto regalo",
    "candela alla lavanda",
    "olio extravergine",
    "caffè macinato",
    "tazza in ceramica",
    "grembiule di lino",
    "abbonamento mensile",
)
LOCAL = {  # weekdays, campaigns and tools as Italian and German reports name them
    "it": (
        ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
        ("saldi estivi", "Natale", "Black Friday", "festa della mamma", "rientro a scuola"),
        ("Mailchimp", "Klaviyo", "Shopify", "il gestionale"),
    ),
    "de": (
        ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        ("Sommerschlussverkauf", "Weihnachten", "Black Friday", "Muttertag", "Frühjahrsaktion"),
        ("Mailchimp", "Klaviyo", "Shopify", "das Warenwirtschaftssystem"),
    ),
}
DE_PRODUCTS = (
    "Geschenkbox",
    "Käse-Set",
    "Lavendelkerze",
    "Olivenöl",
    "Kaffeemühle",
    "Leinenschürze",
    "Monatsabo",
    "Teekanne",
)

# Per runbook and language: titles, details sentences (two to four are drawn), root causes, what the
# team changes, and checklist items (one to three are drawn; some reworded with a suffix).
EN: dict[str, dict[str, tuple[str, ...]]] = {
    "email-campaign": {
        "title": (
            "{Campaign} email went to the wrong segment",
            "{Campaign} newsletter sent to {audience} instead of {audience2}",
            "{Campaign} email sent twice to {n} people",
            "Customers got the {campaign} reminder three times",
            "Broken link in the {campaign} newsletter",
            "Buttons in the {campaign} email pointed to a missing page",
            "Unsubscribe link missing from the {campaign} mailing",
            "Wrong first names in the {campaign} email",
            "{Campaign} email showed last year's prices",
            "Placeholder text went out in the {campaign} newsletter",
            "{Campaign} email promised {pct}% off instead of {pct2}%",
            "Expired code {code} in the {campaign} email",
            "Welcome flow fired for {n} {audience}",
            "Test email about the {product} reached real customers",
            "{Campaign} automation kept sending after the campaign ended",
            "Wrong images of the {product} in the {campaign} email",
        ),
        "details": (
            "One of the replies quoted order {order}.",
            "{n} recipients got it from {tool} on {weekday} morning.",
            "The segment was built from an old export, so {audience} were included by mistake.",
            "Support noticed when replies started arriving from {audience}.",
            "The flow was still live and re-sent the message an hour later.",
            "Several people replied asking whether the {product} offer was real.",
            "The links went to a staging page that asked for a password.",
            "The merge field for the first name was empty for about a third of the list.",
            "We paused the automation in {tool} as soon as we saw it.",
            "The subject line mentioned the {campaign} although the content was for the {product}.",
            "Unsubscribes jumped to {pct} in the first hour.",
            "A few customers posted screenshots on social media.",
            "It was scheduled from the warehouse in {place} by someone covering for a colleague.",
            "The code {code} had expired the week before.",
        ),
        "root_cause": (
            "Adding a cohort to a list triggered its welcome automation.",
            "Nobody checked the segment size before pressing send.",
            "The proof was approved on an earlier draft with different links.",
            "Two people scheduled the same campaign in {tool} without knowing.",
            "The list import mapped columns in the wrong order.",
            "A scheduled send was left over from the previous campaign.",
        ),
        "what_we_change": (
            "Every send goes to the test list first and a second person approves the audience.",
            "We compare the segment count with the expected number before sending.",
            "Automations are paused while a list is being edited.",
            "Links are clicked in the final proof, not in a draft.",
            "Scheduled sends are reviewed every {weekday}.",
        ),
        "checklist": (
            "Send the campaign to the test list first",
            "Compare the segment size with the number you expected",
            "Check which flows a list triggers before adding contacts",
            "Click every link in the final proof",
            "Try the discount code in a real basket",
            "Pause automations while editing a list",
            "Ask a second person to approve the audience",
            "Check the merge fields with a real contact",
        ),
    },
    "pricing-error": {
        "title": (
            "Wrong price on the {product} in the shop",
            "{Product} listed at {price} instead of {price2}",
            "Discount code {code} worked for everyone",
            "Code {code} stacked with the {campaign} discount",
            "Customers overcharged for the {product}",
            "Invoices for {audience} showed the wrong VAT",
            "Price list for {audience} not updated after the increase",
            "{Campaign} prices still live after the sale ended",
            "Currency conversion doubled the price of the {product}",
            "Checkout rounded the {product} down to {price}",
            "Refunds issued twice for {n} orders",
            "{Pct}% discount applied to the whole basket instead of one item",
            "Free shipping code {code} shared on a voucher site",
            "Marketplace listing for the {product} had the trade price",
        ),
        "details": (
            "The first one we saw was order {order}.",
            "{n} orders went through at the wrong price before anyone noticed.",
            "The price was typed into {tool} without the decimal point.",
            "A customer emailed to ask whether {price} was a mistake.",
            "The code {code} appeared on a coupon site within an hour.",
            "We lost about {price2} on the orders placed overnight.",
            "Finance spotted it when the daily sales report looked too good.",
            "The sale had been set to end on {weekday} but the end date was in the wrong year.",
            "Customers in {place} were charged twice at checkout.",
            "The {product} was priced in euros on the pounds shop.",
            "We decided to honour the orders that were already placed.",
            "The discount rule had no minimum basket and no end date.",
        ),
        "root_cause": (
            "The price change was entered by one person and nobody checked it.",
            "The discount rule had no limit on how often a code could be used.",
            "The spreadsheet import shifted one column.",
            "The sale end date was never set.",
            "Two discount rules applied to the same basket.",
        ),
        "what_we_change": (
            "Two people check a price before it goes live.",
            "Every discount code gets a usage limit and an end date.",
            "We keep a rollback plan for every price change.",
            "Price imports are checked against the previous list.",
            "Sales end automatically at the date in the plan.",
        ),
        "checklist": (
            "Have a second person check the new price",
            "Set a usage limit on every discount code",
            "Give every sale an end date",
            "Compare the imported price list with the old one",
            "Place a test order at the new price",
            "Keep a rollback plan for the price change",
        ),
    },
    "general": {
        "title": (
            "Parcel for the {product} sent to the wrong address",
            "Misprint on the {product} packaging",
            "Order confirmation sent to the wrong customer",
            "Delivery promised for {weekday} missed for {n} customers",
            "Wrong opening hours for the {place} shop on the website",
            "Customer data shared in the wrong Slack channel",
            "Booking confirmed twice for the {place} workshop",
            "Leaflet in the {product} box had the old phone number",
            "Courier collected the {place} orders a day late",
            "Gift note printed on the wrong order",
            "Stock count for the {product} wrong after the move",
            "Shared document with supplier prices left public",
        ),
        "details": (
            "The customer quoted order {order}.",
            "About {n} customers were affected.",
            "The courier portal in {place} had an old address saved.",
            "A customer called the shop to ask where the {product} was.",
            "The printer used an old file from {tool}.",
            "We sent an apology and a replacement the same day.",
            "The mistake was found by the team in {place} during the {weekday} stock check.",
            "Nobody outside the company saw it as far as we know.",
            "A partner pointed it out on {weekday}.",
            "It cost us about {price} in replacements and postage.",
        ),
        "root_cause": (
            "The address book was not updated after the move.",
            "The print file was taken from the wrong folder.",
            "Nobody owned the task while the usual person was away.",
            "The template still had last year's details.",
        ),
        "what_we_change": (
            "Every print file is checked against the approved version.",
            "Address changes are made in one place only.",
            "Each recurring task has a named owner and a backup.",
            "Templates are reviewed every quarter.",
        ),
        "checklist": (
            "Check the address before booking the courier",
            "Compare the print file with the approved proof",
            "Name a backup owner for every recurring task",
            "Review templates for old details",
            "Read back the order number to the customer",
        ),
    },
}

IT: dict[str, dict[str, tuple[str, ...]]] = {
    "email-campaign": {
        "title": (
            "Email di promemoria inviata due volte ai clienti",
            "Newsletter del {campaign} inviata alla lista sbagliata",
            "Link rotto nella newsletter sul {product}",
            "Email di benvenuto arrivata a {n} clienti già registrati",
            "Codice {code} scaduto nell'email del {campaign}",
        ),
        "details": (
            "Il primo reclamo riguardava l'ordine {order}.",
            "L'invio è partito da {tool} alle nove di {weekday}.",
            "Molti clienti hanno risposto chiedendo perché avevano ricevuto due email.",
            "Il segmento includeva anche i contatti di {place}.",
            "Abbiamo fermato l'automazione appena ce ne siamo accorti.",
            "Il link portava a una pagina di prova.",
        ),
        "root_cause": (
            "Nessuno ha controllato la dimensione del segmento prima dell'invio.",
            "L'automazione era ancora attiva dalla campagna precedente.",
        ),
        "what_we_change": (
            "Ogni invio passa prima dalla lista di prova.",
            "Una seconda persona approva il pubblico prima dell'invio.",
        ),
        "checklist": (
            "Inviare prima alla lista di prova",
            "Controllare il numero dei destinatari",
            "Verificare ogni link nella bozza finale",
        ),
    },
    "pricing-error": {
        "title": (
            "Prezzo sbagliato per il {product} sul sito",
            "Codice sconto {code} valido per tutti",
            "Listino prezzi non aggiornato per i rivenditori",
            "Sconto del {pct}% applicato due volte al carrello",
        ),
        "details": (
            "Il cliente ha citato l'ordine {order}.",
            "{n} ordini sono passati al prezzo sbagliato.",
            "Il prezzo è stato inserito senza la virgola.",
            "Un cliente di {place} ci ha scritto perché il prezzo sembrava troppo basso.",
            "Abbiamo deciso di onorare gli ordini già fatti.",
        ),
        "root_cause": (
            "Il prezzo è stato cambiato da una sola persona senza controllo.",
            "Il codice non aveva una data di scadenza.",
        ),
        "what_we_change": (
            "Due persone controllano ogni prezzo prima della pubblicazione.",
            "Ogni codice sconto ha un limite di utilizzo.",
        ),
        "checklist": ("Far controllare il prezzo a un collega", "Impostare una scadenza per ogni codice"),
    },
    "general": {
        "title": (
            "Pacco spedito all'indirizzo sbagliato a {place}",
            "Errore di stampa sulla confezione del {product}",
            "Consegna promessa per {weekday} non rispettata",
        ),
        "details": (
            "Il reclamo era sull'ordine {order}.",
            "Il corriere aveva un indirizzo vecchio.",
            "Circa {n} clienti sono stati coinvolti.",
            "Abbiamo spedito un nuovo pacco lo stesso giorno.",
        ),
        "root_cause": ("La rubrica non era stata aggiornata dopo il trasloco.",),
        "what_we_change": ("Gli indirizzi si cambiano in un solo posto.",),
        "checklist": ("Controllare l'indirizzo prima di prenotare il corriere",),
    },
}

DE: dict[str, dict[str, tuple[str, ...]]] = {
    "email-campaign": {
        "title": (
            "Newsletter doppelt verschickt",
            "Begrüßungs-E-Mail an {n} Bestandskunden gesendet",
            "Falscher Link im {campaign} Mailing",
            "E-Mail zur {product} an die falsche Liste",
        ),
        "details": (
            "Die erste Beschwerde betraf Bestellung {order}.",
            "Die Kampagne lief am {weekday} über {tool}.",
            "Viele Kunden haben sich über die doppelte Nachricht beschwert.",
            "Der Link führte auf eine Testseite.",
            "Wir haben die Automatisierung sofort gestoppt.",
        ),
        "root_cause": ("Niemand hat die Empfängerzahl vor dem Versand geprüft.",),
        "what_we_change": ("Jede Kampagne geht zuerst an die Testliste.",),
        "checklist": ("Zuerst an die Testliste senden", "Empfängerzahl vor dem Versand prüfen"),
    },
    "pricing-error": {
        "title": (
            "Falscher Preis für {product} im Shop",
            "Rabattcode {code} für alle Kunden gültig",
            "Rechnungen mit falscher Mehrwertsteuer",
        ),
        "details": (
            "Der Kunde nannte die Bestellung {order}.",
            "{n} Bestellungen gingen zum falschen Preis durch.",
            "Der Preis wurde ohne Komma eingetragen.",
            "Die Buchhaltung hat den Fehler am {weekday} bemerkt.",
        ),
        "root_cause": ("Die Preisänderung wurde von niemandem gegengeprüft.",),
        "what_we_change": ("Zwei Personen prüfen jeden Preis vor der Veröffentlichung.",),
        "checklist": ("Preis von einer zweiten Person prüfen lassen", "Jeden Rabattcode befristen"),
    },
    "general": {
        "title": (
            "Paket an falsche Adresse in {place} geschickt",
            "Druckfehler auf der Verpackung",
            "Lieferung für {weekday} versprochen und verpasst",
        ),
        "details": (
            "Es ging zuerst um Bestellung {order}.",
            "Der Kurier hatte eine alte Adresse.",
            "Etwa {n} Kunden waren betroffen.",
            "Wir haben am selben Tag Ersatz geschickt.",
        ),
        "root_cause": ("Das Adressbuch wurde nach dem Umzug nicht aktualisiert.",),
        "what_we_change": ("Adressen werden nur noch an einer Stelle geändert.",),
        "checklist": ("Adresse vor der Buchung des Kuriers prüfen",),
    },
}
POOLS = {"en": EN, "it": IT, "de": DE}
REWORDED = (" before sending", " every time", " (again)", ", no exceptions", " for big sends")


@dataclass(frozen=True)
class Record:
    """One incident as the bench writes it: what search indexes, and what filters look at."""

    runbook: str
    lang: str
    title: str
    details: str
    what_went_wrong: str
    root_cause: str
    what_we_change: str
    checklist: tuple[str, ...]
    scale: str
    decision: str | None
    status: str
    reporter: str
    created_at: datetime


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def _zipf(rng: random.Random, items: Sequence[str]) -> str:
    """A few come up all the time, most rarely (weight 1/rank)."""
    return rng.choices(items, _ZIPF_WEIGHTS[len(items)])[0]


_ZIPF_WEIGHTS = {n: [1 / (i + 1) for i in range(n)] for n in range(1, 400)}
_PRODUCTS = tuple(f"{a} {b}" for b in PRODUCT_NOUN for a in PRODUCT_ADJ)


def _slots(rng: random.Random, lang: str) -> dict[str, str]:
    product = {"it": lambda: rng.choice(IT_PRODUCTS), "de": lambda: rng.choice(DE_PRODUCTS)}.get(
        lang, lambda: _zipf(rng, _PRODUCTS)
    )()
    weekdays, campaigns, tools = LOCAL.get(lang, (WEEKDAYS, CAMPAIGNS, TOOLS))
    campaign = _zipf(rng, campaigns)
    pct, pct2 = rng.choice((5, 10, 15, 20, 25, 30, 40, 50)), rng.choice((10, 15, 20, 25))
    audience, audience2 = rng.sample(AUDIENCES, 2)
    price = rng.randint(3, 400)
    return {
        "product": product,
        "Product": product[:1].upper() + product[1:],
        "campaign": campaign,
        "Campaign": campaign[:1].upper() + campaign[1:],
        "n": f"{rng.choice((12, 40, 85, 230, 480, 1200, 3400, 9800, 27000, 61000)) + rng.randint(0, 9):,}",
        "pct": str(pct),
        "Pct": str(pct),
        "pct2": str(pct2),
        "code": f"{_zipf(rng, CODE_WORDS)}{pct}",
        "audience": audience,
        "audience2": audience2,
        "tool": rng.choice(tools),
        "place": rng.choice(PLACES),
        "weekday": rng.choice(weekdays),
        "price": f"£{price}.{rng.choice(('00', '50', '99'))}",
        "price2": f"£{price * 10}.00",
        "order": str(rng.randint(100_000, 999_999)),  # all but unique: what a rare search word is
    }


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format(**slots)


def record(rng: random.Random, runbook: str, created_at: datetime) -> Record:
    """One made-up incident of ``runbook`` (a runbook without phrases of its own borrows general's)."""
    lang = _weighted(rng, LANGS)
    pool = POOLS[lang].get(runbook) or POOLS[lang]["general"]
    slots = _slots(rng, lang)
    sentences = rng.sample(pool["details"], min(len(pool["details"]), rng.randint(2, 4)))
    is_open = rng.random() < OPEN_SHARE
    decision = None if is_open and rng.random() < 0.5 else _weighted(rng, DECISIONS)
    items = rng.sample(pool["checklist"], min(len(pool["checklist"]), rng.randint(1, 3)))
    if lang == "en":  # people reword a lesson now and then
        items = [i + rng.choice(REWORDED) if rng.random() < 0.25 else i for i in items]
    return Record(
        runbook=runbook,
        lang=lang,
        title=_fill(rng.choice(pool["title"]), slots)[:150],
        details=" ".join(_fill(s, slots) for s in sentences),
        what_went_wrong="" if is_open else _fill(rng.choice(pool["title"]), slots),
        root_cause="" if is_open else _fill(rng.choice(pool["root_cause"]), slots),
        what_we_change="" if is_open else _fill(rng.choice(pool["what_we_change"]), slots),
        checklist=() if is_open else tuple(items),
        scale=_weighted(rng, SCALES),
        decision=decision,
        status=("deciding" if decision is None else "retro_scheduled") if is_open else "closed",
        reporter=_zipf(rng, REPORTERS),
        created_at=created_at,
    )


def when(k: int, n: int, rng: random.Random) -> datetime:
    """The ``k``-th of ``n`` incidents' time: evenly over three years up to END, a little jitter."""
    base = END - SPAN + SPAN * (k / max(n, 1))
    return base + timedelta(minutes=rng.randint(0, 600))


def history(n: int, runbooks: Sequence[str], seed: int = SEED) -> Iterator[Record]:
    """``n`` made-up incidents, oldest first, every runbook in turn-ish (email the most common)."""
    rng = random.Random(seed)
    weights = [3 if r == "email-campaign" else 2 if r == "pricing-error" else 1 for r in runbooks]
    for k in range(n):
        yield record(rng, rng.choices(list(runbooks), weights)[0], when(k, n, rng))
