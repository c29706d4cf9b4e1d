"""Safe conditions and reasons for runbook rules.

Runbook files are edited by hand and their rules run on every incident, so they are never handed to
``eval``. A condition such as ``people_affected >= 1000 and audience == 'customers'`` is parsed by
jinja2, checked against a short list of allowed syntax (names, literals, comparisons, and/or/not,
arithmetic, a few filters and tests: no attribute access, no calls) and run in jinja2's sandbox.
Mistakes are found when the runbook is loaded, not in the middle of an incident: syntax errors,
unknown names, and literals compared with ``scale`` or a choice question that are not one of its values.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser
from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "Condition",
    "ExpressionError",
    "Level",
    "LevelError",
    "Reason",
    "compile_condition",
    "compile_reason",
    "format_count",
    "format_money",
]

EMPTY = "—"


class ExpressionError(ValueError):
    """A condition or reason that cannot be used, explained for the person who wrote it."""


class LevelError(ExpressionError):
    """A scale level compared with a word that is not one of the runbook's levels."""


class Level(str):
    """A scale level that compares by its position in the runbook's levels, so ``scale >= 'big'`` works.

    Plain string comparison would put 'huge' below 'small'; comparing with a word that is not a level
    raises ``LevelError`` rather than quietly answering False.
    """

    levels: tuple[str, ...]

    def __new__(cls, value: str, levels: Sequence[str]) -> Level:
        ladder = tuple(str(level) for level in levels)
        if str(value) not in ladder:
            raise LevelError(f"{str(value)!r} is not a scale level (levels: {', '.join(ladder)})")
        self = super().__new__(cls, value)
        self.levels = ladder
        return self

    def __getnewargs__(self) -> tuple[str, tuple[str, ...]]:  # type: ignore[override]
        return (str(self), self.levels)

    def __repr__(self) -> str:
        return f"Level({str(self)!r})"

    @property
    def index(self) -> int:
        """Position in the levels, lowest first."""
        return self.levels.index(str(self))

    def _position(self, other: object) -> int | None:
        if not isinstance(other, str):
            return None
        if str(other) not in self.levels:
            raise LevelError(
                f"cannot compare the scale {str(self)!r} with {str(other)!r}: "
                f"it is not one of the levels ({', '.join(self.levels)})"
            )
        return self.levels.index(str(other))

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        position = self._position(other)
        return NotImplemented if position is None else self.index < position

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        position = self._position(other)
        return NotImplemented if position is None else self.index <= position

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        position = self._position(other)
        return NotImplemented if position is None else self.index > position

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        position = self._position(other)
        return NotImplemented if position is None else self.index >= position

    __hash__ = str.__hash__


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def format_count(value: Any) -> str:
    """27463 -> '27,463': counts are read by people, so they get thousands separators."""
    if value is None:
        return EMPTY
    if not _is_number(value):
        return str(value)
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}"


def format_money(value: Any) -> str:
    """1234.5 -> '1,234.50': amounts always show pence/cents so they read as money."""
    if value is None:
        return EMPTY
    if not _is_number(value):
        return str(value)
    return f"{Decimal(str(value)):,.2f}"


