"""The apology drafter: the offline template, the chat-model chain and its fallback, and prompt loading."""

from __future__ import annotations

import re
import shutil
import sys
import time
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel, ParrotFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import RunnableLambda

from bot.config import Brand, Drafting
from bot.drafting import (
    BODY_MAX,
    SUBJECT_MAX,
    Draft,
    DrafterSetupError,
    DraftParseError,
    DraftRequest,
    PromptError,
    Prompts,
    build_drafter,
    clip,
    load_prompts,
    make_chat_model,
    parse_draft,
    parse_reply,
)

try:  # tests/ may or may not become a package; work either way
    from tests.openai_stub import OpenAIStub, StubReply
except ImportError:
    from openai_stub import OpenAIStub, StubReply

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
VOICE = "Warm, plain and a little playful, like a friend who makes cheese. Short sentences, no excuses."
BRAND = Brand(
    name="Whey to Go Cheese Kits",
    voice=VOICE,
    signature="The Whey to Go team",
    default_offer="10% off your next kit with the code SORRY10",
)
GOOD_REPLY = (
    "Subject: Sorry for the double welcome\n\n"
    "Hello,\n\nYou already own one of our kits, and we sent you a welcome email anyway.\n\n"
    "The Whey to Go team"
)


def welcome_email(**changes: Any) -> DraftRequest:
    fields: dict[str, Any] = {
        "incident_ref": "OOPS-7",
        "title": "Welcome email sent to 27,463 existing customers",
        "details": "Marc pressed send after adding the existing-customer list to the new-subscriber group.",
        "runbook_name": "Email campaign",
        "scale": "huge",
        "decision": "make_it_big",
        "facts": [
            ("How many people received it?", "27,463"),
            ("Did it contain a discount or offer?", "Yes, the 10% welcome code"),
        ],
        "what_was_fixed": "we took existing customers out of the welcome flow",
        "customer_action": "nothing. If you'd like to use the 10% welcome code anyway, it's yours",
    }
    return DraftRequest.for_brand(BRAND, **{**fields, **changes})


def pricing_error(**changes: Any) -> DraftRequest:
    fields: dict[str, Any] = {
        "incident_ref": "OOPS-8",
        "title": "Wrong price on the Halloumi kit page (£4.99 instead of £49.99)",
        "details": "Priya typed the price without the 9. 41 orders came in overnight.",
        "runbook_name": "Pricing error",
        "scale": "small",
        "decision": "correct",
        "facts": [("How many orders at the wrong price?", "41"), ("Correct price", "£49.99")],
        "what_was_fixed": "the page shows £49.99 again, and every order placed at £4.99 will be honoured",
    }
    return DraftRequest.for_brand(BRAND, **{**fields, **changes})


def broken_links(**changes: Any) -> DraftRequest:
    fields: dict[str, Any] = {
        "incident_ref": "OOPS-9",
        "title": "Broken links in the March newsletter",
        "runbook_name": "Email campaign",
        "scale": "big",
        "decision": "correct",
        "facts": [("Which links?", "All of them")],
        "what_was_fixed": "every link in the newsletter now goes where it should",
        "customer_action": "the recipes are at wheytogo.example/recipes if you'd like another look",
    }
    return DraftRequest.for_brand(BRAND, **{**fields, **changes})


STORIES = [welcome_email, pricing_error, broken_links]


@pytest.fixture(scope="module")
def prompts() -> Prompts:
    return load_prompts(PROMPTS_DIR)


@pytest.fixture
def template(prompts: Prompts):
    return build_drafter(Drafting(), prompts)


@pytest.fixture
def stub():
    with OpenAIStub() as server:
        yield server


def opening(draft: Draft) -> str:
    """The first line after the greeting: the sentence `attempt` varies."""
    return draft.body.split("\n\n")[1]


# --- the template drafter ------------------------------------------------------------------------------


def test_template_drafter_is_deterministic(prompts: Prompts) -> None:
    first = build_drafter(Drafting(), prompts).invoke(welcome_email())
    again = build_drafter(Drafting(), load_prompts(PROMPTS_DIR)).invoke(welcome_email())
    assert first == again


