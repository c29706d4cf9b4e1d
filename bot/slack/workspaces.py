"""Slack clients per workspace, for work no request brought a client for (a reminder, recovery).

Single-workspace mode: one bot token from the environment serves its one workspace. A multi-workspace
install will answer ``messenger_for`` from slack_sdk's installation store instead.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack.messenger import SlackMessenger

# Calls that create something: repeating one after a 5xx or a broken connection may make it twice,
# because Slack may have done it before failing to answer. Their outcome is checked instead.
NOT_SAFE_TO_REPEAT = ("chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage")


def _repeatable(request: HttpRequest) -> bool:
    return not request.url.rstrip("/").endswith(NOT_SAFE_TO_REPEAT)


class _OnlyRepeatable(RetryHandler):
    """A retry handler that leaves alone the calls that create something (see NOT_SAFE_TO_REPEAT)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return _repeatable(request) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


class SafeServerErrorRetry(_OnlyRepeatable, ServerErrorRetryHandler):
    """500 and 503, retried for calls that create nothing."""


class SafeConnectionErrorRetry(_OnlyRepeatable, ConnectionErrorRetryHandler):
    """A broken connection, retried for calls that create nothing."""


def slack_client(token: str | None, api_url: str) -> WebClient:
    """Slack's client with retries that are safe: 429 always (Slack did nothing), 5xx and broken
    connections only for calls that do not create a message."""
    client = WebClient(
        token=token,
        base_url=api_url if api_url.endswith("/") else api_url + "/",
        timeout=15,
        retry_handlers=[
            SafeConnectionErrorRetry(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            SafeServerErrorRetry(max_retry_count=2),
        ],
    )
    return client


class SingleWorkspace:
    """The one workspace a bot token serves."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self.team_id: str | None = None

    def identify(self) -> str:
        """The workspace's team id, asked of Slack once (auth.test)."""
        if self.team_id is None:
            self.team_id = str(self.client.auth_test()["team_id"])
        return self.team_id

    def messenger_for(self, team: str) -> SlackMessenger:
        return SlackMessenger(self.client)
