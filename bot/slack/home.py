"""The App Home tab and the search modal it opens.

- `app_home_opened` (the Home tab, not Messages) is an event: Bolt acks it at once and the home is
  built and published (views.publish, for the person who opened it) by a lazy, guarded step.
- The home's "Search past mistakes" button opens the modal with its trigger_id (valid 3 s), first.
- Submitting the modal answers in its acknowledgement (response_action "update") with the results and
  the query kept in the input: a views.update from a lazy step could reach Slack before the
  acknowledgement is applied and be painted over. The search is one indexed query; thread links are
  only those this process already knows (no call to Slack inside the 3 seconds); More asks for more.
- More, a button inside the modal, redraws it (views.update with the view's hash) in a lazy step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import ids
from bot.slack.common import Body, ack_only, env_of, guarded, log, open_modal
from bot.slack.payloads import view_values
from bot.slack.search import button_query
from bot.slack.views.home import EMPTY, QUERY_BLOCK, home_view, search_modal
from bot.slack.views.search import cap
from bot.usecases import home
from bot.usecases.context import Deps, Env
from bot.usecases.ports import Undelivered, UserError

ClientStep = Callable[[Env, Body, WebClient], None]
FAILED = "Something went wrong on my side and it is logged. Please try that again."


def with_client(deps: Deps, step: ClientStep) -> Callable[..., None]:
    """``guarded`` for a step that calls the Web API itself (views.publish, views.update)."""

    def run(body: Body, context: BoltContext, client: WebClient) -> None:
        def bound(env: Env, body: Body) -> None:
            step(env, body, client)

        bound.__name__ = bound.__qualname__ = step.__name__
        guarded(deps, bound)(body, context, client)

    # Bolt reads the arguments to pass from run's own signature.
    run.__name__ = run.__qualname__ = step.__name__
    return run


def _slack(call: Callable[[], Any]) -> None:
    """One Web API call; Slack's refusal becomes Undelivered with its code (never its text)."""
    try:
        call()
    except SlackApiError as exc:
        raise Undelivered(str(exc.response.get("error") or "slack_error")) from None


def publish(env: Env, body: Body, client: WebClient) -> None:
    """Draw the person's Home tab from their workspace's history."""
    event = body.get("event") or {}
    person = str(event.get("user") or "")
    if event.get("tab") != "home" or not person:  # the Messages tab: nothing to draw
        return
    view = home_view(home.build(env), env.config.team.tz)
    _slack(lambda: client.views_publish(user_id=person, view=view))


def more(env: Env, body: Body, client: WebClient) -> None:
    """The modal's next page, for the query the More button carries."""
    query_text, page = button_query(body)
    results, links = home.search(env, query_text, page)
    view = search_modal(query_text, results, links, env.config.team.tz)
    shown = body["view"]
    try:
        client.views_update(view_id=shown["id"], hash=shown.get("hash"), view=view)
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "slack_error")
        if code != "hash_conflict":  # a newer search was submitted meanwhile: it stands
            raise Undelivered(code) from None


def register(app: App, deps: Deps) -> None:
    def open_search(ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        open_modal(client, body, search_modal())

    def submit_search(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        """Answer the submission with its results (see the module's docstring for why in the ack)."""
        query_text = cap(" ".join(str(view_values(body["view"]).get(QUERY_BLOCK) or "").split()))
        if not query_text:
            ack(response_action="update", view=search_modal(note=EMPTY))
            return
        try:
            env = env_of(deps, body, context, client)
            results, links = home.search(env, query_text, known_only=True)
            view = search_modal(query_text, results, links, env.config.team.tz)
        except UserError as exc:
            view = search_modal(query_text, note=str(exc))
        except Exception as exc:
            log.error("the search modal failed: %s", type(exc).__name__)
            log.debug("the failure in full", exc_info=True)
            view = search_modal(query_text, note=FAILED)
        ack(response_action="update", view=view)

    app.event("app_home_opened")(ack=ack_only, lazy=[with_client(deps, publish)])
    app.action(ids.HOME_SEARCH)(open_search)
    app.view(ids.HOME_SEARCH_VIEW)(submit_search)
    app.action(ids.HOME_SEARCH_MORE)(ack=ack_only, lazy=[with_client(deps, more)])
