"""What a runbook file says: the questions to ask, how to size the mistake, who to tell, what to do.

The schema is strict (unknown keys are errors) because a misspelt key in a hand-edited file would
otherwise be silently ignored. Checks that span several parts of the file (rule levels, expressions,
duplicate ids) live in ``Runbook.problems`` so the loader can point at the exact line of each one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.datafile import format_place
from bot.runbook.expressions import Condition, ExpressionError, Reason, compile_condition, compile_reason
from bot.runbook.questions import SCALE, SNAKE_CASE, Choice, Question, QuestionType, StrictModel

_Model = StrictModel

__all__ = [
    "DEFER_CHECKS",
    "SCALE",
    "Cause",
    "Choice",
    "CompiledRule",
    "CompiledRunbook",
    "Decision",
    "DepartmentRule",
    "Loc",
    "Problem",
    "Question",
    "QuestionType",
    "RecommendationDefault",
    "RecommendationRule",
    "RecommendationSpec",
    "Runbook",
    "ScaleRule",
    "ScaleSpec",
]

# Validation context key: the loader asks the model to leave cross-checks to it, so each one can be
# reported with its own line instead of the line of the whole runbook.
DEFER_CHECKS = "defer_runbook_checks"

_SNAKE = SNAKE_CASE
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DEPARTMENT = re.compile(r"^[a-z][a-z0-9_-]*$")
Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def _yaml_bool_as_condition(value: Any) -> Any:
    """``when: true`` in YAML is a boolean; as a condition it means what it says."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


ConditionText = Annotated[str, BeforeValidator(_yaml_bool_as_condition), Field(min_length=1)]


class Decision(StrEnum):
    """The three ways to respond to a mistake."""

    no_action = "no_action"
    correct = "correct"
    make_it_big = "make_it_big"

    @property
    def label(self) -> str:
        return _DECISION_LABELS[self]


_DECISION_LABELS = {
    Decision.no_action: "No action",
    Decision.correct: "Correct it",
    Decision.make_it_big: "Make it big",
}


class ScaleRule(_Model):
    """The mistake is at least ``level`` when ``when`` holds; ``why`` says so in words."""

    level: str
    when: ConditionText
    why: str = Field(min_length=1)


class ScaleSpec(_Model):
    """Levels from the lowest up, and the rules that lift a mistake to a level."""

    levels: list[str] = Field(min_length=2, max_length=10)
    rules: list[ScaleRule] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _levels_are_names(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for level in value:
            if not _SNAKE.match(level):
                raise ValueError(f"level {level!r} must be a lower-case word, like big")
            if level in seen:
                raise ValueError(f"level {level!r} appears twice")
            seen.add(level)
        return value


class DepartmentRule(_Model):
    """Tell ``department`` (an id from app.yaml) when ``when`` holds."""

    department: str
    when: ConditionText
    why: str = Field(min_length=1)

    @field_validator("department")
    @classmethod
    def _department_is_id(cls, value: str) -> str:
        if not _DEPARTMENT.match(value):
            raise ValueError(f"department id {value!r} must be lower-case letters, digits, '-' or '_'")
        return value


class RecommendationRule(_Model):
    """Recommend ``choice`` when ``when`` holds; the first matching rule wins."""

    choice: Decision
    when: ConditionText
    why: str = Field(min_length=1)


class RecommendationDefault(_Model):
    """What to recommend when no rule matches."""

    choice: Decision
    why: str = Field(min_length=1)


class RecommendationSpec(_Model):
    rules: list[RecommendationRule] = Field(default_factory=list)
    default: RecommendationDefault


class Cause(_Model):
    """A root-cause category the retrospective form offers (process, communication…)."""

    id: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=75)

    @field_validator("id")
    @classmethod
    def _id_is_snake(cls, value: str) -> str:
        if not _SNAKE.match(value):
            raise ValueError(f"cause id {value!r} must be a lower-case word, like human_slip")
        return value


