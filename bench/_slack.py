"""The Slack emulator as the bench uses it. The import below is the one line to change when the
emulator moves package."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from typing import Any

from slack_emulator import Call, DriverResponse, SlackDriver, SlackEmulator, slack_signature

__all__ = ["BenchEmulator", "Call", "DriverResponse", "SlackDriver", "SlackEmulator", "slack_signature"]


class BenchEmulator(SlackEmulator):
    """The emulator with a cheap running count of Web API calls by method, and the last view opened.

    Its own record hands out deep copies, which is right for tests but would make the bench's polling
    (thousands of calls) cost more than the bot it measures.

    ``lean_views``: answer views.open at once, without validating, copying or recording the view. The
    emulator checks every view against slack_sdk's models under one lock (about 5 ms for the bot's
    report modal, 0.5 ms for the bare app's), a cost Slack bears in production, not the bot; left in,
    it serialises the acknowledgement bench behind the stand-in. Tests validate the views.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts: Counter[str] = Counter()
        self.last_view_id: str | None = None
        self.lean_views = False
        self._lean = itertools.count(1)
        self._counted = threading.Condition()

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> Any:
        if self.lean_views and method == "views.open" and token == self.bot_token:
            result: Any = (200, {"ok": True, "view": {"id": f"VLEAN{next(self._lean)}"}}, {})
        else:
            result = super().handle_api(method, args, token)
        body = result[1]
        with self._counted:
            self.counts[method] += 1
            if method == "views.open" and body.get("ok"):
                self.last_view_id = body["view"]["id"]
            self._counted.notify_all()
        return result

    def wait_calls(self, method: str, count: int, timeout: float = 60.0) -> None:
        """Block until ``method`` has been called ``count`` times in all."""
        deadline = time.monotonic() + timeout
        with self._counted:
            while self.counts[method] < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{method}: {self.counts[method]} of {count} calls after {timeout:.0f} s"
                    )
                self._counted.wait(timeout=min(remaining, 0.1))
