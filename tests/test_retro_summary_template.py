"""prompts/retro_summary.jinja2: checked at start-up like the apology templates (sandboxed, strict, errors
naming the file and line), and the Summarizer's fallback to it when a model fails, answers nothing or is
slow. langchain-core's fake chat models only: nothing reaches the internet."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, ParrotFakeChatModel
from langchain_core.runnables import RunnableLambda

from bot.drafting import PromptError
from bot.drafting.summary import SUMMARY_MAX, Summarizer, load_summary_template, sample_summary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    target = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", target)
    return target


def test_the_shipped_template_renders_every_part_it_is_given() -> None:
    text = load_summary_template(ROOT / "prompts").render(sample_summary()).text
    sample = sample_summary()
    for part in (sample.what_went_wrong, sample.cause, sample.root_cause, sample.what_we_change):
        assert part in text
    assert sample.checklist[0] in text and "Reported Mon 23 Nov 10:02" in text


def test_an_unknown_variable_names_the_file_and_line(prompts: Path) -> None:
    path = prompts / "retro_summary.jinja2"
    path.write_text("*What went wrong*\n{{ what_went_wrong }}\n{{ whats_changed }}\n", encoding="utf-8")
    with pytest.raises(PromptError) as caught:
        load_summary_template(prompts)
    assert "retro_summary.jinja2:3" in str(caught.value) and "whats_changed" in str(caught.value)


def test_a_syntax_error_names_the_file_and_line(prompts: Path) -> None:
    (prompts / "retro_summary.jinja2").write_text("ok\n{% if cause %}\nno end\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"retro_summary\.jinja2:\d+"):
        load_summary_template(prompts)


def test_the_sandbox_refuses_reaching_into_python(prompts: Path) -> None:
    (prompts / "retro_summary.jinja2").write_text("{{ title.__class__.__mro__ }}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"retro_summary\.jinja2"):
        load_summary_template(prompts)


def test_a_missing_template_is_named(prompts: Path) -> None:
    (prompts / "retro_summary.jinja2").unlink()
    with pytest.raises(PromptError, match=r"retro_summary\.jinja2: template file is missing"):
        load_summary_template(prompts)


def test_the_model_is_given_the_templates_facts_and_the_action_items() -> None:
    template = load_summary_template(ROOT / "prompts")
    written = Summarizer(template, ParrotFakeChatModel()).write(sample_summary())
    assert written.source != "template"
    assert template.render(sample_summary()).text in written.text
    assert "Mark every list that starts a flow, by Fri 27 Nov" in written.text


@pytest.mark.parametrize(
    "model",
    [
        RunnableLambda(lambda _: (_ for _ in ()).throw(ConnectionError("refused"))),
        FakeListChatModel(responses=["   "]),
    ],
    ids=["raises", "answers nothing"],
)
def test_a_model_that_fails_leaves_it_to_the_template(model: Any) -> None:
    template = load_summary_template(ROOT / "prompts")
    assert Summarizer(template, model).write(sample_summary()) == template.render(sample_summary())


def test_a_model_slower_than_the_timeout_leaves_it_to_the_template() -> None:
    release = threading.Event()

    def slow(_: Any) -> str:
        release.wait(5)
        return "too late"

    template = load_summary_template(ROOT / "prompts")
    try:
        written = Summarizer(template, RunnableLambda(slow), timeout=0.2).write(sample_summary())
    finally:
        release.set()
    assert written == template.render(sample_summary())


def test_a_long_reply_is_cut_to_fit_a_slack_section() -> None:
    template = load_summary_template(ROOT / "prompts")
    written = Summarizer(template, FakeListChatModel(responses=["word " * 2000])).write(sample_summary())
    assert len(written.text) <= SUMMARY_MAX and written.text.endswith("…")
