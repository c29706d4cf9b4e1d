"""The drafter built at its first use: the first acknowledgement after start must not wait for
langchain-core's import (about a second), and nobody needs a draft in the first second anyway."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bot.drafting.models import Draft, DraftRequest


class DrafterSetupError(RuntimeError):
    """The configured provider cannot be used (package missing, bad settings); raised at start-up.
    Here, not beside the drafter, so naming it imports no langchain-core."""


class LazyDrafter:
    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._drafter: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The real drafter (a langchain-core Runnable), built once, whichever thread asks first."""
        if self._drafter is None:
            with self._lock:
                if self._drafter is None:
                    self._drafter = self._build()
        return self._drafter

    @property
    def ready(self) -> bool:
        return self._drafter is not None

    def invoke(self, request: DraftRequest, config: Any = None, **kwargs: Any) -> Draft:
        return self.get().invoke(request, config, **kwargs)
