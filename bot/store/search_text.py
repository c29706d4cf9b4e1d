"""What history search indexes and looks for, as plain words: one normaliser for both databases.

Text is case-folded, accents are removed (NFKD, so `perché` is `perche`) and cut into runs of letters
and digits. Each word is kept as written (so Italian and German words match as typed, and phrases and
prefixes see the words in order), and its English Snowball stem is added after them when it differs
(so `emails` finds `email`). Pure: the migration, the store and the query parser all use it.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable

import Stemmer

# Longer runs are cut: PostgreSQL refuses a lexeme over 2 KB, and nobody types such a word.
TOKEN_MAX = 60
_local = threading.local()  # a PyStemmer object keeps a cache and is not safe to share between threads


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def fold(text: str) -> str:
    """Lower case without accents: `Perché` -> `perche`, `Straße` -> `strasse`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """The words of a text, folded: runs of letters and digits, anything else separates them."""
    spaced = "".join(c if c.isalnum() else " " for c in fold(text))
    return [word[:TOKEN_MAX] for word in spaced.split()]


def stem(token: str) -> str:
    return str(_stemmer().stemWord(token))


def words(*texts: str) -> str:
    """Texts' search words: the words in order, then the stems that differ from them."""
    found = [t for text in texts for t in tokens(text)]
    seen = set(found)
    stems = [s for s in map(stem, found) if s not in seen]
    return " ".join(found + list(dict.fromkeys(stems)))


def document(title: str, details: str, runbook_id: str, lessons: Iterable[str] = ()) -> tuple[str, str]:
    """An incident's search words: its title (ranked higher), and the rest (details, runbook, lessons)."""
    return words(title), words(details, runbook_id, *lessons)
