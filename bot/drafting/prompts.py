"""Loading the drafting templates, checked at start-up so a broken prompt never waits for a real incident.

Templates are edited by the team, not only by programmers, so they run in jinja2's sandbox with
StrictUndefined (a typo in a variable name is an error, not an empty string), and every error names the
file and line.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from bot.drafting.models import Draft, DraftRequest, sample_request
from bot.drafting.parse import DraftParseError, clip, parse_draft

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

SYSTEM_TEMPLATE = "apology.system.jinja2"
USER_TEMPLATE = "apology.user.jinja2"
DRAFT_TEMPLATE = "apology.template.jinja2"
TEMPLATE_NAMES = (SYSTEM_TEMPLATE, USER_TEMPLATE, DRAFT_TEMPLATE)


class PromptError(ValueError):
    """A template is missing, malformed or fails to render; the message starts with "file:line:"."""


def _display(path: Path | str) -> str:
    """Paths relative to the working directory when possible: shorter, and what the user typed."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _sentence(value: str) -> str:
    """A fragment typed in Slack ("we paused the flow") as a sentence: capitalised, with a full stop."""
    text = " ".join(str(value).split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def _oneline(value: str) -> str:
    return " ".join(str(value).split())


def _pick(options: Sequence[Any], attempt: int) -> Any:
    """Cycle through wordings, so "regenerate" keeps offering a different one."""
    if not options:
        raise ValueError("pick needs at least one option")
    return options[int(attempt) % len(options)]


def _environment(prompts_dir: Path) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(prompts_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for an email and a chat model, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        clip=lambda value, limit: clip(str(value), int(limit)),
        sentence=_sentence,
        oneline=_oneline,
        pick=_pick,
    )
    return env


def template_context(request: DraftRequest) -> dict[str, Any]:
    """The variables every template sees: the request's fields, with `offer` already resolved."""
    context = request.model_dump()
    context["offer"] = request.chosen_offer
    context["make_it_big"] = request.decision == "make_it_big"
    return context


def _template_line(template: jinja2.Template, tb: types.TracebackType | None) -> int | None:
    """The template line an exception came from: jinja2 rewrites tracebacks to point into the template."""
    line = None
    while tb is not None:
        if template.filename and tb.tb_frame.f_code.co_filename == template.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _render(template: jinja2.Template, request: DraftRequest) -> str:
    try:
        return template.render(template_context(request)).strip()
    except Exception as exc:
        line = _template_line(template, exc.__traceback__)
        where = _display(template.filename or template.name or "<template>")
        where = f"{where}:{line}" if line else where
        raise PromptError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class Prompts:
    """The three compiled templates: the chat model's system and user prompts, and the offline draft."""

    directory: Path
    system: jinja2.Template
    user: jinja2.Template
    draft: jinja2.Template

    def messages(self, request: DraftRequest) -> list[BaseMessage]:
        """The chat model's input: house rules in the system message, the incident in the user message."""
        from langchain_core.messages import HumanMessage, SystemMessage  # only when a model is used

        return [SystemMessage(_render(self.system, request)), HumanMessage(_render(self.user, request))]

    def template_draft(self, request: DraftRequest) -> Draft:
        """The deterministic draft: same request, same text."""
        text = _render(self.draft, request)
        try:
            return parse_draft(text)
        except DraftParseError as exc:
            where = _display(self.draft.filename or self.directory / DRAFT_TEMPLATE)
            raise PromptError(f"{where}: output is not a draft: {exc}") from exc


def _compile(env: SandboxedEnvironment, prompts_dir: Path, name: str) -> jinja2.Template:
    path = prompts_dir / name
    if not path.is_file():
        raise PromptError(f"{_display(path)}: template file is missing")
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        where = _display(exc.filename or path)
        raise PromptError(f"{where}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:  # an {% include %} of a missing file
        raise PromptError(f"{_display(path)}: included template {exc.name!r} is missing") from exc


def load_prompts(prompts_dir: Path) -> Prompts:
    """Compile the templates and render each against sample requests, so mistakes surface at start-up."""
    prompts_dir = Path(prompts_dir)
    env = _environment(prompts_dir)
    system, user, draft = (_compile(env, prompts_dir, name) for name in TEMPLATE_NAMES)
    prompts = Prompts(directory=prompts_dir, system=system, user=user, draft=draft)
    # StrictUndefined only fires on the branch that runs, so exercise both decisions, full and sparse.
    for decision in ("correct", "make_it_big"):
        for filled in (True, False):
            sample = sample_request(decision, filled=filled)
            for template in (system, user):  # rendered as the model's messages will be, without langchain
                if not _render(template, sample).strip():
                    raise PromptError(f"{_display(template.filename or template.name)}: renders to nothing")
            for attempt in range(3):
                prompts.template_draft(sample.model_copy(update={"attempt": attempt}))
    return prompts