@pytest.mark.parametrize("decision", ["correct", "make_it_big"])
def test_regenerate_changes_the_wording_and_cycles(template, decision: str) -> None:
    drafts = [template.invoke(welcome_email(decision=decision, attempt=n)) for n in range(4)]
    assert len({d.subject for d in drafts[:3]}) == 3
    assert len({opening(d) for d in drafts[:3]}) == 3
    assert drafts[3] == drafts[0]
    # Only the wording moves: the facts the team wrote are in every version.
    for draft in drafts:
        assert "27,463" in draft.body and "welcome flow" in draft.body


def test_make_it_big_carries_the_incident_offer(template) -> None:
    draft = template.invoke(welcome_email(offer="a free cheese cloth with your next kit"))
    assert "free cheese cloth with your next kit." in draft.body
    assert "SORRY10" not in draft.body


def test_make_it_big_falls_back_to_the_brand_offer(template) -> None:
    draft = template.invoke(welcome_email(offer=None))
    assert "10% off your next kit with the code SORRY10" in draft.body


def test_correct_makes_no_offer(template) -> None:
    draft = template.invoke(welcome_email(decision="correct", offer="a free cheese cloth"))
    assert "SORRY10" not in draft.body
    assert "cheese cloth" not in draft.body
    assert "make up for it" not in draft.body


def test_make_it_big_without_any_offer_promises_nothing(prompts: Prompts) -> None:
    request = welcome_email(offer=None).model_copy(update={"default_offer": None})
    draft = build_drafter(Drafting(), prompts).invoke(request)
    assert "make up for it" not in draft.body
    assert "sorry" in draft.body.lower()


def test_no_name_from_the_details_reaches_the_customer(template) -> None:
    for story in STORIES:
        for attempt in range(3):
            draft = template.invoke(story(details="Marc pressed send on the wrong segment", attempt=attempt))
            assert not re.search(r"\bMarc\b", draft.subject + "\n" + draft.body)  # "March" is fine


def test_unstated_fix_or_action_is_not_claimed(template) -> None:
    draft = template.invoke(welcome_email(decision="correct", what_was_fixed="", customer_action=""))
    assert "What we've done" not in draft.body
    assert "What you need to do" not in draft.body
    assert draft.body.rstrip().endswith("The Whey to Go team")


@pytest.mark.parametrize("story", STORIES)
@pytest.mark.parametrize("decision", ["correct", "make_it_big"])
def test_template_invents_no_numbers(template, story, decision: str) -> None:
    for attempt in range(3):
        request = story(decision=decision, attempt=attempt)
        draft = template.invoke(request)
        source = " ".join(
            [request.title, request.what_was_fixed, request.customer_action, request.chosen_offer or ""]
            + [answer for _, answer in request.facts]
        )
        for number in re.findall(r"\d[\d,.]*\d|\d", draft.subject + "\n" + draft.body):
            assert number in source, f"{number!r} is not in anything the team wrote"


def test_the_three_stories_read_as_plain_emails(template) -> None:
    welcome = template.invoke(welcome_email())
    assert welcome.subject == "We're sorry: Welcome email sent to 27,463 existing customers"
    assert "What happened: Welcome email sent to 27,463 existing customers." in welcome.body
    assert "What we've done: We took existing customers out of the welcome flow." in welcome.body
    assert "the 10% welcome code anyway" in welcome.body

    pricing = template.invoke(pricing_error())
    assert pricing.subject.startswith("A correction: Wrong price on the Halloumi kit page")
    assert "every order placed at £4.99 will be honoured." in pricing.body
    assert "41" not in pricing.body  # a fact only the team saw, not written for the customer

    links = template.invoke(broken_links())
    assert "wheytogo.example/recipes" in links.body
    for draft in (welcome, pricing, links):
        assert draft.body.startswith("Hello,\n\n")
        assert draft.body.endswith("\n\nThe Whey to Go team")
        assert "\n\n\n" not in draft.body


def test_huge_inputs_still_fit_slack(template) -> None:
    words = ("cheese curd whey rennet " * 800)[:3000]
    draft = template.invoke(
        welcome_email(title=words, details=words, what_was_fixed=words, customer_action=words, offer=words)
    )
    assert len(draft.subject) <= SUBJECT_MAX
    assert len(draft.body) <= BODY_MAX
    assert draft.body.endswith("The Whey to Go team")  # clipped inside, not at the sign-off


