"""Reading a conversation back, as conversations.history and conversations.replies do: a time window
(``oldest``, ``latest``, ``inclusive``) and cursor paging (``limit``, ``cursor``, ``next_cursor``).

Pure functions over message timestamps, so the Web API (server.py) keeps only what it stores.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
MAX_LIMIT = 1000
_TS = re.compile(r"^\d+(\.\d+)?$")
_CURSOR_PREFIX = "next_ts:"


class HistoryArgumentError(ValueError):
    """An argument Slack would refuse; ``error`` is the code it answers with."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def ts_key(ts: str) -> tuple[int, int]:
    """A message timestamp ("1700000000.000100", or "1700000000") as (seconds, microseconds)."""
    seconds, _, fraction = (ts or "0").partition(".")
    return int(seconds), int((fraction + "000000")[:6])


def _bound(args: Mapping[str, Any], name: str, default: str) -> tuple[int, int]:
    raw = args.get(name)
    value = default if raw is None or str(raw).strip() == "" else str(raw).strip()
    if not _TS.match(value):
        raise HistoryArgumentError(f"invalid_ts_{name}")
    return ts_key(value)


@dataclass(frozen=True)
class Window:
    """Which timestamps a request asks for: after ``oldest`` and before ``latest``, ends included
    only when ``inclusive`` (Slack's defaults: from the beginning until now, ends excluded)."""

    oldest: tuple[int, int]
    latest: tuple[int, int]
    inclusive: bool

    @classmethod
    def from_args(cls, args: Mapping[str, Any], now: float) -> Window:
        """The window of a request; HistoryArgumentError for a timestamp Slack cannot read."""
        return cls(
            oldest=_bound(args, "oldest", "0"),
            latest=_bound(args, "latest", f"{now:.6f}"),
            inclusive=_truthy(args.get("inclusive")),
        )

    def contains(self, ts: str) -> bool:
        """Whether a message with this timestamp is in the window."""
        key = ts_key(ts)
        if self.inclusive:
            return self.oldest <= key <= self.latest
        return self.oldest < key < self.latest


def parse_limit(args: Mapping[str, Any], default: int) -> int:
    """``limit`` as Slack reads it: a whole number, at most 1000 (0 or none means the default)."""
    raw = args.get("limit")
    if raw is None or str(raw).strip() == "":
        return default
    try:
        limit = int(str(raw).strip())
    except ValueError as exc:
        raise HistoryArgumentError("invalid_limit") from exc
    if limit < 0:
        raise HistoryArgumentError("invalid_limit")
    return min(limit or default, MAX_LIMIT)


def encode_cursor(ts: str) -> str:
    """An opaque cursor pointing at the message with timestamp ``ts`` (the next page starts there)."""
    return base64.b64encode((_CURSOR_PREFIX + ts).encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The timestamp a cursor points at; HistoryArgumentError("invalid_cursor") for anything else."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise HistoryArgumentError("invalid_cursor") from exc
    ts = text.removeprefix(_CURSOR_PREFIX)
    if ts == text or not _TS.match(ts):
        raise HistoryArgumentError("invalid_cursor")
    return ts_key(ts)


def page(
    items: Sequence[T],
    ts_of: Callable[[T], str],
    args: Mapping[str, Any],
    *,
    default_limit: int,
    newest_first: bool,
) -> tuple[list[T], str]:
    """One page of ``items`` (already in answer order) and the cursor of the next ("" on the last).

    The cursor names a message, not a position, so messages posted between two pages neither repeat
    nor vanish from the pages that follow.
    """
    limit = parse_limit(args, default_limit)
    start = 0
    cursor = str(args.get("cursor") or "")
    if cursor:
        at = decode_cursor(cursor)
        later = (lambda key: key <= at) if newest_first else (lambda key: key >= at)
        start = next((i for i, item in enumerate(items) if later(ts_key(ts_of(item)))), len(items))
    shown = list(items[start : start + limit])
    rest = items[start + limit :]
    return shown, (encode_cursor(ts_of(rest[0])) if rest else "")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)
