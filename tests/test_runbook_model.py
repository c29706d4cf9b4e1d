"""The runbook schema, the loader's error messages, and the safety of rule expressions.

A runbook is edited by hand, so every error must name the file, the line and the place; and its rules
run on every incident, so they must never be able to execute anything.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.datafile import DataFileError
from bot.runbook import (
    Choice,
    Condition,
    Decision,
    ExpressionError,
    Level,
    LevelError,
    Question,
    QuestionType,
    Runbook,
    compile_condition,
    compile_reason,
    load_runbook,
    load_runbooks,
)
from bot.runbook.expressions import ALLOWED_FILTERS

ROOT = Path(__file__).resolve().parents[1]
DEPARTMENTS = {"finance", "support", "communications", "leadership", "marketing"}
LEVELS = ("tiny", "small", "big", "huge")

SAMPLE = """\
id: sample
name: Sample
description: A runbook for tests.
keywords: [sample]
questions:
  - id: people_affected
    label: How many people?
    type: number
  - id: audience
    label: Who got it?
    type: choice
    options:
      - {value: customers, label: Customers}
      - {value: internal, label: Colleagues}
  - id: money_at_stake
    label: Money at stake?
    type: money
    unit: GBP
    required: false
scale:
  levels: [tiny, small, big, huge]
  rules:
    - level: small
      when: people_affected >= 100
      why: "{{ people_affected | count }} people"
    - level: big
      when: people_affected >= 5000
      why: many people
departments:
  - department: support
    when: audience == 'customers'
    why: customers got it
  - department: leadership
    when: scale >= 'big'
    why: "it is {{ scale }}"
recommendation:
  rules:
    - choice: make_it_big
      when: scale >= 'huge'
      why: it is huge
  default:
    choice: correct
    why: fix it
checklist:
  - Send to a test list first.