# --- parsing a model's reply ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "Subject: Sorry for the double welcome\n\nHello,\n\nOur mistake.",
        "   \n  Subject: Sorry for the double welcome\n\nHello,\n\nOur mistake.\n",
        "```\nSubject: Sorry for the double welcome\n\nHello,\n\nOur mistake.\n```",
        "```text\n**Subject:** Sorry for the double welcome\n\n**Body:**\nHello,\n\nOur mistake.\n```",
        "**Subject**: Sorry for the double welcome\r\n\r\nHello,\r\n\r\nOur mistake.",
        "Here is the draft:\n\nSubject: Sorry for the double welcome\n\nHello,\n\nOur mistake.",
    ],
)
def test_parse_tolerates_common_model_formatting(reply: str) -> None:
    assert parse_draft(reply) == Draft(subject="Sorry for the double welcome", body="Hello,\n\nOur mistake.")


@pytest.mark.parametrize(
    "reply",
    [
        "Hello,\n\nWe sent you a welcome email by mistake.",
        "Subject:\n\nHello, we are sorry.",
        "Subject: Sorry\n\n   \n",
        "",
        "One.\nTwo.\nThree.\nSubject: too late to count as the first line\n\nBody",
    ],
)
def test_parse_rejects_replies_without_subject_or_body(reply: str) -> None:
    with pytest.raises(DraftParseError):
        parse_draft(reply)


def test_parse_clips_at_a_word_boundary() -> None:
    reply = "Subject: " + "sorry " * 60 + "\n\n" + "We got it wrong. " * 400
    draft = parse_draft(reply)
    assert len(draft.subject) <= SUBJECT_MAX and len(draft.body) <= BODY_MAX
    assert draft.subject.endswith("sorry…")
    assert draft.body.endswith("…") and draft.body[:-1].split()[-1] in {"We", "got", "it", "wrong."}


def test_clip_leaves_short_text_alone_and_cuts_one_long_word() -> None:
    assert clip("plain", 10) == "plain"
    long_word = "x" * 50
    assert clip(long_word, 10) == "x" * 9 + "…"


def test_parse_reply_joins_content_blocks() -> None:
    blocks = [{"type": "text", "text": "Subject: Hi\n\n"}, {"type": "text", "text": "Body."}]
    message = AIMessage(content=blocks)
    assert parse_reply(message) == Draft(subject="Hi", body="Body.")


# --- the chat-model chain with fake models -------------------------------------------------------------


class _PromptRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.messages: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized: Any, messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.messages.extend(messages)


def test_chat_model_reply_is_parsed(prompts: Prompts) -> None:
    model = FakeListChatModel(responses=[GOOD_REPLY])
    draft = build_drafter(Drafting(), prompts, chat_model=model).invoke(welcome_email())
    assert draft.subject == "Sorry for the double welcome"
    assert draft.body.startswith("Hello,\n\nYou already own one of our kits")
    assert draft.source == "fake-list-chat-model"


def test_chat_model_reply_without_subject_falls_back_to_the_template(prompts: Prompts) -> None:
    model = FakeListChatModel(responses=["Dear customer, we are so sorry."])
    drafter = build_drafter(Drafting(), prompts, chat_model=model)
    assert drafter.invoke(welcome_email()) == build_drafter(Drafting(), prompts).invoke(welcome_email())


def test_failing_chat_model_falls_back_to_the_template(prompts: Prompts) -> None:
    def broken(_: Any) -> AIMessage:
        raise TimeoutError("model took too long")

    drafter = build_drafter(Drafting(), prompts, chat_model=RunnableLambda(broken))
    assert drafter.invoke(pricing_error()) == build_drafter(Drafting(), prompts).invoke(pricing_error())