def _finalize(value: Any) -> Any:
    """What ``{{ name }}`` prints when no filter is used: nothing shows up as 'None' or 'True'."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return format_count(value)
    if isinstance(value, float | Decimal):
        return format_count(value) if value == int(value) else format_money(value)
    return value


_ENV = SandboxedEnvironment(autoescape=False, finalize=_finalize, keep_trailing_newline=False)
_ENV.filters["count"] = format_count
_ENV.filters["money"] = format_money

# Filters a rule may use; the rest of jinja2's list is not needed to decide or explain anything.
ALLOWED_FILTERS = frozenset(
    {
        "count", "money", "abs", "round", "int", "float", "default", "d", "lower", "upper",
        "title", "capitalize", "trim", "length", "string", "join", "min", "max", "first", "last",
    }
)  # fmt: skip

_EXPRESSION_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Name, nodes.Const, nodes.List, nodes.Tuple, nodes.Compare, nodes.Operand, nodes.And, nodes.Or,
    nodes.Not, nodes.Neg, nodes.Pos, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod,
    nodes.Concat, nodes.CondExpr, nodes.Filter, nodes.Test, nodes.Keyword,
)  # fmt: skip
_TEMPLATE_NODES = (*_EXPRESSION_NODES, nodes.Template, nodes.Output, nodes.TemplateData, nodes.If)

_EXAMPLE = "people_affected >= 1000 and audience == 'customers'"


def _not_allowed(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Slice):
        return "attribute and item access (like x.y or x['y']) is not allowed in runbook rules"
    if isinstance(node, nodes.Call):
        return "calling functions is not allowed in runbook rules"
    if isinstance(node, nodes.Pow):
        return "'**' is not allowed in runbook rules"
    if isinstance(node, nodes.Dict | nodes.Pair):
        return "dictionaries are not allowed in runbook rules"
    return f"{type(node).__name__.lower()} is not allowed in runbook rules"


def _check_syntax(every: Sequence[nodes.Node], allowed: tuple[type[nodes.Node], ...]) -> None:
    """Refuse anything but plain values and operators, before the sandbox ever sees it."""
    for node in every:
        if not isinstance(node, allowed):
            raise ExpressionError(_not_allowed(node))
        if isinstance(node, nodes.Name) and node.ctx != "load":
            raise ExpressionError("assigning names is not allowed in runbook rules")
        if isinstance(node, nodes.Name) and node.name.startswith("_"):
            raise ExpressionError(f"names starting with '_' are not allowed ({node.name!r})")
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            raise ExpressionError(
                f"filter {node.name!r} is not allowed here (use one of: {', '.join(sorted(ALLOWED_FILTERS))})"
            )
        if isinstance(node, nodes.Test) and node.name not in _ENV.tests:
            raise ExpressionError(f"unknown test {node.name!r}")
        if isinstance(node, nodes.Filter | nodes.Test) and (node.dyn_args or node.dyn_kwargs):
            raise ExpressionError("'*' and '**' arguments are not allowed in runbook rules")


def _check_names(used: Iterable[str], names: Collection[str]) -> None:
    """Report the first name that is not an answer, with a suggestion, so typos fail at load time."""
    for name in sorted(used):
        if name in names:
            continue
        known = ", ".join(sorted(names)) or "none"
        message = f"unknown name {name!r} (known: {known})"
        if name.lower() in {"and", "or", "not", "true", "false", "none"}:
            message += f"; write {name.lower()!r} in lower case"
        else:
            close = difflib.get_close_matches(name, list(names), n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
        raise ExpressionError(message)


def _syntax_message(exc: TemplateSyntaxError, source: str, what: str) -> str:
    message = f"cannot read the {what}: {exc.message}"
    if re.search(r"(?<![=!<>])=(?!=)", source):
        message += "; use '==' to compare"
    elif "&&" in source or "||" in source:
        message += "; use 'and' / 'or'"
    elif re.search(r"\b(AND|OR|NOT|And|Or|Not)\b", source):
        message += "; write and / or / not in lower case"
    elif re.search(r"\d,\d{3}", source):
        message += "; write numbers without commas, like 5000 or 5_000"
    elif what == "condition":
        message += f" (conditions look like: {_EXAMPLE})"
    return message


def _comparisons(every: Sequence[nodes.Node]) -> Iterable[tuple[nodes.Expr, str, nodes.Expr]]:
    for compare in every:
        if not isinstance(compare, nodes.Compare):
            continue
        left = compare.expr
        for operand in compare.ops:
            yield left, operand.op, operand.expr
            left = operand.expr


Compared = tuple[tuple[str, Any], ...]


def _compared_literals(every: Sequence[nodes.Node]) -> Compared:
    """Each (name, literal) the text compares, in reading order, so values can be checked per runbook."""
    found: list[tuple[str, Any]] = []
    for left, op, right in _comparisons(every):
        pairs = [(left, right), (right, left)] if op not in ("in", "notin") else [(left, right)]
        for name_node, other in pairs:
            if not isinstance(name_node, nodes.Name):
                continue
            if op in ("in", "notin") and isinstance(other, nodes.List | nodes.Tuple):
                literals = list(other.items)
            elif op in ("in", "notin"):
                continue
            else:
                literals = [other]
            found.extend((name_node.name, lit.value) for lit in literals if isinstance(lit, nodes.Const))
    return tuple(found)


def _check_values(compared: Compared, values: Mapping[str, Collection[str]]) -> None:
    """Literals compared with ``scale`` or a choice question must be among its values: 'hug' is a typo."""
    for name, literal in compared:
        if name not in values:
            continue
        allowed = values[name]
        if not isinstance(literal, str) or literal not in allowed:
            raise ExpressionError(
                f"{name!r} is compared with {literal!r}, which is not one of its "
                f"values ({', '.join(repr(v) for v in allowed)})"
            )


def _read_tree(root: nodes.Node, allowed: tuple[type[nodes.Node], ...]) -> tuple[frozenset[str], Compared]:
    """Check the syntax, then the names the text reads (it has no way to assign one) and its comparisons."""
    every = [root, *root.find_all(nodes.Node)]  # one walk of the tree, in reading order
    _check_syntax(every, allowed)
    names = frozenset(node.name for node in every if isinstance(node, nodes.Name))
    return names, _compared_literals(every)


class Condition:
    """A compiled rule condition: call it with the answers and get True or False.

    An optional answer left empty is None; a comparison that cannot be made with it (``None > 0``)
    means the rule does not match, rather than the incident failing. Checked at load, it becomes code
    on its first call: most rules never run in a given process, and jinja2's code generation is slow.
    """

    __slots__ = ("_expression", "names", "source")

    def __init__(self, source: str, names: frozenset[str], expression: Any = None) -> None:
        self.source = source
        self.names = names
        self._expression = expression

    def __call__(self, context: Mapping[str, Any]) -> bool:
        expression = self._expression
        if expression is None:
            try:
                expression = self._expression = _ENV.compile_expression(self.source)
            except TemplateError as exc:  # pragma: no cover - the checks at load catch what jinja2 would
                raise ExpressionError(f"cannot compile the condition: {exc}") from None
        try:
            return bool(expression(dict(context)))
        except (TypeError, ArithmeticError, UndefinedError):
            return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and other.source == self.source

    def __hash__(self) -> int:
        return hash(("Condition", self.source))

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


class Reason:
    """A ``why`` template, checked at load: call it with the answers to get the sentence a person reads."""

    __slots__ = ("_template", "names", "source")

    def __init__(self, source: str, names: frozenset[str], template: Any = None) -> None:
        self.source = source
        self.names = names
        self._template = template

    def __call__(self, context: Mapping[str, Any]) -> str:
        template = self._template
        if template is None:
            try:
                template = self._template = _ENV.from_string(self.source)
            except TemplateError as exc:  # pragma: no cover - the checks at load catch what jinja2 would
                raise ExpressionError(f"cannot compile the reason: {exc}") from None
        try:
            return " ".join(template.render(dict(context)).split())
        except (TypeError, ValueError, ArithmeticError, UndefinedError):
            # A reason is an explanation, not a decision: show the raw text rather than fail the incident.
            return " ".join(self.source.split())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reason) and other.source == self.source

    def __hash__(self) -> int:
        return hash(("Reason", self.source))

    def __repr__(self) -> str:
        return f"Reason({self.source!r})"


# Parsing and checking a text does not depend on the runbook it is in (only its names and values do),
# and the same condition or reason often appears in several runbooks: each text is read once a process.
@lru_cache(maxsize=2048)
def _read_condition(source: str) -> tuple[Condition, Compared]:
    try:
        parser = Parser(_ENV, source, state="variable")
        root = parser.parse_expression()
        if not parser.stream.eos:
            parser.fail(f"unexpected {parser.stream.current.value!r} after the condition")
    except TemplateSyntaxError as exc:
        raise ExpressionError(_syntax_message(exc, source, "condition")) from None
    names, compared = _read_tree(root, _EXPRESSION_NODES)
    return Condition(source, names), compared


@lru_cache(maxsize=2048)
def _read_reason(source: str) -> tuple[Reason, Compared]:
    try:
        root = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(_syntax_message(exc, source, "reason")) from None
    names, compared = _read_tree(root, _TEMPLATE_NODES)
    # Names read from the answers: all but jinja2's globals (range, ...), as meta.find_undeclared_variables
    # says at the cost of a code generation; 'self' counts, so {{ self }} is an unknown name.
    return Reason(source, frozenset(name for name in names if name not in _ENV.globals)), compared


def compile_condition(
    expr: str, names: Collection[str], *, values: Mapping[str, Collection[str]] | None = None
) -> Condition:
    """Check a condition at load time; ``values`` lists the allowed literals per name."""
    source = expr.strip() if isinstance(expr, str) else ""
    if not source:
        raise ExpressionError(f"the condition is empty (conditions look like: {_EXAMPLE}, or true)")
    condition, compared = _read_condition(source)
    _check_names(condition.names, names)
    _check_values(compared, values or {})
    return condition


def compile_reason(
    template: str, names: Collection[str], *, values: Mapping[str, Collection[str]] | None = None
) -> Reason:
    """Check a ``why`` template at load time; it may use the answers, filters and {% if %}."""
    source = template if isinstance(template, str) else ""
    if not source.strip():
        raise ExpressionError("the reason is empty: say in a few words why this rule applies")
    reason, compared = _read_reason(source)
    _check_names(reason.names, names)
    _check_values(compared, values or {})
    return reason