def default_causes() -> list[Cause]:
    """The categories a runbook without ``causes:`` offers."""
    return [
        Cause(id="process", label="Process"),
        Cause(id="communication", label="Communication"),
        Cause(id="tooling", label="Tooling"),
        Cause(id="human_slip", label="Human slip"),
        Cause(id="third_party", label="Third party"),
    ]


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to run: ``key`` is its level, department or decision."""

    key: str
    when: Condition
    why: Reason


@dataclass(frozen=True)
class CompiledRunbook:
    """The compiled rules of one runbook, built once when it is loaded."""

    scale: tuple[CompiledRule, ...]
    departments: tuple[CompiledRule, ...]
    recommendation: tuple[CompiledRule, ...]
    default_why: Reason
    source_key: tuple[Any, ...]


class Runbook(_Model):
    """One kind of mistake and how to walk a team through it; ``id`` equals the file name."""

    id: str
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=500)
    keywords: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1, max_length=40)
    scale: ScaleSpec
    departments: list[DepartmentRule] = Field(default_factory=list)
    recommendation: RecommendationSpec
    checklist: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list)
    # Root-cause categories for the retrospective form; a static select holds at most 100 options.
    causes: list[Cause] = Field(default_factory=default_causes, min_length=1, max_length=100)

    _compiled: CompiledRunbook | None = PrivateAttr(default=None)

    @field_validator("id")
    @classmethod
    def _id_is_kebab(cls, value: str) -> str:
        if not _KEBAB.match(value):
            raise ValueError(f"runbook id {value!r} must be kebab-case, like pricing-error")
        return value

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Runbook:
        if (info.context or {}).get(DEFER_CHECKS):
            return self
        problems = self.problems()
        if problems:
            loc, message = problems[0]
            raise ValueError(f"{format_place(loc)}: {message}")
        return self

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(self.scale.levels)

    @property
    def question_ids(self) -> list[str]:
        return [question.id for question in self.questions]

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if there is none)."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def cause_label(self, cause_id: str) -> str:
        """The label of a cause id; the id itself when the runbook no longer lists it."""
        return next((cause.label for cause in self.causes if cause.id == cause_id), cause_id)

    def problems(self, departments: Collection[str] | None = None) -> list[Problem]:
        """Every problem the schema alone cannot see, each with its place in the file; compiles the rules."""
        problems: list[Problem] = []
        first_use: dict[str, int] = {}
        for index, question in enumerate(self.questions):
            if question.id in first_use:
                problems.append(
                    (
                        ("questions", index, "id"),
                        f"question id {question.id!r} is already used by questions[{first_use[question.id]}]",
                    )
                )
            else:
                first_use[question.id] = index
        answers = set(first_use)
        cause_at: dict[str, int] = {}
        for index, cause in enumerate(self.causes):
            if cause.id in cause_at:
                problems.append(
                    (
                        ("causes", index, "id"),
                        f"cause id {cause.id!r} is already used by causes[{cause_at[cause.id]}]",
                    )
                )
            else:
                cause_at[cause.id] = index
        with_scale = answers | {SCALE}
        levels = self.levels
        values: dict[str, Sequence[str]] = {
            question.id: [option.value for option in question.options]
            for question in self.questions
            if question.type == QuestionType.choice
        }
        values_with_scale = {**values, SCALE: levels}

        def condition(
            loc: Loc, source: str, names: set[str], allowed: dict[str, Sequence[str]]
        ) -> Condition | None:
            try:
                return compile_condition(source, names, values=allowed)
            except ExpressionError as exc:
                problems.append((loc, str(exc)))
                return None

        def reason(loc: Loc, source: str, names: set[str]) -> Reason | None:
            try:
                return compile_reason(source, names, values=values_with_scale)
            except ExpressionError as exc:
                problems.append((loc, str(exc)))
                return None

        scale_rules: list[CompiledRule | None] = []
        for index, rule in enumerate(self.scale.rules):
            loc: Loc = ("scale", "rules", index)
            if rule.level not in levels:
                problems.append(((*loc, "level"), _unknown("level", rule.level, levels)))
            when = condition((*loc, "when"), rule.when, answers, values)
            why = reason((*loc, "why"), rule.why, answers)
            scale_rules.append(CompiledRule(rule.level, when, why) if when and why else None)

        department_rules: list[CompiledRule | None] = []
        for index, rule in enumerate(self.departments):
            loc = ("departments", index)
            if departments is not None and rule.department not in departments:
                problems.append(
                    (
                        (*loc, "department"),
                        _unknown("department", rule.department, sorted(departments), "app.yaml"),
                    )
                )
            when = condition((*loc, "when"), rule.when, with_scale, values_with_scale)
            why = reason((*loc, "why"), rule.why, with_scale)
            department_rules.append(CompiledRule(rule.department, when, why) if when and why else None)

        recommendation_rules: list[CompiledRule | None] = []
        for index, rule in enumerate(self.recommendation.rules):
            loc = ("recommendation", "rules", index)
            when = condition((*loc, "when"), rule.when, with_scale, values_with_scale)
            why = reason((*loc, "why"), rule.why, with_scale)
            recommendation_rules.append(CompiledRule(rule.choice.value, when, why) if when and why else None)
        default_why = reason(
            ("recommendation", "default", "why"), self.recommendation.default.why, with_scale
        )

        if not problems and default_why is not None:
            self._compiled = CompiledRunbook(
                scale=tuple(rule for rule in scale_rules if rule),
                departments=tuple(rule for rule in department_rules if rule),
                recommendation=tuple(rule for rule in recommendation_rules if rule),
                default_why=default_why,
                source_key=self._source_key(),
            )
        return problems

    def _source_key(self) -> tuple[Any, ...]:
        """Everything compiled rules depend on, so a ``model_copy(update=...)`` never runs stale rules."""
        return (
            tuple(self.question_ids),
            tuple((q.id, tuple(o.value for o in q.options)) for q in self.questions),
            self.levels,
            tuple((r.level, r.when, r.why) for r in self.scale.rules),
            tuple((r.department, r.when, r.why) for r in self.departments),
            tuple((r.choice, r.when, r.why) for r in self.recommendation.rules),
            self.recommendation.default.why,
        )

    @property
    def compiled(self) -> CompiledRunbook:
        """The compiled rules, built on first use (the loader builds them while checking the file)."""
        if self._compiled is None or self._compiled.source_key != self._source_key():
            self._compiled = None
            problems = self.problems()
            if problems or self._compiled is None:
                loc, message = problems[0]
                raise ExpressionError(f"runbook {self.id!r}: {format_place(loc)}: {message}")
        return self._compiled


def _unknown(what: str, value: str, known: Sequence[str], where: str = "") -> str:
    known_as = f"{what}s in {where}" if where else f"{what}s"
    message = f"unknown {what} {value!r} ({known_as}: {', '.join(known) or 'none'})"
    close = difflib.get_close_matches(value, list(known), n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    return message
