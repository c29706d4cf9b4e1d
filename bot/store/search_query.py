"""The history search language, parsed into words and filters that never reach SQL as syntax.

    welcome email        words (each one, inflected as you like: `emails` finds `email`)
    "test list"          a phrase: these words, in this order
    welc*                a prefix (two letters at least)
    runbook:ID scale:LEVEL decision:CHOICE status:open|closed since:YYYY-MM-DD before:YYYY-MM-DD
    by:@U123 / by:<@U123>  who reported it

Anything else (an unclosed quote, AND/OR/NOT, a minus sign, a colon, emoji, SQL) is just words, or
nothing when it has no letters or digits. Each database gets the words quoted as plain lexemes
(`fts5_match`, `tsquery`), the filters as bound values. Pure: only the standard library and PyStemmer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.store.search_text import STOP_WORDS, stems, tokens

TEXT_MAX = 1000  # characters read from a query; the rest is dropped
TERMS_MAX = 24  # terms kept: a search that long is a paste, and every term costs a lookup
PREFIX_MIN = 2  # `w*` would match half the history

_PHRASE = re.compile(r'"([^"]*)"')
_FILTER = re.compile(r"^(runbook|scale|decision|status|since|before|by):(.+)$", re.IGNORECASE)
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_USER = re.compile(r"^(?:<@|@)?([UW][A-Z0-9]{2,30})>?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECISIONS = ("no_action", "correct", "make_it_big")


class Kind(StrEnum):
    WORD = "word"
    PHRASE = "phrase"
    PREFIX = "prefix"


@dataclass(frozen=True)
class Term:
    kind: Kind
    words: tuple[str, ...]  # folded; a word term has one


@dataclass(frozen=True)
class Filters:
    runbook: str | None = None
    scale: str | None = None
    decision: str | None = None
    status: str | None = None  # "open" or "closed"
    since: date | None = None
    before: date | None = None
    by: str | None = None

    def any(self) -> bool:
        return any(value is not None for value in vars(self).values())


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...] = ()
    filters: Filters = field(default_factory=Filters)

    @property
    def empty(self) -> bool:
        """Nothing asked: such a query finds nothing (never the whole history)."""
        return not self.terms and not self.filters.any()


def parse(text: str) -> SearchQuery:
    text = (text or "")[:TEXT_MAX]
    terms: list[Term] = []
    found: dict[str, object] = {}
    for n, piece in enumerate(_PHRASE.split(text)):
        if n % 2:  # inside a closed pair of quotes
            words = tuple(tokens(piece))
            if len(words) == 1:
                terms.append(Term(Kind.WORD, words))
            elif words:
                terms.append(Term(Kind.PHRASE, words))
            continue
        for raw in piece.split():
            value = _filter(raw)
            if value is not None and value[0] not in found:
                found[value[0]] = value[1]
            elif value is None:
                terms.extend(_word_terms(raw))
    terms = _without_stop_words(list(dict.fromkeys(terms)))
    return SearchQuery(tuple(terms)[:TERMS_MAX], Filters(**found))  # type: ignore[arg-type]


def _without_stop_words(terms: list[Term]) -> list[Term]:
    """`printed in the greeting` asks for `printed greeting`: a word like `the` or `di` says nothing
    and would fail an incident written without it (numbers stay: `order 677814` wants that order).
    Kept when the query has nothing else."""
    kept = [t for t in terms if t.kind is not Kind.WORD or t.words[0] not in STOP_WORDS]
    return kept or terms


def _word_terms(raw: str) -> list[Term]:
    words = tokens(raw)
    if raw.endswith("*") and len(words) == 1 and len(words[0]) >= PREFIX_MIN and raw.count("*") == 1:
        return [Term(Kind.PREFIX, (words[0],))]
    if len(words) > 1 and all(c.isalnum() or c in "-'’./_" for c in raw.strip("*")):
        return [Term(Kind.PHRASE, tuple(words))]  # e-mail, l'ordine, v1.2: one word as written
    return [Term(Kind.WORD, (word,)) for word in words]


def _filter(raw: str) -> tuple[str, object] | None:
    """(name, value) of a well-formed filter; None means the text is words."""
    match = _FILTER.match(raw)
    if match is None:
        return None
    name, value = match.group(1).lower(), match.group(2)
    if name in ("runbook", "scale") and _ID.match(value):
        return name, value if name == "runbook" else value.lower()
    if name == "decision" and value.lower().replace("-", "_") in DECISIONS:
        return name, value.lower().replace("-", "_")
    if name == "status" and value.lower() in ("open", "closed"):
        return name, value.lower()
    if name in ("since", "before") and _DATE.match(value):
        try:
            return name, date.fromisoformat(value)
        except ValueError:
            return None
    if name == "by" and (user := _USER.match(value)):
        return name, user.group(1)
    return None


def quote_fts(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_match(query: SearchQuery, *, any_term: bool = False) -> str:
    """The terms as an SQLite FTS5 MATCH expression: every string quoted, joined by AND (by OR with
    ``any_term``)."""
    parts = []
    for term in query.terms:
        if term.kind is Kind.WORD:
            parts.append("(" + " OR ".join(map(quote_fts, stems(term.words[0]))) + ")")
        elif term.kind is Kind.PREFIX:
            parts.append(quote_fts(term.words[0]) + " *")
        else:
            parts.append(quote_fts(" ".join(term.words)))
    return (" OR " if any_term else " AND ").join(parts)


def quote_ts(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(query: SearchQuery, *, any_term: bool = False) -> str:
    """The terms as PostgreSQL to_tsquery('simple', …) text: quoted lexemes, `&` (`|` with ``any_term``),
    `<->` and `:*`."""
    parts = []
    for term in query.terms:
        if term.kind is Kind.WORD:
            parts.append("(" + " | ".join(map(quote_ts, stems(term.words[0]))) + ")")
        elif term.kind is Kind.PREFIX:
            parts.append(quote_ts(term.words[0]) + ":*")
        else:
            parts.append("(" + " <-> ".join(map(quote_ts, term.words)) + ")")
    return (" | " if any_term else " & ").join(parts)