def test_prompt_carries_voice_facts_decision_and_offer(prompts: Prompts) -> None:
    recorder = _PromptRecorder()
    drafter = build_drafter(Drafting(), prompts, chat_model=ParrotFakeChatModel())
    # The parrot echoes the user prompt, which is not a draft, so the template answers.
    draft = drafter.invoke(welcome_email(), config={"callbacks": [recorder]})
    assert draft == build_drafter(Drafting(), prompts).invoke(welcome_email())

    (system, user), *_ = recorder.messages
    assert system.type == "system" and user.type == "human"
    assert VOICE in system.text
    assert "Subject:" in system.text and "The Whey to Go team" in system.text
    assert "never blame" in system.text.lower() and "never invent" in system.text.lower()
    assert "How many people received it? 27,463" in user.text
    assert "Yes, the 10% welcome code" in user.text
    assert "10% off your next kit with the code SORRY10" in user.text
    assert "make it big" in user.text.lower()


def test_prompt_for_a_correction_offers_nothing(prompts: Prompts) -> None:
    _, user = prompts.messages(pricing_error())
    assert "SORRY10" not in user.text
    assert "do not offer" in user.text.lower()
    assert "Correct price: £49.99" in user.text


def test_missing_provider_package_names_the_pip_extra(
    monkeypatch: pytest.MonkeyPatch, prompts: Prompts
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_anthropic", None)  # makes the import fail
    with pytest.raises(DrafterSetupError, match=re.escape("pip install 'oops-bot[anthropic]'")):
        build_drafter(Drafting(provider="anthropic", model="claude-test"), prompts)


def test_openai_model_is_built_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    settings = Drafting(
        provider="openai",
        model="gpt-test",
        base_url="http://127.0.0.1:9/v1",
        temperature=0.7,
        timeout_seconds=7,
        max_retries=2,
    )
    model = make_chat_model(settings)
    assert model.model_name == "gpt-test"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.request_timeout == 7
    assert model.max_retries == 2
    assert model.temperature == 0.7


class _RecordingChatModel(FakeListChatModel):
    """Stands in for ChatAnthropic / ChatOllama (not installed here) to check what we pass them."""

    seen: ClassVar[dict[str, Any]] = {}

    def __init__(self, **kwargs: Any) -> None:
        _RecordingChatModel.seen = dict(kwargs)
        super().__init__(responses=[GOOD_REPLY])


@pytest.mark.parametrize(
    ("provider", "module", "cls", "expected"),
    [
        ("anthropic", "langchain_anthropic", "ChatAnthropic", {"timeout": 9.0, "max_retries": 3}),
        ("ollama", "langchain_ollama", "ChatOllama", {"client_kwargs": {"timeout": 9.0}}),
    ],
)
def test_other_providers_get_the_settings(
    monkeypatch: pytest.MonkeyPatch, prompts: Prompts, provider: str, module: str, cls: str, expected: dict
) -> None:
    monkeypatch.setitem(sys.modules, module, types.SimpleNamespace(**{cls: _RecordingChatModel}))
    settings = Drafting(
        provider=provider, model="m-1", base_url="http://127.0.0.1:9", timeout_seconds=9, max_retries=3
    )
    draft = build_drafter(settings, prompts).invoke(welcome_email())
    assert draft.source == provider and draft.subject == "Sorry for the double welcome"
    seen = _RecordingChatModel.seen
    assert seen["model"] == "m-1" and seen["base_url"] == "http://127.0.0.1:9" and seen["temperature"] == 0.3
    assert {key: seen[key] for key in expected} == expected
    if provider == "ollama":  # no client-side retries there, so ours are the only layer
        assert "max_retries" not in seen


def test_openai_without_a_key_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(DrafterSetupError, match="openai"):
        make_chat_model(Drafting(provider="openai", model="gpt-test"))


# --- the real ChatOpenAI client against a local OpenAI-compatible server ---------------------------------


def openai_settings(stub: OpenAIStub, **changes: Any) -> Drafting:
    fields: dict[str, Any] = {
        "provider": "openai",
        "model": "gpt-test-mini",
        "base_url": stub.base_url,
        "timeout_seconds": 5,
        "max_retries": 0,
    }
    return Drafting(**{**fields, **changes})


def test_openai_reply_is_parsed_and_request_carries_the_prompt(
    stub: OpenAIStub, prompts: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    stub.reply(GOOD_REPLY)
    draft = build_drafter(openai_settings(stub, temperature=0.2), prompts).invoke(welcome_email())
    assert draft.subject == "Sorry for the double welcome"
    assert draft.source == "openai"

    (request,) = stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-dummy"
    assert request.body["model"] == "gpt-test-mini"
    assert request.body["temperature"] == 0.2
    assert not request.body.get("stream")
    assert [m["role"] for m in request.messages] == ["system", "user"]
    assert VOICE in request.message_text("system")
    assert "How many people received it? 27,463" in request.message_text("user")


def test_openai_server_error_falls_back_to_the_template(
    stub: OpenAIStub, prompts: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    stub.fail(500)
    draft = build_drafter(openai_settings(stub), prompts).invoke(welcome_email())
    assert draft == build_drafter(Drafting(), prompts).invoke(welcome_email())
    assert draft.source == "template"
    assert len(stub.requests) == 1  # max_retries=0: one attempt, then the fallback


def test_openai_retries_are_the_clients_own_and_not_multiplied(
    stub: OpenAIStub, prompts: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    stub.queue(StubReply(status=500))
    stub.reply(GOOD_REPLY)
    draft = build_drafter(openai_settings(stub, max_retries=1), prompts).invoke(welcome_email())
    assert draft.subject == "Sorry for the double welcome"
    assert len(stub.requests) == 2

    stub.fail(503)
    build_drafter(openai_settings(stub, max_retries=2), prompts).invoke(welcome_email())
    assert len(stub.requests) == 2 + 3  # 1 + max_retries, not more


def test_openai_timeout_falls_back_quickly(
    stub: OpenAIStub, prompts: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    stub.reply(GOOD_REPLY)
    stub.stall(10)
    started = time.monotonic()
    draft = build_drafter(openai_settings(stub, timeout_seconds=0.5), prompts).invoke(pricing_error())
    assert time.monotonic() - started < 5
    assert draft == build_drafter(Drafting(), prompts).invoke(pricing_error())


def test_openai_unparseable_reply_falls_back(
    stub: OpenAIStub, prompts: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    stub.reply("I'm sorry, I can't write that email.")
    draft = build_drafter(openai_settings(stub), prompts).invoke(broken_links())
    assert draft == build_drafter(Drafting(), prompts).invoke(broken_links())


# --- loading the prompt templates ----------------------------------------------------------------------


@pytest.fixture
def prompts_copy(tmp_path: Path) -> Path:
    target = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, target)
    return target


def test_the_shipped_prompts_load(prompts: Prompts) -> None:
    assert prompts.directory == PROMPTS_DIR


def test_syntax_error_names_file_and_line(prompts_copy: Path) -> None:
    bad = "Incident {{ incident_ref }}\n\nWhat happened: {{ title }\n"
    (prompts_copy / "apology.user.jinja2").write_text(bad)
    with pytest.raises(PromptError) as caught:
        load_prompts(prompts_copy)
    message = str(caught.value)
    assert message.startswith(str(prompts_copy / "apology.user.jinja2") + ":3: ")
    assert "}" in message


def test_missing_template_is_named(prompts_copy: Path) -> None:
    (prompts_copy / "apology.system.jinja2").unlink()
    with pytest.raises(PromptError, match=r"apology\.system\.jinja2: template file is missing"):
        load_prompts(prompts_copy)


def test_unknown_variable_is_caught_at_load_even_in_an_unused_branch(prompts_copy: Path) -> None:
    (prompts_copy / "apology.user.jinja2").write_text(
        "Incident {{ incident_ref }}\n{% if make_it_big %}\nOffer: {{ ofer }}\n{% endif %}\n"
    )
    with pytest.raises(PromptError, match=r"apology\.user\.jinja2:3: 'ofer' is undefined"):
        load_prompts(prompts_copy)


def test_template_that_does_not_produce_a_draft_is_rejected(prompts_copy: Path) -> None:
    (prompts_copy / "apology.template.jinja2").write_text("Hello,\n\n{{ title }}\n\n{{ signature }}\n")
    with pytest.raises(PromptError, match=r"apology\.template\.jinja2: output is not a draft"):
        load_prompts(prompts_copy)


def test_templates_run_sandboxed(prompts_copy: Path) -> None:
    (prompts_copy / "apology.system.jinja2").write_text("Voice: {{ brand_voice.__class__.__mro__ }}\n")
    with pytest.raises(PromptError, match=r"apology\.system\.jinja2:1: .*unsafe"):
        load_prompts(prompts_copy)
