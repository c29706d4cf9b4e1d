"""The questions a runbook asks the person who reports a mistake, and the options of a choice.

Kept apart from the rest of the runbook model (bot.runbook.model re-exports them) so each file stays
short; answers to these questions are parsed and checked in bot.runbook.answers.
"""

from __future__ import annotations

import keyword
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

SCALE = "scale"
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
_SNAKE = SNAKE_CASE
# Words a question id cannot be: 'scale' is filled in by the engine, the rest mean something in a rule.
RESERVED_NAMES = frozenset(
    {SCALE, "true", "false", "none", *(word for word in keyword.kwlist if word.islower())}
)



class StrictModel(BaseModel):
    """Unknown keys are errors: a misspelt key in a hand-edited file must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


_Model = StrictModel


class QuestionType(StrEnum):
    """How an answer is typed and checked (see bot.runbook.answers)."""

    number = "number"  # a whole count, 0 or more
    money = "money"  # an amount, 0 or more, 2 decimals
    choice = "choice"  # one of the question's options
    yes_no = "yes_no"
    text = "text"


class Choice(_Model):
    """One option of a choice question: ``value`` is used in rules, ``label`` is shown in Slack."""

    value: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=75)  # Slack option text is at most 75 characters

    @field_validator("value")
    @classmethod
    def _value_is_identifier(cls, value: str) -> str:
        if not _SNAKE.match(value):
            raise ValueError(f"option value {value!r} must be lower snake case, like wrong_list")
        return value


class Question(_Model):
    """One thing to ask the person who reports the mistake; ``id`` is the name rules use."""

    id: str
    label: str = Field(min_length=1, max_length=150)
    help: str | None = Field(default=None, min_length=1, max_length=150)
    type: QuestionType
    required: bool = True
    options: list[Choice] = Field(default_factory=list, validate_default=True, max_length=100)
    unit: str | None = Field(default=None, min_length=1, max_length=12)

    @field_validator("id")
    @classmethod
    def _id_is_name(cls, value: str) -> str:
        if not _SNAKE.match(value):
            raise ValueError(f"question id {value!r} must be lower snake case, like people_affected")
        if value in RESERVED_NAMES:
            raise ValueError(f"question id {value!r} is a reserved word in rules; pick another name")
        return value

    @field_validator("options")
    @classmethod
    def _options_fit_type(cls, value: list[Choice], info: ValidationInfo) -> list[Choice]:
        kind = info.data.get("type")
        if kind is None:
            return value
        if kind != QuestionType.choice:
            if value:
                raise ValueError(f"only choice questions have options (this one is {kind.value})")
            return value
        if len(value) < 2:
            raise ValueError("a choice question needs at least two options, each with a value and a label")
        seen: set[str] = set()
        for option in value:
            if option.value in seen:
                raise ValueError(f"option value {option.value!r} appears twice")
            seen.add(option.value)
        return value

    @field_validator("unit")
    @classmethod
    def _unit_fits_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if value is not None and kind is not None and kind not in (QuestionType.number, QuestionType.money):
            raise ValueError(f"only number and money questions have a unit (this one is {kind.value})")
        return value

    def option(self, value: str) -> Choice | None:
        """The option with this value, if any."""
        return next((option for option in self.options if option.value == value), None)
