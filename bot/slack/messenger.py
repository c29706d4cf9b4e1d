"""The Messenger the use cases talk to, made of Slack Web API calls and our Block Kit views.

It is built per request from the client Bolt hands the listener (or, for a background job, from the
workspace's token). Slack's errors leave here as ``Undelivered`` with Slack's error code only: its
raw text holds the API URL and never belongs in the decision log.
"""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.views import department_notice, render, render_view
from bot.snapshot import NoticeView, Snapshot
from bot.usecases.ports import HEADER, NOTICE, Marker, PostRef, Undelivered

log = logging.getLogger(__name__)
# Errors after which Slack says some part of the call may have happened (its docs, "Errors").
MAYBE_DONE = frozenset({"fatal_error", "internal_error", "service_unavailable", "request_timeout"})
EVENT_TYPE = "oops_post"  # Slack message metadata: which incident and part a message draws
LOOK_BACK = 200  # messages read when looking for one whose outcome was lost
T = TypeVar("T")


def metadata(marker: Marker) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"incident": marker.incident, "part": marker.part}}


def _call(fn: Callable[[], T]) -> T:
    """Run one Web API call; Slack's refusals and broken connections become Undelivered."""
    try:
        return fn()
    except SlackApiError as exc:
        status = getattr(exc.response, "status_code", 200) or 200
        code = str(exc.response.get("error") or f"http_{status}")
        maybe_done = status >= 500 or code in MAYBE_DONE
        later = status == 429 or code == "ratelimited"
        raise Undelivered(code, uncertain=maybe_done, transient=later) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Undelivered("connection_error", uncertain=True) from exc


class SlackMessenger:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def show(self, kind: str, snap: Snapshot, existing: PostRef | None) -> PostRef:
        text, blocks = render(kind, snap)
        meta = metadata(Marker(snap.id, kind))
        if existing is not None:
            _call(
                lambda: self.client.chat_update(
                    channel=existing.channel, ts=existing.ts, text=text, blocks=blocks, metadata=meta
                )
            )
            return existing
        thread_ts = None if kind == HEADER else snap.header_ts
        response = _call(
            lambda: self.client.chat_postMessage(
                channel=snap.channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                metadata=meta,
            )
        )
        return PostRef(response["channel"], response["ts"])

    def notify(self, channel: str, snap: Snapshot, notice: NoticeView, link: str) -> PostRef:
        text, blocks = department_notice(snap, notice, link)
        meta = metadata(Marker(snap.id, NOTICE + notice.department))
        response = _call(
            lambda: self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, metadata=meta
            )
        )
        return PostRef(response["channel"], response["ts"])

    def find(self, channel: str, thread_ts: str | None, marker: Marker) -> PostRef | None:
        wanted = metadata(marker)
        if channel[:1] in ("U", "W"):  # a person: Slack reads the DM's history by the DM's own id
            opened = _call(lambda: self.client.conversations_open(users=channel))
            channel = str(opened["channel"]["id"])
        for message in self._recent(channel, thread_ts):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and meta.get("event_payload") == wanted["event_payload"]:
                return PostRef(channel, str(message["ts"]))
        return None

    def _recent(self, channel: str, thread_ts: str | None) -> Iterator[dict[str, Any]]:
        """The newest messages of the channel (or of one thread), a page at a time, up to LOOK_BACK."""
        cursor, seen = None, 0
        while seen < LOOK_BACK:
            if thread_ts:
                page = _call(
                    lambda c=cursor: self.client.conversations_replies(
                        channel=channel, ts=thread_ts, include_all_metadata=True, limit=100, cursor=c
                    )
                )
            else:
                page = _call(
                    lambda c=cursor: self.client.conversations_history(
                        channel=channel, include_all_metadata=True, limit=100, cursor=c
                    )
                )
            messages = page.get("messages") or []
            seen += len(messages) or LOOK_BACK
            yield from messages
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def permalink(self, channel: str, ts: str) -> str:
        try:
            return str(
                _call(lambda: self.client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"]
            )
        except Undelivered:
            return ""

    def tell(self, channel: str, user: str, text: str) -> None:
        """A note only the person who clicked sees (a refusal, a validation message); a direct message
        when the channel will not take an ephemeral one."""
        if channel:
            try:
                _call(lambda: self.client.chat_postEphemeral(channel=channel, user=user, text=text))
                return
            except Undelivered as exc:
                log.info("no ephemeral in %s (%s); sending a direct message", channel, exc.code)
        try:
            self.say(user, text)
        except Undelivered as exc:
            log.warning("could not tell %s (%s)", user, exc.code)

    def say(self, channel: str, text: str, thread_ts: str | None = None) -> None:
        _call(lambda: self.client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts))

    def send(self, channel: str, view: object, marker: Marker, thread_ts: str | None = None) -> PostRef:
        text, blocks = render_view(view)
        response = _call(
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                metadata=metadata(marker),
            )
        )
        return PostRef(response["channel"], response["ts"])

    def edit(self, ref: PostRef, view: object, marker: Marker) -> None:
        text, blocks = render_view(view)
        _call(
            lambda: self.client.chat_update(
                channel=ref.channel, ts=ref.ts, text=text, blocks=blocks, metadata=metadata(marker)
            )
        )
