"""Reading answers as people type them into a Slack form, and showing them back."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbook import Question, format_answer, load_runbook, parse_answer, parse_answers

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def email():
    return load_runbook(ROOT / "runbooks" / "email-campaign.yaml")


def q(kind: str, **fields: object) -> Question:
    data: dict[str, object] = {"id": "answer", "label": "Answer?", "type": kind, **fields}
    if kind == "choice":
        data.setdefault(
            "options",
            [
                {"value": "wrong_list", "label": "Wrong list"},
                {"value": "duplicate_send", "label": "Sent twice"},
            ],
        )
    return Question.model_validate(data)


def error_of(question: Question, raw: str | None) -> str:
    from bot.runbook import AnswerError

    with pytest.raises(AnswerError) as caught:
        parse_answer(question, raw)
    return str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("27463", 27463),
        ("27,463", 27463),
        (" 27 463 ", 27463),
        ("27.463", 27463),
        ("27\u202f463", 27463),
        ("1,200,000", 1_200_000),
        ("1,00,000", 100_000),
        ("0", 0),
        ("50k", 50_000),
        ("1.2m", 1_200_000),
        ("27463.00", 27463),
    ],
)
def test_number_formats(raw: str, expected: int) -> None:
    value = parse_answer(q("number"), raw)
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-3", "Use a number of 0 or more"),
        ("lots", "Type a number, like 27463"),
        ("about 500", "Type a number, like 27463"),
        ("2.5", "Use a whole number, like 27463"),
        ("1,5", "Use a whole number, like 27463"),
        ("1,2,3", "Type a number, like 27463"),
        ("1e5", "Type a number, like 27463"),
        ("99999999999999", "too big"),
    ],
)
def test_number_errors(raw: str, message: str) -> None:
    assert message in error_of(q("number"), raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1200", 1200.0),
        ("£1,200.50", 1200.5),
        ("1,200.50 GBP", 1200.5),
        ("GBP 1200.5", 1200.5),
        ("1.200,50", 1200.5),
        ("€1.200", 1200.0),
        ("12,5", 12.5),
        ("0.99", 0.99),
        ("£2.5k", 2500.0),
        ("1 234,56", 1234.56),
    ],
)
def test_money_formats(raw: str, expected: float) -> None:
    assert parse_answer(q("money", unit="GBP"), raw) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-£5", "Use an amount of 0 or more"),
        ("£-5", "Use an amount of 0 or more"),
        ("a lot", "Type an amount, like 1200.50"),
        ("1.2345", "Use at most 2 decimals"),
        ("1,200,50", "Type an amount"),
        ("1.200.50", "Type an amount"),
    ],
)
def test_money_errors(raw: str, message: str) -> None:
    assert message in error_of(q("money"), raw)


def test_choice_yes_no_and_text() -> None:
    choice = q("choice")
    assert parse_answer(choice, "wrong_list") == "wrong_list"
    assert parse_answer(choice, "Sent twice") == "duplicate_send"  # a typed label works too
    assert parse_answer(choice, " wrong list ") == "wrong_list"
    assert error_of(choice, "lost") == "Pick one of: Wrong list, Sent twice"
    yes_no = q("yes_no")
    assert parse_answer(yes_no, "yes") is True and parse_answer(yes_no, "No") is False
    assert parse_answer(yes_no, "y") is True
    assert error_of(yes_no, "maybe") == "Answer yes or no"
    assert parse_answer(q("text"), "  the welcome flow fired  ") == "the welcome flow fired"
    assert parse_answer(q("text"), "x" * 3000) == "x" * 3000
    assert error_of(q("text"), "x" * 10_000) == "Keep it under 3,000 characters (this is 10,000)"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_answers(raw: str | None) -> None:
    assert error_of(q("number"), raw) == "This one is needed"
    assert parse_answer(q("number", required=False), raw) is None
    assert parse_answer(q("text", required=False), raw) is None


def test_parse_answers_from_a_slack_form(email) -> None:
    raw = {
        "people_affected": "27,463",
        "audience": "customers",
        "what_went_wrong": "wrong_list",
        "money_at_stake": "",
        "complaints": None,
        "public_posts": "no",
        "still_happening": "no",
        "can_be_undone": "no",
        "not_a_question": "ignored",
    }
    answers, errors = parse_answers(email, raw)
    assert errors == {}
    assert answers == {
        "people_affected": 27463,
        "audience": "customers",
        "what_went_wrong": "wrong_list",
        "money_at_stake": None,
        "complaints": None,
        "public_posts": False,
        "still_happening": False,
        "can_be_undone": False,
    }


def test_parse_answers_collects_every_error(email) -> None:
    raw = {"people_affected": "-3", "audience": "staff", "complaints": "loads", "public_posts": "yes"}
    answers, errors = parse_answers(email, raw)
    assert errors == {
        "people_affected": "Use a number of 0 or more",
        "audience": "Pick one of: Customers, Prospects, subscribers or leads, "
        "Only people inside the company, A mix of these",
        "what_went_wrong": "This one is needed",
        "complaints": "Type a number, like 27463",
        "still_happening": "This one is needed",
        "can_be_undone": "This one is needed",
    }
    assert answers == {"money_at_stake": None, "public_posts": True}


def test_format_answer(email) -> None:
    assert format_answer(email.question("people_affected"), 27463) == "27,463"
    assert format_answer(email.question("money_at_stake"), 1200.5) == "£1,200.50"
    assert format_answer(q("money", unit="CHF"), 1200.5) == "1,200.50 CHF"
    assert format_answer(q("money"), 0.5) == "0.50"
    assert format_answer(q("number", unit="orders"), 1200) == "1,200 orders"
    assert format_answer(email.question("public_posts"), True) == "Yes"
    assert format_answer(email.question("public_posts"), False) == "No"
    assert format_answer(email.question("what_went_wrong"), "broken_links") == "Links or buttons don't work"
    assert format_answer(email.question("complaints"), None) == "—"
    assert format_answer(q("text"), "as typed") == "as typed"
