"""The runbook engine: questions, scale, departments and a recommendation for each kind of mistake.

Pure on purpose: it imports nothing from Slack, databases, models or schedulers, so the rules that
shape an incident can be tested and checked (``oops check``) without any of them.
"""

from bot.runbook.answers import AnswerError, format_answer, parse_amount, parse_answer, parse_answers
from bot.runbook.engine import (
    NO_LARGER_SCALE,
    Assessment,
    DepartmentNeed,
    Recommendation,
    assess_scale,
    pick_departments,
    recommend,
    rule_context,
    suggest_runbook,
)
from bot.runbook.expressions import (
    Condition,
    ExpressionError,
    Level,
    LevelError,
    Reason,
    compile_condition,
    compile_reason,
    format_count,
    format_money,
)
from bot.runbook.loader import load_runbook, load_runbooks
from bot.runbook.model import (
    Choice,
    Decision,
    DepartmentRule,
    Question,
    QuestionType,
    RecommendationDefault,
    RecommendationRule,
    RecommendationSpec,
    Runbook,
    ScaleRule,
    ScaleSpec,
)

__all__ = [
    "NO_LARGER_SCALE",
    "AnswerError",
    "Assessment",
    "Choice",
    "Condition",
    "Decision",
    "DepartmentNeed",
    "DepartmentRule",
    "ExpressionError",
    "Level",
    "LevelError",
    "Question",
    "QuestionType",
    "Reason",
    "Recommendation",
    "RecommendationDefault",
    "RecommendationRule",
    "RecommendationSpec",
    "Runbook",
    "ScaleRule",
    "ScaleSpec",
    "assess_scale",
    "compile_condition",
    "compile_reason",
    "format_answer",
    "format_count",
    "format_money",
    "load_runbook",
    "load_runbooks",
    "parse_amount",
    "parse_answer",
    "parse_answers",
    "pick_departments",
    "recommend",
    "rule_context",
    "suggest_runbook",
]
