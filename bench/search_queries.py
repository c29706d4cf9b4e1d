"""The search bench's queries, by kind, and the naive `LIKE '%…%'` scan they are compared with.

Kinds: one word (common, uncommon, rare: an order number quoted once), two or three words, phrases,
prefixes, filters (with and without words), Italian, German, no match, hostile text, and the labelled
set's queries. Drawn with a fixed seed from the words the made-up history uses, so common words are
common and rare ones rare there.
"""

from __future__ import annotations

import random
import re

from sqlalchemy import and_, exists, or_
from sqlmodel import col, select

from bench import history_data as data
from bench.labelled import QUERIES
from bench.search_build import runbook_ids
from bot.store.repo import Repo
from bot.store.search_query import SearchQuery, parse
from bot.store.tables import ChecklistItem, Incident, Retrospective
from bot.usecases.history import day_start

KINDS = (
    "common",
    "uncommon",
    "rare",
    "words",
    "phrase",
    "prefix",
    "filter",
    "italian",
    "german",
    "nomatch",
    "hostile",
    "labelled",
)
COMMON = (
    "email",
    "price",
    "customers",
    "newsletter",
    "discount",
    "sent",
    "wrong",
    "list",
    "link",
    "code",
    "orders",
    "campaign",
    "invoices",
    "refunds",
    "delivery",
    "parcel",
    "subscribers",
    "test",
    "segment",
    "checkout",
    "flow",
    "automation",
    "twice",
    "customer",
    "sending",
)
TWO_THREE = (
    "wrong price",
    "broken link newsletter",
    "discount code everyone",
    "welcome flow",
    "sent twice",
    "wrong segment",
    "test list",
    "merge field",
    "coupon site",
    "old address",
    "print file",
    "price list increase",
    "wrong vat invoices",
    "staging page password",
    "courier portal",
    "second person approve",
    "usage limit code",
    "rollback plan",
    "opening hours website",
    "paused automation",
    "unsubscribes jumped",
    "end date wrong year",
    "screenshots social media",
    "gift note",
    "stock count move",
)
PHRASES = (
    "welcome email",
    "wrong price",
    "test list",
    "sent twice",
    "broken link",
    "discount code",
    "wrong address",
    "second person",
    "segment size",
    "end date",
    "price list",
    "trade price",
    "courier portal",
    "merge field",
    "old address",
    "wrong segment",
    "first name",
    "whole basket",
)
ITALIAN = (
    "prezzo sbagliato",
    "promemoria",
    "perche due email",
    "codice sconto",
    "lista sbagliata",
    "pacco indirizzo",
    "consegna non rispettata",
    "listino rivenditori",
    "iscritti",
    "citta sbagliata",
    "gia registrati",
    "onorare ordini",
    "virgola prezzo",
    "saldi estivi newsletter",
    "corriere vecchio",
)
GERMAN = (
    "newsletter doppelt",
    "falscher preis",
    "rabattcode",
    "mehrwertsteuer",
    "paket falsche adresse",
    "begrüßungs",
    "bestandskunden",
    "kurier adresse",
    "druckfehler verpackung",
    "empfängerzahl",
    "lieferung verpasst",
    "buchhaltung fehler",
    "testliste",
    "lavendelkerze",
    "kaffeemuhle",
)
NO_MATCH = (
    "zebra",
    "helicopter refund",
    "quantum",
    "xylophone newsletter",
    "kilimanjaro",
    "submarine price",
    '"purple elephant"',
    "blockchain*",
    "wrong price zeppelin",
    "tuba",
    "email volcano",
    "runbook:general zeppelin",
    "marzipan",
    "ostrich discount",
    "glacier",
    '"sent four times"',
    "invoice penguin",
    "trombone*",
    "aardvark list",
    "nebula checkout",
)
HOSTILE = (
    "'; DROP TABLE incident; --",
    '"unclosed quote email',
    "email OR 1=1",
    "NOT price AND -discount",
    "price:* ) ( NEAR",
    "🔥🔥 email 🔥",
    "%_% LIKE",
    "runbook:'); DELETE",
    "*",
    "email " * 300,
)


