"""The retrospective summary posted in the incident thread: prompts/retro_summary.jinja2 rendered in
jinja2's sandbox, or written by the chat model with that template as the fallback.

Like the apology templates, the template is edited by the team, so it is compiled and rendered against
sample retrospectives at start-up (a typo is an error naming the file and line, not a broken thread), and
a model that fails, answers nothing or is too slow never leaves a thread without its summary.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from bot.drafting.lazy import LazyDrafter
from bot.drafting.parse import clip
from bot.drafting.prompts import PromptError, _compile, _display, _environment, _template_line

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

log = logging.getLogger(__name__)
SUMMARY_TEMPLATE = "retro_summary.jinja2"
SUMMARY_MAX = 2900  # one section of a Slack message holds 3,000 characters
SYSTEM = (
    "You write the short retrospective summary a small team reads in its Slack thread after a "
    "business mistake. Use only the facts you are given; never invent numbers, names or dates. "
    "Blame no person: describe the process. Plain sentences in Slack mrkdwn (*bold* allowed), no "
    "headings with #, under 200 words. The action items are listed under your summary by the bot, "
    "with owners and due dates: do not list them again."
)


class SummaryRequest(BaseModel):
    """What the summary may use: all of it typed by the team or recorded by the bot."""

    model_config = ConfigDict(frozen=True)

    incident_ref: str
    title: str
    runbook_name: str
    scale: str
    decision: str  # its label, or "none"
    timeline: list[tuple[str, str]] = Field(default_factory=list)  # (what, local time)
    what_went_wrong: str
    cause: str = ""  # the category's label
    root_cause: str
    what_we_change: str
    checklist: list[str] = Field(default_factory=list)
    action_items: list[tuple[str, str]] = Field(default_factory=list)  # (what, due day)


@dataclass(frozen=True)
class Summary:
    text: str
    source: str  # "template", or the model's name


def sample_summary(*, filled: bool = True) -> SummaryRequest:
    """A realistic request every template is rendered with at start-up (and in tests)."""
    optional: dict[str, Any] = {}
    if filled:
        optional = {
            "timeline": [("Reported", "Mon 23 Nov 10:02"), ("Decided", "Mon 23 Nov 10:40")],
            "cause": "Automation: a flow or trigger fired unexpectedly",
            "checklist": ["Check a list's automations before adding contacts"],
            "action_items": [("Mark every list that starts a flow", "Fri 27 Nov")],
        }
    return SummaryRequest(
        incident_ref="OOPS-0",
        title="Welcome email sent to 27,463 existing customers",
        runbook_name="Email campaign",
        scale="huge",
        decision="Correct it",
        what_went_wrong="Existing customers were added to the welcome list.",
        root_cause="Adding contacts to a list starts its flows, and nothing says so.",
        what_we_change="Lists that start a flow are marked, and imports into them are checked.",
        **optional,
    )


@dataclass(frozen=True)
class SummaryTemplate:
    template: jinja2.Template

    def render(self, request: SummaryRequest) -> Summary:
        try:
            text = self.template.render(request.model_dump()).strip()
        except Exception as exc:
            line = _template_line(self.template, exc.__traceback__)
            where = _display(self.template.filename or SUMMARY_TEMPLATE)
            raise PromptError(f"{where}:{line}: {exc}" if line else f"{where}: {exc}") from exc
        return Summary(clip(text, SUMMARY_MAX), "template")


def load_summary_template(prompts_dir: Path) -> SummaryTemplate:
    """Compile prompts/retro_summary.jinja2 and render it with full and sparse samples."""
    prompts_dir = Path(prompts_dir)
    env = _environment(prompts_dir)
    loaded = SummaryTemplate(_compile(env, prompts_dir, SUMMARY_TEMPLATE))
    for filled in (True, False):
        if not loaded.render(sample_summary(filled=filled)).text:
            raise PromptError(f"{_display(prompts_dir / SUMMARY_TEMPLATE)}: renders to nothing")
    return loaded


def _messages(request: SummaryRequest, facts: str) -> list[BaseMessage]:
    from langchain_core.messages import HumanMessage, SystemMessage

    if request.action_items:
        facts += "\n\nAction items (listed by the bot):\n" + "\n".join(
            f"- {what}, by {due}" for what, due in request.action_items
        )
    return [
        SystemMessage(SYSTEM),
        HumanMessage(
            f"Write the retrospective summary of {request.incident_ref} from these facts:\n\n{facts}"
        ),
    ]


class Summarizer:
    """Writes the summary: the template alone, or the chat model with the template as fallback on any
    error, an empty reply, or no answer within ``timeout`` seconds."""

    def __init__(self, template: SummaryTemplate, chat_model: Any = None, *, timeout: float = 30.0) -> None:
        self.template = template
        self.timeout = timeout
        self._chain = None if chat_model is None else LazyDrafter(lambda: self._build(chat_model))
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="oops-summary")

    @property
    def uses_model(self) -> bool:
        """A model may take seconds: the thread is drawn first and redrawn with its summary."""
        return self._chain is not None

    def _build(self, chat_model: Any) -> Any:
        from langchain_core.runnables import RunnableLambda

        name = str(getattr(chat_model, "_llm_type", None) or chat_model.get_name())

        def to_messages(request: SummaryRequest) -> list[Any]:
            return _messages(request, self.template.render(request).text)

        def parse(message: Any) -> Summary:
            text = (message if isinstance(message, str) else message.text).strip()
            if not text:
                raise ValueError("the model answered nothing")
            return Summary(clip(text, SUMMARY_MAX), name)

        return RunnableLambda(to_messages) | chat_model | RunnableLambda(parse)

    def write(self, request: SummaryRequest) -> Summary:
        if self._chain is None:
            return self.template.render(request)
        chain = self._chain
        future = self._pool.submit(lambda: chain.invoke(request))
        try:
            result: Summary = future.result(timeout=self.timeout)
            return result
        except FutureTimeout:
            log.warning(
                "the chat model took over %s s on %s's summary: the template writes it",
                self.timeout,
                request.incident_ref,
            )
        except Exception as exc:  # any failure of the model: the template is the fallback
            log.warning(
                "the chat model failed on %s's summary (%s): the template writes it",
                request.incident_ref,
                type(exc).__name__,
            )
        return self.template.render(request)
