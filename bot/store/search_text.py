"""What history search indexes and looks for, as plain words: one normaliser for both databases.

Text is case-folded, accents are removed (NFKD, so `perché` is `perche`) and cut into runs of letters
and digits. Each word is kept as written (so Italian and German words match as typed, and phrases and
prefixes see the words in order); after them come its English, Italian and German Snowball stems where
they differ (so `emails` finds `email`, `consegnati` finds `consegnato`, `Lieferungen` finds
`Lieferung`), and a German word with an umlaut also as it is typed without one (`Öffnungszeiten` is
`offnungszeiten` and `oeffnungszeiten`). A query word matches any of its stems (bot.store.search_query).
Pure: the migrations, the store and the query parser all use it.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable

import Stemmer

LANGUAGES = ("english", "italian", "german")  # the stems every word is indexed under, English first
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
ENGLISH_STOP = (
    "a an the and or but if of to in on at by for from with into onto over under about after before "
    "as is are was were be been being am it its this that these those there here then than so not no "
    "we our us you your they their them he she his her i me my all any some each other such only also "
    "just very too can could would should will shall may might must do does did done has have had "
    "who what which when where why how again out up down off one two per via"
)
ITALIAN_STOP = (
    "il lo la l i gli le un una uno d di del dello della dei degli delle da dal dallo dalla dai dagli "
    "dalle al allo alla ai agli alle nel nello nella nei negli nelle sul sullo sulla sui sugli sulle "
    "con su per tra fra e ed o che chi non si ci ne sono era erano stato stata stati essere ha "
    "hanno ho abbiamo come ma anche piu questo questa questi queste quello quella loro noi voi"
)
GERMAN_STOP = (
    "der die das den dem des ein eine einen einem einer eines und oder aber ist sind war waren wurde "
    "wurden werden zu zum zur von vom mit auf im an am bei fur nicht es sie er wir ihr auch als "
    "aus nach uber noch wie dass hat haben sich bis kein keine"
)
# Folded as tokens() folds: words so common they say nothing about a mistake.
STOP_WORDS = frozenset(" ".join((ENGLISH_STOP, ITALIAN_STOP, GERMAN_STOP)).split())
# Longer runs are cut: PostgreSQL refuses a lexeme over 2 KB, and nobody types such a word.
TOKEN_MAX = 60
_local = threading.local()  # a PyStemmer object keeps a cache and is not safe to share between threads


def _stemmers() -> list[Stemmer.Stemmer]:
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = [Stemmer.Stemmer(language) for language in LANGUAGES]
    return stemmers


def fold(text: str) -> str:
    """Lower case without accents: `Perché` -> `perche`, `Straße` -> `strasse`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """The words of a text, folded: runs of letters and digits, anything else separates them."""
    spaced = "".join(c if c.isalnum() else " " for c in fold(text))
    return [word[:TOKEN_MAX] for word in spaced.split()]


def stem(token: str) -> str:
    """The English stem (what similar mistakes compare)."""
    return str(_stemmers()[0].stemWord(token))


def stems(token: str) -> list[str]:
    """A word's stems in every indexed language, once each, English first."""
    return list(dict.fromkeys(str(s.stemWord(token)) for s in _stemmers()))


def informative(token: str) -> bool:
    """A folded word that can tell one mistake from another: not a stop word, a letter or a number."""
    return len(token) > 1 and not token.isdigit() and token not in STOP_WORDS


def umlaut_spellings(text: str) -> list[str]:
    """The words with an umlaut as typed without one (`Größe` -> `groesse`)."""
    plain = [word.translate(UMLAUTS) for word in text.split() if word.translate(UMLAUTS) != word]
    return [t for word in plain for t in tokens(word)]


def words(*texts: str) -> str:
    """Texts' search words: the words in order, then the stems and spellings that differ from them."""
    found = [t for text in texts for t in tokens(text)]
    extra = [s for t in dict.fromkeys(found) for s in stems(t)]
    extra += [t for text in texts for t in umlaut_spellings(text)]
    seen = set(found)
    return " ".join(found + [t for t in dict.fromkeys(extra) if t not in seen])


def document(title: str, details: str, runbook_id: str, lessons: Iterable[str] = ()) -> tuple[str, str]:
    """An incident's search words: its title (ranked higher), and the rest (details, runbook, lessons)."""
    return words(title), words(details, runbook_id, *lessons)
