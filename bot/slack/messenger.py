"""The Messenger the use cases talk to, made of Slack Web API calls and our Block Kit views."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import HEADER, PostRef
from bot.slack.views import department_notice, render
from bot.snapshot import NoticeView, Snapshot


class SlackMessenger:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def show(self, kind: str, snap: Snapshot, existing: PostRef | None) -> PostRef:
        text, blocks = render(kind, snap)
        if existing is not None:
            self.client.chat_update(channel=existing.channel, ts=existing.ts, text=text, blocks=blocks)
            return existing
        thread_ts = None if kind == HEADER else snap.header_ts
        response = self.client.chat_postMessage(
            channel=snap.channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
        )
        return PostRef(response["channel"], response["ts"])

    def notify(self, channel: str, snap: Snapshot, notice: NoticeView) -> PostRef:
        text, blocks = department_notice(snap, notice, self.thread_link(snap))
        response = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
        return PostRef(response["channel"], response["ts"])

    def thread_link(self, snap: Snapshot) -> str:
        if not snap.header_ts:
            return ""
        try:
            return self.client.chat_getPermalink(channel=snap.channel, message_ts=snap.header_ts)["permalink"]
        except SlackApiError:
            return ""

    def tell(self, channel: str, user: str, text: str) -> None:
        """A note only the person who clicked sees (a refusal, a validation message)."""
        self.client.chat_postEphemeral(channel=channel, user=user, text=text)
