"""Wiring: config + runbooks + store + drafter + scheduler + Slack client -> use cases and Bolt app.

`oops serve`, `oops demo` and the tests all build the bot here, so they run the same code.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import AppConfig
from bot.drafting import LazyDrafter, Prompts, load_prompts
from bot.drafting.summary import Summarizer, load_summary_template
from bot.runbook.loader import load_runbooks
from bot.runbook.model import Runbook
from bot.scheduling import (
    ApsRetroScheduler,
    LeaseKeeper,
    SchedulerLease,
    build_scheduler,
    install_recurring,
    jobs,
)
from bot.slack.app import build_app
from bot.slack.workspaces import SingleWorkspace, slack_client
from bot.store import Store, make_engine, migrate
from bot.store.fleet import Fleet
from bot.store.tables import utcnow
from bot.usecases import digest, recovery, retrospective, sweep
from bot.usecases.context import Deps, Env
from bot.usecases.ports import Drafter

if TYPE_CHECKING:  # langchain-core is imported only when a model is used (it is slow to import)
    from langchain_core.language_models import BaseChatModel

SLACK_API_DEFAULT = "https://slack.com/api/"
WARM_DRAFTER_AFTER = 1.0  # seconds
log = logging.getLogger(__name__)


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, counting work in flight so the demo and tests can wait for quiet.

    Ten workers, not Bolt's five: a slow model call must not starve other people's clicks.
    """

    def __init__(self, max_workers: int = 10) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="oops-listener")
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, timeout=timeout):
                raise TimeoutError(f"{self._busy} listener task(s) still running after {timeout} s")


@dataclass
class Secrets:
    """Read from the environment only: never from app.yaml, never logged."""

    bot_token: str | None
    app_token: str | None
    signing_secret: str | None
    api_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN") or None,
            app_token=env.get("SLACK_APP_TOKEN") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            api_url=env.get("SLACK_API_URL") or SLACK_API_DEFAULT,
        )


def open_store(config: AppConfig, team_id: str | None = None) -> tuple[Engine, Store]:
    """The database at its newest schema; rows older than workspaces are given ``team_id``."""
    engine = make_engine(config.resolved_database_url())
    migrate(engine, team_id)
    if team_id:
        Fleet(engine).adopt(team_id)
    return engine, Store(engine)


def load_team_runbooks(config: AppConfig) -> dict[str, Runbook]:
    return load_runbooks(config.runbooks_path, departments=set(config.departments))


def make_drafter(config: AppConfig, prompts: Prompts, chat_model: BaseChatModel | None) -> Drafter:
    """A model is set up now, so a bad provider or a missing key stops `oops serve` at once. The
    template drafter is built at its first use (or at warm-up): langchain-core is slow to import."""

    def build() -> Drafter:
        from bot.drafting.drafter import build_drafter

        return build_drafter(config.drafting, prompts, chat_model=chat_model)

    if config.drafting.provider == "template" and chat_model is None:
        return LazyDrafter(build)
    return build()


def make_summarizer(config: AppConfig, chat_model: BaseChatModel | None) -> Summarizer:
    """The retrospective summary: prompts/retro_summary.jinja2, checked now; the configured chat model
    (or one passed in) writes it when there is one, the template being its fallback."""
    template = load_summary_template(config.prompts_path)
    model: Any = chat_model
    if model is None and config.drafting.provider != "template":
        from bot.drafting.drafter import make_chat_model

        model = make_chat_model(config.drafting)
    return Summarizer(template, model, timeout=config.drafting.timeout_seconds + 5)


