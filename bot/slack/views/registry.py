"""Which builder draws which view model: the use cases hand the messenger a plain dataclass (a
weekly summary, a reminder to a person), and the Slack side picks its Block Kit builder by type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Rendered = tuple[str, list[dict[str, Any]]]
V = TypeVar("V")

_BUILDERS: dict[type, Callable[[Any], Rendered]] = {}


def draws(kind: type[V]) -> Callable[[Callable[[V], Rendered]], Callable[[V], Rendered]]:
    """Register the builder of one view model type (one per type)."""

    def register(builder: Callable[[V], Rendered]) -> Callable[[V], Rendered]:
        if kind in _BUILDERS and _BUILDERS[kind] is not builder:
            raise ValueError(f"{kind.__name__} is drawn by {_BUILDERS[kind].__name__} already")
        _BUILDERS[kind] = builder
        return builder

    return register


def render_view(view: object) -> Rendered:
    builder = _BUILDERS.get(type(view))
    if builder is None:
        raise TypeError(f"no Block Kit builder for {type(view).__name__}; register one with @draws")
    return builder(view)