def queries(seed: int = data.SEED) -> list[tuple[str, str]]:
    """(kind, text) pairs: at least 200 besides the labelled ones, the same on every run."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = [("common", w) for w in COMMON]
    codes = [f"{w.lower()}{p}" for w in data.CODE_WORDS for p in (5, 10, 15, 20, 25, 30, 40, 50)]
    rare = [p.lower() for p in data.PLACES[:12]] + rng.sample(codes, 8) + list(data.PRODUCT_ADJ[-5:])
    out += [("uncommon", w) for w in rare]
    out += [("rare", f"order {number}") for number in _order_numbers(10)]
    out += [("words", w) for w in TWO_THREE]
    out += [
        ("words", f"{rng.choice(data.PRODUCT_ADJ)} {rng.choice(('price', 'email', 'parcel', 'refund'))}")
        for _ in range(15)
    ]
    out += [("phrase", f'"{p}"') for p in PHRASES]
    out += [("phrase", f'"{c.lower()}" email') for c in data.CAMPAIGNS[:7]]
    prefixes = (
        "welc*",
        "newsl*",
        "disc*",
        "refun*",
        "unsub*",
        "autom*",
        "promem*",
        "rabatt*",
        "subscr*",
        "check*",
        "wareh*",
        "bestell*",
        "prez*",
        "ship*",
        "temp*",
    )
    out += [("prefix", p) for p in prefixes]
    out += [("prefix", f"{p.lower()[:4]}* {w}") for p, w in zip(data.PLACES[:5], COMMON, strict=False)]
    filters = (
        "runbook:email-campaign email",
        "scale:huge price",
        "decision:make_it_big refund",
        "since:2026-01-01 newsletter",
        "before:2024-06-01 discount",
        "by:@U0AILSA price",
        "status:open",
        "runbook:general scale:big",
        "decision:no_action",
        "status:closed twice",
        "runbook:pricing-error code",
        "scale:tiny email",
        "since:2025-06-01 before:2025-07-01 price",
        "by:<@U0GIULIA> email",
        "decision:correct link",
        "runbook:pricing-error scale:huge",
    )
    out += [("filter", f) for f in filters]
    out += [
        (
            "filter",
            f"runbook:{rng.choice(('email-campaign', 'pricing-error', 'general'))} "
            f"{rng.choice(COMMON)} scale:{rng.choice(('tiny', 'small', 'big', 'huge'))}",
        )
        for _ in range(14)
    ]
    out += [("italian", q) for q in ITALIAN]
    out += [("german", q) for q in GERMAN]
    out += [("nomatch", q) for q in NO_MATCH]
    out += [("hostile", q) for q in HOSTILE]
    out += [("labelled", q.text) for q in QUERIES]
    return out


def _order_numbers(n: int) -> list[str]:
    """Order numbers the oldest made-up incidents quote (there at every size the bench builds): a word
    that is in one incident or a handful."""
    found = []
    for r in data.history(60, runbook_ids(), data.SEED):
        found += re.findall(r"\b\d{6}\b", r.details)
    return found[:n]


def like_in(repo: Repo, text: str, *, limit: int) -> list[tuple[Incident, Retrospective | None]]:
    """What a naive search would do: each term as `LIKE '%term%'` over the title, details, the
    retrospective's three fields and the checklist items, with the same filters, workspace and limit,
    newest first."""
    query = parse(text)
    if query.empty:
        return []
    joined = and_(col(Retrospective.incident_id) == col(Incident.id), col(Retrospective.team_id) == repo.team)
    stmt = (
        select(Incident, Retrospective)
        .outerjoin(Retrospective, joined)
        .where(col(Incident.team_id) == repo.team)
    )
    fields = (
        Incident.title,
        Incident.details,
        Retrospective.what_went_wrong,
        Retrospective.root_cause,
        Retrospective.what_we_change,
    )
    for term in query.terms:
        pattern = f"%{' '.join(term.words)}%"
        in_items = exists().where(
            col(ChecklistItem.incident_id) == col(Incident.id), col(ChecklistItem.text).ilike(pattern)
        )
        stmt = stmt.where(or_(*(col(f).ilike(pattern) for f in fields), in_items))
    stmt = _filters(stmt, query)
    rows = repo.session.exec(
        stmt.order_by(col(Incident.created_at).desc(), col(Incident.id).desc()).limit(limit)
    )
    return [(incident, retro) for incident, retro in rows]


def _filters(stmt, query: SearchQuery):  # type: ignore[no-untyped-def]
    f = query.filters
    for column, value in (
        (Incident.runbook_id, f.runbook),
        (Incident.scale, f.scale),
        (Incident.decision, f.decision),
        (Incident.reporter, f.by),
    ):
        if value is not None:
            stmt = stmt.where(col(column) == value)
    if f.status == "closed":
        stmt = stmt.where(col(Incident.status) == "closed")
    elif f.status is not None:
        stmt = stmt.where(col(Incident.status) != "closed")
    since, before = day_start(f.since, data.UTC), day_start(f.before, data.UTC)
    if since is not None:
        stmt = stmt.where(col(Incident.created_at) >= since)
    if before is not None:
        stmt = stmt.where(col(Incident.created_at) < before)
    return stmt
