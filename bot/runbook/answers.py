"""Turn what people type into a Slack form into typed answers, and typed answers back into text.

People type numbers the way they write them: "27,463", "27 463", "27.463", "50k", "£1,200.50",
"1.200,50". The rules for reading them (documented on ``parse_amount``) accept all of these and refuse
what is truly ambiguous, with a message that says what to type instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.runbook.expressions import EMPTY, format_count, format_money
from bot.runbook.model import Question, QuestionType, Runbook

__all__ = [
    "MAX_TEXT",
    "AnswerError",
    "format_answer",
    "parse_amount",
    "parse_answer",
    "parse_answers",
]

MAX_TEXT = 3000  # the most a Slack plain-text input takes
_MAX_AMOUNT = Decimal(10) ** 12

NEEDED = "This one is needed"
NUMBER_HINT = "Type a number, like 27463"
WHOLE_HINT = "Use a whole number, like 27463"
NUMBER_NEGATIVE = "Use a number of 0 or more"
AMOUNT_HINT = "Type an amount, like 1200.50"
AMOUNT_DECIMALS = "Use at most 2 decimals, like 1200.50"
AMOUNT_NEGATIVE = "Use an amount of 0 or more"
TOO_BIG = "That looks too big; check the number"
YES_NO_HINT = "Answer yes or no"

_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}

_AMOUNT = re.compile(
    r"""^
    (?P<sign>[-−–])?\s*
    (?:[A-Za-z]{3}\s*)?            # a currency code before: GBP 1200
    [£$€¥₹]?\s*
    (?P<sign2>[-−–])?\s*
    (?P<digits>\d[\d.,'_\s]*?)\s*
    (?P<suffix>[kKmM])?\s*
    [£$€¥₹]?\s*
    (?:[A-Za-z]{3})?               # or after: 1200 GBP
    $""",
    re.VERBOSE,
)
_GROUPED = re.compile(r"^\d{1,3}(?:S\d{2,3})*S\d{3}$")


class AnswerError(ValueError):
    """An answer that cannot be used; the message tells the person what to type."""


class _Ambiguous(ValueError):
    pass


class _TooPrecise(ValueError):
    pass


def _grouped(text: str, separator: str) -> bool:
    return bool(re.match(_GROUPED.pattern.replace("S", re.escape(separator)), text))


def _digits_to_decimal(digits: str, has_suffix: bool) -> Decimal:
    """Read digits with '.' and ',' in them; see ``parse_amount`` for the rules."""
    digits = re.sub(r"[\s'_]", "", digits)
    if not re.fullmatch(r"\d+(?:[.,]\d+)*", digits):
        raise _Ambiguous(digits)
    separators = [char for char in digits if char in ".,"]
    if not separators:
        return Decimal(digits)
    last = max(digits.rfind("."), digits.rfind(","))
    head, mark, tail = digits[:last], digits[last], digits[last + 1 :]
    if has_suffix and len(separators) == 1:
        return Decimal(f"{head}.{tail}")  # 1.5k, 2,5k
    if len(tail) == 3 and len(set(separators)) == 1:
        if _grouped(digits, mark):  # 27,463  27.463  1,200,000
            return Decimal(digits.replace(mark, ""))
        raise _Ambiguous(digits)
    if len(tail) in (1, 2):  # the last separator is the decimal point: 1200.50  1.200,50  12,5
        other = "," if mark == "." else "."
        if mark in head or (other in head and not _grouped(head, other)):
            raise _Ambiguous(digits)
        return Decimal(f"{head.replace(other, '')}.{tail}")
    if len(separators) == 1:
        raise _TooPrecise(digits)  # 1.2345
    raise _Ambiguous(digits)


def parse_amount(text: str) -> Decimal:
    """Read a number or an amount as people type it. Raises ValueError subclasses on what it cannot read.

    - Spaces, apostrophes and underscores are ignored: "27 463", "1'200".
    - A currency symbol or a three-letter code may come before or after: "£1,200.50", "1200 GBP".
    - "k" and "m" multiply by a thousand and a million: "50k", "1.2m".
    - A '.' or ',' followed by exactly three digits separates thousands: "27,463", "27.463", "1.200".
    - A final '.' or ',' followed by one or two digits is the decimal point: "1200.50", "1.200,50", "12,5".
    - Anything else with separators ("1,2,3", "1.200.50") is refused rather than guessed.
    """
    match = _AMOUNT.match(text.strip())
    if not match:
        raise _Ambiguous(text)
    value = _digits_to_decimal(match["digits"], has_suffix=bool(match["suffix"]))
    if match["suffix"]:
        value *= 1000 if match["suffix"].lower() == "k" else 1_000_000
    if match["sign"] or match["sign2"]:
        value = -value
    return value


def _parse_number(text: str) -> int:
    try:
        value = parse_amount(text)
    except _TooPrecise:
        raise AnswerError(WHOLE_HINT) from None
    except ValueError:
        raise AnswerError(NUMBER_NEGATIVE if re.match(r"^\s*[-−–]\s*\d", text) else NUMBER_HINT) from None
    if value < 0:
        raise AnswerError(NUMBER_NEGATIVE)
    if value != value.to_integral_value():
        raise AnswerError(WHOLE_HINT)
    if value > _MAX_AMOUNT:
        raise AnswerError(TOO_BIG)
    return int(value)


def _parse_money(text: str) -> float:
    try:
        value = parse_amount(text)
    except _TooPrecise:
        raise AnswerError(AMOUNT_DECIMALS) from None
    except ValueError:
        raise AnswerError(AMOUNT_NEGATIVE if re.match(r"^\s*[-−–]", text) else AMOUNT_HINT) from None
    if value < 0:
        raise AnswerError(AMOUNT_NEGATIVE)
    if value > _MAX_AMOUNT:
        raise AnswerError(TOO_BIG)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _normal(text: str) -> str:
    return re.sub(r"[\s\-_]+", "_", text.strip().casefold())


def _parse_choice(question: Question, text: str) -> str:
    wanted = _normal(text)
    for option in question.options:
        if wanted in (_normal(option.value), _normal(option.label)):
            return option.value
    raise AnswerError("Pick one of: " + ", ".join(option.label for option in question.options))


def _parse_yes_no(text: str) -> bool:
    word = text.strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise AnswerError(YES_NO_HINT)


def parse_answer(question: Question, raw: Any) -> Any:
    """One answer: int, float, option value, bool, str, or None when optional and left empty."""
    text = "" if raw is None else str(raw)
    if not text.strip():
        if question.required:
            raise AnswerError(NEEDED)
        return None
    match question.type:
        case QuestionType.number:
            return _parse_number(text)
        case QuestionType.money:
            return _parse_money(text)
        case QuestionType.choice:
            return _parse_choice(question, text)
        case QuestionType.yes_no:
            return _parse_yes_no(text)
        case _:
            value = text.strip()
            if len(value) > MAX_TEXT:
                raise AnswerError(f"Keep it under {MAX_TEXT:,} characters (this is {len(value):,})")
            return value


def parse_answers(runbook: Runbook, raw: Mapping[str, str | None]) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a submitted form: (answers by question id, error messages by question id).

    Every question without an error appears in the answers (None when optional and empty), so rules
    always see every name; keys in ``raw`` that are not questions are ignored.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in runbook.questions:
        try:
            answers[question.id] = parse_answer(question, raw.get(question.id))
        except AnswerError as exc:
            errors[question.id] = str(exc)
    return answers, errors


def format_answer(question: Question, value: Any) -> str:
    """An answer as a person reads it: '27,463', '£1,200.50', 'Yes', the option's label, '—' when empty."""
    if value is None or value == "":
        return EMPTY
    match question.type:
        case QuestionType.number:
            text = format_count(value)
            return f"{text} {question.unit}" if question.unit else text
        case QuestionType.money:
            text = format_money(value)
            unit = (question.unit or "").upper()
            if unit in _SYMBOLS:
                return _SYMBOLS[unit] + text
            return f"{text} {question.unit}" if question.unit else text
        case QuestionType.yes_no:
            return "Yes" if value else "No"
        case QuestionType.choice:
            option = question.option(str(value))
            return option.label if option else str(value)
        case _:
            return str(value)
