"""Run a runbook's rules on the answers: how big is it, who needs to know, what should we do.

Pure functions of (runbook, answers): no Slack, no database, no clock, so every decision the bot
suggests can be reproduced in a test from the same answers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.runbook.expressions import Level
from bot.runbook.model import SCALE, Decision, Runbook

__all__ = [
    "NO_LARGER_SCALE",
    "Assessment",
    "DepartmentNeed",
    "Recommendation",
    "assess_scale",
    "pick_departments",
    "recommend",
    "rule_context",
    "suggest_runbook",
]

NO_LARGER_SCALE = "No rule for a larger scale matched"


@dataclass(frozen=True)
class Assessment:
    """The scale of a mistake and the reasons for it, in words."""

    level: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DepartmentNeed:
    """A department to notify, and why it needs to know."""

    department: str
    reason: str


@dataclass(frozen=True)
class Recommendation:
    """What the runbook suggests doing, and why; the team decides."""

    choice: Decision
    reason: str


def rule_context(runbook: Runbook, answers: Mapping[str, Any], level: str | None = None) -> dict[str, Any]:
    """The names rules see: every question id (None when unanswered) and, once known, ``scale``."""
    context = {question_id: answers.get(question_id) for question_id in runbook.question_ids}
    if level is not None:
        context[SCALE] = level if isinstance(level, Level) else Level(level, runbook.levels)
    return context


def assess_scale(runbook: Runbook, answers: Mapping[str, Any]) -> Assessment:
    """The highest level whose rule matches, with the reasons of every matching rule at that level."""
    levels = runbook.levels
    context = rule_context(runbook, answers)
    best = -1
    matched = []
    for rule in runbook.compiled.scale:
        if not rule.when(context):
            continue
        position = levels.index(rule.key)
        if position > best:
            best, matched = position, [rule]
        elif position == best:
            matched.append(rule)
    if best < 0:
        return Assessment(levels[0], (NO_LARGER_SCALE,))
    reasons = dict.fromkeys(rule.why(context) for rule in matched)  # keeps order, drops repeats
    return Assessment(levels[best], tuple(reasons))


def pick_departments(runbook: Runbook, answers: Mapping[str, Any], level: str) -> list[DepartmentNeed]:
    """One entry per department to notify, with the reason of its first matching rule, in runbook order."""
    context = rule_context(runbook, answers, level)
    needs: dict[str, DepartmentNeed] = {}
    for rule in runbook.compiled.departments:
        if rule.key not in needs and rule.when(context):
            needs[rule.key] = DepartmentNeed(rule.key, rule.why(context))
    return list(needs.values())


def recommend(runbook: Runbook, answers: Mapping[str, Any], level: str) -> Recommendation:
    """The first matching recommendation rule, else the runbook's default."""
    context = rule_context(runbook, answers, level)
    compiled = runbook.compiled
    for rule in compiled.recommendation:
        if rule.when(context):
            return Recommendation(Decision(rule.key), rule.why(context))
    default = runbook.recommendation.default
    return Recommendation(default.choice, compiled.default_why(context))


_WORD = re.compile(r"[^\W_]+")


def _stem(word: str) -> str:
    """'prices' -> 'price', 'links' -> 'link': enough for keywords without a language library."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    return [_stem(word) for word in _WORD.findall(folded)]


@functools.lru_cache(maxsize=256)
def _phrases(keywords: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """A runbook's keywords as folded word tuples, folded once rather than at every `/oops`."""
    return frozenset(tuple(_words(keyword)) for keyword in keywords)


def _grams(words: list[str], longest: int) -> set[tuple[str, ...]]:
    """Every run of 1 to ``longest`` consecutive words: a phrase matches when it is one of them."""
    return {tuple(words[i : i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)}


def suggest_runbook(runbooks: Mapping[str, Runbook], summary: str, fallback: str = "general") -> str:
    """The id of the runbook whose keywords best match a one-line summary, else ``fallback``.

    Matching is by whole words, ignoring case, accents and a plural 's'; a keyword of several words
    ("wrong price") must appear as a phrase and scores one point per word, so specific phrases beat
    single words. Ties go to the runbook that comes first in ``runbooks``.
    """
    words = _words(summary or "")
    per_runbook = [(key, _phrases(tuple(runbook.keywords))) for key, runbook in runbooks.items()]
    longest = max((len(phrase) for _, phrases in per_runbook for phrase in phrases), default=0)
    grams = _grams(words, longest)
    best_id, best_score = fallback, 0
    for runbook_id, phrases in per_runbook:
        score = sum(len(phrase) for phrase in phrases if phrase and phrase in grams)
        if score > best_score:
            best_id, best_score = runbook_id, score
    return best_id
