"""Scale, departments and recommendations of the shipped runbooks, checked against real stories.

The seed stories: 27,463 existing customers got a welcome offer; an email meant for 5 trade-show
contacts went to all 50,000 contacts; 650 referred people got a months-late reminder, twice; a
campaign went out with every link broken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.runbook import (
    NO_LARGER_SCALE,
    Assessment,
    Decision,
    DepartmentNeed,
    LevelError,
    Recommendation,
    Runbook,
    assess_scale,
    load_runbooks,
    pick_departments,
    recommend,
    suggest_runbook,
)

ROOT = Path(__file__).resolve().parents[1]
DEPARTMENTS = {"finance", "support", "communications", "leadership", "marketing"}


@pytest.fixture(scope="module")
def runbooks() -> dict[str, Runbook]:
    return load_runbooks(ROOT / "runbooks", departments=DEPARTMENTS)


@pytest.fixture(scope="module")
def email(runbooks: dict[str, Runbook]) -> Runbook:
    return runbooks["email-campaign"]


@pytest.fixture(scope="module")
def pricing(runbooks: dict[str, Runbook]) -> Runbook:
    return runbooks["pricing-error"]


@pytest.fixture(scope="module")
def general(runbooks: dict[str, Runbook]) -> Runbook:
    return runbooks["general"]


def email_answers(**changes: Any) -> dict[str, Any]:
    """A harmless mistake: a handful of prospects got a second copy. Tests change one thing at a time."""
    base = {
        "people_affected": 5,
        "audience": "prospects",
        "what_went_wrong": "duplicate_send",
        "money_at_stake": None,
        "complaints": None,
        "public_posts": False,
        "still_happening": False,
        "can_be_undone": False,
    }
    return {**base, **changes}


def pricing_answers(**changes: Any) -> dict[str, Any]:
    base = {
        "orders_affected": 0,
        "people_affected": None,
        "direction": "too_low",
        "money_at_stake": 0.0,
        "where_shown": "other",
        "still_live": False,
        "honour": "honour",
        "public_posts": False,
        "complaints": None,
    }
    return {**base, **changes}


def departments(runbook: Runbook, answers: dict[str, Any], level: str | None = None) -> list[str]:
    level = level or assess_scale(runbook, answers).level
    return [need.department for need in pick_departments(runbook, answers, level)]


def decide(runbook: Runbook, answers: dict[str, Any]) -> Recommendation:
    return recommend(runbook, answers, assess_scale(runbook, answers).level)


# --- the seed stories ----------------------------------------------------------------------------


def test_welcome_email_to_27463_existing_customers(email: Runbook) -> None:
    answers = email_answers(people_affected=27463, audience="customers", what_went_wrong="wrong_list")
    assessment = assess_scale(email, answers)
    assert assessment == Assessment("big", ("27,463 people got it (5,000 or more).",))
    assert departments(email, answers) == ["support", "leadership", "marketing"]
    assert decide(email, answers).choice is Decision.correct


def test_email_for_5_contacts_sent_to_50000_with_angry_replies(email: Runbook) -> None:
    answers = email_answers(
        people_affected=50000, audience="mixed", what_went_wrong="wrong_list", complaints=40
    )
    assert assess_scale(email, answers).level == "huge"
    assert departments(email, answers) == ["support", "communications", "leadership", "marketing"]
    recommendation = decide(email, answers)
    assert recommendation.choice is Decision.make_it_big
    assert "50,000 people" in recommendation.reason and "40 have complained" in recommendation.reason


def test_late_referral_reminder_sent_twice_to_650(email: Runbook) -> None:
    angry = email_answers(people_affected=650, complaints=12)
    assert assess_scale(email, angry).level == "small"
    assert decide(email, angry).choice is Decision.correct
    quiet = email_answers(people_affected=650, complaints=0)
    assert decide(email, quiet).choice is Decision.no_action


def test_campaign_with_broken_links(email: Runbook) -> None:
    answers = email_answers(people_affected=3000, what_went_wrong="broken_links", can_be_undone=True)
    assert assess_scale(email, answers).level == "small"
    recommendation = decide(email, answers)
    assert recommendation.choice is Decision.correct
    assert recommendation.reason.startswith("Fix it in place first")


# --- scale thresholds, both sides of each boundary -----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({"people_affected": 99}, "tiny"),
        ({"people_affected": 100}, "small"),
        ({"people_affected": 4999}, "small"),
        ({"people_affected": 5000}, "big"),
        ({"people_affected": 49999}, "big"),
        ({"people_affected": 50000}, "huge"),
        ({"money_at_stake": 99.99}, "tiny"),
        ({"money_at_stake": 100}, "small"),
        ({"money_at_stake": 1999.99}, "small"),
        ({"money_at_stake": 2000}, "big"),
        ({"money_at_stake": 19999.99}, "big"),
        ({"money_at_stake": 20000}, "huge"),
        ({"complaints": 9}, "tiny"),
        ({"complaints": 10}, "small"),
        ({"complaints": 49}, "small"),
        ({"complaints": 50}, "big"),
        ({"complaints": 499}, "big"),
        ({"complaints": 500}, "huge"),
        ({"public_posts": True}, "small"),
        ({"public_posts": True, "people_affected": 999}, "small"),
        ({"public_posts": True, "people_affected": 1000}, "big"),
        ({"still_happening": True, "people_affected": 999}, "small"),
        ({"still_happening": True, "people_affected": 1000}, "big"),
    ],
)
def test_email_scale_boundaries(email: Runbook, changes: dict[str, Any], level: str) -> None:
    assert assess_scale(email, email_answers(**changes)).level == level


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({"orders_affected": 9}, "tiny"),
        ({"orders_affected": 10}, "small"),
        ({"orders_affected": 199}, "small"),
        ({"orders_affected": 200}, "big"),
        ({"orders_affected": 1999}, "big"),
        ({"orders_affected": 2000}, "huge"),
        ({"money_at_stake": 99.99}, "tiny"),
        ({"money_at_stake": 100}, "small"),
        ({"money_at_stake": 2000}, "big"),
        ({"money_at_stake": 20000}, "huge"),
        ({"people_affected": 999}, "tiny"),
        ({"people_affected": 1000}, "small"),
        ({"people_affected": 20000}, "big"),
        ({"direction": "too_high", "orders_affected": 1}, "small"),
        ({"still_live": True, "where_shown": "other"}, "tiny"),
        ({"still_live": True, "where_shown": "website"}, "small"),
        ({"public_posts": True}, "small"),
        ({"public_posts": True, "still_live": True}, "big"),
    ],
)
def test_pricing_scale_boundaries(pricing: Runbook, changes: dict[str, Any], level: str) -> None:
    assert assess_scale(pricing, pricing_answers(**changes)).level == level


def test_reasons_of_every_rule_at_the_winning_level(email: Runbook) -> None:
    assessment = assess_scale(
        email, email_answers(people_affected=6000, money_at_stake=3000.0, complaints=20)
    )
    assert assessment.level == "big"
    assert assessment.reasons == (
        "6,000 people got it (5,000 or more).",
        "£3,000.00 is at stake (£2,000 or more).",
    )


def test_nothing_matches_gives_the_lowest_level(email: Runbook) -> None:
    assert assess_scale(email, email_answers()) == Assessment("tiny", (NO_LARGER_SCALE,))


def test_missing_optional_answers_do_not_break_rules(email: Runbook) -> None:
    answers = email_answers(people_affected=200)
    del answers["complaints"], answers["money_at_stake"]
    assert assess_scale(email, answers).level == "small"


# --- departments ---------------------------------------------------------------------------------


def test_departments_follow_the_answers(email: Runbook) -> None:
    assert departments(email, email_answers()) == ["marketing"]
    assert "finance" in departments(email, email_answers(money_at_stake=0.01))
    assert "finance" not in departments(email, email_answers(money_at_stake=0.0))
    assert "finance" in departments(email, email_answers(what_went_wrong="wrong_offer"))
    assert "communications" in departments(email, email_answers(public_posts=True))
    assert "communications" not in departments(email, email_answers(complaints=24))
    assert "communications" in departments(email, email_answers(complaints=25))
    assert "leadership" not in departments(email, email_answers(), "small")
    assert "leadership" in departments(email, email_answers(), "big")


def test_one_entry_per_department_with_its_first_matching_reason(email: Runbook) -> None:
    needs = pick_departments(
        email, email_answers(audience="customers", complaints=3, still_happening=True), "tiny"
    )
    assert needs == [
        DepartmentNeed("support", "Customers got it, so replies and tickets will land with support."),
        DepartmentNeed("marketing", "It is still sending. Pause the campaign or flow before anything else."),
    ]


def test_pricing_tells_finance_whenever_money_is_at_stake(pricing: Runbook) -> None:
    assert "finance" not in departments(pricing, pricing_answers())
    need = pick_departments(pricing, pricing_answers(money_at_stake=45.5), "tiny")[0]
    assert need == DepartmentNeed("finance", "£45.50 is at stake.")
    overpaid_answers = pricing_answers(money_at_stake=45.5, direction="too_high")
    overpaid = pick_departments(pricing, overpaid_answers, "tiny")[0]
    assert overpaid.reason == "£45.50 is at stake, owed back to customers."


def test_unknown_level_is_refused(email: Runbook) -> None:
    with pytest.raises(LevelError):
        pick_departments(email, email_answers(), "enormous")


# --- recommendations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "choice"),
    [
        ({}, Decision.no_action),  # a harmless duplicate: a correction would only draw attention
        ({"complaints": 1}, Decision.correct),
        ({"public_posts": True}, Decision.correct),
        ({"people_affected": 5000}, Decision.correct),  # big, but nobody is upset: no need to make it big
        ({"what_went_wrong": "broken_links"}, Decision.correct),
        ({"what_went_wrong": "wrong_content"}, Decision.correct),
        ({"what_went_wrong": "wrong_offer"}, Decision.correct),
        ({"audience": "internal", "what_went_wrong": "wrong_content"}, Decision.no_action),
        ({"people_affected": 5000, "public_posts": True}, Decision.make_it_big),
        ({"people_affected": 4999, "complaints": 9}, Decision.correct),
        ({"people_affected": 5000, "complaints": 1}, Decision.make_it_big),
    ],
)
def test_email_recommendation(email: Runbook, changes: dict[str, Any], choice: Decision) -> None:
    assert decide(email, email_answers(**changes)).choice is choice


def test_wrong_offer_reason_asks_about_honouring(email: Runbook) -> None:
    reason = decide(email, email_answers(what_went_wrong="wrong_offer")).reason
    assert reason.startswith("Send one short")
    assert "honour" in reason


@pytest.mark.parametrize(
    ("changes", "choice"),
    [
        ({}, Decision.no_action),
        ({"orders_affected": 1}, Decision.correct),
        ({"orders_affected": 199}, Decision.correct),
        ({"orders_affected": 200}, Decision.make_it_big),
        ({"money_at_stake": 25000.0}, Decision.make_it_big),
        ({"public_posts": True}, Decision.correct),
    ],
)
def test_pricing_recommendation(pricing: Runbook, changes: dict[str, Any], choice: Decision) -> None:
    assert decide(pricing, pricing_answers(**changes)).choice is choice


def test_pricing_default_reason_uses_the_answers(pricing: Runbook) -> None:
    reason = decide(pricing, pricing_answers(orders_affected=12, honour="undecided")).reason
    assert reason == (
        "Fix the price, then write to the 12 customers who ordered: "
        "decide first whether to honour the price, then tell them."
    )


def test_general_runbook(general: Runbook) -> None:
    quiet = {"people_affected": 3, "money_at_stake": None, "customer_impact": "none", "is_public": False}
    assert assess_scale(general, quiet).level == "tiny"
    assert decide(general, quiet).choice is Decision.no_action
    assert departments(general, quiet) == []
    loud = {
        "people_affected": 1500,
        "money_at_stake": 300.0,
        "customer_impact": "out_of_pocket",
        "is_public": True,
    }
    assert assess_scale(general, loud).level == "big"
    assert departments(general, loud) == ["support", "finance", "communications", "leadership"]
    assert decide(general, loud).choice is Decision.make_it_big


# --- suggesting a runbook ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("Welcome email went to 27,463 existing customers", "email-campaign"),
        ("NEWSLETTER sent twice", "email-campaign"),
        ("all the links in Tuesday's campaign are broken", "email-campaign"),
        ("Wrong price on the cheddar kit", "pricing-error"),
        ("Prices on the website were 10x too low", "pricing-error"),
        ("discount code SORRY10 works on everything", "pricing-error"),
        ("wrong price in the newsletter", "pricing-error"),  # the phrase 'wrong price' outweighs 'newsletter'
        ("prezzo sbagliato sul sito", "pricing-error"),
        ("abbiamo inviato la stessa campagna due volte", "email-campaign"),
        ("parcel went to the wrong address", "general"),
        ("", "general"),
        ("posted on LinkedIn by mistake", "general"),  # 'linkedin' is not the word 'link'
    ],
)
def test_suggest_runbook(runbooks: dict[str, Runbook], summary: str, expected: str) -> None:
    assert suggest_runbook(runbooks, summary) == expected


def test_suggest_runbook_fallback_and_ties(runbooks: dict[str, Runbook], email: Runbook) -> None:
    assert suggest_runbook(runbooks, "the van broke down", fallback="other") == "other"
    twin = email.model_copy(update={"id": "twin"})
    assert suggest_runbook({"email-campaign": email, "twin": twin}, "email") == "email-campaign"
    assert suggest_runbook({"twin": twin, "email-campaign": email}, "email") == "twin"