"""


def write(tmp_path: Path, text: str, name: str = "sample.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def load_error(tmp_path: Path, text: str, name: str = "sample.yaml", **kwargs: object) -> DataFileError:
    path = write(tmp_path, text, name)
    with pytest.raises(DataFileError) as caught:
        load_runbook(path, **kwargs)  # type: ignore[arg-type]
    return caught.value


def assert_points_at(error: DataFileError, path: Path, line: int, place: str, *fragments: str) -> None:
    message = str(error)
    assert message.startswith(f"{path}:{line}: {place}: "), message
    for fragment in fragments:
        assert fragment in message, message


# --- loading -----------------------------------------------------------------------------------


def test_sample_loads_and_compiles(tmp_path: Path) -> None:
    runbook = load_runbook(write(tmp_path, SAMPLE), departments=DEPARTMENTS)
    assert runbook.id == "sample"
    assert runbook.levels == LEVELS
    assert runbook.question("audience").type is QuestionType.choice
    assert runbook.compiled.scale[0].when({"people_affected": 100})


def test_every_shipped_runbook_loads_with_the_app_departments() -> None:
    runbooks = load_runbooks(ROOT / "runbooks", departments=DEPARTMENTS)
    assert {"email-campaign", "pricing-error", "general"} <= set(runbooks)
    assert list(runbooks) == sorted(runbooks)
    for runbook in runbooks.values():
        assert runbook.checklist, runbook.id
        assert runbook.compiled.scale, runbook.id
        for question in runbook.questions:
            assert len(question.label) <= 150


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = SAMPLE.replace("name: Sample", "name: [Sample")
    error = load_error(tmp_path, text)
    assert str(error).startswith(f"{tmp_path / 'sample.yaml'}:")
    assert "not valid YAML" in str(error)
    assert error.line is not None


def test_unknown_field(tmp_path: Path) -> None:
    text = SAMPLE.replace("    label: Who got it?\n", "    label: Who got it?\n    colour: red\n")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "colour"),
        "questions[1].colour",
        "unknown key 'colour'",
    )


def test_unknown_name_in_when(tmp_path: Path) -> None:
    text = SAMPLE.replace("when: people_affected >= 5000", "when: peple_affected >= 5000")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "peple_affected"),
        "scale.rules[1].when",
        "unknown name 'peple_affected'",
        "known: audience, money_at_stake, people_affected",
        "did you mean 'people_affected'?",
    )


def test_scale_is_not_known_inside_scale_rules(tmp_path: Path) -> None:
    text = SAMPLE.replace("when: people_affected >= 5000", "when: scale >= 'small'")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "scale >= 'small'"),
        "scale.rules[1].when",
        "unknown name 'scale'",
    )


def test_unknown_name_in_why(tmp_path: Path) -> None:
    text = SAMPLE.replace("why: fix it", "why: fix it for {{ peolpe_affected }}")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "peolpe"),
        "recommendation.default.why",
        "unknown name 'peolpe_affected'",
    )


def test_unknown_level(tmp_path: Path) -> None:
    text = SAMPLE.replace("- level: big", "- level: bgi")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "level: bgi"),
        "scale.rules[1].level",
        "unknown level 'bgi'",
        "tiny, small, big, huge",
        "did you mean 'big'?",
    )


def test_unknown_level_compared_with_scale(tmp_path: Path) -> None:
    text = SAMPLE.replace("when: scale >= 'big'", "when: scale >= 'bigg'")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "'bigg'"),
        "departments[1].when",
        "'bigg'",
        "'tiny', 'small', 'big', 'huge'",
    )


def test_unknown_option_compared_with_choice(tmp_path: Path) -> None:
    text = SAMPLE.replace("when: audience == 'customers'", "when: audience == 'custmers'")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "custmers"),
        "departments[0].when",
        "'custmers'",
        "'customers', 'internal'",
    )


def test_unknown_department(tmp_path: Path) -> None:
    error = load_error(
        tmp_path, SAMPLE.replace("department: support", "department: suport"), departments=DEPARTMENTS
    )
    text = SAMPLE.replace("department: support", "department: suport")
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "suport"),
        "departments[0].department",
        "unknown department 'suport'",
        "did you mean 'support'?",
    )


def test_departments_are_not_checked_without_a_list(tmp_path: Path) -> None:
    runbook = load_runbook(write(tmp_path, SAMPLE.replace("department: support", "department: helpdesk")))
    assert runbook.departments[0].department == "helpdesk"


def test_duplicate_question_id(tmp_path: Path) -> None:
    text = SAMPLE.replace("  - id: money_at_stake", "  - id: people_affected")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "- id: people_affected", 2),
        "questions[2].id",
        "already used by questions[0]",
    )


def test_id_must_match_file_name(tmp_path: Path) -> None:
    error = load_error(tmp_path, SAMPLE, name="other.yaml")
    assert_points_at(error, tmp_path / "other.yaml", 1, "id", "'sample'", "'other'")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    text = SAMPLE.replace(
        "      why: many people\n", "      why: many people\n      when: people_affected > 1\n"
    )
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "people_affected > 1"),
        "scale.rules[1].when",
        "written twice",
    )


def test_merge_keys_load_and_errors_point_at_the_file_as_written(tmp_path: Path) -> None:
    """Building the data expands ``<<`` in place; the duplicate check and the lines must not see that."""
    merged = SAMPLE.replace(
        "  - department: leadership\n    when: scale >= 'big'\n",
        "  - &lead\n    department: leadership\n    when: scale >= 'big'\n",
    ).replace("recommendation:", "  - <<: *lead\n    department: finance\n    why: money\nrecommendation:", 1)
    runbook = load_runbook(write(tmp_path, merged), departments=DEPARTMENTS)
    assert [rule.department for rule in runbook.departments] == ["support", "leadership", "finance"]
    assert runbook.departments[2].when == "scale >= 'big'" and runbook.departments[2].why == "money"
    error = load_error(
        tmp_path, merged.replace("department: finance", "department: financ"), departments=DEPARTMENTS
    )
    assert_points_at(error, tmp_path / "sample.yaml", line_of(merged, "finance"), "departments[2].department")


def test_an_alias_that_contains_itself_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = SAMPLE.replace("keywords: [sample]", "keywords: &k [sample, *k]")
    error = load_error(tmp_path, text)
    assert_points_at(error, tmp_path / "sample.yaml", 4, "keywords[1]", "valid string")


def test_bad_condition_syntax_gives_a_hint(tmp_path: Path) -> None:
    text = SAMPLE.replace("when: audience == 'customers'", "when: audience = 'customers'")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "audience = "),
        "departments[0].when",
        "cannot read the condition",
        "use '=='",
    )


def test_number_with_comma_gives_a_hint(tmp_path: Path) -> None:
    text = SAMPLE.replace("people_affected >= 5000", "people_affected >= 5,000")
    error = load_error(tmp_path, text)
    assert "scale.rules[1].when" in str(error) and "without commas" in str(error)


def test_several_problems_report_the_first_in_the_file_and_count_the_rest(tmp_path: Path) -> None:
    text = SAMPLE.replace("- level: big", "- level: bgi").replace("why: fix it", "why: '{{ nope }}'")
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "level: bgi")
    assert "(and 1 more problem)" in str(error)


def test_choice_without_options(tmp_path: Path) -> None:
    options = (
        "    options:\n"
        "      - {value: customers, label: Customers}\n"
        "      - {value: internal, label: Colleagues}\n"
    )
    text = SAMPLE.replace(options, "")
    error = load_error(tmp_path, text)
    assert_points_at(
        error,
        tmp_path / "sample.yaml",
        line_of(text, "- id: audience"),
        "questions[1].options",
        "needs at least two options",
    )


def test_unit_only_on_numbers_and_money(tmp_path: Path) -> None:
    text = SAMPLE.replace("    label: Who got it?\n", "    label: Who got it?\n    unit: GBP\n")
    error = load_error(tmp_path, text)
    assert "questions[1].unit" in str(error) and "only number and money" in str(error)


def test_missing_required_key(tmp_path: Path) -> None:
    text = SAMPLE.replace("description: A runbook for tests.\n", "")
    error = load_error(tmp_path, text)
    assert "description: Field required" in str(error)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    error = load_error(tmp_path, "- just\n- a list\n")
    assert "expected a mapping" in str(error)


def test_when_true_in_yaml_is_a_condition(tmp_path: Path) -> None:
    runbook = load_runbook(write(tmp_path, SAMPLE.replace("when: audience == 'customers'", "when: true")))
    assert runbook.departments[0].when == "true"
    assert runbook.compiled.departments[0].when({})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        load_runbook(tmp_path / "nope.yaml")


def test_empty_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"no runbooks found \(expected files named \*\.yaml\)"):
        load_runbooks(tmp_path)
    (tmp_path / "sample.yml").write_text(SAMPLE)
    with pytest.raises(DataFileError, match=r"rename sample\.yml"):
        load_runbooks(tmp_path)
    with pytest.raises(DataFileError, match="not found"):
        load_runbooks(tmp_path / "missing")


def test_load_runbooks_sorted_by_id(tmp_path: Path) -> None:
    write(tmp_path, SAMPLE.replace("id: sample", "id: zeta"), "zeta.yaml")
    write(tmp_path, SAMPLE.replace("id: sample", "id: alpha"), "alpha.yaml")
    assert list(load_runbooks(tmp_path)) == ["alpha", "zeta"]


# --- the schema on its own ---------------------------------------------------------------------


def test_decision_labels() -> None:
    assert [decision.label for decision in Decision] == ["No action", "Correct it", "Make it big"]
    assert Decision("make_it_big") is Decision.make_it_big


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"id": "People"}, "lower snake case"),
        ({"id": "scale"}, "reserved"),
        ({"id": "and"}, "reserved"),
        ({"label": "x" * 151}, "at most 150"),
        ({"help": "x" * 151}, "at most 150"),
        ({"options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}, "only choice questions"),
        (
            {"type": "choice", "options": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]},
            "twice",
        ),
        ({"type": "choice"}, "at least two options"),
        ({"type": "yes_no", "unit": "GBP"}, "only number and money"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_question_rejects(fields: dict[str, object], fragment: str) -> None:
    data = {"id": "people_affected", "label": "How many?", "type": "number", **fields}
    with pytest.raises(ValidationError, match=fragment):
        Question.model_validate(data)


def test_choice_value_is_identifier_like() -> None:
    with pytest.raises(ValidationError, match="lower snake case"):
        Choice(value="Wrong list", label="Wrong list")


def test_runbook_validated_in_code_checks_rules_too() -> None:
    import yaml

    data = yaml.safe_load(SAMPLE.replace("- level: big", "- level: bgi"))
    with pytest.raises(ValidationError, match=r"scale.rules\[1\].level: unknown level 'bgi'"):
        Runbook.model_validate(data)


def test_runbook_copy_never_runs_stale_rules() -> None:
    import yaml

    runbook = Runbook.model_validate(yaml.safe_load(SAMPLE))
    rules = list(runbook.scale.rules)
    rules[0] = rules[0].model_copy(update={"when": "people_affected >= 1"})
    changed = runbook.model_copy(update={"scale": runbook.scale.model_copy(update={"rules": rules})})
    assert not runbook.compiled.scale[0].when({"people_affected": 5})
    assert changed.compiled.scale[0].when({"people_affected": 5})


# --- expressions ---------------------------------------------------------------------------------

NAMES = {"people_affected", "money_at_stake", "audience", "still_happening", "scale"}


def test_condition_evaluates() -> None:
    condition = compile_condition("people_affected >= 1000 and audience == 'customers'", NAMES)
    assert isinstance(condition, Condition)
    assert condition({"people_affected": 1000, "audience": "customers"})
    assert not condition({"people_affected": 999, "audience": "customers"})
    assert not condition({"people_affected": 5000, "audience": "prospects"})
    assert compile_condition("still_happening", NAMES)({"still_happening": True})
    assert compile_condition("people_affected >= 5_000", NAMES)({"people_affected": 5000})
    assert compile_condition("audience in ['customers', 'mixed']", NAMES)({"audience": "mixed"})


def test_missing_optional_answer_does_not_match() -> None:
    assert not compile_condition("money_at_stake > 0", NAMES)({"money_at_stake": None})
    assert not compile_condition("money_at_stake > 0", NAMES)({})
    assert not compile_condition("people_affected / money_at_stake > 1", NAMES)(
        {"people_affected": 3, "money_at_stake": 0}
    )
    assert compile_condition("(money_at_stake or 0) == 0", NAMES)({"money_at_stake": None})
    assert compile_condition("not still_happening", NAMES)({"still_happening": None})


@pytest.mark.parametrize(
    "source",
    [
        "().__class__.__bases__[0].__subclasses__()",
        "people_affected.__class__",
        "audience.__class__.__mro__",
        "audience['__class__']",
        "audience.upper()",
        "lipsum.__globals__",
        "range(10)",
        "audience | attr('__class__')",
        "2 ** 2 ** 40",
        "_private",
    ],
)
def test_conditions_cannot_reach_python(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_condition(source, NAMES | {"_private", "lipsum"})


def test_sandbox_still_refuses_dunder_access_at_run_time() -> None:
    """Even if the syntax check were bypassed, jinja2's sandbox refuses the attribute."""
    from jinja2.exceptions import SecurityError

    from bot.runbook.expressions import _ENV

    with pytest.raises(SecurityError):
        _ENV.compile_expression("().__class__.__bases__[0].__subclasses__()")()