@dataclass
class Runtime:
    config: AppConfig
    runbooks: dict[str, Runbook]
    engine: Engine
    store: Store
    scheduler: BackgroundScheduler
    retro_scheduler: ApsRetroScheduler
    client: WebClient
    workspace: SingleWorkspace
    deps: Deps
    app: App
    executor: TrackingExecutor
    lease: SchedulerLease
    keeper: LeaseKeeper | None = None
    _warm: threading.Timer | None = None

    @property
    def runs_reminders(self) -> bool:
        return self.keeper is not None and self.keeper.leading

    @property
    def team_id(self) -> str:
        """The workspace this single-workspace install serves."""
        return self.workspace.identify()

    def env(self, team: str | None = None) -> Env:
        """The use cases' Env for a workspace, as a background job gets it."""
        return self.deps.env(team or self.team_id)

    def remind(self, incident_id: int) -> bool:
        """The reminder job: it names only the incident; the incident names its workspace."""
        team = self.deps.fleet.team_of(incident_id)
        if team is None:
            log.info("reminder for OOPS-%s: no such incident any more", incident_id)
            return False
        return retrospective.remind(self.deps.env(team), incident_id)

    def teams(self) -> list[str]:
        """The workspaces this process serves (one, until OAuth installs bring more)."""
        return [self.team_id]

    def sweep(self) -> dict[str, int]:
        """The minute job: whatever came due, in every workspace."""
        return sweep.sweep(self.deps, self.teams())

    def weekly(self, team: str) -> bool:
        """The weekly summary job of one workspace: posts the week due now, once."""
        return digest.post_due(self.deps.env(team))

    def start(self) -> None:
        """Start the scheduler. Every process writes reminder jobs to the shared job table; only the
        lease holder runs them, and when it stops or dies another process takes over within seconds."""
        jobs.set_handler("retro_reminder", self.remind)
        jobs.set_handler("sweep", self.sweep)
        jobs.set_handler("weekly_summary", self.weekly)
        if isinstance(self.deps.drafter, LazyDrafter):
            # Built a moment after start, off the request path: ready before anyone decides.
            self._warm = threading.Timer(WARM_DRAFTER_AFTER, self.deps.drafter.get)
            self._warm.daemon = True
            self._warm.start()
        self.keeper = LeaseKeeper(self.lease, self.scheduler, on_acquired=self._lead)
        self.keeper.start()
        # Every process finishes what a stopped one left half-done; a claim in the database makes
        # sure each incident is finished by one of them.
        self.executor.submit(recovery.recover, self.deps)

    def _lead(self) -> None:
        """On taking the lease: re-arm every scheduled reminder, and the sweep and weekly jobs."""
        retrospective.rearm_all(self.deps)
        install_recurring(self.scheduler, self.teams(), self.config.weekly_summary, self.config.team.timezone)

    def stop(self) -> None:
        if self._warm is not None:
            self._warm.cancel()
        if self.keeper is not None:
            self.keeper.stop()  # stops running jobs, then lets the lease go
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.lease.release()
        self.executor.shutdown(wait=True)
        self.engine.dispose()

    def wait_idle(self, timeout: float = 10.0) -> None:
        self.executor.wait_idle(timeout)


def build_runtime(
    config: AppConfig,
    secrets: Secrets,
    *,
    chat_model: BaseChatModel | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Runtime:
    runbooks = load_team_runbooks(config)
    drafter = make_drafter(config, load_prompts(config.prompts_path), chat_model)
    client = slack_client(secrets.bot_token, secrets.api_url)
    workspace = SingleWorkspace(client)
    engine, store = open_store(config, workspace.identify())
    scheduler = build_scheduler(engine)
    retro_scheduler = ApsRetroScheduler(scheduler)
    deps = Deps(config, runbooks, store, Fleet(engine), drafter, retro_scheduler, workspace, clock=clock)
    deps.summarizer = make_summarizer(config, chat_model)
    executor = TrackingExecutor()
    app = build_app(deps, client, secrets.signing_secret or "", executor)
    return Runtime(
        config,
        runbooks,
        engine,
        store,
        scheduler,
        retro_scheduler,
        client,
        workspace,
        deps,
        app,
        executor,
        SchedulerLease(engine),
    )
