"""The apology drafter: a deterministic template by default, a chat model when configured.

Both are langchain-core Runnables taking a DraftRequest and returning a Draft, so the service layer
calls `.invoke(request)` without caring which one it got.
"""

from __future__ import annotations

import importlib
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from bot.config import Drafting
from bot.drafting.lazy import DrafterSetupError
from bot.drafting.models import Draft, DraftRequest
from bot.drafting.parse import parse_reply
from bot.drafting.prompts import Prompts

# provider -> (module, class, pip extra)
_PROVIDERS: dict[str, tuple[str, str, str]] = {
    "openai": ("langchain_openai", "ChatOpenAI", "openai"),
    "anthropic": ("langchain_anthropic", "ChatAnthropic", "anthropic"),
    "ollama": ("langchain_ollama", "ChatOllama", "ollama"),
}


def _as_request(value: DraftRequest | dict[str, Any]) -> DraftRequest:
    return value if isinstance(value, DraftRequest) else DraftRequest.model_validate(value)


def template_drafter(prompts: Prompts) -> Runnable[DraftRequest, Draft]:
    """The offline drafter: works with no key or network, and is the fallback when a model fails."""

    def draft(request: DraftRequest) -> Draft:
        return prompts.template_draft(_as_request(request))

    return RunnableLambda(draft, name="template_apology")


def _import_chat_class(provider: str) -> type[BaseChatModel]:
    module_name, class_name, extra = _PROVIDERS[provider]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DrafterSetupError(
            f"drafting.provider is {provider!r} but {module_name.replace('_', '-')} is not installed: "
            f"pip install 'oops-bot[{extra}]'"
        ) from exc
    return getattr(module, class_name)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Errors worth retrying against a local server: it was unreachable or slow, not wrong."""
    errors: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)
    try:
        import httpx
    except ImportError:
        return errors
    return (*errors, httpx.TransportError)


def make_chat_model(settings: Drafting) -> Runnable[Any, Any]:
    """Build the provider's chat model from settings; API keys are read from the environment by each package.

    The client's own `max_retries` is the only retry layer: adding `.with_retry()` on top would multiply
    the attempts (and the wait) while a person is looking at a spinner in Slack.
    """
    if settings.provider not in _PROVIDERS:
        raise DrafterSetupError(f"provider {settings.provider!r} has no chat model")
    cls = _import_chat_class(settings.provider)
    kwargs: dict[str, Any] = {"model": settings.model, "temperature": settings.temperature}
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    if settings.provider == "ollama":
        # ChatOllama has no timeout or retry option of its own: the timeout goes to its httpx client,
        # and with no client-side retry, with_retry is the single retry layer (transport errors only).
        model = cls(**kwargs, client_kwargs={"timeout": settings.timeout_seconds})
        if settings.max_retries:
            return model.with_retry(
                retry_if_exception_type=_transport_errors(),
                stop_after_attempt=settings.max_retries + 1,
            )
        return model
    kwargs.update(timeout=settings.timeout_seconds, max_retries=settings.max_retries)
    try:
        return cls(**kwargs)
    except Exception as exc:  # typically a missing API key: say which provider, not just the SDK's words
        raise DrafterSetupError(f"cannot set up the {settings.provider} chat model: {exc}") from exc


def _model_label(model: Runnable[Any, Any]) -> str:
    """A short name for a model passed in (tests, a custom client), for Draft.source."""
    return str(getattr(model, "_llm_type", None) or model.get_name())


def build_drafter(
    settings: Drafting, prompts: Prompts, *, chat_model: Runnable[Any, Any] | None = None
) -> Runnable[DraftRequest, Draft]:
    """The template drafter, or prompt | chat model | parse with the template drafter as its fallback.

    The fallback is why a draft always appears: a timeout, a 5xx, a refused key or an unparseable reply
    all end in the template draft instead of an error in Slack. `with_fallbacks` only guards a call until
    its first output, so it would not help once a stream had started; we call `invoke`, never stream.
    A `chat_model` passed in (tests, a custom client) is used whatever `settings.provider` says.
    """
    fallback = template_drafter(prompts)
    if settings.provider == "template" and chat_model is None:
        return fallback
    model = chat_model if chat_model is not None else make_chat_model(settings)

    source = settings.provider if chat_model is None else _model_label(chat_model)

    def to_messages(request: DraftRequest) -> list[Any]:
        return prompts.messages(_as_request(request))

    def parse(message: Any) -> Draft:
        return parse_reply(message).model_copy(update={"source": source})

    chain = (
        RunnableLambda(to_messages, name="apology_prompt")
        | model
        | RunnableLambda(parse, name="parse_apology")
    )
    return chain.with_fallbacks([fallback])