def test_reasons_cannot_reach_python() -> None:
    for source in (
        "{{ ().__class__ }}",
        "{% for x in range(3) %}{{ x }}{% endfor %}",
        "{{ audience.upper() }}",
    ):
        with pytest.raises(ExpressionError):
            compile_reason(source, NAMES)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("", "empty"),
        ("people_affected >=", "cannot read the condition"),
        ("people_affected > 1 && still_happening", "use 'and' / 'or'"),
        ("people_affected > 1 AND still_happening", "lower case"),
        ("peopel_affected > 1", "did you mean 'people_affected'"),
        ("audience | shout", "not allowed"),
    ],
)
def test_condition_errors_are_readable(source: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=fragment):
        compile_condition(source, NAMES)


def test_a_condition_that_is_only_a_name_is_checked_too() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'still_hapening'.*mean 'still_happening'"):
        compile_condition("still_hapening", NAMES)
    assert compile_condition("still_happening", NAMES).names == {"still_happening"}


def test_literal_checks_for_scale_and_choices() -> None:
    values = {"scale": LEVELS, "audience": ("customers", "internal")}
    compile_condition("scale >= 'big' and audience in ['customers']", NAMES, values=values)
    for source in (
        "scale >= 'bigg'",
        "'hug' <= scale",
        "scale in ['big', 'hug']",
        "scale > 2",
        "audience != 'staff'",
    ):
        with pytest.raises(ExpressionError, match="not one of its values"):
            compile_condition(source, NAMES, values=values)


def test_reason_renders_numbers_nicely() -> None:
    reason = compile_reason("{{ people_affected | count }} people, £{{ money_at_stake | money }}", NAMES)
    assert reason({"people_affected": 27463, "money_at_stake": 1234.5}) == "27,463 people, £1,234.50"
    plain = compile_reason("{{ people_affected }} / {{ money_at_stake }} / {{ still_happening }}", NAMES)
    assert (
        plain({"people_affected": 27463, "money_at_stake": None, "still_happening": True})
        == "27,463 / — / yes"
    )
    folded = compile_reason("It is {{ scale }}{% if still_happening %}, and growing{% endif %}.", NAMES)
    assert folded({"scale": Level("big", LEVELS), "still_happening": True}) == "It is big, and growing."


def test_reason_checks_literals_too(tmp_path: Path) -> None:
    text = SAMPLE.replace("why: fix it", "why: \"{% if scale >= 'hug' %}now{% endif %}\"")
    error = load_error(tmp_path, text)
    assert "recommendation.default.why" in str(error) and "'hug'" in str(error)


def test_each_text_is_read_once_and_shared_across_runbooks() -> None:
    """Two runbooks with the same rule share one compiled condition; each still checks its own names."""
    first = compile_condition("people_affected >= 250", NAMES)
    assert compile_condition(" people_affected >= 250 ", {"people_affected"}) is first
    assert first({"people_affected": 250}) and not first({"people_affected": 249})
    with pytest.raises(ExpressionError, match="unknown name 'people_affected'"):
        compile_condition("people_affected >= 250", {"audience"})
    with pytest.raises(ExpressionError, match="not one of its values"):
        compile_condition("audience == 'staff'", NAMES, values={"audience": ("customers",)})
    assert compile_condition("audience == 'staff'", NAMES)({"audience": "staff"})
    reason = compile_reason("{{ people_affected | count }} people", NAMES)
    assert compile_reason("{{ people_affected | count }} people", {"people_affected"}) is reason


@pytest.mark.parametrize("name", sorted(ALLOWED_FILTERS))
def test_every_allowed_filter_runs(name: str) -> None:
    """Code is generated on a rule's first use: whatever the load-time check lets through must run."""
    answer = "people_affected" if name in ("abs", "round") else "audience"
    context = {"people_affected": 3, "audience": "customers"}
    assert compile_condition(f"({answer} | {name}) is defined", NAMES)(context) is True
    assert compile_reason(f"{{{{ {answer} | {name} }}}}", NAMES)(context)


def test_every_test_runs() -> None:
    for name in ("defined", "none", "number", "string", "odd", "even", "divisibleby(3)", "in(['x'])"):
        assert compile_condition(f"(people_affected is {name}) or true", NAMES)({"people_affected": 3})


def test_reason_with_unknown_name() -> None:
    with pytest.raises(ExpressionError, match="unknown name 'peple'"):
        compile_reason("{{ peple }} people", NAMES)


# --- levels --------------------------------------------------------------------------------------


def test_level_orders_by_position_not_alphabet() -> None:
    big = Level("big", LEVELS)
    assert big >= "big" and big > "small" and big < "huge" and big <= "huge"
    assert not big >= "huge"
    assert big == "big" and big != "small"
    assert big > "small"  # the reflected comparison uses the level's order too
    assert Level("huge", LEVELS) > Level("small", LEVELS)  # alphabetically 'huge' < 'small'
    assert sorted([Level(level, LEVELS) for level in ("huge", "tiny", "big")]) == ["tiny", "big", "huge"]
    assert big.index == 2 and str(big) == "big"


def test_level_refuses_words_that_are_not_levels() -> None:
    with pytest.raises(LevelError, match="'bgi' is not a scale level"):
        Level("bgi", LEVELS)
    with pytest.raises(LevelError, match="not one of the levels"):
        _ = Level("big", LEVELS) >= "bgi"
    with pytest.raises(TypeError):
        _ = Level("big", LEVELS) >= 2


def test_level_error_is_not_swallowed_by_a_condition() -> None:
    # Without the list of levels the typo cannot be caught at compile time; it must not pass silently later.
    condition = compile_condition("scale >= 'bgi'", {"scale"})
    with pytest.raises(LevelError):
        condition({"scale": Level("big", LEVELS)})


def test_level_pickles() -> None:
    level = pickle.loads(pickle.dumps(Level("big", LEVELS)))
    assert level.levels == LEVELS and level > "small"


# --- purity --------------------------------------------------------------------------------------

ALLOWED_THIRD_PARTY = {"pydantic", "jinja2", "yaml"}


def test_engine_imports_only_stdlib_pydantic_jinja2_yaml_and_datafile() -> None:
    files = ["__init__", "model", "expressions", "loader", "answers", "engine"]
    for name in files:
        tree = ast.parse((ROOT / "bot" / "runbook" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                ok = (
                    top in sys.stdlib_module_names
                    or top in ALLOWED_THIRD_PARTY
                    or module == "__future__"
                    or module == "bot.datafile"
                    or module.startswith("bot.runbook.")
                )
                assert ok, f"bot/runbook/{name}.py imports {module}"


def test_importing_the_engine_loads_no_slack_database_llm_or_scheduler() -> None:
    code = (
        "import sys, bot.runbook\n"
        "bad = {'slack_bolt', 'slack_sdk', 'sqlalchemy', 'sqlmodel',\n"
        "       'langchain_core', 'apscheduler', 'alembic'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
